"""Organisations (associations and teams) and their members: create, edit, join, leave, change
a member's role, void. A village user writes his village's organisations; township-wide ones
(no village) are written by township users only; grid workers only read them."""

from .. import clock
from ..db import database
from ..models.helpers import Helper
from ..models.households import FamilyAway, Household
from ..models.orgs import MEMBER_ROLES, MEMBER_SOURCES, ORG_KINDS, Membership, Organisation
from ..models.persons import Person
from ..models.places import Village
from . import ValidationError
from .audit import record
from .changes import apply_changes
from .forms import Reader, to_int
from .voiding import refuse_if_voided, void

NOT_YOURS = "您只能修改本村（社区）的组织；全乡（镇）的组织由乡镇干部维护"


def may_write(scope, org):
    """Whether the user may change this organisation and its members."""
    if org.voided:
        return False
    if org.village_id is None and scope.own_township is not None:
        return org.township_id == scope.own_township
    return may_write_village(scope, org.village_id)


def may_write_village(scope, village_id):
    """Whether the user may create or change organisations of this village (None: township)."""
    if scope.everything:
        return True
    return village_id is not None and scope.allows_village(village_id)


def may_create(scope):
    return scope.everything or (scope.grid_ids is None and bool(scope.village_ids))


def _check(scope, org):
    refuse_if_voided(org)
    if not may_write(scope, org):
        raise ValidationError({"_record": NOT_YOURS})


def _org_values(r):
    return {
        "kind": r.choice("kind", ORG_KINDS, "请选择组织类别"),
        "name": r.text("name", 64, "请填写组织名称"),
        "phone": r.phone("phone"),
        "founded_on": r.date("founded_on", not_future=True),
        "notes": r.text("notes", 1000),
    }


def _same_name(village_id, name, exclude=None):
    query = Organisation.select().where(
        (Organisation.name == name)
        & (
            Organisation.village.is_null()
            if village_id is None
            else (Organisation.village == village_id)
        )
    )
    if exclude is not None:
        query = query.where(Organisation.id != exclude.id)
    return query.exists()


def create_org(actor, scope, values):
    """A new organisation of a village of the user's area, or (township users) township-wide."""
    r = Reader(values)
    raw = str(values.get("village") or "").strip()
    village = None
    if raw:
        village = Village.get_or_none(Village.id == to_int(raw))
        if village is None or not may_write_village(scope, village.id):
            r.errors["village"] = "请选择您负责的村（社区）"
    elif not (scope.everything or scope.own_township):
        r.errors["village"] = "请选择村（社区）；全乡（镇）的组织由乡镇干部登记"
    data = _org_values(r)
    if data["name"] and "village" not in r.errors:
        if _same_name(village.id if village else None, data["name"]):
            r.errors["name"] = "已有同名的组织"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        # A township-wide one of a county's instance belongs to the author's township.
        town = None if village else scope.own_township
        org = Organisation.create(village=village, township=town, created_by=actor.user_id, **data)
        record(
            actor,
            "create",
            org,
            changes=[("village", None, org.area_name)]
            + [(k, None, v) for k, v in data.items() if v],
        )
    return org


def update_org(actor, scope, org, values):
    """Change an organisation's kind, name, phone, founding date or notes (its village stays)."""
    _check(scope, org)
    r = Reader(values)
    data = _org_values(r)
    if data["name"] and _same_name(org.village_id, data["name"], exclude=org):
        r.errors["name"] = "已有同名的组织"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        apply_changes(actor, org, data)
    return org


def void_org(actor, scope, org, values):
    """Void an organisation registered by mistake (kept, in no list or figure)."""
    if not may_write(scope, org):
        raise ValidationError({"void_reason": NOT_YOURS})
    return void(actor, org, values.get("void_reason"))


def _member(r, scope, org, values):
    """(field, record) of the one member the form names: a person, a family member away or a
    helper, each resolved in the user's area and, for a village's organisation, of that
    village."""
    chosen = [(k, str(values.get(k) or "").strip()) for k in MEMBER_SOURCES]
    chosen = [(k, v) for k, v in chosen if v]
    if len(chosen) != 1:
        r.errors["person"] = "请在登记人员、外出务工人员、帮扶人中选择一位（只选一位）"
        return None, None
    field, raw = chosen[0]
    pk = to_int(raw)
    if field == "person":
        found = scope.filter(Person.active(), Person).where(Person.id == pk).first()
        village_id = found.village_id if found else None
    elif field == "away":
        found = (
            scope.filter(FamilyAway.select(FamilyAway, Household).join(Household), Household)
            .where(FamilyAway.id == pk)
            .first()
        )
        village_id = found.household.village_id if found else None
    else:
        found = scope.query(Helper).where((Helper.id == pk) & Helper.active).first()
        village_id = found.village_id if found else org.village_id
    if found is None or (org.village_id is not None and village_id != org.village_id):
        where = "本村（社区）" if org.village_id else "您负责的范围内"
        r.errors[field] = f"请选择{where}的{MEMBER_SOURCES[field]}"
        return None, None
    return field, found


def add_member(actor, scope, org, values, today=None):
    """Add a member with his role and the date he joined."""
    _check(scope, org)
    today = today or clock.today()
    r = Reader(values)
    field, member = _member(r, scope, org, values)
    data = {
        "role": r.choice("role", MEMBER_ROLES, default="成员"),
        "joined_on": r.date(
            "joined_on", required_msg="请填写加入日期", not_future=True, today=today
        ),
        "phone": r.phone("phone"),
        "notes": r.text("notes", 200),
    }
    if member is not None:
        current = Membership.select().where(
            (Membership.organisation == org)
            & (getattr(Membership, field) == member.id)
            & Membership.left_on.is_null()
        )
        if current.exists():
            r.errors[field] = f"{member.name} 已是本组织成员"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        m = Membership.create(organisation=org, created_by=actor.user_id, **{field: member}, **data)
        record(
            actor,
            "create",
            m,
            label=f"{org.name} {member.name}",
            changes=[(MEMBER_SOURCES[field], None, member.name)]
            + [(k, None, v) for k, v in data.items() if v],
        )
    return m


def _check_member(scope, member):
    refuse_if_voided(member)
    _check(scope, member.organisation)


def leave(actor, scope, member, values, today=None):
    """A member leaves on a date, with a reason; the row stays, with its dates."""
    _check_member(scope, member)
    today = today or clock.today()
    r = Reader(values)
    left_on = r.date("left_on", required_msg="请填写退出日期", not_future=True, today=today)
    reason = r.text("left_reason", 200)
    if member.left_on is not None:
        r.errors["left_on"] = "已经退出"
    elif left_on and left_on < member.joined_on:
        r.errors["left_on"] = "退出日期不能早于加入日期"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        record(
            actor,
            "update",
            member,
            changes=[("left_on", None, left_on), ("left_reason", "", reason)],
        )
        member.left_on, member.left_reason = left_on, reason
        member.save(only=[Membership.left_on, Membership.left_reason])
    return member


def set_role(actor, scope, member, values):
    """Change a current member's role (会长, 副会长, 小组长, 联络员 or 成员)."""
    _check_member(scope, member)
    r = Reader(values)
    role = r.choice("role", MEMBER_ROLES, "请选择职务")
    if member.left_on is not None:
        r.errors["role"] = "已退出的成员不能再改职务"
    if r.errors:
        raise ValidationError(r.errors)
    if role == member.role:
        return member
    with database.atomic():
        record(actor, "update", member, changes=[("role", member.role, role)])
        member.role = role
        member.save(only=[Membership.role])
    return member


def void_member(actor, scope, member, values):
    """Void a membership entered by mistake (a member who left is marked as left instead)."""
    if not may_write_village(scope, member.organisation.village_id):
        raise ValidationError({"void_reason": NOT_YOURS})
    return void(actor, member, values.get("void_reason"))
