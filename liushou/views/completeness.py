"""Complete records: the least complete first, the collector's check (核实), and the
full-record export by the national form's blocks (masked; full IDs for an admin who states the
purpose, kept in the audit row)."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from .. import clock
from ..auth import current_actor, disclosure
from ..models.accounts import CHECK_ROLES
from ..models.persons import Person
from ..queries import completeness as queries
from ..queries import full_record, places
from ..rules import privacy
from ..rules.categories import GROUPS
from ..services.audit import record
from ..services.completeness import check_person
from ..xlsx_io import workbook
from .downloads import xlsx_response
from .forms import run
from .paging import paginate

bp = Blueprint("completeness", __name__)
FULL_ID_EXPORT_ROLES = ("admin",)


@bp.route("/persons/incomplete")
def listing():
    """档案待补全: the area's least complete records first, with what each one lacks."""
    group = request.args.get("group") if request.args.get("group") in GROUPS else None
    village = request.args.get("village", type=int)
    query = queries.incomplete(g.scope, village, group)
    page = paginate(query, request.args.get("page", type=int), per_page=30)
    return render_template(
        "persons/incomplete.html",
        page=page,
        missing=queries.missing_of(page.items),
        groups=GROUPS,
        group=group,
        village=village,
        villages=places.villages(g.scope),
    )


@bp.route("/persons/<int:person_id>/check", methods=["POST"])
def check(person_id):
    """核实: the record has been checked with the family; who and when are kept."""
    person = g.scope.get(Person, person_id)
    if g.user.role not in CHECK_ROLES:
        abort(403)
    run(lambda: check_person(current_actor(), person), f"已核实 {person.name} 的档案")
    return redirect(url_for("persons.detail", person_id=person.id), 303)


def _group():
    group = request.values.get("group", "留守儿童")
    if group not in GROUPS:
        abort(404)
    return group


def _export(group, shown):
    today = clock.today()
    title = f"{group}完整信息（{today:%Y年%m月%d日}）"
    rows = full_record.rows(g.scope, group, shown, today)
    data = workbook(title, full_record.header(group), rows, sheet_name=group)
    return xlsx_response(data, f"{group}完整信息.xlsx")


@bp.route("/persons/export/full.xlsx")
def export():
    """One row per person of a group in the area, by the national form's blocks; IDs and phones
    masked. Audited as an export."""
    group = _group()
    response = _export(group, disclosure("listing"))
    record(current_actor(), "export", object_type="person", label=f"{group}完整信息")
    return response


@bp.route("/persons/export/full", methods=["GET", "POST"])
def export_full():
    """The same export with full ID numbers and phones: an admin only, after stating the
    purpose (用途), which the audit row keeps."""
    group = _group()
    if g.user.role not in FULL_ID_EXPORT_ROLES:
        abort(403)
    form, errors = {"group": group}, {}
    if request.method == "POST":
        form = request.form.to_dict()
        purpose, problem = privacy.read_purpose(form.get("purpose"))
        if problem:
            errors["purpose"] = problem
        else:
            response = _export(group, disclosure("listing", purpose=purpose))
            label = f"{group}完整信息（完整证件号）"
            record(
                current_actor(),
                "export",
                object_type="person",
                label=label,
                changes=[("用途", "", purpose)],
            )
            return response
    return render_template(
        "persons/export_full.html", group=group, groups=GROUPS, form=form, errors=errors
    ), (422 if errors else 200)
