"""The demo's care records entered on the day of their facts, as an office using the system
would have entered them: a report of a past month then sees the visits, needs and services of
that month as they were known when it closed (queries/facts.py)."""

from ..db import database

# (table, the SQL expression of the moment the row was entered)
ENTERED = (
    ("visit", "\"visited_on\" || ' 18:00:00'"),
    ("need", "\"raised_on\" || ' 18:00:00'"),
    ("service", "\"served_on\" || ' 18:00:00'"),
    ("emergency", '"discovered_at"'),
    ("activity", "\"held_on\" || ' 18:00:00'"),
    ("checkup", "\"checked_on\" || ' 18:00:00'"),
    ("benefit", "\"start_on\" || ' 09:00:00'"),
    ("pairing", "\"started_on\" || ' 09:00:00'"),
)


def entered_on_their_day():
    """Move each row's created_at back to the day of its fact (never forward)."""
    for table, moment in ENTERED:
        database.execute_sql(
            f'UPDATE "{table}" SET "created_at" = {moment} WHERE {moment} < "created_at"'
        )
