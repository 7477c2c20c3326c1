"""Entry point: `flask --app app ...` calls `create_app`; `python app.py` serves the app with
waitress.

Nothing is built at import: multiprocessing's spawned PDF workers import this file again (as
__mp_main__) when the server was started as `python app.py`, and they need no app.
"""

import argparse
import signal


def create_app():
    """The application (the factory `flask --app app` finds)."""
    from liushou import create_app as build

    return build()


def main():
    from waitress import serve

    from liushou.backup import start_nightly
    from liushou.backup_pg import is_postgres
    from liushou.jobs import start_daily
    from liushou.printing import doctor, pool

    parser = argparse.ArgumentParser(description="Serve liushou with waitress")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    app = create_app()
    for ok, message in doctor.checks():
        if not ok:
            print(f"警告：{message}", flush=True)

    def stop(signum, frame):
        """SIGTERM / SIGINT: end the PDF worker processes first (they would otherwise outlive
        the server, re-parented to PID 1), then leave waitress's loop, which ends on
        SystemExit."""
        pool.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not is_postgres(app.config["DATABASE"]):  # PostgreSQL: pg_dump on a timer (README)
        start_nightly(
            app.config["DATABASE"], app.config["BACKUP_DIR"], files_dir=app.config["FILES_DIR"]
        )
    start_daily()
    print(f"liushou serving on http://{args.host}:{args.port}/", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="liushou")


if __name__ == "__main__":
    main()
