# ruff: noqa: E501 - released steps are frozen SQL, one statement per line
"""Steps 31 onwards: indexes for reads that walked a whole county's or a whole history's rows."""

from .base import _script, step


@step(31)
def audit_action_and_village_group_indexes():
    # A record's history (its changes, not its reads) by an index that holds the action: a
    # child's page read 200,000 times walked 200,000 "view" rows to find its 20 changes. The
    # index of (object_type, object_id) alone is a prefix of the new one and goes. A village's
    # or township's group members on a day read their own villages' events of the group, not
    # the county's.
    _script("""
CREATE INDEX "audit_log_object_type_object_id_action" ON "audit_log" ("object_type", "object_id", "action");
DROP INDEX "audit_log_object_type_object_id";
CREATE INDEX "group_event_village_id_group_name_on" ON "group_event" ("village_id", "group_name", "on");
""")


@step(32)
def period_figures():
    # A closed period's raw counts per village (models/month_rates.PeriodFigures): a report of
    # a closed month, quarter or year reads them instead of counting its facts again. Filled
    # by the start-of-day job, empty after the upgrade.
    _script("""
CREATE TABLE "period_figures" ("id" INTEGER NOT NULL PRIMARY KEY, "start" DATE NOT NULL, "end" DATE NOT NULL, "township_id" INTEGER, "village_id" INTEGER NOT NULL, "figures" TEXT NOT NULL, "counted_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "period_figures_period_place" ON "period_figures" ("start", "end", COALESCE("township_id", 0), "village_id");
""")


@step(33)
def shared_generation():
    # One row counting the committed writes of processes beside the server (the daily job's
    # child, command line tools): the server reads it at each request's start and, when it
    # moved, counts every kept figure and page again (db_generation, "Other processes").
    _script(
        """
CREATE TABLE "shared_generation" ("id" INTEGER NOT NULL PRIMARY KEY, "n" INTEGER NOT NULL);
INSERT INTO "shared_generation" ("id", "n") VALUES (1, 0)
""",
        postgres="""
CREATE TABLE "shared_generation" ("id" INTEGER NOT NULL PRIMARY KEY, "n" BIGINT NOT NULL);
INSERT INTO "shared_generation" ("id", "n") VALUES (1, 0)
""",
    )


@step(34)
def visit_count_indexes():
    # The year's report counts an area's visits from the visit index alone (no join to
    # Person, queries/summary_visits.py) and takes out those of persons voided before its
    # cut-off: those persons are found by their own index. On PostgreSQL the visit index also
    # holds the id (SQLite's holds the rowid anyway), so a period's visit ids, their bounds
    # and their links to persons are read without the table. IF NOT EXISTS on PostgreSQL: a
    # county's operator may build these CONCURRENTLY by hand before upgrading (minutes on 1M).
    _script(
        """
CREATE INDEX "person_voided_at" ON "person" ("voided_at")
""",
        postgres="""
CREATE INDEX IF NOT EXISTS "person_voided_at" ON "person" ("voided_at");
CREATE INDEX IF NOT EXISTS "visit_village_id_visited_on_voided_at_created_at_id" ON "visit" ("village_id", "visited_on", "voided_at", "created_at", "id")
""",
    )


@step(35)
def person_list_order_index():
    # A township's person list (queries/persons.listing_rows) reads each village's first
    # active persons in the list's order (needs review first, then by pinyin and id) from this
    # partial index and sorts only those together, not the township's whole register. IF NOT
    # EXISTS on PostgreSQL, as step 34.
    _script(
        """
CREATE INDEX "person_list_order" ON "person" ("village_id", "needs_review" DESC, "name_pinyin", "id") WHERE "voided_at" IS NULL AND "exited_on" IS NULL
""",
        postgres="""
CREATE INDEX IF NOT EXISTS "person_list_order" ON "person" ("village_id", "needs_review" DESC, "name_pinyin", "id") WHERE "voided_at" IS NULL AND "exited_on" IS NULL
""",
    )
