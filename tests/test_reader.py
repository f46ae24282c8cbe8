"""The reader copes with what districts really return (workbooks.md), each quirk from a workbook in tmp_path."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import good_row, write_intake
from toolkit.adapters.table import Column, normalise_header, read_table
from toolkit.core.values import ValueProblem, parse_bool, parse_date, parse_number, parse_percent
from toolkit.errors import InputFileError
from toolkit.intake import intake_columns, validate_file


@pytest.fixture(autouse=True, params=["calamine", "openpyxl"])
def engine(request, monkeypatch):  # type: ignore[no-untyped-def]
    """Every reader test runs with both engines: they must give the same rows."""
    monkeypatch.setenv("TIC_READER", request.param)
    return request.param


def test_header_found_under_merged_title_rows(tmp_path, config):
    path = write_intake(tmp_path / "a.xlsx", [good_row()], title_rows=4)
    wb = load_workbook(path)
    wb.active.merge_cells("A1:AM1")
    wb.save(path)
    report = validate_file(path, config)
    assert report.table.header_row == 5
    assert report.rows[0].row == 6
    assert report.rows[0].verdict.value == "eligible"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("上年度销售收入\n(万元)", "sales"),
        (" 上年度销售收入（万元） ", "sales"),
        ("*上年度营业收入（万元）", "sales"),
        ("★固定人员\n（人）", "fixed_staff"),
        ("上年度研发投入", "rd_spend"),
        ("所属县（市、区）", "district"),
        ("县市区", "district"),
        ("申报单位", "lead_name"),
        ("依托单位社会信用代码", "lead_uscc"),
    ],
)
def test_header_variants(written, key):
    columns = intake_columns()
    from toolkit.adapters.table import HeaderMatcher

    assert HeaderMatcher(columns).match(written) == key


def test_normalise_header_brackets_and_space():
    assert normalise_header("依托单位科研条件占比（%）") == normalise_header("依托单位科研条件占比 (%)")


def test_columns_in_any_order_and_extra_columns_kept(tmp_path, config):
    keys = list(reversed([k for k in good_row()])) + ["share_staff"]
    path = write_intake(tmp_path / "b.xlsx", [good_row()], keys=keys)
    wb = load_workbook(path)
    ws = wb.active
    ws.cell(row=3, column=ws.max_column + 1, value="区局审核意见")
    ws.cell(row=4, column=ws.max_column, value="同意")
    wb.save(path)
    report = validate_file(path, config)
    assert [f.rule for f in report.rows[0].findings] == []
    assert report.rows[0].verdict.value == "eligible"
    assert report.table.rows[0].extra == {"区局审核意见": "同意"}
    (unknown,) = [f for f in report.file_findings if "区局审核意见" in f.message]
    assert unknown.rule == "DATA.HEADER" and unknown.severity.value == "warning"


def test_blank_rows_and_notes_block_are_not_rows(tmp_path, config):
    path = write_intake(tmp_path / "c.xlsx", [good_row(), {}, {}, good_row(seq=2, center_name="石家庄市乙技术创新中心",
                                                                           key_field="新材料")])
    wb = load_workbook(path)
    ws = wb.active
    ws.append([])
    ws.append(["填表说明：1. 金额单位为万元。"])
    ws.append(["2. 日期按年-月-日填写。"])
    ws.append([None, "一行只有序号也不是数据"])
    wb.save(path)
    report = validate_file(path, config)
    assert [r.row for r in report.rows] == [4, 7]


def test_rows_with_only_a_sequence_number_are_blank(tmp_path, config):
    path = write_intake(tmp_path / "d.xlsx", [good_row(), {"seq": 2}, {"seq": 3}])
    assert [r.row for r in validate_file(path, config).rows] == [4]


def test_numbers_and_dates_as_text(tmp_path, config):
    row = good_row(sales="2,000", rd_spend="１００", fixed_staff=" 15 ", equipment="200万元", rd_space="500平方米",
                   reg_date="2021年3月5日", director_birth="1970.1.2", ip_count="3件")
    report = validate_file(write_intake(tmp_path / "e.xlsx", [row]), config)
    assert report.rows[0].findings == []
    values = report.rows[0].values
    assert values["sales"] == Decimal(2000) and values["rd_spend"] == Decimal(100)
    assert values["reg_date"].isoformat() == "2021-03-05"


@pytest.mark.parametrize(
    ("text", "iso"),
    [("2021-03-05", "2021-03-05"), ("2021/3/5", "2021-03-05"), ("2021.3.5", "2021-03-05"),
     ("2021年3月5日", "2021-03-05"), ("20210305", "2021-03-05"), (44260, "2021-03-05"),
     (datetime(2021, 3, 5), "2021-03-05")],
)
def test_date_spellings(text, iso):
    assert parse_date(text).isoformat() == iso


@pytest.mark.parametrize("bad", ["2021-02-30", "三月五日", "2021-13-01"])
def test_bad_dates(bad):
    with pytest.raises(ValueProblem):
        parse_date(bad)


@pytest.mark.parametrize(("text", "value"), [("是", True), ("√", True), ("✓", True), ("有", True), ("Y", True),
                                             ("否", False), ("×", False), ("✗", False), ("无", False), ("n", False)])
def test_yes_no_spellings(text, value):
    assert parse_bool(text) is value


@pytest.mark.parametrize(("raw", "pct"), [("60%", 60), (60, 60), (0.6, 60), ("0.6", 60), (1, 100), ("55.5%", 55.5)])
def test_percent_spellings(raw, pct):
    assert parse_percent(raw) == Decimal(str(pct))


def test_thousands_and_fullwidth_numbers():
    assert parse_number("2,000") == 2000
    assert parse_number("２０００") == 2000
    assert parse_number(" 2000 ") == 2000


def test_empty_cell_is_missing_not_no(tmp_path, config):
    report = validate_file(write_intake(tmp_path / "f.xlsx", [good_row(director_other=None)]), config)
    assert [f.rule for f in report.rows[0].findings] == ["DATA.REQUIRED"]


def test_formula_without_cached_value_is_reported_not_empty(tmp_path, config):
    path = write_intake(tmp_path / "g.xlsx", [good_row(equipment="=120+150", remarks="=1+1")])
    report = validate_file(path, config)
    found = {(f.rule, f.field, f.severity.value) for f in report.rows[0].findings}
    assert found == {("DATA.FORMULA", "equipment", "error"), ("DATA.FORMULA", "remarks", "warning")}


def test_formula_with_cached_value_is_read(tmp_path, config):
    """A formula Excel has computed carries its value in <v>: simulate by adding it to the sheet XML."""
    import zipfile

    path = write_intake(tmp_path / "h.xlsx", [good_row(equipment="=120+150")])
    src = zipfile.ZipFile(path)
    out = tmp_path / "h2.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>120+150</f><v></v>", b"<f>120+150</f><v>270</v>")
                data = data.replace(b"<f>120+150</f></c>", b"<f>120+150</f><v>270</v></c>")
            dst.writestr(item, data)
    src.close()
    report = validate_file(out, config)
    assert report.rows[0].findings == []
    assert report.rows[0].values["equipment"] == 270


def test_form_found_on_another_sheet_by_header(tmp_path, config):
    path = write_intake(tmp_path / "i.xlsx", [good_row()], sheet="Sheet3")
    wb = load_workbook(path)
    cover = wb.create_sheet("封面", 0)
    cover["A1"] = "长安区推荐材料"
    wb.save(path)
    report = validate_file(path, config)
    assert report.table.sheet == "Sheet3"
    assert report.rows[0].verdict.value == "eligible"


def test_no_sheet_with_the_form(tmp_path, config):
    wb = Workbook()
    wb.active.append(["姓名", "年龄"])
    wb.save(tmp_path / "j.xlsx")
    report = validate_file(tmp_path / "j.xlsx", config)
    assert report.status == 2 and report.rows == []
    assert report.file_findings[0].rule == "FILE.UNREADABLE"
    assert "j.xlsx" in report.file_findings[0].message
    with pytest.raises(InputFileError) as exc:
        read_table(tmp_path / "j.xlsx", [Column("a", "中心编号"), Column("b", "中心名称")])
    assert exc.value.reason == "no-form"


def test_missing_required_column_is_a_file_error(tmp_path, config):
    keys = [k for k in good_row() if k != "fixed_staff"]
    report = validate_file(write_intake(tmp_path / "k.xlsx", [good_row()], keys=keys), config)
    assert any(f.rule == "DATA.HEADER" and f.severity.value == "error" for f in report.file_findings)
    assert report.rows[0].verdict.value == "ineligible"


def test_missing_optional_column_is_fine(tmp_path, config):
    keys = [k for k in good_row() if k not in ("contact", "phone", "recommend")]
    report = validate_file(write_intake(tmp_path / "l.xlsx", [good_row()], keys=keys), config)
    assert report.file_findings == [] and report.rows[0].verdict.value == "eligible"


def test_hidden_rows_and_columns_are_read(tmp_path, config):
    path = write_intake(tmp_path / "m.xlsx", [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心",
                                                                      key_field="新材料", sales=10)])
    wb = load_workbook(path)
    wb.active.row_dimensions[5].hidden = True
    wb.active.column_dimensions["K"].hidden = True
    wb.save(path)
    report = validate_file(path, config)
    assert [r.verdict.value for r in report.rows] == ["eligible", "ineligible"]


def test_xlsm_is_read(tmp_path, config):
    path = write_intake(tmp_path / "n.xlsx", [good_row()])
    xlsm = tmp_path / "n.xlsm"
    xlsm.write_bytes(path.read_bytes())
    assert validate_file(xlsm, config).rows[0].verdict.value == "eligible"


def test_template_round_trip_and_old_version(tmp_path, config):
    from toolkit.adapters.blank import stamp_template, write_intake_template

    blank = write_intake_template(tmp_path / "blank.xlsx", config)
    wb = load_workbook(blank)
    ws = wb["申报汇总"]
    headers = {c.value.lstrip("*"): c.column for c in ws[3] if c.value}
    from toolkit.adapters.schema_check import field_specs

    for spec in field_specs("intake"):
        value = good_row().get(spec.key)
        if value is not None:
            ws.cell(row=4, column=headers[spec.header], value=value)
    wb.save(tmp_path / "filled.xlsx")
    report = validate_file(tmp_path / "filled.xlsx", config)
    assert report.table.template_version == "intake/1"
    assert [r.verdict.value for r in report.rows] == ["eligible"]
    assert report.file_findings == []
    stamp_template(wb, "intake/0")
    wb.save(tmp_path / "old.xlsx")
    old = validate_file(tmp_path / "old.xlsx", config)
    assert [f.message for f in old.file_findings if "旧版模板" in f.message]


def test_form_not_starting_at_a1_gets_the_right_cells(tmp_path, config):
    """The header in C3 with nothing above or left of it: cells are the sheet's own A1 references."""
    from openpyxl import Workbook

    from toolkit.adapters.schema_check import field_specs

    specs = field_specs("intake")
    wb = Workbook()
    ws = wb.active
    ws.title = "申报汇总"
    row = good_row(fixed_staff=10)
    for i, spec in enumerate(specs, start=3):
        ws.cell(row=3, column=i, value=spec.header)
        ws.cell(row=4, column=i, value=row.get(spec.key))
    wb.save(tmp_path / "c3.xlsx")
    report = validate_file(tmp_path / "c3.xlsx", config)
    assert report.table.header_row == 3
    (f,) = report.rows[0].findings
    col = [s.key for s in specs].index("fixed_staff") + 3
    from openpyxl.utils import get_column_letter

    assert (report.rows[0].row, f.cell) == (4, f"{get_column_letter(col)}4")


def test_a_column_twice_is_reported_and_the_first_is_read(tmp_path, config):
    path = write_intake(tmp_path / "dup.xlsx", [good_row()])
    wb = load_workbook(path)
    ws = wb.active
    col = ws.max_column + 1
    ws.cell(row=3, column=col, value="上年度销售收入（万元）")
    ws.cell(row=4, column=col, value=100)
    wb.save(path)
    report = validate_file(path, config)
    (dup,) = [f for f in report.file_findings if "出现了两次" in f.message]
    assert dup.rule == "DATA.HEADER" and dup.severity.value == "warning"
    assert report.rows[0].findings == []  # the first column (5000) is the one checked


def test_header_below_the_scanned_rows_says_where_it_looked(tmp_path, config):
    path = write_intake(tmp_path / "low.xlsx", [good_row()], title_rows=35)
    report = validate_file(path, config)
    assert report.status == 2 and "前30行" in report.file_findings[0].message
