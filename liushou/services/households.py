"""Households and family members working away: create, update, mark returned. No deletes."""

from datetime import date, datetime

from peewee import SQL, fn

from .. import clock, settings
from ..db import database, touching
from ..models import Grid, Village
from ..models.care import Emergency, Need, Service
from ..models.group_events import GroupEvent
from ..models.households import AWAY_RELATIONS, FamilyAway, Household
from ..models.persons import Person
from ..models.records import Benefit
from ..models.visits import CheckIn
from ..rules import idcard
from ..rules.privacy import keep_masked
from ..rules.text import clean
from . import ValidationError, completeness, group_events
from .audit import record
from .categories_follow import away_rows, follow_household
from .changes import apply_changes
from .forms import Reader, bad_id, to_int
from .month_rates import reopen_periods
from .voiding import refuse_if_voided, void


def place_of(scope, values, errors):
    """The (village, grid) chosen in a form, checked against the user's area."""
    village = Village.get_or_none(Village.id == (to_int(values.get("village"))))
    grid = Grid.get_or_none(Grid.id == to_int(values.get("grid"))) if values.get("grid") else None
    if grid is None and bad_id(values.get("grid")):
        errors["grid"] = "没有这个网格，请重新选择"
        return None, None
    if village is None:
        errors["village"] = "请选择村（社区）"
        return None, None
    if grid is not None and grid.village_id != village.id:
        errors["grid"] = "所选网格不属于该村（社区）"
        return village, None
    if not scope.allows_grid(village.id, grid.id if grid else None):
        if grid is None and scope.grid_ids is not None:
            errors["grid"] = "请选择您负责的网格"
        else:
            errors["village"] = "只能选择您负责的村（社区）或网格"
    return village, grid


@settings.held()  # a move re-settles every member: each setting is read once for the write
def save_household(actor, scope, values, household=None, today=None):
    """Create or update a household; moving it moves its members' village and grid too."""
    if household is not None:
        refuse_if_voided(household)
    r = Reader(values)
    village, grid = place_of(scope, values, r.errors)
    data = {
        "village": village.id if village else None,
        "grid": grid.id if grid else None,
        "address": r.text("address", 128),
        "head_name": r.text("head_name", 64, "请填写户主姓名"),
        "phone": r.phone("phone"),
        "phone2": r.phone("phone2"),
        "economic_sources": r.text("economic_sources", 200),
        "notes": r.text("notes", 1000),
    }
    for flag in ("dibao", "tekun", "monitored"):
        data[flag] = r.flag(flag)
        since = r.date(f"{flag}_since", not_future=True, today=today)
        data[f"{flag}_since"] = since if data[flag] else None
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        if household is None:
            household = Household.create(**data)
            record(actor, "create", household, changes=[(k, None, v) for k, v in data.items() if v])
        else:
            was_in = household.village_id
            if data["village"] != was_in:
                _reopen_placed_by_now(household)
            if apply_changes(actor, household, data, quiet={"updated_at": clock.now()}):
                # Its members lived in its old village: the village it leaves and the new one.
                with touching([was_in, household.village_id]):
                    (
                        Person.update(village=household.village_id, grid=household.grid_id)
                        .where(Person.household == household)
                        .execute()
                    )
                for person in Person.active().where(Person.household == household):
                    group_events.follow(person, today or clock.today(), "moved")
                completeness.refresh_household(household.id, today)
    return household


def _reopen_placed_by_now(household):
    """A member with no group history is placed by where he lives now (facts.Whereabouts,
    village_on): his needs, services, benefits, check-ins and emergencies of closed periods
    move village with the household, so the kept figures since the first of them are dropped."""
    members = Person.select(Person.id).where(
        (Person.household == household)
        & ~fn.EXISTS(GroupEvent.select(SQL("1")).where(GroupEvent.person == Person.id))
    )
    ids = [pid for (pid,) in members.tuples()]
    if not ids:
        return
    firsts = [
        Need.with_voided(fn.MIN(Need.raised_on)).where(Need.person.in_(ids)).scalar(),
        Service.with_voided(fn.MIN(Service.served_on)).where(Service.person.in_(ids)).scalar(),
        Benefit.with_voided(fn.MIN(Benefit.start_on)).where(Benefit.person.in_(ids)).scalar(),
        CheckIn.with_voided(fn.MIN(CheckIn.on)).where(CheckIn.person.in_(ids)).scalar(),
        Emergency.with_voided(fn.MIN(Emergency.discovered_at))
        .where(Emergency.person.in_(ids))
        .scalar(),
    ]
    days = []
    for value in firsts:
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            days.append(value)
    if days:
        reopen_periods(ranges=[(min(days), None)])


def save_away(actor, household, values, away=None, today=None):
    """Add or update a family member working away (never on a voided household)."""
    refuse_if_voided(household)
    if away is not None:
        refuse_if_voided(away)
    r = Reader(values)
    data = {
        "name": r.text("name", 64, "请填写姓名"),
        "relation": r.choice("relation", AWAY_RELATIONS, "请选择与户主或儿童的关系"),
        "id_number": _away_id(r, values, away, today),
        "province": r.text("province", 32),
        "city": r.text("city", 32),
        "phone": r.phone("phone"),
        "away_since": r.date("away_since", not_future=True, today=today),
        "expected_return": r.text("expected_return", 32),
        "returned_on": r.date("returned_on", not_future=True, today=today),
        "died_on": r.date("died_on", not_future=True, today=today),
        "notes": r.text("notes", 200),
    }
    if data["returned_on"] and data["away_since"] and data["returned_on"] < data["away_since"]:
        r.errors["returned_on"] = "返乡日期不能早于外出日期"
    if data["died_on"] and data["away_since"] and data["died_on"] < data["away_since"]:
        r.errors["died_on"] = "去世日期不能早于外出日期"
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic():
        if away is None:
            away = FamilyAway.create(household=household, **data)
            record(
                actor,
                "create",
                away,
                label=f"{household} 外出：{away}",
                changes=[(k, None, v) for k, v in data.items() if v],
            )
        else:
            apply_changes(actor, away, data, label=lambda away: f"{household} 外出：{away}")
        # Leaving and coming home change the members' facts and categories: in this transaction.
        follow_household(actor, household.id, today)
    return away


def _away_id(r, values, away, today):
    """A family member's ID number: checked like a person's; an unchanged mask keeps it."""
    raw = keep_masked(values.get("id_number"), away.id_number if away else "")
    if not clean(raw):
        return ""
    info, problem = idcard.parse(clean(raw), today or clock.today())
    if problem:
        r.errors["id_number"] = problem
        return ""
    return info.number


def void_away(actor, household, away, reason, today=None):
    """作废 a family-away row entered by mistake; the household's members follow at once."""
    today = today or clock.today()
    rows_before = away_rows(household.id)
    return void(
        actor,
        away,
        reason,
        after=lambda _: follow_household(actor, household.id, today, forget=rows_before),
    )


def void_household(actor, household, reason):
    """作废 a household registered by mistake: only once none of its members is still on the
    register (void or move them first)."""
    if Person.select().where((Person.household == household) & Person.voided_at.is_null()).exists():
        raise ValidationError(
            {"void_reason": "户内还有登记的人员，请先将他们转到其他户或作废其登记"}
        )
    return void(actor, household, reason)
