"""高龄补贴 work: who qualifies but gets nothing, and the monthly payment roster (花名册).

Both follow rules/subsidy.py: a person is in a band for a month by his age on the month's last
day, so the allowance is due from the month of the birthday that reaches the band's lower age
(the birthday month itself, not the month after). The rules pay month by month and know no
back-pay, so every roster row is one month.

The roster for a past month is read as known when that month closed (queries/facts.py): a
benefit registered, voided or stopped later, a person voided later, never change it.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from ..models import Village
from ..models.persons import Person
from ..models.records import Benefit
from ..rules.categories import age_on
from ..rules.dates import month_end, month_start, shift_years
from ..rules.subsidy import band_in_month, band_label
from . import facts
from .records import as_known, bands, monthly_amount, paying_between

KIND = "高龄补贴"


def reached_on(birth, age):
    """The first day on which someone born on `birth` is `age` full years old (a 29 February
    birth reaches it on 1 March of a common year, as age_on counts)."""
    day = shift_years(birth, age)
    return day if age_on(birth, day) >= age else day + timedelta(days=1)


@dataclass
class Missing:
    """A person who qualifies on a date but has no current 高龄补贴."""

    person: Person
    age: int
    band: tuple
    from_month: object  # the first day of the month the band is due from

    @property
    def band_label(self):
        return band_label(self.band)

    @property
    def amount(self):
        return Decimal(str(self.band[2])).quantize(Decimal("0.01"))


def _current_benefit(on, cutoff):
    """Persons with a 高龄补贴 not voided and not stopped by `on`, as known at `cutoff`
    (pending ones included: their application is under way, another one would be a
    duplicate; a stop recorded after the cut-off had not happened yet)."""
    query = Benefit.with_voided().select(Benefit.person)
    ended_later = Benefit.ended_at.is_null(False) & (Benefit.ended_at >= cutoff)
    return facts.known(query, Benefit, cutoff).where(
        (Benefit.kind == KIND)
        & (
            (Benefit.end_on.is_null() & (Benefit.status != "已停发"))
            | (Benefit.end_on > on)
            | ended_later
        )
    )


def missing(scope, on, village_id=None):
    """[Missing] of the area on a date, by village then name: persons aged at least the lowest
    band's age on `on` (by the bands in force on `on`), registered and not exited, voided or
    dead by then, with no current 高龄补贴; as known at the end of that day (now, for today),
    so the list for a past day never changes."""
    table = bands(on)
    if not table:
        return []
    cutoff = facts.cutoff_for(on)
    youngest = shift_years(on, -table[0][0])
    exited = Person.exited_on.is_null(False) & (Person.exited_on <= on)
    exit_known = Person.exited_at.is_null() | (Person.exited_at < cutoff)
    query = facts.known(Person.select(Person, Village).join(Village), Person, cutoff)
    query = (
        scope.filter(query, Person)
        .where(
            ~(exited & exit_known)
            & (Person.birth_date <= youngest)
            & Person.id.not_in(_current_benefit(on, cutoff))
        )
        .order_by(Village.sort_order, Village.code, Person.name_pinyin, Person.id)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    out = []
    for p in query:
        if age_on(p.birth_date, on) < table[0][0]:
            continue  # a 29 February birth that shift_years rounded to the 28th
        band = band_in_month(p.birth_date, month_start(on), table)
        if band is None:
            continue  # a gap between bands in the setting
        out.append(
            Missing(
                p, age_on(p.birth_date, on), band, month_start(reached_on(p.birth_date, band[0]))
            )
        )
    return out


@dataclass
class RosterRow:
    """One person's line on the monthly roster."""

    person: Person
    age: int
    band: tuple
    amount: Decimal
    months: int = 1

    @property
    def band_label(self):
        return band_label(self.band)

    @property
    def total(self):
        return self.amount * self.months


@dataclass
class RosterVillage:
    village: Village
    rows: list

    @property
    def people(self):
        return len(self.rows)

    @property
    def total(self):
        return sum((r.total for r in self.rows), start=Decimal("0.00"))


def roster(scope, month, village_id=None):
    """[RosterVillage] of the area for a month (first day), in the township's village order,
    each with its rows by name: every 高龄补贴 that pays in the month, as known when the month
    closed (now, for the current month), at the band the person is in that month."""
    month = month_start(month)
    cutoff = facts.cutoff_for(month_end(month))
    query = Benefit.with_voided().select(Benefit, Person, Village).join(Person).join(Village)
    query = facts.known(facts.known(query, Benefit, cutoff), Person, cutoff)
    query = scope.filter(query, Benefit).where(Benefit.kind == KIND)
    query = paying_between(query, month, month_end(month), cutoff)
    if village_id:
        query = query.where(Person.village == village_id)
    query = query.order_by(Village.sort_order, Village.code, Person.name_pinyin, Person.id)
    table = bands(month)
    by_village = {}
    for b in query:
        amount = monthly_amount(as_known(b, cutoff), month, table)
        if not amount:
            continue
        p = b.person
        row = RosterRow(
            p,
            age_on(p.birth_date, month_end(month)),
            band_in_month(p.birth_date, month, table),
            amount,
        )
        by_village.setdefault(p.village_id, RosterVillage(p.village, [])).rows.append(row)
    return list(by_village.values())


def roster_total(villages):
    """(people, yuan) of a roster's villages together."""
    return sum(v.people for v in villages), sum((v.total for v in villages), start=Decimal("0.00"))
