"""Benefits and 高龄补贴, health check-ups, activities with attendance, service sites."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from .. import clock
from ..auth import current_actor
from ..models.persons import Person
from ..models.records import (
    ACTIVITY_KINDS,
    BENEFIT_KINDS,
    BENEFIT_STATUSES,
    PERIODS,
    SITE_KINDS,
    Activity,
    Benefit,
    CheckUp,
    Site,
)
from ..queries import history, places
from ..queries import orgs as org_queries
from ..queries import records as queries
from ..rules.dates import month_after, month_start
from ..rules.subsidy import band_label
from ..services import activities as activity_service
from ..services import records as service
from .forms import form_page, record_page, run, void_action
from .labels import FIELD_LABELS
from .paging import paginate

bp = Blueprint("records", __name__)


@bp.route("/benefits")
def benefits():
    """This month's totals per village and kind; who becomes eligible or moves band next month."""
    month = month_start(clock.today())
    coming = month_after(month)
    return render_template(
        "records/benefits.html",
        month=month,
        coming=coming,
        totals=queries.totals_in_month(g.scope, month),
        villages={v.id: v for v in places.villages(g.scope)},
        kinds=BENEFIT_KINDS,
        changes=queries.subsidy_changes(g.scope, coming),
        band_label=band_label,
    )


VOIDED = "已作废。记录仍保留，不再计入名单和统计。"


def _person_more(person_id):
    return url_for("persons.detail", person_id=person_id) + "#more"


@bp.route("/persons/<int:person_id>/benefits/new", methods=["GET", "POST"])
def benefit_new(person_id):
    person = g.scope.get(Person, person_id)
    return form_page(
        "records/benefit_form.html",
        initial={"start_on": month_start(clock.today()).isoformat(), "period": "每月"},
        save=lambda values: service.save_benefit(current_actor(), person, values),
        done=lambda _: ("已登记救助补贴", url_for("persons.detail", person_id=person.id) + "#more"),
        context=dict(
            person=person, kinds=BENEFIT_KINDS, periods=PERIODS, statuses=BENEFIT_STATUSES
        ),
    )


@bp.route("/benefits/<int:benefit_id>/stop", methods=["POST"])
def benefit_stop(benefit_id):
    """Stop a benefit from a date; it stays on the person's page as 已停发."""
    benefit = g.scope.get(Benefit, benefit_id)
    run(
        lambda: service.stop_benefit(current_actor(), benefit, request.form.to_dict()),
        f"{benefit.kind}已停发",
    )
    return redirect(url_for("persons.detail", person_id=benefit.person_id) + "#more", 303)


def _benefit_context(benefit, void_errors=None):
    return dict(
        person=benefit.person,
        benefit=benefit,
        kinds=BENEFIT_KINDS,
        periods=PERIODS,
        statuses=BENEFIT_STATUSES,
        history=history.of(benefit),
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/benefits/<int:benefit_id>/edit", methods=["GET", "POST"])
def benefit_edit(benefit_id):
    """Correct a benefit; its history and the 作废 form are on the same page."""
    benefit = g.scope.get(Benefit, benefit_id)
    return form_page(
        "records/benefit_form.html",
        initial=dict(benefit.__data__),
        record=benefit,
        save=lambda values: service.update_benefit(current_actor(), benefit, values),
        done=lambda _: ("已保存救助补贴", _person_more(benefit.person_id)),
        context=lambda values: _benefit_context(benefit),
    )


@bp.route("/benefits/<int:benefit_id>/void", methods=["POST"])
def benefit_void(benefit_id):
    benefit = g.scope.get(Benefit, benefit_id)
    return void_action(
        lambda reason: service.void_benefit(current_actor(), benefit, reason),
        _person_more(benefit.person_id),
        lambda errors: record_page(
            "records/benefit_form.html",
            dict(benefit.__data__),
            **_benefit_context(benefit, errors),
        ),
        VOIDED,
    )


@bp.route("/persons/<int:person_id>/checkups/new", methods=["GET", "POST"])
def checkup_new(person_id):
    person = g.scope.get(Person, person_id)
    activity = None
    if request.values.get("activity"):  # recording the check-ups of a 义诊 for its attendees
        activity = g.scope.get(Activity, request.values["activity"])
    initial = {
        "checked_on": (activity.held_on if activity else clock.today()).isoformat(),
        "checked_by": activity.organiser if activity else "",
        "activity": activity.id if activity else "",
    }

    def save(values):
        return service.save_checkup(
            current_actor(), person, {**values, "activity": activity.id if activity else None}
        )

    def done(_):
        if activity:
            return f"已记录 {person.name} 的体检", url_for(
                "records.activity", activity_id=activity.id
            )
        return f"已记录 {person.name} 的体检", url_for(
            "persons.detail", person_id=person.id
        ) + "#more"

    return form_page(
        "records/checkup_form.html",
        initial=initial,
        save=save,
        done=done,
        context=dict(person=person, activity=activity),
    )


def _checkup_context(checkup, void_errors=None):
    return dict(
        person=checkup.person,
        checkup=checkup,
        activity=None,
        history=history.of(checkup),
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/checkups/<int:checkup_id>/edit", methods=["GET", "POST"])
def checkup_edit(checkup_id):
    """Correct a check-up; its history and the 作废 form are on the same page."""
    checkup = g.scope.get(CheckUp, checkup_id)
    return form_page(
        "records/checkup_form.html",
        initial=dict(checkup.__data__),
        record=checkup,
        save=lambda values: service.update_checkup(current_actor(), checkup, values),
        done=lambda _: ("已保存体检记录", _person_more(checkup.person_id)),
        context=lambda values: _checkup_context(checkup),
    )


@bp.route("/checkups/<int:checkup_id>/void", methods=["POST"])
def checkup_void(checkup_id):
    checkup = g.scope.get(CheckUp, checkup_id)
    return void_action(
        lambda reason: service.void_checkup(current_actor(), checkup, reason),
        _person_more(checkup.person_id),
        lambda errors: record_page(
            "records/checkup_form.html", dict(checkup.__data__), **_checkup_context(checkup, errors)
        ),
        VOIDED,
    )


@bp.route("/activities")
def activities():
    page = paginate(queries.activities(g.scope), request.args.get("page", type=int), per_page=30)
    return render_template("records/activities.html", page=page)


def _activity_lists(values):
    return {
        **values,
        "persons": request.form.getlist("persons"),
        "attended": request.form.getlist("attended"),
    }


@bp.route("/activities/new", methods=["GET", "POST"])
def activity_new():
    """Record an activity: pick the village, tick who was invited and who came."""
    villages = list(places.villages(g.scope, active_only=True))
    chosen = request.values.get("village", type=int)
    village_id = (
        chosen if any(v.id == chosen for v in villages) else (villages[0].id if villages else None)
    )
    return form_page(
        "records/activity_form.html",
        read=lambda: _activity_lists(request.form.to_dict()),
        initial={"held_on": clock.today().isoformat(), "village": village_id},
        save=lambda values: activity_service.save_activity(current_actor(), g.scope, values),
        done=lambda item: ("已记录活动", url_for("records.activity", activity_id=item.id)),
        context=lambda values: dict(
            activity=None,
            villages=villages,
            village_id=village_id,
            kinds=ACTIVITY_KINDS,
            persons=queries.invitees(g.scope, village_id),
            sites=queries.sites(g.scope, village_id, usable=True) if village_id else [],
            orgs=org_queries.for_activity(g.scope, village_id) if village_id else [],
        ),
    )


def _activity_stored(activity_id):
    """An activity's correction form's values as stored now (read again)."""
    item = g.scope.get(Activity, activity_id)
    return queries.activity_form(item, queries.attendance(g.scope, item))


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
def activity_edit(activity_id):
    """Correct an activity and its list of who was invited and who came."""
    item = g.scope.get(Activity, activity_id)
    rows = queries.attendance(g.scope, item)
    return form_page(
        "records/activity_form.html",
        read=lambda: _activity_lists(request.form.to_dict()),
        initial=queries.activity_form(item, rows),
        record=item,
        # Its version covers who was invited and who came (Attendance rows).
        current=lambda: _activity_stored(activity_id),
        save=lambda values: activity_service.update_activity(
            current_actor(), g.scope, item, values
        ),
        done=lambda _: ("已保存活动", url_for("records.activity", activity_id=item.id)),
        context=lambda values: dict(
            activity=item,
            village_id=item.village_id,
            kinds=ACTIVITY_KINDS,
            persons=queries.invitees(
                g.scope, item.village_id, also=queries.attendance(g.scope, item, True)
            ),
            sites=queries.sites(g.scope, item.village_id, usable=True, keep=item.site_id),
            orgs=org_queries.for_activity(g.scope, item.village_id),
        ),
    )


def _activity_page(item, void_errors=None):
    return render_template(
        "records/activity.html",
        activity=item,
        rows=queries.attendance(g.scope, item, with_removed=True),
        checked=queries.checked_at(item),
        history=history.of(item),
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/activities/<int:activity_id>")
def activity(activity_id):
    return _activity_page(g.scope.get(Activity, activity_id))


@bp.route("/activities/<int:activity_id>/void", methods=["POST"])
def activity_void(activity_id):
    item = g.scope.get(Activity, activity_id)
    return void_action(
        lambda reason: activity_service.void_activity(current_actor(), g.scope, item, reason),
        url_for("records.activity", activity_id=item.id),
        lambda errors: _activity_page(item, errors),
        VOIDED,
    )


@bp.route("/sites", methods=["GET", "POST"])
def sites():
    """Service sites (服务阵地) of the area, and a form to add one."""
    return form_page(
        "records/sites.html",
        initial={},
        save=lambda values: activity_service.save_site(current_actor(), g.scope, values),
        done=lambda _: ("已添加服务阵地", url_for("records.sites")),
        context=lambda values: dict(
            sites=queries.sites(g.scope), villages=places.villages(g.scope), kinds=SITE_KINDS
        ),
    )


def _own_site(site_id):
    """A site the user may change: its whole village must be his (not a grid worker's)."""
    site = g.scope.get(Site, site_id)
    if not g.scope.allows_village(site.village_id):
        abort(403)
    return site


def _site_context(site, void_errors=None):
    return dict(
        site=site,
        kinds=SITE_KINDS,
        history=history.of(site),
        site_events=queries.site_history(site),
        labels=FIELD_LABELS,
        void_errors=void_errors or {},
    )


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
def site_edit(site_id):
    """Correct a site; stop or restart it, or void it, from the same page."""
    site = _own_site(site_id)
    return form_page(
        "records/site_form.html",
        initial=dict(site.__data__),
        record=site,
        save=lambda values: activity_service.update_site(current_actor(), g.scope, site, values),
        done=lambda _: ("已保存服务阵地", url_for("records.site_edit", site_id=site.id)),
        context=lambda values: _site_context(site),
    )


@bp.route("/sites/<int:site_id>/active", methods=["POST"])
def site_active(site_id):
    """停用 or 启用 a site (audited); a stopped site is offered to no new activity."""
    site = _own_site(site_id)
    active = request.form.get("active") == "1"
    run(
        lambda: activity_service.set_site_active(current_actor(), g.scope, site, active),
        "已启用服务阵地" if active else "已停用服务阵地",
    )
    return redirect(url_for("records.site_edit", site_id=site.id), 303)


@bp.route("/sites/<int:site_id>/void", methods=["POST"])
def site_void(site_id):
    site = _own_site(site_id)
    return void_action(
        lambda reason: activity_service.void_site(current_actor(), g.scope, site, reason),
        url_for("records.sites"),
        lambda errors: record_page(
            "records/site_form.html", dict(site.__data__), **_site_context(site, errors)
        ),
        VOIDED,
    )
