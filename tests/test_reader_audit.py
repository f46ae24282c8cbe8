"""What an audit of real-world intake workbooks found, under both readers (calamine and openpyxl)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from conftest import good_row, write_intake

from toolkit.intake import validate_file


@pytest.fixture(autouse=True, params=["calamine", "openpyxl"])
def engine(request, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TIC_READER", request.param)
    return request.param


def findings(report, row: int = 0) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [(f.rule, f.field) for f in report.rows[row].findings]


@pytest.mark.parametrize("error", ["#N/A", "#VALUE!", "#REF!"])
def test_an_excel_error_value_is_never_a_value(tmp_path: Path, config, error: str) -> None:  # type: ignore[no-untyped-def]
    """A VLOOKUP that failed in 研发方向 made the row eligible; #VALUE! in 中心名称 read as a bad name."""
    path = write_intake(tmp_path / "错误值.xlsx", [good_row(rd_direction=error), good_row(seq=2, sales=error)])
    report = validate_file(path, config)
    (f,) = [f for f in report.rows[0].findings if f.rule != "DATA.DUPLICATE"]  # the two rows are the same center
    assert (f.rule, f.field, f.cell) == ("DATA.TYPE", "rd_direction", "V4") and "Excel 错误值" in f.message
    assert report.rows[0].verdict.value == "ineligible"
    assert ("DATA.TYPE", "sales") in findings(report, 1)


def patch_sheet(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite the sheet XML as Excel would have saved it (openpyxl cannot write these cells)."""
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert old in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_cached_sum_with_a_float_leftover_is_the_number_excel_shows(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    """A SUM cached as 1999.9999999999998 shows 2000 in Excel: it was 'lower than 2000万元'."""
    path = write_intake(tmp_path / "合计.xlsx", [good_row(sales=2000, fixed_staff=15)])
    patch_sheet(path, b'<c r="K4" t="n"><v>2000</v>', b'<c r="K4"><f>SUM(K10:K20)</f><v>1999.9999999999998</v>')
    patch_sheet(path, b'<c r="X4" t="n"><v>15</v>', b'<c r="X4"><v>14.999999999999998</v>')
    report = validate_file(path, config)
    assert findings(report) == []
    assert report.rows[0].values["sales"] == 2000 and report.rows[0].values["fixed_staff"] == 15


def test_a_required_mark_after_the_header_is_not_part_of_it(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    path = write_intake(tmp_path / "星号.xlsx", [good_row()], headers={"lead_uscc": "依托单位统一社会\n信用代码*",
                                                                     "center_name": "拟建中心名称★："})
    report = validate_file(path, config)
    assert report.table is not None and not report.table.missing_columns
    assert findings(report) == [] and report.file_findings == []


def test_a_formula_giving_empty_text_is_computed_not_a_formula_without_value(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    """Excel saves a formula whose result is "" as t="str" with an empty <v>: computed. openpyxl writes every
    formula it never computed with an empty <v> and no type: still DATA.FORMULA."""
    path = write_intake(tmp_path / "公式.xlsx", [good_row(remarks='=IF(1=0,"x","")', equipment="=100+150")])
    patch_sheet(path, b'<c r="AM4"><f>IF(1=0,"x","")</f><v></v></c>', b'<c r="AM4" t="str"><f>IF(1=0,"x","")</f><v></v></c>')
    report = validate_file(path, config)
    assert [(rule, field) for rule, field in findings(report) if rule == "DATA.FORMULA"] == [("DATA.FORMULA", "equipment")]


@pytest.mark.parametrize(("field", "raw", "read"), [
    ("reg_date", 2021, None),  # a year only: it was 1905-07-13
    ("director_birth", 196603, None),  # a year and month: it was 2438-04-11
    ("director_birth", 1966.03, None),
    ("director_birth", 19660315, "1966-03-15"),  # yyyymmdd typed as a number
    ("director_birth", 198000, None),  # a serial after the reference date (2442): no one is born then
    ("reg_date", 44256, "2021-03-01"),  # a real serial number
])
def test_a_number_in_a_date_field_is_read_only_when_it_can_be_a_date(tmp_path: Path, config, field: str, raw: object,
                                                                  read: str | None) -> None:  # type: ignore[no-untyped-def]
    report = validate_file(write_intake(tmp_path / "日期.xlsx", [good_row(**{field: raw})]), config)
    if read is None:
        assert (("DATA.TYPE", field) in findings(report)) and field not in report.rows[0].values
    else:
        assert str(report.rows[0].values[field]) == read and ("DATA.TYPE", field) not in findings(report)


def test_a_workbook_of_the_1904_date_system_reads_its_dates_as_excel_shows_them(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    """Old Mac Excel counts dates from 1904: a serial number in a General cell (1966-05-05 is 22769 there) was
    read in the 1900 system, four years and a day early (1962-05-04: the director 63, not 59)."""
    from datetime import date, datetime

    from toolkit.intake import _validate_streamed

    serial = (date(1966, 5, 5) - date(1904, 1, 1)).days
    path = write_intake(tmp_path / "苹果电脑.xlsx", [good_row(reg_date=datetime(2024, 3, 5), director_birth=serial),
                                                   good_row(seq=2, center_name="石家庄市乙技术创新中心",
                                                            director_birth=19660315)], date1904=True)
    with zipfile.ZipFile(path) as zf:
        assert b'date1904="1"' in zf.read("xl/workbook.xml")
    report = validate_file(path, config)
    first, second = report.rows
    assert first.values["reg_date"] == date(2024, 3, 5)  # formatted as a date: the reader converts it
    assert first.values["director_birth"] == date(1966, 5, 5)
    assert ("A16.DIRECTOR-AGE", "director_birth") not in findings(report)
    assert ("A10.1.YEARS", "reg_date") in findings(report)  # 2024-03-05 is not 3 years before 2026-06-30
    assert second.values["director_birth"] == date(1966, 3, 15)  # digits typed as a number: the same in 1904
    text = b"".join(_validate_streamed(path, config, frozenset(), 1).iter_json())  # tic validate --no-copy
    assert text.count(b'"A10.1.YEARS"') == 1 and b'"A16.DIRECTOR-AGE"' not in text


def test_a_totals_row_and_the_signatures_under_the_form_are_not_applications(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    path = write_intake(tmp_path / "合计.xlsx", [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心",
                                                                     key_field="新材料")])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    ws.append(["合计", None, None, None, None, None, None, None, None, None, "=SUM(K4:K5)", "=SUM(L4:L5)"])
    ws.append(["以下空白"])
    ws.append(["填报人：张三", None, None, "审核人：李四", None, None, "联系电话：0311-86000000"])
    wb.save(path)
    report = validate_file(path, config)
    assert [r.row for r in report.rows] == [4, 5]
    assert report.table is not None and report.table.after_notes == []


def test_a_money_column_whose_header_says_yuan_is_converted_and_said(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    """上年度科技经费投入(元) = 600000 was read as 600000万元 and passed; 仪器设备原值（亿元） = 0.03 as 0.03万元."""
    path = write_intake(tmp_path / "单位.xlsx", [good_row(rd_spend=600000, equipment=0.03)],
                        headers={"rd_spend": "上年度科技经费投入(元)", "equipment": "仪器设备原值（亿元）"})
    report = validate_file(path, config)
    values = report.rows[0].values
    assert values["rd_spend"] == 60 and values["equipment"] == 300
    assert [rule for rule, _ in findings(report) if not rule.startswith("DATA.UNIT")] == ["A10.2.RD-SPEND"]
    units = [f for f in report.file_findings if f.rule == "DATA.UNIT"]
    assert [f.cell for f in units] == ["L3", "AD3"] and "单位为元" in units[0].message


def merged_district(path: Path) -> Path:
    """Three applications of 长安区 with the district written once, merged down B4:B6, and a range merged over
    two rows with nothing else in the lower one (B8:B9): the usual Chinese way of writing a table."""
    rows = [good_row(seq=i + 1, center_name=f"石家庄市丙{i}技术创新中心", key_field=k, district="长安区" if i == 0 else None)
            for i, k in enumerate(("先进装备制造", "新材料", "节能环保", "现代食品"))]
    write_intake(path, rows)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    ws.merge_cells("B4:B6")
    ws["B7"] = "桥西区"
    ws["B8"] = "裕华区"
    ws.merge_cells("B8:B9")
    wb.save(path)
    return path


def test_cells_merged_down_a_column_belong_to_every_row_of_the_range(tmp_path: Path, config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """B5 and B6 (merged into B4, showing 长安区) were read empty: '缺少县（市、区）' on cells the clerk sees filled."""
    from tests.test_bench import reference_json
    from toolkit.intake import write_reports_json

    path = merged_district(tmp_path / "合并.xlsx")
    full = validate_file(path, config)
    # row 8 holds only a district (a row of its own, as before); row 9, merged into it and otherwise empty, is none
    assert [(r.row, r.values.get("district")) for r in full.rows] == [(4, "长安区"), (5, "长安区"), (6, "长安区"),
                                                                      (7, "桥西区"), (8, "裕华区")]
    assert all(("DATA.REQUIRED", "district") not in findings(full, i) for i in range(4))
    monkeypatch.setenv("TIC_SLICE_BYTES", "1500")  # many slices: a merged range would be cut between two
    for workers in (1, 2):
        streamed = validate_file(path, config, keep_rows=False, workers=workers)
        out = tmp_path / f"s{workers}.json"
        write_reports_json([streamed], str(out))
        assert out.read_text(encoding="utf-8") == reference_json(full)
    cut = validate_file(path, config)  # read in slices too
    assert [r.values.get("district") for r in cut.rows] == ["长安区", "长安区", "长安区", "桥西区", "裕华区"]


def test_merged_cells_in_a_sheet_too_big_to_read_at_once(tmp_path: Path, config, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A sheet larger than the first reading (256 KB) is read in slices; its merged ranges, listed after the rows,
    make a second reading in one piece, so a range crossing two slices is filled too."""
    rows = [good_row(seq=i + 1, center_name=f"石家庄市丁{i}技术创新中心", lead_uscc=None, district="长安区" if i % 50 == 0
                     else None) for i in range(300)]
    path = write_intake(tmp_path / "大表.xlsx", rows)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    for top in range(4, 304, 50):
        ws.merge_cells(f"B{top}:B{top + 49}")
    wb.save(path)
    monkeypatch.setenv("TIC_SLICE_BYTES", "20000")
    full = validate_file(path, config)
    assert len(full.rows) == 300 and all(r.values.get("district") == "长安区" for r in full.rows)
    streamed = validate_file(path, config, keep_rows=False, workers=2)
    assert streamed.summary == full.summary


@pytest.mark.parametrize("count", [200, 300, 700])
def test_every_row_of_a_sheet_of_a_few_hundred_rows_is_read(tmp_path: Path, config, count: int) -> None:  # type: ignore[no-untyped-def]
    """A sheet of 512 KB to 1 MB of XML (300-800 rows of the form) comes in one read of the stream, cut into
    pieces for the header search; the stream was then done and the pieces read so far were kept as the whole
    sheet: the rows after the first ~150 were silently lost in tic validate (with its copy)."""
    rows = [good_row(seq=i + 1, center_name=f"石家庄市戊{i}技术创新中心", lead_uscc=None) for i in range(count)]
    path = write_intake(tmp_path / "数百行.xlsx", rows)
    report = validate_file(path, config)
    assert len(report.rows) == count and report.rows[-1].row == count + 3
    assert validate_file(path, config, keep_rows=False, workers=1).summary == report.summary


def test_a_header_of_two_rows_is_read_as_one(tmp_path: Path, config) -> None:  # type: ignore[no-untyped-def]
    """依托单位 over 名称 / 统一社会信用代码 / 性质, 上年度（万元） over 销售收入 / 科技经费投入, 中心主任 over 姓名 /
    出生日期 …, the other headers merged down: row 3 was read as an application and 7 columns as missing."""
    from openpyxl import Workbook

    from toolkit.adapters.schema_check import field_specs

    specs = field_specs("intake")
    keys = [s.key for s in specs]
    top = [s.header for s in specs]
    sub: list[str | None] = [None] * len(specs)
    for group, members in (("依托单位", {"lead_name": "名称", "lead_uscc": "统一社会信用代码", "lead_type": "性质"}),
                           ("上年度（万元）", {"sales": "销售收入", "rd_spend": "科技经费投入"}),
                           ("中心主任", {"director": "姓名", "director_birth": "出生日期",
                                         "director_other": "是否兼任其他平台负责人",
                                         "director_months": "每年在中心工作时间（月）"})):
        cols = [keys.index(k) for k in members]
        for n, (k, label) in enumerate(members.items()):
            top[keys.index(k)] = group if n == 0 else None
            sub[keys.index(k)] = label
        assert cols == list(range(cols[0], cols[0] + len(cols)))
    wb = Workbook()
    ws = wb.active
    ws.title = "申报汇总"
    ws.append(["2026年度石家庄市技术创新中心申报汇总表"])
    ws.append(top)
    ws.append(sub)
    ws.append([good_row().get(k) for k in keys])
    path = tmp_path / "两行表头.xlsx"
    wb.save(path)
    report = validate_file(path, config)
    assert report.table is not None and report.table.header_row == 3 and not report.table.missing_columns
    assert [r.row for r in report.rows] == [4] and findings(report) == [] and report.file_findings == []


@pytest.mark.parametrize("where", ["shared", "inline"])
def test_a_control_character_in_a_cell_is_dropped_and_every_output_is_written(tmp_path: Path, config, where: str) -> None:  # type: ignore[no-untyped-def]
    """A cell holding _x0007_ (a bell character pasted from another system): the validation copy, the submission and
    the city workbook failed with IllegalCharacterError, and tic run stopped with a traceback."""
    from toolkit.intake import annotate_report
    from toolkit.submission import collect_folder, submit_file

    name = "石家庄市甲技术创新中心"
    path = write_intake(tmp_path / "控制字符.xlsx", [good_row(center_name=name)])
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    escaped = "石家庄市甲_x0007_技术创新中心".encode()
    sheet = parts["xl/worksheets/sheet1.xml"]
    cell = re.search(rb'<c r="C4".*?</c>', sheet).group(0)
    if where == "inline":  # as openpyxl and some exporters write text
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(cell, b'<c r="C4" t="inlineStr"><is><t>' + escaped
                                                          + b"</t></is></c>")
    else:  # as Excel writes it: the text in the shared strings
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(cell, b'<c r="C4" t="s"><v>0</v></c>')
        parts["xl/sharedStrings.xml"] = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                                         b'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                                         b"<si><t>" + escaped + b"</t></si></sst>")
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                         b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/'
                                 b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, data in parts.items():
            zf.writestr(part, data)
    report = validate_file(path, config)
    assert report.rows[0].values["center_name"] == name
    annotate_report(report, target=tmp_path / "副本.xlsx")
    (tmp_path / "inbox").mkdir()
    submitted = submit_file(path, "长安区", config, tmp_path / "inbox")
    assert submitted.status == 0
    collected = collect_folder(tmp_path / "inbox", config, tmp_path / "市局汇总.xlsx")
    assert collected.summary["rows"] == 1 and (tmp_path / "市局汇总.xlsx").is_file()
