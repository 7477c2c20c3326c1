"""Issue 17 item 5: 1,000 contact cards as one PDF: wall time, peak memory of every process,
PDF bytes, embedded fonts.

    .venv/bin/python benchmarks/cards.py [--cards 1000] [--persons 3000] [--runs 3] [--db FILE]

Builds a demo database (or uses --db), takes the first N households that get a card and
prints their cards the way the print job of /print/jobs does (same card data, template,
chunks, worker pool and join), in this process standing in for the server (glibc's malloc
tuned as app.py tunes it): it loads the app, never WeasyPrint. Each run is timed from the
households to the PDF on disk (card data,
QR codes, HTML, the glyph page, the layer document (each village's part of a card, laid
out once) and the chunks in the two workers, join). The first run starts the worker pool (a
server's first print after a start); later runs find it warm. Peak RSS is each process's
VmHWM from /proc (the server process's peak covers all runs; a worker's is read before the
pool stops). Beside the peaks, a thread samples every 200 ms the memory of all the processes
at that moment (this one and every process below it): the largest sum of their VmRSS and of
their Pss (proportional set size: a page shared by several processes, e.g. the libraries the
workers map, counted once in all) is "together at once", what the machine really held; the
sum of each process's own peak adds peaks that may fall at different moments.
`--mode single` lays everything out in this process instead, for comparison.
"""

import argparse
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_mb(pid):
    """VmHWM (peak resident set) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid):
    """VmRSS (resident set now) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    """User + system CPU time a live process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pdf_facts(data):
    """(pages, font files embedded, font dictionaries by name) of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    files, names = set(), set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            for descendant in font.get("/DescendantFonts") or []:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        files.add(descriptor.raw_get(key).idnum)
    return len(reader.pages), len(files), sorted(names)


def build_demo(args, work):
    db = str(work / "cards.sqlite3")
    t = time.time()
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "demo", "--persons", str(args.persons)]
        + ["--password", "bench12345"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "LIUSHOU_DATABASE": db},
        stdout=subprocess.DEVNULL,
    )
    print(f"demo with {args.persons} persons: {time.time() - t:.1f} s")
    return db


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cards", type=int, default=1000)
    ap.add_argument("--persons", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db")
    ap.add_argument("--mode", choices=("job", "single"), default="job")
    args = ap.parse_args()
    # As the server (`python app.py`) tunes glibc's malloc before any thread starts: this
    # process stands in for it.
    sys.path.insert(0, str(ROOT))
    import app as server

    server.lean_malloc()
    work = Path(tempfile.mkdtemp(prefix="liushou-cards-"))
    os.environ["LIUSHOU_INSTANCE"] = str(work / "instance")
    db = args.db or build_demo(args, work)

    from flask import g

    from liushou import create_app
    from liushou.models.households import Household
    from liushou.models.persons import Person
    from liushou.printing import pool

    app = create_app({"DATABASE": db, "SECRET_KEY": "bench"})
    with app.app_context():
        ids = [
            h.id
            for h in Household.select(Household.id)
            .where(
                Household.id.in_(
                    Person.active().select(Person.household).where(Person.groups != "")
                )
            )
            .limit(args.cards)
        ]
    print(
        f"{len(ids)} households, load average {os.getloadavg()[0]:.1f} at the start, "
        f"server process {peak_mb(os.getpid()):.0f} MB before printing"
    )
    if args.mode == "single":
        single(app, ids)
        return
    walls = []
    together = Together()
    for run in range(args.runs):
        before = {pid: cpu_seconds(pid) for pid in workers_of(pool)}
        server_before = cpu_seconds(os.getpid())
        with app.test_request_context():
            g.user = None
            t0 = time.perf_counter()
            job_id, path = print_job(app, ids, work)
            wall = time.perf_counter() - t0
        cpu = [cpu_seconds(pid) - before.get(pid, 0) for pid in workers_of(pool)]
        server_cpu = cpu_seconds(os.getpid()) - server_before
        data = Path(path).read_bytes()
        pages, files, names = pdf_facts(data)
        walls.append(wall)
        print(
            f"run {run + 1} ({'pool cold' if run == 0 else 'pool warm'}): {wall:.2f} s, "
            f"{pages} pages, PDF {len(data) / 1e6:.2f} MB, {files} font files "
            f"({', '.join(names)}), load {os.getloadavg()[0]:.1f}; CPU s: server "
            f"{server_cpu:.2f}, workers {' + '.join(f'{c:.2f}' for c in cpu)}; server RSS "
            f"{rss_mb(os.getpid()):.0f} MB (peak so far {peak_mb(os.getpid()):.0f})"
        )
    workers = [peak_mb(pid) for pid in workers_of(pool)]
    others = [peak_mb(pid) for pid in children() if pid not in workers_of(pool)]
    server = peak_mb(os.getpid())
    together.stop()
    pool.stop()
    print(
        f"peak RSS: server {server:.0f} MB, workers {' + '.join(f'{w:.0f}' for w in workers)} MB, "
        f"other child processes (multiprocessing's resource tracker) "
        f"{' + '.join(f'{o:.0f}' for o in others) or 'none'} MB, "
        f"all processes {server + sum(workers) + sum(others):.0f} MB (sum of peaks); "
        f"together at once: RSS {together.rss:.0f} MB, Pss {together.pss:.0f} MB (the sampler's "
        f"own CPU, in the server's seconds: {together.cpu:.2f} s)"
    )
    if len(walls) > 1:
        warm = walls[1:]
        print(f"warm runs: {min(warm):.2f}–{max(warm):.2f} s")


def _field_kb(path, name):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Together:
    """Samples every 200 ms the summed VmRSS and Pss of this process and all below it; keeps the
    largest sums seen (MB). Its own CPU (reading smaps_rollup walks each process's pages)
    counts in the server's seconds: `cpu` says how much, to take off."""

    def __init__(self):
        self.rss = self.pss = self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        n, pids = 0, []
        while not self._stop.is_set():
            if n % 5 == 0:  # the process tree every second: walking /proc costs CPU
                pids = [os.getpid(), *descendants()]
            n += 1
            rss = sum(_field_kb(f"/proc/{p}/status", "VmRSS:") for p in pids) / 1024
            pss = sum(_field_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) / 1024
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)
            self.cpu = time.thread_time()
            self._stop.wait(0.2)

    def stop(self):
        self._stop.set()
        self._thread.join()


def descendants():
    """Process ids below this process (children, their children ...)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    out, todo = [], [os.getpid()]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out.extend(kids)
        todo.extend(kids)
    return out


def children():
    """Process ids whose parent is this process."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == os.getpid():
                out.append(int(entry))
    return out


def workers_of(pool):
    """The pool's worker process ids (the executor keeps them in a private table)."""
    return list(pool._executor._processes) if pool._executor else []


def print_job(app, ids, work):
    """What POST /print/jobs does for these households, then wait for the PDF."""
    from liushou import print_jobs
    from liushou.cards import cards_for, sheets, township_numbers
    from liushou.models.households import Household
    from liushou.views import print_response
    from liushou.views.printouts import _chunks

    households = list(Household.select().where(Household.id.in_(ids)).order_by(Household.id))
    numbers = township_numbers()
    htmls = [
        print_response.html("cards.html", preview=False, sheets=chunk, numbers=numbers)
        for chunk in _chunks(sheets(cards_for(households)))
    ]
    job_id = print_jobs.start(0, "cards", htmls, print_response.base_url(), work / "prints")
    while True:
        job = print_jobs.get(job_id, 0)
        if job["error"]:
            raise SystemExit(job["error"])
        if job["path"]:
            return job_id, job["path"]
        time.sleep(0.02)


def single(app, ids):
    """Everything in this process (render.pdf_joined: glyph page, layers, chunks, join)."""
    from flask import g

    from liushou.cards import cards_for, sheets, township_numbers
    from liushou.models.households import Household
    from liushou.printing import render
    from liushou.views import print_response
    from liushou.views.printouts import _chunks

    with app.test_request_context():
        g.user = None
        t0 = time.perf_counter()
        households = list(Household.select().where(Household.id.in_(ids)).order_by(Household.id))
        cards = cards_for(households)
        t1 = time.perf_counter()
        numbers = township_numbers()
        htmls = [
            print_response.html("cards.html", preview=False, sheets=chunk, numbers=numbers)
            for chunk in _chunks(sheets(cards))
        ]
        t2 = time.perf_counter()
        pdf = render.pdf_joined(htmls, print_response.base_url())
        t3 = time.perf_counter()
    pages, files, _ = pdf_facts(pdf)
    print(f"one process: {pages} pages, PDF {len(pdf) / 1e6:.2f} MB, {files} font files")
    print(
        f"  card data + QR {t1 - t0:.2f} s | HTML {t2 - t1:.2f} s | layout and join "
        f"{t3 - t2:.2f} s | total {t3 - t0:.2f} s | peak RSS {peak_mb(os.getpid()):.0f} MB"
    )


if __name__ == "__main__":
    main()
