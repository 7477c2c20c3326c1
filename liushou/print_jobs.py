"""Long printouts as background jobs: the user sees a page that refreshes itself with the
progress (no JavaScript needed) and downloads the PDF when it is ready."""
import io
import secrets
import threading
import time
from pathlib import Path

_JOBS = {}
_LOCK = threading.Lock()
KEEP_SECONDS = 3600


def start(user_id, label, htmls, base, folder):
    """Queue the chunks on the PDF worker pool; returns the job id at once."""
    from .printing import _pool, _render_chunk
    job_id = secrets.token_hex(8)
    job = {"user": user_id, "label": label, "total": len(htmls), "done": 0, "error": "",
           "path": None, "started": time.time()}
    with _LOCK:
        _forget_old()
        _JOBS[job_id] = job
    futures = [_pool().submit(_render_chunk, html, base) for html in htmls]

    def collect():
        from pypdf import PdfWriter
        writer = PdfWriter()
        try:
            for future in futures:
                writer.append(io.BytesIO(future.result(timeout=1800)))
                with _LOCK:
                    job["done"] += 1
            path = Path(folder) / f"{job_id}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as fh:
                writer.write(fh)
            with _LOCK:
                job["path"] = str(path)
        except Exception as e:  # the page shows it; nothing else depends on the job
            with _LOCK:
                job["error"] = f"生成失败：{e}"

    threading.Thread(target=collect, name=f"print-{job_id}", daemon=True).start()
    return job_id


def get(job_id, user_id):
    """A copy of the job if it is this user's, else None."""
    with _LOCK:
        job = _JOBS.get(job_id)
        return dict(job) if job and job["user"] == user_id else None


def _forget_old():
    now = time.time()
    for key in [k for k, j in _JOBS.items() if now - j["started"] > KEEP_SECONDS]:
        path = _JOBS[key].get("path")
        if path:
            Path(path).unlink(missing_ok=True)
        del _JOBS[key]
