"""Kill the real server with SIGKILL while clients write; check nothing acknowledged is lost.

Used by tests/test_crash.py (a few rounds) and benchmarks/crash.py (20 rounds). Loopback only,
and every wait is bounded, so a hung server fails the run instead of hanging it.
"""

import http.client
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "crash1234pw"
HOST = "127.0.0.1"
WRITERS = 2  # clients posting at once: the kill often lands while two transactions are open
# A kill mid-answer shows as a reset socket or as a cut-off response (IncompleteRead).
GONE = (OSError, http.client.HTTPException)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _flask(env, *args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _start(env, port, log):
    """Start `python app.py` in its own process group and wait until it answers."""
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--host", HOST, "--port", str(port), "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log.name}")
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=2)
            c.request("GET", "/login")
            c.getresponse().read()
            c.close()
            return proc
        except OSError:
            time.sleep(0.05)
    _kill(proc)
    raise RuntimeError(f"server did not answer within 30 s; see {log.name}")


def _kill(proc):
    """SIGKILL the whole process group, as a power cut or the OOM killer would."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def _cookie(response, cookie):
    header = response.getheader("Set-Cookie")
    return header.split(";")[0] if header else cookie


def _session(port):
    """Log in as the admin; returns (connection, cookie, CSRF token for the village form)."""
    c = http.client.HTTPConnection(HOST, port, timeout=10)
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode()
    cookie = _cookie(r, None)
    body = urllib.parse.urlencode(
        {"username": "admin", "password": PASSWORD, "csrf_token": TOKEN.search(html).group(1)}
    )
    c.request(
        "POST",
        "/login",
        body,
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    r = c.getresponse()
    r.read()
    if r.status != 303:
        raise RuntimeError(f"login answered {r.status}")
    cookie = _cookie(r, cookie)
    c.request("GET", "/admin/places/villages/new", headers={"Cookie": cookie})
    r = c.getresponse()
    html = r.read().decode()
    cookie = _cookie(r, cookie)  # the session now carries the CSRF secret
    return c, cookie, TOKEN.search(html).group(1)


class Writers:
    """Client threads that create villages until stopped; a code counts once answered 303."""

    def __init__(self, port, next_code):
        self.port, self.next_code = port, next_code
        self.acked, self.sent, self.errors = [], [], []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(WRITERS)]

    def start(self):
        for t in self.threads:
            t.start()

    def _run(self):
        try:
            conn, cookie, token = _session(self.port)
        except GONE:
            return  # killed before this client logged in
        except Exception as e:  # noqa: BLE001 - a bad answer from a live server is a failure
            self.errors.append(repr(e))
            return
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        while not self.stop.is_set():
            code = self.next_code()
            body = urllib.parse.urlencode(
                {
                    "name": f"崩溃测试{code}",
                    "code": code,
                    "kind": "村",
                    "sort_order": "1",
                    "active": "1",
                    "csrf_token": token,
                }
            )
            self.sent.append(code)
            try:
                conn.request("POST", "/admin/places/villages/new", body, headers)
                r = conn.getresponse()
                r.read()
            except GONE:
                return  # the server is gone; this write was never acknowledged
            if r.status == 303:
                self.acked.append(code)
            else:
                self.errors.append(f"{code}: HTTP {r.status}")
                return

    def join(self):
        for t in self.threads:
            t.join(timeout=15)
        return not any(t.is_alive() for t in self.threads)


def check_database(db, acked):
    """Integrity, every acknowledged write present, and no write half-done."""
    con = sqlite3.connect(db)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchall()
        present = dict(con.execute("SELECT code, id FROM village WHERE code LIKE 'C%'").fetchall())
        audited = {
            r[0]
            for r in con.execute(
                "SELECT object_id FROM audit_log "
                "WHERE object_type = 'village' AND action = 'create'"
            )
        }
    finally:
        con.close()
    assert integrity == [("ok",)], f"integrity_check: {integrity[:5]}"
    lost = [c for c in acked if c not in present]
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {lost[:10]}"
    # A village and its audit row are one transaction: never one without the other.
    unaudited = [c for c, i in present.items() if i not in audited]
    assert not unaudited, f"villages without their audit row: {unaudited[:10]}"
    return present


def run(workdir, rounds=20, seed=None, log=print):
    """Run `rounds` kill/restart cycles; returns figures. AssertionError on loss or damage."""
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)
    workdir = Path(workdir)
    db = workdir / "crash.sqlite3"
    env = {
        **os.environ,
        "LIUSHOU_DATABASE": str(db),
        "LIUSHOU_INSTANCE": str(workdir / "instance"),
        "LIUSHOU_BACKUP_DIR": str(workdir / "backups"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FLASK_APP", None)
    _flask(env, "init-db")
    _flask(env, "create-user", "admin", "--role", "admin", stdin=PASSWORD + "\n")
    counter = iter(range(1, 10**9))
    lock = threading.Lock()

    def next_code():
        with lock:
            return f"C{next(counter):06d}"

    acked, sent, per_round = [], [], []
    started = time.monotonic()
    with open(workdir / "server.log", "ab") as server_log:
        for round_no in range(1, rounds + 1):
            proc = _start(env, _free_port(), server_log)
            port = int(proc.args[proc.args.index("--port") + 1])
            writers = Writers(port, next_code)
            try:
                writers.start()
                deadline = time.monotonic() + 20
                while not writers.acked and time.monotonic() < deadline and not writers.errors:
                    time.sleep(0.01)
                assert writers.acked, (
                    f"round {round_no}: no write acknowledged: {writers.errors[:3]}"
                )
                time.sleep(rng.uniform(0.0, 0.8))  # a random moment inside the stream of writes
            finally:
                _kill(proc)
                writers.stop.set()
                assert writers.join(), "a client thread hung"
            assert not writers.errors, f"round {round_no}: {writers.errors[:3]}"
            acked += writers.acked
            sent += writers.sent
            per_round.append(len(writers.acked))
            log(f"round {round_no}: killed after {len(writers.acked)} acknowledged writes")
    present = check_database(db, acked)
    figures = {
        "rounds": rounds,
        "seed": seed,
        "acked": len(acked),
        "sent": len(sent),
        "unacked_but_present": len(set(present) - set(acked)),
        "min_acked_per_round": min(per_round),
        "seconds": round(time.monotonic() - started, 1),
    }
    log(f"{figures}")
    return figures
