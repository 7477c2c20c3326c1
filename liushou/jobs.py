"""The server's daily job: categories re-derived and visit states brought up to the day.

The serving process (app.py) starts one daemon thread that checks, at start-up and then every
few minutes, whether today's job has run; if not, it runs the job in a child process
(`python -m liushou.jobs`), so no page ever writes on a GET to catch up. A child process, not a
thread of the server: at 100,000 persons the job is minutes of Python work, which in the
server's process would hold its interpreter lock against every page, and whose memory would
stay with the server afterwards. The job commits in short batches (db.in_batches), so writers
never wait long behind it.
"""

import os
import subprocess
import sys
import threading
import time

from . import clock, settings
from .db import database
from .services.categories_follow import checked, daily_recheck

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # `liushou` importable here
PARENT = "LIUSHOU_JOB_PARENT"  # the server's pid, given to the job's process
PR_SET_PDEATHSIG = 1


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


def keep_closed(today=None):
    """Keep the closed periods' figures per village and the closed months' trend rates of
    every place that has none yet (services/month_rates.py; short write transactions, the
    counting reads only); returns the rows written. Run by the day's job after the recheck,
    in its child process."""
    from .services.month_rates import keep_closed_months, keep_closed_periods

    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        # first the periods: the closed months' trend rates then read their rows
        return keep_closed_periods(today) + keep_closed_months(today)
    finally:
        if opened:
            database.close()


def done_today(today=None):
    """Has today's job run (one indexed read)?"""
    today = today or clock.today()
    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        return checked(today)
    finally:
        if opened:
            database.close()


def _see_the_child():
    """The child's writes moved the shared counter: the whole generation moves on here now,
    before the warm-up counts (what it counts then holds until the next write)."""
    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        database.sync_shared(force=True)
    finally:
        if opened:
            database.close()


def warm_figures():
    """The township's home figures, then its report of the current month, counted once
    (views/home.warm, views/reports.warm) in the server's process, so the figure cache has them
    before the first user asks: reads only, no write lock; then a county's townships
    (`warm_townships`). The closed periods' figures and months' rates it reads are kept by the
    day's job in its child process (`keep_closed`), not here: counting them the first time
    after an upgrade is minutes of Python work at 100,000 persons (hours on a county), which
    would hold the server's interpreter lock against every page. Returns the seconds home and
    the report took (0: fresh)."""
    from .views import home, reports

    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        database.sync_shared(force=True)  # counted under the generation that follows the child
        took = home.warm()
        took = took, reports.warm()
        warm_townships()
        return took
    finally:
        if opened:
            database.close()


def warm_townships(today=None):
    """A county's instance: each township's home figures and current report, counted as its
    own users' requests would (their Scope, the township's settings, the same figure_cache
    keys), one township at a time after the county's own; reads only. Nothing on a
    township's own instance (its users' scope is the whole instance, warmed above). Villages
    are left to their first user: with the areas' closed months kept (month_rates) a village's
    page costs in proportion to the village, and 300 villages' entries would push the
    townships' out of figure_cache (MAX_ENTRIES). Returns {township code: seconds}."""
    from .queries import places
    from .scope import Scope
    from .views import home, reports

    took = {}
    for township in list(places.townships()) if places.has_townships() else []:
        if _stopped:
            break
        scope = Scope.for_townships([township.id])
        with settings.reading_for(township.id):
            seconds = (home.warm(today, scope) or 0) + (reports.warm(today, scope) or 0)
        took[township.code] = seconds
    return took


_child = None
_child_lock = threading.Lock()
_stopped = False

# The start-of-day round (the day's job, then the warm-up) of this process, for admins
# (views/home.warm_up) and the benchmarks, which wait for it before they measure.
_round = {"state": "none", "started": None, "finished": None, "seconds": None, "error": ""}
_round_lock = threading.Lock()


def warm_up_status():
    """A copy of this process's start-of-day round: `state` is "none" (no round in this
    process: tests, commands, `flask run`), "waiting" (the server starts it after DELAY),
    "running" (the day's job or the warm-up), "done" or "failed" (`error`); `started` and
    `finished` are clock.now() values, `seconds` the round's wall time."""
    with _round_lock:
        return dict(_round)


def _round_state(state, error=""):
    with _round_lock:
        if state == "running":
            _round.update(started=clock.now(), finished=None, seconds=None)
            _round["_t"] = time.monotonic()
        elif state in ("done", "failed"):
            t = _round.pop("_t", None)
            _round.update(
                finished=clock.now(),
                seconds=round(time.monotonic() - t, 1) if t is not None else None,
            )
        _round.update(state=state, error=error)
        return _round["seconds"]


def run_in_child(database_path):
    """Run today's job in a child process (same interpreter, same instance settings, database
    `database_path`) and wait for it; returns its exit code (None if stopping)."""
    global _child
    env = {**os.environ, "LIUSHOU_DATABASE": str(database_path), PARENT: str(os.getpid())}
    with _child_lock:
        if _stopped:
            return None
        _child = subprocess.Popen([sys.executable, "-m", "liushou.jobs"], env=env, cwd=ROOT)
    try:
        return _child.wait()
    finally:
        with _child_lock:
            _child = None


def stop():
    """End a running job process (its open batch rolls back; the next start does the day's
    job again) and start no other."""
    global _stopped
    with _child_lock:
        _stopped = True
        child = _child
    if child is not None and child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


def _say(text):
    print(text, flush=True)  # the server's log, read as it happens (benchmarks, systemd)


def start_daily(database_path, log=_say, every=600, delay=0):
    """A daemon thread that, after `delay` seconds, runs the daily job in a child process when
    it has not run today, then checks again every `every` seconds; after it (at start-up and on
    a new day) the township's home figures and current report are counted once in this
    process (warm_figures). The round's state is `warm_up_status()`'s, and its end a line
    in the log ("start-of-day warm-up done in N s")."""

    def loop():
        try:  # Linux: this thread's counting yields the cores to the requests (nice 10)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        time.sleep(delay)
        warmed = None
        while not _stopped:
            warmed = day_round(database_path, warmed, log)
            time.sleep(every)

    _round_state("waiting")
    thread = threading.Thread(target=loop, name="daily-recheck", daemon=True)
    thread.start()
    return thread


def day_round(database_path, warmed=None, log=_say):
    """One round of start_daily's thread: the day's job in a child process unless it ran
    today, then, unless this process warmed today already (`warmed`, the day it did), the
    warm-up (warm_figures). Returns the day warmed. At start-up and on a new day the round
    is "running" until its end, then "done" (a line in the log) or "failed"."""
    today = clock.today()
    if warmed != today:
        _round_state("running")
    try:
        if not done_today():
            code = run_in_child(database_path)
            if code and not _stopped:
                log(f"daily recheck failed: exit code {code}")
            _see_the_child()
    except Exception as e:  # keep serving; the next round tries again
        log(f"daily recheck failed: {e}")
    if warmed == today or _stopped:
        return warmed
    try:  # after the day's job (at start-up and on a new day), in this process
        warm_figures()
    except Exception as e:  # a user's request counts them instead
        _round_state("failed", str(e)[:200])
        log(f"home figures warm-up failed: {e}")
        return warmed
    seconds = _round_state("done")
    log(f"start-of-day warm-up done in {seconds} s")
    return today


def _end_with_parent():
    """Linux: the job ends when the server does, even if the server is killed outright (a
    second job would otherwise run beside the next server's)."""
    parent = os.environ.get(PARENT)
    if not parent:
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6").prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # the server died before prctl
        raise SystemExit(0)


def main():
    """`python -m liushou.jobs`: today's job, in its own process (started by start_daily)."""
    from . import create_app
    from .db import share_writes

    _end_with_parent()
    share_writes()  # beside the server: its writes move the shared counter (db_generation)

    app = create_app()
    with app.app_context():
        changed = run_daily()
        if changed is not None:
            print(f"daily recheck: {changed} persons changed category", flush=True)
        kept = keep_closed()
    if kept:
        print(f"closed periods and months kept: {kept} rows", flush=True)


if __name__ == "__main__":
    main()
