"""The 18-character resident ID number (公民身份号码, GB 11643): check digit, birth date, sex."""

import re
from dataclasses import dataclass
from datetime import date

from .. import clock
from .text import halfwidth

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: date
    sex: str  # 男 / 女


def normalize(raw):
    """Full-width digits, spaces and a lowercase x are what people type; fold them."""
    return re.sub(r"[\s-]", "", halfwidth(raw or "")).upper()


def check_digit(first17):
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse(raw, today=None):
    """(IdInfo, None) for a valid number, (None, message in Chinese) otherwise."""
    number = normalize(raw)
    if len(number) != 18:
        return None, f"身份证号应为 18 位，现在是 {len(number)} 位"
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return None, "身份证号只能是数字，最后一位可以是 X"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None, f"身份证号中的出生日期 {number[6:14]} 不存在"
    if born > (today or clock.today()) or born.year < 1890:
        return None, f"身份证号中的出生日期 {born:%Y-%m-%d} 不合理"
    if check_digit(number[:17]) != number[17]:
        return None, "身份证号校验位不对，请逐位核对"
    return IdInfo(number, born, "男" if int(number[16]) % 2 else "女"), None
