"""Normalising what people type: full-width characters, stray spaces, phones, passwords."""

import re
import unicodedata

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_SHORT = re.compile(r"^\d{3,6}$")  # service numbers printed on cards: 110, 120, 12345, 96110


def halfwidth(text):
    """Full-width digits, letters and punctuation to ASCII (NFKC), e.g. '１３８' -> '138'."""
    return unicodedata.normalize("NFKC", text or "")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value, max_length=None):
    """Trim a text input, drop control and bidi characters, collapse whitespace runs."""
    text = " ".join(_CONTROL.sub("", str(value or "")).split())
    return text[:max_length] if max_length else text


def normalize_phone(raw):
    """Strip spaces, full-width forms and separators people type; keep one dash after an
    area code."""
    text = halfwidth(raw).strip()
    text = re.sub(r"[\s()（）]", "", text)
    text = text.replace("—", "-").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:]
    if text.count("-") and _MOBILE.match(text.replace("-", "")):
        text = text.replace("-", "")
    return text


def phone_problem(phone, allow_short=False):
    """None if `phone` (already normalised) is an 11-digit mobile or a landline with area code."""
    if not phone:
        return None
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    if allow_short and _SHORT.match(phone):
        return None
    if phone.isdigit() and len(phone) == 11:
        return "手机号码应以 13–19 开头"
    return "请填写 11 位手机号码或带区号的固定电话（如 0931-1234567）"


def password_problem(password):
    """None if the password is at least 8 characters and mixes letters and digits."""
    if len(password or "") < 8:
        return "密码至少 8 位"
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码须同时包含字母和数字"
    return None


def mask_phone(phone):
    """138****5678 for lists and exports."""
    if not phone:
        return ""
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return phone[:1] + "*" * (len(phone) - 1)


def mask_id_number(number):
    """620102***********4: the birth date and the sequence hidden, the region and the check
    character kept. Pages print the birth date beside a masked number, so a tail longer than the
    check character would give the whole number back."""
    if not number:
        return ""
    if len(number) == 18:
        return number[:6] + "*" * 11 + number[-1:]
    return number[:2] + "*" * max(len(number) - 4, 0) + number[-2:]
