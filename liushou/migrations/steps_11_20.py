# ruff: noqa: E501 - released steps are frozen SQL, one statement per line
"""Steps 11–20: organisations, family away, emergency calls and suggestions, group events,
check-ins, visit items, attachments, cross-checks, complete records, review items."""

from .base import _script, step


@step(11)
def organisations():
    # Associations and teams; a member is a registered person, a family member working away or
    # a helper, exactly one of them. An activity may be organised by one.
    _script("""
CREATE TABLE "organisation" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER, "kind" VARCHAR(16) NOT NULL, "name" VARCHAR(64) NOT NULL, "phone" VARCHAR(32) NOT NULL, "founded_on" DATE, "notes" TEXT NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT);
CREATE INDEX "organisation_village_id" ON "organisation" ("village_id");
CREATE TABLE "org_member" ("id" INTEGER NOT NULL PRIMARY KEY, "organisation_id" INTEGER NOT NULL, "person_id" INTEGER, "away_id" INTEGER, "helper_id" INTEGER, "role" VARCHAR(8) NOT NULL, "phone" VARCHAR(32) NOT NULL, "joined_on" DATE NOT NULL, "left_on" DATE, "left_reason" VARCHAR(200) NOT NULL, "notes" VARCHAR(200) NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE RESTRICT, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("away_id") REFERENCES "family_away" ("id") ON DELETE RESTRICT, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT, CHECK ((("person_id" IS NOT NULL) + ("away_id" IS NOT NULL) + ("helper_id" IS NOT NULL)) = 1));
CREATE INDEX "org_member_organisation_id" ON "org_member" ("organisation_id");
CREATE INDEX "org_member_person_id" ON "org_member" ("person_id");
CREATE INDEX "org_member_away_id" ON "org_member" ("away_id");
CREATE INDEX "org_member_helper_id" ON "org_member" ("helper_id");
ALTER TABLE "activity" ADD COLUMN "organisation_id" INTEGER REFERENCES "organisation" ("id") ON DELETE RESTRICT;
CREATE INDEX "activity_organisation_id" ON "activity" ("organisation_id");
""")


@step(12)
def family_away_death():
    # A family member away may die there: the row ends by death, not by a return.
    _script("""
ALTER TABLE "family_away" ADD COLUMN "died_on" DATE;
""")


@step(13)
def emergency_calls_and_suggestions():
    # The emergency's call list: each call stamped (已拨打), kept, voidable. A 困境儿童
    # suggestion a cadre dismissed, with the reason; kept, voidable.
    _script("""
CREATE TABLE "emergency_call" ("id" INTEGER NOT NULL PRIMARY KEY, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', "emergency_id" INTEGER NOT NULL, "target" VARCHAR(32) NOT NULL, "label" VARCHAR(32) NOT NULL, "name" VARCHAR(64) NOT NULL, "phone" VARCHAR(32) NOT NULL, "called_at" DATETIME NOT NULL, "called_by" VARCHAR(64) NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("emergency_id") REFERENCES "emergency" ("id") ON DELETE RESTRICT);
CREATE INDEX "emergency_call_emergency_id" ON "emergency_call" ("emergency_id");
CREATE TABLE "suggestion_dismissal" ("id" INTEGER NOT NULL PRIMARY KEY, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', "person_id" INTEGER NOT NULL, "reasons" VARCHAR(200) NOT NULL, "reason" VARCHAR(200) NOT NULL, "dismissed_by" VARCHAR(64) NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "suggestion_dismissal_person_id" ON "suggestion_dismissal" ("person_id");
""")


@step(14)
def group_events():
    # The dated history of group membership (append-only). Backfilled from the state at the
    # upgrade: in on the registration day for the current groups; for an exited person the
    # groups his last exit took away (its audit row), out on the exit date; for a voided person
    # out when voided. History before the upgrade is approximate.
    _script("""
CREATE TABLE "group_event" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, "group_name" VARCHAR(8) NOT NULL, "on" DATE NOT NULL, "event" VARCHAR(3) NOT NULL, "reason" VARCHAR(16) NOT NULL, "exit_reason" VARCHAR(200) NOT NULL, "recorded_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT);
CREATE INDEX "group_event_person_id_group_name_on" ON "group_event" ("person_id", "group_name", "on");
CREATE INDEX "group_event_group_name_on" ON "group_event" ("group_name", "on");
""")
    _script(
        """
CREATE TRIGGER "group_event_no_update" BEFORE UPDATE ON "group_event"
BEGIN SELECT RAISE(ABORT, 'group_event is append-only'); END;
CREATE TRIGGER "group_event_no_delete" BEFORE DELETE ON "group_event"
BEGIN SELECT RAISE(ABORT, 'group_event is append-only'); END;
""",
        postgres="""
CREATE TRIGGER "group_event_no_update" BEFORE UPDATE ON "group_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('group_event is append-only');
CREATE TRIGGER "group_event_no_delete" BEFORE DELETE ON "group_event" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('group_event is append-only');
""",
    )
    _script(
        """
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") WITH "g"("name") AS (VALUES ('留守儿童'), ('困境儿童'), ('留守妇女'), ('留守老人')) SELECT p."id", p."village_id", p."grid_id", g."name", date(p."created_at"), 'in', 'registered', '', p."created_at" FROM "person" p JOIN "g" ON instr(',' || p."groups" || ',', ',' || g."name" || ',') > 0 ORDER BY p."id";
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") WITH "g"("name") AS (VALUES ('留守儿童'), ('困境儿童'), ('留守妇女'), ('留守老人')), "x" AS (SELECT a."object_id" AS "pid", a."at" AS "at", json_extract(c."value", '$[1]') AS "old" FROM "audit_log" a, json_each(a."changes") c WHERE a."object_type" = 'person' AND a."action" = 'exit' AND json_valid(a."changes") AND json_extract(c."value", '$[0]') = 'groups' AND a."id" = (SELECT max(b."id") FROM "audit_log" b WHERE b."object_type" = 'person' AND b."object_id" = a."object_id" AND b."action" = 'exit')) SELECT p."id", p."village_id", p."grid_id", g."name", date(p."created_at"), 'in', 'registered', '', p."created_at" FROM "person" p JOIN "x" ON x."pid" = p."id" JOIN "g" ON instr(',' || x."old" || ',', ',' || g."name" || ',') > 0 WHERE p."exited_on" IS NOT NULL ORDER BY p."id";
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") WITH "x" AS (SELECT a."object_id" AS "pid", max(a."at") AS "at" FROM "audit_log" a WHERE a."object_type" = 'person' AND a."action" = 'exit' GROUP BY a."object_id") SELECT e."person_id", e."village_id", e."grid_id", e."group_name", max(p."exited_on", e."on"), 'out', CASE WHEN p."exit_reason" = '死亡' THEN 'death' ELSE 'exit' END, p."exit_reason", coalesce(x."at", p."updated_at") FROM "group_event" e JOIN "person" p ON p."id" = e."person_id" LEFT JOIN "x" ON x."pid" = p."id" WHERE p."exited_on" IS NOT NULL ORDER BY e."id";
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") SELECT e."person_id", e."village_id", e."grid_id", e."group_name", max(date(p."voided_at"), e."on"), 'out', 'voided', '', p."voided_at" FROM "group_event" e JOIN "person" p ON p."id" = e."person_id" WHERE p."voided_at" IS NOT NULL AND p."exited_on" IS NULL ORDER BY e."id";
""",
        postgres="""
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") WITH "g"("name") AS (VALUES ('留守儿童'), ('困境儿童'), ('留守妇女'), ('留守老人')) SELECT p."id", p."village_id", p."grid_id", g."name", p."created_at"::date, 'in', 'registered', '', p."created_at" FROM "person" p JOIN "g" ON strpos(',' || p."groups" || ',', ',' || g."name" || ',') > 0 ORDER BY p."id";
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") WITH "g"("name") AS (VALUES ('留守儿童'), ('困境儿童'), ('留守妇女'), ('留守老人')), "x" AS (SELECT a."object_id" AS "pid", a."at" AS "at", c."value" ->> 1 AS "old" FROM "audit_log" a, jsonb_array_elements(CASE WHEN a."changes" LIKE '[%' THEN a."changes"::jsonb ELSE '[]'::jsonb END) c("value") WHERE a."object_type" = 'person' AND a."action" = 'exit' AND c."value" ->> 0 = 'groups' AND a."id" = (SELECT max(b."id") FROM "audit_log" b WHERE b."object_type" = 'person' AND b."object_id" = a."object_id" AND b."action" = 'exit')) SELECT p."id", p."village_id", p."grid_id", g."name", p."created_at"::date, 'in', 'registered', '', p."created_at" FROM "person" p JOIN "x" ON x."pid" = p."id" JOIN "g" ON strpos(',' || x."old" || ',', ',' || g."name" || ',') > 0 WHERE p."exited_on" IS NOT NULL ORDER BY p."id";
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") WITH "x" AS (SELECT a."object_id" AS "pid", max(a."at") AS "at" FROM "audit_log" a WHERE a."object_type" = 'person' AND a."action" = 'exit' GROUP BY a."object_id") SELECT e."person_id", e."village_id", e."grid_id", e."group_name", greatest(p."exited_on", e."on"), 'out', CASE WHEN p."exit_reason" = '死亡' THEN 'death' ELSE 'exit' END, p."exit_reason", coalesce(x."at", p."updated_at") FROM "group_event" e JOIN "person" p ON p."id" = e."person_id" LEFT JOIN "x" ON x."pid" = p."id" WHERE p."exited_on" IS NOT NULL ORDER BY e."id";
INSERT INTO "group_event" ("person_id", "village_id", "grid_id", "group_name", "on", "event", "reason", "exit_reason", "recorded_at") SELECT e."person_id", e."village_id", e."grid_id", e."group_name", greatest(p."voided_at"::date, e."on"), 'out', 'voided', '', p."voided_at" FROM "group_event" e JOIN "person" p ON p."id" = e."person_id" WHERE p."voided_at" IS NOT NULL AND p."exited_on" IS NULL ORDER BY e."id";
""",
    )


@step(15)
def checkins():
    # A light 一敲门 check-in ("平安"): who, when, how; voided like visits.
    _script("""
CREATE TABLE "checkin" ("id" INTEGER NOT NULL PRIMARY KEY, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', "person_id" INTEGER NOT NULL, "helper_id" INTEGER, "at" DATETIME NOT NULL, "on" DATE NOT NULL, "method" VARCHAR(8) NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT);
CREATE INDEX "checkin_person_id" ON "checkin" ("person_id");
CREATE INDEX "checkin_helper_id" ON "checkin" ("helper_id");
CREATE INDEX "checkin_on" ON "checkin" ("on");
CREATE INDEX "checkin_person_id_on" ON "checkin" ("person_id", "on");
""")


@step(16)
def visit_items():
    # The items a visit asked about each person seen (JSON), kept as recorded.
    _script("""
ALTER TABLE "visit_person" ADD COLUMN "items" TEXT NOT NULL DEFAULT '';
""")


@step(17)
def attachments():
    # Photos and scanned papers (留痕) of a person, his agreement, a visit, an activity or an
    # emergency. The owner is (kind, id); the file itself lives under instance/files by its
    # content hash and is never deleted: a row is voided with its reason.
    _script("""
CREATE TABLE "attachment" ("id" INTEGER NOT NULL PRIMARY KEY, "owner_kind" VARCHAR(16) NOT NULL, "owner_id" INTEGER NOT NULL, "sha256" VARCHAR(64) NOT NULL, "thumb_sha256" VARCHAR(64) NOT NULL, "kind" VARCHAR(8) NOT NULL, "original_name" VARCHAR(100) NOT NULL, "size" INTEGER NOT NULL, "width" INTEGER, "height" INTEGER, "caption" VARCHAR(200) NOT NULL, "uploaded_by" INTEGER, "uploaded_at" DATETIME NOT NULL, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '');
CREATE INDEX "attachment_owner" ON "attachment" ("owner_kind", "owner_id");
CREATE INDEX "attachment_sha256" ON "attachment" ("sha256");
""")


@step(18)
def crosschecks():
    # Cross-checks (比对核实): an uploaded roster's comparison with the register, kept, each
    # finding with what was done about it (applied, or dismissed with a reason); voided, never
    # deleted.
    _script("""
CREATE TABLE "crosscheck" ("id" INTEGER NOT NULL PRIMARY KEY, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', "kind" VARCHAR(16) NOT NULL, "filename" VARCHAR(100) NOT NULL, "school_name" VARCHAR(64) NOT NULL, "village_id" INTEGER, "lines" INTEGER NOT NULL, "created_by" INTEGER, "created_by_name" VARCHAR(64) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT);
CREATE INDEX "crosscheck_village_id" ON "crosscheck" ("village_id");
CREATE TABLE "crosscheck_row" ("id" INTEGER NOT NULL PRIMARY KEY, "voided_at" DATETIME, "voided_by" INTEGER, "void_reason" VARCHAR(200) NOT NULL DEFAULT '', "crosscheck_id" INTEGER NOT NULL, "village_id" INTEGER, "grid_id" INTEGER, "category" VARCHAR(1) NOT NULL, "line_no" INTEGER, "name" VARCHAR(64) NOT NULL, "id_number" VARCHAR(18) NOT NULL, "birth_date" DATE, "person_id" INTEGER, "household_id" INTEGER, "field" VARCHAR(16) NOT NULL, "old_value" VARCHAR(100) NOT NULL, "new_value" VARCHAR(100) NOT NULL, "note" VARCHAR(200) NOT NULL, "values" TEXT NOT NULL, "status" VARCHAR(10) NOT NULL, "decided_by" INTEGER, "decided_by_name" VARCHAR(64) NOT NULL, "decided_at" DATETIME, "reason" VARCHAR(200) NOT NULL, FOREIGN KEY ("crosscheck_id") REFERENCES "crosscheck" ("id") ON DELETE RESTRICT, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("household_id") REFERENCES "household" ("id") ON DELETE RESTRICT);
CREATE INDEX "crosscheck_row_crosscheck_id" ON "crosscheck_row" ("crosscheck_id");
CREATE INDEX "crosscheck_row_village_id" ON "crosscheck_row" ("village_id");
CREATE INDEX "crosscheck_row_grid_id" ON "crosscheck_row" ("grid_id");
CREATE INDEX "crosscheck_row_person_id" ON "crosscheck_row" ("person_id");
CREATE INDEX "crosscheck_row_household_id" ON "crosscheck_row" ("household_id");
CREATE INDEX "crosscheck_row_status" ON "crosscheck_row" ("status");
CREATE INDEX "crosscheck_row_crosscheck_id_category" ON "crosscheck_row" ("crosscheck_id", "category");
""")


@step(19)
def complete_records():
    # The national form's convenient contact (方便联系人) and collector (采集人: who entered the
    # record, who checked it and when), a family member's ID number, and each person's
    # completeness score (derived state, kept with every change), backfilled here.
    _script("""
ALTER TABLE "person" ADD COLUMN "contact_name" VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE "person" ADD COLUMN "contact_relation" VARCHAR(16) NOT NULL DEFAULT '';
ALTER TABLE "person" ADD COLUMN "contact_phone" VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE "person" ADD COLUMN "collected_by" INTEGER;
ALTER TABLE "person" ADD COLUMN "checked_by" INTEGER;
ALTER TABLE "person" ADD COLUMN "checked_on" DATE;
ALTER TABLE "person" ADD COLUMN "completeness" INTEGER;
CREATE INDEX "person_completeness" ON "person" ("completeness");
ALTER TABLE "family_away" ADD COLUMN "id_number" VARCHAR(18) NOT NULL DEFAULT '';
UPDATE "person" SET "collected_by" = (SELECT a."user_id" FROM "audit_log" a WHERE a."object_type" = 'person' AND a."object_id" = "person"."id" AND a."action" = 'create' ORDER BY a."id" LIMIT 1);
""")
    from ..services.completeness import backfill

    backfill()


@step(20)
def review_items():
    # 审核报送: a village or grid user's registration, exit, re-entry or category-changing edit
    # waits here as a proposal (not applied) until a township user approves or returns it.
    _script("""
CREATE TABLE "review_item" ("id" INTEGER NOT NULL PRIMARY KEY, "kind" VARCHAR(16) NOT NULL, "person_id" INTEGER, "household_id" INTEGER NOT NULL, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, "author_id" INTEGER NOT NULL, "submitted_at" DATETIME NOT NULL, "payload" TEXT NOT NULL, "groups_before" VARCHAR(64) NOT NULL, "groups_after" VARCHAR(64) NOT NULL, "label" VARCHAR(64) NOT NULL, "status" VARCHAR(8) NOT NULL, "reviewer_id" INTEGER, "decided_at" DATETIME, "reason" VARCHAR(200) NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("household_id") REFERENCES "household" ("id") ON DELETE RESTRICT, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT, FOREIGN KEY ("author_id") REFERENCES "app_user" ("id") ON DELETE RESTRICT, FOREIGN KEY ("reviewer_id") REFERENCES "app_user" ("id") ON DELETE RESTRICT);
CREATE INDEX "review_item_person_id" ON "review_item" ("person_id");
CREATE INDEX "review_item_household_id" ON "review_item" ("household_id");
CREATE INDEX "review_item_village_id" ON "review_item" ("village_id");
CREATE INDEX "review_item_grid_id" ON "review_item" ("grid_id");
CREATE INDEX "review_item_author_id" ON "review_item" ("author_id");
CREATE INDEX "review_item_status" ON "review_item" ("status");
CREATE INDEX "review_item_reviewer_id" ON "review_item" ("reviewer_id");
""")
