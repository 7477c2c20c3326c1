"""What the printouts read, called directly with a user's Scope (no web client)."""

from liushou import clock
from liushou.models import Grid, User, Village
from liushou.models.helpers import Helper
from liushou.models.households import Household
from liushou.models.persons import Person
from liushou.queries import printouts as queries
from liushou.scope import Scope


def _scope(username):
    return Scope.for_user(User.get(User.username == username))


def test_card_households_are_the_areas_households_with_someone_in_a_group(demo_app):
    with demo_app.app_context():
        cun01 = _scope("cun01")
        v1, v2 = Village.get(Village.code == "V01"), Village.get(Village.code == "V02")
        mine = queries.card_households(cun01, village=v1)
        expected = {
            h.id
            for h in Household.select().where(Household.village == v1)
            if Person.active().where((Person.household == h) & (Person.groups != "")).exists()
        }
        assert mine and {h.id for h in mine} == expected
        assert [(h.grid_id or 0, h.id) for h in mine] == sorted(
            (h.grid_id or 0, h.id) for h in mine
        )
        assert mine[0].village.name == v1.name
        grid = Grid.select().where(Grid.village == v1).first()
        assert {h.grid_id for h in queries.card_households(cun01, grid=grid)} <= {grid.id}
        theirs = [h.id for h in Household.select().where(Household.village == v2)]
        assert queries.card_households(cun01, ids=theirs) == []
        assert queries.card_households(cun01, village=v2) == []
        assert {
            h.id for h in queries.card_households(cun01, ids=theirs + sorted(expected))
        } == expected
        assert queries.card_households(cun01) == []


def test_ledger_lists_the_group_of_the_village_with_family_away(demo_app):
    with demo_app.app_context():
        village = Village.get(Village.code == "V02")
        persons, away = queries.ledger(Scope(everything=True), village, "留守儿童")
        assert persons
        assert all(p.village_id == village.id and "留守儿童" in p.groups for p in persons)
        assert all(p.exited_on is None for p in persons)
        assert set(away) <= {p.household_id for p in persons}
        assert all(a.returned_on is None for rows in away.values() for a in rows)
        assert queries.ledger(_scope("cun01"), village, "留守儿童") == ([], {})


def test_print_choices_and_route_states_stay_in_the_area(demo_app):
    with demo_app.app_context():
        cun01 = _scope("cun01")
        v1 = Village.get(Village.code == "V01")
        choices = queries.print_choices(cun01)
        assert [v.id for v in choices["villages"]] == [v1.id]
        assert {gr.village_id for gr in choices["grids"]} == {v1.id}
        assert {h.village_id for h in choices["helpers"]} <= {v1.id, None}
        assert all(h.active for h in choices["helpers"])
        helper = Helper.select().where((Helper.village == v1) & Helper.active).first()
        states = queries.route_states(cun01, helper, clock.today())
        assert all(s.person.village_id == v1.id for s in states)
        assert [s.due_on for s in states] == sorted(s.due_on for s in states)


def test_archive_sections_and_visits(demo_app):
    with demo_app.app_context():
        person = Person.select().where(Person.groups.contains("留守儿童")).first()
        titles = [title for title, _rows in queries.archive_extras(person)]
        assert titles == ["需求", "服务记录", "救助补贴", "健康体检", "参加活动", "突发事件"]
        visits = list(queries.archive_visits(person))
        assert [v.visited_on for v in visits] == sorted(
            (v.visited_on for v in visits), reverse=True
        )
