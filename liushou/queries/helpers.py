"""Helpers (帮扶人) and village posts, within a user's area."""

from peewee import JOIN
from werkzeug.exceptions import NotFound

from ..models import User, Village
from ..models.helpers import HELPER_KINDS, Helper, VillagePost
from ..models.visits import Pairing


def visible(scope, active_only=False):
    """Helpers of the user's villages plus the township-level ones (no village)."""
    query = Helper.select(Helper, Village).join(Village, JOIN.LEFT_OUTER)
    cond = scope.condition(Helper)
    if scope.is_helper:
        query = query.where(cond)  # a helper's own login: himself only
    elif cond is not None:
        query = query.where(cond | scope.no_village(Helper))
    return query.where(Helper.active) if active_only else query


def for_person(scope, person):
    """Helpers the user may name on a person's records: of the person's village or the township."""
    return (
        visible(scope, active_only=True)
        .where(Helper.village.is_null() | (Helper.village == person.village_id))
        .order_by(Helper.name)
    )


def get(scope, helper_id, for_write=False):
    """A helper the user may see (NotFound otherwise); township-level helpers are changed only by
    users who cover the whole township."""
    try:
        helper_id = int(helper_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    helper = visible(scope).where(Helper.id == helper_id).first() if 0 < helper_id < 2**63 else None
    township_level = helper is not None and helper.village_id is None
    if township_level and for_write and not scope.everything:
        # A township user of a county's instance changes his own township's ones.
        if helper.township_id is None or helper.township_id != scope.own_township:
            raise NotFound()
    if helper is None:
        raise NotFound()
    return helper


def listing(scope, kind=None, village_id=None):
    """Active helpers first, by village, kind and name; optionally of one kind or village."""
    query = visible(scope).order_by(
        Helper.active.desc(), Village.sort_order, Helper.kind, Helper.name
    )
    if kind in HELPER_KINDS:
        query = query.where(Helper.kind == kind)
    if village_id:
        query = query.where(Helper.village == village_id)
    return query


def linkable_users(scope):
    """Active accounts a helper record may be linked to: those of the user's villages."""
    query = User.select().where(User.active).order_by(User.username)
    if not scope.everything:
        query = query.where(User.village.in_(list(scope.village_ids) or [0]))
    return query


def for_account(scope, user=None):
    """Active helpers a helper-role account may be (on the account form): of the user's area,
    linked to no account or to `user` already."""
    free = Helper.user.is_null()
    if user is not None:
        free |= Helper.user == user.id
    return visible(scope, active_only=True).where(free).order_by(Village.sort_order, Helper.name)


def posts_held(helper):
    """The village posts (包片干部…) a helper holds, with their villages."""
    return (
        VillagePost.select(VillagePost, Village).join(Village).where(VillagePost.helper == helper)
    )


def village_posts(village):
    """{post: helper id} of a village."""
    return {p.post: p.helper_id for p in VillagePost.select().where(VillagePost.village == village)}


def post_candidates(village):
    """Active helpers of the village or the township, who may hold its posts."""
    return (
        Helper.select()
        .where(((Helper.village == village) | Helper.village.is_null()) & Helper.active)
        .order_by(Helper.kind, Helper.name)
    )


def of_user(user):
    """The ids of the active helper records that are this user (None: he is no helper)."""
    ids = [h.id for h in Helper.for_user(user)]
    return ids or None


def for_visit(person, user_helper_ids):
    """Helpers to choose from on a visit form: the person's paired helpers first, then the user's
    own, then the village's; each marked `paired`."""
    paired = {p.helper_id for p in Pairing.current().where(Pairing.person == person)}
    mine = set(user_helper_ids or [])
    query = Helper.select().where(
        Helper.active
        & (Helper.id.in_(list(paired | mine) or [0]) | (Helper.village == person.village_id))
    )
    helpers = sorted(query, key=lambda h: (h.id not in paired, h.id not in mine, h.name))
    for h in helpers:
        h.paired = h.id in paired
    return helpers
