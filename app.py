"""Entry point: `flask --app app ...` finds `app`; `python app.py` serves it with waitress."""

import argparse
import signal

from waitress import serve

from liushou import create_app
from liushou.backup import start_nightly
from liushou.jobs import start_daily
from liushou.printing import doctor, pool

app = create_app()


def _stop(signum, frame):
    """SIGTERM / SIGINT: end the PDF worker processes first (they would otherwise outlive the
    server, re-parented to PID 1), then leave waitress's loop, which ends on SystemExit."""
    pool.stop()
    raise SystemExit(0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve liushou with waitress")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    for ok, message in doctor.checks():
        if not ok:
            print(f"警告：{message}", flush=True)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    start_nightly(
        app.config["DATABASE"], app.config["BACKUP_DIR"], files_dir=app.config["FILES_DIR"]
    )
    start_daily()
    print(f"liushou serving on http://{args.host}:{args.port}/", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="liushou")
