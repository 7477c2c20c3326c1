"""Demo helpers, village posts, pairings and a year of visits (some persons left overdue).

Helpers come from fixtures/helpers.csv; a person is paired with, and visited by, helpers who
serve his groups (a 儿童主任 with children, a 村医 with elders)."""

import json
from datetime import datetime, time, timedelta
from types import SimpleNamespace

from .. import clock
from ..models import User
from ..models.tier_events import TierEvent
from ..models.visits import (
    ASPECTS,
    CheckIn,
    Pairing,
    Visit,
    VisitHelper,
    VisitPerson,
    VisitState,
)
from ..rules import visits as rules
from ..scope import Scope
from ..services import SYSTEM, Actor
from ..services.helpers import save_helper, set_village_posts
from ..services.visits import cycles, keep_duty_dates, talk_days, tier_facts, tier_rules
from . import loaded, picks, vocab
from .area import WHOLE

EVERYWHERE = Scope(everything=True)
FIRST = ("村干部", "网格员")  # paired first: the cadre, or the grid worker of the person's grid


def build_care(rng, villages, grids, people, today, rows, area=WHOLE):
    """Helpers for every village (linked to the demo cadre and grid accounts), posts, pairings
    of most persons in a group, and visits over the past year; returns the number of helpers."""
    helpers_by_village = {}
    grid_of_worker = {}  # village id -> the grid its demo grid worker looks after
    for v in villages:
        made = []  # (fixture row, helper)
        first_grid = min((g for g in grids if g.village_id == v.id), key=lambda g: g.sort_order)
        for row in vocab.helpers():
            user = None
            if row["account"] == "village":
                user = User.get_or_none(User.username == area.username("cun", v))
            elif row["account"] == "grid":
                user = User.get_or_none(User.username == area.username("wangge", v))
            served = f"g:{first_grid.id}" if row["account"] == "grid" else f"v:{v.id}"
            if user:
                name = user.display_name
            else:
                low, high = vocab.ages(row)
                name = people.name(row["sex"] or rng.choice("男女"), people.born(today, low, high))
            helper = save_helper(
                SYSTEM,
                EVERYWHERE,
                {
                    "name": name,
                    "kind": row["kind"],
                    "position": row["position"],
                    "unit": row["unit"].replace("{village}", v.name),
                    "phone": people.phone("35"),
                    "village": v.id,
                    "user": user.id if user else None,
                    "areas": [served],
                },
            )
            made.append((row, helper))
        set_village_posts(SYSTEM, EVERYWHERE, v, {r["kind"]: h.id for r, h in made if r["post"]})
        helpers_by_village[v.id] = made
        grid_of_worker[v.id] = first_grid.id
    persons = loaded.persons(area, villages, loaded.IN_GROUPS)
    first_start = {}  # person id -> start of his first pairing
    for person in persons:
        made = helpers_by_village[person.village_id]
        if rng.random() < 0.92:
            kind = "网格员" if person.grid_id == grid_of_worker[person.village_id] else "村干部"
            first = next(h for r, h in made if r["kind"] == kind)
            first_start[person.id] = today - timedelta(days=400)
            _pair(rows, first, person, first_start[person.id], primary=True)
            fit = [
                h
                for r, h in made
                if r["kind"] not in FIRST
                and r["serves"] != vocab.ANYONE
                and vocab.serves(r, person.group_list)
                and rules.fits(r["kind"], person.group_list)
            ]
            if fit and rng.random() < 0.3:
                _pair(rows, rng.choice(fit), person, today - timedelta(days=300), primary=False)
    last = _visits(rng, persons, helpers_by_village, today, rows)
    _checkins(rng, persons, helpers_by_village, grid_of_worker, today, rows)
    rows.flush()
    _states(rows, last, first_start, today, area, villages)
    # The last day of each duty, counted set-based from the visits and check-ins just written.
    ids = ", ".join(str(int(v.id)) for v in villages) or "0"
    keep_duty_dates(
        where=f'{{col}} IN (SELECT "id" FROM "person" WHERE "village_id" IN ({ids}))',
        villages=[v.id for v in villages],
    )
    return sum(len(m) for m in helpers_by_village.values())


def _pair(rows, helper, person, started_on, primary):
    """A pairing as services.visits.pair makes it (the first one is the primary)."""
    row_id = rows.add(
        Pairing, helper=helper.id, person=person.id, started_on=started_on, primary=primary
    )
    rows.audit(
        "create",
        Pairing,
        row_id,
        f"{helper.name} 结对 {person.name}",
        [("helper", None, helper.id), ("person", None, person.id), ("primary", None, primary)],
    )


def _states(rows, last, first_start, today, area, villages):
    """Every person's visit state, by the rules services.visits.refresh_state applies:
    his tier from his facts, the next visit due from his last one."""
    tr, cyc = tier_rules(today), cycles(today)
    tekun = loaded.tekun_households(area, villages)
    households = {True: SimpleNamespace(tekun=True), False: SimpleNamespace(tekun=False)}
    for person in loaded.persons(area, villages, loaded.FOR_TIER, active_in_groups=False):
        person.household = households[person.household_id in tekun]
        tier, reason = rules.tier_for(tier_facts(person, today), tr)
        visit = last.get(person.id)
        rows.add(
            VisitState,
            person=person.id,
            tier=tier,
            tier_reason=reason,
            due_on=rules.next_due(
                visit.visited_on if visit else None,
                tier,
                tr,
                since=first_start.get(person.id) or today,
                asked=None,
                days=talk_days(person, tier, tr, cyc),
            ),
            refreshed_on=today,
            last_visit_on=visit.visited_on if visit else None,
            last_summary=visit.summary[:300] if visit else "",
        )
        # The tier's history starts on the registration day (services/tier_events.py).
        rows.add(
            TierEvent,
            person=person.id,
            tier=tier,
            overridden=False,
            on=person.created_at.date(),
            recorded_at=person.created_at,
        )
    rows.flush()


def _visits(rng, persons, helpers_by_village, today, rows):
    """A year of visits for every person, written in bulk; returns {person id: last visit}.

    The county demo's 1.6 million visits: each is a tuple, its entry moment (dates.py) set
    here, and the draws are random's own (same stream as rng.choice/choices/randint: picks)."""
    findings = vocab.findings()
    methods, method_weights = vocab.mix("visit_methods")
    weighted = picks.weighted(rng, methods, method_weights)
    below, rand = picks.below(rng), rng.random
    spec = vocab.recent()["items"]
    noted_since = today - timedelta(days=spec["days"])
    aspects = [name for name, _ in ASPECTS] + ["needs"]
    rows.shape(
        Visit, "village", "grid", "household", "visited_on", "method", *aspects, "created_at"
    )
    rows.shape(VisitPerson, "visit", "person", "items")
    rows.shape(VisitHelper, "visit", "helper")
    put = rows.put
    entered = _entered_moments(today)
    seen, last, visitors_of, notes_of, items_of = {}, {}, {}, {}, {}
    for person in persons:
        groups = person.group_list
        key = (person.village_id, person.groups)
        if key not in visitors_of:
            visitors_of[key] = [
                h.id
                for r, h in helpers_by_village[person.village_id]
                if r["visits"] == "yes"
                and vocab.serves(r, groups)
                and rules.fits(r["kind"], groups)
            ]
        visitors = visitors_of[key]
        if person.groups not in notes_of:
            texts = [
                [r["text"] for r in findings if r["aspect"] == aspect and vocab.serves(r, groups)]
                or [""]
                for aspect in aspects
            ]
            notes_of[person.groups] = [(t, len(t)) for t in texts]
            items_of[person.groups] = rules.items_for(groups)
        notes, items = notes_of[person.groups], items_of[person.groups]
        at_school = person.school != ""
        seen[person.village_id] = seen.get(person.village_id, 0) + 1
        interval = rng.choice((7, 14, 30, 45, 90))
        day = today - timedelta(days=365 - rng.randint(0, 30))
        # Leave about one person in six overdue: stop visiting some weeks or months ago.
        # (the first persons of every village among them, so each cadre's worklist shows some).
        late = seen[person.village_id] <= 3 or rng.random() < 0.15
        stop = today - timedelta(days=rng.randint(interval + 95, interval + 150)) if late else today
        ids = (person.village_id, person.grid_id, person.household_id)
        noted = None
        while day <= stop:
            method = weighted()
            if method == "在校" and not at_school:
                method = "上门"
            noted = [t[below(n)] for t, n in notes]
            if rand() >= 0.25:
                noted[-1] = ""
            visit = put(Visit, *ids, day, method, *noted, entered(day))
            found = _items(rand, below, spec, items) if day >= noted_since else ""
            put(VisitPerson, visit, person.id, found)
            put(VisitHelper, visit, visitors[below(len(visitors))])
            last[person.id] = (day, noted)
            day += timedelta(days=interval - 3 + below(7))  # rng.randint(-3, 3)
    return {
        pid: Visit(visited_on=day, **dict(zip(aspects, noted, strict=True)))
        for pid, (day, noted) in last.items()
    }


def _entered_moments(today):
    """day -> a visit's created_at, as dates.entered_on_their_day sets it: 18:00 of its day,
    or the moment it is written when that is earlier."""
    now = clock.now()
    moments = {}

    def entered(day):
        try:
            return moments[day]
        except KeyError:
            moment = datetime.combine(day, time(18))
            moments[day] = moment if moment < now else now
            return moments[day]

    return entered


def _items(rand, below, spec, items):
    """The visit items of a person seen (JSON [[item, status, note]], as read_items in
    services/visits.py stores them): mostly 正常, now and then 关注 or 有问题 with a note."""
    out = []
    problem, attention = spec["problem"], spec["problem"] + spec["attention"]
    for item in items:
        roll = rand()
        if roll < problem:
            status = rules.ITEM_PROBLEM
        elif roll < attention:
            status = "关注"
        else:
            out.append([item, rules.ITEM_STATUSES[0], ""])
            continue
        notes = spec["notes"].get(item) or [""]
        out.append([item, status, notes[below(len(notes))]])
    return json.dumps(out, ensure_ascii=False) if out else ""


def _checkins(rng, persons, helpers_by_village, grid_of_worker, today, rows):
    """一敲门 check-ins over the last weeks for the elders of each village's grid worker's grid,
    by him, as services.checkins.check_in records them (today's are left to do)."""
    spec = vocab.recent()["checkins"]
    methods, weights = list(spec["methods"]), list(spec["methods"].values())
    workers = {
        v: next(h for r, h in made if r["kind"] == "网格员")
        for v, made in helpers_by_village.items()
    }
    users = {u.id: u for u in User.select()}
    rows.shape(CheckIn, "person", "helper", "at", "on", "method", "created_by", "created_at")
    below, rand = picks.below(rng), rng.random
    weighted = picks.weighted(rng, methods, weights)
    first_hour = time(spec["first_hour"])
    for person in persons:
        if "留守老人" not in person.group_list:
            continue
        if person.grid_id != grid_of_worker[person.village_id]:
            continue
        worker = workers[person.village_id]
        actor = Actor(users.get(worker.user_id)) if worker.user_id else SYSTEM
        registered = person.created_at.date()
        for back in range(spec["days"], 0, -1):
            day = today - timedelta(days=back)
            if day < registered or rand() >= spec["share"]:
                continue
            minutes = below(4 * 60)  # rng.randint(0, 4 * 60 - 1)
            at = datetime.combine(day, first_hour) + timedelta(minutes=minutes)
            method = weighted()
            row_id = rows.put(CheckIn, person.id, worker.id, at, day, method, actor.user_id, at)
            rows.audit(
                "create",
                CheckIn,
                row_id,
                f"{person.name} 一敲门 平安",
                [
                    ("at", None, f"{at:%Y-%m-%d %H:%M}"),
                    ("method", None, method),
                    ("helper", None, worker.name),
                ],
                actor=actor,
                at=at,
            )
