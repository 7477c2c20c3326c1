"""Reminders: the lists a township must not forget, each with a count on the home page."""

from datetime import date, timedelta

from peewee import fn

from ..models.persons import Person
from ..models.visits import Pairing, VisitState
from ..rules.dates import month_after, shift_years

LABELS = {
    "overdue": "走访逾期",
    "turning16": "60天内满16周岁",
    "subsidy": "下月满80/90/100周岁",
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
    if kind == "unsigned":
        return active.where(
            Person.groups.contains("留守儿童") & Person.agreement_signed_on.is_null()
        )
    if kind == "carer":
        return active.where(
            (Person.carer_name != "") & (~Person.carer_capable | (Person.carer_disqualifiers != ""))
        )
    if kind == "no_primary":
        primary = Pairing.select(Pairing.person).where(Pairing.ended_on.is_null() & Pairing.primary)
        return active.where((Person.groups != "") & Person.id.not_in(primary))
    if kind == "review":
        return active.where(Person.needs_review)
    if kind == "turning16":
        low, high = shift_years(today, -16), shift_years(today + timedelta(days=60), -16)
        return active.where(
            (Person.birth_date > low)
            & (Person.birth_date <= high)
            & (Person.groups.contains("儿童"))
        )
    if kind == "subsidy":
        start = month_after(today)
        months = [f"{start.year - years}-{start.month:02d}" for years in (80, 90, 100)]
        return active.where(fn.strftime("%Y-%m", Person.birth_date).in_(months))
    if kind == "birthdays":
        days = [(today + timedelta(days=i)).strftime("%m-%d") for i in range(7)]
        return active.where(
            (Person.groups != "") & fn.strftime("%m-%d", Person.birth_date).in_(days)
        )
    raise KeyError(kind)


def counts(scope, today: date):
    """[(kind, label, count)] for every reminder."""
    return [(kind, label, people(scope, kind, today).count()) for kind, label in LABELS.items()]
