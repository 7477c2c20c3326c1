"""Calendar arithmetic the rules and figures share: months and birthdays."""

from datetime import date, timedelta


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def month_after(day: date) -> date:
    """The first day of the month after `day`'s month."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_before(day: date) -> date:
    """The first day of the month before `day`'s month."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return month_after(day) - timedelta(days=1)


def shift_years(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
