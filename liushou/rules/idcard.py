"""The 18-character resident ID number (公民身份号码, GB 11643): check digit, birth date, sex."""

import re
from dataclasses import dataclass
from datetime import date

from .. import clock
from .text import halfwidth

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# The first two digits are the province in GB/T 2260 (71 Taiwan, 81/82 Hong Kong and Macao,
# 83 the Taiwan residents' permit); no number was ever issued with any other. A mainland
# number names its county (or a prefecture): a province's own code (xx0000) is never issued,
# except the 810000/820000/830000 of the Hong Kong, Macao and Taiwan residence permits.
PERMIT_REGIONS = frozenset(("810000", "820000", "830000"))
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)


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
    # [0-9], not \d: NFKC keeps Arabic-Indic and other Unicode digits as digits.
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return None, "身份证号只能是数字，最后一位可以是 X"
    region = number[:6]
    if number[:2] not in PROVINCES or (region[2:] == "0000" and region not in PERMIT_REGIONS):
        return None, f"身份证号前六位地区码 {region} 不存在"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None, f"身份证号中的出生日期 {number[6:14]} 不存在"
    if born > (today or clock.today()) or born.year < 1890:
        return None, f"身份证号中的出生日期 {born:%Y-%m-%d} 不合理"
    if check_digit(number[:17]) != number[17]:
        return None, "身份证号校验位不对，请逐位核对"
    return IdInfo(number, born, "男" if int(number[16]) % 2 else "女"), None
