"""How complete a person's record is, by the blocks of the national collection form.

The national 农村留守儿童和困境儿童信息管理系统 groups a child's record in six blocks: the child,
the parents, the first guardian, a convenient contact (方便联系人), the family and the collector
(采集人). Elders and women get the corresponding blocks: the person, the family members away (an
elder's children, a woman's husband), the contact, the family, the collector.

Pure: plain values in (a person's column values, his household's, its family-away rows), a
`Completeness` out: the items that apply, which are missing, in words, and the score (the share
of applicable items present, 0–100). Which items apply follows the person's groups and age.
"""

from dataclasses import dataclass, field

CHILD_GROUPS = ("留守儿童", "困境儿童")
WOMAN, ELDER, LEFT_BEHIND_CHILD = "留守妇女", "留守老人", "留守儿童"
AWAY = "外出务工"
PARENTS = (("父亲", "father_status"), ("母亲", "mother_status"))
ELDERS_CHILDREN = ("儿子", "女儿", "儿媳", "女婿")
SCHOOL_AGE = 6
THRESHOLD = 80  # below this a record is listed as incomplete on home and in reports


@dataclass(frozen=True)
class Away:
    """A family member away as the rule sees him (one household family-away row)."""

    id: int
    relation: str
    name: str = ""
    id_number: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    away_since: object = None
    returned_on: object = None
    died_on: object = None

    @property
    def current(self):
        return self.returned_on is None and self.died_on is None


@dataclass
class Completeness:
    """The applicable items of one record, by block."""

    blocks: list = field(default_factory=list)  # [(block name, [(item, present)])]

    @property
    def total(self):
        return sum(len(items) for _b, items in self.blocks)

    @property
    def present(self):
        return sum(ok for _b, items in self.blocks for _i, ok in items)

    @property
    def score(self):
        """Share of applicable items present, as a whole percentage (100 when none apply)."""
        return round(100 * self.present / self.total) if self.total else 100

    @property
    def missing(self):
        """[(block, [missing item, …])] for the blocks with something missing."""
        out = []
        for block, items in self.blocks:
            gone = [item for item, ok in items if not ok]
            if gone:
                out.append((block, gone))
        return out

    def words(self):
        """The missing items in one line: "父母情况：父亲身份证号、父亲联系电话；采集人：核实人"."""
        return "；".join(f"{block}：{'、'.join(items)}" for block, items in self.missing)


def _has(value):
    return value not in (None, "", False)


def latest_by_relation(rows, relations):
    """The latest recorded family-away row of each of `relations` (rows by id), current
    rows first: the row a block reads."""
    chosen = {}
    for row in sorted(rows, key=lambda r: (r.current, r.id)):
        if row.relation in relations:
            chosen[row.relation] = row
    return chosen


def _away_items(prefix, row):
    """Name, ID, phone, where working and since when of one member away."""
    return [
        (f"{prefix}姓名", row is not None and _has(row.name)),
        (f"{prefix}身份证号", row is not None and _has(row.id_number)),
        (f"{prefix}联系电话", row is not None and _has(row.phone)),
        (f"{prefix}务工地点", row is not None and _has(row.province or row.city)),
        (f"{prefix}外出时间", row is not None and _has(row.away_since)),
    ]


def _contact(p, whom):
    return (
        "方便联系人",
        [
            ("联系人姓名", _has(p.get("contact_name"))),
            (f"与{whom}关系", _has(p.get("contact_relation"))),
            ("联系人电话", _has(p.get("contact_phone"))),
        ],
    )


def _family(h):
    return (
        "家庭情况",
        [
            ("家庭住址", _has(h.get("address"))),
            ("家庭经济来源", _has(h.get("economic_sources"))),
            ("家庭联系电话", _has(h.get("phone"))),
        ],
    )


def _collector(p):
    return (
        "采集人",
        [("采集人", _has(p.get("collected_by"))), ("核实人", _has(p.get("checked_by")))],
    )


def kind_of(groups, age):
    """Which form a record follows: "child", "woman", "elder" or "person"."""
    if any(g in groups for g in CHILD_GROUPS) or (age is not None and age < 18):
        return "child"
    if ELDER in groups:
        return "elder"
    if WOMAN in groups:
        return "woman"
    return "person"


def assess(person, household, away_rows, age):
    """The `Completeness` of one record. `person` and `household`: dicts of column values;
    `away_rows`: the household's current (not voided) family-away rows as `Away`; `age`: his
    age in whole years today."""
    p, h = person, household
    groups = [g for g in (p.get("groups") or "").split(",") if g]
    kind = kind_of(groups, age)
    blocks = []
    if kind == "child":
        own = [
            ("身份证号", _has(p.get("id_number"))),
            ("民族", _has(p.get("ethnicity"))),
            ("健康状况", _has(p.get("health"))),
        ]
        if age is not None and age >= SCHOOL_AGE:
            own.append(("就读学校", _has(p.get("school"))))
        blocks.append(("儿童基本情况", own))
        parents = []
        rows = latest_by_relation(away_rows, ("父亲", "母亲"))
        for relation, status_field in PARENTS:
            status = p.get(status_field) or ""
            parents.append((f"{relation}状况", _has(status)))
            if status == AWAY:
                parents += _away_items(relation, rows.get(relation))
        blocks.append(("父母情况", parents))
        guardian = [
            ("监护人姓名", _has(p.get("carer_name"))),
            ("监护人与儿童关系", _has(p.get("carer_relation"))),
            ("监护人身份证号", _has(p.get("carer_id_number"))),
            ("监护人联系电话", _has(p.get("carer_phone"))),
            ("监护能力核实", p.get("carer_capable") is not None),
        ]
        if LEFT_BEHIND_CHILD in groups:
            guardian.append(("委托照护责任确认书", _has(p.get("agreement_signed_on"))))
        blocks.append(("第一监护人", guardian))
        blocks.append(_contact(p, "儿童"))
    else:
        own = [
            ("身份证号", _has(p.get("id_number"))),
            ("民族", _has(p.get("ethnicity"))),
            ("健康状况", _has(p.get("health"))),
            ("联系电话", _has(p.get("phone"))),
        ]
        if kind == "elder":
            own += [
                ("居住情况", _has(p.get("living_arrangement"))),
                ("自理能力", _has(p.get("self_care"))),
            ]
        blocks.append(("本人情况", own))
        if kind == "woman":
            husband = latest_by_relation(away_rows, ("丈夫",)).get("丈夫")
            blocks.append(("丈夫外出情况", _away_items("丈夫", husband)))
        if kind == "elder":
            children = [r for r in away_rows if r.relation in ELDERS_CHILDREN and r.current]
            blocks.append(
                (
                    "子女外出情况",
                    [
                        ("外出子女姓名", any(_has(r.name) for r in children)),
                        ("外出子女联系电话", any(_has(r.phone) for r in children)),
                        ("外出子女务工地点", any(_has(r.province or r.city) for r in children)),
                        ("赡养人", _has(p.get("supporters"))),
                    ],
                )
            )
        blocks.append(_contact(p, "本人"))
    blocks.append(_family(h))
    blocks.append(_collector(p))
    return Completeness(blocks)
