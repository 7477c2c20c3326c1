"""Minimum necessary: how much of a person's ID number and phone each page, printout and export
shows. The one place that decides it; views hand templates a `Disclosure`, templates never choose.

ID numbers (persons' and carers'): masked everywhere, for every role, by default. Only
FULL_ID_ROLES (admin, township, village) may
- reveal one person's numbers on his page, one audited request at a time;
- print his one-person archive with them (audited as a print);
- print or export a village ledger with them after stating a purpose (kept in the audit row).
Grid workers and leaders never get a full ID number.

Phones of persons, households, carers and family away:
- lists, ledgers, route sheets and exports: masked (a ledger printed or exported with a stated
  purpose carries full phones along with the full IDs);
- one person's page, one household's page, the one-person archive and the visit worklist: full,
  with a tel: link, for users who may change that record (every role but the read-only ones);
  masked for read-only roles (leaders) and for helpers' own logins (帮扶人).
Helpers', cadres', service sites' and the township's numbers are public contact numbers: full.
"""

import re
from dataclasses import dataclass

from ..models.accounts import FULL_ID_ROLES, MASKED_PHONE_ROLES
from .text import clean, mask_id_number, mask_phone

ID_FIELDS = ("id_number", "carer_id_number")
PHONE_FIELDS = ("phone", "phone2", "carer_phone", "contact_phone")
PURPOSE_MAX = 100


@dataclass(frozen=True)
class Disclosure:
    """What one page, printout or export shows of ID numbers and phones."""

    full_id: bool = False
    full_phone: bool = False

    def id(self, number):
        return (number or "") if self.full_id else mask_id_number(number)

    def phone(self, phone):
        return (phone or "") if self.full_phone else mask_phone(phone)

    @property
    def tel(self):
        """Whether a phone may be a tel: link (the link carries the whole number)."""
        return self.full_phone

    def text(self, value):
        """A free-text value (赡养人及去向, an address, a note): ID numbers and phones typed
        inside it masked as this disclosure masks the ID and phone columns."""
        return mask_free_text(value, ids=not self.full_id, phones=not self.full_phone)

    def change(self, field, value):
        """A value of a change in a person's history, as this disclosure shows it."""
        if value in (None, ""):
            return value
        if field in ID_FIELDS:
            return self.id(str(value))
        if field in PHONE_FIELDS:
            return self.phone(str(value))
        return value


MASKED = Disclosure()

# An ID number (18 characters, the last may be X; or the old 15 digits) or a phone (an 11-digit
# mobile, spaces or dashes allowed between its groups) inside free text, not part of a longer
# run of digits.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1\d{2})[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mask_free_text(text, ids=True, phones=True):
    """`text` with every ID number (`ids`) and phone (`phones`) inside it masked like the ID and
    phone columns; the rest of the text unchanged."""
    if not text:
        return text or ""
    text = str(text)
    if ids:
        text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(1).upper()), text)
    if phones:
        text = _PHONE_IN_TEXT.sub(lambda m: mask_phone("".join(m.groups())), text)
    return text


def may_see_full_id(role):
    return role in FULL_ID_ROLES


def listing(role, purpose=None):
    """Lists, ledgers, route sheets and exports: masked, unless a role that may see full IDs
    has stated a purpose (a ledger print or export)."""
    if purpose and may_see_full_id(role):
        return Disclosure(full_id=True, full_phone=True)
    return MASKED


def record(role, reveal=False):
    """One person's or household's page and the worklist; `reveal`: the audited full-ID
    request."""
    return Disclosure(
        full_id=bool(reveal) and may_see_full_id(role), full_phone=role not in MASKED_PHONE_ROLES
    )


def archive(role):
    """The one-person archive (every print of it is audited)."""
    return Disclosure(full_id=may_see_full_id(role), full_phone=role not in MASKED_PHONE_ROLES)


def read_purpose(raw):
    """(purpose, problem) for the 用途 typed before a full-ID print or export; problem is None
    when it is acceptable."""
    text = clean(raw)
    if not text:
        return text, "请填写用途（如：上报县民政局）"
    if len(text) > PURPOSE_MAX:
        return text, f"用途最多 {PURPOSE_MAX} 个字"
    return text, None


def keep_masked(posted, stored):
    """The ID number to save from an edit form that showed `stored` masked: an unchanged mask
    keeps the stored number; anything else is what the user typed."""
    text = clean(posted)
    if stored and text and text == mask_id_number(stored):
        return stored
    return posted
