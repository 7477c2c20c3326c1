"""`flask --app app ...` commands: init-db, create-user, add-township, places, demo, doctor,
import-xlsx (and backup, restore from cli_backup.py)."""

import functools
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import cli_backup, cli_county
from .db import database, share_writes
from .migrations import LATEST, migrate
from .models import ROLES, Grid, Village
from .models.accounts import COUNTY_ROLES, HELPER_ROLES
from .models.places import Township
from .scope import Scope
from .services import SYSTEM, ValidationError
from .services.accounts import create_user as create
from .services.places import save_township


def init_app(app):
    for command in (init_db, create_user, add_township, places, demo, doctor, import_xlsx):
        app.cli.add_command(command)
    cli_backup.init_app(app)
    cli_county.init_app(app)
    for command in app.cli.commands.values():
        # (The commands are module-level objects: each app built wraps them once only.)
        if command.callback is not None and not hasattr(command.callback, "beside_the_server"):
            command.callback = _beside_the_server(command.callback)


def _beside_the_server(callback):
    """A command writes beside the server: while it runs, each of its committed writes moves
    the shared counter, so the server's next page shows it (db_generation, "Other
    processes")."""

    @functools.wraps(callback)
    def run(*args, **kwargs):
        before = share_writes(True)
        try:
            return callback(*args, **kwargs)
        finally:
            share_writes(before)

    run.beside_the_server = True
    return run


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database or bring it up to the latest schema."""

    with database.connection_context():
        applied = migrate()
    click.echo(
        f"数据库 {current_app.config['DATABASE']}：版本 {LATEST}"
        + (f"，本次升级 {applied}" if applied else "，已是最新")
    )


def _read_password(prompt="密码"):
    if sys.stdin is not None and not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


@click.command("create-user")
@with_appcontext
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--village", "village_code", help="村（社区）编码，村干部和网格员必填")
@click.option("--grid", "grid_codes", multiple=True, help="网格编码，网格员必填，可重复")
@click.option("--display-name", default="", help="姓名")
@click.option("--helper", "helper_id", type=int, help="帮扶人编号（帮扶人账号必填）")
@click.option(
    "--township",
    "township_code",
    help="乡镇（街道）编码：县级系统中管理员、乡镇干部和领导必填，县级角色不填",
)
def create_user(name, role, village_code, grid_codes, display_name, helper_id, township_code):
    """Create an account; the password is read from a hidden prompt or piped stdin."""

    if role in HELPER_ROLES:
        if village_code or grid_codes:
            raise click.ClickException("帮扶人账号不设村（社区）或网格：只看与其结对的人员")
        if helper_id is None:
            raise click.ClickException("帮扶人账号须用 --helper 指定对应的帮扶人编号")
    elif helper_id is not None:
        raise click.ClickException("--helper 只用于帮扶人账号（--role helper）")
    if township_code and role in COUNTY_ROLES:
        raise click.ClickException("县级账号不属于某个乡镇（街道），不用 --township")
    with database.connection_context():
        township = Township.get_or_none(Township.code == township_code) if township_code else None
        if township_code and township is None:
            raise click.ClickException(
                f"没有编码为 {township_code} 的乡镇（街道），用 flask --app app places 查看"
            )
        village = Village.get_or_none(Village.code == village_code) if village_code else None
        if village_code and village is None:
            raise click.ClickException(
                f"没有编码为 {village_code} 的村（社区），用 flask --app app places 查看"
            )
        grids = []
        for code in grid_codes:
            grid = Grid.get_or_none(Grid.code == code)
            if grid is None:
                raise click.ClickException(f"没有编码为 {code} 的网格")
            grids.append(grid)
        if grids and village is None:
            village = grids[0].village
        password = _read_password()
        try:
            user = create(
                SYSTEM,
                {
                    "username": name,
                    "display_name": display_name or name,
                    "role": role,
                    "village": village.id if village else None,
                    "grids": [g.id for g in grids],
                    "helper": helper_id,
                    "township": township.id if township else None,
                },
                password,
            )
        except ValidationError as e:
            raise click.ClickException("；".join(e.errors.values())) from e
    click.echo(f"已创建账号 {user.username}（{user.role_label}）")


@click.command("add-township")
@with_appcontext
@click.argument("code")
@click.argument("name")
def add_township(code, name):
    """Add a township (乡镇/街道) to a county's instance; its villages and users name it."""

    with database.connection_context():
        try:
            township = save_township(SYSTEM, {"code": code, "name": name})
        except ValidationError as e:
            raise click.ClickException("；".join(e.errors.values())) from e
    click.echo(f"已新增乡镇（街道） {township.code} {township.name}")


@click.command("places")
@with_appcontext
def places():
    """List the townships (on a county's instance), villages and grids with their codes."""

    with database.connection_context():
        for t in Township.select().order_by(Township.sort_order, Township.code):
            click.echo(f"乡镇 {t.code}\t{t.name}{'' if t.active else '（停用）'}")
        for v in Village.ordered():
            click.echo(f"{v.code}\t{v.name}{'' if v.active else '（停用）'}")
            for g in Grid.select().where(Grid.village == v).order_by(Grid.sort_order, Grid.code):
                click.echo(f"  {g.code}\t{g.name}{'' if g.active else '（停用）'}")


@click.command("demo")
@with_appcontext
@click.option("--persons", default=300, show_default=True, help="人员数量")
@click.option("--seed", default=1, show_default=True, help="随机种子：同一种子生成同样的数据")
@click.option("--password", default=None, help="演示账号的密码（不填则随机生成并显示）")
@click.option("--if-empty", is_flag=True, help="数据库已有村（社区）时什么也不做")
@click.option(
    "--township",
    "township_code",
    help="县级系统：再加一个演示乡镇，以此为乡镇编码（村编码、账号名以它开头）",
)
@click.option("--name", "township_name", help="与 --township 同用：乡镇名称")
def demo(persons, seed, password, if_empty, township_code, township_name):
    """Build a believable demo township (or, with --township, add one to a county's database)."""
    from .demo import build  # the commands' own modules load when the command runs

    if township_name and not township_code:
        raise click.ClickException("--name 须与 --township 同用")
    if township_code:
        with database.connection_context():
            migrate()
            try:
                result = build(
                    persons=persons,
                    seed=seed,
                    password=password,
                    township=(township_code, township_name or township_code),
                )
            except ValidationError as e:
                raise click.ClickException("；".join(e.errors.values())) from e
        _demo_report(result, f"已加入演示乡镇 {township_code}")
        return
    with database.connection_context():
        migrate()

        if Village.select().exists():
            if if_empty:
                click.echo("数据库已有数据，未生成演示数据。")
                return
            raise click.ClickException(
                "数据库已有数据；演示数据只能生成到空数据库（可用 LIUSHOU_DATABASE 指定新文件）"
            )
        result = build(persons=persons, seed=seed, password=password)
    _demo_report(result, "已生成演示乡镇")


def _demo_report(result, title):
    click.echo(
        f"{title}：{result['villages']} 个村（社区），{result['grids']} 个网格，"
        f"{result.get('persons', 0)} 人"
    )
    click.echo("演示账号（登录名 / 角色）：")
    for username, label in result["users"]:
        click.echo(f"  {username}\t{label}")
    click.echo(f"密码：{result['password']}")


@click.command("doctor")
def doctor():
    """Check what printing needs: a CJK font through fontconfig and HarfBuzz's subsetter."""
    from .printing.doctor import checks

    bad = 0
    for ok, message in checks():
        click.echo(("✓ " if ok else "✗ ") + message)
        bad += not ok
    if bad:
        raise SystemExit(1)


@click.command("import-xlsx")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--village", "village_code", required=True, help="村（社区）编码")
@click.option("--dry-run", is_flag=True, help="只预览，不写入")
def import_xlsx(file, village_code, dry_run):
    """Import a village ledger workbook, as the import page does."""
    from .services.importing import apply, plan
    from .xlsx_io import WorkbookError, read_rows

    with database.connection_context():
        village = Village.get_or_none(Village.code == village_code)
        if village is None:
            raise click.ClickException(
                f"没有编码为 {village_code} 的村（社区），用 flask --app app places 查看"
            )
        try:
            the_plan = plan(read_rows(Path(file).read_bytes()), village, Scope(everything=True))
        except WorkbookError as e:
            raise click.ClickException(str(e)) from e
        except ValidationError as e:
            raise click.ClickException("；".join(e.errors.values())) from e
        labels = {
            "new": "新增",
            "update": "更新",
            "same": "无变化",
            "skip": "跳过",
            "error": "错误",
        }
        for row in the_plan.rows:
            problems = "；".join(f"{c}：{m}" for c, m in row.errors + row.warnings)
            click.echo(f"第{row.number}行\t{row.name}\t{labels[row.action]}\t{problems}")
        summary = "，".join(f"{labels[a]} {the_plan.count(a)}" for a in labels)
        if dry_run:
            click.echo(f"预览（未写入）：{summary}")
            return
        done = apply(SYSTEM, Scope(everything=True), village, the_plan, Path(file).name)
        click.echo(f"已导入：新增 {done['new']}，更新 {done['update']}；{summary}")
