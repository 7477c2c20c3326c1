"""Correcting and voiding visits and pairings; the persons' visit states follow in the same
transaction."""

from datetime import timedelta

from .. import clock, figure_patch
from ..db import database, row_villages, touching
from ..models.care import Need
from ..models.helpers import Helper
from ..models.visits import Pairing, VisitHelper, VisitPerson
from ..queries import summary_kept
from ..queries.helpers import visible as visible_helpers
from ..queries.visits import helpers_of, persons_seen
from . import ValidationError, diff
from .changes import apply_changes
from .form_versions import hold
from .forms import Reader, to_int
from .month_rates import reopen_periods
from .visits import item_text, read_items, read_visit, refresh_state
from .voiding import refuse_if_voided, refuse_if_voided_now, refuse_voided_persons_now, void


def update_visit(actor, scope, visit, persons, values, today=None):
    """Correct a visit: date, method, findings, persons seen (of its household), helpers, next
    date. Every person seen before or after gets his visit state recomputed."""
    today = today or clock.today()
    refuse_if_voided(visit)
    data, persons, helpers = read_visit(scope, persons, values, today)
    if persons[0].household_id != visit.household_id:
        raise ValidationError({"persons": "只能选择本户中您负责范围内的成员"})
    before_persons, before_helpers = persons_seen(visit), helpers_of(visit)
    links = {link.person_id: link for link in visit.person_links}
    # Old visits keep the items they were recorded with.
    items = read_items(
        scope,
        persons,
        values,
        kept={pid: [row[0] for row in link.item_rows] for pid, link in links.items()},
    )
    fields = diff(visit, data)  # the visit's own fields (apply_changes audits them first)
    changes = []
    for p in persons:
        before = links[p.id].items if p.id in links else ""
        if p.id in links and item_text(before) != item_text(items[p.id]):
            changes.append((f"items:{p.name}", item_text(before), item_text(items[p.id])))
    names = [p.name for p in persons]
    if {p.id for p in before_persons} != {p.id for p in persons}:
        changes.append(("persons", [p.name for p in before_persons], names))
    if {h.id for h in before_helpers} != {h.id for h in helpers}:
        changes.append(("helpers", [h.name for h in before_helpers], [h.name for h in helpers]))
    if not fields and not changes:
        return visit
    moved = {p.id for p in before_persons + persons}
    dated = [visit.visited_on, data.get("visited_on")]  # the periods whose figures it moves
    with figure_patch.moving(moved), database.atomic():
        refuse_if_voided_now(visit)  # voided by another request since it was read
        hold(visit)  # its form's version (answers too) checked again, before any write here
        # A person added to it must not be voided (those it had keep their link).
        known = {b.id for b in before_persons}
        refuse_voided_persons_now([p for p in persons if p.id not in known], "persons")
        # A closed period's kept figures holding it are dropped: its reports count it live.
        reopen_periods(dated)
        wanted = {p.id for p in persons}
        with touching(row_villages(visit)):  # the visit's own links
            VisitPerson.delete().where(
                (VisitPerson.visit == visit) & VisitPerson.person.not_in(list(wanted))
            ).execute()
        for p in persons:
            if p.id not in {b.id for b in before_persons}:
                VisitPerson.create(visit=visit, person=p, items=items[p.id])
            elif links[p.id].items != items[p.id]:
                links[p.id].items = items[p.id]
                links[p.id].save()
        with touching(row_villages(visit)):
            VisitHelper.delete().where(
                (VisitHelper.visit == visit) & VisitHelper.helper.not_in([h.id for h in helpers])
            ).execute()
        for h in helpers:
            if h.id not in {b.id for b in before_helpers}:
                VisitHelper.create(visit=visit, helper=h)
        label = lambda v: f"{'、'.join(names)} {v}"  # noqa: E731  (as it reads once corrected)
        apply_changes(actor, visit, data, label=label, extra=changes)
        for p in {p.id: p for p in before_persons + persons}.values():
            refresh_state(p, today, dates=True)
    summary_kept.forget()  # what another thread read of them before the commit
    return visit


def void_visit(actor, visit, reason):
    """Void a visit entered by mistake: it leaves the figures, its persons' visit states are
    recomputed, and a need raised in it that nobody has acted on is voided with it."""

    def after(v):
        for need in Need.select().where((Need.visit == v) & (Need.status == "待处理")):
            if not need.services.exists():
                void(actor, need, f"所属走访已作废：{reason}"[:200])
        for p in persons_seen(v):
            refresh_state(p, dates=True)

    with figure_patch.moving([p.id for p in persons_seen(visit)]):
        return void(actor, visit, reason, after=after)


def update_pairing(actor, scope, pairing, values, today=None):
    """Correct a pairing: its helper, start date and whether it is the person's primary one."""
    today = today or clock.today()
    refuse_if_voided(pairing)
    r = Reader(values)
    started_on = r.date("started_on", required_msg="请填写开始日期", not_future=True, today=today)
    if started_on and pairing.ended_on and started_on > pairing.ended_on:
        r.errors["started_on"] = "开始日期不能晚于结束日期"
    helper = (
        visible_helpers(scope, active_only=True)
        .where(Helper.id == to_int(values.get("helper")))
        .first()
    )
    person = pairing.person
    if helper is None or helper.village_id not in (None, person.village_id):
        r.errors["helper"] = "请选择本村或乡镇的帮扶人"
    elif (
        helper.id != pairing.helper_id
        and pairing.active
        and Pairing.current()
        .where((Pairing.person == person) & (Pairing.helper == helper))
        .exists()
    ):
        r.errors["helper"] = "此帮扶人已与此人结对"
    primary = r.flag("primary") if pairing.active else pairing.primary
    if r.errors:
        raise ValidationError(r.errors)
    data = {"helper": helper.id, "started_on": started_on, "primary": primary}
    changes = diff(pairing, data)
    if not changes:
        return pairing
    # The history names helpers, not their ids: the changes are worked out here, in the form's
    # order, and the fields written with them.
    changes = [
        ("helper", pairing.helper.name, helper.name) if k == "helper" else (k, b, a)
        for k, b, a in changes
    ]
    with database.atomic():
        refuse_if_voided_now(pairing)
        if pairing.started_on != started_on:  # paired or not at the end of the periods between
            reopen_periods(ranges=[(pairing.started_on, started_on - timedelta(days=1))])
        was_primary = pairing.primary
        label = f"{helper.name} 结对 {person.name}"
        apply_changes(actor, pairing, {}, label=label, extra=changes, quiet=data)
        others = Pairing.current().where((Pairing.person == person) & (Pairing.id != pairing.id))
        if primary and not was_primary:
            with touching(row_villages(pairing)):  # the person's other pairings
                Pairing.update(primary=False).where(
                    Pairing.id.in_([o.id for o in others] or [0])
                ).execute()
        elif was_primary and not primary:
            _promote(person, exclude=pairing.id)
        refresh_state(person, today)
    return pairing


def _promote(person, exclude):
    """Make another current pairing of the person primary (if there is one and none is)."""
    current = Pairing.current().where((Pairing.person == person) & (Pairing.id != exclude))
    if not current.where(Pairing.primary).exists():
        other = current.order_by(Pairing.started_on, Pairing.id).first()
        if other:
            other.primary = True
            other.save()


def void_pairing(actor, pairing, reason):
    """Void a pairing made by mistake (unlike ending one, it never counted): it leaves coverage
    and the worklist; another current pairing becomes primary; the visit state follows."""

    def after(p):
        if p.primary:
            _promote(p.person, exclude=p.id)
        refresh_state(p.person)

    return void(actor, pairing, reason, after=after)
