"""Cross-checks (比对核实): upload another office's roster, see and keep its comparison with the
register per village, apply or dismiss each finding, print it."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from .. import settings
from ..auth import current_actor, disclosure, roles_required
from ..models.crosscheck import Crosscheck, CrosscheckRow
from ..queries import crosscheck as queries
from ..queries.persons import recent_households
from ..rules.crosscheck import CATEGORIES, KINDS
from ..services import ValidationError
from ..services import crosscheck as service
from ..services.audit import record
from . import print_response
from .forms import form_page, run
from .paging import paginate
from .persons import _choices, _form_values

bp = Blueprint("crosscheck", __name__)
# Who compares rosters and answers findings: the township's and the villages' cadres.
ROLES = ("admin", "township", "village")


@bp.route("/crosscheck", methods=["GET", "POST"])
@roles_required(*ROLES)
def listing():
    """The kept comparisons, and the upload of a new roster."""
    errors, form = {}, request.form
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(10 * 1024 * 1024 + 1) if upload else b""
        village = g.user.village_id if g.user.role == "village" else None
        try:
            check = service.create(
                current_actor(), g.scope, form, data, upload.filename if upload else "", village
            )
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已比对：名单 {check.lines} 行", "ok")
            return redirect(url_for("crosscheck.detail", crosscheck_id=check.id), 303)
    return render_template(
        "crosscheck/list.html",
        checks=queries.listing(g.scope),
        kinds=KINDS,
        form=form,
        errors=errors,
    ), (422 if errors else 200)


def _filters():
    category = request.args.get("category", "")
    status = request.args.get("status", "")
    return (category if category in CATEGORIES else ""), status


@bp.route("/crosscheck/<int:crosscheck_id>")
@roles_required(*ROLES)
def detail(crosscheck_id):
    """One comparison: per village and category, each finding with 应用 or 忽略."""
    check = g.scope.get(Crosscheck, crosscheck_id)
    category, status = _filters()
    page = paginate(
        queries.rows(g.scope, check, category, status), request.args.get("page", type=int)
    )
    return render_template(
        "crosscheck/detail.html",
        check=check,
        summary=queries.summary(g.scope, check),
        page=page,
        category=category,
        status=status,
        categories=CATEGORIES,
        shown=disclosure("listing"),
        township=g.scope.everything,
    )


@bp.route("/crosscheck/<int:crosscheck_id>/print.<ext>")
@roles_required(*ROLES)
def printout(crosscheck_id, ext):
    """The comparison as PDF (or its HTML preview), IDs masked; audited as a print."""
    check = g.scope.get(Crosscheck, crosscheck_id)
    if ext not in ("pdf", "html"):
        abort(404)
    settings.for_township(check.township_id)  # an upload of a county's township: its name
    refused = print_response.refuse_without_township()
    if refused:
        return refused
    title = f"{check.kind_label}比对核实结果（{check.created_at:%Y年%m月%d日}）"
    response = print_response.respond(
        "crosscheck.html",
        f"{title}.pdf",
        preview=ext == "html",
        check=check,
        rows=list(queries.rows(g.scope, check)),
        categories=CATEGORIES,
        title=title,
        shown=disclosure("listing"),
    )
    record(current_actor(), "print", check, label=title)
    return response


def _back(row):
    url = url_for("crosscheck.detail", crosscheck_id=row.crosscheck_id)
    return redirect(f"{url}#row-{row.id}", 303)


def _row(row_id):
    return service.in_scope(g.scope, g.scope.get(CrosscheckRow, row_id))


@bp.route("/crosscheck/rows/<int:row_id>/apply", methods=["POST"])
@roles_required(*ROLES)
def apply(row_id):
    """应用 one finding through the register's edit service; never twice."""
    row = _row(row_id)
    run(lambda: service.apply(current_actor(), g.scope, row), f"已应用：{row.name}")
    return _back(row)


@bp.route("/crosscheck/rows/<int:row_id>/dismiss", methods=["POST"])
@roles_required(*ROLES)
def dismiss(row_id):
    """忽略 one finding, with a reason (kept)."""
    row = _row(row_id)
    run(lambda: service.dismiss(current_actor(), g.scope, row, request.form), f"已忽略：{row.name}")
    return _back(row)


@bp.route("/crosscheck/missing/<int:missing_id>/register", methods=["GET", "POST"])
@roles_required(*ROLES)
def register(missing_id):
    """A roster line the register lacks: the registration form, prefilled from the roster."""
    row = _row(missing_id)
    if row.category != "c":
        abort(404)
    if row.status != "open":
        flash(f"此行{row.status_label}", "error")
        return redirect(url_for("crosscheck.detail", crosscheck_id=row.crosscheck_id), 303)
    return form_page(
        "persons/form.html",
        initial=service.prefill(row),
        read=_form_values,
        save=lambda values: service.register(current_actor(), g.scope, row, values),
        done=lambda person: (
            f"已登记 {person.name}",
            url_for("crosscheck.detail", crosscheck_id=row.crosscheck_id),
        ),
        context=lambda values: dict(
            person=None,
            household=None,
            households=recent_households(g.scope),
            form_action=url_for("crosscheck.register", missing_id=row.id),
            **_choices(),
        ),
    )


@bp.route("/crosscheck/<int:crosscheck_id>/void", methods=["POST"])
@roles_required(*ROLES)
def void(crosscheck_id):
    """作废 a comparison uploaded by mistake, with a reason."""
    check = g.scope.get(Crosscheck, crosscheck_id)
    ok, _ = run(
        lambda: service.void_check(
            current_actor(), g.scope, check, request.form.get("void_reason")
        ),
        "已作废此比对",
    )
    if ok:
        return redirect(url_for("crosscheck.listing"), 303)
    return redirect(url_for("crosscheck.detail", crosscheck_id=check.id), 303)
