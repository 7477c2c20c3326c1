"""The demo's vocabularies, read from fixtures/ and checked against the models' choice lists,
and the small makers of made-up people every part of the demo uses (names, ID numbers, phones)."""

from datetime import date, timedelta

from .. import fixtures
from ..fixtures import FixtureError
from ..models.care import NEED_KINDS
from ..models.helpers import HELPER_KINDS, VILLAGE_POSTS
from ..models.orgs import MEMBER_ROLES, ORG_KINDS
from ..models.persons import DISABILITY_GRADES, DISABILITY_KINDS, SELF_CARE
from ..models.records import ACTIVITY_KINDS, SITE_KINDS
from ..models.visits import ASPECTS, VISIT_METHODS
from ..rules import emergency as emergency_rules
from ..rules.categories import GROUPS
from ..rules.idcard import check_digit
from ..rules.visits import CHECKIN_METHODS, VISIT_ITEMS

ANYONE = "*"


def township():
    return fixtures.toml("township.toml")


def words():
    return fixtures.toml("vocab.toml")


def surnames():
    return [r["name"] for r in fixtures.table("names.csv") if r["kind"] == "surname"]


def given_names(sex, generation):
    names = [
        r["name"]
        for r in fixtures.table("names.csv")
        if r["kind"] == "given" and r["sex"] == sex and r["generation"] == generation
    ]
    if not names:
        raise FixtureError(f"names.csv has no given names for {sex}, {generation}")
    return names


def villages():
    return fixtures.table("villages.csv")


def grid_names(village_kind):
    return [r["name"] for r in fixtures.table("grids.csv") if r["village_kind"] == village_kind]


def workplaces():
    return [(r["province"], r["city"]) for r in fixtures.table("workplaces.csv")]


def helpers():
    rows = fixtures.table("helpers.csv")
    for r in rows:
        _check("helpers.csv", "kind", r["kind"], HELPER_KINDS)
        _check("helpers.csv", "sex", r["sex"], ("", "男", "女"))
        ages(r)
        if r["post"]:
            _check("helpers.csv", "kind (a post)", r["kind"], VILLAGE_POSTS)
        for group in _groups(r["serves"]):
            _check("helpers.csv", "serves", group, (*GROUPS, ANYONE))
    return rows


def grades():
    """{age on 1 September: row}."""
    return {int(r["age"]): r for r in fixtures.table("grades.csv")}


def sites():
    rows = fixtures.table("sites.csv")
    for r in rows:
        _check("sites.csv", "kind", r["kind"], SITE_KINDS)
    return rows


def activities():
    rows = fixtures.table("activities.csv")
    for r in rows:
        _check("activities.csv", "kind", r["kind"], ACTIVITY_KINDS)
        if r["site"]:
            _check("activities.csv", "site", r["site"], SITE_KINDS)
        ages(r)
        for group in _groups(r["serves"]):
            _check("activities.csv", "serves", group, GROUPS)
    return rows


def orgs():
    """The demo's organisations (vocab.toml [org]), checked against the models' choices."""
    spec = words()["org"]
    for row in spec["village"] + spec["township"]:
        _check("vocab.toml", "org kind", row["kind"], ORG_KINDS)
        _check("vocab.toml", "org leader", row["leader"], ("", *HELPER_KINDS))
        if row.get("activity"):
            _check("vocab.toml", "org activity", row["activity"]["kind"], ACTIVITY_KINDS)
    for role in spec["roles"]:
        _check("vocab.toml", "org role", role, MEMBER_ROLES)
    return spec


def recent():
    """The demo's last weeks (recent.toml), checked against the models' and rules' choices."""
    spec = fixtures.toml("recent.toml")
    file = "recent.toml"
    for method in spec["checkins"]["methods"]:
        _check(file, "check-in method", method, CHECKIN_METHODS)
    items = {i for names in VISIT_ITEMS.values() for i in names}
    for item in spec["items"]["notes"]:
        _check(file, "visit item", item, items)
    for row in spec["emergencies"]:
        _check(file, "emergency kind", row["kind"], emergency_rules.KINDS)
        for code in row["done"]:
            _check(file, "emergency step", code, tuple(emergency_rules.STEPS))
        for target in row["calls"]:
            _check(file, "call", target, ("carer", "away", "helper"))
    _check(file, "step how", spec["emergency_steps"]["how"], emergency_rules.HOW)
    _check(file, "disability kind", spec["suggestion"]["disability_kind"], DISABILITY_KINDS)
    _check(file, "disability grade", spec["suggestion"]["disability_grade"], DISABILITY_GRADES)
    for row in spec["photos"]:
        _check(file, "photo owner", row["owner"], ("activity", "visit"))
    return spec


def ages(row):
    """(lowest, highest) age of a row's `ages` column ("6-15"; empty = any age)."""
    if not row["ages"]:
        return 0, 200
    try:
        low, high = (int(n) for n in row["ages"].split("-"))
    except ValueError:
        raise FixtureError(f"ages {row['ages']!r} is not like 6-15") from None
    return low, high


def needs():
    rows = fixtures.table("needs.csv")
    for r in rows:
        _check("needs.csv", "kind", r["kind"], NEED_KINDS)
        _check("needs.csv", "group", r["group"], GROUPS)
    return rows


def findings():
    rows = fixtures.table("findings.csv")
    aspects = [name for name, _ in ASPECTS] + ["needs"]
    for r in rows:
        _check("findings.csv", "aspect", r["aspect"], aspects)
        _check("findings.csv", "group", r["group"], (*GROUPS, ANYONE))
    return rows


def mix(name):
    """A weight table of township.toml's [mix]: (values, weights)."""
    table = township()["mix"][name]
    valid = {"self_care": SELF_CARE, "visit_methods": VISIT_METHODS}.get(name)
    for value in table:
        if valid:
            _check("township.toml", f"mix.{name}", value, valid)
    return list(table), list(table.values())


def serves(row, groups):
    """Does a fixture row (its `serves` or `group` column) fit a person in `groups`?"""
    wanted = _groups(row.get("serves", row.get("group", "")))
    return ANYONE in wanted or any(g in wanted for g in groups)


def _groups(text):
    return [g for g in text.split("|") if g]


def _check(file, column, value, valid):
    if value not in valid:
        raise FixtureError(
            f"fixtures file {fixtures.path(file)}: {column} {value!r} is not one of {valid}"
        )


class People:
    """Made-up names, ID numbers and phones: the same for the same random generator."""

    def __init__(self, rng, regions=None):
        self.rng = rng
        self.surnames = surnames()
        town = township()
        self.regions = regions or [town["id_region"], *town["id_regions_more"]]
        self.given = {
            (sex, gen): given_names(sex, gen)
            for sex in "男女"
            for gen in ("old", "middle", "young")
        }
        self.taken = {}  # birth date -> ID sequence numbers used

    def surname(self):
        return self.rng.choice(self.surnames)

    def name(self, sex, born, surname=None):
        """A name that fits the person's sex and generation."""
        generation = "old" if born.year < 1967 else "middle" if born.year < 2000 else "young"
        return (surname or self.surname()) + self.rng.choice(self.given[sex, generation])

    def id_number(self, born, sex):
        """A valid ID number, unique among those made (odd sequence = 男): 500 per birth date
        in a region, then the next region."""
        used = self.taken.setdefault(born, 0)
        self.taken[born] = used + 1
        region, used = divmod(used, 500)
        if region >= len(self.regions):
            raise FixtureError(f"township.toml: more than {500 * len(self.regions)} born {born}")
        order = used * 2 + (1 if sex == "男" else 0)
        base = f"{self.regions[region]}{born:%Y%m%d}{order:03d}"
        return base + check_digit(base)

    def born(self, today, low, high):
        """A birth date making the person `low` to `high - 1` full years old today."""
        days = self.rng.randint(int(low * 365.25) + 2, int(high * 365.25) - 2)
        return today - timedelta(days=days)

    def phone(self, prefixes="3578"):
        return f"1{self.rng.choice(prefixes)}{self.rng.randint(100000000, 999999999)}"


def school_year_start(today):
    """1 September of the school year `today` falls in."""
    year = today.year if (today.month, today.day) >= (9, 1) else today.year - 1
    return date(year, 9, 1)
