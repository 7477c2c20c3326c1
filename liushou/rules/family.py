"""How a household's family members working away (外出务工人员) decide its members' facts.

A row's relation (关系) is recorded once per household, relative to the person it concerns:
- 父亲 / 母亲: the parents of the household's children (members under the 困境儿童 age, 18 by
  default) → each child's father_status / mother_status;
- 丈夫: the husband of the household's married woman: the youngest woman from 18 to below the
  elder age who is not a daughter or granddaughter of the head → her husband_away_since;
- 儿子, 女儿, 儿媳, 女婿, and the children's parents (父亲, 母亲) and the woman's husband (丈夫):
  the working generation, the elders' children → each elder's children_away(_since).
妻子, 孙子女 and 其他 decide nothing. Several rows for one person (he went, came back, went
again) count by the latest recorded one. Only relations that have rows decide anything: without
a 父亲 row, a child's father_status stays what the cadre entered on the person's page.
"""

from dataclasses import dataclass
from datetime import date

from .categories import AWAY, DECEASED, age_on

HOME = "在家"
PARENT_FIELDS = {"父亲": "father_status", "母亲": "mother_status"}
HUSBAND = "丈夫"
ELDERS_CHILDREN = ("儿子", "女儿", "儿媳", "女婿", "父亲", "母亲", "丈夫")
DAUGHTERS = ("女儿", "孙女", "外孙女")
ADULT_AGE = 18
# The person fields family-away rows can decide.
FIELDS = (
    "father_status",
    "mother_status",
    "husband_away_since",
    "children_away",
    "children_away_since",
)


@dataclass(frozen=True)
class AwayRow:
    id: int
    name: str
    relation: str
    away_since: date | None = None
    returned_on: date | None = None
    died_on: date | None = None


@dataclass(frozen=True)
class Member:
    """A household member as the mapping sees him: who he is and his current facts."""

    id: int
    sex: str
    birth_date: date
    relation_to_head: str = ""
    father_status: str = ""
    mother_status: str = ""
    husband_away_since: date | None = None
    children_away: bool = False
    children_away_since: date | None = None


def latest(rows):
    """The latest recorded row of each person away (by relation and name)."""
    out = {}
    for row in sorted(rows, key=lambda r: r.id):
        out[(row.relation, row.name)] = row
    return list(out.values())


def has_died(row, on):
    return row.died_on is not None and row.died_on <= on


def is_away(row, on):
    return (row.returned_on is None or row.returned_on > on) and not has_died(row, on)


def the_woman(members, on, elder_min_age):
    """The member a 丈夫 row concerns, or None."""
    women = [
        m
        for m in members
        if m.sex == "女"
        and ADULT_AGE <= age_on(m.birth_date, on) < elder_min_age
        and m.relation_to_head not in DAUGHTERS
    ]
    return max(women, key=lambda m: (m.birth_date, m.id), default=None)


def facts_for(members, rows, on, thresholds):
    """{member id: {field: value}}: the facts the rows decide for each member, every other
    fact left as it is. `thresholds` is a categories.Thresholds."""
    rows = latest(rows)
    out = {}
    for m in members:
        age = age_on(m.birth_date, on)
        facts = {}
        if age < thresholds.difficult_max_age:
            for relation, field in PARENT_FIELDS.items():
                status = _parent_status(
                    getattr(m, field), [r for r in rows if r.relation == relation], on
                )
                if status is not None:
                    facts[field] = status
        if age >= thresholds.elder_min_age:
            facts.update(_elder(m, [r for r in rows if r.relation in ELDERS_CHILDREN], on))
        out[m.id] = facts
    woman = the_woman(members, on, thresholds.elder_min_age)
    husbands = [r for r in rows if r.relation == HUSBAND]
    if woman is not None and husbands:
        away = [r for r in husbands if is_away(r, on)]
        if not away:
            since = None
        elif woman.husband_away_since is not None:
            since = woman.husband_away_since
        else:
            since = min((r.away_since for r in away if r.away_since), default=None)
        out[woman.id]["husband_away_since"] = since
    return out


def _parent_status(current, rows, on):
    """A parent's status from his rows (None: no rows, the stored status stands). A death
    entered on the person's page is not undone by a row."""
    if not rows:
        return None
    if current == DECEASED or any(has_died(r, on) for r in rows):
        return DECEASED
    if any(is_away(r, on) for r in rows):
        return AWAY
    return HOME if current in ("", AWAY) else current


def _elder(member, rows, on):
    if not rows:
        return {}
    if not all(is_away(r, on) for r in rows):
        return {"children_away": False, "children_away_since": None}
    since = member.children_away_since if member.children_away else None
    if since is None:
        known = [r.away_since for r in rows]
        since = max(known) if all(known) else None
    return {"children_away": True, "children_away_since": since}


def conflicts(member, decided, rows):
    """{field: message in Chinese} where a person's own form contradicts the household's rows:
    the rows are where a return is recorded, so the form may not say otherwise."""
    out = {}
    rows = latest(rows)
    for relation, field in PARENT_FIELDS.items():
        mine, theirs = getattr(member, field), decided.get(field)
        if theirs is not None and mine not in ("", theirs):
            if theirs == DECEASED:
                out[field] = f"本户外出务工人员记录显示{relation}已去世"
            else:
                out[field] = _message(relation, theirs == AWAY, rows)
    if "husband_away_since" in decided:
        mine, theirs = member.husband_away_since, decided["husband_away_since"]
        if mine is not None and theirs is None:
            out["husband_away_since"] = _message(HUSBAND, False, rows)
    # An unticked box says nothing (the rows tick it); a ticked one may not deny a return.
    if member.children_away and decided.get("children_away") is False:
        out["children_away"] = (
            "本户外出务工人员记录显示有子女已返乡；再次外出请在户页的外出务工人员中登记"
        )
    return out


def _message(relation, away, rows):
    names = "、".join(r.name for r in rows if r.relation == relation)
    if away:
        return f"本户登记{relation}（{names}）仍在外务工；返乡请在户页的外出务工人员中填写返乡日期"
    return f"本户登记{relation}（{names}）已返乡；再次外出请在户页的外出务工人员中登记"
