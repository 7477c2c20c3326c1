"""An open period that starts with closed months (the current year, the current quarter): its
figures that are sums over its days, read from the closed months' kept rows (summary_kept) and
counted live only for the rest of the period.

Which figures: the visits and those at the door, the check-ins (一敲门), the needs raised and
closed (closed within 30 days, days to close) and the services (`FLOWS`): each counts a fact in
the month of its own date, in the village where its person lived on that date, so the period's
figure is the sum of its months' figures, each counted with the period's cut-off. The others
(members, tiers and visits within the cycle at the period's end, person-visits by the tier at the
end, people paid, attendance by group at the end, emergencies' steps done by the cut-off...) are
not sums of months and are counted over the whole period as before.

A closed month's kept row is counted with the month's own cut-off, the period's with now. They
agree unless something about the month's facts was learnt after the month's cut-off; such a month
(`late_months`) is counted live with the period's cut-off instead of read:
- a visit, check-in, need (raised or closed in the month), service of the month recorded or
  voided after its cut-off;
- a person with a check-in in the month voided after it (check-ins count living persons);
- a group event recorded after it for a person with a check-in, need or service in the month that
  may place one of them elsewhere (facts.village_on, facts.Whereabouts): one dated on or before the
  month's end; or, for a need or service, one of a person with no event recorded before the
  cut-off dated on or before its day (his place before his first event is that event's), unless
  he had no event at all before and this one is in the village he lives in now.
A correction of a kept month's fact (its date, persons, kind, status ...) drops the month's kept
rows (services/month_rates.reopen_periods): that month has no row and is counted live too.
"""

from peewee import SQL, fn

from ..models.care import Need, Service
from ..models.group_events import GroupEvent
from ..models.persons import Person
from ..models.visits import CheckIn, Visit
from ..rules.dates import month_after, month_end, month_start
from .facts import cutoff_for, is_final

FLOWS = (
    "visits",
    "door",
    "knock",
    "needs_raised",
    "needs_closed",
    "needs_closed30",
    "close_days",
    "services",
)


def closed_months(start, end):
    """The closed months a period starting on a month's first day begins with (oldest first)."""
    months, month = [], start
    if month != month_start(start):
        return months
    while month_end(month) <= end and is_final(month_end(month)):
        months.append(month)
        month = month_after(month)
    return months


def add_flows(into, figures):
    """Add the summed figures (FLOWS) of one village's Figures to another's."""
    for name in FLOWS:
        value, total = getattr(figures, name), getattr(into, name)
        if isinstance(value, int):
            setattr(into, name, total + value)
        elif isinstance(value, dict) and not isinstance(total, list):
            for key, v in value.items():
                if isinstance(v, list):
                    total[key].extend(v)
                else:
                    total[key] += v


def _late(query, model, day, first, last, cutoff):
    """Rows of `model` dated first..last (by `day`) recorded or voided at or after `cutoff`."""
    late = model.created_at >= cutoff
    if hasattr(model, "voided_at"):
        late = late | (model.voided_at.is_null(False) & (model.voided_at >= cutoff))
    return query.where((day >= first) & (day <= last) & late)


def _one(query):
    return query.select(SQL("1")).limit(1).exists()


def late_months(months, now_cutoff):
    """The months (of `months`, closed) whose kept flows may differ from a count with the cut-off
    `now_cutoff`: something about their facts learnt after their own cut-off (module doc)."""
    return {m for m in months if cutoff_for(month_end(m)) < now_cutoff and _learnt_late(m)}


def _learnt_late(month):
    last, cutoff = month_end(month), cutoff_for(month_end(month))

    def in_month(day):
        return (day >= month) & (day <= last)

    facts = [
        _late(Visit.with_voided(), Visit, Visit.visited_on, month, last, cutoff),
        _late(CheckIn.with_voided(), CheckIn, CheckIn.on, month, last, cutoff),
        _late(Service.with_voided(), Service, Service.served_on, month, last, cutoff),
        _late(Need.with_voided(), Need, Need.raised_on, month, last, cutoff),
        _late(Need.with_voided(), Need, Need.closed_on, month, last, cutoff),
        # (from the few voided persons: person.voided_at is indexed)
        Person.select().where(
            (Person.voided_at >= cutoff)
            & fn.EXISTS(
                CheckIn.with_voided(SQL("1")).where(
                    (CheckIn.person == Person.id) & in_month(CheckIn.on)
                )
            )
        ),
    ]
    if any(_one(q) for q in facts):
        return True
    # Group events recorded after the cut-off that may move a fact of the month.
    late, old = GroupEvent.alias("late"), GroupEvent.alias("old")

    def known_by(day):
        """The person had an event recorded before the cut-off dated on or before `day`."""
        return fn.EXISTS(
            old.select(SQL("1")).where(
                (old.person == late.person) & (old.recorded_at < cutoff) & (old.on <= day)
            )
        )

    checkin = CheckIn.with_voided(SQL("1")).where(
        (CheckIn.person == late.person) & in_month(CheckIn.on)
    )
    service = Service.with_voided(SQL("1")).where(
        (Service.person == late.person) & in_month(Service.served_on)
    )
    need = Need.with_voided(SQL("1")).where(
        (Need.person == late.person) & (in_month(Need.raised_on) | in_month(Need.closed_on))
    )
    # A person with no event before a need's or service's day is placed by his first event
    # (facts.Whereabouts; with none, where he lives now): a late event may become his first.
    # Not when he had no event at all before and this one is where he lives now.
    elsewhere = fn.EXISTS(
        Person.select(SQL("1")).where((Person.id == late.person) & (Person.village != late.village))
    ) | fn.EXISTS(
        old.select(SQL("1")).where((old.person == late.person) & (old.recorded_at < cutoff))
    )
    moved = late.select(SQL("1")).where(
        (late.recorded_at >= cutoff)
        & (
            ((late.on <= last) & (fn.EXISTS(checkin) | fn.EXISTS(service) | fn.EXISTS(need)))
            | (~known_by(month) & fn.EXISTS(service) & elsewhere)
            | (fn.EXISTS(need.where(~known_by(Need.raised_on))) & elsewhere)
        )
    )
    return _one(moved)
