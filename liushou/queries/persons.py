"""Persons: the list with its filters and search, and what a person's page and archive show."""

import json
from types import SimpleNamespace

from peewee import JOIN, SQL, fn
from werkzeug.exceptions import NotFound

from ..db import database
from ..models import AuditLog, Grid, User, Village
from ..models.care import Emergency, Need, Service
from ..models.helpers import Helper
from ..models.households import Household
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit, CheckUp
from ..models.visits import CheckIn, Pairing, Visit, VisitPerson, VisitState
from ..rules.categories import GROUPS
from ..rules.dates import month_start
from .helpers import visible as visible_helpers
from .records import bands, monthly_amount

HISTORY_ACTIONS = ("create", "update", "exit", "reenter")


def listing(scope, args):
    """The persons of the area narrowed by the list's GET filters (status, village, grid, group,
    review) and searched by name, pinyin or ID tail (`q`)."""
    query = (
        Person.select(Person, Village, Grid)
        .join(Village)
        .switch(Person)
        .join(Grid, JOIN.LEFT_OUTER)
        .order_by(Person.needs_review.desc(), Village.sort_order, Person.name_pinyin, Person.id)
    )
    query = scope.filter(query, Person)
    status = args.get("status", "active")
    if status == "voided":  # registrations voided as mistakes, for whoever looks for one
        return Person.search(query.where(Person.voided_at.is_null(False)), args.get("q"))
    query = query.where(Person.voided_at.is_null())
    if status == "active":
        query = query.where(Person.exited_on.is_null())
    elif status == "exited":
        query = query.where(Person.exited_on.is_null(False))
    if args.get("village", type=int):
        query = query.where(Person.village == args.get("village", type=int))
    return Person.search(_narrowed(query, args), args.get("q"))


def _narrowed(query, args):
    """`query` narrowed by the list's grid, group and review filters."""
    if args.get("grid", type=int):
        query = query.where(Person.grid == args.get("grid", type=int))
    if args.get("group") in GROUPS:
        query = query.where(Person.groups.contains(args["group"]))
    if args.get("review") == "1":
        query = query.where(Person.needs_review)
    return query


# The most rows the per-village read of `listing_rows` takes from each village (page x per page);
# a deeper page is read by the plain sort.
MERGE_ROWS = 301
# The most villages read one by one: a township's (30 in the demo); a county's whole list (300
# villages) would build and plan as many subqueries for each page and is read by the plain sort.
MERGE_VILLAGES = 60


def listing_rows(scope, args, offset, limit):
    """The rows `offset` to `offset + limit` of `listing(scope, args)`, in its order. Without a
    search, the active persons of several villages are read as the first `offset + limit` of
    each village (by the partial index person_list_order, migration 35: needs_review, name
    pinyin, id) and only those are sorted together: a township's first page reads a few
    hundred index rows instead of sorting its whole register."""
    query = listing(scope, args)
    villages = _merge_villages(scope, args, offset + limit)
    if villages is not None:
        query = query.where(Person.id.in_(_first_of_each(scope, args, villages, offset + limit)))
    return list(query.limit(limit).offset(offset))


def _first_of_each(scope, args, villages, rows):
    """The ids of the first `rows` active persons of each village in `villages` (one UNION
    ALL of one index read per village), in no order."""
    parts, params = [], []
    for n, village in enumerate(villages):
        sql, args_ = (
            _filtered(scope, args)
            .where(Person.village == village)
            .order_by(Person.needs_review.desc(), Person.name_pinyin, Person.id)
            .limit(rows)
            .sql()
        )
        parts.append(f'SELECT "id" FROM ({sql}) AS "v{n}"')
        params += args_
    return SQL("(" + " UNION ALL ".join(parts) + ")", params)


def _merge_villages(scope, args, rows):
    """The villages `listing_rows` reads one by one, or None when the plain sort serves: a
    search, another status than active, a helper's own login, a deep page, one village, more
    villages than MERGE_VILLAGES (a county's)."""
    if args.get("q", "").strip() or args.get("status", "active") != "active":
        return None
    if scope.is_helper or rows > MERGE_ROWS:
        return None
    if args.get("village", type=int):
        return None
    if scope.everything:
        villages = [v.id for v in Village.select(Village.id).order_by(Village.id)]
    else:
        villages = sorted(scope.village_ids)
    return villages if 1 < len(villages) <= MERGE_VILLAGES else None


def _filtered(scope, args):
    """The ids of the active persons of `listing`'s filters (no search), without its joins."""
    query = scope.filter(Person.select(Person.id), Person).where(
        Person.voided_at.is_null() & Person.exited_on.is_null()
    )
    return _narrowed(query, args)


def in_area(scope):
    """Active persons of the area."""
    return scope.filter(Person.active(), Person)


def recent_households(scope, limit=200):
    """Households to choose from when a person is registered without one chosen."""
    return (
        scope.query(Household)
        .where(Household.voided_at.is_null())
        .order_by(Household.id.desc())
        .limit(limit)
    )


def household_members(person):
    """The active members of a person's household, oldest first."""
    return (
        Person.active().where(Person.household == person.household_id).order_by(Person.birth_date)
    )


def history(person, limit=100):
    """The person's registry changes, newest first (from the append-only audit log)."""
    return (
        AuditLog.select()
        .where(
            (AuditLog.object_type == "person")
            & (AuditLog.object_id == person.id)
            & AuditLog.action.in_(HISTORY_ACTIONS)
        )
        # id + 0: by the (object, action) index and a sort of its few rows, never a walk
        # down the whole log by id (a child's page read 200,000 times has as many view rows)
        .order_by((AuditLog.id + 0).desc())
        .limit(limit)
    )


def for_page(scope, person_id):
    """The person of a person's page (voided too: his page stays, struck through) with his
    household, village, grid, visit state (`page_state`) and his record's collector and checker
    (`collector`, `checker`: users with their display name, or None), in one read; NotFound
    (404) outside the user's area, as `scope.get`."""
    collector, checker = User.alias(), User.alias()
    query = (
        Person.select(
            Person,
            Household,
            Village,
            Grid,
            VisitState,
            collector.display_name,
            checker.display_name,
        )
        .join(Household, JOIN.LEFT_OUTER, on=(Person.household == Household.id))
        .switch(Person)
        .join(Village, JOIN.LEFT_OUTER, on=(Person.village == Village.id))
        .switch(Person)
        .join(Grid, JOIN.LEFT_OUTER, on=(Person.grid == Grid.id))
        .switch(Person)
        .join(VisitState, JOIN.LEFT_OUTER, on=(VisitState.person == Person.id), attr="page_state")
        .switch(Person)
        .join(
            collector, JOIN.LEFT_OUTER, on=(collector.id == Person.collected_by), attr="collector"
        )
        .switch(Person)
        .join(checker, JOIN.LEFT_OUTER, on=(checker.id == Person.checked_by), attr="checker")
    )
    if not 0 < person_id < 2**63:
        raise NotFound()
    person = scope.filter(query, Person).where(Person.id == person_id).first()
    if person is None:
        raise NotFound()
    return person


def page_sections(person, today):
    """Everything else a person's page lists of his own rows (care, records, more, history),
    read in one statement (`_bundle`): {"care": ..., "records": ..., "more": ..., "history":
    [...]}, each as `care`, `records` and `more` give it (lists instead of queries)."""
    read = _bundle(_page_statement, person.id)
    for benefit in read["benefits"]:
        benefit.person = person  # his own: no read per row
    helpers_by_id = {h.id: h for h in read["paired_helpers"]}
    for pairing in read["pairings"]:
        if pairing.helper_id in helpers_by_id:  # read with them, not one per row
            pairing.helper = helpers_by_id[pairing.helper_id]
    month = month_start(today)
    table = bands(month)
    return {
        "care": {
            "pairings": read["pairings"],
            "state": getattr(person, "page_state", None),
            "visits": read["visits"],
            "checkins": read["checkins"],
            "checkin_count": read["checkin_count"] or 0,
        },
        "records": {k: read[k] for k in ("needs", "services", "emergencies")},
        "more": {
            "today": today,
            "benefits": [(b, monthly_amount(b, month, table)) for b in read["benefits"]],
            "checkups": read["checkups"],
            "attendance": _attendance(person),
        },
        "history": read["history"],
    }


def _page_statement(person_id):
    """({name: select of one model}, {name: scalar select}) of the person page's sections."""
    lists = {
        "pairings": _pairings(person_id),
        "paired_helpers": Helper.select().where(
            Helper.id.in_(Pairing.select(Pairing.helper).where(Pairing.person == person_id))
        ),
        "visits": _visits(person_id),
        "checkins": _checkins(person_id),
        "needs": _needs(person_id),
        "services": _services(person_id),
        "emergencies": _emergencies(person_id),
        "benefits": _benefits(person_id),
        "checkups": _checkups(person_id),
        "history": history(SimpleNamespace(id=person_id)),
    }
    count = CheckIn.select(fn.COUNT(CheckIn.id)).where(CheckIn.person == person_id)
    return lists, {"checkin_count": count}


# A stand-in id the statement is built with once, replaced by the person's id at each request.
_ANY_ID = -(2**62) - 7
_statements = {}


def _bundle(build, person_id):
    """{name: [model instances]} and {name: value} of `build(person_id)`'s selects (each of one
    model) and scalar selects, in one statement on SQLite: each list a JSON array of its rows,
    in the select's order, in one result row. The SQL is built once (with a stand-in id) and
    reused: building it is most of its cost. On PostgreSQL, one query each."""
    if database.is_postgres:
        lists, scalars = build(person_id)
        out = {name: list(query) for name, query in lists.items()}
        out.update({name: query.scalar() for name, query in scalars.items()})
        return out
    if build not in _statements:
        lists, scalars = build(_ANY_ID)
        parts, params = [], []
        for query in lists.values():
            sql, args = query.sql()
            columns = ", ".join(f'"{f.column_name}"' for f in query.model._meta.sorted_fields)
            parts.append(f"(SELECT json_group_array(json_array({columns})) FROM ({sql}))")
            params += args
        for query in scalars.values():
            sql, args = query.sql()
            parts.append(f"({sql})")
            params += args
        models = {name: query.model for name, query in lists.items()}
        _statements[build] = ("SELECT " + ", ".join(parts), params, models, list(scalars))
    sql, params, models, scalars = _statements[build]
    params = [person_id if p == _ANY_ID else p for p in params]
    row = database.execute_sql(sql, params).fetchone()
    out = {}
    for (name, model), text in zip(models.items(), row, strict=False):
        fields = model._meta.sorted_fields
        out[name] = []
        for values in json.loads(text):
            data = {f.name: f.python_value(v) for f, v in zip(fields, values, strict=True)}
            instance = model(__no_default__=1, **data)
            instance._dirty.clear()
            out[name].append(instance)
    out.update(zip(scalars, row[len(models) :], strict=True))
    return out


def care(scope, person):
    """Pairings (current first), visit state, the last visits and the helpers one may pair.
    Voided pairings and visits are listed too, struck through, after the others."""
    return {
        "pairings": _pairings(person),
        "state": VisitState.get_or_none(VisitState.person == person),
        "visits": _visits(person),
        # 一敲门 check-ins, counted apart from visits.
        "checkins": _checkins(person),
        "checkin_count": CheckIn.select().where(CheckIn.person == person).count(),
        "helpers": helpers(scope),
    }


def helpers(scope):
    """The helpers one may pair a person with."""
    return visible_helpers(scope, active_only=True).order_by(Helper.name)


def _pairings(person):
    return (
        Pairing.with_voided()
        .where(Pairing.person == person)
        .order_by(
            Pairing.voided_at.is_null(False),
            Pairing.ended_on.is_null(False),
            Pairing.primary.desc(),
            Pairing.started_on,
        )
    )


def _visits(person):
    return (
        Visit.with_voided()
        .join(VisitPerson)
        .where(VisitPerson.person == person)
        .order_by(Visit.visited_on.desc())
        .limit(10)
    )


def _checkins(person):
    return (
        CheckIn.with_voided().where(CheckIn.person == person).order_by(CheckIn.at.desc()).limit(5)
    )


def records(person):
    """Needs, services and emergencies of a person (the person is already in the user's scope);
    voided ones too, shown struck through."""
    return {
        "needs": _needs(person),
        "services": _services(person),
        "emergencies": _emergencies(person),
    }


def _needs(person):
    return Need.with_voided().where(Need.person == person).order_by(Need.raised_on.desc())


def _services(person):
    return (
        Service.with_voided()
        .where(Service.person == person)
        .order_by(Service.served_on.desc())
        .limit(20)
    )


def _emergencies(person):
    return (
        Emergency.with_voided()
        .where(Emergency.person == person)
        .order_by(Emergency.discovered_at.desc())
    )


def more(person, today):
    """Benefits (with this month's amount), check-ups and activities of a person; voided ones
    too (the page shows them struck through)."""
    month = month_start(today)
    table = bands(month)
    return {
        "today": today,
        "benefits": [(b, monthly_amount(b, month, table)) for b in _benefits(person)],
        "checkups": _checkups(person),
        "attendance": _attendance(person),
    }


def _benefits(person):
    return Benefit.with_voided().where(Benefit.person == person).order_by(Benefit.start_on.desc())


def _checkups(person):
    return (
        CheckUp.with_voided()
        .where(CheckUp.person == person)
        .order_by(CheckUp.checked_on.desc())
        .limit(10)
    )


def _attendance(person):
    return (
        Attendance.with_voided(Attendance, Activity)
        .join(Activity)
        .where(Attendance.person == person)
        .order_by(Activity.held_on.desc())
        .limit(20)
    )


def by_ids(scope, ids):
    """The persons of the area among `ids` (ids outside the area are silently left out)."""
    ids = [int(i) for i in ids if str(i).isdigit()]
    return scope.query(Person).where(Person.id.in_(ids or [0]))


def ledger(scope, village, group):
    """A village's active persons of one group, by grid and name (the village ledger)."""
    return (
        scope.filter(Person.active(), Person)
        .where((Person.village == village) & Person.groups.contains(group))
        .order_by(Person.grid, Person.name_pinyin)
    )


def paired_with_me(scope):
    """A helper's own login: the active persons currently paired with him, by name."""
    return scope.filter(Person.active(), Person).order_by(Person.name_pinyin)
