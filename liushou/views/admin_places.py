"""The admin's places: villages and grids (one by one or from a sheet) and, on a county's
instance, its townships. Routes of the admin blueprint (views/admin.py)."""

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from .. import page_cache
from ..auth import current_actor
from ..queries import places
from ..services import ValidationError
from ..services import places as place_service
from .admin import _county_admin, _sheet, bp
from .forms import form_page


@bp.route("/places/bulk", methods=["GET", "POST"])
def places_bulk():
    """Villages and grids from a sheet of 村（社区）/网格/排序: preview, then one transaction."""
    text, rows, errors = _sheet()
    if request.form.get("confirm") and not errors:
        try:
            villages, grids = place_service.create_places(current_actor(), rows, g.scope)
        except ValidationError as e:
            errors = e.errors
        else:
            flash(f"已新增 {villages} 个村（社区）、{grids} 个网格", "ok")
            return redirect(url_for("admin.places_list"), 303)
    planned = place_service.place_rows(rows, g.scope) if rows else []
    page = render_template("admin/places_bulk.html", text=text, planned=planned, errors=errors)
    return page, (422 if errors else 200)


@bp.route("/places")
def places_list():
    """Villages/communities and their grids with their codes."""
    return page_cache.page(
        "admin.places_list",
        lambda: render_template(
            "admin/places.html",
            villages=list(places.villages(g.scope)),
            grids=places.grids_by_village(g.scope),
            townships={t.id: t for t in places.townships(g.scope)},
        ),
    )


@bp.route("/places/villages/new", methods=["GET", "POST"], defaults={"village_id": None})
@bp.route("/places/villages/<int:village_id>", methods=["GET", "POST"])
def village_form(village_id):
    """Create or edit a village/community."""
    village = (places.village(village_id, g.scope) or abort(404)) if village_id else None
    if village is None:  # a new village comes with its grids, one name a line

        def save(actor, values, _obj):
            grid_names = request.form.get("grid_names", "")
            return place_service.save_village_with_grids(actor, values, grid_names, g.scope)

    else:

        def save(actor, values, obj):
            return place_service.save_village(actor, values, obj, scope=g.scope)

    return _place_form(village, save, "admin/village_form.html")


@bp.route("/places/grids/new", methods=["GET", "POST"], defaults={"grid_id": None})
@bp.route("/places/grids/<int:grid_id>", methods=["GET", "POST"])
def grid_form(grid_id):
    """Create or edit a grid."""
    grid = (places.grid(grid_id, g.scope) or abort(404)) if grid_id else None

    def save(actor, values, obj):
        return place_service.save_grid(actor, values, obj, scope=g.scope)

    return _place_form(grid, save, "admin/grid_form.html")


def _place_form(obj, save, template):
    if obj is not None:
        initial = {**obj.__data__}
    else:
        initial = {"active": True, "village": request.args.get("village", type=int)}

    def read():
        return {**request.form.to_dict(), "active": request.form.get("active") == "1"}

    return form_page(
        template,
        initial=initial,
        read=read,
        save=lambda values: save(current_actor(), values, obj),
        record=obj,
        done=lambda saved: (f"已保存 {saved.name}", url_for("admin.places_list")),
        context=dict(
            obj=obj,
            villages=places.villages(g.scope),
            # A county admin places a village in a township (a township admin: his own).
            townships=[(t.id, t.name) for t in places.townships()] if g.scope.everything else [],
        ),
    )


@bp.route("/townships")
def townships():
    """A county's townships (县级管理员) with their villages' count."""
    _county_admin()
    return render_template(
        "admin/townships.html",
        townships=list(places.townships()),
        counts=places.village_counts(),
    )


@bp.route("/townships/new", methods=["GET", "POST"], defaults={"township_id": None})
@bp.route("/townships/<int:township_id>", methods=["GET", "POST"])
def township_form(township_id):
    """Create or edit a township (乡镇/街道) of the county."""
    _county_admin()
    township = (places.township(township_id) or abort(404)) if township_id else None
    if township is not None:
        initial = {**township.__data__}
    else:
        initial = {"active": True}
    return form_page(
        "admin/township_form.html",
        initial=initial,
        read=lambda: {**request.form.to_dict(), "active": request.form.get("active") == "1"},
        save=lambda values: place_service.save_township(current_actor(), values, township),
        record=township,
        done=lambda saved: (f"已保存 {saved.name}", url_for("admin.townships")),
        context=dict(obj=township),
    )
