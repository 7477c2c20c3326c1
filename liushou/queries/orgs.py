"""Organisations of an area: the list with figures by kind, one organisation's members and
activities, and the choices its forms offer."""

from peewee import JOIN, fn

from ..models.helpers import Helper
from ..models.households import FamilyAway, Household
from ..models.orgs import LEADER_ROLES, MEMBER_ROLES, ORG_KINDS, Membership, Organisation
from ..models.persons import Person
from ..models.places import Village
from ..models.records import Activity


def listing(scope, kind=None):
    """Organisations the user may see (his villages' and the township-wide ones), township-wide
    first, then by village, kind and name."""
    query = scope.query(Organisation, Organisation, Village).join(Village, JOIN.LEFT_OUTER)
    if kind:
        query = query.where(Organisation.kind == kind)
    return sorted(
        query,
        key=lambda o: (
            o.village_id is not None,
            o.village.sort_order if o.village_id else 0,
            o.village_id or 0,
            ORG_KINDS.index(o.kind) if o.kind in ORG_KINDS else len(ORG_KINDS),
            o.name,
        ),
    )


def member_counts(scope):
    """{organisation id: current members} for the organisations the user may see."""
    query = (
        Membership.select(Membership.organisation, fn.COUNT(Membership.id).alias("n"))
        .join(Organisation)
        .where(Membership.left_on.is_null() & Organisation.voided_at.is_null())
        .group_by(Membership.organisation)
    )
    return {r.organisation_id: r.n for r in scope.filter(query, Organisation)}


def figures(scope):
    """Counts by kind: {"kinds": [(kind, organisations, members)], "villages": [(area name,
    kind, organisations, members)]} for the organisations the user may see; members are the
    current ones (not left, not voided)."""
    counts = member_counts(scope)
    by_kind, by_area = {}, {}
    for org in listing(scope):
        n = counts.get(org.id, 0)
        k = by_kind.setdefault(org.kind, [0, 0])
        k[0], k[1] = k[0] + 1, k[1] + n
        a = by_area.setdefault((org.area_name, org.kind), [0, 0])
        a[0], a[1] = a[0] + 1, a[1] + n
    return {
        "kinds": [(kind, *by_kind[kind]) for kind in ORG_KINDS if kind in by_kind],
        "villages": [(area, kind, *v) for (area, kind), v in by_area.items()],
    }


def _visible(scope, m):
    """Whether the user may see this member's own record (his name and phone)."""
    if m.person_id:
        return scope.allows_grid(m.person.village_id, m.person.grid_id)
    if m.away_id:
        return scope.allows_grid(m.away.household.village_id, m.away.household.grid_id)
    return scope.everything or m.helper.village_id in scope.village_ids


def members(scope, org):
    """(current, former, hidden): the members the user may see, leaders first by role, then
    those who left; `hidden` counts current members outside his area (a township-wide
    organisation has members from every village)."""
    PersonHome = Household.alias()
    rows = (
        Membership.select(Membership, Person, PersonHome, FamilyAway, Household, Helper)
        .join(Person, JOIN.LEFT_OUTER)
        .join(PersonHome, JOIN.LEFT_OUTER, on=(Person.household == PersonHome.id))
        .switch(Membership)
        .join(FamilyAway, JOIN.LEFT_OUTER)
        .join(Household, JOIN.LEFT_OUTER)
        .switch(Membership)
        .join(Helper, JOIN.LEFT_OUTER)
        .where(Membership.organisation == org)
        .order_by(Membership.joined_on, Membership.id)
    )
    current, former, hidden = [], [], 0
    for m in rows:
        if not _visible(scope, m):
            hidden += m.left_on is None
            continue
        (current if m.left_on is None else former).append(m)
    current.sort(key=lambda m: MEMBER_ROLES.index(m.role) if m.role in MEMBER_ROLES else 99)
    return current, former, hidden


def leaders(members_):
    return [m for m in members_ if m.role in LEADER_ROLES]


def activities(scope, org):
    """Activities organised by the organisation, in the user's area, newest first."""
    return (
        scope.query(Activity)
        .where(Activity.organisation == org)
        .order_by(Activity.held_on.desc(), Activity.id.desc())
    )


def writable_villages(scope, villages):
    """The villages whose organisations the user may create or change."""
    return [v for v in villages if scope.allows_village(v.id)]


def person_choices(scope, village_id):
    """Active persons of a village in the area, to pick a member from."""
    return (
        scope.filter(Person.active(), Person)
        .where(Person.village == village_id)
        .order_by(Person.name_pinyin)
    )


def away_choices(scope, village_id):
    """Family members working away (not back yet) of a village's households in the area."""
    query = (
        FamilyAway.select(FamilyAway, Household)
        .join(Household)
        .where(
            (Household.village == village_id)
            & FamilyAway.returned_on.is_null()
            & Household.voided_at.is_null()
        )
        .order_by(Household.head_name, FamilyAway.name)
    )
    return scope.filter(query, Household)


def helper_choices(scope, village_id):
    """Active helpers of the area: the village's and, for township users, the township's."""
    query = scope.query(Helper).where(
        Helper.active & ((Helper.village == village_id) | Helper.village.is_null())
    )
    return query.order_by(Helper.village.is_null(False), Helper.kind, Helper.name)


def for_activity(scope, village_id):
    """Organisations an activity of a village may be organised by: the village's and the
    township-wide ones."""
    return (
        scope.query(Organisation)
        .where((Organisation.village == village_id) | Organisation.village.is_null())
        .order_by(Organisation.village.is_null(False), Organisation.kind, Organisation.name)
    )
