"""Passwords and logins: hashing, one-time passwords for printed slips, logging in with
lockout, changing, resetting and unlocking, ending a user's sessions."""

import secrets
from datetime import timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..db import database
from ..models import User
from ..models.accounts import HELPER_ROLES
from ..models.helpers import Helper
from ..rules.text import clean, password_problem
from . import Actor, ValidationError
from .audit import record

# scrypt by default; tests lower the cost through this name.
HASH_METHOD = "scrypt"

# A hash to compare against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = generate_password_hash("not-a-real-password-1")


def hash_password(password):
    """The stored hash of a password (with HASH_METHOD as it is when called)."""
    return generate_password_hash(password, method=HASH_METHOD)


# Letters and digits that cannot be mistaken for each other on a printed slip (no 0 O 1 l I).
_SLIP_LETTERS = "abcdefghjkmnpqrstuvwxyz"
_SLIP_DIGITS = "23456789"


def one_time_password():
    """A password for a printed slip: 10 characters, letters and digits, easy to type."""
    while True:
        text = "".join(secrets.choice(_SLIP_LETTERS + _SLIP_DIGITS) for _ in range(10))
        if password_problem(text) is None:
            return text


# Row 2 of the shared_generation table (row 1 is the data generation's): the accounts' counter,
# moved in an account change's own transaction; another process's change is seen through it
# (db_generation.shared_accounts: by services.accounts.accounts_changed and the kept user row,
# auth._active_user), whether or not that process shares its writes as a command does.
ACCOUNTS_ROW = 2
_MOVE = (
    f'INSERT INTO "shared_generation" ("id", "n") VALUES ({ACCOUNTS_ROW}, 0)'
    ' ON CONFLICT ("id") DO NOTHING',
    f'UPDATE "shared_generation" SET "n" = "n" + 1 WHERE "id" = {ACCOUNTS_ROW}',
)


def move_shared_accounts():
    """In the account change's transaction: move the accounts' shared counter."""
    cursor = database.cursor()
    for sql in _MOVE:
        cursor.execute(sql)


def end_sessions(user):
    """End every session of `user`: the version each session cookie carries no longer matches
    (on another server process on the same database too: the accounts' shared counter moves).
    (Call login_user again to give the current browser a fresh session.)"""
    with database.atomic():
        User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
        move_shared_accounts()
    user.session_version = User.get_by_id(user.id).session_version


def authenticate(username, password, *, ip="", max_failures=5, lock_minutes=30, now=None):
    """The user if the password is right and the account is open; ValidationError otherwise.

    After `max_failures` wrong passwords in a row the account is locked for `lock_minutes`,
    and while locked even the right password is refused.

    Each attempt first reserves its check: one UPDATE ... SET failed_logins = failed_logins + 1
    inside BEGIN IMMEDIATE, counted as a failure until the password proves right. The attempt
    that reserves the last allowed check locks the account in the same transaction, so however
    many requests arrive at once, at most `max_failures` passwords are ever checked. The slow
    hash is compared outside the transaction, so logins do not hold the write lock.
    """
    now = now or clock.now()
    username = clean(username, 64)
    user = User.get_or_none(User.username == username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        record(Actor(None, ip), "login_failed", object_type="app_user", label=username)
        raise ValidationError({"password": "登录名或密码不正确"})
    actor = Actor(user, ip)
    with database.atomic("IMMEDIATE"):
        open_ = (User.locked_until.is_null()) | (User.locked_until <= now)
        reserved = (
            User.update(failed_logins=User.failed_logins + 1)
            .where((User.id == user.id) & User.active & open_)
            .execute()
        )
        user = User.get_by_id(user.id)
        last_try = reserved and user.failed_logins >= max_failures
        if last_try:
            User.update(failed_logins=0, locked_until=now + timedelta(minutes=lock_minutes)).where(
                User.id == user.id
            ).execute()
        if not reserved:
            # The error is raised after the commit: raising inside atomic() would roll back
            # the audit row.
            if not user.active:
                record(actor, "login_failed", user, label=f"{user.username}（已停用）")
                problem = "该账号已停用，请联系管理员"
            else:
                record(actor, "login_failed", user, label=f"{user.username}（已锁定）")
                minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
                problem = f"连续输错密码次数过多，账号已锁定，请 {minutes} 分钟后再试"
    if not reserved:
        raise ValidationError({"password": problem})
    if not check_password_hash(user.password_hash, password or ""):
        with database.atomic():
            record(actor, "login_failed", user)
        if last_try:
            problem = f"连续输错 {max_failures} 次，账号已锁定 {lock_minutes} 分钟"
        else:
            problem = "登录名或密码不正确"
        raise ValidationError({"password": problem})
    if user.role in HELPER_ROLES and not Helper.for_user(user).exists():
        with database.atomic():
            record(actor, "login_failed", user, label=f"{user.username}（帮扶人已停用）")
        raise ValidationError({"password": "您对应的帮扶人已停用或未关联，不能登录，请联系管理员"})
    with database.atomic("IMMEDIATE"):
        User.update(failed_logins=0, locked_until=None, last_login_at=now).where(
            User.id == user.id
        ).execute()
        record(actor, "login", user)
    return User.get_by_id(user.id)


def change_password(actor, user, old, new):
    """A user changes his own password."""
    if not check_password_hash(user.password_hash, old or ""):
        raise ValidationError({"old": "原密码不正确"})
    problem = password_problem(new)
    if not problem and new == old:
        problem = "新密码不能与原密码相同"
    if problem:
        raise ValidationError({"new": problem})
    changes = [("password", "***", "***")]
    if user.must_change_password:
        changes.append(("must_change_password", True, False))
    with database.atomic():
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.save()
        end_sessions(user)
        record(actor, "update", user, changes=changes)


def reset_password(actor, user):
    """Give `user` a new one-time password (returned, to print on a slip): his sessions end, the
    lock is lifted, and he must choose his own password at his next login."""
    password = one_time_password()
    with database.atomic():
        User.update(
            password_hash=hash_password(password),
            must_change_password=True,
            failed_logins=0,
            locked_until=None,
        ).where(User.id == user.id).execute()
        end_sessions(user)
        record(
            actor,
            "update",
            user,
            label=f"{user.username}（重置密码）",
            changes=[("password", "***", "***"), ("must_change_password", None, True)],
        )
    user.must_change_password = True
    return password


def unlock(actor, user):
    """Lift the lock that wrong passwords put on `user`."""
    if not user.is_locked() and not user.failed_logins:
        raise ValidationError({"user": "该账号没有被锁定"})
    with database.atomic():
        User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
        record(
            actor,
            "update",
            user,
            label=f"{user.username}（解除锁定）",
            changes=[("locked_until", str(user.locked_until or ""), None)],
        )
    user.locked_until, user.failed_logins = None, 0
