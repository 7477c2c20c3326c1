"""What the printouts read: card batches, a person's archive, a village ledger, a helper's route
sheet and the print page's choices. Each takes the user's `Scope`, or an object already
resolved through it."""

from ..models import Grid, Village
from ..models.care import Emergency, EmergencyStep, Need, Service
from ..models.helpers import Helper, VillagePost
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..models.records import Activity, Attendance, Benefit, CheckUp
from ..models.visits import Pairing, Visit, VisitPerson
from .helpers import visible as visible_helpers
from .visits import worklist_query

ROUTE_HORIZON_DAYS = 7  # a route sheet lists visits due within a week, and the overdue ones


def card_households(scope, *, village=None, grid=None, ids=None):
    """Households of a village, a grid or of chosen ids that get a contact card (someone in a
    group lives there), in card order: by grid, then as registered."""
    query = scope.query(Household, Household, Village).join(Village).switch(Household)
    if grid is not None:
        query = query.where(Household.grid == grid)
    elif village is not None:
        query = query.where(Household.village == village)
    else:
        query = query.where(Household.id.in_(list(ids or []) or [0]))
    in_groups = Person.active().select(Person.household).where(Person.groups != "")
    return list(query.where(Household.id.in_(in_groups)).order_by(Household.grid, Household.id))


def card_posts(village_ids):
    """The holders of the village posts a card names: {village id: {post: helper}}."""
    posts = {}
    query = (
        VillagePost.select(VillagePost, Helper)
        .join(Helper)
        .where(VillagePost.village.in_(list(village_ids) or [0]))
    )
    for p in query:
        posts.setdefault(p.village_id, {})[p.post] = p.helper
    return posts


def card_helpers(household_ids):
    """The helpers currently paired with someone of each household, primary pairings first:
    {household id: {helper id: (name, phone)}}. Read as tuples of the four columns used (a
    batch of 1,000 cards read whole Person rows: a second of the print at 100,000 persons)."""
    paired = {}
    query = (
        Pairing.select(Person.household, Pairing.helper, Helper.name, Helper.phone)
        .join(Helper)
        .switch(Pairing)
        .join(Person)
        .where(
            Pairing.ended_on.is_null()
            & Person.exited_on.is_null()
            & Person.household.in_(list(household_ids) or [0])
        )
        .order_by(Pairing.primary.desc(), Pairing.id)
        .tuples()
    )
    for household_id, helper_id, name, phone in query:
        paired.setdefault(household_id, {}).setdefault(helper_id, (name, phone))
    return paired


def card_villages(village_ids):
    """{village id: (name, township id)} of the villages of a batch of cards (one query)."""
    query = Village.select(Village.id, Village.name, Village.township).where(
        Village.id.in_(list(village_ids) or [0])
    )
    return {vid: (name, township) for vid, name, township in query.tuples()}


def archive_visits(person):
    """Every visit to the person, newest first (voided ones too: struck through on paper)."""
    return (
        Visit.with_voided()
        .join(VisitPerson)
        .where(VisitPerson.person == person)
        .order_by(Visit.visited_on.desc())
    )


def archive_extras(person):
    """Needs, services, benefits, check-ups, activities and emergencies (with each reporting
    step) as (title, [(when and what, details)]) sections of the archive."""
    needs = [
        (
            f"{n.raised_on:%Y-%m-%d} {n.kind}",
            f"{n.description}（{n.status}{'：' + n.status_reason if n.status_reason else ''}）",
            _void_note(n),
        )
        for n in Need.with_voided().where(Need.person == person).order_by(Need.raised_on)
    ]
    services = [
        (f"{s.served_on:%Y-%m-%d} {s.kind}", s.description, _void_note(s))
        for s in Service.with_voided().where(Service.person == person).order_by(Service.served_on)
    ]
    emergencies = []
    for e in (
        Emergency.with_voided().where(Emergency.person == person).order_by(Emergency.discovered_at)
    ):
        voided = _void_note(e)
        emergencies.append(
            (
                f"{e.discovered_at:%Y-%m-%d %H:%M} {e.kind}",
                f"报告人 {e.reported_by}；{e.description}",
                voided,
            )
        )
        for st in e.steps.order_by(EmergencyStep.due_at):
            emergencies.append((f"　{st.label}", _step_text(st), voided))
        if e.closed_at:
            emergencies.append(("　结案", f"{e.closed_at:%Y-%m-%d %H:%M} {e.summary}", voided))
    benefits = [
        (f"{b.kind}（{b.period}）", _benefit_text(b), _void_note(b))
        for b in Benefit.with_voided().where(Benefit.person == person).order_by(Benefit.start_on)
    ]
    checkups = [
        (f"{c.checked_on:%Y-%m-%d} {c.checked_by}", _checkup_text(c), _void_note(c))
        for c in CheckUp.with_voided().where(CheckUp.person == person).order_by(CheckUp.checked_on)
    ]
    activities = [
        (
            f"{a.activity.held_on:%Y-%m-%d} {a.activity.kind}",
            f"{a.activity.title}（{'到场' if a.attended else '未到'}）",
            _void_note(a.activity) or _void_note(a),  # the activity voided, or him taken off
        )
        for a in Attendance.with_voided(Attendance, Activity)
        .join(Activity)
        .where(Attendance.person == person)
        .order_by(Activity.held_on)
    ]
    return [
        ("需求", needs),
        ("服务记录", services),
        ("救助补贴", benefits),
        ("健康体检", checkups),
        ("参加活动", activities),
        ("突发事件", emergencies),
    ]


def _void_note(obj):
    """'' for a record in force; for a voided one, why (the archive strikes its row through)."""
    return f"已作废：{obj.void_reason}" if obj.voided_at else ""


def _step_text(st):
    """A reporting step on paper: its deadline, when it was done, late or not (judged on the
    corrected time) and, when the time was corrected, the first time recorded and why."""
    done = f"{st.done_at:%H:%M} {st.done_by} {st.how}" if st.done_at else "未完成"
    late = "（超时）" if (st.done_at and st.done_at > st.due_at) else ""
    fixed = (
        f"；原记录 {st.original_done_at:%H:%M}，更正原因：{st.correction_reason}"
        if st.original_done_at
        else ""
    )
    return f"时限 {st.due_at:%H:%M}；{done}{late}{fixed}"


def _benefit_text(b):
    amount = "按年龄段标准" if b.kind == "高龄补贴" else f"{b.amount} 元"
    until = "至 " + b.end_on.strftime("%Y-%m-%d") if b.end_on else ""
    return f"{amount}；{b.start_on:%Y-%m-%d} 起{until}；{b.status}"


def _checkup_text(c):
    parts = (
        f"血压 {c.bp_high}/{c.bp_low}" if c.bp_high else "",
        f"血糖 {c.sugar}" if c.sugar else "",
        f"体重 {c.weight}kg" if c.weight else "",
        c.notes,
    )
    return "；".join(x for x in parts if x)


def ledger(scope, village, group):
    """The village ledger of one group: (persons by grid and name, {household id: [family
    members working away, not yet returned]})."""
    persons = list(
        scope.filter(
            Person.active().where((Person.village == village) & Person.groups.contains(group)),
            Person,
        ).order_by(Person.grid, Person.name_pinyin)
    )
    away = {}
    households = {p.household_id for p in persons}
    for a in FamilyAway.select().where(
        FamilyAway.household.in_(households or {0}) & FamilyAway.returned_on.is_null()
    ):
        away.setdefault(a.household_id, []).append(a)
    return persons, away


def route_states(scope, helper, today):
    """The visit states on a helper's route sheet: due within a week or overdue, overdue first."""
    return list(scope.filter(worklist_query(today, ROUTE_HORIZON_DAYS, [helper.id]), Person))


def print_choices(scope):
    """What the print page offers: active villages, grids and helpers of the user's area."""
    return {
        "villages": scope.query(Village).where(Village.active).order_by(Village.sort_order),
        "grids": scope.query(Grid).where(Grid.active).order_by(Grid.village, Grid.sort_order),
        "helpers": visible_helpers(scope).where(Helper.active).order_by(Helper.kind, Helper.name),
    }
