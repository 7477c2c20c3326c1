"""Demo needs and services, benefits, check-ups, sites, activities and one closed emergency,
so every page of the demo has something to show. Needs and activities fit the groups they
serve (fixtures/needs.csv, fixtures/activities.csv)."""

from datetime import datetime, timedelta

from .. import clock
from ..db import database
from ..models.care import CLOSED_STATUSES, Need, Service
from ..models.households import Household
from ..models.persons import Person
from ..models.records import Benefit, CheckUp
from ..rules.categories import CHILD, ELDER, age_on
from ..rules.subsidy import band_in_month
from ..scope import Scope
from ..services import SYSTEM, ValidationError
from ..services.care import (
    close_emergency,
    complete_step,
    need_fields,
    open_emergency,
    service_fields,
)
from ..services.forms import Reader
from ..services.records import _benefit_data, _checkup_data, bands, save_activity, save_site
from . import loaded, vocab
from .area import WHOLE
from .bulk import Rows

EVERYWHERE = Scope(everything=True)


def build_records(rng, villages, today, area=WHOLE):
    """Needs (some served, some solved), benefits and check-ups of the persons in a group,
    read and checked by the services' own rules and written in bulk; then each village's sites
    and activities and one closed emergency through the services."""
    month = today.replace(day=1)
    words = vocab.words()
    needs = vocab.needs()
    persons = loaded.persons(area, villages, loaded.IN_GROUPS)
    dibao = Household.select(Household.id).where(Household.dibao)
    dibao = {h.id for h in area.only(dibao, Household.village, villages)}
    rows = Rows()
    month_bands = bands(month)
    for person in persons:
        fitting = [r for r in needs if vocab.serves(r, person.group_list)]
        if fitting and rng.random() < 0.15:
            _need(rng, rows, person, rng.choice(fitting), words, today)
        if band_in_month(person.birth_date, month, month_bands):
            _benefit(rows, person, {"kind": "高龄补贴", "start_on": month.isoformat()})
        if person.household_id in dibao and rng.random() < 0.7:
            amount = rng.choice(words["household"]["dibao_amounts"])
            _benefit(
                rows,
                person,
                {
                    "kind": "低保",
                    "amount": str(amount),
                    "start_on": words["household"]["benefit_since"],
                },
            )
        if ELDER in person.group_list and rng.random() < 0.3:
            values = {
                "checked_on": _days_ago(rng, today, 1, 200),
                "checked_by": words["checkup"]["checked_by"],
                "bp_high": str(rng.randint(110, 170)),
                "bp_low": str(rng.randint(65, 100)),
                "weight": str(rng.randint(45, 75)),
            }
            # as services.records.save_checkup: the same reading, its activity none
            data = {**_checkup_data(values, today), "activity": None}
            row_id = rows.add(CheckUp, person=person.id, **data)
            label = f"{person.name} 体检 {data['checked_on']}"
            rows.audit("create", CheckUp, row_id, label, None)
    rows.flush()
    with database.atomic():
        for v in villages:
            _activities(rng, v, [p for p in persons if p.village_id == v.id], today)
        _emergency(persons, words["emergency"], today)


def _need(rng, rows, person, row, words, today):
    """A need as services.care.save_need registers it; 60% served (save_service: the need then
    处理中), half of those then solved (save_need's update: 已解决, closed today)."""
    values = {
        "kind": row["kind"],
        "description": row["description"],
        "raised_on": _days_ago(rng, today, 5, 120),
        "due_on": (today + timedelta(days=rng.randint(-20, 40))).isoformat(),
    }
    data = _need_data(values, today)
    served = solved = None
    if rng.random() < 0.6:
        served = _service_data(
            {
                "kind": data["kind"],
                "served_on": _days_ago(rng, today, 0, 4),
                "description": rng.choice(words["service"]["description"]),
            },
            today,
        )
        solved = rng.random() < 0.5
    status = "已解决" if solved else "处理中" if served else data["status"]
    closed_on = today if status in CLOSED_STATUSES else None
    need_id = rows.add(
        Need,
        person=person.id,
        visit=None,
        created_by=SYSTEM.user_id,
        **{**data, "status": status, "closed_on": closed_on},
    )
    label = f"{person.name} 需求：{data['kind']}：{data['description'][:20]}"
    rows.audit("create", Need, need_id, label, [(k, None, v) for k, v in data.items() if v])
    if served is None:
        return
    service_id = rows.add(
        Service, person=person.id, need=need_id, helper=None, created_by=SYSTEM.user_id, **served
    )
    rows.audit(
        "create",
        Service,
        service_id,
        f"{person.name} 服务：{served['served_on']} {served['kind']}",
        [(k, None, v) for k, v in served.items() if v],
    )
    if solved:  # the update's changes, against the need as it was registered
        changes = [("status", data["status"], status), ("closed_on", None, str(closed_on))]
        rows.audit("update", Need, need_id, label, changes)


def _need_data(values, today):
    """A new need's fields, read by services.care.need_fields as save_need reads them (no
    helper named; the demo's needs are open)."""
    r = Reader(values)
    data = need_fields(r, today, SYSTEM.username)
    if r.errors:
        raise ValidationError(r.errors)
    data.update(helper=None, closed_on=None)
    return data


def _service_data(values, today):
    """A service's fields, read by services.care.service_fields as save_service reads them (its
    need the one just registered, no helper named)."""
    r = Reader(values)
    data = service_fields(r, today)
    if r.errors:
        raise ValidationError(r.errors)
    return data


def _benefit(rows, person, values):
    """A benefit as services.records.save_benefit adds it: the same reading and refusals (a
    new person has no other 高龄补贴 to pay twice)."""
    data = _benefit_data(person, values)
    row_id = rows.add(Benefit, person=person.id, created_by=SYSTEM.user_id, **data)
    changes = [(k, None, v) for k, v in data.items() if v]
    rows.audit("create", Benefit, row_id, f"{person.name} {data['kind']}", changes)


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
    child = Person.get_by_id(child.id)
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
