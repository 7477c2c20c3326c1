"""Every write goes through a service: validate, write atomically, audit."""

from dataclasses import dataclass


class ValidationError(Exception):
    """Bad input: `errors` maps a field name to a message in Chinese."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = dict(errors)


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; `user` is None for the system itself (CLI, demo)."""

    user: object = None
    ip: str = ""
    # Set when a reviewer applies someone's proposal (审核通过): `user` is its author, and every
    # audit row written meanwhile says who approved it and when.
    approval: str = ""

    @property
    def user_id(self):
        return self.user.id if self.user else None

    @property
    def username(self):
        return self.user.username if self.user else "系统"


SYSTEM = Actor()


def diff(obj, values):
    """[(field, before, after)] for the fields of `values` that differ from `obj`."""
    out = []
    for name, after in values.items():
        # __data__ holds raw column values (an id for a foreign key), so no extra query.
        before = obj.__data__.get(name) if name in obj._meta.fields else getattr(obj, name, None)
        if before != after:
            out.append((name, _plain(before), _plain(after)))
    return out


def _plain(value):
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return str(value)
