"""Demo households and persons: children with parents away, women, elders, a few in difficulty.

Ages hang together: a grandparent heads the household, the parents are young enough to be his
children and old enough to be theirs, a child's school and grade follow his age, and an entrusted
carer is an adult (the grandparent, or the parent at home)."""

import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import SimpleNamespace

from .. import clock
from ..models.group_events import GroupEvent
from ..models.households import FamilyAway, Household
from ..models.persons import Person
from ..rules import categories, family
from ..rules.categories import age_on
from ..rules.pinyin import keys as pinyin_keys
from ..services import ValidationError, group_events
from ..services.person_facts import _member, _said, facts_of, thresholds
from ..services.persons import validate
from . import vocab

# A name's pinyin keys, worked out once per distinct name (a county has far fewer names than
# persons).
keys = lru_cache(maxsize=None)(pinyin_keys)

# Left out of a person's "create" audit row, as services.persons.save_person leaves them out.
UNAUDITED = ("name_initials", "name_pinyin", "group_reasons")


def build_registry(rng, people, villages, grids, persons, today, rows):
    """Create about `persons` persons in households across the villages; returns the count."""
    words = vocab.words()
    kinds, kind_weights = vocab.mix("households")
    grids_of = {v.id: [g for g in grids if g.village_id == v.id] for v in villages}
    taken = set()
    made = 0
    rules = thresholds(today)  # the settings are held: the same for every person
    while made < persons:
        village = villages[made % len(villages)] if rng.random() < 0.6 else rng.choice(villages)
        grid = rng.choice(grids_of[village.id])
        family = people.surname()
        kind = rng.choices(kinds, kind_weights)[0]
        head_sex = rng.choice("男女")
        head_born = people.born(today, 62, 96) if kind == "elder" else people.born(today, 58, 82)
        head_age = age_on(head_born, today)
        # A grandmother heading the household keeps her own surname.
        head = people.name(head_sex, head_born, family if head_sex == "男" else None)
        household = _household(
            rows,
            {
                "village": village.id,
                "grid": grid.id,
                "head_name": head,
                "phone": people.phone(),
                "address": f"{grid.name}{rng.randint(1, 80)}号",
                "economic_sources": rng.choice(words["household"]["economic_sources"]),
                "dibao": rng.random() < 0.12,
                "dibao_since": words["household"]["dibao_since"],
                "tekun": rng.random() < 0.03,
                "tekun_since": words["household"]["tekun_since"],
            },
        )
        head_values = _elder(rng, people, words, household, kind, head, head_sex, head_born, today)
        members = [head_values]
        # The parents (or the woman and her husband): the head's son and his wife.
        mother_born = people.born(today, 24, min(49, head_age - 20))
        mother_age = age_on(mother_born, today)
        father_born = mother_born - timedelta(days=rng.randint(0, 5 * 365))
        father = people.name("男", father_born, family)
        mother = people.name("女", mother_born)
        if kind == "child":
            members += _children(
                rng,
                people,
                words,
                village,
                household,
                family,
                head_values,
                (mother, mother_born),
                mother_age,
                today,
            )
            _add_away(rows, household, _away(rng, people, father, "父亲", today))
            if members[-1]["mother_status"] == "外出务工":
                _add_away(rows, household, _away(rng, people, mother, "母亲", today))
        elif kind == "woman":
            members.append(
                {
                    "household": household.id,
                    "name": mother,
                    "sex": "女",
                    "id_number": people.id_number(mother_born, "女"),
                    "relation_to_head": words["woman"]["relation_to_head"],
                    "phone": people.phone(),
                    "husband_away_since": _days_ago(rng, today, 60, 2500),
                    "training_need": rng.choice(words["woman"]["training_need"]),
                    "employment_need": rng.choice(words["woman"]["employment_need"]),
                }
            )
            _add_away(rows, household, _away(rng, people, father, "丈夫", today))
        for values in members[: max(1, persons - made)]:
            data = _person(values, household, taken, today, rules)
            made += 1
            created = [
                (k, None, v)
                for k, v in data.items()
                if v not in (None, "", False, "{}") and k not in UNAUDITED
            ]
            exited = None
            if rng.random() < 0.02:
                reason = rng.choice(words["exit"]["reasons"])
                on = _days_ago(rng, today, 1, 90)
                exited = [("exited_on", None, on), ("exit_reason", "", reason)]
                before, old_groups, old_reasons = (
                    facts_of(data),
                    data["groups"],
                    data["group_reasons"],
                )
                data["exited_on"], data["exit_reason"] = date.fromisoformat(on), reason
                data["groups"], data["group_reasons"] = _derive(data, today, rules)
                if data["groups"] != old_groups:  # in the exit's audit row, as exit_person does
                    why = categories.change_reason(
                        before,
                        facts_of(data),
                        json.loads(old_reasons),
                        json.loads(data["group_reasons"]),
                        today,
                        rules,
                    )
                    exited += [
                        ("groups", old_groups, data["groups"]),
                        ("category_reason", _said(old_reasons), why),
                    ]
            registered = _registered_on(made, data, today)
            at = datetime.combine(registered, time(9))
            person_id = rows.add(Person, **data, created_at=at, updated_at=clock.now())
            _group_events(
                rows, {**data, "id": person_id}, registered, old_groups if exited else None
            )
            if not exited:
                _settled(household, data, person_id)
            rows.audit("create", Person, person_id, data["name"], created)
            if exited:
                rows.audit("exit", Person, person_id, data["name"], exited)
    rows.flush()
    return made


def _registered_on(made, data, today):
    """A demo person was registered some weeks to two years ago (the same day for the same
    demo), after his birth and not after his exit, so past months' reports have people."""
    day = today - timedelta(days=20 + (made * 97) % 720)
    day = max(day, data["birth_date"])
    return min(day, data["exited_on"]) if data["exited_on"] else day


def _group_events(rows, data, registered, groups_before_exit):
    """His group history as the services write it: in on registration, out on his exit."""
    at = datetime.combine(registered, time(9))
    if groups_before_exit is None:
        events = group_events.changes(data, {}, registered, "registered", at)
    else:
        events = group_events.changes(
            {**data, "groups": groups_before_exit, "exited_on": None},
            {},
            registered,
            "registered",
            at,
        )
        last = {e["group_name"]: ("in", e["on"], e["village"], e["grid"]) for e in events}
        exit_on = data["exited_on"]
        events += group_events.changes(
            data,
            last,
            exit_on,
            group_events.exit_kind(data["exit_reason"]),
            max(at, datetime.combine(exit_on, time(18))),
        )
    for event in events:
        rows.add(GroupEvent, **event)


def _derive(data, today, rules):
    """services.person_facts.derive with the thresholds read once."""
    result = categories.classify(facts_of(data), today, rules)
    ordered = [g for g in categories.GROUPS if g in result]
    return ",".join(ordered), json.dumps({g: result[g] for g in ordered}, ensure_ascii=False)


def _person(values, household, taken, today, rules):
    """A person's row, checked by the rules a registration goes through: the same reading and
    validation (ID number, dates, choices), the facts the household's family-away rows decide
    (and their contradictions), pinyin keys and derived categories."""
    data, errors = validate(values, today)
    if data["id_number"] in taken:
        errors["id_number"] = "该身份证号已登记"
    if not errors:
        me = _member(-len(household.members) - 1, data)
        decided = family.facts_for([me, *household.members], household.away, today, rules)[me.id]
        for key, message in family.conflicts(me, decided, household.away).items():
            errors.setdefault(key, message)
        data.update(decided)
    if errors:
        raise ValidationError(errors)
    taken.add(data["id_number"])
    data["household"] = household.id
    data["village"], data["grid"] = household.village, household.grid
    data["name_initials"], data["name_pinyin"] = keys(data["name"])
    data["exited_on"] = None
    data["groups"], data["group_reasons"] = _derive(data, today, rules)
    return data


def _settled(household, data, person_id):
    """Count a saved, active person among the household's members for the ones after him."""
    household.members.append(_member(person_id, data))


def _household(rows, values):
    """A household row as services.households.save_household writes a new one."""
    data = {k: values[k] for k in ("village", "grid", "address", "head_name", "phone")}
    data["economic_sources"] = values["economic_sources"]
    for flag in ("dibao", "tekun"):
        data[flag] = values[flag]
        data[f"{flag}_since"] = _date(values[f"{flag}_since"]) if values[flag] else None
    data["created_at"] = data["updated_at"] = clock.now()
    row_id = rows.add(Household, **data)
    changes = [(k, None, v) for k, v in data.items() if v and k not in ("created_at", "updated_at")]
    rows.audit("create", Household, row_id, f"{data['head_name']}户", changes)
    return SimpleNamespace(
        id=row_id,
        phone=data["phone"],
        village=data["village"],
        grid=data["grid"],
        label=f"{data['head_name']}户",
        members=[],  # family.Member of the persons saved so far
        away=[],  # family.AwayRow of its family working away
    )


def _add_away(rows, household, values):
    data = {**values, "away_since": _date(values["away_since"])}
    row_id = rows.add(FamilyAway, household=household.id, **data)
    household.away.append(
        family.AwayRow(row_id, data["name"], data["relation"], data["away_since"], None)
    )
    label = f"{household.label} 外出：{data['name']}（{data['relation']}）"
    rows.audit("create", FamilyAway, row_id, label, [(k, None, v) for k, v in data.items() if v])


def _date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)


def _elder(rng, people, words, household, kind, name, sex, born, today):
    """The household head: a grandparent, or the elder the household is registered for."""
    if kind == "elder":
        living = "独居" if rng.random() < 0.5 else "与配偶同住"
    else:
        living = "与孙辈同住" if kind == "child" else "与配偶同住"
    care, care_weights = vocab.mix("self_care")
    return {
        "household": household.id,
        "name": name,
        "sex": sex,
        "birth_date": born.isoformat(),
        "id_number": people.id_number(born, sex),
        "relation_to_head": "户主",
        "phone": household.phone,
        "children_away": "1",
        "children_away_since": _days_ago(rng, today, 200, 3000),
        "living_arrangement": living,
        "self_care": rng.choices(care, care_weights)[0],
        "chronic_illnesses": rng.choice(words["elder"]["chronic_illnesses"]),
        "supporters": words["elder"]["supporters"],
    }


def _children(rng, people, words, village, household, family, head, mother, mother_age, today):
    """One or two children of the away father; their carer is the grandparent, or the mother
    when she is at home."""
    patterns, pattern_weights = vocab.mix("parents")
    pattern = rng.choices(patterns, pattern_weights)[0]
    father_status, mother_status = {
        "both": ("外出务工", "外出务工"),
        "one_incapable": ("外出务工", "无监护能力"),
        "one_home": ("外出务工", "在家"),
    }[pattern]
    child = words["child"]
    if pattern == "one_home":
        mother_name, mother_born = mother
        carer = {
            "carer_name": mother_name,
            "carer_relation": child["carer_parent_relation"]["女"],
            "carer_id_number": people.id_number(mother_born, "女"),
            "carer_phone": people.phone(),
        }
    else:
        carer = {
            "carer_name": head["name"],
            "carer_relation": child["carer_relation"][head["sex"]],
            "carer_id_number": head["id_number"],
            "carer_phone": household.phone,
        }
    out = []
    for _ in range(rng.choice((1, 1, 2))):
        sex = rng.choice("男女")
        born = people.born(today, 3, min(16, mother_age - 19))
        unqualified = pattern != "one_home" and rng.random() < 0.06
        checked = rng.random() >= 0.1
        out.append(
            {
                "household": household.id,
                "name": people.name(sex, born, family),
                "sex": sex,
                "birth_date": born.isoformat(),
                "id_number": people.id_number(born, sex),
                "relation_to_head": child["relation_to_head"][sex],
                "father_status": father_status,
                "mother_status": mother_status,
                **_school(rng, born, village, today),
                "difficulty_kinds": [rng.choice(child["difficulty_kinds"])]
                if rng.random() < 0.08
                else [],
                **carer,
                "carer_capable": ("0" if unqualified else "1") if checked else "",
                "carer_disqualifiers": [child["carer_disqualifier"]] if unqualified else [],
                "agreement_signed_on": _days_ago(rng, today, 10, 700) if rng.random() < 0.8 else "",
            }
        )
    return out


def _school(rng, born, village, today):
    """School, grade and boarding for a child's age on 1 September of this school year."""
    row = vocab.grades().get(age_on(born, vocab.school_year_start(today)))
    at_home = vocab.township()["kindergarten_at_home"]
    if row is None or (row["stage"] == "幼儿园" and rng.random() * 100 < at_home):
        return {"school": "", "grade": "", "boarding": ""}
    school = rng.choice(row["schools"].split("|")).replace("{village}", village.name)
    boarding = rng.random() * 100 < int(row["boarding"])
    return {"school": school, "grade": row["grade"], "boarding": "1" if boarding else ""}


def _days_ago(rng, today, low, high):
    return (today - timedelta(days=rng.randint(low, high))).isoformat()


def _away(rng, people, name, relation, today):
    province, city = rng.choice(vocab.workplaces())
    return {
        "name": name,
        "relation": relation,
        "province": province,
        "city": city,
        "phone": people.phone(),
        "away_since": _days_ago(rng, today, 200, 3000),
        "expected_return": rng.choice(vocab.words()["away"]["expected_return"]),
    }
