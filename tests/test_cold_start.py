"""Issue 17 item 7: the server starts light. Building the app (and serving its first pages)
loads none of the heavy libraries that only printing, workbooks and photos need; the daily job
runs in a process of its own, not in the server's."""

import json
import subprocess
import sys
from pathlib import Path

from liushou import clock, jobs
from liushou.models import Setting

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("weasyprint", "openpyxl", "PIL", "pypdf", "segno", "pypinyin", "fontTools")

PROBE = """
import json, sys
import app
flask_app = app.create_app()
client = flask_app.test_client()
pages = [client.get(path).status_code for path in ("/login", "/static/style.css")]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in json.loads(sys.argv[1]))
print(json.dumps({"pages": pages, "heavy": heavy}))
"""


def test_building_the_app_and_its_login_page_load_no_heavy_library(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "LIUSHOU_DATABASE": str(tmp_path / "cold.sqlite3"),
        "LIUSHOU_INSTANCE": str(tmp_path / "instance"),
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["pages"] == [200, 200]
    assert result["heavy"] == []


def test_the_daily_job_runs_in_a_child_process_and_marks_the_day_done(app, places):
    today = clock.today()
    assert not jobs.done_today(today)
    assert jobs.run_in_child(app.config["DATABASE"]) == 0
    assert jobs.done_today(today)
    assert Setting.value_on("categories_checked_on", today) == today.isoformat()


def test_the_printing_check_loads_weasyprint_outside_the_server():
    from liushou.printing import doctor

    before = "weasyprint" in sys.modules
    messages = [message for ok, message in doctor.checks() if ok]
    assert any(message.startswith("WeasyPrint ") for message in messages)
    assert ("weasyprint" in sys.modules) == before
