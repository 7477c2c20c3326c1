"""Excel in and out: the sample ledgers of fixtures/ledgers/ (clean, messy, hostile), bad
files, exports."""

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from liushou.models import AuditLog
from liushou.models.households import FamilyAway
from liushou.models.persons import Person
from liushou.xlsx_io import WorkbookError, read_rows, safe_cell
from tests._helpers import _script, ledger
from tests.conftest import post


def _upload(client, places, data, name="台账.xlsx"):
    return post(client, "/import", {"village": places["V01"].id, "file": (io.BytesIO(data), name)})


def confirm(client, location, data=None):
    """Confirm the import previewed at `location` (with the fingerprint that preview shows)."""
    page = client.get(location).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)
    confirm_url = location.replace("?", "/confirm?", 1)
    village = re.search(r"village=(\d+)", location).group(1)
    return post(
        client, confirm_url, {"village": village, "fingerprint": fingerprint, **(data or {})}
    )


def test_preview_writes_nothing_and_reports_each_bad_cell(login_as, places):
    client = login_as("cun1")
    response = _upload(client, places, ledger("messy"))
    assert response.status_code == 303
    preview = client.get(response.location).get_data(as_text=True)
    assert "表头在第 3 行" in preview
    assert "新增 <b>3</b> 人" in preview and "有错误 4 行" in preview
    assert "第8行 身份证号：身份证号校验位不对" in preview
    assert "第9行 身份证号：与第 4 行的身份证号重复" in preview
    assert "第10行 身份证号：身份证号被 Excel 存成了数字" in preview
    assert "第11行 出生日期：日期不存在：2011-02-29" in preview
    assert "请填写出生日期或身份证号" not in preview
    assert "“家里的狗”" in preview  # unknown column offered for mapping
    assert "按类别推定父母均外出务工" in preview
    assert Person.select().count() == 0  # cancelling = not confirming: nothing written


def test_confirm_imports_good_rows_in_one_go_and_offers_the_error_rows(login_as, places):
    client = login_as("cun1")
    location = _upload(client, places, ledger("messy")).location
    token = location.split("/import/")[1].split("?")[0]
    response = confirm(client, location, {"name": "台账.xlsx"})
    assert response.status_code == 303
    names = {p.name: p for p in Person.select()}
    assert set(names) == {"王小明", "李小红", "张老汉"}
    assert names["王小明"].groups == "留守儿童" and names["王小明"].grid.code == "V01-G1"
    assert names["李小红"].birth_date.isoformat() == "2012-02-29"
    assert (
        names["张老汉"].groups == "留守老人"
        and names["张老汉"].birth_date.isoformat() == "1950-03-01"
    )
    assert FamilyAway.get(FamilyAway.relation == "父亲").province == "广东省"
    assert AuditLog.select().where(AuditLog.action == "import").count() == 1
    errors = client.get(f"/import/{token}/errors.xlsx?village={places['V01'].id}")
    sheet = load_workbook(io.BytesIO(errors.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][-1] == "错误说明" and len(rows) == 2 + 4
    assert "校验位" in rows[2][-1]
    # Importing the same file again updates the people instead of adding them twice.
    location = _upload(client, places, ledger("messy")).location
    preview = client.get(location).get_data(as_text=True)
    assert "更新 <b>0</b> 人" in preview and "无变化 3 人" in preview
    assert Person.select().count() == 3


def test_unknown_column_can_be_mapped(login_as, places):
    client = login_as("cun1")
    location = _upload(client, places, ledger("messy")).location
    assert "“家里的狗”" in client.get(location).get_data(as_text=True)
    preview = client.get(location + "&map_10=notes").get_data(as_text=True)
    assert "家里的狗" not in preview


@pytest.mark.parametrize(
    "data, message",
    [
        (b"name,sex\n", "不是 Excel"),
        (b"PK\x03\x04broken", "不是 Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "已加密"),
    ],
)
def test_bad_files_get_a_clear_message(login_as, places, data, message):
    client = login_as("cun1")
    response = _upload(client, places, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Person.select().count() == 0


def test_zip_bomb_and_corrupt_workbook_are_refused():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 1024 * 1024))
    with pytest.raises(WorkbookError, match="压缩比过大"):
        read_rows(bomb.getvalue())
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("xl/workbook.xml", "not xml at all")
    with pytest.raises(WorkbookError, match="损坏"):
        read_rows(fake.getvalue())
    with pytest.raises(WorkbookError, match="超过 10 MB"):
        read_rows(b"0" * (10 * 1024 * 1024 + 1))


def test_too_many_rows():
    book = Workbook()
    for i in range(60):
        book.active.append([f"人{i}", "男"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(WorkbookError, match="超过 30 行"):
        read_rows(out.getvalue(), max_rows=30)


def test_template_has_columns_and_instructions(login_as):
    client = login_as("cun1")
    book = load_workbook(io.BytesIO(client.get("/import/template.xlsx").get_data()))
    header = [c.value for c in book["人员"][2]]
    assert header[:3] == ["姓名", "性别", "民族"] and "身份证号" in header
    assert "文本" in book["说明"]["A3"].value


def test_ledger_export_masks_for_grid_worker_and_is_audited(login_as, places):
    client = login_as("cun1")
    location = _upload(client, places, ledger("messy")).location
    confirm(client, location)
    response = client.get(f"/villages/{places['V01'].id}/ledger/留守儿童.xlsx")
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))
    assert "第1村留守儿童信息台账" in rows[0][0] and rows[1][4] == "身份证号"
    assert {r[1] for r in rows[2:]} == {"王小明", "李小红"}
    # Masked by default for every role (full IDs: tests/test_id_policy.py, with a stated purpose)
    assert "620102***********4" in [r[4] for r in rows[2:]]
    grid = login_as("grid1")
    rows = list(
        load_workbook(
            io.BytesIO(grid.get(f"/villages/{places['V01'].id}/ledger/留守儿童.xlsx").get_data())
        ).active.iter_rows(values_only=True)
    )
    assert [r[4] for r in rows[2:]] == ["620102***********4"]
    assert AuditLog.select().where(AuditLog.action == "export").count() == 2


def test_formula_cells_are_neutralised():
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("+86") == "'+86" and safe_cell("@SUM") == "'@SUM" and safe_cell("-1") == "'-1"
    assert safe_cell("王小明") == "王小明" and safe_cell(5) == 5


def test_import_command_dry_run_then_real(runner, places, tmp_path):
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(ledger("messy"))
    result = runner.invoke(args=["import-xlsx", str(path), "--village", "V01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "预览（未写入）：新增 3，更新 0，无变化 0，跳过 0，错误 4" in result.output
    assert "第8行\t错校验\t错误\t身份证号：身份证号校验位不对" in result.output
    assert Person.select().count() == 0
    result = runner.invoke(args=["import-xlsx", str(path), "--village", "V01"])
    assert "已导入：新增 3，更新 0" in result.output
    assert Person.select().count() == 3
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    result = runner.invoke(args=["import-xlsx", str(bad), "--village", "V01"])
    assert result.exit_code != 0 and "不是 Excel" in result.output


def test_clean_ledger_imports_every_row(login_as, places):
    client = login_as("cun1")
    location = _upload(client, places, ledger("clean"), "clean.xlsx").location
    preview = client.get(location).get_data(as_text=True)
    assert "表头在第 1 行" in preview and "新增 <b>4</b> 人" in preview
    assert "有错误 0 行" in preview
    confirm(client, location)
    names = {p.name: p for p in Person.select()}
    assert set(names) == {"赵子涵", "赵浩然", "孙秀英", "周海燕"}
    assert names["赵子涵"].groups == "留守儿童" and names["赵子涵"].carer_relation == "祖父"
    assert names["赵浩然"].grade == "1年级" and names["赵浩然"].grid.code == "V01-G1"
    assert names["孙秀英"].groups == "留守老人" and names["孙秀英"].grid.code == "V01-G2"
    assert names["周海燕"].ethnicity == "回族"


def test_hostile_ledger_runs_nothing_and_stores_nothing_it_should_not(login_as, places):
    client = login_as("cun1")
    location = _upload(client, places, ledger("hostile"), "hostile.xlsx").location
    preview = client.get(location).get_data(as_text=True)
    assert "新增 <b>2</b> 人" in preview and "有错误 2 行" in preview
    assert "第5行 身份证号：身份证号校验位不对" in preview
    assert "第6行 姓名：超过 64 个字（现有 73 个字）" in preview  # never cut short
    assert "第6行 家庭住址：超过 128 个字" in preview and "第6行 备注：超过 1000 个字" in preview
    assert "HYPERLINK" not in preview and "cmd|" not in preview  # formulas are never read
    confirm(client, location)
    persons = list(Person.select())
    assert len(persons) == 2 and not {"李校验", "周长长"} & {p.name[:3] for p in persons}
    assert all(len(p.name) <= 64 and len(p.notes) <= 1000 for p in persons)
    assert all("cmd" not in p.notes for p in persons)
    # Text that a spreadsheet would run as a formula goes out quoted, never as a formula.
    response = client.get(f"/villages/{places['V01'].id}/ledger/留守儿童.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert "'=1+1" in [c.value for c in cells]


def test_sample_ledgers_match_their_script():
    script = _script()
    for name in ("clean", "messy", "hostile"):
        assert script.fixed(getattr(script, name)()) == ledger(name), (
            f"run make_ledgers.py ({name})"
        )
