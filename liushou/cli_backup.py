"""`flask --app app backup` and `flask --app app restore FILE`."""

import time
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import backup as backups
from . import backup_pg
from .backup_files import restore_store
from .db import database


def init_app(app):
    """Register the backup and restore commands."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _size(path):
    size = Path(path).stat().st_size
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{size / 1024:.0f} KB"


@click.command("backup")
@with_appcontext
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    help="备份到这个文件夹（默认为设置中的备份文件夹 BACKUP_DIR）",
)
def backup_command(folder):
    """Online backup into BACKUP_DIR (safe while the server runs).

    Keeps 30 daily and 12 monthly copies."""
    if backup_pg.is_postgres(current_app.config["DATABASE"]):
        return click.echo(
            backup_pg.backup_help(current_app.config["DATABASE"], current_app.config["FILES_DIR"])
        )
    folder = folder or current_app.config["BACKUP_DIR"]
    started = time.monotonic()
    try:
        path = backups.backup(
            current_app.config["DATABASE"], folder, files_dir=current_app.config["FILES_DIR"]
        )
    except (backups.BackupError, OSError) as e:
        raise click.ClickException(f"备份失败：{e}") from e
    click.echo(
        f"已备份到 {path}（{_size(path)}，"
        f"用时 {time.monotonic() - started:.2f} 秒，完整性校验通过）"
    )
    click.echo(
        f"保留：每日 {len(backups.daily_copies(folder))} 份，"
        f"每月 {len(backups.monthly_copies(folder))} 份"
    )


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path())
@click.option("--yes", is_flag=True, help="不再询问，直接恢复")
def restore_command(file, yes):
    """Replace the database with a checked backup; the current file is kept aside.

    Stop the server first."""
    db_path = current_app.config["DATABASE"]
    if backup_pg.is_postgres(db_path):
        return click.echo(backup_pg.restore_help(db_path, file))
    try:
        version = backups.check(file)
    except backups.BackupError as e:
        raise click.ClickException(f"不能恢复：{e}") from e
    written = datetime.fromtimestamp(Path(file).stat().st_mtime)
    click.echo(
        f"备份文件：{file}（{_size(file)}，{written:%Y-%m-%d %H:%M}，"
        f"数据库版本 {version}，完整性校验通过）"
    )
    click.echo(
        f"将替换数据库：{db_path}（当前文件会另存为 {Path(db_path).name}.before-restore-日期时间）"
    )
    if not yes and not click.confirm(
        "恢复前请先停止服务。确定用这个备份替换当前数据库吗？", default=False
    ):
        raise click.ClickException("已取消，数据库没有改动")
    if not database.is_closed():
        database.close()
    try:
        aside, applied = backups.restore(file, db_path)
    except (backups.BackupError, OSError) as e:
        raise click.ClickException(f"不能恢复：{e}（当前数据库没有改动）") from e
    click.echo("已恢复。" + (f"原数据库另存为 {aside}" if aside else "原来没有数据库文件。"))
    try:
        copied, missing = restore_store(file, db_path, current_app.config["FILES_DIR"])
    except OSError as e:
        raise click.ClickException(f"数据库已恢复，但照片与材料文件没有恢复：{e}") from e
    click.echo(f"照片与材料：从备份取回 {copied} 个文件")
    if missing:
        click.echo(
            f"警告：恢复的数据库中有 {len(missing)} 个附件文件在备份文件夹的 files 中找不到"
            "（请把整个备份文件夹，包括 files 文件夹，一起复制过来再恢复）"
        )
    if applied:
        click.echo(f"已把恢复的数据库升级到版本 {applied[-1]}")
