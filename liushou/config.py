"""Configuration layers: defaults, instance/config.py, LIUSHOU_* environment, test mapping."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from .instance_files import create_private, private_dir, write_private

DEFAULTS = {
    "DATABASE": None,  # resolved to instance/liushou.sqlite3 when unset
    "BACKUP_DIR": None,  # resolved to instance/backups when unset
    "SESSION_IDLE_MINUTES": 30,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 30,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "liushou_session",
    # The cookie is sent again only when the session changed (auth.load_user rewrites its
    # "seen" time at most every 30 s, which also moves the cookie's expiry on): signing and
    # sending it on every response cost a noticeable part of a cached page.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; idle expiry already bounds it
    "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=365),
    "COMPRESS_ALGORITHM": "gzip",
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/plain",
        "application/javascript",
        "text/javascript",
        "application/json",
        "image/svg+xml",
    ],
    "COMPRESS_MIN_SIZE": 300,
    "COMPRESS_LEVEL": 6,
    "MIGRATE_ON_START": True,
    # Request bodies: about 1 MB for every form; a view that takes a file has its own limit
    # (web.UPLOAD_LIMITS). Larger requests get the Chinese 413 page, unread.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "UPLOAD_MAX_BYTES": 11 * 1024 * 1024,  # a 10 MB workbook plus the form around it
    # Attachments: a 15 MB camera photo or a 10 MB PDF (services/files.py) plus the form.
    "ATTACHMENT_MAX_BYTES": 16 * 1024 * 1024,
    "FILES_DIR": None,  # resolved to instance/files when unset (photos and scanned papers)
    "PAGE_SIZE": 50,
}


def _coerce(raw):
    """Environment values are strings; accept JSON literals (numbers, true/false) too."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(app, test_config=None):
    """Apply the four configuration layers in order, then fill in derived paths."""
    app.config.from_mapping(DEFAULTS)
    instance = Path(app.instance_path)
    private_dir(instance)
    app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith("LIUSHOU_"):
            app.config[key[len("LIUSHOU_") :]] = _coerce(raw)
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE"):
        app.config["DATABASE"] = str(instance / "liushou.sqlite3")
    if not app.config.get("BACKUP_DIR"):
        app.config["BACKUP_DIR"] = str(instance / "backups")
    if not app.config.get("FILES_DIR"):
        app.config["FILES_DIR"] = str(instance / "files")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        minutes=int(app.config["SESSION_IDLE_MINUTES"])
    )


def _instance_secret(instance: Path) -> str:
    """Read the secret key from instance/, generating it on first run (never in git)."""
    path = instance / "secret_key"
    if create_private(path):  # 600 from the first byte
        write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()
