"""Organisations (协会、互助组、志愿服务队 …): list with figures, page, forms, member list print."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from .. import clock, settings
from ..auth import current_actor, disclosure
from ..models.orgs import MEMBER_ROLES, ORG_KINDS, Membership, Organisation
from ..queries import orgs as queries
from ..queries import places
from ..services import orgs as service
from ..services.audit import record
from . import print_response
from .forms import form_page, run

bp = Blueprint("orgs", __name__)
ORG_FIELDS = ("kind", "name", "phone", "founded_on", "notes")


def _writable(org):
    """The organisation, if the user may change it; 403 when he may only read it."""
    if not service.may_write(g.scope, org):
        abort(403)
    return org


@bp.route("/orgs")
def index():
    """Organisations of the area, by kind, with counts per kind and village."""
    kind = request.args.get("kind") if request.args.get("kind") in ORG_KINDS else None
    return render_template(
        "orgs/list.html",
        orgs=queries.listing(g.scope, kind),
        counts=queries.member_counts(g.scope),
        figures=queries.figures(g.scope),
        kinds=ORG_KINDS,
        kind=kind,
        may_create=service.may_create(g.scope),
    )


@bp.route("/orgs/new", methods=["GET", "POST"])
def new():
    if not service.may_create(g.scope):
        abort(403)
    villages = queries.writable_villages(g.scope, places.villages(g.scope, active_only=True))
    return form_page(
        "orgs/form.html",
        initial={"village": villages[0].id if len(villages) == 1 else ""},
        save=lambda values: service.create_org(current_actor(), g.scope, values),
        done=lambda org: (f"已登记 {org.name}", url_for("orgs.detail", org_id=org.id)),
        context=dict(org=None, villages=villages, kinds=ORG_KINDS),
    )


@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
def edit(org_id):
    org = _writable(g.scope.get(Organisation, org_id))
    return form_page(
        "orgs/form.html",
        initial={k: org.__data__[k] for k in ORG_FIELDS},
        record=org,
        save=lambda values: service.update_org(current_actor(), g.scope, org, values),
        done=lambda _: ("已保存", url_for("orgs.detail", org_id=org.id)),
        context=dict(org=org, kinds=ORG_KINDS),
    )


@bp.route("/orgs/<int:org_id>")
def detail(org_id):
    """An organisation: its leaders and members with their phones, former members."""
    org = g.scope.get(Organisation, org_id)
    current, former, hidden = queries.members(g.scope, org)
    return render_template(
        "orgs/detail.html",
        org=org,
        current=current,
        former=former,
        hidden=hidden,
        leaders=queries.leaders(current),
        activities=queries.activities(g.scope, org),
        shown=disclosure("record"),
        writable=service.may_write(g.scope, org),
    )


@bp.route("/orgs/<int:org_id>/void", methods=["POST"])
def void(org_id):
    org = _writable(g.scope.get(Organisation, org_id))
    run(lambda: service.void_org(current_actor(), g.scope, org, request.form), "已作废")
    return redirect(url_for("orgs.detail", org_id=org.id), 303)


@bp.route("/orgs/<int:org_id>/members/new", methods=["GET", "POST"])
def member_new(org_id):
    """Add a member: a registered person, a family member working away, or a helper."""
    org = _writable(g.scope.get(Organisation, org_id))
    villages = list(places.villages(g.scope, active_only=True))
    village_id = org.village_id
    if village_id is None:  # township-wide: choose among one village's people at a time
        chosen = request.values.get("village", type=int)
        ids = [v.id for v in villages]
        village_id = chosen if chosen in ids else (ids[0] if ids else None)
    return form_page(
        "orgs/member_new.html",
        initial={"joined_on": clock.today().isoformat(), "role": "成员"},
        save=lambda values: service.add_member(current_actor(), g.scope, org, values),
        done=lambda m: (f"已加入 {m.member_name}", url_for("orgs.detail", org_id=org.id)),
        context=lambda values: dict(
            org=org,
            villages=villages,
            village_id=village_id,
            roles=MEMBER_ROLES,
            persons=queries.person_choices(g.scope, village_id),
            aways=queries.away_choices(g.scope, village_id),
            helpers=queries.helper_choices(g.scope, village_id),
        ),
    )


@bp.route("/org-members/<int:member_id>")
def member(member_id):
    """One member's role change, leaving and voiding (for those who may change the
    organisation)."""
    m = g.scope.get(Membership, member_id)
    org = _writable(m.organisation)
    if m.voided or m.left_on:
        return redirect(url_for("orgs.detail", org_id=org.id) + "#members")
    return render_template(
        "orgs/member.html", m=m, org=org, roles=MEMBER_ROLES, today=clock.today()
    )


def _member_action(member_id, action, message):
    member = g.scope.get(Membership, member_id)
    _writable(member.organisation)
    run(lambda: action(current_actor(), g.scope, member, request.form), message)
    return redirect(url_for("orgs.detail", org_id=member.organisation_id) + "#members", 303)


@bp.route("/org-members/<int:member_id>/leave", methods=["POST"])
def member_leave(member_id):
    """A member leaves on a date; he stays on the page under 已退出."""
    return _member_action(member_id, service.leave, "已登记退出")


@bp.route("/org-members/<int:member_id>/role", methods=["POST"])
def member_role(member_id):
    return _member_action(member_id, service.set_role, "已修改职务")


@bp.route("/org-members/<int:member_id>/void", methods=["POST"])
def member_void(member_id):
    return _member_action(member_id, service.void_member, "已作废")


@bp.route("/orgs/<int:org_id>/members.<ext>")
def members_print(org_id, ext):
    """The member list with phones, as PDF or (.html) preview; every print is audited."""
    if ext not in ("pdf", "html"):
        abort(404)
    org = g.scope.get(Organisation, org_id)
    # A county user's print: the organisation's township's name (its village's, or its own).
    if org.village_id is not None:
        settings.for_village(org.village_id)
    else:
        settings.for_township(org.township_id)
    refused = print_response.refuse_without_township()
    if refused:
        return refused
    current, _former, hidden = queries.members(g.scope, org)
    response = print_response.respond(
        "org_members.html",
        f"成员名单-{org.name}.pdf",
        preview=ext == "html",
        org=org,
        members=current,
        hidden=hidden,
        shown=disclosure("record"),
        today=clock.today(),
    )
    record(current_actor(), "print", org, label=f"{org.name} 成员名单")
    return response
