"""What every indicator of a period's summary (queries/summary.py) counts into and reads from:
a village's raw counts (`Figures`, rates computed from them), the visit cycles in force, and the
period (`_Period`: the area's villages, its dates, its cut-off, the members and tiers at its end,
read once)."""

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from peewee import Case, Field, fn

from .. import settings
from ..models.group_events import GroupEvent
from ..models.persons import Person
from ..models.tier_events import TierEvent
from ..rules.categories import GROUPS
from ..rules.visits import TIERS, TierRules
from . import facts
from .facts import cutoff_for, known, members_on


def rate(part, whole):
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def _total(counter):
    """A property of Figures: the sum of its Counter named `counter` over every key."""
    return property(lambda self: sum(getattr(self, counter).values()))


def _rate(part, whole):
    """A property of Figures: the rate of its counts named `part` and `whole`."""
    return property(lambda self: rate(getattr(self, part), getattr(self, whole)))


class Figures:
    """The raw counts of one village (or of the area's total); rates are computed from them."""

    def __init__(self, days, rules):
        self.days, self.rules = days, rules
        self.members = Counter()  # group -> persons at period end; "all" -> in any group
        self.paired = Counter()  # same keys: of them, paired at period end
        self.signed = Counter()  # child group -> agreements signed by period end
        self.tier_persons = Counter()  # tier -> persons in any group
        self.tier_within = Counter()  # tier -> of them, visited within their cycle
        self.tier_done = Counter()  # tier -> person-visits in the period
        self.visits = self.door = self.knock = 0
        self.needs_raised, self.needs_closed, self.needs_closed30 = Counter(), Counter(), Counter()
        self.close_days = defaultdict(list)  # kind -> days from raised to closed
        self.services = Counter()
        self.emergencies = self.steps = self.steps_on_time = 0
        self.first_minutes = []
        self.benefit_people, self.benefit_amount = Counter(), Counter()
        self.covered = Counter()  # 低保 / 特困供养 -> persons in a group receiving it at end
        self.activities, self.attendance = Counter(), Counter()  # kind; group (+ "all")
        self.sites_active, self.sites_inactive = Counter(), Counter()

    def add(self, other):
        """Add another village's counts (for the total row)."""
        for name, value in vars(other).items():
            if isinstance(value, (Counter, defaultdict)):
                for key, v in value.items():
                    getattr(self, name)[key] += v
            elif isinstance(value, int) and name != "days":
                setattr(self, name, getattr(self, name) + value)
            elif isinstance(value, list):
                getattr(self, name).extend(value)

    def due(self, tier):
        """Visits due in the period: persons x cycles in the period (rounded half up)."""
        exact = Decimal(self.tier_persons[tier] * self.days) / self.rules.days(tier)
        return int(exact.quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def due_total(self):
        return sum(self.due(t) for t in TIERS)

    done_total = _total("tier_done")
    within_total = _total("tier_within")
    closed = _total("needs_closed")
    closed30 = _total("needs_closed30")
    closed30_rate = _rate("closed30", "closed")
    on_time_rate = _rate("steps_on_time", "steps")

    @property
    def pairing_rate(self):
        return rate(self.paired["all"], self.members["all"])

    def signing_rate(self, group):
        return rate(self.signed[group], self.members[group])

    @property
    def within_rate(self):
        return rate(self.within_total, self.members["all"])

    def median_days(self, kind=None):
        values = self.close_days[kind] if kind else sum(self.close_days.values(), [])
        return median(values) if values else None

    @property
    def median_first_minutes(self):
        return median(self.first_minutes) if self.first_minutes else None

    def coverage_rate(self, kind):
        return rate(self.covered[kind], self.members["all"])


def tier_rules(on):
    """The visit cycles in force on a day (dated settings)."""
    return TierRules(
        high_days=int(settings.get("visit_high_days", on)),
        key_days=int(settings.get("visit_key_days", on)),
        general_days=int(settings.get("visit_general_days", on)),
    )


def _sum_if(condition):
    return fn.SUM(Case(None, ((condition, 1),), 0))


def _last_tiers(p):
    """{person id: tier} of each person's last tier history row dated on or before the
    period's last day and recorded before its cut-off (the same row as `_tier`, for every
    person in one ranked pass)."""
    dated = (TierEvent.on <= p.day()) & (TierEvent.recorded_at < p.cutoff)
    candidates = p.candidates(TierEvent.person)
    ranked = (
        TierEvent.select(
            TierEvent.person,
            TierEvent.tier,
            fn.ROW_NUMBER()
            .over(
                partition_by=[TierEvent.person],
                order_by=[TierEvent.on.desc(), TierEvent.id.desc()],
            )
            .alias("n"),
        )
        .where(dated if candidates is None else dated & candidates)
        .alias("ranked")
    )
    query = TierEvent.select(ranked.c.person_id, ranked.c.tier).from_(ranked).where(ranked.c.n == 1)
    return dict(facts.raw_rows(query))


class _Period:
    """What every indicator query needs: the area's villages, the dates and the cut-off."""

    def __init__(self, scope, start, end, village_ids, cutoff=None):
        self.scope, self.start, self.end, self.village_ids = scope, start, end, village_ids
        # Another period's cut-off: a closed month of an open period counted with the period's.
        self.cutoff = cutoff or cutoff_for(end)
        # A person voided after the cut-off stays in the figures he was in when it passed.
        self.alive = Person.voided_at.is_null() | (Person.voided_at >= self.cutoff)
        self.after = datetime.combine(end + timedelta(days=1), time.min)
        self.members = {g: members_on(scope, end, g, self.cutoff) for g in GROUPS}
        self.in_any = None
        for query in self.members.values():
            cond = Person.id.in_(query)
            self.in_any = cond if self.in_any is None else self.in_any | cond

        self._tiers = None
        self._member_sets = None
        self._placed = None
        self._by_person = None  # summary_visits.by_person

    def day(self):
        """The day the states at the period's end are read for (facts.state_day)."""
        return facts.state_day(self.end, self.cutoff)

    def _shared(self, name, compute):
        """`compute()` once per screen (facts.shared) for every period of the same area,
        cut-off and state day (the open year's and its current month's)."""
        key = (name, self.scope, tuple(self.village_ids), self.day(), self.cutoff)
        return facts.kept(key, compute)

    def member_sets(self):
        """{group: {person ids}} of the members at the period end (read once per period, and
        once per screen within facts.shared())."""
        if self._member_sets is None:
            self._member_sets = {
                g: facts.member_set(self.scope, self.end, g, self.cutoff) for g in GROUPS
            }
        return self._member_sets

    def placed(self):
        """[(person id, village id)] of the persons who lived in the listed villages at the
        period's end (facts.village_on: as they were counted then); read once
        per period (both _population and tier_of need it)."""
        if self._placed is None:

            def compute():
                then = facts.village_on(Person.id, self.day(), self.cutoff)
                return list(facts.raw_rows(self.persons(Person.select(Person.id, then), then)))

            self._placed = self._shared("placed", compute)
        return self._placed

    def tier_of(self):
        """{person id: (village id, effective visit tier at the period end)} of the persons in
        any group then (in the listed villages); read once per period."""
        if self._tiers is None:
            self._tiers = self._shared("tier_of", self._tier_of)
        return self._tiers

    def _tier_of(self):
        last = _last_tiers(self)
        members = self.member_sets()
        in_any = set().union(*members.values())
        # In the village he lived in at the period's end, as he was counted then.
        tiers = {}
        for pid, vid in self.placed():
            if pid in in_any:
                tier = last.get(pid, "general")
                tiers[pid] = (vid, tier if tier in TIERS else "general")
        return tiers

    def known(self, model, *fields):
        query = known(model.with_voided(*fields), model, self.cutoff)
        return self.scope.filter(query, model)

    def persons(self, query, village_field=Person.village):
        """`query` narrowed to the listed villages by `village_field`: a column, or the
        village a person (a query joining Person) lived in on a day (facts.village_on)."""
        query = query.where(village_field.in_(self.village_ids))
        if isinstance(village_field, Field) or self.scope.everything:
            return query
        return query.where(self.candidates(Person.id))

    def candidates(self, person):
        """A condition on a person id column: he lives in a listed village now or has a group
        event in one (recorded before the cut-off), as anyone who lived in one on a day of the
        period must; said first, so the per-person expressions and rankings are evaluated for
        the area's persons, not for every person of a county. None for the whole instance."""
        if self.scope.everything:
            return None
        moved = GroupEvent.select(GroupEvent.person).where(
            GroupEvent.village.in_(self.village_ids) & (GroupEvent.recorded_at < self.cutoff)
        )
        now = Person.select(Person.id).where(Person.village.in_(self.village_ids))
        return person.in_(now | moved)  # one set of ids (a UNION), probed by primary key
