"""高龄补贴 by age band. Bands and amounts are a dated setting, e.g.
"80-89:25, 90-99:120, 100-:350"."""

import re
from calendar import monthrange
from datetime import date

from .categories import age_on


def parse_bands(text):
    """[(low, high or None, yuan per month)] from "80-89:25, 90-99:120, 100-:350";
    ValueError if bad."""
    bands = []
    for part in re.split(r"[,，;；\s]+", (text or "").strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)-(\d*):(\d+(?:\.\d+)?)", part)
        if not m:
            raise ValueError(f"无法识别“{part}”，应写成 80-89:25 这样的格式")
        low, high, amount = (
            int(m.group(1)),
            int(m.group(2)) if m.group(2) else None,
            float(m.group(3)),
        )
        if high is not None and high < low:
            raise ValueError(f"“{part}”的年龄范围不对")
        bands.append((low, high, amount))
    bands.sort()
    for (_, h1, _), (l2, _, _) in zip(bands, bands[1:], strict=False):
        if h1 is None or h1 >= l2:
            raise ValueError("年龄段有重叠")
    return bands


def band_label(band):
    low, high, _ = band
    return f"{low}周岁以上" if high is None else f"{low}–{high}周岁"


def month_end(month_start):
    return month_start.replace(day=monthrange(month_start.year, month_start.month)[1])


def band_in_month(birth, month_start, bands):
    """The band a person is in for a month: by his age on the month's last day (so the month of
    the 80th, 90th or 100th birthday already counts), or None."""
    age = age_on(birth, month_end(month_start))
    for band in bands:
        low, high, _ = band
        if age >= low and (high is None or age <= high):
            return band
    return None


def previous_month(month_start):
    return (month_start.replace(day=1) - date.resolution).replace(day=1)


def change_in_month(birth, month_start, bands_now, bands_before=None):
    """(before, after) bands when a person becomes eligible or moves band in this month;
    else None."""
    before = band_in_month(birth, previous_month(month_start), bands_before or bands_now)
    after = band_in_month(birth, month_start, bands_now)
    if after is not None and (before is None or before[:2] != after[:2]):
        return before, after
    return None
