"""Child emergencies with their reporting steps, needs and services, within a user's area."""

from dataclasses import dataclass

from peewee import fn
from werkzeug.exceptions import NotFound

from .. import clock, settings
from ..db import date_text
from ..models.care import (
    CLOSED_STATUSES,
    Emergency,
    EmergencyCall,
    EmergencyStep,
    Need,
    Service,
)
from ..models.helpers import Helper, VillagePost
from ..models.households import FamilyAway
from ..models.persons import Person
from ..models.visits import Pairing
from ..rules.family import is_away


def emergencies(scope):
    """Open emergencies first (newest first), then the closed ones."""
    return scope.query(Emergency).order_by(
        Emergency.closed_at.is_null(False), Emergency.discovered_at.desc()
    )


def steps(emergency):
    """An emergency's reporting steps by deadline."""
    return emergency.steps.order_by(EmergencyStep.due_at)


def step(emergency, step_id):
    """One step of an emergency the user may see (NotFound when it belongs to another)."""
    row = EmergencyStep.get_or_none(
        (EmergencyStep.id == step_id) & (EmergencyStep.emergency == emergency)
    )
    if row is None:
        raise NotFound()
    return row


def overdue_steps(scope, now=None):
    """Open emergencies' steps past their deadline and not done, in the user's area."""
    now = now or clock.now()
    query = (
        EmergencyStep.select(EmergencyStep, Emergency)
        .join(Emergency)
        .where(
            EmergencyStep.done_at.is_null()
            & (EmergencyStep.due_at < now)
            & Emergency.closed_at.is_null()
            & Emergency.voided_at.is_null()  # a join does not leave voided ones out by itself
        )
        .order_by(EmergencyStep.due_at)
    )
    return scope.filter(query, Emergency)


def open_needs(scope, today, village_id=None, overdue=False):
    """Open needs of the area, the most urgent first; of one village, or only the overdue.
    Each need comes with its person's id and name only (`need.person.name`): the whole person
    rows of every open need, sorted, made the township's list cost about 30 ms."""
    query = scope.filter(Need.select(Need, Person.id, Person.name).join(Person), Need).where(
        Need.status.not_in(CLOSED_STATUSES)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    if overdue:
        query = query.where(Need.due_on < today)
    return query.order_by(Need.due_on.is_null(), Need.due_on, Need.raised_on)


def open_needs_by_village(scope):
    """{village id: open needs} in the area."""
    return dict(
        scope.filter(Need.select(Person.village, fn.COUNT(Need.id)).join(Person), Need)
        .where(Need.status.not_in(CLOSED_STATUSES))
        .group_by(Person.village)
        .tuples()
    )


def need_services(need):
    """The services delivered for a need, in order; voided ones too (shown struck through)."""
    return Service.with_voided().where(Service.need == need).order_by(Service.served_on)


def services_by_month(scope, year):
    """{kind: [count per month, January first]} of services delivered in a year."""
    month = date_text("%m", Service.served_on)
    rows = (
        scope.filter(Service.select(Service.kind, month.alias("m"), fn.COUNT(Service.id)), Service)
        .where(date_text("%Y", Service.served_on) == str(year))
        .group_by(Service.kind, month)
        .tuples()
    )
    table = {}
    for kind, m, n in rows:
        table.setdefault(kind, [0] * 12)[int(m) - 1] = n
    return table


def needs_of(person, keep=None):
    """A person's needs a service may answer (newest first), and the one it answers now."""
    query = Need.select().where(Need.person == person)
    if keep:
        query = Need.with_voided().where(
            (Need.person == person) & (Need.voided_at.is_null() | (Need.id == keep))
        )
    return query.order_by(Need.raised_on.desc())


@dataclass(frozen=True)
class CallRow:
    """One line of an emergency's call list. `private`: a family's own number (masked for
    read-only roles), else a public contact number."""

    key: str
    label: str
    name: str = ""
    detail: str = ""
    phone: str = ""
    private: bool = False


# The village posts called, in this order: "on duty" is whoever holds the post now (there is no
# duty roster); the 儿童主任 first, whose post is child protection, then the 包片干部.
DUTY_POSTS = ("儿童主任", "包片干部")
PARENTS = ("父亲", "母亲")
# National numbers, not local settings.
POLICE_110, AMBULANCE_120 = "110", "120"


def call_list(emergency, on=None):
    """Who to call for an emergency, in order: the child's carer (and the home phone), each
    family member working away (parents first, with where they work), the paired helpers
    (the primary first), the village's cadres on duty, the township office, the 派出所 and the
    village's 民警, 110, 120. A row without a number stays, so the gap is seen."""
    on = on or clock.today()
    person = emergency.person
    rows = [
        CallRow(
            "carer",
            "委托照护人",
            person.carer_name or "未登记",
            person.carer_relation,
            person.carer_phone,
            True,
        )
    ]
    household = person.household
    if household.phone and household.phone != person.carer_phone:
        rows.append(CallRow("home", "家中电话", household.head_name, "户主", household.phone, True))
    away = [
        r for r in FamilyAway.select().where(FamilyAway.household == household.id) if is_away(r, on)
    ]
    away.sort(
        key=lambda r: (
            r.relation not in PARENTS,
            PARENTS.index(r.relation) if r.relation in PARENTS else 0,
            r.id,
        )
    )
    for r in away:
        where = f"在{r.place}务工" if r.place else "外出务工"
        rows.append(CallRow(f"away-{r.id}", f"{r.relation}（外出）", r.name, where, r.phone, True))
    pairings = (
        Pairing.current()
        .join(Helper)
        .where((Pairing.person == person) & Helper.active)
        .order_by(Pairing.primary.desc(), Pairing.started_on, Pairing.id)
    )
    for p in pairings:
        h = p.helper
        label = "主要帮扶人" if p.primary else "结对帮扶人"
        rows.append(CallRow(f"helper-{h.id}", label, h.name, h.position or h.kind, h.phone))
    posts = {
        vp.post: vp
        for vp in VillagePost.select(VillagePost, Helper)
        .join(Helper)
        .where((VillagePost.village == person.village_id) & Helper.active)
    }
    for post in DUTY_POSTS:
        if post in posts:
            h = posts[post].helper
            rows.append(CallRow(f"post-{posts[post].id}", post, h.name, "本村值守", h.phone))
    office = str(settings.get("office_phone", on) or "")
    rows.append(
        CallRow("office", "乡镇办公室", str(settings.get("township_name", on) or ""), "", office)
    )
    station = str(settings.get("police_phone", on) or "")
    rows.append(CallRow("station", "派出所", "", "", "" if station == POLICE_110 else station))
    if "民警" in posts:
        h = posts["民警"].helper
        rows.append(CallRow(f"post-{posts['民警'].id}", "民警", h.name, "本村联系民警", h.phone))
    rows.append(CallRow("110", "报警", "", "", POLICE_110))
    rows.append(CallRow("120", "急救", "", "", AMBULANCE_120))
    return rows


def calls(emergency):
    """The calls stamped on an emergency, oldest first; voided ones too (shown struck)."""
    return list(
        EmergencyCall.with_voided()
        .where(EmergencyCall.emergency == emergency)
        .order_by(EmergencyCall.called_at, EmergencyCall.id)
    )


def calls_by_target(emergency):
    """{call-list key: [calls made to it, oldest first]} (not voided)."""
    out = {}
    for c in calls(emergency):
        if c.voided_at is None:
            out.setdefault(c.target, []).append(c)
    return out


def call(emergency, call_id):
    """One call stamped on an emergency the user may see (NotFound when it is another's)."""
    row = (
        EmergencyCall.with_voided()
        .where((EmergencyCall.id == call_id) & (EmergencyCall.emergency == emergency))
        .first()
    )
    if row is None:
        raise NotFound()
    return row
