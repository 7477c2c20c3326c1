"""Accounts and the audit log (admin pages, which see the whole township)."""

from peewee import JOIN

from ..models import AuditLog, User, Village


def users():
    """Every account with its village, by role and login name."""
    return (
        User.select(User, Village)
        .join(Village, on=(User.village == Village.id), join_type=JOIN.LEFT_OUTER)
        .order_by(User.role, User.username)
    )


def user(pk):
    """Any account by id, or None."""
    return User.get_or_none(User.id == pk)


def audit(action=None, username=None, object_type=None, since=None, until=None):
    """Audit rows, newest first, narrowed by the admin's filters."""
    return AuditLog.search(
        action=action, username=username, object_type=object_type, since=since, until=until
    )
