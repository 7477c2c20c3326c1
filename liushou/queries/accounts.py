"""Accounts and the audit log (admin pages, which see the whole township)."""

from peewee import JOIN, fn

from .. import settings
from ..db import database
from ..models import AuditLog, Grid, Setting, User, Village
from ..models.helpers import Helper, VillagePost
from ..models.households import Household


def _within(scope):
    """Accounts an admin of `scope` manages (None: every account): on a county's instance a
    township's admin manages his township's accounts, those of its villages and the helper
    accounts of its helpers."""
    if scope is None or scope.everything:
        return None
    villages = list(scope.village_ids) or [0]
    return (
        User.township.in_(list(scope.township_ids or []) or [0])
        | User.village.in_(villages)
        | User.id.in_(
            Helper.select(Helper.user).where(
                Helper.user.is_null(False) & Helper.village.in_(villages)
            )
        )
    )


def users(scope=None):
    """Every account (of the admin's area) with its village, by role and login name."""
    query = (
        User.select(User, Village)
        .join(Village, on=(User.village == Village.id), join_type=JOIN.LEFT_OUTER)
        .order_by(User.role, User.username)
    )
    cond = _within(scope)
    return query if cond is None else query.where(cond)


def user(pk, scope=None):
    """An account (of the admin's area) by id, or None."""
    cond = _within(scope)
    query = User.select().where(User.id == pk)
    return (query if cond is None else query.where(cond)).first()


def audit(action=None, username=None, object_type=None, since=None, until=None):
    """Audit rows, newest first, narrowed by the admin's filters."""
    return AuditLog.search(
        action=action, username=username, object_type=object_type, since=since, until=until
    )


# The posts every village's contact card names.
CARD_POSTS = ("包片干部", "村医", "民警", "法律顾问")


_UNFOLLOWED = {}  # (engine, township, village ids) -> the statement's (sql, params), built once


def first_day_unfollowed(scope=None):
    """(active accounts other than admins, whether a household's card was printed) of the checklist:
    the two of its inputs no data generation follows (accounts and the audit log), read in one
    statement, so a kept home page can carry them in its key. A township admin's (a county's
    instance) counts his township's accounts and theirs of its villages (`scope.village_ids`)."""
    town = scope.own_township if scope is not None else None
    # Built by peewee once per township and its villages: building it (two lists of the
    # township's 30 villages) cost more than running it (profile_pages.py --cprofile).
    key = (type(database.obj), town, scope.village_ids if town is not None else None)
    built = _UNFOLLOWED.get(key)
    if built is None:
        built = _UNFOLLOWED[key] = _unfollowed_query(scope, town).sql()
    count, found = database.execute_sql(*built).fetchone()
    return count, bool(found)


def _unfollowed_query(scope, town):
    # `|| ''` keeps SQLite on the action index: by object type it would walk every household's
    # audit rows to find none printed.
    printed = AuditLog.select(AuditLog.id).where(
        (AuditLog.action == "print") & (AuditLog.object_type.concat("") == "household")
    )
    others = (User.role != "admin") & User.active  # a disabled account works for nobody
    if town is not None:
        mine = (User.township == town) | User.village.in_(list(scope.village_ids) or [0])
        others &= mine
        printed = printed.where(AuditLog.user_id.in_(User.select(User.id).where(mine)))
    # The subquery names no column of the outer query: allowed beside an aggregate on both.
    return User.select(fn.COUNT(User.id), fn.EXISTS(printed)).where(others)


def first_day_steps(scope=None):
    """The first-run checklist, in the order a township goes through it: [(key, label, done,
    detail)]. Each step ticks itself from what the register holds; a township admin's (a county's
    instance, `scope` bound to a township) counts his township only."""
    town = scope.own_township if scope is not None else None
    villages = Village.select().where(Village.active)
    if town is not None:
        villages = villages.where(Village.township == town)
    villages = list(villages)
    village_ids = [v.id for v in villages]
    posts = {}
    for p in VillagePost.select().where(VillagePost.village.in_(village_ids or [0])):
        posts.setdefault(p.village_id, set()).add(p.post)
    missing_posts = [v.name for v in villages if not set(CARD_POSTS) <= posts.get(v.id, set())]
    with_people = {
        village_id
        for (village_id,) in Household.select(Household.village)
        .distinct()
        .where(Household.village.in_(village_ids or [0]))
        .tuples()
    }
    no_ledger = [v.name for v in villages if v.id not in with_people]
    grids = Grid.select().where(Grid.active & Grid.village.in_(village_ids or [0])).count()
    helpers = Helper.select().where(Helper.active)
    if town is not None:
        helpers = scope.filter(helpers, Helper)
    others, printed = first_day_unfollowed(scope)
    of = town if town is not None else settings.INSTANCE
    address_set = bool(settings.get("township_address", township=of)) and bool(
        settings.get("office_phone", township=of)
    )
    return [
        (
            "township",
            "填写乡镇（街道）名称、地址和办公室电话",
            settings.township_name_problem(township=of) is None and address_set,
            "",
        ),
        (
            "base_url",
            "填写本系统的内网地址（打印的二维码要用）",
            Setting.select()
            .where((Setting.key == "base_url") & Setting.township.is_null())
            .exists(),
            "",
        ),
        (
            "places",
            "建立村（社区）和网格",
            bool(villages) and grids > 0,
            f"已有 {len(villages)} 个村（社区）、{grids} 个网格" if villages else "",
        ),
        (
            "accounts",
            "为乡镇干部、村干部和网格员建账号",
            others > 0,
            f"已有 {others} 个账号" if others else "",
        ),
        (
            "posts",
            "填写各村包片干部、村医、民警、法律顾问（印在联系卡上）",
            bool(villages) and not missing_posts,
            ("尚缺：" + "、".join(missing_posts[:5]) + ("等" if len(missing_posts) > 5 else ""))
            if villages and missing_posts
            else "",
        ),
        ("helpers", "登记帮扶人", helpers.exists(), ""),
        (
            "ledgers",
            "导入各村的台账",
            bool(villages) and not no_ledger,
            ("尚未导入：" + "、".join(no_ledger[:5]) + ("等" if len(no_ledger) > 5 else ""))
            if villages and no_ledger
            else "",
        ),
        (
            "cards",
            "打印便民服务联系卡",
            printed,
            "",
        ),
    ]
