"""Demo helpers, village posts, pairings and a year of visits (some persons left overdue)."""
from datetime import date, timedelta

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
                "name": name_of(rng), "kind": kind, "position": position, "unit": v.name,
                "phone": f"13{rng.randint(100000000, 999999999)}", "village": v.id,
                "user": user.id if user else None, "areas": [f"v:{v.id}"]})
        vgrids = [g for g in grids if g.village_id == v.id]
        grid_user = User.get_or_none(User.username == f"wangge{v.code[1:]}")
        made["网格员"] = save_helper(SYSTEM, EVERYWHERE, {
            "name": name_of(rng), "kind": "网格员", "position": "网格员", "village": v.id,
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
