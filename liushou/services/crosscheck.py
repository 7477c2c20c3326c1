"""Cross-checks (比对核实): upload a roster and keep its comparison; apply a finding through the
register's own edit services (history, derived categories and review follow), dismiss one with
a reason, or register a person the roster names and the register lacks."""

import json

from .. import clock
from ..db import database
from ..models.crosscheck import Crosscheck, CrosscheckRow
from ..models.households import Household
from ..models.persons import Person
from ..models.places import Village
from ..rules import crosscheck as rules
from ..settings import township_of
from ..xlsx_io import WorkbookError, read_rows
from . import ValidationError
from .audit import record
from .forms import Reader
from .households import save_household
from .persons import save_person
from .suggestions import _edit_values as person_values
from .voiding import void

DONE = {"applied": "此行已应用，不能重复应用", "dismissed": "此行已忽略"}
HOUSEHOLD_FIELDS = (
    "village grid address head_name phone phone2 economic_sources notes "
    "dibao dibao_since tekun tekun_since monitored monitored_since"
).split()


def create(actor, scope, values, data, filename="", village=None, today=None):
    """Read the roster (the import's reader and limits), compare it with the register and keep
    the comparison; nothing else is written. `village`: the uploader's own village (a village
    cadre), None for a township-wide upload."""
    today = today or clock.today()
    r = Reader(values)
    kind = r.choice("kind", tuple(rules.KINDS), "请选择名单类型")
    school_name = r.text("school_name", 64)
    lines = []
    if not data:
        r.errors["file"] = "请选择要比对的 .xlsx 文件"
    else:
        try:
            rows = read_rows(data)
        except WorkbookError as e:
            r.errors["file"] = str(e)
        else:
            lines, problem = rules.read_roster(rows, today)
            if problem:
                r.errors["file"] = problem
            elif not lines:
                r.errors["file"] = "名单中表头下面没有数据"
            elif kind == "school" and not school_name and not any(x.school for x in lines):
                r.errors["school_name"] = "名单中没有“学校”列，请填写学校名称"
    if r.errors:
        raise ValidationError(r.errors)
    towns = _townships()
    township = towns.get(village) if village else _uploader_township(actor, scope)
    findings = rules.compare(kind, lines, _register(scope, township), today, school_name)
    with database.atomic():
        check = Crosscheck.create(
            kind=kind,
            filename=(filename or "")[:100],
            school_name=school_name,
            village=village,
            lines=len(lines),
            created_by=actor.user_id,
            created_by_name=_name(actor),
            township=township,
        )
        for f in findings:
            _row(check, f, village, towns)
        record(
            actor,
            "create",
            check,
            changes=[
                ("kind", None, rules.KINDS[kind]),
                ("lines", None, len(lines)),
                ("findings", None, len(findings)),
            ],
        )
    return check


def _townships():
    """{village id: its township id} (None on a township's own instance)."""
    return dict(Village.select(Village.id, Village.township).tuples())


def _uploader_township(actor, scope):
    """The township a township-wide upload belongs to: the uploader's (None on a township's
    own instance, or for a user of every township)."""
    if scope.own_township is not None:
        return scope.own_township
    return township_of(actor.user) if actor.user is not None else None


def _name(actor):
    return actor.user.display_name if actor.user else actor.username


def _register(scope, township=None):
    """Every registered (not voided) person of the upload's township (of every township when
    it has none: a township's own instance, or a county-wide upload), as the comparison reads
    him; those of the uploader's area marked in scope. A person of another township is never
    matched: his township's users could not see the finding, and the uploader may not see him."""
    query = (
        Person.select(
            Person.id,
            Person.name,
            Person.id_number,
            Person.birth_date,
            Person.household,
            Person.village,
            Person.grid,
            Household.dibao,
            Household.tekun,
            Person.disability_kind,
            Person.disability_grade,
            Person.school,
            Person.grade,
            Person.exited_on,
        )
        .join(Household)
        .where(Person.voided_at.is_null())
        .order_by(Person.village, Person.id)
    )
    if township is not None:
        query = query.where(
            Person.village.in_(Village.select(Village.id).where(Village.township == township))
        )
    # Tuples of the columns compared: full models took about 6 s at 100,000 persons.
    return [
        rules.Registered(
            id=pid,
            name=name,
            id_number=id_number or "",
            birth_date=birth_date,
            household_id=household_id,
            village_id=village_id,
            grid_id=grid_id,
            dibao=dibao,
            tekun=tekun,
            disability_kind=disability_kind,
            disability_grade=disability_grade,
            school=school,
            grade=grade,
            in_scope=scope.allows_grid(village_id, grid_id),
            exited=exited_on is not None,
        )
        for (
            pid,
            name,
            id_number,
            birth_date,
            household_id,
            village_id,
            grid_id,
            dibao,
            tekun,
            disability_kind,
            disability_grade,
            school,
            grade,
            exited_on,
        ) in query.tuples()
    ]


def _row(check, f, village, towns):
    line, person = f.line, f.person
    values = f.values
    if f.category in ("c", "x"):
        values = {
            k: getattr(line, k)
            for k in ("name", "id_number", "school", "grade", "disability_kind", "disability_grade")
            if getattr(line, k)
        }
    row_village = person.village_id if person else village
    return CrosscheckRow.create(
        crosscheck=check,
        village=row_village,
        township=towns.get(row_village) if row_village else check.township_id,
        grid=person.grid_id if person else None,
        category=f.category,
        line_no=line.number if line else None,
        name=(line.name if line else person.name)[:64],
        id_number=(line.id_number if line else "") or (person.id_number if person else ""),
        birth_date=(line.id_birth if line else None) or (person.birth_date if person else None),
        person=person.id if person else None,
        household=person.household_id if person else None,
        field=f.field,
        old_value=str(f.old)[:100],
        new_value=str(f.new)[:100],
        note=f.note[:200],
        values=json.dumps(values, ensure_ascii=False),
    )


def _claim(actor, row, status, reason=""):
    """Mark an open row decided, inside the caller's transaction; a row already decided (a
    second click, another user) is refused and nothing is written."""
    if row.crosscheck.voided_at is not None or row.voided_at is not None:
        raise ValidationError({"row": "此比对已作废"})
    now = clock.now()
    claimed = (
        CrosscheckRow.update(
            status=status,
            decided_by=actor.user_id,
            decided_by_name=_name(actor),
            decided_at=now,
            reason=reason,
        )
        .where((CrosscheckRow.id == row.id) & (CrosscheckRow.status == "open"))
        .execute()
    )
    if not claimed:
        current = CrosscheckRow.get_by_id(row.id).status
        raise ValidationError({"row": DONE.get(current, "此行已处理")})
    row.status, row.decided_at, row.reason = status, now, reason


def _why(row):
    check = row.crosscheck
    where = f"第 {row.line_no} 行" if row.line_no else "名单中没有此人"
    return f"按{check.kind_label}比对核实（{check.filename or '上传的名单'}，{where}）"


def in_scope(scope, row):
    """The row itself, its comparison and its person (and household) as the user's scope sees
    them: a row of another village's comparison, or about a person outside his area, is a 404
    even when the row's own village is his (the person moved since)."""
    scope.get(CrosscheckRow, row.id)
    scope.get(Crosscheck, row.crosscheck_id)
    if row.person_id is not None:
        scope.get(Person, row.person_id)
    if row.household_id is not None:
        scope.get(Household, row.household_id)
    return row


def apply(actor, scope, row, today=None):
    """应用: make the register say what the finding says, through the person's or household's
    edit service, with the cross-check named in the history. Once only."""
    today = today or clock.today()
    in_scope(scope, row)
    if not row.appliable:
        if row.status != "open":
            raise ValidationError({"row": DONE.get(row.status, "此行已处理")})
        raise ValidationError({"row": "此行不能一键应用：请核实后到人员页修改，或忽略"})
    with database.atomic("IMMEDIATE"):
        _claim(actor, row, "applied")
        why = _why(row)
        if row.field in ("dibao", "tekun"):
            household = scope.get(Household, row.household_id)
            values = _household_values(household)
            values[row.field] = "1" if row.value_map[row.field] else ""
            target = save_household(actor, scope, values, household, today=today)
        else:
            person = scope.get(Person, row.person_id)
            values = {**person_values(person), **row.value_map}
            try:
                target = save_person(actor, scope, values, person, today, category_reason=why)
            except ValidationError as e:
                raise ValidationError(
                    {"row": "此人的登记信息需要先修改：" + "；".join(e.errors.values())}
                ) from e
        record(actor, "update", target, changes=[("crosscheck", None, why)])
        record(actor, "crosscheck", row, changes=[("status", "open", "applied")])
    return row


def _household_values(household):
    """A household as its edit form would post it unchanged."""
    values = {}
    for name in HOUSEHOLD_FIELDS:
        value = household.__data__.get(name)
        if isinstance(value, bool):
            value = "1" if value else ""
        values[name] = "" if value is None else value
    return values


def dismiss(actor, scope, row, values):
    """忽略, with a reason (kept); only a row wholly in the user's area (in_scope)."""
    in_scope(scope, row)
    r = Reader(values)
    reason = r.text("reason", 200, "请填写忽略的原因")
    if r.errors:
        raise ValidationError(r.errors)
    with database.atomic("IMMEDIATE"):
        _claim(actor, row, "dismissed", reason)
        record(
            actor,
            "crosscheck",
            row,
            changes=[("status", "open", "dismissed"), ("reason", "", reason)],
        )
    return row


def prefill(row):
    """The registration form's values for a roster line the register lacks."""
    values = row.value_map
    return {k: values.get(k, "") for k in ("name", "id_number", "school", "grade")} | {
        k: values[k] for k in ("disability_kind", "disability_grade") if k in values
    }


def register(actor, scope, row, values, today=None):
    """Register the person a roster names and the register lacks (category c); the row is then
    applied, in the same transaction."""
    today = today or clock.today()
    in_scope(scope, row)
    if row.category != "c":
        raise ValidationError({"row": "此行不是“登记册中没有此人”"})
    with database.atomic("IMMEDIATE"):
        _claim(actor, row, "applied")
        person = save_person(actor, scope, values, today=today)
        record(actor, "update", person, changes=[("crosscheck", None, _why(row))])
        CrosscheckRow.update(person=person.id, household=person.household_id).where(
            CrosscheckRow.id == row.id
        ).execute()
        record(actor, "crosscheck", row, changes=[("status", "open", "applied")])
    return person


def void_check(actor, scope, check, reason):
    """作废 a comparison uploaded by mistake (the wrong file): kept, out of the list. A
    township-wide upload is the township's to void."""
    if check.village_id is None and not scope.whole_township:
        raise ValidationError({"void_reason": "乡镇上传的名单只能由乡镇作废"})
    return void(actor, check, reason)
