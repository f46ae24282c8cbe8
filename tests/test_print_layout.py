"""Wide forms on paper: the district's stamped submission, the blank intake and annual forms.

Each prints a known number of pages across at a fixed scale, with the columns that name a row on every page,
and the title centred on the first page (under "fit to N pages wide" Excel ignores page breaks, so where the
first page ends, and with it the title, would be left to chance)."""

from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
import pytest
from conftest import good_row, write_intake
from openpyxl.styles import Font

from toolkit.adapters.blank import write_intake_template
from toolkit.adapters.ledger_workbook import write_annual_template
from toolkit.adapters.schema_check import field_specs
from toolkit.adapters.xlstyle import (
    _USABLE,
    MM_PER_WIDTH,
    PAPER_WIDTH_MM,
    SIDE_MARGIN_IN,
    plan_page_columns,
    print_wide,
    text_mm,
)
from toolkit.submission import submit_file

INTAKE_WIDTHS = [s.width for s in field_specs("intake")]


def page_mm(widths, repeat, first, last, scale):  # type: ignore[no-untyped-def]
    """Printed width of one page: the repeated columns and columns ``first..last`` (1-based), at ``scale``."""
    return (sum(widths[:repeat]) + sum(widths[first - 1:last])) * MM_PER_WIDTH * scale / 100


def usable(paper):  # type: ignore[no-untyped-def]
    return (PAPER_WIDTH_MM[paper] - 2 * 25.4 * SIDE_MARGIN_IN) * _USABLE


@pytest.mark.parametrize(("widths", "repeat", "pages", "paper"), [
    (INTAKE_WIDTHS, 3, 3, "A3"),
    (INTAKE_WIDTHS + [14, 50], 3, 3, "A3"),
    ([6, 17, 34] + [13] * 15 + [24], 3, 2, "A4"),
    ([10] * 80, 1, 2, "A4"),  # needs a small scale
    ([8, 400, 8], 1, 3, "A4"),  # one column wider than a page at 100 %
])
def test_every_page_fits_the_paper_and_the_scale_is_the_largest_that_does(widths, repeat, pages, paper):  # type: ignore[no-untyped-def]
    plan = plan_page_columns(widths, repeat=repeat, pages_wide=pages, paper=paper)
    assert len(plan.lasts) <= pages
    assert list(plan.lasts) == sorted(set(plan.lasts)) and plan.lasts[-1] == len(widths)
    starts = [repeat + 1, *(last + 1 for last in plan.lasts[:-1])]
    for first, last in zip(starts, plan.lasts, strict=True):
        assert first <= last
        assert page_mm(widths, repeat, first, last, plan.scale) <= usable(paper)
    if plan.scale < 100:  # one percent larger would need another page (or not fit at all)
        room = usable(paper) * 100 / (plan.scale + 1) - sum(widths[:repeat]) * MM_PER_WIDTH
        used, count = 0.0, 1
        for w in widths[repeat:]:
            mm = w * MM_PER_WIDTH
            if used and used + mm > room:
                count, used = count + 1, 0.0
            used += mm
        assert count > pages or max(widths[repeat:]) * MM_PER_WIDTH > room


def test_blank_intake_prints_three_pages_across_with_the_title_on_the_first(tmp_path):  # type: ignore[no-untyped-def]
    path = write_intake_template(tmp_path / "blank.xlsx")
    ws = openpyxl.load_workbook(path)["申报汇总"]
    plan = plan_page_columns(INTAKE_WIDTHS, repeat=3, pages_wide=3)
    assert len(plan.lasts) == 3 and 50 <= plan.scale <= 100
    assert ws.page_setup.scale == plan.scale and not ws.sheet_properties.pageSetUpPr.fitToPage
    assert [b.id for b in ws.col_breaks.brk] == list(plan.lasts[:-1])
    assert ws.print_title_cols == "$A:$C" and ws.print_title_rows == "$3:$3"
    assert int(ws.page_setup.paperSize) == 8 and ws.page_setup.orientation == "landscape"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    title = [str(r) for r in ws.merged_cells.ranges if r.min_row == 1]
    last = openpyxl.utils.get_column_letter(plan.first_page_last)
    assert title == [f"A1:{last}1"] and "申报汇总表" in ws["A1"].value
    # the stamp line: its label in the repeated columns (on every page, whole), the rest on the first page
    assert ws["A2"].value == "推荐单位（盖章）：" and "填报日期" in ws["D2"].value
    assert not [r for r in ws.merged_cells.ranges if r.min_row == 2]


def test_annual_title_is_centred_over_its_own_columns_when_it_would_reach_the_repeated_ones(tmp_path):  # type: ignore[no-untyped-def]
    path = write_annual_template(tmp_path / "annual.xlsx")
    ws = openpyxl.load_workbook(path).active
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, ws.max_column + 1)]
    plan = plan_page_columns(widths, repeat=3, pages_wide=2, paper="A4")
    assert int(ws.page_setup.paperSize) == 9 and [b.id for b in ws.col_breaks.brk] == list(plan.lasts[:-1])
    (merged,) = [r for r in ws.merged_cells.ranges if r.min_row == 1]
    title = ws.cell(row=1, column=merged.min_col).value
    assert "年度报告汇总表" in title and merged.max_col == plan.first_page_last
    page = sum(widths[: plan.first_page_last]) * MM_PER_WIDTH
    centred_left = (page - text_mm(title, 16)) / 2
    repeated = sum(widths[:3]) * MM_PER_WIDTH
    # centred over the whole first page it would begin inside 序号/中心编号/中心名称, which print on page 2 too
    assert centred_left < repeated
    assert merged.min_col == 4


def test_submission_prints_as_a_stamped_form_and_rows_grow_for_their_problems(tmp_path, config):  # type: ignore[no-untyped-def]
    long = "石家庄市" + "很长的名称" * 30 + "技术创新中心"
    src = write_intake(tmp_path / "长安区.xlsx", [good_row(), good_row(seq=2, center_name=long, sales=1500, rd_spend=50,
                                                                        ip_count=0)])
    target = submit_file(src, "长安区", config, tmp_path / "inbox", allow_errors=True).target
    ws = openpyxl.load_workbook(target).active
    widths = INTAKE_WIDTHS + [14, 50]
    plan = plan_page_columns(widths, repeat=3, pages_wide=3)
    assert ws.page_setup.scale == plan.scale and [b.id for b in ws.col_breaks.brk] == list(plan.lasts[:-1])
    assert ws.print_title_cols == "$A:$C" and ws.print_title_rows == "$3:$3"
    (merged,) = [r for r in ws.merged_cells.ranges if r.min_row == 1]
    assert merged.max_col == plan.first_page_last and "长安区报送" in ws.cell(row=1, column=merged.min_col).value
    assert ws["A2"].value == "推荐单位（盖章）：长安区" and "基准日期" in ws["D2"].value
    problems = ws.cell(row=5, column=len(widths)).value
    assert problems and problems.count("；") >= 2
    assert ws.row_dimensions[5].height >= 13.5 * 3  # three findings or more: at least three lines of 50 characters
    assert ws.row_dimensions[4].height is None or ws.row_dimensions[4].height < ws.row_dimensions[5].height


def _carlito() -> bool:
    """LibreOffice lays columns out with the workbook's font (Calibri): Carlito has its metrics."""
    if shutil.which("fc-match") is None:
        return False
    out = subprocess.run(["fc-match", "Calibri"], capture_output=True, text=True).stdout
    return "Carlito" in out or "Calibri" in out


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None or not _carlito(),
                    reason="LibreOffice, pdftotext and a Calibri-metric font (fonts-crosextra-carlito) are needed")
@pytest.mark.parametrize(("widths", "repeat", "pages", "paper"), [
    (INTAKE_WIDTHS, 3, 3, "A3"),
    ([6, 17, 34] + [13] * 15 + [24], 3, 2, "A4"),
])
def test_libreoffice_prints_each_page_as_planned(tmp_path, widths, repeat, pages, paper):  # type: ignore[no-untyped-def]
    """The planned pages on paper: a sheet of the form's column widths whose headers are short codes (the
    form's own headers wrap, and pdftotext mixes their lines): each page holds the repeated columns and its
    own, whole, and the title is on the first page."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = w
        ws.cell(row=3, column=i, value=f"Q{i:02d}")
        ws.cell(row=4, column=i, value=i)
    plan = print_wide(ws, widths, header_row=3, repeat=repeat, pages_wide=pages, paper=paper,
                      title="2026年度石家庄市技术创新中心申报汇总表", title_font=Font(name="黑体", size=16, bold=True))
    wb.save(tmp_path / "wide.xlsx")
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "wide.xlsx")],
                   capture_output=True, check=True, timeout=180)
    pdf = tmp_path / "wide.pdf"
    starts = [repeat + 1, *(last + 1 for last in plan.lasts[:-1])]
    for n, (first, last) in enumerate(zip(starts, plan.lasts, strict=True), start=1):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                              check=True).stdout.decode()
        codes = {int(code) for code in re.findall(r"Q(\d\d)", text)}
        assert codes == set(range(1, repeat + 1)) | set(range(first, last + 1)), n
        assert f"第 {n} 页" in text
    beyond = subprocess.run(["pdftotext", "-f", str(len(plan.lasts) + 1), str(pdf), "-"], capture_output=True).stdout
    assert not beyond.strip()  # no further page


def test_the_blanks_keep_every_code_column_as_text_and_let_a_credit_per_co_builder_be_typed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """18 digits typed into a General cell keep 15 (911301007216800003 → 911301007216800000): the co-builders' codes
    (intake column N) and the ledger's codes were General; the co-builders' credit list refused 无不良记录；有不良记录,
    which workbooks.md allows; the annual blank's note on 报送日期 sat on 报告年度."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    from toolkit.adapters.ledger_workbook import write_ledger_template
    from toolkit.resources import load_schema

    specs = field_specs("intake")
    wb = load_workbook(write_intake_template(tmp_path / "申报.xlsx"))
    ws = wb[load_schema("intake")["x-form"]["sheet"]]
    header = next(r for r in range(1, 6) if ws.cell(row=r, column=1).value == specs[0].header)
    col = {spec.key: i for i, spec in enumerate(specs, start=1)}  # the form's columns, in its order
    for spec in specs:
        if spec.type in ("uscc", "uscc_list", "phone"):
            assert ws.cell(row=header + 1, column=col[spec.key]).number_format == "@", spec.header
    letter = get_column_letter(col["partner_credit"])
    (dv,) = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}{header + 1}")]
    assert dv.type == "list" and not dv.showErrorMessage and "；" in dv.prompt
    ledger = load_workbook(write_ledger_template(tmp_path / "台账.xlsx"))["中心"]
    heads = {c.value: c.column_letter for c in ledger[1]}
    for name in ("中心编号", "依托单位统一社会信用代码", "共建单位统一社会信用代码"):
        assert ledger.column_dimensions[heads[name]].number_format == "@", name
    annual = load_workbook(write_annual_template(tmp_path / "年报.xlsx"))["年度报告汇总"]
    (noted,) = [c for c in annual[2] if c.comment is not None]
    assert noted.value == "报送日期" and "前报送" in noted.comment.text


def test_the_blank_prompts_state_the_thresholds_the_validation_checks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The prompts were literal text beside the schema's thresholds (a changed threshold or the configured number of
    patents left the blank saying the old one); they are filled from the schema with the cycle's config."""
    from datetime import date

    from openpyxl import load_workbook

    from toolkit.adapters.blank import rule_limits
    from toolkit.adapters.schema_check import form_schema
    from toolkit.core.config import config_from_dict

    config = config_from_dict({"cycle": {"year": 2026, "reference_date": date(2026, 3, 31)},
                               "intake": {"min_ip": 3}})
    limits = rule_limits(form_schema("intake", config))
    assert limits["A10.3.IP"] == 3 and limits["A10.2.SALES"] == 2000 and limits["A16.DIRECTOR-AGE"] == 60
    wb = load_workbook(write_intake_template(tmp_path / "申报.xlsx", config))
    notes = {r[0]: r[1] for r in wb["填表说明"].iter_rows(values_only=True) if r[0]}
    assert "不少于3件" in notes["自主知识产权数"] and "2000万元以上" in notes["上年度销售收入"]
    assert not any("{" in str(v) for v in notes.values())
    prompts = [dv.prompt for dv in wb["申报汇总"].data_validations.dataValidation if dv.prompt]
    assert any("不少于15人" in p for p in prompts) and not any("{" in p for p in prompts)
