"""高龄补贴 bands."""

from datetime import date

import pytest

from liushou.rules.subsidy import band_in_month, change_in_month, parse_bands

BANDS = parse_bands("80-89:25, 90-99:120, 100-:350")


def test_parse_bands():
    assert BANDS == [(80, 89, 25.0), (90, 99, 120.0), (100, None, 350.0)]
    assert parse_bands("80-89:100，90-99:200；100-:500")[2] == (100, None, 500.0)
    for bad in ("80-89", "90-80:5", "80-95:1, 90-99:2"):
        with pytest.raises(ValueError):
            parse_bands(bad)


@pytest.mark.parametrize(
    "birth, month, amount",
    [
        (date(1946, 12, 15), date(2026, 11, 1), None),  # turns 80 next month
        (date(1946, 12, 15), date(2026, 12, 1), 25.0),  # the birthday month counts
        (date(1936, 12, 31), date(2026, 12, 1), 120.0),  # turns 90 on the month's last day
        (date(1936, 12, 31), date(2026, 11, 1), 25.0),
        (date(1926, 3, 1), date(2026, 3, 1), 350.0),
        (date(1944, 2, 29), date(2024, 2, 1), 25.0),  # born 29 February, leap year
        (date(1944, 2, 29), date(2025, 2, 1), 25.0),
    ],
)
def test_band_in_month(birth, month, amount):
    band = band_in_month(birth, month, BANDS)
    assert (band[2] if band else None) == amount


def test_changes_next_month():
    assert change_in_month(date(1936, 12, 10), date(2026, 12, 1), BANDS)[1][2] == 120.0
    assert change_in_month(date(1946, 12, 10), date(2026, 12, 1), BANDS) == (None, BANDS[0])
    assert change_in_month(date(1940, 5, 10), date(2026, 12, 1), BANDS) is None
    # A new band table from next year: everyone's band changes with it, the past does not.
    new = parse_bands("80-89:100, 90-99:200, 100-:500")
    assert band_in_month(date(1940, 5, 10), date(2026, 12, 1), BANDS)[2] == 25.0
    assert band_in_month(date(1940, 5, 10), date(2027, 1, 1), new)[2] == 100.0
