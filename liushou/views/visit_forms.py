"""Visit forms: quick entry of a visit from a phone, and a visit's correction (their routes are
on the visits blueprint, views/visits.py)."""

from datetime import timedelta

from flask import g, request, url_for

from .. import clock
from ..auth import current_actor
from ..models.visits import ASPECTS, VISIT_METHODS, Visit
from ..queries import helpers as helper_queries
from ..queries import persons as person_queries
from ..queries import visits as queries
from ..rules.visits import ITEM_STATUSES
from ..services import visit_changes as changes
from ..services import visits as service
from .forms import form_page
from .visits import _next_page, bp


def _posted_items():
    """{(person id, item): (status, note)} from a visit form that came back."""
    form = request.form
    rows = zip(
        form.getlist("item_for"),
        form.getlist("item_key"),
        form.getlist("item_status"),
        form.getlist("item_note"),
        strict=False,
    )
    return {(pid, key): (status, note) for pid, key, status, note in rows}


def _items_read():
    """The item lists of a posted visit form, as the service reads them."""
    names = ("item_for", "item_key", "item_status", "item_note")
    return {name: request.form.getlist(name) for name in names}


@bp.route("/persons/<int:person_id>/visits/new", methods=["GET", "POST"])
def new(person_id):
    """Quick entry: a short form to record a visit in under a minute (printed QR codes open it)."""
    person = service.person_to_visit(g.scope, person_id)
    today = clock.today()
    members = list(person_queries.household_members(person))
    mine = helper_queries.of_user(g.user)
    helpers = helper_queries.for_visit(person, mine)
    if g.scope.is_helper:
        # A helper's own login: only the members paired with him, and he made the visit.
        members = [m for m in members if g.scope.allows_person(m)]
        helpers = [h for h in helpers if h.id in g.scope.helper_ids]
    initial = {}
    if request.method == "GET":
        state = queries.state(person)
        tier = state.effective_tier if state else service.tier_for(person, today)
        days = service.talk_days(person, tier, service.tier_rules(today), service.cycles(today))
        initial = {
            "visited_on": today.isoformat(),
            "method": "上门",
            "helpers": [str(i) for i in (mine or [h.id for h in helpers if h.paired][:1])],
            "next_on": (today + timedelta(days=days)).isoformat(),
        }
    chosen_ids = request.form.getlist("persons") if request.method == "POST" else [str(person.id)]
    chosen = [m for m in members if str(m.id) in chosen_ids]

    def read():
        return {
            **request.form.to_dict(),
            **_items_read(),
            "helpers": request.form.getlist("helpers"),
            "persons": chosen_ids,
        }

    posted = _posted_items() if request.method == "POST" else None
    return form_page(
        "visits/new.html",
        initial=initial,
        read=read,
        save=lambda values: service.record_visit(current_actor(), g.scope, chosen, values),
        done=lambda _: (
            f"已记录对 {'、'.join(m.name for m in chosen)} 的走访",
            _next_page(url_for("visits.due")),
        ),
        context=dict(
            person=person,
            members=members,
            helpers=helpers,
            chosen=chosen_ids,
            methods=VISIT_METHODS,
            aspects=ASPECTS,
            items=queries.item_form(members, posted),
            statuses=ITEM_STATUSES,
            today=today,
        ),
    )


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
def edit(visit_id):
    """Correct a visit: who was seen, by whom, when, how, what was found, the next date."""
    visit = g.scope.get(Visit, visit_id)
    seen, done_by = queries.persons_seen(visit), queries.helpers_of(visit)
    members, helpers = queries.edit_choices(visit, helper_queries.of_user(g.user))
    seen_items = queries.items_seen(visit)
    initial = _shown(visit, seen, done_by, seen_items)
    posted = request.method == "POST"
    chosen_ids = request.form.getlist("persons") if posted else initial["persons"]
    chosen = [m for m in members if str(m.id) in chosen_ids]
    kept = {p.id: rows for p, rows in seen_items}
    posted = _posted_items() if posted else None
    names = {str(m.id): m.name for m in members}

    def read():
        by_person = {}
        for (pid, item), (status, note) in (posted or {}).items():
            by_person.setdefault(names.get(pid, pid), []).append((item, status, note))
        return {
            **request.form.to_dict(),
            **_items_read(),
            "helpers": request.form.getlist("helpers"),
            "persons": chosen_ids,
            "answers": _answers(by_person.items()),
        }

    def context(values):
        # The answers as stored when the form comes back with them as they were (another
        # user's, taken where this one left them: a conflict), else as posted.
        mine = posted if values.get("answers") != initial["answers"] else None
        return dict(
            visit=visit,
            person=seen[0],
            members=members,
            helpers=helpers,
            chosen=chosen_ids,
            methods=VISIT_METHODS,
            aspects=ASPECTS,
            items=queries.item_form(members, mine, kept),
            statuses=ITEM_STATUSES,
            today=clock.today(),
        )

    return form_page(
        "visits/new.html",
        initial=initial,
        read=read,
        record=visit,
        # Its version covers its persons, helpers and answers (other tables than its row).
        current=lambda: _stored(visit_id),
        save=lambda values: changes.update_visit(current_actor(), g.scope, visit, chosen, values),
        done=lambda _: ("已更正走访记录", url_for("visits.detail", visit_id=visit.id)),
        context=context,
    )


def _shown(visit, seen, done_by, seen_items):
    """The correction form's values of a visit as stored (its version is of these)."""
    initial = {name: getattr(visit, name) for name, _ in ASPECTS}
    initial.update(
        visited_on=visit.visited_on.isoformat(),
        method=visit.method,
        needs=visit.needs,
        next_on=visit.next_on.isoformat() if visit.next_on else "",
        persons=[str(p.id) for p in seen],
        helpers=[str(h.id) for h in done_by],
        answers=_answers((p.name, rows) for p, rows in seen_items),
    )
    return initial


def _stored(visit_id):
    """The correction form's values of a visit as stored now (read again)."""
    visit = g.scope.get(Visit, visit_id)
    seen, done_by = queries.persons_seen(visit), queries.helpers_of(visit)
    return _shown(visit, seen, done_by, queries.items_seen(visit))


def _answers(rows_by_person):
    """The answered items of a visit form, one text each ("童一 学习：关注 成绩下降"), as a field of
    the correction form's version: another user's change to an answer is a conflict (409)
    like a change to any other field, never undone by a form opened before it."""
    return [
        f"{name} {item}：{status} {note}".strip()
        for name, rows in rows_by_person
        for item, status, note in rows
        if status or note
    ]
