"""Reminders: the lists a township must not forget, each with a count on the home page."""
from datetime import date, timedelta

from flask import Blueprint, abort, g, render_template
from peewee import fn

from ..models.persons import Person
from ..models.visits import Pairing, VisitState
from ..rules.categories import age_on

bp = Blueprint("reminders", __name__)

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


def _people(kind, today):
    """The query (or list) of persons behind one reminder, in the user's area."""
    active = g.scope.filter(Person.active(), Person)
    if kind == "overdue":
        return active.join(VisitState).where(VisitState.due_on < today).order_by(VisitState.due_on)
    if kind == "unsigned":
        return active.where(Person.groups.contains("留守儿童") & Person.agreement_signed_on.is_null())
    if kind == "carer":
        return active.where((Person.carer_name != "") & ((Person.carer_capable == False)  # noqa: E712
                                                        | (Person.carer_disqualifiers != "")))
    if kind == "no_primary":
        return active.where((Person.groups != "") & Person.id.not_in(
            Pairing.select(Pairing.person).where(Pairing.ended_on.is_null() & (Pairing.primary == True))))  # noqa: E712
    if kind == "review":
        return active.where(Person.needs_review == True)  # noqa: E712
    if kind == "turning16":
        low, high = _shift(today, -16), _shift(today + timedelta(days=60), -16)
        return active.where((Person.birth_date > low) & (Person.birth_date <= high)
                            & (Person.groups.contains("儿童")))
    if kind == "subsidy":
        start = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        months = [f"{start.year - years}-{start.month:02d}" for years in (80, 90, 100)]
        return active.where(fn.strftime("%Y-%m", Person.birth_date).in_(months))
    if kind == "birthdays":
        days = [(today + timedelta(days=i)).strftime("%m-%d") for i in range(7)]
        return active.where((Person.groups != "") & fn.strftime("%m-%d", Person.birth_date).in_(days))
    abort(404)


def _shift(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def reminder_counts(today=None):
    today = today or date.today()
    out = []
    for kind, label in LABELS.items():
        people = _people(kind, today)
        out.append((kind, label, len(people) if isinstance(people, list) else people.count()))
    return out


@bp.route("/reminders/<kind>")
def show(kind):
    """One reminder's list."""
    today = date.today()
    people = _people(kind, today)
    return render_template("reminders.html", label=LABELS[kind], people=list(people)[:300],
                           today=today, age_on=age_on)
