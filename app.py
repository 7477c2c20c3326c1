"""Entry point: `flask --app app ...` finds `app`; `python app.py` serves it with waitress."""
import argparse

from liushou import create_app

app = create_app()

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve liushou with waitress")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    from waitress import serve

    from liushou.printing import doctor

    for ok, message in doctor():
        if not ok:
            print(f"警告：{message}", flush=True)

    from liushou.backup import start_nightly

    start_nightly(app.config["DATABASE"], app.config["BACKUP_DIR"])
    from liushou.jobs import start_daily

    start_daily()
    print(f"liushou serving on http://{args.host}:{args.port}/", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads, ident="liushou")
