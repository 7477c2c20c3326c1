"""The real server (`python app.py`) stopped with SIGTERM or SIGINT after printing a PDF, while a
card batch is being laid out, leaves no process behind: neither its PDF workers nor
multiprocessing's resource tracker.

The server is started in a session of its own, so every process it spawns shares its process
group; after the stop, /proc must hold no live process of that group.
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from liushou.db import bind, database
from liushou.models.households import Household
from liushou.models.persons import Person
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group(pgid):
    """Live (non-zombie) processes whose process group is `pgid`, as {pid: command line}."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            found[int(entry.name)] = cmdline.strip()
    return found


def _wait_until_up(opener, base, proc):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server ended at start (exit {proc.returncode})")
        try:
            with opener.open(base + "/login", timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_the_server_ends_its_pdf_workers(demo_copy, tmp_path, signum):
    db = demo_copy
    bind(db)
    with database.connection_context():
        person_id = Person.select(Person.id).order_by(Person.id).limit(1).scalar()
        village_id = Household.select(Household.village).limit(1).scalar()
    database.init(None)
    port = _free_port()
    env = {
        **os.environ,
        "LIUSHOU_DATABASE": str(db),
        "LIUSHOU_INSTANCE": str(tmp_path / "instance"),
    }
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        token = _TOKEN.search(_wait_until_up(opener, base, proc)).group(1)
        body = urllib.parse.urlencode(
            {"username": "admin", "password": PASSWORD, "csrf_token": token}
        ).encode()
        with opener.open(base + "/login", body, timeout=30) as response:
            assert "/login" not in response.url, "login failed"
        with opener.open(f"{base}/persons/{person_id}/archive.pdf", timeout=120) as response:
            assert response.headers.get_content_type() == "application/pdf"
            assert response.read().startswith(b"%PDF")
        spawned = {pid: cmd for pid, cmd in _group(proc.pid).items() if pid != proc.pid}
        assert spawned, "the PDF was expected to come from a worker process"
        # A card batch for the whole village keeps the workers busy while the signal arrives.
        with opener.open(base + "/print", timeout=30) as response:
            token = _TOKEN.search(response.read().decode()).group(1)
        body = urllib.parse.urlencode({"village": village_id, "csrf_token": token}).encode()
        with opener.open(base + "/print/jobs", body, timeout=30) as response:
            assert "/print/jobs/" in response.url

        os.kill(proc.pid, signum)
        proc.wait(timeout=30)
        deadline = time.time() + 10
        while _group(proc.pid) and time.time() < deadline:
            time.sleep(0.2)
        assert _group(proc.pid) == {}, "processes left after the server stopped"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        try:  # whatever the test leaves of its own server's group
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
