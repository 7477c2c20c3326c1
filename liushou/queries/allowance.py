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
from .records import bands, monthly_amount

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


def _current_benefit(on):
    """Persons with a 高龄补贴 not voided and not stopped by `on` (pending ones included:
    their application is under way, another one would be a duplicate)."""
    return Benefit.select(Benefit.person).where(
        (Benefit.kind == KIND)
        & ((Benefit.end_on.is_null() & (Benefit.status != "已停发")) | (Benefit.end_on > on))
    )


def missing(scope, on, village_id=None):
    """[Missing] of the area on a date, by village then name: persons aged at least the lowest
    band's age on `on` (by the bands in force on `on`), registered and not exited, voided or
    dead by then, with no current 高龄补贴."""
    table = bands(on)
    if not table:
        return []
    youngest = shift_years(on, -table[0][0])
    query = (
        scope.filter(Person.select(Person, Village).join(Village), Person)
        .where(
            Person.voided_at.is_null()
            & (Person.exited_on.is_null() | (Person.exited_on > on))
            & (Person.birth_date <= youngest)
            & Person.id.not_in(_current_benefit(on))
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


def _as_known(benefit, cutoff):
    """The benefit and its person as they stood at `cutoff`: a void recorded after it had not
    happened yet (the rows are never saved back)."""
    for row in (benefit, benefit.person):
        if row.voided_at is not None and row.voided_at >= cutoff:
            row.voided_at = None
    return benefit


def roster(scope, month, village_id=None):
    """[RosterVillage] of the area for a month (first day), in the township's village order,
    each with its rows by name: every 高龄补贴 that pays in the month, as known when the month
    closed (now, for the current month), at the band the person is in that month."""
    month = month_start(month)
    cutoff = facts.cutoff_for(month_end(month))
    query = Benefit.with_voided().select(Benefit, Person, Village).join(Person).join(Village)
    query = facts.known(facts.known(query, Benefit, cutoff), Person, cutoff)
    query = scope.filter(query, Benefit).where(Benefit.kind == KIND)
    query = query.where(Benefit.start_on <= month_end(month)).where(
        Benefit.end_on.is_null() | (Benefit.end_on > month)
    )
    if village_id:
        query = query.where(Person.village == village_id)
    query = query.order_by(Village.sort_order, Village.code, Person.name_pinyin, Person.id)
    table = bands(month)
    by_village = {}
    for b in query:
        amount = monthly_amount(_as_known(b, cutoff), month, table)
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
