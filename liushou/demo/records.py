"""Demo needs and services, benefits, check-ups, sites, activities and one closed emergency,
so every page of the demo has something to show. Needs and activities fit the groups they
serve (fixtures/needs.csv, fixtures/activities.csv)."""

from datetime import datetime, timedelta

from .. import clock
from ..db import database
from ..models.households import Household
from ..models.persons import Person
from ..rules.categories import CHILD, ELDER, age_on
from ..rules.subsidy import band_in_month
from ..scope import Scope
from ..services import SYSTEM
from ..services.care import close_emergency, complete_step, open_emergency, save_need, save_service
from ..services.records import bands, save_activity, save_benefit, save_checkup, save_site
from . import vocab
from .area import WHOLE

EVERYWHERE = Scope(everything=True)


def build_records(rng, villages, today, area=WHOLE):
    month = today.replace(day=1)
    words = vocab.words()
    needs = vocab.needs()
    active = Person.active().where(Person.groups != "")
    persons = list(area.only(active, Person.village, villages).order_by(Person.id))
    dibao = Household.select(Household.id).where(Household.dibao)
    dibao = {h.id for h in area.only(dibao, Household.village, villages)}
    with database.atomic():
        for person in persons:
            fitting = [r for r in needs if vocab.serves(r, person.group_list)]
            if fitting and rng.random() < 0.15:
                _need(rng, person, rng.choice(fitting), words, today)
            if band_in_month(person.birth_date, month, bands(month)):
                save_benefit(
                    SYSTEM, person, {"kind": "高龄补贴", "start_on": month.isoformat()}, today=today
                )
            if person.household_id in dibao and rng.random() < 0.7:
                amount = rng.choice(words["household"]["dibao_amounts"])
                save_benefit(
                    SYSTEM,
                    person,
                    {
                        "kind": "低保",
                        "amount": str(amount),
                        "start_on": words["household"]["benefit_since"],
                    },
                    today=today,
                )
            if ELDER in person.group_list and rng.random() < 0.3:
                save_checkup(
                    SYSTEM,
                    person,
                    {
                        "checked_on": _days_ago(rng, today, 1, 200),
                        "checked_by": words["checkup"]["checked_by"],
                        "bp_high": str(rng.randint(110, 170)),
                        "bp_low": str(rng.randint(65, 100)),
                        "weight": str(rng.randint(45, 75)),
                    },
                    today=today,
                )
        for v in villages:
            _activities(rng, v, [p for p in persons if p.village_id == v.id], today)
        _emergency(persons, words["emergency"], today)


def _need(rng, person, row, words, today):
    need = save_need(
        SYSTEM,
        person,
        {
            "kind": row["kind"],
            "description": row["description"],
            "raised_on": _days_ago(rng, today, 5, 120),
            "due_on": (today + timedelta(days=rng.randint(-20, 40))).isoformat(),
        },
        today=today,
    )
    if rng.random() < 0.6:
        save_service(
            SYSTEM,
            person,
            {
                "need": need.id,
                "kind": need.kind,
                "served_on": _days_ago(rng, today, 0, 4),
                "description": rng.choice(words["service"]["description"]),
            },
            today=today,
        )
        if rng.random() < 0.5:
            save_need(SYSTEM, person, {**need.__data__, "status": "已解决"}, need, today=today)


def _activities(rng, village, locals_, today):
    """The village's sites, and each activity with up to 8 invited from the groups it serves."""
    sites = {}
    for row in vocab.sites():
        sites[row["kind"]] = save_site(
            SYSTEM,
            EVERYWHERE,
            {
                "village": village.id,
                "kind": row["kind"],
                "hours": row["hours"],
                "name": row["name"].replace("{village}", village.name),
            },
        )
    for row in vocab.activities():
        low, high = vocab.ages(row)
        fitting = [
            p
            for p in locals_
            if vocab.serves(row, p.group_list) and low <= age_on(p.birth_date, today) <= high
        ]
        invited = rng.sample(fitting, min(len(fitting), 8))
        if not invited:
            continue
        site = sites.get(row["site"])
        save_activity(
            SYSTEM,
            EVERYWHERE,
            {
                "village": village.id,
                "site": site.id if site else "",
                "kind": row["kind"],
                "title": row["title"],
                "organiser": row["organiser"],
                "held_on": _days_ago(rng, today, 1, 300),
                "persons": [p.id for p in invited],
                "attended": [p.id for p in invited if rng.random() < 0.8],
            },
            today=today,
        )


def _emergency(persons, words, today):
    """One closed emergency for the first left-behind child of school age."""
    child = next(
        (
            p
            for p in persons
            if CHILD in p.group_list and p.school and age_on(p.birth_date, today) >= 6
        ),
        None,
    )
    if child is None:
        return
    found = datetime.combine(today - timedelta(days=20), datetime.min.time()).replace(hour=18)
    now = clock.now()
    emergency = open_emergency(
        SYSTEM,
        child,
        {
            "kind": words["kind"],
            "reported_by": words["reported_by"],
            "discovered_at": found.strftime("%Y-%m-%d %H:%M"),
            "description": words["description"],
        },
        now=now,
    )
    for i, step in enumerate(emergency.steps):
        done_at = found + timedelta(minutes=10 + 15 * i)
        complete_step(
            SYSTEM,
            step,
            {
                "how": words["done_how"],
                "done_by": words["done_by"],
                "done_at": done_at.strftime("%Y-%m-%d %H:%M"),
            },
            now=now,
        )
    close_emergency(SYSTEM, emergency, {"summary": words["summary"]}, now=now)


def _days_ago(rng, today, low, high):
    return (today - timedelta(days=rng.randint(low, high))).isoformat()
