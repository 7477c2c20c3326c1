"""Printouts: contact cards, one-person archives, village ledgers, visit route sheets.

Every printout answers as PDF at `…pdf` and as an HTML preview at the same URL ending `.html`.
Every print (preview included) writes an audit row "print".
"""

import base64
import io
import json
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from .. import clock, print_jobs, settings
from ..auth import can_see_full_id, current_actor, disclosure
from ..cards import (
    SHEETS_PER_CHUNK,
    batch_township,
    cards_for,
    sheets,
    township_numbers,
    township_sheets,
)
from ..db import database
from ..models import Grid, Village
from ..models.households import Household
from ..models.persons import Person
from ..queries import helpers as helper_queries
from ..queries import persons as person_queries
from ..queries import printouts as queries
from ..rules import privacy
from ..rules.categories import GROUPS
from ..rules.visits import ITEM_STATUSES, bucket, items_for
from ..services.audit import record
from ..services.person_facts import derive
from . import downloads, print_response
from .labels import FIELD_LABELS

bp = Blueprint("printouts", __name__)
bp.before_request(print_response.refuse_without_township)
FORMATS = ("pdf", "html")


def _fmt(ext):
    if ext not in FORMATS:
        abort(404)
    return ext == "html"


def _for_row(row):
    """A county user's print of a row of a village or (none) of a township: that township's
    name and values (settings.for_village / for_township)."""
    if row.village_id is not None:
        settings.for_village(row.village_id)
    else:
        settings.for_township(row.township_id)


def _audit(obj=None, *, label, object_type=None):
    record(current_actor(), "print", obj, object_type=object_type, label=label)


def _chunks(all_sheets):
    """Card sheets in chunks laid out side by side (see cards.SHEETS_PER_CHUNK)."""
    return [
        all_sheets[i : i + SHEETS_PER_CHUNK] for i in range(0, len(all_sheets), SHEETS_PER_CHUNK)
    ] or [[]]


@bp.route("/households/<int:household_id>/card.<ext>")
def household_card(household_id, ext):
    """One household's contact card (a sheet with the one card)."""
    preview = _fmt(ext)
    household = g.scope.get(Household, household_id)
    card = cards_for([household])
    response = print_response.respond(
        "cards.html",
        f"便民服务联系卡-{household.head_name}.pdf",
        preview=preview,
        sheets=sheets(card),
        numbers=township_numbers(),
        township=batch_township(card),
    )
    _audit(household, label=str(household))
    return response


@bp.route("/print/cards.<ext>")
def cards(ext):
    """Cards for a village, a grid, or chosen households.

    ?village=ID | ?grid=ID | ?household=ID&household=ID…"""
    preview = _fmt(ext)
    if request.args.get("grid"):
        grid = g.scope.get(Grid, request.args["grid"])
        households, label = queries.card_households(g.scope, grid=grid), str(grid)
    elif request.args.get("village"):
        village = g.scope.get(Village, request.args["village"])
        households, label = queries.card_households(g.scope, village=village), village.name
    elif request.args.getlist("household"):
        ids = [int(i) for i in request.args.getlist("household") if i.isdigit()]
        households, label = queries.card_households(g.scope, ids=ids), f"{len(ids)} 户"
    else:
        abort(404)
    made = cards_for(households)
    parts = township_sheets(made)
    filename = f"便民服务联系卡-{label}.pdf"
    if len(parts) > 1:
        response = _cards_of_townships(parts, filename, preview)
    else:
        chunks = [{"sheets": chunk} for chunk in _chunks(sheets(made))]
        response = print_response.respond(
            "cards.html",
            filename,
            preview=preview,
            chunks=chunks,
            numbers=township_numbers(),
            township=batch_township(made),
        )
    _audit(object_type="household", label=f"联系卡 {label}")
    return response


def _cards_of_townships(parts, filename, preview):
    """A batch spanning townships (a county user's chosen households): each township's cards on
    sheets of their own, each document's footer naming its township (every card names its own
    and prints its own numbers); refused (409) when one of them has no name to print."""
    for name, _sheets in parts:
        print_response.refuse_unnamed(name)
    if preview:
        every = [sheet for _name, part in parts for sheet in part]
        names = "、".join(name for name, _sheets in parts)
        return print_response.respond(
            "cards.html", filename, preview=True, sheets=every, numbers=[], township=names
        )
    htmls = [
        print_response.html("cards.html", preview=False, sheets=chunk, numbers=[], township=name)
        for name, part in parts
        for chunk in _chunks(part)
    ]
    return print_response.pdf_response(print_response.pdf(htmls), filename)


@bp.route("/persons/<int:person_id>/archive.<ext>")
def archive(person_id, ext):
    """一人一档: everything about one person on paper."""
    preview = _fmt(ext)
    person = g.scope.get(Person, person_id)
    settings.for_village(person.village_id)  # a county user's print: its township's name
    care = person_queries.care(g.scope, person)
    care["visits"] = queries.archive_visits(person)
    history = list(person_queries.history(person, limit=None))[::-1]  # oldest first on paper
    response = print_response.respond(
        "archive.html",
        f"一人一档-{person.name}.pdf",
        preview=preview,
        person=person,
        care=care,
        history=history,
        labels=FIELD_LABELS,
        shown=disclosure("archive"),
        reasons=json.loads(derive(person.__data__)[1]),
        extras=queries.archive_extras(person),
    )
    _audit(person, label=str(person))
    return response


@bp.route("/villages/<int:village_id>/ledger/<group>.<ext>")
def ledger(village_id, group, ext):
    """村级台账 for one group: landscape A4, header repeated, signature lines; IDs and phones
    masked (the full-ID ledger is `ledger_full`)."""
    preview = _fmt(ext)
    village = g.scope.get(Village, village_id)
    if group not in GROUPS:
        abort(404)
    response = _ledger(village, group, preview, disclosure("listing"))
    _audit(village, label=f"{village.name}{group}台账")
    return response


def _ledger(village, group, preview, shown):
    settings.for_village(village)  # a county user's print: its township's name on the header
    persons, away = queries.ledger(g.scope, village, group)
    return print_response.respond(
        "ledger.html",
        f"{village.name}{group}台账.pdf",
        preview=preview,
        village=village,
        group=group,
        persons=persons,
        away=away,
        shown=shown,
        today=clock.today(),
    )


FULL_FORMATS = {"pdf": "PDF", "html": "预览", "xlsx": "Excel"}


@bp.route("/villages/<int:village_id>/ledger/<group>/full", methods=["GET", "POST"])
def ledger_full(village_id, group):
    """A ledger printed or exported with full ID numbers and phones, for the roles that may see
    them, after stating its purpose (用途); the purpose is kept in the audit row."""
    village = g.scope.get(Village, village_id)
    if group not in GROUPS:
        abort(404)
    if not can_see_full_id(g.user):
        abort(403)
    form, errors = {"ext": "pdf"}, {}
    if request.method == "POST":
        form = request.form.to_dict()
        purpose, problem = privacy.read_purpose(form.get("purpose"))
        ext = form.get("ext")
        if problem:
            errors["purpose"] = problem
        if ext not in FULL_FORMATS:
            errors["ext"] = "请选择格式"
        if not errors:
            shown = disclosure("listing", purpose=purpose)
            label = f"{village.name}{group}台账（完整证件号）"
            if ext == "xlsx":
                response = downloads.ledger_xlsx(village, group, shown)
                action = "export"
            else:
                response = _ledger(village, group, ext == "html", shown)
                action = "print"
            record(current_actor(), action, village, label=label, changes=[("用途", "", purpose)])
            return response
    return render_template(
        "print_full.html",
        village=village,
        group=group,
        formats=FULL_FORMATS,
        form=form,
        errors=errors,
    ), (422 if errors else 200)


def _visit_qrs(states):
    """A PNG data: URI per person: the QR opens the visit form for him on the cadre's phone."""
    import segno  # imported where used: the server starts without it

    base = str(settings.get("base_url")).rstrip("/")
    qrs = {}
    for s in states:
        buf = io.BytesIO()
        segno.make(f"{base}/persons/{s.person_id}/visits/new", error="l").save(
            buf, kind="png", scale=3, border=1
        )
        qrs[s.person_id] = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return qrs


@bp.route("/helpers/<int:helper_id>/route.<ext>")
def route_sheet(helper_id, ext):
    """A helper's visit route sheet: due and overdue persons, blank lines, a QR per person."""
    preview = _fmt(ext)
    helper = helper_queries.get(g.scope, helper_id)
    _for_row(helper)  # a county user's print: the helper's township's name
    today = clock.today()
    states = queries.route_states(g.scope, helper, today)
    response = print_response.respond(
        "route.html",
        f"走访路线单-{helper.name}.pdf",
        preview=preview,
        helper=helper,
        states=states,
        qrs=_visit_qrs(states),
        shown=disclosure("listing"),
        today=today,
        bucket=bucket,
        items_for=items_for,
        statuses=ITEM_STATUSES,
    )
    _audit(helper, label=str(helper))
    return response


@bp.route("/print")
def index():
    """What can be printed for the user's area."""
    return render_template(
        "print_index.html",
        groups=GROUPS,
        may_full_id=can_see_full_id(g.user),
        **queries.print_choices(g.scope),
    )


@bp.route("/print/jobs", methods=["POST"])
def job_start():
    """Start a long card batch in the background (a village or a grid) and show its progress."""
    if request.form.get("grid"):
        grid = g.scope.get(Grid, request.form["grid"])
        households, label = queries.card_households(g.scope, grid=grid), str(grid)
    else:
        village = g.scope.get(Village, request.form.get("village"))
        households, label = queries.card_households(g.scope, village=village), village.name
    numbers = township_numbers()
    made = cards_for(households)
    town = batch_township(made)
    htmls = [
        print_response.html(
            "cards.html", preview=False, sheets=chunk, numbers=numbers, township=town
        )
        for chunk in _chunks(sheets(made))
    ]
    try:
        # The audit row and the job together: a job refused (too many of his unfinished)
        # leaves no row of a print that was never made.
        with database.atomic():
            _audit(object_type="household", label=f"联系卡 {label}（后台生成）")
            job_id = print_jobs.start(
                g.user.id,
                f"便民服务联系卡-{label}",
                htmls,
                print_response.base_url(),
                Path(current_app.instance_path) / "prints",
                g.scope,
            )
    except print_jobs.Busy as e:
        return print_response.busy_page(str(e))
    return redirect(url_for("printouts.job", job_id=job_id), 303)


@bp.route("/print/jobs/<job_id>")
def job(job_id):
    """The job's progress; the page refreshes itself every two seconds until the PDF is ready."""
    item = print_jobs.get(job_id, g.user.id, g.scope) or abort(404)
    return render_template("print_job.html", job=item, job_id=job_id)


@bp.route("/print/jobs/<job_id>.pdf")
def job_pdf(job_id):
    item = print_jobs.get(job_id, g.user.id, g.scope) or abort(404)
    if not item["path"]:
        abort(404)
    return send_file(item["path"], mimetype="application/pdf", download_name=f"{item['label']}.pdf")
