"""Fast cell styling for big workbooks written with openpyxl."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass

from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter


class FastStyle:
    """Sets cell styles by index: openpyxl hashes the style object on every assignment (60 % of the time of
    annotating 10,000 rows); here each distinct style is added to the workbook once and cells get its id."""

    _SLOTS = {"font": ("_fonts", "fontId"), "fill": ("_fills", "fillId"), "border": ("_borders", "borderId"),
              "alignment": ("_alignments", "alignmentId")}

    def __init__(self, wb) -> None:  # type: ignore[no-untyped-def]
        self.wb = wb
        self.ids: dict[tuple[str, int], int] = {}
        self.keep: list[object] = []  # the style objects stay alive, so id() stays unique

    def __call__(self, cell, **styles: object) -> None:  # type: ignore[no-untyped-def]
        st = copy(cell._style) if cell._style else StyleArray()
        for name, value in styles.items():
            if value is None:
                continue
            collection, key = self._SLOTS[name]
            cached = self.ids.get((name, id(value)))
            if cached is None:
                cached = getattr(self.wb, collection).add(value)
                self.ids[(name, id(value))] = cached
                self.keep.append(value)
            setattr(st, key, cached)
        cell._style = st


TOP = Alignment(vertical="top")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")  # a text that would be cut off on paper wraps (rows grown for it)


def literal(cell, value: object):  # type: ignore[no-untyped-def]
    """Put a value from a user's workbook into ``cell`` as data, never as a formula.

    openpyxl turns any text starting with "=" into a formula, so a company name such as
    ``=cmd|' /C calc'!A0`` copied from a district's workbook would become a live formula in
    a workbook we hand to the bureau. Such text is stored as plain text instead.
    """
    if isinstance(value, float) and not math.isfinite(value):  # 1e309 or NaN in the source: openpyxl writes an
        value = repr(value)  # empty <v>, and the value was lost (a stamped row then read as changed); kept as text
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def defuse_formulas(wb) -> int:  # type: ignore[no-untyped-def]
    """Turn every formula of a workbook we build from user data into plain text (see :func:`literal`).

    For workbooks that carry no formula of our own (results, exports, manifests); returns how many were found.
    """
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    found += 1
    return found


def print_fit(ws, header_row: int | None = 1, pages_wide: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Print setup for a list: A4 landscape, ``pages_wide`` pages across and as many down as it needs, the
    header row repeated on every page (without it a wide sheet prints two or three columns a page)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"



def text_units(text: str) -> float:
    """Width of a text in Excel column-width units (a CJK character of 10-point 宋体 is about two)."""
    return sum(1.95 if unicodedata.east_asian_width(ch) in "WF" else 1.05 for ch in text)


_WORD = re.compile(r"[!-~]+")  # a run of ASCII that a line never breaks inside (a code, a number, a date)


def wrapped_lines(text: str, width: float) -> int:
    """The lines ``text`` takes, wrapped in a column ``width`` characters wide: Chinese breaks between any two
    characters, a run of ASCII moves to the next line whole, so a line may end short by up to the longest run."""
    usable = max(width - 1.0, 1.0)
    lines = 0
    for part in text.split("\n"):
        units = text_units(part)
        if units > usable:
            longest = max((len(m) for m in _WORD.findall(part)), default=0) * 1.05
            lines += math.ceil(units / max(usable - min(longest, usable / 2), 1.0))
        else:
            lines += 1
    return lines


def fit_row_height(ws, row: int, texts: Iterable[tuple[object, float]], *, line: float = 13.5,  # type: ignore[no-untyped-def]
                   minimum: float = 17) -> None:
    """Set the height of ``row`` for its wrapped texts, given as (value, column width): Excel, WPS and
    LibreOffice do not grow a row for text a program wrote, so a longer text would be cut off on screen
    and on paper."""
    lines = max((wrapped_lines(v, w) for v, w in texts if isinstance(v, str)), default=1)
    ws.row_dimensions[row].height = max(minimum, line * lines + 4)

# ------------------------------------------------------------------------------------------ wide forms on paper

PAPER_WIDTH_MM = {"A3": 420.0, "A4": 297.0}  # landscape: the long side across
SIDE_MARGIN_IN = 0.4
MM_PER_WIDTH = 1.96
"""Printed millimetres of one character of column width at 100 %: measured in LibreOffice's PDF (1.958 for
widths 6, 13 and 34); Excel's 7 pixels a character (Calibri 11, 96 dpi) is 1.85, so pages fit in both."""
_USABLE = 0.96  # cell borders, rounding, the printer's own margins


@dataclass(frozen=True)
class PageColumns:
    """How a wide sheet prints: at ``scale`` %, the columns ``1..repeat`` on every page, and each page's other
    columns ending at the numbers in ``lasts`` (1-based; the last page ends at the last column)."""

    scale: int
    repeat: int
    lasts: tuple[int, ...]

    @property
    def first_page_last(self) -> int:
        """The last column of the first page."""
        return self.lasts[0]


def plan_page_columns(widths: Sequence[float], *, repeat: int, pages_wide: int, paper: str = "A3") -> PageColumns:
    """The largest whole-percent scale (at most 100 %) at which ``widths`` (characters, from column A) print
    ``pages_wide`` pages across with the first ``repeat`` columns on every page, and where each page ends.
    Excel ignores manual page breaks under "fit to N pages wide", so the scale is fixed and the breaks set."""
    if not widths:
        return PageColumns(100, 0, (0,))
    mm = [max(w, 0.0) * MM_PER_WIDTH for w in widths]
    repeat = min(max(repeat, 0), len(mm) - 1)
    repeated = sum(mm[:repeat])
    usable = (PAPER_WIDTH_MM[paper] - 2 * 25.4 * SIDE_MARGIN_IN) * _USABLE
    for scale in range(100, 9, -1):
        lasts = _fill_pages(mm, repeat, usable * 100 / scale - repeated)
        if lasts is not None and len(lasts) <= pages_wide:
            return PageColumns(scale, repeat, lasts)
    # not even at 10 %: as many pages across as it takes (None only if a page has no room beside the repeated)
    lasts = _fill_pages(mm, repeat, usable * 10 - repeated) or tuple(range(repeat + 1, len(mm) + 1))
    return PageColumns(10, repeat, lasts)


def _fill_pages(mm: Sequence[float], repeat: int, room: float) -> tuple[int, ...] | None:
    """Each page's last column, filling pages in order; None when one column alone is wider than a page."""
    lasts: list[int] = []
    used = 0.0
    for i in range(repeat, len(mm)):
        if mm[i] > room:
            return None
        if used and used + mm[i] > room:
            lasts.append(i)  # the previous column (1-based i) ends the page
            used = 0.0
        used += mm[i]
    lasts.append(len(mm))
    return tuple(lasts)


def text_mm(text: str, size_pt: float) -> float:
    """The printed width of ``text`` in a font of ``size_pt`` (a CJK character is square, others about half)."""
    ems = sum(1.0 if ord(ch) >= 0x2E80 else 0.55 for ch in text)
    return ems * size_pt * 25.4 / 72


def print_wide(ws, widths: Sequence[float], *, header_row: int, repeat: int, pages_wide: int,  # type: ignore[no-untyped-def]
               paper: str = "A3", title: str | None = None, title_font=None) -> PageColumns:
    """Print setup for a wide form: landscape, a fixed scale with a page break after each page's last column,
    the header row and the first ``repeat`` columns (what names a row) on every page, 第 N 页，共 M 页 at the
    foot. ``title`` goes in row 1, merged and centred over the first page; over its own columns only when,
    centred over the whole page, it would reach into the repeated columns (which print again on every page,
    and would show a piece of it there)."""
    from openpyxl.worksheet.pagebreak import Break

    plan = plan_page_columns(widths, repeat=repeat, pages_wide=pages_wide, paper=paper)
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = plan.scale
    ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN_IN
    for last in plan.lasts[:-1]:
        ws.col_breaks.append(Break(id=last, max=1048575, man=True))
    ws.print_title_rows = f"{header_row}:{header_row}"
    if plan.repeat:
        ws.print_title_cols = f"A:{get_column_letter(plan.repeat)}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if title is not None:
        first = 1
        if plan.repeat:
            page = sum(widths[: plan.first_page_last]) * MM_PER_WIDTH
            own = page - sum(widths[: plan.repeat]) * MM_PER_WIDTH
            wide = text_mm(title, title_font.sz if title_font is not None and title_font.sz else 11)
            if (page - wide) / 2 < page - own and own >= wide:
                first = plan.repeat + 1
        ws.merge_cells(start_row=1, start_column=first, end_row=1, end_column=max(first, plan.first_page_last))
        cell = ws.cell(row=1, column=first, value=title)
        if title_font is not None:
            cell.font = title_font
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[1].height = 30
    return plan
