"""Excel in and out: import a village ledger with a preview, the error workbook, the template,
and ledger exports."""

import secrets
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from ..auth import current_actor, disclosure
from ..instance_files import private_dir, write_private
from ..models import Village
from ..queries import places
from ..rules.categories import GROUPS
from ..rules.cells import COLUMNS, LABELS
from ..services import ValidationError, importing
from ..services.audit import record
from ..xlsx_io import WorkbookError, read_rows, workbook
from . import downloads
from .downloads import xlsx_response
from .labels import FIELD_LABELS

bp = Blueprint("imports", __name__)
# The preview names fields as the history does; a family member away has two more.
FIELDS = {**FIELD_LABELS, "province": "务工省份", "city": "务工城市", "household": "所在户"}


def _store():
    return private_dir(Path(current_app.instance_path) / "imports")


def _file(token):
    """An uploaded workbook: only the user who uploaded it may preview or import it."""
    if not token.isalnum():
        abort(404)
    path = _store() / f"{g.user.id}-{token}.xlsx"
    return path if path.exists() else abort(404)


@bp.route("/import", methods=["GET", "POST"])
def upload():
    """Upload a workbook; the preview shows what would happen, row by row."""
    villages = _villages()
    errors = {}
    if request.method == "POST":
        village = g.scope.get(Village, request.form.get("village") or 0)
        upload = request.files.get("file")
        data = upload.read(10 * 1024 * 1024 + 1) if upload else b""
        if not data:
            errors["file"] = "请选择要导入的 .xlsx 文件"
        else:
            try:
                read_rows(data)
            except WorkbookError as e:
                errors["file"] = str(e)
        if not errors:
            token = secrets.token_hex(12)
            write_private(_store() / f"{g.user.id}-{token}.xlsx", data)
            return redirect(
                url_for(
                    "imports.preview",
                    token=token,
                    village=village.id,
                    name=(upload.filename or "")[:80],
                ),
                303,
            )
    return render_template("imports/upload.html", villages=villages, errors=errors), (
        422 if errors else 200
    )


def _villages():
    return places.villages(g.scope, active_only=True)


def _source(token):
    """The village, the uploaded sheet's rows and the user's column mapping."""
    village = g.scope.get(Village, request.values.get("village") or 0)
    rows = read_rows(_file(token).read_bytes())
    mapping = {
        int(k[4:]): v for k, v in request.values.items() if k.startswith("map_") and k[4:].isdigit()
    }
    return village, rows, mapping


def _plan(token):
    village, rows, mapping = _source(token)
    return village, importing.plan(rows, village, g.scope, mapping)


def _page(token, village, plan, problem="", status=200):
    return render_template(
        "imports/preview.html",
        plan=plan,
        village=village,
        token=token,
        name=request.values.get("name", ""),
        labels=LABELS,
        fields=FIELDS,
        keys=list(COLUMNS),
        problem=problem,
    ), status


@bp.route("/import/<token>")
def preview(token):
    """Per row: new, update, no change or skip, each field it changes, and every cell's error
    or warning. Nothing is written."""
    try:
        village, plan = _plan(token)
    except (ValidationError, WorkbookError) as e:
        message = "；".join(e.errors.values()) if isinstance(e, ValidationError) else str(e)
        return render_template(
            "imports/upload.html", villages=_villages(), errors={"file": message}
        ), 422
    return _page(token, village, plan)


@bp.route("/import/<token>/confirm", methods=["POST"])
def confirm(token):
    """Apply exactly the plan that was previewed (its fingerprint), in one transaction; when
    the register changed since, show the new preview instead."""
    village, rows, mapping = _source(token)
    try:
        plan, done = importing.confirm(
            current_actor(),
            g.scope,
            village,
            rows,
            request.form.get("fingerprint", ""),
            mapping,
            request.form.get("name", ""),
        )
    except ValidationError as e:
        plan = importing.plan(rows, village, g.scope, mapping)
        return _page(token, village, plan, "；".join(e.errors.values()), 422)
    counts = {a: plan.count(a) for a in ("same", "error", "skip")}
    flash(
        f"导入完成：新增 {done['new']} 人，"
        + (f"已提交乡镇审核 {done['waiting']} 人，" if done.get("waiting") else "")
        + f"更新 {done['update']} 人，无变化 {counts['same']} 人，"
        f"有错误未导入 {counts['error']} 行，跳过 {counts['skip']} 行",
        "ok",
    )
    if counts["error"]:
        return redirect(url_for("imports.preview", token=token, village=village.id, done=1), 303)
    _file(token).unlink()
    return redirect(url_for("persons.list", village=village.id), 303)


@bp.route("/import/<token>/errors.xlsx")
def error_rows(token):
    """The rows with errors as a workbook with an error column, to fix and import again."""
    village, plan = _plan(token)
    keys = [plan.columns[i] for i in sorted(plan.columns)]
    header = [LABELS[k] for k in keys] + ["错误说明"]
    rows = []
    for row in plan.rows:
        if row.action == "error":
            cells = [row.cells[i] if i < len(row.cells) else None for i in sorted(plan.columns)]
            rows.append(cells + ["；".join(f"{c}：{m}" for c, m in row.errors)])
    record(current_actor(), "export", village, label=f"导入错误行 {len(rows)} 行")
    return xlsx_response(
        workbook(f"{village.name} 导入错误行（改正后可重新导入）", header, rows), "导入错误行.xlsx"
    )


@bp.route("/import/template.xlsx")
def template():
    """A blank workbook with our columns and a sheet of instructions."""
    header = [LABELS[k] for k in COLUMNS]
    notes = [
        "填写说明",
        "1. 第一行是标题，第二行是表头，不要改动表头文字；列的顺序可以调整，不用的列可以删除。",
        "2. 身份证号列请先设为“文本”格式再填写，否则 Excel 会把后几位变成 0。",
        "3. 出生日期可写 2015-03-07、2015.3.7、2015年3月 或 20150307；有身份证号时可不填。",
        "4. 类别可填 留守儿童、留守妇女、留守老人、困境儿童；系统会按规则重新判定，并说明理由。",
        "5. 父亲/母亲务工地点写到省市，如“广东省深圳市”。组（网格）填本村的网格名称。",
        "6. 导入前会先预览每一行的结果，确认后才写入；有错误的行可下载后改正再导入。",
    ]
    return xlsx_response(
        workbook("留守人员信息导入模板", header, [], sheet_name="人员", notes=notes),
        "留守人员导入模板.xlsx",
    )


@bp.route("/villages/<int:village_id>/ledger/<group>.xlsx")
def ledger_xlsx(village_id, group):
    """The village ledger of a group as .xlsx, IDs and phones masked (with full IDs: the
    stated-purpose form, printouts.ledger_full)."""
    village = g.scope.get(Village, village_id)
    if group not in GROUPS:
        abort(404)
    response = downloads.ledger_xlsx(village, group, disclosure("listing"))
    record(current_actor(), "export", village, label=f"{village.name}{group}台账")
    return response
