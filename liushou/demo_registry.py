"""Demo households and persons: children with parents away, women, elders, a few in difficulty."""
from datetime import date, timedelta

from .rules.idcard import check_digit
from .scope import Scope
from .services import SYSTEM
from .services.households import save_away, save_household
from .services.persons import exit_person, save_person

GIVEN_BOY = "浩宇子轩俊杰博文明辉志强建军"
GIVEN_GIRL = "欣怡梓涵雨桐思彤佳琪秀英桂兰"
PROVINCES = [("广东省", "深圳市"), ("广东省", "东莞市"), ("浙江省", "宁波市"), ("江苏省", "苏州市"),
             ("新疆维吾尔自治区", "乌鲁木齐市"), ("上海市", "上海市"), ("福建省", "厦门市")]
EVERYWHERE = Scope(everything=True)


class _Ids:
    """Valid, unique ID numbers for made-up people (region 620102, a fixed sequence)."""

    def __init__(self):
        self.seq = 0

    def make(self, born, sex):
        self.seq += 1
        order = (self.seq % 500) * 2 + (1 if sex == "男" else 0)
        base = f"620102{born:%Y%m%d}{order:03d}"
        return base + check_digit(base)


def _name(rng, surname, sex):
    pool = GIVEN_BOY if sex == "男" else GIVEN_GIRL
    return surname + "".join(rng.choice(pool) for _ in range(rng.choice((1, 2))))


def _born(rng, today, low, high):
    return today - timedelta(days=rng.randint(low * 365 + 1, high * 365 - 1))


def _phone(rng):
    return f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}"


def build_registry(rng, villages, grids, persons, today=None):
    """Create about `persons` persons in households across the villages; returns the count."""
    from .demo import SURNAMES
    today = today or date.today()
    ids = _Ids()
    made = 0
    while made < persons:
        village = villages[made % len(villages)] if rng.random() < 0.6 else rng.choice(villages)
        vgrids = [g for g in grids if g.village_id == village.id]
        grid = rng.choice(vgrids)
        surname = rng.choice(SURNAMES)
        kind = rng.choices(("child", "woman", "elder"), (55, 20, 25))[0]
        head_sex = rng.choice("男女")
        head_born = _born(rng, today, 58, 82)
        head = _name(rng, surname, head_sex)
        household = save_household(SYSTEM, EVERYWHERE, {
            "village": village.id, "grid": grid.id, "head_name": head, "phone": _phone(rng),
            "address": f"{grid.name}{rng.randint(1, 80)}号",
            "economic_sources": rng.choice(("务工收入", "种植", "养殖、务工", "养老金、子女供养")),
            "dibao": "1" if rng.random() < 0.12 else "", "dibao_since": "2023-01-01",
            "tekun": "1" if rng.random() < 0.03 else "", "tekun_since": "2022-06-01"})
        members = []
        elder_values = {"household": household.id, "name": head, "sex": head_sex,
                        "id_number": ids.make(head_born, head_sex), "relation_to_head": "户主",
                        "phone": household.phone, "children_away": "1",
                        "children_away_since": (today - timedelta(days=rng.randint(200, 3000))).isoformat(),
                        "living_arrangement": "独居" if kind == "elder" and rng.random() < 0.5 else "与孙辈同住" if kind == "child" else "与配偶同住",
                        "self_care": rng.choices(("自理", "半失能", "失能"), (80, 15, 5))[0],
                        "chronic_illnesses": rng.choice(("", "高血压", "糖尿病", "慢阻肺", "")),
                        "supporters": "子女在外务工"}
        if kind == "elder":
            elder_values["birth_date"] = _born(rng, today, 62, 96).isoformat()
            elder_values["id_number"] = ids.make(date.fromisoformat(elder_values["birth_date"]), head_sex)
        members.append(elder_values)
        father, mother = _name(rng, surname, "男"), _name(rng, rng.choice(SURNAMES), "女")
        if kind == "child":
            pattern = rng.choices(("both", "one_incapable", "one_home"), (60, 10, 30))[0]
            statuses = {"both": ("外出务工", "外出务工"), "one_incapable": ("外出务工", "无监护能力"),
                        "one_home": ("外出务工", "在家")}[pattern]
            for _ in range(rng.choice((1, 1, 2))):
                sex = rng.choice("男女")
                born = _born(rng, today, 3, 16)
                unqualified = rng.random() < 0.06
                members.append({
                    "household": household.id, "name": _name(rng, surname, sex), "sex": sex,
                    "id_number": ids.make(born, sex), "relation_to_head": "孙子女",
                    "father_status": statuses[0], "mother_status": statuses[1],
                    "school": rng.choice(("中心小学", "九年制学校", "幼儿园", "镇中学")),
                    "grade": f"{rng.randint(1, 6)}年级", "boarding": "1" if rng.random() < 0.2 else "",
                    "difficulty_kinds": [rng.choice(("贫困", "残疾", "监护缺失"))] if rng.random() < 0.08 else [],
                    "carer_name": head, "carer_relation": "祖父" if head_sex == "男" else "祖母",
                    "carer_phone": household.phone, "carer_capable": "" if rng.random() < 0.1 else ("0" if unqualified else "1"),
                    "carer_disqualifiers": ["吸毒、酗酒或赌博"] if unqualified else [],
                    "agreement_signed_on": (today - timedelta(days=rng.randint(10, 700))).isoformat()
                    if rng.random() < 0.8 else ""})
            save_away(SYSTEM, household, _away(rng, father, "父亲", today))
            if statuses[1] == "外出务工":
                save_away(SYSTEM, household, _away(rng, mother, "母亲", today))
        elif kind == "woman":
            born = _born(rng, today, 24, 56)
            members.append({"household": household.id, "name": mother, "sex": "女",
                            "id_number": ids.make(born, "女"), "relation_to_head": "儿媳",
                            "phone": _phone(rng),
                            "husband_away_since": (today - timedelta(days=rng.randint(60, 2500))).isoformat(),
                            "training_need": rng.choice(("", "电商", "家政", "种植技术")),
                            "employment_need": rng.choice(("", "就近务工", ""))})
            save_away(SYSTEM, household, _away(rng, father, "丈夫", today))
        for values in members[: max(1, persons - made)]:
            person = save_person(SYSTEM, EVERYWHERE, values, today=today)
            made += 1
            if rng.random() < 0.02:
                exit_person(SYSTEM, person, {"exit_reason": rng.choice(("迁出", "家人返乡")),
                                             "exited_on": (today - timedelta(days=rng.randint(1, 90))).isoformat()},
                            today=today)
    return made


def _away(rng, name, relation, today):
    province, city = rng.choice(PROVINCES)
    return {"name": name, "relation": relation, "province": province, "city": city,
            "phone": _phone(rng), "away_since": (today - timedelta(days=rng.randint(200, 3000))).isoformat(),
            "expected_return": rng.choice(("春节", "年底", "不确定"))}
