"""Numbered schema migrations, tracked in PRAGMA user_version.

Each step is frozen SQL: never edit a released step, add a new one. A step runs in one transaction
together with the user_version bump, so a crash leaves the database at the previous version.
"""
from .db import database

STEPS = {}


def step(number):
    """Register a migration function under its number."""
    def wrap(fn):
        assert number not in STEPS, f"migration step {number} defined twice"
        STEPS[number] = fn
        return fn
    return wrap


def _script(sql):
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


@step(2)
def audit_log():
    # Append-only: updates are refused, deletes only for rows past the 180-day retention.
    _script("""
CREATE TABLE "audit_log" ("id" INTEGER NOT NULL PRIMARY KEY, "at" DATETIME NOT NULL, "user_id" INTEGER, "username" VARCHAR(64) NOT NULL, "ip" VARCHAR(64) NOT NULL, "action" VARCHAR(16) NOT NULL, "object_type" VARCHAR(32) NOT NULL, "object_id" INTEGER, "object_label" VARCHAR(128) NOT NULL, "changes" TEXT NOT NULL);
CREATE INDEX "audit_log_at" ON "audit_log" ("at");
CREATE INDEX "audit_log_user_id" ON "audit_log" ("user_id");
CREATE INDEX "audit_log_action" ON "audit_log" ("action");
CREATE INDEX "audit_log_object_type_object_id" ON "audit_log" ("object_type", "object_id");
CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log"
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER "audit_log_keep_180_days" BEFORE DELETE ON "audit_log"
WHEN old."at" > datetime('now', 'localtime', '-180 days')
BEGIN SELECT RAISE(ABORT, 'audit_log rows are kept 180 days'); END;
""")


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


LATEST = max(STEPS)


def current_version():
    return database.execute_sql("PRAGMA user_version").fetchone()[0]


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
            database.execute_sql(f"PRAGMA user_version = {int(number)}")
        applied.append(number)
    return applied
