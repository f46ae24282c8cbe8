"""The annotated copy of a checked workbook: ``<name>.校验结果.xlsx`` (the input is never touched).

The clerk's own sheets keep their content and formatting (and an .xlsm its
macros); each cell at fault is filled (error red, warning yellow) and carries a
comment with the message and the article; a verdict column is added after the
form's last column; a 校验结果 sheet lists every finding with a link to its cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from toolkit.adapters.atomic import write_with
from toolkit.adapters.safety import open_workbook
from toolkit.adapters.xlstyle import TOP, WRAP_TOP, FastStyle, literal
from toolkit.core.findings import SEVERITY_ZH, Finding, Severity, Verdict
from toolkit.errors import OutputError

RED = PatternFill("solid", fgColor="FFC7CE")
YELLOW = PatternFill("solid", fgColor="FFEB9C")
GREEN = PatternFill("solid", fgColor="C6EFCE")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF", name="宋体", size=11)
BODY_FONT = Font(name="宋体", size=10)
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
VERDICT_FILL = {Verdict.ELIGIBLE: GREEN, Verdict.REVIEW: YELLOW, Verdict.INELIGIBLE: RED}
AUTHOR = "tic 校验"
CENTER = Alignment(horizontal="center", vertical="center")
LINK_FONT = Font(name="宋体", size=10, color="0563C1", underline="single")


@dataclass
class AnnotatedRow:
    row: int
    verdict: Verdict
    findings: Sequence[Finding]
    label: str = ""  # e.g. the center name, shown in the findings list


MAX_NAME_CHARS = 100
"""Longest name of a copy: Windows paths on a share stay under 260 characters, Linux names under 255 bytes."""


def annotated_name(source: Path, suffix: str = "校验结果") -> str:
    """``长安区.xlsx`` → ``长安区.校验结果.xlsx`` (an .xlsm keeps its extension and macros). A very long name is
    shortened, with six characters of its digest so that two long names stay apart."""
    import hashlib

    ext = ".xlsm" if source.suffix.lower() == ".xlsm" else ".xlsx"
    stem = source.stem
    name = f"{stem}.{suffix}{ext}"
    if len(name) <= MAX_NAME_CHARS and len(name.encode("utf-8")) <= 240:
        return name
    digest = hashlib.sha256(stem.encode("utf-8")).hexdigest()[:6]
    keep = stem
    while keep and (len(f"{keep}-{digest}.{suffix}{ext}") > MAX_NAME_CHARS
                    or len(f"{keep}-{digest}.{suffix}{ext}".encode()) > 240):
        keep = keep[:-1]
    return f"{keep}-{digest}.{suffix}{ext}"


class _MergedAnchors:
    """The cell that carries a reference's fill and comment: itself, or the top-left cell of the merged range it
    lies in (the other cells of a range take neither; openpyxl refuses a comment on them)."""

    def __init__(self, ws) -> None:  # type: ignore[no-untyped-def]
        self.ws = ws
        self.ranges: dict[tuple[int, int], tuple[int, int]] | None = None

    def __call__(self, ref: str):  # type: ignore[no-untyped-def]
        cell = self.ws[ref]
        if not isinstance(cell, MergedCell):
            return cell
        if self.ranges is None:
            self.ranges = {}
            for rng in self.ws.merged_cells.ranges:
                for row in range(rng.min_row, rng.max_row + 1):
                    for col in range(rng.min_col, rng.max_col + 1):
                        self.ranges[(row, col)] = (rng.min_row, rng.min_col)
        row, col = self.ranges.get((cell.row, cell.column), (cell.row, cell.column))
        return self.ws.cell(row=row, column=col)


def _comment(cell, text: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """Our comment on ``cell``, after the clerk's own when it has one (never replacing it)."""
    mine = cell.comment
    if mine is not None and mine.text:  # the clerk's, or ours for another cell of the same merged range
        joint = "\n" if mine.author == AUTHOR else "\n——\n"
        text = f"{mine.text}{joint}{text}"
    comment = Comment(text, AUTHOR)
    comment.width, comment.height = 320, min(60 + 40 * count + (80 if mine is not None else 0), 480)
    cell.comment = comment


def _comment_text(findings: Sequence[Finding]) -> str:
    return "\n".join(f"【{SEVERITY_ZH[f.severity]}】{f.sentence()}" for f in findings)


COPY_LIMIT = 64 * 1024**2
"""Most sheet XML (uncompressed) a validation copy is made of: openpyxl holds every cell of the workbook, ~20
times its XML (214 MB of empty formatted rows took 4.5 GB). A real 申报汇总表 of 10,000 rows has ~10 MB."""


def _refuse_too_big(source: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(source) as zf:
            size = sum(i.file_size for i in zf.infolist() if "worksheets/" in i.filename.lower())
    except (OSError, zipfile.BadZipFile):
        return  # opening it says what is wrong
    if size > COPY_LIMIT:
        raise OutputError(f"“{source.name}”的工作表解压后约 {size // 1024**2} MB（常见原因：大量空白但设置了格式的行），"
                          "太大，未生成校验结果副本；校验结论以屏幕和 JSON 为准（大文件可加 --no-copy 只做校验），"
                          "或在 Excel 中删除多余的空行后重新校验。")


def write_annotated(
    source: Path,
    target: Path,
    *,
    sheet: str,
    header_row: int,
    rows: Sequence[AnnotatedRow],
    file_findings: Sequence[Finding] = (),
    summary_lines: Sequence[str] = (),
    list_sheet: str = "校验结果",
) -> Path:
    """Write the annotated copy of ``source`` to ``target`` atomically and return ``target``."""
    _refuse_too_big(source)
    keep_vba = source.suffix.lower() == ".xlsm"
    wb = open_workbook(source, read_only=False, keep_vba=keep_vba, data_only=False)
    style = FastStyle(wb)
    ws = wb[sheet]
    # after every column the clerk used (a note typed right of the form keeps its place), not only the headers
    last_col = 1
    for values in ws.iter_rows(values_only=True):
        for col in range(len(values), last_col, -1):
            if values[col - 1] not in (None, ""):
                last_col = col
                break
    vcol = last_col + 1
    anchor = _MergedAnchors(ws)
    red: set[str] = set()  # cells marked red: a warning for another cell of the same merged range keeps them red

    def mark(cell, error: bool) -> None:  # type: ignore[no-untyped-def]
        if error:
            red.add(cell.coordinate)
        style(cell, fill=RED if error or cell.coordinate in red else YELLOW)
    scol = last_col + 2
    for col, title, width in ((vcol, "校验结论", 10), (scol, "校验问题", 60)):
        c = ws.cell(row=header_row, column=col, value=title)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = BOX
        ws.column_dimensions[get_column_letter(col)].width = width

    for r in rows:
        by_cell: dict[str, list[Finding]] = {}
        for f in r.findings:
            if f.cell:
                by_cell.setdefault(f.cell, []).append(f)
        for ref, fs in by_cell.items():
            cell = anchor(ref)
            mark(cell, any(f.severity is Severity.ERROR for f in fs))
            _comment(cell, _comment_text(fs), len(fs))
        v = ws.cell(row=r.row, column=vcol, value=r.verdict.zh)
        style(v, fill=VERDICT_FILL[r.verdict], alignment=CENTER, border=BOX)
        text = "；".join(f.message for f in r.findings if f.severity is not Severity.INFO)
        s = ws.cell(row=r.row, column=scol, value=text or None)
        style(s, alignment=WRAP_TOP, font=BODY_FONT, border=BOX)
    for f in file_findings:
        if f.cell and f.sheet == sheet:
            cell = anchor(f.cell)
            mark(cell, f.severity is Severity.ERROR)
            _comment(cell, _comment_text([f]), 1)

    _findings_sheet(wb, list_sheet, sheet, rows, file_findings, summary_lines, style)
    write_with(target, wb.save)
    wb.close()
    return target


def _findings_sheet(wb, title, sheet, rows, file_findings, summary_lines, style) -> None:  # type: ignore[no-untyped-def]
    if title in wb.sheetnames:
        title = f"{title}_tic"
    ls = wb.create_sheet(title, 0)
    ls.sheet_properties.tabColor = "C00000"
    line = 1
    for text in summary_lines:
        c = ls.cell(row=line, column=1, value=text)
        c.font = Font(name="宋体", size=12 if line == 1 else 10, bold=line == 1)
        line += 1
    line += 1 if summary_lines else 0
    headers = ["行号", "单元格", "中心名称", "结论", "级别", "规则", "条款", "问题说明"]
    widths = [7, 9, 34, 9, 7, 20, 22, 70]
    for i, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        c = ls.cell(row=line, column=i, value=h)
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BOX
        c.alignment = Alignment(horizontal="center", vertical="center")
        ls.column_dimensions[get_column_letter(i)].width = w
    ls.freeze_panes = ls.cell(row=line + 1, column=1)
    first = line
    line += 1

    def put(row_no, ref, label, verdict, f: Finding) -> None:  # type: ignore[no-untyped-def]
        nonlocal line
        values = [row_no, ref, label, verdict, SEVERITY_ZH[f.severity], f.rule, f.article or "", f.message]
        for i, v in enumerate(values, start=1):
            c = literal(ls.cell(row=line, column=i), v)
            style(c, font=BODY_FONT, border=BOX, alignment=WRAP_TOP if i in (3, 7, 8) else TOP)
        if ref:
            link = ls.cell(row=line, column=2)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!{ref}", display=ref)
            style(link, font=LINK_FONT)
        longest = max(len(f.message) / 34, len(label or "") / 16, len(f.article or "") / 10, 1)
        ls.row_dimensions[line].height = 14 * min(int(longest + 0.999), 6)
        sev = ls.cell(row=line, column=5)
        style(sev, fill=RED if f.severity is Severity.ERROR else YELLOW if f.severity is Severity.WARNING else GREEN)
        line += 1

    for f in file_findings:
        put(None, f.cell, "（整个文件）", "", f)
    for r in rows:
        for f in r.findings:
            put(r.row, f.cell, r.label, r.verdict.zh, f)
    if line > first + 1:
        ls.auto_filter.ref = f"A{first}:H{line - 1}"
    ls.page_setup.orientation = "landscape"
    ls.page_setup.paperSize = ls.PAPERSIZE_A4
    ls.page_setup.fitToWidth = 1
    ls.page_setup.fitToHeight = 0
    ls.sheet_properties.pageSetUpPr.fitToPage = True
    ls.print_title_rows = f"{first}:{first}"
