"""Reminders: the lists a township must not forget, each with a count on the home page."""

from datetime import date, timedelta

from peewee import SQL, Case, fn

from .. import settings
from ..db import date_text
from ..models.persons import Person
from ..models.visits import Pairing, VisitState
from ..rules.categories import CHILD, DIFFICULT
from ..rules.dates import month_after, shift_years
from ..rules.subsidy import parse_bands

# Labels with {child}, {difficult} and {bands} filled from the settings in force (label()).
LABELS = {
    "overdue": "走访逾期",
    "turning16": "60天内满{child}周岁的留守儿童",
    "turning18": "60天内满{difficult}周岁的困境儿童",
    "subsidy": "下月满{bands}周岁",
    "unsigned": "确认书未签订",
    "carer": "照护人不符合条件",
    "no_primary": "没有主要帮扶人",
    "birthdays": "本周生日",
    "review": "类别变化待核实",
}


def people(scope, kind, today: date):
    """The query of active persons of the area behind one reminder (KeyError: no such kind)."""
    active = scope.filter(Person.active(), Person)
    if kind == "overdue":
        return active.join(VisitState).where(VisitState.due_on < today).order_by(VisitState.due_on)
    return active.where(_condition(kind, today))


def _condition(kind, today: date):
    """The condition on a person of every reminder but "overdue" (KeyError: no such kind)."""
    if kind == "unsigned":
        return Person.groups.contains("留守儿童") & Person.agreement_signed_on.is_null()
    if kind == "carer":
        return (Person.carer_name != "") & (
            ~Person.carer_capable | (Person.carer_disqualifiers != "")
        )
    if kind == "no_primary":
        # NOT EXISTS, not NOT IN: PostgreSQL answers NOT IN (subquery) with a subplan that
        # rescans the county's pairings for each person once they outgrow work_mem (48 s for
        # a township of a 1,000,000-person county); NOT EXISTS is an anti-join (1.4 s).
        primary = Pairing.select(SQL("1")).where(
            (Pairing.person == Person.id) & Pairing.ended_on.is_null() & Pairing.primary
        )
        return (Person.groups != "") & ~fn.EXISTS(primary)
    if kind == "review":
        return Person.needs_review
    if kind in ("turning16", "turning18"):
        # Each group ends at its own age: 留守儿童 at child_max_age, 困境儿童 at difficult_max_age.
        group, key = (
            (CHILD, "child_max_age") if kind == "turning16" else (DIFFICULT, "difficult_max_age")
        )
        years = int(settings.get(key, today))
        low, high = shift_years(today, -years), shift_years(today + timedelta(days=60), -years)
        return (
            (Person.birth_date > low) & (Person.birth_date <= high) & Person.groups.contains(group)
        )
    if kind == "subsidy":
        start = month_after(today)
        months = [f"{start.year - years}-{start.month:02d}" for years in _band_ages(start)]
        return date_text("%Y-%m", Person.birth_date).in_(months)
    if kind == "birthdays":
        days = [(today + timedelta(days=i)).strftime("%m-%d") for i in range(7)]
        return (Person.groups != "") & date_text("%m-%d", Person.birth_date).in_(days)
    raise KeyError(kind)


def _band_ages(month_start):
    """The ages at which the 高龄补贴 starts or changes band, from the dated bands setting in
    force for that month."""
    try:
        bands = parse_bands(str(settings.get("elder_subsidy_bands", month_start)))
    except ValueError:
        bands = parse_bands(str(settings.BY_KEY["elder_subsidy_bands"].default))
    return [low for low, _, _ in bands]


def label(kind, today: date):
    """A reminder's label, its ages read from the settings in force (KeyError: no such kind)."""
    return LABELS[kind].format(
        child=settings.get("child_max_age", today),
        difficult=settings.get("difficult_max_age", today),
        bands="/".join(str(a) for a in _band_ages(month_after(today))),
    )


def counts(scope, today: date):
    """[(kind, label, count)] for every reminder: the overdue from the visit states, all the
    others counted in one pass over the area's active persons (issue 17 item 7: a township's
    first home at 100,000 persons read the person table once per reminder)."""
    kinds = [kind for kind in LABELS if kind != "overdue"]
    sums = [fn.COALESCE(fn.SUM(Case(None, [(_condition(k, today), 1)], 0)), 0) for k in kinds]
    row = scope.filter(Person.active(), Person).select(*sums).tuples().get()
    found = dict(zip(kinds, row, strict=True))
    found["overdue"] = people(scope, "overdue", today).count()
    return [(kind, label(kind, today), int(found[kind])) for kind in LABELS]
