"""The demo's care records entered on the day of their facts, as an office using the system
would have entered them: a report of a past month then sees the visits, needs and services of
that month as they were known when it closed (queries/facts.py)."""

from ..db import database

# (table, the column of the fact's day or moment, the hour of entry; None: the moment itself)
ENTERED = (
    ("visit", "visited_on", "18:00:00"),
    ("need", "raised_on", "18:00:00"),
    ("service", "served_on", "18:00:00"),
    ("emergency", "discovered_at", None),
    ("activity", "held_on", "18:00:00"),
    ("checkup", "checked_on", "18:00:00"),
    ("benefit", "start_on", "09:00:00"),
    ("pairing", "started_on", "09:00:00"),
)


def _moment(column, hour):
    if hour is None:
        return f'"{column}"'
    if database.is_postgres:  # a date plus a time of day is a timestamp
        return f"(\"{column}\" + time '{hour}')"
    return f"\"{column}\" || ' {hour}'"


def entered_on_their_day(floors=None):
    """Move each row's created_at back to the day of its fact (never forward); with `floors`
    ({table: id}), only the rows past those ids (a township added to a county's instance)."""
    for table, column, hour in ENTERED:
        moment = _moment(column, hour)
        newer = f' AND "id" > {int(floors[table])}' if floors else ""
        database.execute_sql(
            f'UPDATE "{table}" SET "created_at" = {moment} WHERE {moment} < "created_at"{newer}'
        )
