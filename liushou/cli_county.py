"""`flask --app app county-load FILE --township CODE`: a township's database into the county's."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .county_load import LoadError, load
from .db import database

# Table names as the output shows them.
TABLE_LABELS = {
    "village": "村（社区）",
    "grid": "网格",
    "app_user": "用户",
    "user_grid": "网格员的网格",
    "audit_log": "操作日志",
    "helper": "帮扶人",
    "household": "户",
    "person": "人员",
    "visit": "走访",
}


def init_app(app):
    app.cli.add_command(county_load)


@click.command("county-load")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--township", "code", required=True, help="乡镇代码（县库中唯一）")
@click.option("--name", default=None, help="乡镇名称（默认取文件中的 township_name 设置）")
@click.option(
    "--replace", is_flag=True, help="替换该乡镇上次载入的数据（载入后县库中未录入过才可）"
)
@click.option(
    "--files",
    "files_dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="该乡镇的附件文件夹（instance/files），其中附件复制到县库的附件文件夹",
)
def county_load(file, code, name, replace, files_dir):
    """Load a township's SQLite database (any released version) into this (county) database
    as township CODE, in one transaction; prints and checks the rows per table."""
    try:
        report = load(
            file,
            code,
            name=name,
            replace=replace,
            files_from=files_dir,
            files_to=current_app.config.get("FILES_DIR"),
        )
    except LoadError as e:
        raise click.ClickException(str(e)) from e
    finally:
        if not database.is_closed():
            database.close()
    rec, town = report.record, report.township
    if report.replaced is not None:
        click.echo(f"已替换 {report.replaced.loaded_at:%Y-%m-%d %H:%M} 的那次载入")
    click.echo(f"已载入乡镇 {town.code}（{town.name}），文件 {rec.file_name}")
    click.echo(f"  sha256 {rec.sha256}")
    click.echo(f"  数据库版本 {rec.schema_version}（已升级到本程序的版本后载入）")
    click.echo(
        f"  载入记录第 {rec.id} 号，{rec.loaded_at:%Y-%m-%d %H:%M:%S}，操作人 {rec.loaded_by}"
    )
    click.echo(f"{'表':<24}{'文件行数':>10}{'载入行数':>10}")
    for table, (source, loaded) in report.counts.items():
        label = f"{table} {TABLE_LABELS.get(table, '')}".strip()
        click.echo(f"{label:<24}{source:>10}{loaded:>10}")
    click.echo(f"各表行数一致：共 {sum(c[1] for c in report.counts.values())} 行")
    for what, old, new in report.renamed:
        click.echo(f"{what} {old} 与县库重复，已改为 {new}")
    if report.settings:
        click.echo(
            f"文件中的 {len(report.settings)} 条设置已作为该乡镇自己的设置载入"
            "（各自的生效日期不变；本系统内网地址和自动退出时间仍用县库的）："
        )
        for key, value, valid_from in report.settings:
            click.echo(f"  {key} = {value}（自 {valid_from} 起）")
    for where, ids in report.unmapped.items():
        click.echo(f"注意：{where} 中 {len(ids)} 个编号在文件中找不到对应记录，已置空")
    if files_dir:
        click.echo(f"附件：复制了 {report.files_copied} 个文件")
        if report.files_refused:
            click.echo(
                f"注意：{len(report.files_refused)} 个附件文件是链接或内容与文件名不符，没有复制"
            )
