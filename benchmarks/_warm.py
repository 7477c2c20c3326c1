"""Waiting for the server's start-of-day round (the day's job, then the figures it counts
before the first user asks: liushou/jobs.py) before measuring: pages timed while it counts
beside them measure the warm-up, not the page.

The round's state is read as an admin reads it, on /admin/warm-up (`data-state`: "waiting",
"running", "done", "failed", or "none" for a server that runs no round): the township's admin,
or on a county's instance (the users' --prefix) the county admin, the only one who reads it
there (`warm_up_login`).
"""

import http.client
import re
import sys
import time

from _common import HOST, login

STATE = re.compile(r'id="warm-up" data-state="(\w+)"')
OVER = ("done", "failed", "none")
COUNTY_ADMIN = "xian"  # the county's own admin (liushou/demo COUNTY_USERS)


def warm_up_login(port, prefix, password=None):
    """A session cookie of the user who reads /admin/warm-up: the admin of a single township's
    demo (no `prefix`), the county admin on a county's instance (its townships' users are
    prefixed: t05admin...)."""
    return login(port, COUNTY_ADMIN if prefix else "admin", password)


def warm_up_state(port, cookie):
    """The round's state as /admin/warm-up shows it to the admin of `cookie`."""
    c = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        c.request("GET", "/admin/warm-up", headers={"Cookie": cookie})
        r = c.getresponse()
        html = r.read().decode("utf-8", "replace")
    finally:
        c.close()
    if r.status != 200:
        raise SystemExit(f"/admin/warm-up answers HTTP {r.status}: log in as the instance admin")
    found = STATE.search(html)
    return found.group(1) if found else "unknown"


def wait_warmed(port, cookie, timeout=1800, every=2.0):
    """Wait until the round is over (at most `timeout` seconds, then go on with a warning);
    prints what it waits for. Returns (state, seconds waited)."""
    started = time.monotonic()
    state, said = warm_up_state(port, cookie), None
    while state not in OVER:
        waited = time.monotonic() - started
        if waited > timeout:
            print(
                f"warning: the server's warm-up is still {state} after {waited:.0f} s: "
                "measuring anyway",
                file=sys.stderr,
                flush=True,
            )
            return state, waited
        if said is None or waited - said >= 30:
            print(f"waiting for the server's warm-up ({state}, {waited:.0f} s)", flush=True)
            said = waited
        time.sleep(every)
        state = warm_up_state(port, cookie)
    waited = time.monotonic() - started
    if state == "failed":
        print("warning: the server's warm-up failed (see its log)", file=sys.stderr, flush=True)
    print(f"server warm-up {state} after {waited:.1f} s of waiting", flush=True)
    return state, waited
