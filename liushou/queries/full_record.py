"""The full-record export: one row per person of a group, the columns in the order of the
national collection form's blocks, named as a cadre knows them from it (README lists them).

Children (留守儿童, 困境儿童): the child; the father; the mother; the first guardian; the
convenient contact; the family; the collector. Women: the woman; her husband away; the contact;
the family; the collector. Elders: the elder; his children away; the contact; the family; the
collector. `shown` (rules.privacy.Disclosure) decides how much of IDs and phones each carries.
"""

from ..rules.completeness import ELDERS_CHILDREN, latest_by_relation
from ..services.completeness import away_of
from . import completeness as queries

CHILD_GROUPS = ("留守儿童", "困境儿童")
ELDER = "留守老人"

OWN = ["序号", "村（社区）", "组（网格）", "姓名", "性别", "民族", "身份证号", "出生日期"]
CHILD = [*OWN, "健康状况", "残疾类别", "残疾等级", "就读学校", "年级", "是否寄宿"]
CHILD += ["儿童类别", "困境类型"]
PARENT = ["姓名", "身份证号", "联系电话", "状况", "务工地点", "外出时间"]
GUARDIAN = ["监护人姓名", "监护人与儿童关系", "监护人身份证号", "监护人联系电话"]
GUARDIAN += ["监护人住址", "是否具备监护能力", "委托照护责任确认书签订日期"]
CONTACT = ["方便联系人姓名", "方便联系人与{whom}关系", "方便联系人联系电话"]
FAMILY = ["家庭住址", "家庭联系电话", "家庭经济来源", "是否低保", "是否特困", "在家人口"]
COLLECTOR = ["采集人", "采集日期", "核实人", "核实日期", "档案完整度", "缺项"]
ADULT = [*OWN, "联系电话", "健康状况", "残疾类别", "残疾等级", "类别"]
WOMAN = [*ADULT, "培训需求", "就业需求"]
HUSBAND = ["丈夫" + c for c in ("姓名", "身份证号", "联系电话", "务工地点", "外出时间")]
ELDER_OWN = [*ADULT, "居住情况", "自理能力", "慢性病"]
CHILDREN_AWAY = ["外出子女（姓名、关系）", "外出子女联系电话", "外出子女务工地点"]
CHILDREN_AWAY += ["子女外出时间", "赡养人及去向"]


def header(group):
    """The column names for a group's export."""
    if group in CHILD_GROUPS:
        parents = [f"{who}{c}" for who in ("父亲", "母亲") for c in PARENT]
        contact = [c.format(whom="儿童") for c in CONTACT]
        return [*CHILD, *parents, *GUARDIAN, *contact, *FAMILY, *COLLECTOR]
    contact = [c.format(whom="本人") for c in CONTACT]
    middle = CHILDREN_AWAY if group == ELDER else HUSBAND
    own = ELDER_OWN if group == ELDER else WOMAN
    return [*own, *middle, *contact, *FAMILY, *COLLECTOR]


def _yes(value):
    return "是" if value else "否"


def _d(value):
    return value.strftime("%Y-%m-%d") if value else ""


def _away(row, shown):
    if row is None:
        return ["", "", "", "", ""]
    place = shown.text(f"{row.province}{row.city}")
    return [
        shown.text(row.name),
        shown.id(row.id_number),
        shown.phone(row.phone),
        place,
        _d(row.away_since),
    ]


def rows(scope, group, shown, today):
    """The export's rows for a group in the user's area."""
    items = queries.export_persons(scope, group)
    scores = queries.missing_of([i["person"] for i in items], today)
    out = []
    t = shown.text  # free text may hold a phone or an ID number: masked like their columns
    for n, item in enumerate(items, start=1):
        p, h = item["person"], item["person"].household
        own = [n, item["village"], item["grid"], t(p.name), p.sex, t(p.ethnicity)]
        own += [shown.id(p.id_number), _d(p.birth_date)]
        if group in CHILD_GROUPS:
            own += [t(p.health), p.disability_kind, p.disability_grade, t(p.school), t(p.grade)]
            own += [_yes(p.boarding), p.groups.replace(",", "、")]
            own += [p.difficulty_kinds.replace(",", "、")]
            chosen = latest_by_relation(away_of(item["away"]), ("父亲", "母亲"))
            for who, status in (("父亲", p.father_status), ("母亲", p.mother_status)):
                name, id_, phone, place, since = _away(chosen.get(who), shown)
                own += [name, id_, phone, status, place, since]
            capable = {True: "是", False: "否"}.get(p.carer_capable, "未核实")
            own += [t(p.carer_name), t(p.carer_relation), shown.id(p.carer_id_number)]
            own += [shown.phone(p.carer_phone), t(p.carer_address), capable]
            own += [_d(p.agreement_signed_on)]
        else:
            own += [shown.phone(p.phone), t(p.health), p.disability_kind, p.disability_grade]
            own += [p.groups.replace(",", "、")]
            if group == ELDER:
                own += [p.living_arrangement, p.self_care, t(p.chronic_illnesses)]
                kids = [r for r in item["away"] if r.relation in ELDERS_CHILDREN]
                kids = [r for r in kids if r.returned_on is None and r.died_on is None]
                own += [t("；".join(f"{r.name}（{r.relation}）" for r in kids))]
                own += ["；".join(shown.phone(r.phone) for r in kids if r.phone)]
                own += [t("；".join(r.place for r in kids if r.place))]
                own += [_d(p.children_away_since), t(p.supporters)]
            else:
                own += [t(p.training_need), t(p.employment_need)]
                husband = latest_by_relation(away_of(item["away"]), ("丈夫",)).get("丈夫")
                own += _away(husband, shown)
        own += [t(p.contact_name), t(p.contact_relation), shown.phone(p.contact_phone)]
        own += [t(h.address), shown.phone(h.phone), t(h.economic_sources), _yes(h.dibao)]
        own += [_yes(h.tekun), item["members"]]
        c = scores[p.id]
        own += [item["collector"], _d(p.created_at), item["checker"], _d(p.checked_on)]
        own += [f"{c.score}%", c.words()]
        out.append(own)
    return out
