"""The demo's last weeks, through the services as a cadre would have entered them
(fixtures/recent.toml): child emergencies still being reported with the call list partly
dialled, a 困境儿童 suggestion waiting, a 低保 roster compared with the register, and photos on
an activity and a visit. (Check-ins and visit items are written with the visits: care.py.)"""

import io
from datetime import datetime, time, timedelta

from flask import current_app
from openpyxl import Workbook
from PIL import Image, ImageDraw

from .. import clock
from ..models import User
from ..models.care import Emergency
from ..models.households import Household
from ..models.persons import Person
from ..models.records import Activity
from ..models.visits import Visit
from ..queries.care import call_list
from ..rules.categories import CHILD, DIFFICULT, age_on
from ..scope import Scope
from ..services import SYSTEM, Actor
from ..services.care import add_call, complete_step, open_emergency
from ..services.crosscheck import create as compare_roster
from ..services.files import attach
from ..services.persons import save_person
from ..services.suggestions import _edit_values as unchanged
from . import vocab
from .area import WHOLE

EVERYWHERE = Scope(everything=True)


def build_recent(rng, people, today, area=WHOLE):
    """Everything of recent.toml, in the first village (the demo cadre's); before review is
    turned on (the suggestion's record is the township's own edit)."""
    spec = vocab.recent()
    cadre = User.get(User.username == area.username("cun") + "01")
    children = list(
        Person.active()
        .where((Person.village == cadre.village_id) & Person.groups.contains(CHILD))
        .order_by(Person.id)
    )
    # Children not already in an emergency of the demo (records.py closes one for the first).
    taken = {e.person_id for e in Emergency.select(Emergency.person)}
    free, homes = [], set()  # one child a household
    for p in children:
        if p.id not in taken and p.household_id not in homes and age_on(p.birth_date, today) >= 3:
            free.append(p)
            homes.add(p.household_id)
    for row, child in zip(spec["emergencies"], free, strict=False):
        _emergency(Actor(cadre), row, spec["emergency_steps"], child)
    rest = free[len(spec["emergencies"]) :]
    suggested = next(
        (p for p in reversed(rest) if not p.disability_kind and DIFFICULT not in p.group_list),
        None,
    )
    if suggested is not None:
        _suggestion(spec["suggestion"], suggested, today)
    _roster(rng, people, Actor(cadre), spec["crosscheck"], today)
    for row in spec["photos"]:
        _photo(rng, Actor(cadre), row, cadre.village_id, today)


def _emergency(actor, row, how, child):
    """An emergency discovered `minutes_ago`, its listed steps done and calls made."""
    now = clock.now()
    found = now - timedelta(minutes=row["minutes_ago"])
    emergency = open_emergency(
        actor,
        child,
        {
            "kind": row["kind"],
            "reported_by": row["reported_by"],
            "discovered_at": found.strftime("%Y-%m-%d %H:%M"),
            "description": row["description"],
        },
        now=now,
    )
    for step in emergency.steps:
        if step.code in row["done"]:
            at = found + timedelta(minutes=row["done"][step.code])
            complete_step(
                actor,
                step,
                {"how": how["how"], "done_by": how["done_by"], "done_at": f"{at:%Y-%m-%d %H:%M}"},
                now=now,
            )
    rows = [r for r in call_list(emergency, now.date()) if r.phone]
    for target, minutes in row["calls"].items():
        called = next((r for r in rows if r.key == target or r.key.startswith(target)), None)
        if called is not None:
            at = (found + timedelta(minutes=minutes)).replace(second=0)
            add_call(actor, emergency, {"target": called.key}, now=min(at, now))
    return emergency


def _suggestion(spec, child, today):
    """A disability recorded on a child's file: 困境儿童 is suggested, for a cadre to decide."""
    values = unchanged(child)
    values.update(
        disability_kind=spec["disability_kind"], disability_grade=spec["disability_grade"]
    )
    save_person(SYSTEM, EVERYWHERE, values, child, today=today)


def _roster(rng, people, actor, spec, today):
    """A 低保 roster of the cadre's village: persons of 低保 households, a few heads of households
    not marked 低保, one the register lacks and a line with a wrong ID number; compared and
    kept, nothing applied. (A village's upload: its findings stay in the village, so a county's
    demo keeps a short comparison too.)"""
    village = actor.user.village_id
    persons = (
        Person.select(Person, Household)
        .join(Household)
        .where(
            (Person.village == village)
            & (Person.id_number != "")
            & Person.exited_on.is_null()
            & Person.voided_at.is_null()
        )
        .order_by(Person.id)
    )
    on = list(persons.where(Household.dibao).limit(spec["matched"]))
    off = list(
        persons.where(~Household.dibao & (Household.head_name == Person.name)).limit(
            spec["unmarked"]
        )
    )
    listed = on + off
    lines = [(p.name, p.id_number, p.household.address) for p in listed]
    for _ in range(spec["unknown"]):
        sex = rng.choice("男女")
        born = people.born(today, 60, 80)
        lines.append((people.name(sex, born), people.id_number(born, sex), ""))
    lines.append((people.name("男", people.born(today, 40, 50)), spec["bad_id"], ""))
    yesterday = today - timedelta(days=1)
    book = Workbook()
    sheet = book.active
    sheet.append([spec["title"].format(year=yesterday.year)])
    sheet.append(["序号", "姓名", "身份证号", "家庭住址"])
    for i, line in enumerate(lines, start=1):
        sheet.append([i, *line])
    out = io.BytesIO()
    book.save(out)
    with clock.freeze(datetime.combine(yesterday, time(15, 20))):  # uploaded yesterday
        compare_roster(
            actor,
            Scope.for_user(actor.user),
            {"kind": "dibao"},
            out.getvalue(),
            filename=spec["filename"].format(year=yesterday.year),
            village=village,
            today=yesterday,
        )


def _photo(rng, actor, row, village_id, today):
    """A photo (drawn here, nothing from outside) on the village's latest activity or visit
    before today, uploaded on its day."""
    if row["owner"] == "activity":
        owner = (
            Activity.select()
            .where((Activity.village == village_id) & (Activity.held_on < today))
            .order_by(Activity.held_on.desc(), Activity.id.desc())
            .first()
        )
        day = owner and owner.held_on
    else:
        owner = (
            Visit.select()
            .where((Visit.village == village_id) & (Visit.visited_on < today))
            .order_by(Visit.visited_on.desc(), Visit.id.desc())
            .first()
        )
        day = owner and owner.visited_on
    if owner is None:
        return
    with clock.freeze(datetime.combine(day, time(17, rng.randint(0, 59)))):
        attach(
            actor,
            current_app.config["FILES_DIR"],
            row["owner"],
            owner,
            (_picture(rng), row["file"]),
            row["caption"],
        )


def _picture(rng, size=(960, 720)):
    """A plain JPEG scene: sky, ground, a house and a few people, placed by the seed."""
    w, h = size
    img = Image.new("RGB", size, (170, 205, 235))
    draw = ImageDraw.Draw(img)
    horizon = int(h * rng.uniform(0.55, 0.65))
    draw.rectangle([0, horizon, w, h], fill=(120, 160, 90))
    x = rng.randint(40, w // 2)
    draw.rectangle([x, horizon - 220, x + 300, horizon], fill=(225, 215, 195))
    draw.polygon(
        [(x - 30, horizon - 220), (x + 150, horizon - 330), (x + 330, horizon - 220)],
        fill=(150, 60, 50),
    )
    draw.rectangle([x + 120, horizon - 120, x + 180, horizon], fill=(110, 80, 60))
    for _ in range(rng.randint(3, 6)):
        cx, cy = rng.randint(40, w - 40), rng.randint(horizon + 40, h - 120)
        colour = tuple(rng.randint(40, 220) for _ in range(3))
        draw.ellipse([cx - 18, cy - 18, cx + 18, cy + 18], fill=(235, 200, 170))
        draw.rectangle([cx - 24, cy + 20, cx + 24, cy + 100], fill=colour)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()
