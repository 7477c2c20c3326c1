"""Demo helpers, village posts, pairings and a year of visits (some persons left overdue)."""
from datetime import date, datetime, timedelta

from .db import database
from .models import User
from .models.persons import Person
from .models.visits import Visit, VisitHelper, VisitPerson
from .scope import Scope
from .services import SYSTEM
from .services.helpers import save_helper, set_village_posts
from .services.visits import ensure_states, pair

EVERYWHERE = Scope(everything=True)
FINDINGS = {
    "life": ("生活正常", "衣食有保障", "家中卫生较差", "需要添置冬衣"),
    "health": ("身体健康", "血压偏高", "感冒已好转", "需定期复查"),
    "mind": ("情绪稳定", "思念父母", "性格开朗", "较为孤独"),
    "safety": ("无安全隐患", "提醒防溺水", "检查用电安全", "提醒防诈骗"),
    "study": ("学习认真", "成绩中等", "需要课业辅导", ""),
}


def build_care(rng, villages, grids, name_of, today=None):
    """Helpers for every village (linked to the demo cadre and grid accounts), posts, pairings
    of most persons in a group, and visits over the past year."""
    today = today or date.today()
    helpers_by_village = {}
    for v in villages:
        made = {}
        for kind, position in (("包片干部", "镇政府干部"), ("村干部", "村委会主任"), ("儿童主任", "儿童主任"),
                               ("村医", "村卫生室医生"), ("民警", "派出所民警"), ("法律顾问", "律师")):
            user = None
            if kind == "村干部":
                user = User.get_or_none(User.username == f"cun{v.code[1:]}")
            made[kind] = save_helper(SYSTEM, EVERYWHERE, {
                "name": user.display_name if user else name_of(rng), "kind": kind, "position": position, "unit": v.name,
                "phone": f"13{rng.randint(100000000, 999999999)}", "village": v.id,
                "user": user.id if user else None, "areas": [f"v:{v.id}"]})
        vgrids = [g for g in grids if g.village_id == v.id]
        grid_user = User.get_or_none(User.username == f"wangge{v.code[1:]}")
        made["网格员"] = save_helper(SYSTEM, EVERYWHERE, {
            "name": grid_user.display_name if grid_user else name_of(rng), "kind": "网格员", "position": "网格员", "village": v.id,
            "phone": f"15{rng.randint(100000000, 999999999)}",
            "user": grid_user.id if grid_user else None, "areas": [f"g:{vgrids[0].id}"]})
        set_village_posts(SYSTEM, EVERYWHERE, v, {k: made[k].id for k in
                                                  ("包片干部", "儿童主任", "村医", "民警", "法律顾问")})
        helpers_by_village[v.id] = made
    persons = list(Person.active().where(Person.groups != ""))
    with database.atomic():
        for person in persons:
            made = helpers_by_village[person.village_id]
            if rng.random() < 0.92:
                first = made["网格员"] if person.grid_id == made["网格员"].areas[0].grid_id else made["村干部"]
                pair(SYSTEM, EVERYWHERE, first, [person], started_on=today - timedelta(days=400))
                if rng.random() < 0.3:
                    pair(SYSTEM, EVERYWHERE, made[rng.choice(("儿童主任", "村医", "包片干部"))], [person],
                         started_on=today - timedelta(days=300))
        _visits(rng, persons, helpers_by_village, today)
        ensure_states(Person.active(), today)
    return sum(len(m) for m in helpers_by_village.values())


def _visits(rng, persons, helpers_by_village, today):
    """Visits written directly (a year of them for every person would take long through the
    service, which also refreshes states per visit); states are computed once at the end."""
    seen = {}
    for person in persons:
        made = helpers_by_village[person.village_id]
        seen[person.village_id] = seen.get(person.village_id, 0) + 1
        interval = rng.choice((7, 14, 30, 45, 90))
        day = today - timedelta(days=365 - rng.randint(0, 30))
        # Leave about one person in six overdue: stop visiting some weeks or months ago.
        # (the first persons of every village among them, so each cadre's worklist shows some).
        late = seen[person.village_id] <= 3 or rng.random() < 0.15
        stop = today - timedelta(days=rng.randint(interval + 95, interval + 150)) if late else today
        while day <= stop:
            visit = Visit.create(village=person.village_id, grid=person.grid_id,
                                 household=person.household_id, visited_on=day,
                                 method=rng.choices(("上门", "电话", "视频", "在校"), (70, 20, 5, 5))[0],
                                 **{k: rng.choice(v) for k, v in FINDINGS.items()},
                                 needs=rng.choice(("", "", "", "申请临时救助", "需要课业辅导")))
            VisitPerson.create(visit=visit, person=person)
            VisitHelper.create(visit=visit, helper=made[rng.choice(("村干部", "网格员", "儿童主任"))])
            day += timedelta(days=interval + rng.randint(-3, 3))


def build_records(rng, villages, today=None):
    """Needs and services, benefits (高龄补贴 by band, 低保), check-ups, sites, activities and one
    closed emergency, so every page of the demo has something to show."""
    from .models.households import Household
    from .services.care import close_emergency, complete_step, open_emergency, save_need, save_service
    from .services.records import bands, save_activity, save_benefit, save_checkup, save_site
    from .rules.subsidy import band_in_month
    today = today or date.today()
    month = today.replace(day=1)
    persons = list(Person.active().where(Person.groups != ""))
    kinds = ("课业辅导", "心理抚慰", "生活照料", "健康保健", "帮扶救助")
    with database.atomic():
        for person in persons:
            if rng.random() < 0.15:
                need = save_need(SYSTEM, person, {
                    "kind": rng.choice(kinds), "description": rng.choice(("需要课业辅导", "想念父母，情绪低落",
                                                                        "冬季取暖困难", "需要定期测血压")),
                    "raised_on": (today - timedelta(days=rng.randint(5, 120))).isoformat(),
                    "due_on": (today + timedelta(days=rng.randint(-20, 40))).isoformat()})
                if rng.random() < 0.6:
                    save_service(SYSTEM, person, {"need": need.id, "kind": need.kind,
                                                  "served_on": (today - timedelta(days=rng.randint(0, 4))).isoformat(),
                                                  "description": "上门服务"})
                    if rng.random() < 0.5:
                        save_need(SYSTEM, person, {**need.__data__, "status": "已解决"}, need)
            if band_in_month(person.birth_date, month, bands(month)):
                save_benefit(SYSTEM, person, {"kind": "高龄补贴", "start_on": month.isoformat()})
            if Household.get_by_id(person.household_id).dibao and rng.random() < 0.7:
                save_benefit(SYSTEM, person, {"kind": "低保", "amount": str(rng.choice((380, 450, 520))),
                                              "start_on": "2024-03-01"})
            if "留守老人" in person.groups and rng.random() < 0.3:
                save_checkup(SYSTEM, person, {"checked_on": (today - timedelta(days=rng.randint(1, 200))).isoformat(),
                                              "checked_by": "乡镇卫生院", "bp_high": str(rng.randint(110, 170)),
                                              "bp_low": str(rng.randint(65, 100)), "weight": str(rng.randint(45, 75))})
        for v in villages:
            site = save_site(SYSTEM, EVERYWHERE, {"village": v.id, "kind": "留守儿童之家",
                                                  "name": f"{v.name}留守儿童之家", "hours": "周末 9:00-17:00"})
            locals_ = [p for p in persons if p.village_id == v.id]
            for kind, title in (("四点半课堂", "四点半课堂"), ("生日会", "集体生日会"), ("义诊体检", "义诊进村")):
                invited = rng.sample(locals_, min(len(locals_), 8))
                if invited:
                    save_activity(SYSTEM, EVERYWHERE, {
                        "village": v.id, "site": site.id, "kind": kind, "title": title, "organiser": "村委会",
                        "held_on": (today - timedelta(days=rng.randint(1, 300))).isoformat(),
                        "persons": [p.id for p in invited],
                        "attended": [p.id for p in invited if rng.random() < 0.8]})
        child = next((p for p in persons if "留守儿童" in p.groups), None)
        if child is not None:
            found = datetime.combine(today - timedelta(days=20), datetime.min.time()).replace(hour=18)
            emergency = open_emergency(SYSTEM, child, {"kind": "意外伤害", "reported_by": "村医",
                                                       "discovered_at": found.strftime("%Y-%m-%d %H:%M"),
                                                       "description": "放学路上摔伤手臂"})
            for i, step in enumerate(emergency.steps):
                complete_step(SYSTEM, step, {"how": "电话", "done_by": "村干部",
                                             "done_at": (found + timedelta(minutes=10 + 15 * i)).strftime("%Y-%m-%d %H:%M")})
            close_emergency(SYSTEM, emergency, {"summary": "已送镇卫生院包扎，无大碍，已告知父母"})
