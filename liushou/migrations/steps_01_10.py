# ruff: noqa: E501 - released steps are frozen SQL, one statement per line
"""Steps 1–10: places and accounts, the audit log, helpers, the registry, pairing and visits,
care records, benefits and activities, voiding."""

from .base import _PG_REFUSE, _script, step


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
