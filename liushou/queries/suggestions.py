"""困境儿童 suggestions: one person's, and those of the area waiting for a cadre."""

from .. import clock, settings
from ..models.persons import Person
from ..models.places import Village
from ..models.suggestions import SuggestionDismissal
from ..rules.categories import DIFFICULT, age_on
from ..rules.dates import shift_years
from ..rules.suggestions import CANNOT_GUARD, suggest
from ..services.person_facts import difficulty_options


def _dismissed(person_ids):
    """{person id: {texts of his dismissed suggestions}}."""
    out = {}
    rows = SuggestionDismissal.select(
        SuggestionDismissal.person, SuggestionDismissal.reasons
    ).where(SuggestionDismissal.person.in_(list(person_ids) or [0]))
    for row in rows:
        out.setdefault(row.person_id, set()).add(row.reasons)
    return out


def _suggest(person, today, max_age, options, dismissed):
    if person.exited_on or person.voided_at or person.birth_date is None:
        return None
    return suggest(
        age=age_on(person.birth_date, today),
        max_age=max_age,
        groups=person.group_list,
        father_status=person.father_status,
        mother_status=person.mother_status,
        disability_kind=person.disability_kind,
        disability_grade=person.disability_grade,
        options=options,
        dismissed=dismissed,
    )


def for_person(person, today=None):
    """The person's 困境儿童 suggestion waiting for a cadre, or None."""
    today = today or clock.today()
    return _suggest(
        person,
        today,
        int(settings.get("difficult_max_age", today)),
        difficulty_options(today),
        _dismissed([person.id]).get(person.id, set()),
    )


def pending(scope, today=None):
    """[(person, suggestion)] of the area waiting for a cadre, by village and name. The query
    finds the few candidates; the rule decides."""
    today = today or clock.today()
    max_age = int(settings.get("difficult_max_age", today))
    gone = list(CANNOT_GUARD)
    candidates = list(
        scope.filter(Person.active(), Person)
        .select(Person)
        .join(Village, on=(Person.village == Village.id))
        .where(
            (Person.birth_date > shift_years(today, -max_age))
            & ~Person.groups.contains(DIFFICULT)
            & (
                (Person.father_status.in_(gone) & Person.mother_status.in_(gone))
                | (Person.disability_kind != "")
            )
        )
        .order_by(Village.sort_order, Village.id, Person.name_pinyin, Person.id)
    )
    dismissed = _dismissed(p.id for p in candidates)
    options = difficulty_options(today)
    out = []
    for person in candidates:
        found = _suggest(person, today, max_age, options, dismissed.get(person.id, set()))
        if found:
            out.append((person, found))
    return out
