"""The server's daily job: categories re-derived and visit states brought up to the day.

Runs in one daemon thread of the serving process (started by app.py), at start-up and then
whenever the date has changed, so no page ever writes on a GET to catch up.
"""

import threading
import time

from . import clock, settings
from .db import database
from .services.persons import daily_recheck


def run_daily(today=None):
    """Today's recheck if it has not run yet (None when already done)."""
    opened = database.is_closed()
    if opened:  # the job's own thread has no connection yet
        database.connect()
    try:
        # One day's settings for the whole run (each person's rules read them otherwise); the
        # recheck commits in short batches (db.in_batches), so writers never wait long.
        with settings.held():
            return daily_recheck(today or clock.today())
    finally:
        if opened:
            database.close()


def warm_figures():
    """The township's home figures, then its report of the current month, counted once
    (views/home.warm, views/reports.warm) in this job's thread: reads only, no write lock,
    except one short transaction keeping the closed months' trend rates
    (services/month_rates.py). Returns the seconds home and the report took (0: fresh)."""
    from .services.month_rates import keep_closed_months
    from .views import home, reports

    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        took = home.warm()
        keep_closed_months()
        return took, reports.warm()
    finally:
        if opened:
            database.close()


def start_daily(log=print, every=600):
    """A daemon thread that runs the daily job now and then checks every `every` seconds;
    after it (at start-up and on a new day) the township's home figures and current report
    are counted once (warm_figures)."""

    def loop():
        warmed = None
        while True:
            try:
                changed = run_daily()
                if changed is not None:
                    log(f"daily recheck: {changed} persons changed category")
            except Exception as e:  # keep serving; the next round tries again
                log(f"daily recheck failed: {e}")
            try:
                if warmed != clock.today():
                    warm_figures()
                    warmed = clock.today()
            except Exception as e:  # a user's request counts them instead
                log(f"home figures warm-up failed: {e}")
            time.sleep(every)

    thread = threading.Thread(target=loop, name="daily-recheck", daemon=True)
    thread.start()
    return thread
