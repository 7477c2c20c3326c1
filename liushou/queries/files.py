"""Reads of attachments: an owner resolved through the user's scope, an owner's files, the
files a one-person archive shows."""

from werkzeug.exceptions import NotFound

from ..models.care import Emergency
from ..models.files import OWNER_KINDS, Attachment
from ..models.persons import Person
from ..models.records import Activity
from ..models.visits import Visit, VisitPerson

OWNER_MODELS = {
    "person": Person,
    "agreement": Person,  # the person's 委托照护责任确认书
    "visit": Visit,
    "activity": Activity,
    "emergency": Emergency,
}


def owner(scope, kind, owner_id):
    """The owner row if the user's area holds it; NotFound (404) otherwise."""
    if kind not in OWNER_MODELS:
        raise NotFound()
    return scope.get(OWNER_MODELS[kind], owner_id)


def attachment(scope, attachment_id, *, voided=False):
    """(attachment, owner) when the attachment's owner is in the user's area; NotFound
    otherwise, and for a voided attachment unless `voided`."""
    row = scope.get(Attachment, attachment_id)
    if row.voided_at is not None and not voided:
        raise NotFound()
    return row, owner(scope, row.owner_kind, row.owner_id)


def of_owner(kind, owner_id):
    """(in force, voided) attachments of one owner, oldest first."""
    rows = list(
        Attachment.with_voided()
        .where((Attachment.owner_kind == kind) & (Attachment.owner_id == owner_id))
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return [a for a in rows if a.voided_at is None], [a for a in rows if a.voided_at is not None]


def concerns_child(kind, obj):
    """Does this owner's file show or name a child? (its reads are audited)"""
    if kind in ("agreement", "emergency"):
        return True
    if kind == "person":
        return obj.is_child
    if kind == "visit":
        persons = Person.select().join(VisitPerson).where(VisitPerson.visit == obj.id)
        return any(p.is_child for p in persons)
    return True  # an activity's photos show its attendees, children among them


def for_archive(person):
    """[(section title, [attachments in force])] for a person's 一人一档: his own, his
    agreement's, and those of his visits and emergencies."""
    visits = Visit.select(Visit.id).join(VisitPerson).where(VisitPerson.person == person.id)
    emergencies = Emergency.select(Emergency.id).where(Emergency.person == person.id)
    sections = [
        (
            OWNER_KINDS["person"],
            Attachment.select().where(
                (Attachment.owner_kind == "person") & (Attachment.owner_id == person.id)
            ),
        ),
        (
            OWNER_KINDS["agreement"],
            Attachment.select().where(
                (Attachment.owner_kind == "agreement") & (Attachment.owner_id == person.id)
            ),
        ),
        (
            OWNER_KINDS["visit"],
            Attachment.select().where(
                (Attachment.owner_kind == "visit") & Attachment.owner_id.in_(visits)
            ),
        ),
        (
            OWNER_KINDS["emergency"],
            Attachment.select().where(
                (Attachment.owner_kind == "emergency") & Attachment.owner_id.in_(emergencies)
            ),
        ),
    ]
    out = []
    for title, query in sections:
        rows = list(query.order_by(Attachment.uploaded_at, Attachment.id))
        if rows:
            out.append((title, rows))
    return out
