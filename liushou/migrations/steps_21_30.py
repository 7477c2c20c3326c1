# ruff: noqa: E501 - released steps are frozen SQL, one statement per line
"""Steps 21 onwards: tier events, site and agreement history, townships and the county, visit
month indexes, month rates per place."""

from .base import _script, step


@step(21)
def tier_events_and_site_closed_on():
    # The dated history of each person's effective visit tier (append-only), backfilled from
    # the visit states at the upgrade: the current tier from the registration day (earlier
    # changes are not known). A site's 停用 date: for a site stopped before the upgrade, the day
    # of its last audited change of 在用, else the day it was added. When a benefit's approval
    # (out of 待审核) and its end date became known, and when a person's exit was recorded:
    # empty for rows before the upgrade (known since the row was added).
    _script("""
CREATE TABLE "tier_event" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "tier" VARCHAR(8) NOT NULL, "overridden" INTEGER NOT NULL, "on" DATE NOT NULL, "recorded_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "tier_event_person_id_on" ON "tier_event" ("person_id", "on");
""")
    _script(
        """
CREATE TRIGGER "tier_event_no_update" BEFORE UPDATE ON "tier_event"
BEGIN SELECT RAISE(ABORT, 'tier_event is append-only'); END;
CREATE TRIGGER "tier_event_no_delete" BEFORE DELETE ON "tier_event"
BEGIN SELECT RAISE(ABORT, 'tier_event is append-only'); END;
""",
        postgres="""
CREATE TRIGGER "tier_event_no_update" BEFORE UPDATE ON "tier_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('tier_event is append-only');
CREATE TRIGGER "tier_event_no_delete" BEFORE DELETE ON "tier_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('tier_event is append-only');
""",
    )
    _script(
        """
INSERT INTO "tier_event" ("person_id", "tier", "overridden", "on", "recorded_at") SELECT s."person_id", coalesce(nullif(s."override", ''), s."tier"), s."override" <> '', date(p."created_at"), p."created_at" FROM "visit_state" s JOIN "person" p ON p."id" = s."person_id" ORDER BY s."person_id";
ALTER TABLE "site" ADD COLUMN "closed_on" DATE;
ALTER TABLE "benefit" ADD COLUMN "approved_at" DATETIME;
ALTER TABLE "benefit" ADD COLUMN "ended_at" DATETIME;
ALTER TABLE "person" ADD COLUMN "exited_at" DATETIME;
UPDATE "site" SET "closed_on" = coalesce((SELECT date(max(a."at")) FROM "audit_log" a, json_each(a."changes") c WHERE a."object_type" = 'site' AND a."object_id" = "site"."id" AND json_valid(a."changes") AND json_extract(c."value", '$[0]') = 'active'), date("site"."created_at")) WHERE NOT "active";
""",
        postgres="""
INSERT INTO "tier_event" ("person_id", "tier", "overridden", "on", "recorded_at") SELECT s."person_id", coalesce(nullif(s."override", ''), s."tier"), s."override" <> '', p."created_at"::date, p."created_at" FROM "visit_state" s JOIN "person" p ON p."id" = s."person_id" ORDER BY s."person_id";
ALTER TABLE "site" ADD COLUMN "closed_on" DATE;
ALTER TABLE "benefit" ADD COLUMN "approved_at" TIMESTAMP;
ALTER TABLE "benefit" ADD COLUMN "ended_at" TIMESTAMP;
ALTER TABLE "person" ADD COLUMN "exited_at" TIMESTAMP;
UPDATE "site" SET "closed_on" = coalesce((SELECT max(a."at")::date FROM "audit_log" a, jsonb_array_elements(CASE WHEN a."changes" LIKE '[%' THEN a."changes"::jsonb ELSE '[]'::jsonb END) c("value") WHERE a."object_type" = 'site' AND a."object_id" = "site"."id" AND c."value" ->> 0 = 'active'), "site"."created_at"::date) WHERE NOT "active";
""",
    )


@step(22)
def site_and_agreement_history():
    # The dated open/close history of each service site and the history of each child's
    # agreement signing date (both append-only), backfilled from the state at the upgrade so
    # every report reads as before it: a site opened the day it was added and, if stopped, closed
    # on its 停用 date (known from that day); an agreement signed on its date, known from that day
    # (earlier corrections are not known).
    _script(
        """
CREATE TABLE "site_event" ("id" INTEGER NOT NULL PRIMARY KEY, "site_id" INTEGER NOT NULL, "on" DATE NOT NULL, "event" VARCHAR(5) NOT NULL, "recorded_at" DATETIME NOT NULL, FOREIGN KEY ("site_id") REFERENCES "site" ("id") ON DELETE RESTRICT);
CREATE INDEX "site_event_site_id_on" ON "site_event" ("site_id", "on");
CREATE TRIGGER "site_event_no_update" BEFORE UPDATE ON "site_event"
BEGIN SELECT RAISE(ABORT, 'site_event is append-only'); END;
CREATE TRIGGER "site_event_no_delete" BEFORE DELETE ON "site_event"
BEGIN SELECT RAISE(ABORT, 'site_event is append-only'); END;
INSERT INTO "site_event" ("site_id", "on", "event", "recorded_at") SELECT "id", date("created_at"), 'open', "created_at" FROM "site" ORDER BY "id";
INSERT INTO "site_event" ("site_id", "on", "event", "recorded_at") SELECT "id", "closed_on", 'close', datetime("closed_on") FROM "site" WHERE NOT "active" AND "closed_on" IS NOT NULL ORDER BY "id";
CREATE TABLE "agreement_event" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "signed_on" DATE, "recorded_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "agreement_event_person_id_recorded_at" ON "agreement_event" ("person_id", "recorded_at");
CREATE TRIGGER "agreement_event_no_update" BEFORE UPDATE ON "agreement_event"
BEGIN SELECT RAISE(ABORT, 'agreement_event is append-only'); END;
CREATE TRIGGER "agreement_event_no_delete" BEFORE DELETE ON "agreement_event"
BEGIN SELECT RAISE(ABORT, 'agreement_event is append-only'); END;
INSERT INTO "agreement_event" ("person_id", "signed_on", "recorded_at") SELECT "id", "agreement_signed_on", datetime("agreement_signed_on") FROM "person" WHERE "agreement_signed_on" IS NOT NULL ORDER BY "id";
""",
        postgres="""
CREATE TABLE "site_event" ("id" SERIAL NOT NULL PRIMARY KEY, "site_id" INTEGER NOT NULL, "on" DATE NOT NULL, "event" VARCHAR(5) NOT NULL, "recorded_at" TIMESTAMP NOT NULL, FOREIGN KEY ("site_id") REFERENCES "site" ("id") ON DELETE RESTRICT);
CREATE INDEX "site_event_site_id_on" ON "site_event" ("site_id", "on");
CREATE TRIGGER "site_event_no_update" BEFORE UPDATE ON "site_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('site_event is append-only');
CREATE TRIGGER "site_event_no_delete" BEFORE DELETE ON "site_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('site_event is append-only');
INSERT INTO "site_event" ("site_id", "on", "event", "recorded_at") SELECT "id", "created_at"::date, 'open', "created_at" FROM "site" ORDER BY "id";
INSERT INTO "site_event" ("site_id", "on", "event", "recorded_at") SELECT "id", "closed_on", 'close', "closed_on"::timestamp FROM "site" WHERE NOT "active" AND "closed_on" IS NOT NULL ORDER BY "id";
CREATE TABLE "agreement_event" ("id" SERIAL NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "signed_on" DATE, "recorded_at" TIMESTAMP NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "agreement_event_person_id_recorded_at" ON "agreement_event" ("person_id", "recorded_at");
CREATE TRIGGER "agreement_event_no_update" BEFORE UPDATE ON "agreement_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('agreement_event is append-only');
CREATE TRIGGER "agreement_event_no_delete" BEFORE DELETE ON "agreement_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('agreement_event is append-only');
INSERT INTO "agreement_event" ("person_id", "signed_on", "recorded_at") SELECT "id", "agreement_signed_on", "agreement_signed_on"::timestamp FROM "person" WHERE "agreement_signed_on" IS NOT NULL ORDER BY "id";
""",
    )


@step(23)
def review_item_without_household():
    # An import row that creates its household waits for review as a whole: its proposal has no
    # household until approved, so review_item.household_id becomes nullable (table rebuilt:
    # new table, copy, drop, rename, indexes; no table refers to review_item).
    _script(
        """
CREATE TABLE "review_item_new" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(16) NOT NULL, "person_id" INTEGER, "household_id" INTEGER, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, "author_id" INTEGER NOT NULL, "submitted_at" DATETIME NOT NULL, "payload" TEXT NOT NULL, "groups_before" VARCHAR(64) NOT NULL, "groups_after" VARCHAR(64) NOT NULL, "label" VARCHAR(64) NOT NULL, "status" VARCHAR(8) NOT NULL, "reviewer_id" INTEGER, "decided_at" DATETIME, "reason" VARCHAR(200) NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("household_id") REFERENCES "household" ("id") ON DELETE RESTRICT, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT, FOREIGN KEY ("author_id") REFERENCES "app_user" ("id") ON DELETE RESTRICT, FOREIGN KEY ("reviewer_id") REFERENCES "app_user" ("id") ON DELETE RESTRICT);
INSERT INTO "review_item_new" ("id", "kind", "person_id", "household_id", "village_id", "grid_id", "author_id", "submitted_at", "payload", "groups_before", "groups_after", "label", "status", "reviewer_id", "decided_at", "reason") SELECT "id", "kind", "person_id", "household_id", "village_id", "grid_id", "author_id", "submitted_at", "payload", "groups_before", "groups_after", "label", "status", "reviewer_id", "decided_at", "reason" FROM "review_item" ORDER BY "id";
DROP TABLE "review_item";
ALTER TABLE "review_item_new" RENAME TO "review_item";
CREATE INDEX "review_item_person_id" ON "review_item" ("person_id");
CREATE INDEX "review_item_household_id" ON "review_item" ("household_id");
CREATE INDEX "review_item_village_id" ON "review_item" ("village_id");
CREATE INDEX "review_item_grid_id" ON "review_item" ("grid_id");
CREATE INDEX "review_item_author_id" ON "review_item" ("author_id");
CREATE INDEX "review_item_status" ON "review_item" ("status");
CREATE INDEX "review_item_reviewer_id" ON "review_item" ("reviewer_id");
""",
        postgres="""
ALTER TABLE "review_item" ALTER COLUMN "household_id" DROP NOT NULL;
""",
    )


@step(24)
def visit_month_indexes():
    # Visits counted by month (home's 12-month chart; a report's visits, as known at its
    # cut-off) from two covering indexes: the township's over (visited_on, voided_at,
    # created_at), a village's over (village_id, …), so 1.6 M visits are never read row by row.
    # The township's trend rates of closed months, kept once counted (models/month_rates.py):
    # filled by the start-of-day job, empty after the upgrade.
    _script("""
CREATE INDEX "visit_visited_on_voided_at_created_at" ON "visit" ("visited_on", "voided_at", "created_at");
CREATE INDEX "visit_village_id_visited_on_voided_at_created_at" ON "visit" ("village_id", "visited_on", "voided_at", "created_at");
CREATE TABLE "month_rates" ("id" INTEGER NOT NULL PRIMARY KEY, "month" DATE NOT NULL, "pairing" REAL, "signing" REAL, "within" REAL, "closed30" REAL, "counted_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "month_rates_month" ON "month_rates" ("month");
""")


@step(25)
def townships():
    # Townships as a place level above villages, for a county's instance. A village or user of
    # no township (every row at the upgrade) belongs to the instance's own township.
    _script("""
CREATE TABLE "township" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, "name" VARCHAR(64) NOT NULL, "sort_order" INTEGER NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "township_code" ON "township" ("code");
ALTER TABLE "village" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "village_township_id" ON "village" ("township_id");
ALTER TABLE "app_user" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "app_user_township_id" ON "app_user" ("township_id");
""")


@step(26)
def county_loads():
    # A county's record of each township database loaded into it (flask county-load).
    _script("""
CREATE TABLE "county_load" ("id" INTEGER NOT NULL PRIMARY KEY, "township_id" INTEGER NOT NULL, "file_name" VARCHAR(255) NOT NULL, "sha256" VARCHAR(64) NOT NULL, "schema_version" INTEGER NOT NULL, "counts" TEXT NOT NULL, "row_ids" TEXT NOT NULL, "settings" TEXT NOT NULL, "renamed" TEXT NOT NULL, "loaded_at" DATETIME NOT NULL, "loaded_by" VARCHAR(64) NOT NULL, "replaced_at" DATETIME, FOREIGN KEY ("township_id") REFERENCES "township" ("id") ON DELETE RESTRICT);
CREATE INDEX "county_load_township_id" ON "county_load" ("township_id");
""")


@step(27)
def township_of_settings_helpers_orgs():
    # On a county's instance a setting may hold one township's own value (township_id; NULL:
    # the instance-wide value), and helpers and organisations of no village belong to a
    # township (NULL on a township's own instance).
    _script("""
ALTER TABLE "setting" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "setting_township_id_key_valid_from" ON "setting" ("township_id", "key", "valid_from");
ALTER TABLE "helper" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "helper_township_id" ON "helper" ("township_id");
ALTER TABLE "organisation" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "organisation_township_id" ON "organisation" ("township_id");
""")


@step(28)
def month_rates_per_place():
    # Closed months' trend rates kept per place: the instance's (both NULL, as before), each
    # township's on a county instance (township_id) and each village's (village_id). One row
    # per month and place: NULLs never compare equal in a unique index, so it is over
    # COALESCE(…, 0) (ids start at 1). Plain ids, no foreign keys: derived figures, dropped
    # when a county load replaces the places they were counted for. PostgreSQL: step 24 made
    # the rates REAL (4 bytes: 2/3 read back as 0.6666667, not the rate counted anew); they
    # become DOUBLE PRECISION and the rows kept so far are dropped (the job counts them again).
    _script(
        """
ALTER TABLE "month_rates" ADD COLUMN "township_id" INTEGER;
ALTER TABLE "month_rates" ADD COLUMN "village_id" INTEGER;
DROP INDEX "month_rates_month";
CREATE UNIQUE INDEX "month_rates_month_place" ON "month_rates" ("month", COALESCE("township_id", 0), COALESCE("village_id", 0));
""",
        postgres="""
DELETE FROM "month_rates";
ALTER TABLE "month_rates" ALTER COLUMN "pairing" TYPE DOUBLE PRECISION, ALTER COLUMN "signing" TYPE DOUBLE PRECISION, ALTER COLUMN "within" TYPE DOUBLE PRECISION, ALTER COLUMN "closed30" TYPE DOUBLE PRECISION;
ALTER TABLE "month_rates" ADD COLUMN "township_id" INTEGER;
ALTER TABLE "month_rates" ADD COLUMN "village_id" INTEGER;
DROP INDEX "month_rates_month";
CREATE UNIQUE INDEX "month_rates_month_place" ON "month_rates" ("month", COALESCE("township_id", 0), COALESCE("village_id", 0));
""",
    )


@step(29)
def township_of_crosschecks():
    # On a county's instance a cross-check and each of its findings belong to a township: the
    # uploader's (his village's, or his own as a township user), a finding the matched person's
    # village's; NULL on a township's own instance. A township-wide upload (no village) and its
    # roster lines matched to nobody are then seen by that township's users only.
    _script("""
ALTER TABLE "crosscheck" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "crosscheck_township_id" ON "crosscheck" ("township_id");
ALTER TABLE "crosscheck_row" ADD COLUMN "township_id" INTEGER REFERENCES "township" ("id") ON DELETE RESTRICT;
CREATE INDEX "crosscheck_row_township_id" ON "crosscheck_row" ("township_id");
UPDATE "crosscheck" SET "township_id" = COALESCE((SELECT "v"."township_id" FROM "village" AS "v" WHERE "v"."id" = "crosscheck"."village_id"), (SELECT "u"."township_id" FROM "app_user" AS "u" WHERE "u"."id" = "crosscheck"."created_by"), (SELECT "v"."township_id" FROM "app_user" AS "u" JOIN "village" AS "v" ON "v"."id" = "u"."village_id" WHERE "u"."id" = "crosscheck"."created_by"));
UPDATE "crosscheck_row" SET "township_id" = COALESCE((SELECT "v"."township_id" FROM "village" AS "v" WHERE "v"."id" = "crosscheck_row"."village_id"), (SELECT "c"."township_id" FROM "crosscheck" AS "c" WHERE "c"."id" = "crosscheck_row"."crosscheck_id"))
""")


@step(30)
def visit_state_duty_dates():
    # Each person's last day of each role's duty, kept on the visit state so a cadre's 一登门
    # list and a grid worker's 一敲门 list read the population alone, never its visits: the last
    # non-voided 上门 visit, and the last non-voided visit of any method or check-in. Backfilled
    # set-based from one pass over the visits (grouped per person) and one over the check-ins.
    _script("""
ALTER TABLE "visit_state" ADD COLUMN "last_door_on" DATE;
ALTER TABLE "visit_state" ADD COLUMN "last_contact_on" DATE;
UPDATE "visit_state" SET "last_door_on" = d."door", "last_contact_on" = d."seen" FROM (SELECT vp."person_id" AS "person_id", MAX(CASE WHEN v."method" = '上门' THEN v."visited_on" END) AS "door", MAX(v."visited_on") AS "seen" FROM "visit_person" vp JOIN "visit" v ON v."id" = vp."visit_id" WHERE v."voided_at" IS NULL GROUP BY vp."person_id") AS d WHERE d."person_id" = "visit_state"."person_id";
UPDATE "visit_state" SET "last_contact_on" = c."on" FROM (SELECT "person_id", MAX("on") AS "on" FROM "checkin" WHERE "voided_at" IS NULL GROUP BY "person_id") AS c WHERE c."person_id" = "visit_state"."person_id" AND ("visit_state"."last_contact_on" IS NULL OR "visit_state"."last_contact_on" < c."on");
""")
