"""Kill the real server with SIGKILL while a client writes; check nothing acknowledged is lost.

Used by tests/test_crash.py (a few rounds) and benchmarks/crash.py (20 rounds). Loopback only.
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


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env, port):
    proc = subprocess.Popen([sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port),
                             "--threads", "4"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/login")
            c.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _session(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/login")
    r = c.getresponse()
    html = r.read().decode()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"username": "admin", "password": PASSWORD, "csrf_token": token})
    c.request("POST", "/login", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    c.request("GET", "/admin/places/villages/new", headers={"Cookie": cookie})
    r = c.getresponse()
    html = r.read().decode()
    if r.getheader("Set-Cookie"):  # the session now carries the CSRF secret
        cookie = r.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return c, cookie, token


def run(workdir, rounds=20, seed=1, log=print):
    """Returns (acknowledged writes, rounds run); raises AssertionError on loss or corruption."""
    rng = random.Random(seed)
    workdir = Path(workdir)
    db = workdir / "crash.sqlite3"
    env = {**os.environ, "LIUSHOU_DATABASE": str(db), "LIUSHOU_INSTANCE": str(workdir / "instance")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "create-user", "admin", "--role", "admin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    acked, counter = [], [0]
    for round_no in range(rounds):
        port = _port()
        proc = _start(env, port)
        stop = threading.Event()

        def writer():
            try:
                conn, cookie, token = _session(port)
            except OSError:
                return
            while not stop.is_set():
                counter[0] += 1
                code = f"C{counter[0]:05d}"
                body = urllib.parse.urlencode({"name": f"崩溃测试{code}", "code": code, "kind": "村",
                                               "active": "1", "csrf_token": token})
                try:
                    conn.request("POST", "/admin/places/villages/new", body,
                                 {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
                    r = conn.getresponse()
                    r.read()
                except OSError:
                    return
                if r.status == 303:
                    acked.append(code)

        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(rng.uniform(0.3, 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stop.set()
        thread.join(timeout=15)
        log(f"round {round_no + 1}: {len(acked)} writes acknowledged so far")
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        present = {r[0] for r in con.execute("SELECT code FROM village")}
    finally:
        con.close()
    lost = [c for c in acked if c not in present]
    assert not lost, f"acknowledged but lost: {lost[:10]}"
    return len(acked), rounds
