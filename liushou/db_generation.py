"""The data generation: a number that moves with every committed write, per village, so that what
was computed under one generation (a kept page, a figure) is known to still hold. The database
(db.py) reports each statement it runs and each transaction's end here; a model's save() names
its row's village, a bulk write inside `touching(ids)` those villages; any other write counts as
township-wide."""

import itertools
import re
import threading
from contextlib import contextmanager

# Statements that change data or schema (their first word), and the tables whose writes change
# no figure (audited reads, logins, final rates kept): these leave the data generation alone.
_WRITE_WORDS = frozenset(["INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"])
# (month_rates and period_figures keep final figures already counted: writing them changes none.)
_UNCOUNTED_TABLES = ('"audit_log"', '"app_user"', '"month_rates"', '"period_figures"')
_END_WORDS = frozenset(["COMMIT", "END", "ROLLBACK"])
ALL = None  # "every village": a write whose village is not known
# The tables a recorded visit writes (and the need it may raise), which no registry list shows:
# a transaction that writes only these (and uncounted tables) leaves the *registry* generation
# alone (`data_generation(..., registry=True)`: the person list and search, which read persons,
# households, villages and grids). Every other generation moves as before.
_VISIT_TABLES = frozenset(["visit", "visit_person", "visit_helper", "visit_state", "need"])
_WRITTEN_TABLE = re.compile(
    r'\s*(?:INSERT(?: OR \w+)? INTO|REPLACE INTO|UPDATE|DELETE FROM)\s+"(\w+)"'
)
_generation = itertools.count(1)
_current = [0]  # the last generation of any write
_township = [0]  # the last generation of a township-wide write (or one of unknown village)
_villages = {}  # village id -> the last generation of a write in it
_registry = ([0], [0], {})  # the same three, moved only by writes outside _VISIT_TABLES
_thread = threading.local()  # .villages: what this transaction touched; .declared: see save()
# .touching: the villages declared by touching() for the writes that name no row


def data_generation(village_ids=ALL, registry=False):
    """A number that grows after every committed write of this process (audit rows and logins
    apart): what was computed under one generation still holds while it is unchanged.

    With `village_ids`, the generation of those villages only: it moves with a write in one
    of them or a township-wide write (or a write whose village is unknown), not with a write
    in another village. With `registry`, the same left alone by transactions that wrote
    visits only (_VISIT_TABLES): for what shows no visit (the person list)."""
    current, township, villages = _registry if registry else (_current, _township, _villages)
    if village_ids is ALL:
        return current[0]
    return max([township[0], *(villages.get(v, 0) for v in village_ids)])


def last_bump(reset=False):
    """The generation of this thread's last committed write (0: none since the last reset):
    figure_cache tells a user's own writes from others' by it."""
    n = getattr(_thread, "bumped", 0)
    if reset:
        _thread.bumped = 0
    return n


def _bump(villages=ALL, registry=True):
    n = next(_generation)
    _thread.bumped = n
    for current, township, by_village in [(_current, _township, _villages)] + (
        [_registry] if registry else []
    ):
        if villages is ALL:
            township[0] = n
        else:
            for village_id in villages:
                by_village[village_id] = n
        current[0] = n  # last: a reader of the total never sees it before the villages' own


def _registry_write(sql):
    """Does this write statement change a table other than a visit's (_VISIT_TABLES)?"""
    match = _WRITTEN_TABLE.match(sql)
    return match is None or match.group(1) not in _VISIT_TABLES


def _known_villages(village_ids):
    """A set of village ids, or ALL when any of them is not known (None, not an id)."""
    if village_ids is ALL:
        return ALL
    ids = set(village_ids)
    if not ids or not all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        return ALL
    return ids


@contextmanager
def touching(village_ids):
    """Within the block, a write that names no row (a bulk insert_many, UPDATE or DELETE by a
    condition) counts as a write in these villages only, not township-wide: for a service that
    knows where its bulk write lands (a person's group events, his household's completeness
    scores). A model's own save() still names its row's village. Unknown ids (None), or none
    at all, leave the safe default: every village. Nested blocks: the inner one's villages."""
    villages = _known_villages(village_ids)
    outer = getattr(_thread, "touching", ALL)
    _thread.touching = villages
    try:
        yield villages
    finally:
        _thread.touching = outer


def _declared():
    """The villages the statement being run writes in: the saved row's (save()), else those
    of the enclosing touching() block, else ALL."""
    villages = getattr(_thread, "declared", None)
    if villages is None:
        return getattr(_thread, "touching", ALL)
    return villages


def _village_of(instance):
    """The village id a row belongs to (following `__scope__` / `__village_of__` foreign keys),
    or ALL when it has none (a township-wide row) or it cannot be told."""
    model = type(instance)
    for _ in range(4):
        scope = getattr(model, "__scope__", None) or getattr(model, "__village_of__", None)
        if isinstance(scope, tuple):
            name = scope[0]
            value = instance._pk if name == "id" else instance.__data__.get(name)
            return value if isinstance(value, int) else ALL
        if not isinstance(scope, str):
            return ALL
        related = instance.__rel__.get(scope)
        if related is None:
            key = instance.__data__.get(scope)
            if key is None:
                return ALL
            related = getattr(model, scope).rel_model.get_or_none(
                getattr(model, scope).rel_model._meta.primary_key == key
            )
            if related is None:
                return ALL
        instance, model = related, type(related)
    return ALL


def _scope_field(model):
    scope = getattr(model, "__scope__", None) or getattr(model, "__village_of__", None)
    return scope[0] if isinstance(scope, tuple) else scope


def _villages_of(instance):
    """{village ids} a save of `instance` changes, or ALL: its village, and on an update that
    sets the field placing it (a move), the village it is stored in now."""
    new = _village_of(instance)
    if new is ALL:
        return ALL
    villages = {new}
    field = _scope_field(type(instance))
    if instance._pk is not None and field != "id" and field in instance._dirty:
        stored = type(instance).get_or_none(type(instance)._meta.primary_key == instance._pk)
        if stored is not None:
            old = _village_of(stored)
            if old is ALL:
                return ALL
            villages.add(old)
    return villages


def row_villages(instance):
    """{village ids} a write about `instance` (a saved row) lands in, or ALL when that cannot
    be told: for `touching(row_villages(row))` around a bulk write of rows hanging off it."""
    try:
        return _villages_of(instance)
    except Exception:  # noqa: BLE001 - the bookkeeping never fails a write: all villages
        return ALL


def statement_run(sql, in_transaction):
    """Note what the statement `sql` just run wrote (outside a transaction the generation moves
    at once; inside one, its villages are kept for its end). True when it ended a transaction.
    `in_transaction()` tells whether a transaction is open."""
    word = sql[:8].lstrip().split(" ", 1)[0].upper()
    if word in _WRITE_WORDS:
        if not any(table in sql[:40] for table in _UNCOUNTED_TABLES):
            villages = _declared()
            registry = _registry_write(sql)
            if not in_transaction():
                _bump(villages, registry)
            else:
                touched = getattr(_thread, "villages", set())
                if touched is not ALL:
                    touched = ALL if villages is ALL else touched | villages
                _thread.villages = touched
                if registry:
                    _thread.registry = True
        return False
    return word in _END_WORDS


def transaction_ended():
    """A transaction committed or rolled back: the generation of the villages it wrote in moves."""
    touched = getattr(_thread, "villages", set())
    if touched is ALL or touched:
        registry = getattr(_thread, "registry", False)
        _thread.villages, _thread.registry = set(), False
        _bump(touched, registry)


@contextmanager
def saving(instance):
    """Within the block (a model's save()), a write lands in `instance`'s row's village."""
    _thread.declared = row_villages(instance)
    try:
        yield
    finally:
        _thread.declared = None
