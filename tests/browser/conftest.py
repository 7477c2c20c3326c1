"""Browser tests: the real waitress server on a free loopback port, driven in Debian's Chromium."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium; LIUSHOU_CHROMIUM names another system build (never a downloaded one).
CHROMIUM = os.environ.get("LIUSHOU_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser1234"
# Without the background-networking switches Chromium keeps calling home, which a closed office
# network (and our "no foreign request" test) would see.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _missing(reason):
    """Under CI a browser test that cannot run is a failure; on a developer machine a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: the browser tests must run under CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A demo township (seed 7) served by `python app.py` on 127.0.0.1; yields its base URL."""
    base = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "LIUSHOU_DATABASE": str(base / "live.sqlite3"),
        "LIUSHOU_INSTANCE": str(base / "instance"),
    }
    demo = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "demo",
            "--seed",
            "7",
            "--password",
            PASSWORD,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    with live_server(env, base / "server.log", "--threads", "4") as url:
        yield url


@contextmanager
def live_server(env, log_path, *args):
    """`python app.py` on a free loopback port with `env` (its log in `log_path`) until the block
    ends; yields its base URL once it answers /login."""
    port = _free_port()
    # The log goes to a file: an unread pipe fills up and blocks the server mid-test.
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                proc.wait()
                raise RuntimeError(
                    "server did not start:\n" + log_path.read_text()[-2000:]
                ) from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; never a downloaded browser."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package is not installed (pip install -e '.[test]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context_factory(browser):
    """context_factory(java_script_enabled=False, viewport=...) -> a fresh context, closed after."""
    contexts = []

    def make(**kwargs):
        ctx = browser.new_context(locale="zh-CN", **kwargs)
        ctx.set_default_timeout(15000)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        ctx.close()


def log_in(page, server, username, password=PASSWORD):
    """Log in through the login form, as a person would; ends on the user's home page."""
    page.goto(server + "/login")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server + "/")
