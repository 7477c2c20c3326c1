"""On PostgreSQL, backups are the database server's job (pg_dump on a systemd timer, see the
README): `flask backup` and `flask restore` say how instead of failing, and the server's nightly
SQLite copy does not run."""

from urllib.parse import urlsplit, urlunsplit

from .db import parse_target


def is_postgres(target):
    return parse_target(target)[0] == "postgres"


def _shown(url):
    """The URL without its password (if any)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def backup_help(target, files_dir):
    url = _shown(parse_target(target)[1])
    return "\n".join(
        [
            f"数据库是 PostgreSQL（{url}），"
            "`flask backup` 只备份 SQLite 数据库文件，这里没有做任何事。",
            "请用 PostgreSQL 自带的 pg_dump 备份，例如：",
            f"  pg_dump --format=custom --file=/srv/backup/liushou-$(date +%F).dump '{url}'",
            "并用 systemd 定时器每天运行一次（做法见 README 的“PostgreSQL 的备份”一节）。",
            f"照片与材料文件夹 {files_dir} 请一并复制（例如 rsync 到备份盘）。",
        ]
    )


def restore_help(target, file):
    url = _shown(parse_target(target)[1])
    return "\n".join(
        [
            f"数据库是 PostgreSQL（{url}），"
            "`flask restore` 只恢复 SQLite 备份文件，这里没有做任何事。",
            "请先停止服务，再用 pg_restore 恢复 pg_dump 做的备份，例如：",
            f"  pg_restore --clean --if-exists --single-transaction --dbname '{url}' {file}",
            "然后启动服务（启动时会自动升级到本程序的数据库版本）。",
        ]
    )
