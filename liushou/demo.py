"""A believable demo township, the same for the same seed."""
import random
import secrets

from .db import database
from .services import SYSTEM
from .services.accounts import create_user
from .services.places import save_grid, save_village
from .services.settings import update_settings

VILLAGE_NAMES = ["杨家湾村", "石门村", "柳树沟村", "河西村", "王家庄村", "青龙村", "马莲滩村",
                 "红崖村", "新民社区", "东关社区", "大坪村", "庙台村"]
GRID_NAMES = ["一组", "二组", "三组", "四组", "五组", "东街", "西街"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国秀英桂兰玉梅志强海燕春花丽娟文华明亮小军子涵梓萱一诺欣怡浩然宇轩雨桐俊杰佳怡思远嘉豪秋菊冬梅凤霞红英德福永祥金山"


def person_name(rng):
    """A plausible Chinese name of two or three characters."""
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def build(persons=300, seed=1, password=None):
    """Create villages, grids and users of every role; later issues add people and records."""
    rng = random.Random(seed)
    password = password or (secrets.token_urlsafe(6) + "a1")
    n_villages = rng.randint(8, 12)
    villages, grids, users = [], [], []
    with database.atomic():
        update_settings(SYSTEM, {"township_name": "杨柳镇", "township_address": "杨柳镇人民政府（建设路 1 号）",
                                 "office_phone": "0931-5551234", "medical_phone": "120",
                                 "emergency_phone": "110", "police_phone": "0931-5556110",
                                 "family_hotline": "12338"})
        for i, name in enumerate(VILLAGE_NAMES[:n_villages], start=1):
            v = save_village(SYSTEM, {"code": f"V{i:02d}", "name": name,
                                      "kind": "社区" if name.endswith("社区") else "村",
                                      "sort_order": i})
            villages.append(v)
            for j, gname in enumerate(GRID_NAMES[:rng.randint(3, 6)], start=1):
                grids.append(save_grid(SYSTEM, {"village": v.id, "code": f"V{i:02d}-G{j}",
                                                "name": gname, "sort_order": j}))

        def add(username, role, village=None, grid_list=()):
            create_user(SYSTEM, {"username": username, "display_name": person_name(rng),
                                 "role": role, "village": village.id if village else None,
                                 "grids": [g.id for g in grid_list],
                                 "phone": f"139{rng.randint(10000000, 99999999)}"}, password)
            users.append((username, {"admin": "管理员", "township": "乡镇干部", "village": "村干部",
                                     "grid": "网格员", "leader": "领导"}[role]))

        add("admin", "admin")
        add("xiangzhen", "township")
        add("lingdao", "leader")
        for v in villages[:3]:
            add(f"cun{v.code[1:]}", "village", v)
            vgrids = [g for g in grids if g.village_id == v.id]
            add(f"wangge{v.code[1:]}", "grid", v, vgrids[:1])
        from .demo_registry import build_registry
        made = build_registry(rng, villages, grids, persons)
        from .demo_care import build_care, build_records
        build_care(rng, villages, grids, person_name)
        build_records(rng, villages)
    return {"villages": len(villages), "grids": len(grids), "users": users,
            "password": password, "persons": made}
