"""The demo township reviews its villages' changes (审核报送): review is on for every kind, and a
few proposals wait (new children, an exit) or came back with a reason."""

from ..models import FamilyAway, Household, Person, User
from ..models.review import KINDS
from ..scope import Scope
from ..services import Actor
from ..services.person_exits import exit_person
from ..services.persons import save_person
from ..services.review import return_item
from ..services.settings import update_settings
from .area import WHOLE


def build_review(rng, people, today, area=WHOLE):
    """Turn review on and make the proposals, as the first village's cadre and grid worker."""
    from ..services import SYSTEM

    update_settings(
        SYSTEM, {f"review_{kind}": "1" for kind in KINDS}, today, township=area.township
    )
    if area.township is None:
        cadre, grid_worker = User.get(User.role == "village"), User.get(User.role == "grid")
        township = User.get(User.role == "township")
    else:
        cadre = User.get(User.username == area.username("cun") + "01")
        grid_worker = User.get(User.username == area.username("wangge") + "01")
        township = User.get(User.username == area.username("xiangzhen"))
    # Households with family members away: their rows decide the child's parents (so he is
    # a left-behind child by rule).
    free = Household.select().where(Household.id.in_(FamilyAway.select(FamilyAway.household)))
    in_grid = free.where(Household.grid.in_(grid_worker.grid_ids))
    in_village = free.where(Household.village == cadre.village_id)
    home_of_grid = in_grid.order_by(Household.id).first()
    homes = [(cadre, h, False) for h in in_village.order_by(Household.id.desc()).limit(2)] + [
        (grid_worker, home_of_grid, False),
        (grid_worker, home_of_grid, True),
    ]
    for author, home, returned in [h for h in homes if h[1] is not None]:
        sex = rng.choice("男女")
        born = people.born(today, 4, 14)
        item = save_person(
            Actor(author),
            Scope.for_user(author),
            {
                "household": home.id,
                "name": people.name(sex, born),
                "sex": sex,
                "birth_date": born.isoformat(),
                "relation_to_head": "孙子女",
            },
        )
        if returned:
            return_item(Actor(township), item, "请补充父母外出务工地点，核实后再报")
    leaving = (
        Person.active()
        .where(Person.village == cadre.village_id, Person.groups != "")
        .order_by(Person.id)
        .first()
    )
    if leaving is not None:
        exit_person(
            Actor(cadre), leaving, {"exit_reason": "随父母外出就读", "exited_on": today.isoformat()}
        )
