"""Demo households and persons: children with parents away, women, elders, a few in difficulty.

Ages hang together: a grandparent heads the household, the parents are young enough to be his
children and old enough to be theirs, a child's school and grade follow his age, and an entrusted
carer is an adult (the grandparent, or the parent at home)."""

from datetime import timedelta

from ..rules.categories import age_on
from ..scope import Scope
from ..services import SYSTEM
from ..services.households import save_away, save_household
from ..services.persons import exit_person, save_person
from . import vocab

EVERYWHERE = Scope(everything=True)


def build_registry(rng, people, villages, grids, persons, today):
    """Create about `persons` persons in households across the villages; returns the count."""
    words = vocab.words()
    kinds, kind_weights = vocab.mix("households")
    made = 0
    while made < persons:
        village = villages[made % len(villages)] if rng.random() < 0.6 else rng.choice(villages)
        grid = rng.choice([g for g in grids if g.village_id == village.id])
        family = people.surname()
        kind = rng.choices(kinds, kind_weights)[0]
        head_sex = rng.choice("男女")
        head_born = people.born(today, 62, 96) if kind == "elder" else people.born(today, 58, 82)
        head_age = age_on(head_born, today)
        # A grandmother heading the household keeps her own surname.
        head = people.name(head_sex, head_born, family if head_sex == "男" else None)
        household = save_household(
            SYSTEM,
            EVERYWHERE,
            {
                "village": village.id,
                "grid": grid.id,
                "head_name": head,
                "phone": people.phone(),
                "address": f"{grid.name}{rng.randint(1, 80)}号",
                "economic_sources": rng.choice(words["household"]["economic_sources"]),
                "dibao": "1" if rng.random() < 0.12 else "",
                "dibao_since": words["household"]["dibao_since"],
                "tekun": "1" if rng.random() < 0.03 else "",
                "tekun_since": words["household"]["tekun_since"],
            },
            today=today,
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
            save_away(SYSTEM, household, _away(rng, people, father, "父亲", today), today=today)
            if members[-1]["mother_status"] == "外出务工":
                save_away(SYSTEM, household, _away(rng, people, mother, "母亲", today), today=today)
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
            save_away(SYSTEM, household, _away(rng, people, father, "丈夫", today), today=today)
        for values in members[: max(1, persons - made)]:
            person = save_person(SYSTEM, EVERYWHERE, values, today=today)
            made += 1
            if rng.random() < 0.02:
                exit_person(
                    SYSTEM,
                    person,
                    {
                        "exit_reason": rng.choice(words["exit"]["reasons"]),
                        "exited_on": _days_ago(rng, today, 1, 90),
                    },
                    today=today,
                )
    return made


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
