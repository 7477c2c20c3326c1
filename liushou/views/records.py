"""Benefits and 高龄补贴, health check-ups, activities with attendance, service sites."""

from flask import Blueprint, g, redirect, render_template, request, url_for

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
)
from ..queries import orgs as org_queries
from ..queries import places
from ..queries import records as queries
from ..rules.dates import month_after, month_start
from ..rules.subsidy import band_label
from ..services import records as service
from .forms import form_page, run
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


@bp.route("/persons/<int:person_id>/benefits/new", methods=["GET", "POST"])
def benefit_new(person_id):
    person = g.scope.get(Person, person_id)
    return form_page(
        "records/benefit_new.html",
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
        "records/checkup_new.html",
        initial=initial,
        save=save,
        done=done,
        context=dict(person=person, activity=activity),
    )


@bp.route("/activities")
def activities():
    page = paginate(queries.activities(g.scope), request.args.get("page", type=int), per_page=30)
    return render_template("records/activities.html", page=page)


@bp.route("/activities/new", methods=["GET", "POST"])
def activity_new():
    """Record an activity: pick the village, tick who was invited and who came."""
    villages = list(places.villages(g.scope, active_only=True))
    chosen = request.values.get("village", type=int)
    village_id = (
        chosen if any(v.id == chosen for v in villages) else (villages[0].id if villages else None)
    )

    def read():
        return {
            **request.form.to_dict(),
            "persons": request.form.getlist("persons"),
            "attended": request.form.getlist("attended"),
        }

    return form_page(
        "records/activity_new.html",
        read=read,
        initial={"held_on": clock.today().isoformat(), "village": village_id},
        save=lambda values: service.save_activity(current_actor(), g.scope, values),
        done=lambda item: ("已记录活动", url_for("records.activity", activity_id=item.id)),
        context=lambda values: dict(
            villages=villages,
            village_id=village_id,
            kinds=ACTIVITY_KINDS,
            persons=queries.invitees(g.scope, village_id),
            sites=queries.sites(g.scope, village_id) if village_id else [],
            orgs=org_queries.for_activity(g.scope, village_id) if village_id else [],
        ),
    )


@bp.route("/activities/<int:activity_id>")
def activity(activity_id):
    item = g.scope.get(Activity, activity_id)
    return render_template(
        "records/activity.html",
        activity=item,
        rows=queries.attendance(g.scope, item),
        checked=queries.checked_at(item),
    )


@bp.route("/sites", methods=["GET", "POST"])
def sites():
    """Service sites (服务阵地) of the area, and a form to add one."""
    return form_page(
        "records/sites.html",
        initial={},
        save=lambda values: service.save_site(current_actor(), g.scope, values),
        done=lambda _: ("已添加服务阵地", url_for("records.sites")),
        context=lambda values: dict(
            sites=queries.sites(g.scope), villages=places.villages(g.scope), kinds=SITE_KINDS
        ),
    )
