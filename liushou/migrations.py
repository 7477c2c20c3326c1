# ruff: noqa: E501 - released steps are frozen SQL, one statement per line
"""Numbered schema migrations, tracked in PRAGMA user_version (SQLite) or the one-row table
schema_version (PostgreSQL).

Each step is frozen SQL: never edit a released step, add a new one. A step runs in one transaction
together with the version bump, so a crash leaves the database at the previous version.

A step's SQL is written for SQLite; `_script(sqlite, postgres=...)` gives PostgreSQL its own text
where they differ (triggers, date and JSON functions). Left out, PostgreSQL runs the SQLite text
through `pg_types` (serial ids, TIMESTAMP, BOOLEAN flags): that translation is frozen like the steps.
"""

import re

from .db import database

STEPS = {}


def step(number):
    """Register a migration function under its number."""

    def wrap(fn):
        assert number not in STEPS, f"migration step {number} defined twice"
        STEPS[number] = fn
        return fn

    return wrap


# Columns that are BooleanField in the models: INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL.
# Frozen: a new flag column in a later step writes its own PostgreSQL DDL.
PG_BOOLEAN_COLUMNS = (
    "active|must_change_password|dibao|tekun|monitored|attended|primary|overridden|boarding|"
    "carer_capable|children_away|needs_review"
)
_PG_RULES = (
    (re.compile(r'"id" INTEGER NOT NULL PRIMARY KEY'), '"id" SERIAL NOT NULL PRIMARY KEY'),
    (re.compile(r"\bDATETIME\b"), "TIMESTAMP"),
    (
        re.compile(rf'"({PG_BOOLEAN_COLUMNS})" INTEGER( NOT NULL)? DEFAULT 0'),
        r'"\1" BOOLEAN\2 DEFAULT FALSE',
    ),
    (re.compile(rf'"({PG_BOOLEAN_COLUMNS})" INTEGER'), r'"\1" BOOLEAN'),
    # Pinyin is searched by prefix ranges (>= low AND < high): byte order keeps the index usable.
    (
        re.compile(r'"(name_initials|name_pinyin)" VARCHAR\((\d+)\)'),
        r'"\1" VARCHAR(\2) COLLATE "C"',
    ),
    # A CHECK that counts the columns set: booleans are not numbers on PostgreSQL.
    (re.compile(r'\(("\w+") IS NOT NULL\)(?= \+|\) = 1)'), r"(\1 IS NOT NULL)::int"),
)


def pg_types(sql):
    """The PostgreSQL form of a step's SQLite DDL (types only; frozen)."""
    for pattern, replacement in _PG_RULES:
        sql = pattern.sub(replacement, sql)
    return sql


def _script(sql, postgres=None):
    if database.is_postgres:  # psycopg reads % as a placeholder even without parameters
        sql = (pg_types(sql) if postgres is None else postgres).replace("%", "%%")
    for statement in sql.split(";\n"):
        if statement.strip():
            database.execute_sql(statement)


@step(1)
def places_and_accounts():
    _script("""
CREATE TABLE "village" ("id" INTEGER NOT NULL PRIMARY KEY, "code" VARCHAR(32) NOT NULL, "name" VARCHAR(64) NOT NULL, "kind" VARCHAR(8) NOT NULL, "sort_order" INTEGER NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL);
CREATE UNIQUE INDEX "village_code" ON "village" ("code");
CREATE TABLE "grid" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER NOT NULL, "code" VARCHAR(32) NOT NULL, "name" VARCHAR(64) NOT NULL, "sort_order" INTEGER NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT);
CREATE INDEX "grid_village_id" ON "grid" ("village_id");
CREATE UNIQUE INDEX "grid_code" ON "grid" ("code");
CREATE TABLE "app_user" ("id" INTEGER NOT NULL PRIMARY KEY, "username" VARCHAR(64) NOT NULL, "display_name" VARCHAR(64) NOT NULL, "role" VARCHAR(16) NOT NULL, "village_id" INTEGER, "phone" VARCHAR(32) NOT NULL, "password_hash" VARCHAR(256) NOT NULL, "active" INTEGER NOT NULL, "failed_logins" INTEGER NOT NULL, "locked_until" DATETIME, "last_login_at" DATETIME, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT);
CREATE UNIQUE INDEX "app_user_username" ON "app_user" ("username");
CREATE INDEX "app_user_village_id" ON "app_user" ("village_id");
CREATE TABLE "user_grid" ("id" INTEGER NOT NULL PRIMARY KEY, "user_id" INTEGER NOT NULL, "grid_id" INTEGER NOT NULL, FOREIGN KEY ("user_id") REFERENCES "app_user" ("id") ON DELETE CASCADE, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT);
CREATE INDEX "user_grid_user_id" ON "user_grid" ("user_id");
CREATE INDEX "user_grid_grid_id" ON "user_grid" ("grid_id");
CREATE UNIQUE INDEX "user_grid_user_id_grid_id" ON "user_grid" ("user_id", "grid_id");
CREATE TABLE "setting" ("id" INTEGER NOT NULL PRIMARY KEY, "key" VARCHAR(64) NOT NULL, "value" TEXT NOT NULL, "valid_from" DATE NOT NULL, "created_at" DATETIME NOT NULL, "created_by" INTEGER);
CREATE INDEX "setting_key_valid_from" ON "setting" ("key", "valid_from");
""")


# PostgreSQL: a trigger function that refuses the change with its argument as the message; as
# an integrity error (restrict_violation), like SQLite's RAISE(ABORT) in a trigger.
_PG_REFUSE = """
CREATE FUNCTION "refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$;
"""


@step(2)
def audit_log():
    # Append-only: updates are refused, deletes only for rows past the 180-day retention.
    _script("""
CREATE TABLE "audit_log" ("id" INTEGER NOT NULL PRIMARY KEY, "at" DATETIME NOT NULL, "user_id" INTEGER, "username" VARCHAR(64) NOT NULL, "ip" VARCHAR(64) NOT NULL, "action" VARCHAR(16) NOT NULL, "object_type" VARCHAR(32) NOT NULL, "object_id" INTEGER, "object_label" VARCHAR(128) NOT NULL, "changes" TEXT NOT NULL);
CREATE INDEX "audit_log_at" ON "audit_log" ("at");
CREATE INDEX "audit_log_user_id" ON "audit_log" ("user_id");
CREATE INDEX "audit_log_action" ON "audit_log" ("action");
CREATE INDEX "audit_log_object_type_object_id" ON "audit_log" ("object_type", "object_id");
""")
    _script(
        """
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log"
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER "audit_log_keep_180_days" BEFORE DELETE ON "audit_log"
WHEN old."at" > datetime('now', 'localtime', '-180 days')
BEGIN SELECT RAISE(ABORT, 'audit_log rows are kept 180 days'); END;
""",
        postgres=_PG_REFUSE
        + """
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION "refuse_change"('audit_log is append-only');
CREATE TRIGGER "audit_log_keep_180_days" BEFORE DELETE ON "audit_log" FOR EACH ROW WHEN (OLD."at" > localtimestamp - interval '180 days') EXECUTE FUNCTION "refuse_change"('audit_log rows are kept 180 days');
""",
    )


@step(3)
def helpers():
    _script("""
CREATE TABLE "helper" ("id" INTEGER NOT NULL PRIMARY KEY, "name" VARCHAR(64) NOT NULL, "kind" VARCHAR(16) NOT NULL, "unit" VARCHAR(64) NOT NULL, "position" VARCHAR(64) NOT NULL, "phone" VARCHAR(32) NOT NULL, "village_id" INTEGER, "user_id" INTEGER, "active" INTEGER NOT NULL, "notes" TEXT NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("user_id") REFERENCES "app_user" ("id") ON DELETE SET NULL);
CREATE INDEX "helper_village_id" ON "helper" ("village_id");
CREATE INDEX "helper_user_id" ON "helper" ("user_id");
CREATE TABLE "helper_area" ("id" INTEGER NOT NULL PRIMARY KEY, "helper_id" INTEGER NOT NULL, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE CASCADE, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT);
CREATE INDEX "helper_area_helper_id" ON "helper_area" ("helper_id");
CREATE INDEX "helper_area_village_id" ON "helper_area" ("village_id");
CREATE INDEX "helper_area_grid_id" ON "helper_area" ("grid_id");
CREATE UNIQUE INDEX "helper_area_helper_id_village_id_grid_id" ON "helper_area" ("helper_id", "village_id", "grid_id");
CREATE TABLE "village_post" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER NOT NULL, "post" VARCHAR(16) NOT NULL, "helper_id" INTEGER NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT);
CREATE INDEX "village_post_village_id" ON "village_post" ("village_id");
CREATE INDEX "village_post_helper_id" ON "village_post" ("helper_id");
CREATE UNIQUE INDEX "village_post_village_id_post" ON "village_post" ("village_id", "post");
""")


@step(4)
def registry():
    _script("""
CREATE TABLE "household" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, "address" VARCHAR(128) NOT NULL, "head_name" VARCHAR(64) NOT NULL, "phone" VARCHAR(32) NOT NULL, "phone2" VARCHAR(32) NOT NULL, "economic_sources" VARCHAR(200) NOT NULL, "dibao" INTEGER NOT NULL, "dibao_since" DATE, "tekun" INTEGER NOT NULL, "tekun_since" DATE, "monitored" INTEGER NOT NULL, "monitored_since" DATE, "notes" TEXT NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT);
CREATE INDEX "household_village_id" ON "household" ("village_id");
CREATE INDEX "household_grid_id" ON "household" ("grid_id");
CREATE TABLE "family_away" ("id" INTEGER NOT NULL PRIMARY KEY, "household_id" INTEGER NOT NULL, "name" VARCHAR(64) NOT NULL, "relation" VARCHAR(16) NOT NULL, "province" VARCHAR(32) NOT NULL, "city" VARCHAR(32) NOT NULL, "phone" VARCHAR(32) NOT NULL, "away_since" DATE, "expected_return" VARCHAR(32) NOT NULL, "returned_on" DATE, "notes" VARCHAR(200) NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("household_id") REFERENCES "household" ("id") ON DELETE RESTRICT);
CREATE INDEX "family_away_household_id" ON "family_away" ("household_id");
CREATE TABLE "person" ("id" INTEGER NOT NULL PRIMARY KEY, "household_id" INTEGER NOT NULL, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, "name" VARCHAR(64) NOT NULL, "name_initials" VARCHAR(32) NOT NULL, "name_pinyin" VARCHAR(128) NOT NULL, "sex" VARCHAR(2) NOT NULL, "ethnicity" VARCHAR(16) NOT NULL, "id_number" VARCHAR(18), "birth_date" DATE NOT NULL, "phone" VARCHAR(32) NOT NULL, "relation_to_head" VARCHAR(16) NOT NULL, "health" VARCHAR(100) NOT NULL, "disability_kind" VARCHAR(8) NOT NULL, "disability_grade" VARCHAR(8) NOT NULL, "risk_level" VARCHAR(4) NOT NULL, "notes" TEXT NOT NULL, "school" VARCHAR(64) NOT NULL, "grade" VARCHAR(16) NOT NULL, "boarding" INTEGER NOT NULL, "father_status" VARCHAR(8) NOT NULL, "mother_status" VARCHAR(8) NOT NULL, "difficulty_kinds" VARCHAR(100) NOT NULL, "carer_name" VARCHAR(64) NOT NULL, "carer_relation" VARCHAR(16) NOT NULL, "carer_phone" VARCHAR(32) NOT NULL, "carer_id_number" VARCHAR(18) NOT NULL, "carer_address" VARCHAR(128) NOT NULL, "carer_capable" INTEGER, "carer_disqualifiers" VARCHAR(200) NOT NULL, "agreement_signed_on" DATE, "husband_away_since" DATE, "training_need" VARCHAR(100) NOT NULL, "employment_need" VARCHAR(100) NOT NULL, "living_arrangement" VARCHAR(8) NOT NULL, "self_care" VARCHAR(4) NOT NULL, "chronic_illnesses" VARCHAR(100) NOT NULL, "children_away" INTEGER NOT NULL, "children_away_since" DATE, "supporters" VARCHAR(200) NOT NULL, "groups" VARCHAR(64) NOT NULL, "group_reasons" TEXT NOT NULL, "needs_review" INTEGER NOT NULL, "review_note" VARCHAR(200) NOT NULL, "exited_on" DATE, "exit_reason" VARCHAR(200) NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, FOREIGN KEY ("household_id") REFERENCES "household" ("id") ON DELETE RESTRICT, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT);
CREATE INDEX "person_household_id" ON "person" ("household_id");
CREATE INDEX "person_village_id" ON "person" ("village_id");
CREATE INDEX "person_grid_id" ON "person" ("grid_id");
CREATE INDEX "person_name_initials" ON "person" ("name_initials");
CREATE INDEX "person_name_pinyin" ON "person" ("name_pinyin");
CREATE UNIQUE INDEX "person_id_number" ON "person" ("id_number");
CREATE INDEX "person_groups" ON "person" ("groups");
CREATE INDEX "person_needs_review" ON "person" ("needs_review");
CREATE INDEX "person_exited_on" ON "person" ("exited_on");
""")


@step(5)
def pairing_and_visits():
    _script("""
CREATE TABLE "pairing" ("id" INTEGER NOT NULL PRIMARY KEY, "helper_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, "primary" INTEGER NOT NULL, "started_on" DATE NOT NULL, "ended_on" DATE, "end_reason" VARCHAR(200) NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "pairing_helper_id" ON "pairing" ("helper_id");
CREATE INDEX "pairing_person_id" ON "pairing" ("person_id");
CREATE INDEX "pairing_person_id_ended_on" ON "pairing" ("person_id", "ended_on");
CREATE INDEX "pairing_helper_id_ended_on" ON "pairing" ("helper_id", "ended_on");
CREATE TABLE "visit" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER NOT NULL, "grid_id" INTEGER, "household_id" INTEGER, "visited_on" DATE NOT NULL, "method" VARCHAR(8) NOT NULL, "life" TEXT NOT NULL, "health" TEXT NOT NULL, "mind" TEXT NOT NULL, "safety" TEXT NOT NULL, "study" TEXT NOT NULL, "needs" TEXT NOT NULL, "next_on" DATE, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("grid_id") REFERENCES "grid" ("id") ON DELETE RESTRICT, FOREIGN KEY ("household_id") REFERENCES "household" ("id") ON DELETE RESTRICT);
CREATE INDEX "visit_village_id" ON "visit" ("village_id");
CREATE INDEX "visit_grid_id" ON "visit" ("grid_id");
CREATE INDEX "visit_household_id" ON "visit" ("household_id");
CREATE INDEX "visit_visited_on" ON "visit" ("visited_on");
CREATE TABLE "visit_person" ("id" INTEGER NOT NULL PRIMARY KEY, "visit_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, FOREIGN KEY ("visit_id") REFERENCES "visit" ("id") ON DELETE CASCADE, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "visit_person_visit_id" ON "visit_person" ("visit_id");
CREATE INDEX "visit_person_person_id" ON "visit_person" ("person_id");
CREATE UNIQUE INDEX "visit_person_visit_id_person_id" ON "visit_person" ("visit_id", "person_id");
CREATE INDEX "visit_person_person_id_visit_id" ON "visit_person" ("person_id", "visit_id");
CREATE TABLE "visit_helper" ("id" INTEGER NOT NULL PRIMARY KEY, "visit_id" INTEGER NOT NULL, "helper_id" INTEGER NOT NULL, FOREIGN KEY ("visit_id") REFERENCES "visit" ("id") ON DELETE CASCADE, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT);
CREATE INDEX "visit_helper_visit_id" ON "visit_helper" ("visit_id");
CREATE INDEX "visit_helper_helper_id" ON "visit_helper" ("helper_id");
CREATE UNIQUE INDEX "visit_helper_visit_id_helper_id" ON "visit_helper" ("visit_id", "helper_id");
CREATE INDEX "visit_helper_helper_id_visit_id" ON "visit_helper" ("helper_id", "visit_id");
CREATE TABLE "visit_state" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "tier" VARCHAR(8) NOT NULL, "tier_reason" VARCHAR(64) NOT NULL, "override" VARCHAR(8) NOT NULL, "override_reason" VARCHAR(200) NOT NULL, "last_visit_on" DATE, "last_summary" TEXT NOT NULL, "due_on" DATE NOT NULL, "refreshed_on" DATE, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "visit_state_person_id" ON "visit_state" ("person_id");
CREATE INDEX "visit_state_due_on" ON "visit_state" ("due_on");
""")


@step(6)
def care_records():
    _script("""
CREATE TABLE "need" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "kind" VARCHAR(8) NOT NULL, "description" TEXT NOT NULL, "raised_on" DATE NOT NULL, "raised_by" VARCHAR(64) NOT NULL, "visit_id" INTEGER, "helper_id" INTEGER, "unit" VARCHAR(64) NOT NULL, "due_on" DATE, "status" VARCHAR(8) NOT NULL, "status_reason" VARCHAR(200) NOT NULL, "closed_on" DATE, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("visit_id") REFERENCES "visit" ("id") ON DELETE RESTRICT, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT);
CREATE INDEX "need_person_id" ON "need" ("person_id");
CREATE INDEX "need_visit_id" ON "need" ("visit_id");
CREATE INDEX "need_helper_id" ON "need" ("helper_id");
CREATE INDEX "need_due_on" ON "need" ("due_on");
CREATE INDEX "need_status" ON "need" ("status");
CREATE TABLE "service" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "need_id" INTEGER, "kind" VARCHAR(8) NOT NULL, "served_on" DATE NOT NULL, "helper_id" INTEGER, "description" TEXT NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT, FOREIGN KEY ("need_id") REFERENCES "need" ("id") ON DELETE RESTRICT, FOREIGN KEY ("helper_id") REFERENCES "helper" ("id") ON DELETE RESTRICT);
CREATE INDEX "service_person_id" ON "service" ("person_id");
CREATE INDEX "service_need_id" ON "service" ("need_id");
CREATE INDEX "service_served_on" ON "service" ("served_on");
CREATE INDEX "service_helper_id" ON "service" ("helper_id");
CREATE TABLE "emergency" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "kind" VARCHAR(8) NOT NULL, "happened_at" DATETIME, "discovered_at" DATETIME NOT NULL, "reported_by" VARCHAR(64) NOT NULL, "description" TEXT NOT NULL, "closed_at" DATETIME, "summary" TEXT NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "emergency_person_id" ON "emergency" ("person_id");
CREATE INDEX "emergency_closed_at" ON "emergency" ("closed_at");
CREATE TABLE "emergency_step" ("id" INTEGER NOT NULL PRIMARY KEY, "emergency_id" INTEGER NOT NULL, "code" VARCHAR(16) NOT NULL, "label" VARCHAR(32) NOT NULL, "due_at" DATETIME NOT NULL, "done_at" DATETIME, "done_by" VARCHAR(64) NOT NULL, "how" VARCHAR(16) NOT NULL, "note" VARCHAR(200) NOT NULL, FOREIGN KEY ("emergency_id") REFERENCES "emergency" ("id") ON DELETE CASCADE);
CREATE INDEX "emergency_step_emergency_id" ON "emergency_step" ("emergency_id");
CREATE INDEX "emergency_step_due_at" ON "emergency_step" ("due_at");
""")


@step(7)
def benefits_health_activities_sites():
    _script("""
CREATE TABLE "benefit" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "kind" VARCHAR(8) NOT NULL, "amount" DECIMAL(10, 2), "period" VARCHAR(8) NOT NULL, "start_on" DATE NOT NULL, "end_on" DATE, "status" VARCHAR(8) NOT NULL, "notes" VARCHAR(200) NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "benefit_person_id" ON "benefit" ("person_id");
CREATE TABLE "checkup" ("id" INTEGER NOT NULL PRIMARY KEY, "person_id" INTEGER NOT NULL, "checked_on" DATE NOT NULL, "checked_by" VARCHAR(64) NOT NULL, "bp_high" INTEGER, "bp_low" INTEGER, "sugar" DECIMAL(5, 1), "weight" DECIMAL(5, 1), "notes" VARCHAR(200) NOT NULL, "activity" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "checkup_person_id" ON "checkup" ("person_id");
CREATE TABLE "site" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER NOT NULL, "kind" VARCHAR(16) NOT NULL, "name" VARCHAR(64) NOT NULL, "address" VARCHAR(128) NOT NULL, "keeper" VARCHAR(64) NOT NULL, "phone" VARCHAR(32) NOT NULL, "hours" VARCHAR(64) NOT NULL, "active" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT);
CREATE INDEX "site_village_id" ON "site" ("village_id");
CREATE TABLE "activity" ("id" INTEGER NOT NULL PRIMARY KEY, "village_id" INTEGER NOT NULL, "site_id" INTEGER, "kind" VARCHAR(16) NOT NULL, "title" VARCHAR(100) NOT NULL, "held_on" DATE NOT NULL, "organiser" VARCHAR(64) NOT NULL, "helpers" VARCHAR(200) NOT NULL, "notes" TEXT NOT NULL, "created_by" INTEGER, "created_at" DATETIME NOT NULL, FOREIGN KEY ("village_id") REFERENCES "village" ("id") ON DELETE RESTRICT, FOREIGN KEY ("site_id") REFERENCES "site" ("id") ON DELETE RESTRICT);
CREATE INDEX "activity_village_id" ON "activity" ("village_id");
CREATE INDEX "activity_site_id" ON "activity" ("site_id");
CREATE INDEX "activity_held_on" ON "activity" ("held_on");
CREATE TABLE "attendance" ("id" INTEGER NOT NULL PRIMARY KEY, "activity_id" INTEGER NOT NULL, "person_id" INTEGER NOT NULL, "attended" INTEGER NOT NULL, FOREIGN KEY ("activity_id") REFERENCES "activity" ("id") ON DELETE CASCADE, FOREIGN KEY ("person_id") REFERENCES "person" ("id") ON DELETE RESTRICT);
CREATE INDEX "attendance_activity_id" ON "attendance" ("activity_id");
CREATE INDEX "attendance_person_id" ON "attendance" ("person_id");
CREATE UNIQUE INDEX "attendance_activity_id_person_id" ON "attendance" ("activity_id", "person_id");
CREATE INDEX "attendance_person_id_activity_id" ON "attendance" ("person_id", "activity_id");
""")


@step(8)
def session_version():
    # Bumped to end every session of a user (logout, password, role or area change, disabling).
    _script("""
ALTER TABLE "app_user" ADD COLUMN "session_version" INTEGER NOT NULL DEFAULT 0;
""")


@step(9)
def voiding():
    # Records are voided (作废) with a reason instead of deleted; an emergency step's corrected
    # time keeps the first one recorded.
    _script("""
ALTER TABLE "visit" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "visit" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "visit" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "service" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "service" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "service" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "need" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "need" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "need" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "emergency" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "emergency" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "emergency" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "benefit" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "benefit" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "benefit" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "checkup" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "checkup" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "checkup" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "site" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "site" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "site" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "activity" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "activity" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "activity" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "attendance" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "attendance" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "attendance" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "pairing" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "pairing" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "pairing" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "family_away" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "family_away" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "family_away" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "household" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "household" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "household" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "person" ADD COLUMN "voided_at" DATETIME;
ALTER TABLE "person" ADD COLUMN "voided_by" INTEGER;
ALTER TABLE "person" ADD COLUMN "void_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "emergency_step" ADD COLUMN "original_done_at" DATETIME;
ALTER TABLE "emergency_step" ADD COLUMN "correction_reason" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "emergency_step" ADD COLUMN "corrected_by" INTEGER;
ALTER TABLE "emergency_step" ADD COLUMN "corrected_at" DATETIME;
""")


@step(10)
def must_change_password():
    # An account created or reset by someone else sets its own password at first login.
    _script("""
ALTER TABLE "app_user" ADD COLUMN "must_change_password" INTEGER NOT NULL DEFAULT 0;
""")


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
    from .services.completeness import backfill

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


LATEST = max(STEPS)


def current_version():
    if database.is_postgres:
        if not database.execute_sql("SELECT to_regclass('schema_version')").fetchone()[0]:
            return 0
        return database.execute_sql('SELECT "version" FROM "schema_version"').fetchone()[0]
    return database.execute_sql("PRAGMA user_version").fetchone()[0]


def _set_version(number):
    if database.is_postgres:
        database.execute_sql(
            'CREATE TABLE IF NOT EXISTS "schema_version" ("version" INTEGER NOT NULL)'
        )
        database.execute_sql('DELETE FROM "schema_version"')
        database.execute_sql('INSERT INTO "schema_version" ("version") VALUES (%s)', (int(number),))
    else:
        database.execute_sql(f"PRAGMA user_version = {int(number)}")


def migrate(target=None):
    """Apply pending steps up to `target` (default: latest); returns the list applied."""
    target = LATEST if target is None else target
    applied = []
    version = current_version()
    if version > LATEST:
        raise RuntimeError(f"数据库版本 {version} 比本程序支持的 {LATEST} 新，请升级程序。")
    for number in range(version + 1, target + 1):
        with database.atomic():
            STEPS[number]()
            _set_version(number)
        applied.append(number)
    return applied
