"""Persons: the list with search, registration, the person's page, edits, exit and re-entry."""

import json

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from htmx_flask import request as hx_request

from .. import clock, figure_cache, page_cache
from ..auth import can_see_full_id, current_actor, disclosure
from ..models.accounts import CHECK_ROLES, TIER_ROLES
from ..models.households import Household
from ..models.persons import (
    CARER_DISQUALIFIERS,
    DISABILITY_GRADES,
    DISABILITY_KINDS,
    EXIT_REASONS,
    LIVING,
    RISK_LEVELS,
    SELF_CARE,
    SEXES,
    Person,
)
from ..queries import completeness as completeness_queries
from ..queries import person_page, places
from ..queries import persons as queries
from ..queries import review as review_queries
from ..queries import suggestions as suggestion_queries
from ..rules.categories import GROUPS, PARENT_STATUSES
from ..rules.privacy import ID_FIELDS
from ..rules.text import mask_id_number
from ..rules.visits import TIERS
from ..services import person_exits, person_facts, person_review
from ..services import persons as service
from ..services.accounts import accounts_changed
from ..services.audit import record
from .forms import form_page, run
from .labels import FIELD_LABELS
from .paging import MAX_PAGE, Page
from .review import ok_message, submitted

bp = Blueprint("persons", __name__)

# URLs that are the same on every request, per script root (the nav's links, the list's row
# links): url_for costs about as much as a row of the list, and the nav has twenty.
_fixed_urls = {}


@bp.app_template_global()
def fixed_url(endpoint, **values):
    """url_for of a URL without per-request parts (the nav's links), built once and kept."""
    key = (request.script_root, endpoint, tuple(sorted(values.items())))
    url = _fixed_urls.get(key)
    if url is None:
        url = _fixed_urls[key] = url_for(endpoint, **values)
    return url


@bp.app_template_global()
def url_prefix(endpoint, name):
    """The URL of `endpoint` up to its last argument `name` (an id), for a row to append its id
    to: "/persons/" for persons.detail. Built once by url_for with the id 0."""
    url = fixed_url(endpoint, **{name: 0})
    if not url.endswith("/0"):
        raise ValueError(f"{endpoint} does not end with its {name}")
    return url[:-1]


@bp.route("/persons", endpoint="list")
def person_list():
    """All persons of the area, filtered and searched; htmx asks for the rows alone."""
    return page_cache.page("persons.list", _list_page, registry=True)


def _list_page():
    page = _listing_page()
    if hx_request.htmx and request.headers.get("HX-Target") == "rows":
        return render_template("persons/_rows.html", page=page)
    return render_template(
        "persons/list.html",
        page=page,
        groups=GROUPS,
        villages=places.villages(g.scope),
        grids=places.grids(g.scope),
    )


def _listing_page(per_page=30):
    """The page of the list asked for. A township's whole register is sorted for each page, so
    the rows are kept in figure_cache (per scope, role, day and query string) until the next
    write (a recorded visit changes none of its rows: the registry generation)."""
    number = min(max(1, request.args.get("page", type=int) or 1), MAX_PAGE)
    asked = tuple(sorted((k, tuple(v)) for k, v in request.args.lists() if k != "page"))

    def compute():
        rows = queries.listing_rows(g.scope, request.args, (number - 1) * per_page, per_page + 1)
        return rows[:per_page], len(rows) > per_page

    items, has_next = figure_cache.get(
        "persons", g.scope, "any", clock.today(), compute, asked, number, registry=True
    ).value
    return Page(list(items), number, per_page, has_next)


def _choices():
    return dict(
        sexes=SEXES,
        risk_levels=RISK_LEVELS,
        disability_kinds=DISABILITY_KINDS,
        disability_grades=DISABILITY_GRADES,
        living=LIVING,
        self_care=SELF_CARE,
        parent_statuses=PARENT_STATUSES,
        disqualifiers=CARER_DISQUALIFIERS,
        difficulty_kinds=person_facts.difficulty_options(),
    )


def _form_values():
    values = request.form.to_dict()
    for name in ("difficulty_kinds", "carer_disqualifiers"):
        values[name] = request.form.getlist(name)
    return values


@bp.route("/persons/new", methods=["GET", "POST"])
def new():
    """Register a person in a household (chosen from the household's page)."""
    household = (
        g.scope.get(Household, request.values.get("household"))
        if request.values.get("household")
        else None
    )
    initial = {"household": household.id if household else ""}
    if request.args.get("review"):  # fixing a returned registration: his values again
        initial = review_queries.resubmit_values(g.scope, g.user, request.args["review"])
    return form_page(
        "persons/form.html",
        initial=initial,
        read=_form_values,
        save=lambda values: service.save_person(current_actor(), g.scope, values),
        done=submitted(
            lambda person: (
                f"已登记 {person.name}",
                url_for("persons.detail", person_id=person.id),
            )
        ),
        context=lambda values: dict(
            person=None,
            household=household,
            # A returned import row: the household it creates once approved (审核报送).
            new_household=review_queries.new_household_of(
                g.scope, g.user, request.values.get("review_item") or request.args.get("review")
            ),
            **_choices(),
            households=[] if household else queries.recent_households(g.scope),
        ),
    )


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
def edit(person_id):
    """Change a person's record; every change is kept in the history."""
    person = g.scope.get(Person, person_id)
    initial = _edit_form(person)
    if request.method == "GET" and request.args.get("review"):  # fixing a returned edit
        initial = {
            **initial,
            **review_queries.resubmit_values(g.scope, g.user, request.args["review"]),
        }
    return form_page(
        "persons/form.html",
        initial=initial,
        read=_form_values,
        save=lambda values: service.save_person(current_actor(), g.scope, values, person),
        done=submitted(lambda _: ("已保存", url_for("persons.detail", person_id=person.id))),
        record=person,
        # As the form shows them (lists, masked numbers), read again in the save.
        current=lambda: _edit_form(g.scope.get(Person, person_id)),
        context=lambda values: dict(
            person=person, household=person.household, households=[], **_choices()
        ),
    )


def _edit_form(person):
    """The edit form's values of `person` as stored."""
    return {
        **person.__data__,
        "difficulty_kinds": person.difficulty_kinds.split(","),
        "carer_disqualifiers": person.carer_disqualifiers.split(","),
        # Shown masked to everyone; saved unchanged, the mask keeps the stored number.
        **{f: mask_id_number(getattr(person, f)) for f in ID_FIELDS},
    }


@bp.route("/persons/<int:person_id>")
def detail(person_id):
    """Everything about one person, with why he is in each group and his history."""
    person = person_page.page_check(g.scope, person_id)  # 404 outside his area
    if person.is_child or "儿童" in person.groups:
        record(current_actor(), "view", person)  # reads of a child's file are audited
    # Kept after the scope check and the audit above, which run on every request. It names
    # his 采集人 and 核实人 (accounts, whose changes move no data generation).
    return page_cache.page(
        ("persons.detail", accounts_changed()),
        lambda: _detail_page(queries.for_page(g.scope, person_id), disclosure("record")),
    )


@bp.route("/persons/<int:person_id>/full-id", methods=["POST"])
def reveal_id(person_id):
    """显示完整证件号: the page again with the person's and carer's full ID numbers, for the
    roles that may see them; every use is audited."""
    person = queries.for_page(g.scope, person_id)
    if not can_see_full_id(g.user):
        abort(403)
    record(current_actor(), "view", person, label=f"{person.name} 完整证件号")
    return _detail_page(person, disclosure("record", reveal=True))


def _detail_page(person, shown):
    live = person_facts.derive(person.__data__)
    today = clock.today()
    # His own rows of every section in one statement (queries.page_sections); the person came
    # with his household, village, grid, visit state and collector/checker (queries.for_page).
    sections = queries.page_sections(person, today)
    care = {
        **sections["care"],
        "helpers": queries.helpers(g.scope),
        "tiers": TIERS,
        "can_tier": g.user.role in TIER_ROLES,
    }
    return render_template(
        "persons/detail.html",
        person=person,
        history=sections["history"],
        care=care,
        records=sections["records"],
        more=sections["more"],
        labels=FIELD_LABELS,
        shown=shown,
        may_reveal=can_see_full_id(g.user) and not shown.full_id,
        live_reasons=json.loads(live[1]),
        exit_reasons=EXIT_REASONS,
        today=today,
        suggestion=suggestion_queries.for_person(person, today),
        complete=completeness_queries.missing_of([person], today)[person.id],
        collector=person.collector.display_name if person.collector else "",
        checker=person.checker.display_name if person.checker else "",
        may_check=g.user.role in CHECK_ROLES and not person.voided_at,
        pending=review_queries.pending_for_person(g.scope, person),
    )


@bp.route("/persons/<int:person_id>/exit", methods=["POST"], endpoint="exit")
def exit_view(person_id):
    """退出: the person leaves the registry with a reason and a date."""
    person = g.scope.get(Person, person_id)
    run(
        lambda: person_exits.exit_person(current_actor(), person, request.form.to_dict()),
        lambda result: ok_message(result, f"{person.name} 已退出登记"),
    )
    return redirect(url_for("persons.detail", person_id=person.id), 303)


@bp.route("/persons/<int:person_id>/void", methods=["POST"])
def void(person_id):
    """作废: a registration made by mistake leaves every list and figure, kept with its reason."""
    person = g.scope.get(Person, person_id)
    run(
        lambda: person_exits.void_person(current_actor(), person, request.form.get("void_reason")),
        f"{person.name} 的登记已作废",
    )
    return redirect(url_for("persons.detail", person_id=person.id), 303)


@bp.route("/persons/<int:person_id>/reenter", methods=["POST"])
def reenter(person_id):
    """Bring an exited person back."""
    person = g.scope.get(Person, person_id)
    run(
        lambda: person_exits.reenter_person(current_actor(), person),
        lambda result: ok_message(result, f"{person.name} 已重新登记"),
    )
    return redirect(url_for("persons.detail", person_id=person.id), 303)


@bp.route("/persons/<int:person_id>/review", methods=["POST"])
def review(person_id):
    """Confirm a flagged person has been looked at."""
    person = g.scope.get(Person, person_id)
    if person.needs_review:
        person_review.confirm_review(current_actor(), person)
        flash("已确认核实", "ok")
    return redirect(url_for("persons.detail", person_id=person.id), 303)
