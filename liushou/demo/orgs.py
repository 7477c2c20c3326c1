"""Demo organisations: in each village a 外出务工者协会 of family members working away led by the
village cadre, a 老年协会 and a women's 互助组; township-wide volunteer teams of helpers
(fixtures/vocab.toml [org])."""

from datetime import timedelta

from ..db import database
from ..models.helpers import Helper
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..scope import Scope
from ..services import SYSTEM
from ..services.orgs import add_member, create_org
from ..services.records import save_activity
from . import vocab

EVERYWHERE = Scope(everything=True)


def build_orgs(rng, villages, today, town=None):
    spec = vocab.orgs()
    town = town or vocab.township()["settings"]["township_name"]
    with database.atomic():
        for row in spec["township"]:
            team = [
                h
                for v in villages
                for h in Helper.select()
                .where((Helper.village == v.id) & (Helper.kind == row["members"]))
                .order_by(Helper.id)
                .limit(1)
            ]
            org = _org(rng, spec, row, None, row["name"].replace("{township}", town), today)
            _join(rng, spec, org, [("helper", h) for h in team[: row["size"]]], None, today)
        for v in villages:
            for row in spec["village"]:
                name = row["name"].replace("{village}", v.name)
                org = _org(rng, spec, row, v, name, today)
                leader = (
                    Helper.select()
                    .where((Helper.village == v.id) & (Helper.kind == row["leader"]))
                    .first()
                )
                _join(rng, spec, org, _candidates(rng, v, row), leader, today)
                if row.get("activity"):
                    _activity(rng, org, row["activity"], today)


def _org(rng, spec, row, village, name, today):
    return create_org(
        SYSTEM,
        EVERYWHERE,
        {
            "village": village.id if village else "",
            "kind": row["kind"],
            "name": name,
            "phone": f"{spec['phone_prefix']}{rng.randint(10000, 99999)}",
            "founded_on": (today - timedelta(days=rng.randint(400, 2000))).isoformat(),
        },
    )


def _candidates(rng, village, row):
    """(field, record) of who joins a village's organisation."""
    if row["members"] == "away":
        found = (
            FamilyAway.select(FamilyAway.id)
            .join(Household)
            .where((Household.village == village.id) & FamilyAway.returned_on.is_null())
            .order_by(FamilyAway.id)
        )
        field = "away"
    else:
        found = (
            Person.active()
            .select(Person.id)
            .where((Person.village == village.id) & Person.groups.contains(row["members"]))
            .order_by(Person.id)
        )
        field = "person"
    found = list(found)
    return [(field, r) for r in rng.sample(found, min(row["size"], len(found)))]


def _join(rng, spec, org, candidates, leader, today):
    """The leader (a helper) as 会长, then the candidates; the first of them take the roles
    left (小组长 keep in touch with the members working away)."""
    roles = [r for r in spec["roles"] if not (leader and r == "会长")]
    if leader:
        _add(rng, org, "helper", leader, "会长", today)
    for i, (field, record) in enumerate(candidates):
        role = roles[i] if i < len(roles) else "成员"
        _add(rng, org, field, record, role, today)


def _add(rng, org, field, record, role, today):
    joined = max(org.founded_on, today - timedelta(days=rng.randint(30, 900)))
    add_member(
        SYSTEM,
        EVERYWHERE,
        org,
        {field: record.id, "role": role, "joined_on": joined.isoformat()},
        today=today,
    )


def _activity(rng, org, spec, today):
    """An activity the organisation held for the persons of a group of its village."""
    persons = list(
        Person.active()
        .select(Person.id)
        .where((Person.village == org.village_id) & Person.groups.contains(spec["group"]))
        .order_by(Person.id)
    )
    invited = rng.sample(persons, min(6, len(persons)))
    if not invited:
        return
    save_activity(
        SYSTEM,
        EVERYWHERE,
        {
            "village": org.village_id,
            "kind": spec["kind"],
            "title": spec["title"].replace("{org}", org.name),
            "held_on": (today - timedelta(days=rng.randint(5, 60))).isoformat(),
            "organisation": org.id,
            "persons": [p.id for p in invited],
            "attended": [p.id for p in invited[1:]],
        },
        today=today,
    )
