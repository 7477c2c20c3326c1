"""Printouts: contact cards, one-person archives, village ledgers, visit route sheets.

Every printout answers as PDF at `…pdf` and as an HTML preview at the same URL ending `.html`.
"""
from datetime import date

from flask import Blueprint, abort, g, request

from .. import printing
from ..auth import can_see_full_id, current_actor
from ..cards import cards_for, sheets, township_numbers
from ..models import Grid, Village
from ..models.households import Household
from ..models.persons import Person
from ..rules.categories import GROUPS

bp = Blueprint("printouts", __name__)
FORMATS = ("pdf", "html")


def _fmt(ext):
    if ext not in FORMATS:
        abort(404)
    return ext == "html"


@bp.route("/households/<int:household_id>/card.<ext>")
def household_card(household_id, ext):
    """One household's contact card (a sheet with the one card)."""
    household = g.scope.get(Household, household_id)
    return printing.respond("cards.html", f"便民服务联系卡-{household.head_name}.pdf",
                            preview=_fmt(ext), actor=current_actor(), obj=household,
                            sheets=sheets(cards_for([household])), numbers=township_numbers())


@bp.route("/print/cards.<ext>")
def cards(ext):
    """Cards for a village, a grid, or chosen households (?village=ID | ?grid=ID | ?household=ID…)."""
    query = g.scope.query(Household).join(Village).switch(Household)
    label = ""
    if request.args.get("grid"):
        grid = g.scope.get(Grid, request.args["grid"])
        query, label = query.where(Household.grid == grid), str(grid)
    elif request.args.get("village"):
        village = g.scope.get(Village, request.args["village"])
        query, label = query.where(Household.village == village), village.name
    elif request.args.getlist("household"):
        ids = [int(i) for i in request.args.getlist("household") if i.isdigit()]
        query, label = query.where(Household.id.in_(ids or [0])), f"{len(ids)} 户"
    else:
        abort(404)
    # Only households with someone in a group get a card.
    query = query.where(Household.id.in_(Person.active().select(Person.household)
                                         .where(Person.groups != ""))).order_by(Household.grid, Household.id)
    all_sheets = sheets(cards_for(list(query)))
    # Long batches are laid out in parallel chunks (see printing.CARD_SHEETS_PER_CHUNK).
    size = printing.CARD_SHEETS_PER_CHUNK
    chunks = [{"sheets": all_sheets[i:i + size]} for i in range(0, len(all_sheets), size)] or [{"sheets": []}]
    return printing.respond("cards.html", f"便民服务联系卡-{label}.pdf", preview=_fmt(ext),
                            actor=current_actor(), object_type="household", label=f"联系卡 {label}",
                            chunks=chunks, numbers=township_numbers())


@bp.route("/persons/<int:person_id>/archive.<ext>")
def archive(person_id, ext):
    """一人一档: everything about one person on paper."""
    from ..queries.persons import care as person_care
    from .labels import FIELD_LABELS
    from ..models import AuditLog
    from ..services.persons import derive
    import json
    person = g.scope.get(Person, person_id)
    care = person_care(g.scope, person)
    from ..models.visits import Visit, VisitPerson
    care["visits"] = (Visit.select().join(VisitPerson).where(VisitPerson.person == person)
                      .order_by(Visit.visited_on.desc()))
    history = (AuditLog.select().where((AuditLog.object_type == "person") & (AuditLog.object_id == person.id)
                                       & AuditLog.action.in_(("create", "update", "exit", "reenter")))
               .order_by(AuditLog.id))
    return printing.respond("archive.html", f"一人一档-{person.name}.pdf", preview=_fmt(ext),
                            actor=current_actor(), obj=person, person=person, care=care,
                            history=history, labels=FIELD_LABELS, full_id=can_see_full_id(g.user),
                            reasons=json.loads(derive(person.__data__)[1]), extras=archive_extras(person))


def archive_extras(person):
    """Needs, services and emergencies (with each reporting step) as archive sections."""
    from ..models.care import Emergency, EmergencyStep, Need, Service
    needs = [(f"{n.raised_on:%Y-%m-%d} {n.kind}", f"{n.description}（{n.status}{'：' + n.status_reason if n.status_reason else ''}）")
             for n in Need.select().where(Need.person == person).order_by(Need.raised_on)]
    services = [(f"{s.served_on:%Y-%m-%d} {s.kind}", s.description)
                for s in Service.select().where(Service.person == person).order_by(Service.served_on)]
    emergencies = []
    for e in Emergency.select().where(Emergency.person == person).order_by(Emergency.discovered_at):
        emergencies.append((f"{e.discovered_at:%Y-%m-%d %H:%M} {e.kind}", f"报告人 {e.reported_by}；{e.description}"))
        for st in e.steps.order_by(EmergencyStep.due_at):
            done = f"{st.done_at:%H:%M} {st.done_by} {st.how}" if st.done_at else "未完成"
            late = "（超时）" if (st.done_at and st.done_at > st.due_at) else ""
            emergencies.append((f"　{st.label}", f"时限 {st.due_at:%H:%M}；{done}{late}"))
        if e.closed_at:
            emergencies.append(("　结案", f"{e.closed_at:%Y-%m-%d %H:%M} {e.summary}"))
    from ..models.records import Activity, Attendance, Benefit, CheckUp
    benefits = [(f"{b.kind}（{b.period}）", f"{'按年龄段标准' if b.kind == '高龄补贴' else str(b.amount) + ' 元'}；"
                 f"{b.start_on:%Y-%m-%d} 起{'至 ' + b.end_on.strftime('%Y-%m-%d') if b.end_on else ''}；{b.status}")
                for b in Benefit.select().where(Benefit.person == person).order_by(Benefit.start_on)]
    checkups = [(f"{c.checked_on:%Y-%m-%d} {c.checked_by}",
                 "；".join(x for x in (f"血压 {c.bp_high}/{c.bp_low}" if c.bp_high else "",
                                       f"血糖 {c.sugar}" if c.sugar else "", f"体重 {c.weight}kg" if c.weight else "",
                                       c.notes) if x))
                for c in CheckUp.select().where(CheckUp.person == person).order_by(CheckUp.checked_on)]
    activities = [(f"{a.activity.held_on:%Y-%m-%d} {a.activity.kind}", f"{a.activity.title}（{'到场' if a.attended else '未到'}）")
                  for a in Attendance.select(Attendance, Activity).join(Activity)
                  .where(Attendance.person == person).order_by(Activity.held_on)]
    return [("需求", needs), ("服务记录", services), ("救助补贴", benefits), ("健康体检", checkups),
            ("参加活动", activities), ("突发事件", emergencies)]


@bp.route("/villages/<int:village_id>/ledger/<group>.<ext>")
def ledger(village_id, group, ext):
    """村级台账 for one group: landscape A4, header repeated, signature lines."""
    village = g.scope.get(Village, village_id)
    if group not in GROUPS:
        abort(404)
    persons = list(g.scope.filter(Person.active().where((Person.village == village)
                                                        & Person.groups.contains(group)), Person)
                   .order_by(Person.grid, Person.name_pinyin))
    away = {}
    from ..models.households import FamilyAway
    for a in FamilyAway.select().where(FamilyAway.household.in_({p.household_id for p in persons} or {0})
                                       & FamilyAway.returned_on.is_null()):
        away.setdefault(a.household_id, []).append(a)
    return printing.respond("ledger.html", f"{village.name}{group}台账.pdf", preview=_fmt(ext),
                            actor=current_actor(), obj=village, label=f"{village.name}{group}台账",
                            village=village, group=group, persons=persons, away=away,
                            full_id=can_see_full_id(g.user), today=date.today())


@bp.route("/helpers/<int:helper_id>/route.<ext>")
def route_sheet(helper_id, ext):
    """A helper's visit route sheet: due and overdue persons, blank lines, a QR per person."""
    from .. import settings
    from ..queries.visits import worklist_query
    from ..rules.visits import bucket
    from ..queries.helpers import get as get_helper
    import segno
    import io
    import base64
    helper = get_helper(g.scope, helper_id)
    states = list(g.scope.filter(worklist_query(date.today(), 7, [helper.id]), Person))
    base = str(settings.get("base_url")).rstrip("/")
    qrs = {}
    for s in states:
        buf = io.BytesIO()
        segno.make(f"{base}/persons/{s.person_id}/visits/new", error="l").save(buf, kind="png", scale=3, border=1)
        qrs[s.person_id] = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return printing.respond("route.html", f"走访路线单-{helper.name}.pdf", preview=_fmt(ext),
                            actor=current_actor(), obj=helper, helper=helper, states=states, qrs=qrs,
                            today=date.today(), bucket=bucket)




@bp.route("/print")
def index():
    """What can be printed for the user's area."""
    from flask import render_template
    from ..models.helpers import Helper
    from ..queries.helpers import visible as visible_helpers
    villages = g.scope.query(Village).where(Village.active == True).order_by(Village.sort_order)  # noqa: E712
    grids = g.scope.query(Grid).where(Grid.active == True).order_by(Grid.village, Grid.sort_order)  # noqa: E712
    helpers = visible_helpers(g.scope).where(Helper.active == True).order_by(Helper.kind, Helper.name)  # noqa: E712
    return render_template("print_index.html", villages=villages, grids=grids, helpers=helpers,
                           groups=GROUPS)


@bp.route("/print/jobs", methods=["POST"])
def job_start():
    """Start a long card batch in the background (a village or a grid) and show its progress."""
    from flask import current_app, redirect, url_for
    from pathlib import Path
    from .. import print_jobs
    if request.form.get("grid"):
        grid = g.scope.get(Grid, request.form["grid"])
        query, label = g.scope.query(Household).where(Household.grid == grid), str(grid)
    else:
        village = g.scope.get(Village, request.form.get("village"))
        query, label = g.scope.query(Household).where(Household.village == village), village.name
    query = query.where(Household.id.in_(Person.active().select(Person.household).where(Person.groups != "")))
    all_sheets = sheets(cards_for(list(query.order_by(Household.grid, Household.id))))
    size = printing.CARD_SHEETS_PER_CHUNK
    numbers = township_numbers()
    htmls = [printing.render_html("cards.html", preview=False, sheets=all_sheets[i:i + size], numbers=numbers)
             for i in range(0, len(all_sheets), size)] or [printing.render_html("cards.html", sheets=[], numbers=numbers)]
    from ..services.audit import record
    record(current_actor(), "print", object_type="household", label=f"联系卡 {label}（后台生成）")
    base = Path(current_app.static_folder).as_uri() + "/"
    job_id = print_jobs.start(g.user.id, f"便民服务联系卡-{label}", htmls, base,
                              Path(current_app.instance_path) / "prints")
    return redirect(url_for("printouts.job", job_id=job_id), 303)


@bp.route("/print/jobs/<job_id>")
def job(job_id):
    """The job's progress; the page refreshes itself every two seconds until the PDF is ready."""
    from flask import render_template
    from .. import print_jobs
    item = print_jobs.get(job_id, g.user.id) or abort(404)
    return render_template("print_job.html", job=item, job_id=job_id)


@bp.route("/print/jobs/<job_id>.pdf")
def job_pdf(job_id):
    from flask import send_file
    from .. import print_jobs
    item = print_jobs.get(job_id, g.user.id) or abort(404)
    if not item["path"]:
        abort(404)
    return send_file(item["path"], mimetype="application/pdf", download_name=f"{item['label']}.pdf")
