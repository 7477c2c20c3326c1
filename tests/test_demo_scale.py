"""The demo at a county's size: IDs stay valid and unique past 500 persons a birth date, and a
county-sized demo has the county's 30 villages."""

import random
from datetime import date

from liushou.db import database
from liushou.demo import build, vocab
from liushou.migrations import migrate
from liushou.models.persons import Person
from liushou.models.places import Village
from liushou.rules import idcard
from tests.conftest import PASSWORD


def test_id_numbers_stay_valid_and_unique_past_500_a_birth_date(app):
    people = vocab.People(random.Random(1))
    born = date(1990, 1, 1)
    numbers = [people.id_number(born, "男女"[i % 2]) for i in range(1500)]
    assert len(set(numbers)) == 1500
    for i, number in enumerate(numbers):
        info, problem = idcard.parse(number, date(2026, 1, 1))
        assert problem is None and info.birth_date == born and info.sex == "男女"[i % 2]
    assert len({n[:6] for n in numbers}) == 3  # 500 a region, then the next region


def test_a_county_sized_demo_has_thirty_villages(app, monkeypatch):
    town = vocab.township()
    monkeypatch.setattr(vocab, "township", lambda: {**town, "county_persons": 60})
    with app.app_context():
        database.connect(reuse_if_open=True)
        migrate()
        result = build(persons=60, seed=7, password=PASSWORD)
        assert result["villages"] == Village.select().count() == 30
        assert Person.select().count() == 60
        numbers = [p.id_number for p in Person.select()]
        assert len(set(numbers)) == 60
