"""Read one form (a table with a header row) out of a real-world workbook.

Copes with what districts actually return (workbooks.md): title rows above the
header, headers with line breaks / spaces / either width of brackets / a
leading ``*`` or ``★``, aliases, columns in any order, extra columns, blank
rows, a 填表说明 notes block at the bottom, formulas that were never computed,
several sheets. Rows are reported with their Excel row number and A1 cells.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import add, itemgetter
from pathlib import Path
from typing import Any

from toolkit.adapters.safety import open_workbook, reading_errors, sheet_xml_members
from toolkit.core.values import clean_text, date_1904, is_blank, nfkc
from toolkit.errors import InputFileError


def get_column_letter(col: int) -> str:
    """The letters of a 1-based column index (1 -> A, 27 -> AA, 16384 -> XFD), as openpyxl's function of
    the same name gives them; here so that the calamine path does without importing openpyxl (~80 ms)."""
    if not 1 <= col <= 18278:
        raise ValueError(f"Invalid column index {col}")
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


HEADER_SCAN_ROWS = 30
TEMPLATE_NAME = "TIC_TEMPLATE"
# Columns the toolkit itself adds to workbooks it writes: never reported as unknown.
OWN_HEADERS = frozenset({"校验结论", "校验问题", "区县校验结论", "区县校验问题", "市局校验结论", "报送标记状态",
                         "来源文件", "来源行号", "问题说明"})
_NOTES = re.compile(r"^(填表说明|填报说明|说明|注|备注|附注|以下空白|以下无内容|以下无|填报人|填表人|制表人|审核人|负责人|"
                    r"经办人)\s*[:：]?")
"""What begins the notes block or the footer under the form: no row after it is a row of the form."""
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计)\s*[:：]?")
"""A totals row (its first cell 合计/总计/小计, SUMs after it): not an application."""


@dataclass(frozen=True)
class Column:
    """One expected column of a form."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    money: bool = False  # 万元: a header in 元 or 亿元 converts the column (see RowLayout.units)
    date: bool = False  # a date: its serial numbers are counted in the workbook's date system (RowLayout.dates1904)


@dataclass
class RawRow:
    row: int
    values: dict[str, Any]
    cells: Mapping[str, str]  # key -> A1 reference (a :class:`Cells`, or a dict)
    formula_missing: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Table:
    path: Path
    sheet: str
    header_row: int
    columns: dict[str, int]
    missing_columns: list[Column]
    unknown_headers: list[tuple[str, str]]
    rows: list[RawRow]
    template_version: str | None = None
    sheet_names: list[str] = field(default_factory=list)
    # a column header that appears twice: (the second one's cell, header, the cell of the column that is read)
    duplicate_headers: list[tuple[str, str, str]] = field(default_factory=list)
    # rows below the 填表说明 block that look like applications: not read, reported (see RowLayout.build)
    after_notes: list[int] = field(default_factory=list)
    other_form_sheets: list[str] = field(default_factory=list)  # other sheets with the form's header: not read
    # money columns whose header names another unit than 万元: (header cell, header, unit); converted, reported
    unit_headers: list[tuple[str, str, str]] = field(default_factory=list)

    def cell_ref(self, key: str, row: int) -> str:
        return f"{get_column_letter(self.columns[key])}{row}"

    @property
    def header_cells(self) -> dict[str, str]:
        return {key: f"{get_column_letter(col)}{self.header_row}" for key, col in self.columns.items()}


def normalise_header(text: object) -> str:
    """Header text for matching: NFKC (brackets to one width), no white space, no leading */★."""
    s = nfkc(str(text or ""))
    s = re.sub(r"\s+", "", s)
    s = s.strip("*★☆※")  # a required mark before or after the header ("信用代码*")
    s = s.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    return s.rstrip("：:").rstrip("*★☆※")


_HEADER_UNIT = re.compile(r"\(([^()]*)\)$")


def _base(text: str) -> str:
    """A normalised header without a trailing unit in brackets ("上年度销售收入(万元)" → "上年度销售收入")."""
    return _HEADER_UNIT.sub("", text)


class HeaderMatcher:
    """Maps header texts to column keys: exact normalised match first, then without the trailing unit."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.exact: dict[str, str] = {}
        self.base: dict[str, set[str]] = {}
        for col in columns:
            for name in (col.header, *col.aliases):
                norm = normalise_header(name)
                self.exact.setdefault(norm, col.key)
                self.base.setdefault(_base(norm), set()).add(col.key)

    def match(self, text: object) -> str | None:
        norm = normalise_header(text)
        if not norm:
            return None
        key = self.exact.get(norm)
        if key:
            return key
        keys = self.base.get(_base(norm))
        if keys and len(keys) == 1:
            return next(iter(keys))
        return None


def _score_header_row(values: Sequence[Any], matcher: HeaderMatcher) -> int:
    return len({k for v in values if isinstance(v, str) and (k := matcher.match(v))})


_F_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_C_TAG = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]+[0-9]+)\"")
_C_END = re.compile(rb"</(?:\w+:)?c>")
_V_TAG = re.compile(rb"<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>")
_V_ANY = re.compile(rb"<(?:\w+:)?v[\s>/]")


def _formulas_without_value(data: bytes) -> set[str]:
    """A1 refs of formula cells in a piece of sheet XML that carry no cached value (a program wrote the file;
    Excel never computed it). ``data`` holds whole rows, every cell with its ``r=`` (see :func:`_numbered`)."""
    # no letter f at all (one memchr pass, ~0.2 ms for 4 MB; the usual slice): no <f, no :f (~6 ms)
    if b"f" not in data or (b"<f" not in data and b":f" not in data):
        return set()
    out: set[str] = set()
    for m in _F_TAG.finditer(data):
        # <f> is the first child of its cell (CT_Cell: f, v, is): the tag before it opens the cell,
        # whatever its namespace prefix (<c …>, <x:c …>)
        start = data.rfind(b"<", 0, m.start())
        if start < 0:
            continue
        cm = _C_TAG.match(data, start)
        if not cm:
            continue
        em = _C_END.search(data, m.start())
        stop = em.start() if em else len(data)
        if _V_TAG.search(data, m.start(), stop):
            continue
        # <v></v> in a t="str" cell is a cached empty text (Excel saves a formula giving "" so); openpyxl
        # writes <v></v> in every formula cell it never computed, without a type
        tag = data[start: data.find(b">", start)]
        if (b't="str"' in tag or b"t='str'" in tag) and _V_ANY.search(data, m.start(), stop):
            continue
        out.add(cm.group(1).decode())
    return out


_E_CELL = re.compile(rb"<((?:\w+:)?)c\s([^>]*?\bt=[\"']e[\"'][^>]*)>")
_R_ATTR = re.compile(rb"\br=[\"']([A-Z]+)([0-9]+)[\"']")


def _error_cells(data: bytes) -> dict[tuple[int, int], str]:
    """Error cells (``t="e"``: #N/A, #DIV/0! …) in a piece of sheet XML: (row, 0-based column) -> the error
    text, as openpyxl reads them (calamine reads them as empty)."""
    # no letter e (one memchr pass), or no t="e" (~2.4 ms for 4 MB); a quote: one fast memchr pass
    if b"e" not in data or (b't="e"' not in data and (b"'" not in data or b"t='e'" not in data)):
        return {}
    from openpyxl.utils import column_index_from_string

    out: dict[tuple[int, int], str] = {}
    for m in _E_CELL.finditer(data):
        rm = _R_ATTR.search(m.group(2))
        if rm is None or m.group(0).endswith(b"/>"):
            continue
        em = _C_END.search(data, m.end())
        stop = em.start() if em else len(data)
        vm = _V_TAG.search(data, m.end(), stop)
        if vm is None:
            continue
        text = vm.group(1).decode("utf-8", "replace").replace("&amp;", "&").replace("&lt;", "<")
        out[(int(rm.group(2)), column_index_from_string(rm.group(1).decode()) - 1)] = text.replace("&gt;", ">")
    return out


_ROW_OR_CELL = re.compile(rb"<((?:\w+:)?)(row|c)(?=[\s/>])([^>]*)>")


_NO_R = re.compile(rb"<(?:\w+:)?(?:row|c)(?=[\s/>])(?![^>]*\br=)")


def _needs_numbering(body: bytes) -> bool:
    """True when a row or cell of ``body`` may lack its ``r=`` (valid OOXML: then it is the next row / the
    next column). Counting is enough for the way Excel, WPS and openpyxl write (``r=`` first); four passes
    at memory speed (~25 ms for 4 MB)."""
    rows = body.count(b"<row")
    if not rows:  # a namespace prefix (<x:row>), or no rows: look at each tag
        return _NO_R.search(body) is not None
    return body.count(b"<row r=") != rows or body.count(b"<c r=") != body.count(b"<c")


def _numbered(body: bytes, next_row: int) -> tuple[bytes, int]:
    """``body`` with an ``r=`` on every row and cell (a row without one is the row after the previous, a
    cell without one the column after the previous; a cell belongs to the row it sits in, as openpyxl reads
    it), and the number of the row after the last one. A slice read on its own would otherwise be
    numbered from row 1."""
    if not _needs_numbering(body):
        last = body.rfind(b"<row r=")
        if last < 0:
            return body, next_row
        end = body.index(b'"', last + 8)
        return body, int(body[last + 8: end]) + 1
    from openpyxl.utils import column_index_from_string

    state = [next_row, 0]  # the next row number, the last column of the current row

    def fix(m: re.Match[bytes]) -> bytes:
        attrs = m.group(3)
        rm = _R_ATTR.search(attrs) if m.group(2) == b"c" else re.search(rb"\br=[\"'](\d+)[\"']", attrs)
        if m.group(2) == b"row":
            row = int(rm.group(1)) if rm else state[0]
            state[0], state[1] = row + 1, 0
            if rm:
                return m.group(0)
            return b"<" + m.group(1) + b'row r="' + str(row).encode() + b'"' + attrs + b">"
        row = state[0] - 1
        if rm:
            state[1] = column_index_from_string(rm.group(1).decode())
            if int(rm.group(2)) == row:
                return m.group(0)
            attrs = attrs[: rm.start()].rstrip() + attrs[rm.end():]  # the row it sits in counts (as openpyxl reads)
        else:
            state[1] += 1
        ref = f"{get_column_letter(state[1])}{row}".encode()
        return b"<" + m.group(1) + b'c r="' + ref + b'"' + attrs + b">"

    out = _ROW_OR_CELL.sub(fix, body)
    return out, state[0]


def _formula_cells_without_value(path: Path, member: str | None) -> set[str]:
    """:func:`_formulas_without_value` over a whole worksheet part, read slice by slice."""
    return _sheet_scan(path, member)[0]


def _sheet_scan(path: Path, member: str | None) -> tuple[set[str], list[tuple[int, int, int]]]:
    """One pass over a worksheet part: its formula cells without a cached value and its cells merged down."""
    if member is None:
        return set(), []
    out: set[str] = set()
    try:
        with _SheetXml(path, member) as xml:
            for body in xml.bodies(SLICE_BYTES):
                out |= _formulas_without_value(body)
    except InputFileError:
        return set(), []
    return out, xml.merges


def _iter_rows(path: Path, ws: Any, **kwargs: Any) -> Any:
    """``ws.iter_rows(values_only=True)`` with read errors of a damaged sheet turned into InputFileError.

    Only openpyxl's own work runs inside ``reading_errors``: an exception in the caller's loop body is
    raised in the caller's frame, not here, so a bug is never disguised as a bad file.
    """
    with reading_errors(path):
        for row in ws.iter_rows(values_only=True, **kwargs):
            yield _legal_row(row) if any(type(v) is str and _ILLEGAL.search(v) for v in row) else row


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|(?<!_x005[fF])_x00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])_")
"""Control characters a cell can hold (written ``_x0007_`` in the sheet XML) but no XML part may: invisible in
Excel, they made every workbook tic writes from the value (the validation copy, the submission, the city
workbook) fail. Removed when read, in both readers (calamine decodes the escape, openpyxl's read-only mode keeps
it as text)."""


def _legal_row(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_ILLEGAL.sub("", v) if type(v) is str else v for v in row)


def _template_version(wb: Any) -> str | None:
    try:
        dn = wb.defined_names.get(TEMPLATE_NAME)
    except (AttributeError, KeyError):
        return None
    if dn is None:
        return None
    return str(dn.attr_text).strip('"')


class _OpenpyxlBook:
    """openpyxl in read-only mode: the reference reader (streams; slower)."""

    def __init__(self, path: Path, wb: Any) -> None:
        self.path = path
        self.wb = wb
        self.sheetnames = list(wb.sheetnames)

    def rows(self, sheet: str, min_row: int = 1, max_row: int | None = None) -> Any:
        ws = self.wb[sheet]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        return _iter_rows(self.path, ws, min_row=min_row, max_row=max_row)

    @property
    def template_version(self) -> str | None:
        return _template_version(self.wb)

    @property
    def date1904(self) -> bool:
        epoch = getattr(self.wb, "epoch", None)
        return epoch is not None and epoch.year == 1904


# ------------------------------------------------------------------ the fast reader: calamine on slices

SLICE_BYTES = 4 * 1024**2
"""Sheet XML per slice (about 3,500 rows of the intake form): what calamine holds in memory at a time
(measured on 100,000 rows: 8 MB slices peak at 490 MB over the process tree, 4 MB at 320 MB, same speed)."""

WHOLE_SHEET = 1 << 62
"""A slice size that makes the whole sheet one piece (a second reading when cells are merged down)."""

HEAD_SLICE_BYTES = 256 * 1024
"""Sheet XML read to find the header row (the first rows of every sheet)."""

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")
_ROOT = re.compile(rb"<((?:\w+:)?worksheet)[\s>]")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_SI = re.compile(rb"<((?:\w+:)?)si[\s>/]")
_V_INT = re.compile(rb"<(?:\w+:)?v>(\d+)</")
# a shared-string cell's index, as Excel, WPS and LibreOffice write it: <c r="B7" s="2" t="s"><v>123</v>
_S_INDEX = re.compile(rb't="s"><v>(\d+)<')
_SST_RUN_GAP = 8  # used entries at most this far apart are copied with the entries between them
_S_SPLIT = re.compile(rb't="s"><v>(\d+)(?=</v>)')  # a string cell's index (the text between kept)
_S_PREFIX = b't="s"><v>'
_NEW_INDICES: list[bytes] = []


def _new_indices(count: int) -> list[bytes]:
    """``t="s"><v>0``, ``t="s"><v>1`` … (made once, grown as needed)."""
    have = len(_NEW_INDICES)
    if have < count:
        _NEW_INDICES.extend(_S_PREFIX + b"%d" % i for i in range(have, count))
    return _NEW_INDICES[:count]


# parts a slice's workbook does without: other sheets, drawings, pivot caches, comments … (only the workbook,
# its relationships, styles, theme and shared strings matter for reading cell values)
_SKIPPED_PARTS = re.compile(r"(^|/)(worksheets|chartsheets|dialogsheets|macrosheets|drawings|charts|media|pivotcache|"
                            r"pivottables|externallinks|embeddings|printersettings|customxml|tables|slicers|"
                            r"slicercaches|timelines|richdata|threadedcomments|persons)/|calcchain\.xml$|"
                            r"(^|/)comments\d*\.xml$")


def _slice_bytes() -> int:
    """:data:`SLICE_BYTES`, or ``TIC_SLICE_BYTES`` (a switch for tests: tiny slices exercise the joins)."""
    value = os.environ.get("TIC_SLICE_BYTES", "")
    return int(value) if value.isdigit() and int(value) > 0 else SLICE_BYTES


class _SheetXml:
    """One worksheet part, decompressed as a stream and cut into bodies of whole ``<row>`` elements."""

    def __init__(self, path: Path, member: str) -> None:
        import zipfile

        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
            self.stream = self.zip.open(member)
        except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
            from toolkit.adapters.safety import input_error_from

            raise input_error_from(path, exc) from exc
        self.pending = b""
        self.done = False
        self.head = b""
        self.tail = b""
        self.row_close = b"</row>"
        self.data_close = b"</sheetData>"
        self.next_row = 1  # the number of a row without r= at the start of the next body
        self.merges: list[tuple[int, int, int]] = []  # merged down a column: (first row, 0-based column, last row)
        self._read_head()

    def __enter__(self) -> _SheetXml:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stream.close()
        self.zip.close()

    def _read(self, size: int) -> bytes:
        from toolkit.adapters.safety import reading_errors

        with reading_errors(self.path):
            return self.stream.read(size)

    def _read_head(self) -> None:
        buf = b""
        while True:
            chunk = self._read(1 << 16)
            buf += chunk
            m = _SHEET_DATA.search(buf)
            if m or not chunk or len(buf) > 16 * 1024**2:
                break
        root = _ROOT.search(buf)
        if m is None or root is None:
            from toolkit.adapters.safety import message_for

            raise InputFileError(self.path, message_for("corrupt", self.path, detail="工作表内容无法识别"),
                                 reason="corrupt")
        ns = m.group(1)
        self.row_close = b"</" + ns + b"row>"
        self.data_close = b"</" + ns + b"sheetData>"
        self.head = _DIMENSION.sub(b"", buf[: m.start()]) + b"<" + ns + b"sheetData>"
        self.tail = self.data_close + b"</" + root.group(1) + b">"
        if m.group(2):  # <sheetData/>: no rows at all
            self.done = True
        else:
            self.pending = buf[m.end():]

    def bodies(self, size: int) -> Iterator[bytes]:
        """Pieces of the sheetData content, each about ``size`` bytes and made of whole rows, every row and
        cell with its ``r=`` (added where the file leaves it out), so a piece read alone keeps the sheet's
        real row numbers."""
        for body in self._raw_bodies(size):
            body, self.next_row = _numbered(body, self.next_row)
            yield body

    def _raw_bodies(self, size: int) -> Iterator[bytes]:
        parts = [self.pending]
        have = len(self.pending)
        self.pending = b""
        while not self.done:
            chunk = self._read(1 << 20)
            if chunk:
                parts.append(chunk)
                have += len(chunk)
                if have < size:
                    continue
            buf = b"".join(parts)
            end = buf.find(self.data_close)
            if end >= 0 or not chunk:
                self.done = True
                if end >= 0:
                    self._read_merges(buf[end:])
                yield from self._cut(buf[:end] if end >= 0 else buf, size)
                return
            cut = buf.rfind(self.row_close)
            if cut < 0:  # one enormous row: read on
                parts, have = [buf], len(buf)
                continue
            cut += len(self.row_close)
            yield from self._cut(buf[:cut], size)
            parts, have = [buf[cut:]], len(buf) - cut

    def _read_merges(self, rest: bytes) -> None:
        """The merged ranges listed after the rows (``<mergeCells>``) that span more than one row."""
        chunks = [rest]
        while chunk := self._read(1 << 20):
            chunks.append(chunk)
        for m in _MERGE_REF.finditer(b"".join(chunks)):
            if m.group(3) is not None and int(m.group(4)) > int(m.group(2)):
                self.merges.append((int(m.group(2)), _column_number(m.group(1)) - 1, int(m.group(4))))

    def _cut(self, rows: bytes, size: int) -> Iterator[bytes]:
        """``rows`` (whole rows) in pieces of whole rows of about ``size`` bytes: what a read of 1 MB brings is
        cut again when slices are smaller (a test's ``TIC_SLICE_BYTES``, so that joins are exercised on small
        sheets too); one piece in the usual case."""
        while len(rows) > 2 * size:
            cut = rows.rfind(self.row_close, 0, size)
            if cut < 0:
                cut = rows.find(self.row_close, size)  # a row longer than a slice: the row alone
                if cut < 0:
                    break
            cut += len(self.row_close)
            yield rows[:cut]
            rows = rows[cut:]
        yield rows


MAX_BLOCK_CELLS = 4_000_000
"""Largest block of cells (the rows from the first to the last cell of a slice × its columns up to the last)
handed to calamine at once. calamine allocates the whole block: one stray value far away (XFD1048576) would
ask for hundreds of GB and abort the process; such a slice is read in parts (:meth:`SheetSlices.rows`)."""

_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=[\"']([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?[\"']")
_PLAIN_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,2}([0-9]+)"')
_ANY_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=[\"']([A-Z]+)([0-9]+)[\"']")
_ROW_ELEMENT = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>.*?</(?:\w+:)?row>)", re.S)


def _column_number(letters: bytes) -> int:
    """1 for A, 27 for AA, 16384 for XFD."""
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _block_bound(body: bytes) -> int:
    """At least the number of cells calamine allocates for ``body`` (rows between the first and the last cell
    × columns up to the last): the rows exactly, the columns bounded by 702 (ZZ) when every cell is written
    ``<c r="`` + one or two letters (as Excel, WPS and openpyxl write them: one expression with a fixed start
    and one count, ~20 ms for 4 MB); otherwise :func:`_block_cells`."""
    rows = _PLAIN_CELL_ROW.findall(body)
    if len(rows) != body.count(b"<c") or b":c" in body:
        return _block_cells(body)
    if not rows:
        return 0
    numbers = list(map(int, set(rows)))
    return (max(numbers) - min(numbers) + 1) * 702


def _block_cells(body: bytes) -> int:
    """The cells calamine allocates for ``body``, exactly (any spelling of the cells)."""
    refs = _ANY_CELL_REF.findall(body)
    if not refs:
        return 0
    rows = [int(r) for _, r in refs]
    columns = [_column_number(c) for c in {c for c, _ in refs}]
    return (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1)


@dataclass
class SheetSlices:
    """What turns one slice of a worksheet into rows: the workbook's small parts, its shared strings and the
    sheet XML around the rows. A slice becomes a small workbook of its own that python-calamine reads
    (~15x faster than openpyxl), so a 100,000-row sheet is read at calamine's speed while only one slice is
    held at a time; the object is picklable and is sent once to each worker process."""

    path: Path
    sheet: str
    member: str
    head: bytes
    tail: bytes
    parts: dict[str, bytes]
    sst_member: str | None = None
    sst: bytes = b""
    sst_offsets: Any = field(default_factory=lambda: array("q"))  # start of each <si>, then the end
    sst_blank: bytes = b"<si><t></t></si>"
    sst_controls: bool = False  # the shared strings hold an escaped control character (_x0007_): see _ILLEGAL

    @classmethod
    def of(cls, path: Path, member: str, sheet: str, xml: _SheetXml) -> SheetSlices:
        import zipfile

        parts: dict[str, bytes] = {}
        sst_member = None
        sst = b""
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    name = info.filename
                    low = name.lower()
                    if low.endswith("sharedstrings.xml") and sst_member is None:
                        sst_member, sst = name, zf.read(name)
                    elif low.endswith((".xml", ".rels")) and not _SKIPPED_PARTS.search(low):
                        parts[name] = zf.read(name)
        except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
            from toolkit.adapters.safety import input_error_from

            raise input_error_from(path, exc) from exc
        out = cls(path=path, sheet=sheet, member=member, head=xml.head, tail=xml.tail, parts=parts, sst_member=sst_member)
        if sst:
            out.sst_controls = b"_x00" in sst or b"_X00" in sst
            first = _SI.search(sst)
            end = sst.rfind(b"</")
            offsets = _entry_offsets(sst, first)
            if first is not None and end > offsets[-1]:
                ns = first.group(1)
                offsets.append(end)
                out.sst = sst
                out.sst_offsets = offsets
                out.sst_blank = b"<" + ns + b"si/>"
            else:  # no entries: copy as it is
                parts[sst_member] = sst  # type: ignore[index]
        return out

    def _shared_strings(self, body: bytes) -> bytes:
        """The shared strings this slice needs: the entries its cells use, at their own indices, the others
        up to the highest one blank (so the cells need no rewriting). Runs of used entries close together
        are copied in one piece; calamine parses a blank entry ~20x faster than a string."""
        indices = _S_INDEX.findall(body)
        quoted = body.count(b"t='s'") if b"'" in body else 0  # single quotes are rare: one fast memchr pass
        if body.count(b't="s"') + quoted != len(indices):  # written some other way: every <v>
            indices = _V_INT.findall(body)
        offsets = self.sst_offsets
        count = len(offsets) - 1
        used = sorted(set(map(int, set(indices))))  # each index once before int(): half the calls
        used = used[: bisect.bisect_left(used, count)]
        sst = self.sst
        blank = self.sst_blank
        out = [sst[: offsets[0]]]
        nxt = 0
        i, n = 0, len(used)
        while i < n:
            first = last = used[i]
            i += 1
            while i < n and used[i] - last <= _SST_RUN_GAP:
                last = used[i]
                i += 1
            if first > nxt:
                out.append(blank * (first - nxt))
            out.append(sst[offsets[first]: offsets[last + 1]])
            nxt = last + 1
        out.append(sst[offsets[-1]:])
        return b"".join(out)

    def _renumbered(self, body: bytes) -> tuple[bytes, bytes] | None:
        """The slice with its string cells renumbered 0, 1, 2 … in the order they first occur, and the
        shared strings holding just those entries: calamine reads ~30 % faster than with the entries up to
        the highest one (blank or not), and holds a few thousand strings instead of the whole table. One
        C split finds every index (the text around it kept), one dictionary lookup per cell renumbers it.
        None when the slice writes its string cells some other way, or names an entry the table does
        not have: then :meth:`_shared_strings` keeps every index as it is."""
        pieces = _S_SPLIT.split(body)  # text, index, text, index … text
        olds = pieces[1::2]
        quoted = body.count(b"t='s'") if b"'" in body else 0  # single quotes are rare: one fast memchr pass
        if not olds or body.count(b't="s"') + quoted != len(olds):
            return None
        offsets = self.sst_offsets
        spellings = list(dict.fromkeys(olds))  # each spelling of an index once, in the order the cells use them
        entries = list(map(int, spellings))
        if max(entries) >= len(offsets) - 1:
            return None
        renumber = dict(zip(spellings, _new_indices(len(entries)), strict=True))
        pieces[1::2] = list(map(renumber.__getitem__, olds))
        starts = list(map(offsets.__getitem__, entries))
        ends = list(map(offsets.__getitem__, map(add, entries, itertools.repeat(1))))
        sst = self.sst
        out = [sst[: offsets[0]], *map(sst.__getitem__, map(slice, starts, ends)), sst[offsets[-1]:]]
        return b"".join(pieces), b"".join(out)

    def workbook(self, body: bytes) -> bytes:
        """A stand-alone workbook holding only this slice of the sheet (stored, not compressed)."""
        import io
        import zipfile

        sst = b""
        if self.sst and self.sst_member:
            compact = self._renumbered(body)
            if compact is not None:
                body, sst = compact
            else:
                sst = self._shared_strings(body)
        bio = io.BytesIO()
        with zipfile.ZipFile(bio, "w", zipfile.ZIP_STORED) as zf:
            for name, data in self.parts.items():
                zf.writestr(name, data)
            if self.sst and self.sst_member:
                zf.writestr(self.sst_member, sst)
            zf.writestr(self.member, b"".join((self.head, body, self.tail)))
        return bio.getvalue()

    def rows(self, body: bytes) -> list[tuple[int, list[Any]]]:
        """The rows of one slice as (Excel row number, values from column A); an empty cell is ``""``.
        A slice whose cells span more than :data:`MAX_BLOCK_CELLS` (a stray value far away) is read in
        parts of whole rows that each stay under it."""
        if _block_bound(body) > MAX_BLOCK_CELLS and _block_cells(body) > MAX_BLOCK_CELLS:
            return self._rows_in_blocks(body)
        return self._rows(body)

    def _rows_in_blocks(self, body: bytes) -> list[tuple[int, list[Any]]]:
        merged: dict[int, list[Any]] = {}
        for block in self._blocks(body):
            for rnum, values in self._rows(block):
                have = merged.setdefault(rnum, [])
                if len(have) < len(values):
                    have.extend([""] * (len(values) - len(have)))
                for i, v in enumerate(values):
                    if v != "":
                        have[i] = v
        return sorted(merged.items())

    def _blocks(self, body: bytes) -> Iterator[bytes]:
        """Runs of whole rows of ``body``, each spanning at most :data:`MAX_BLOCK_CELLS` cells; a single row
        spanning more (its cells name rows far apart) makes the file unreadable, with the cell to delete."""
        run: list[bytes] = []
        bounds: tuple[int, int, int, int] | None = None  # first and last row, first and last column of the run
        for m in _ROW_ELEMENT.finditer(body):
            row = m.group(0)
            refs = _ANY_CELL_REF.findall(row)
            if refs:
                rows = [int(r) for _, r in refs]
                columns = [_column_number(c) for c, _ in refs]
                own = (min(rows), max(rows), min(columns), max(columns))
                if (own[1] - own[0] + 1) * (own[3] - own[2] + 1) > MAX_BLOCK_CELLS:
                    far = max(refs, key=lambda ref: (int(ref[1]), _column_number(ref[0])))
                    raise _far_cell_error(self.path, self.sheet, (far[0] + far[1]).decode())
                if bounds is not None:
                    joined = (min(bounds[0], own[0]), max(bounds[1], own[1]),
                              min(bounds[2], own[2]), max(bounds[3], own[3]))
                    if (joined[1] - joined[0] + 1) * (joined[3] - joined[2] + 1) > MAX_BLOCK_CELLS:
                        yield b"".join(run)
                        run, joined = [], own
                    own = joined
                bounds = own
            run.append(row)
        if run:
            yield b"".join(run)

    def _rows(self, body: bytes) -> list[tuple[int, list[Any]]]:
        import io

        import python_calamine as pc

        try:
            wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(self.workbook(body)))
            try:
                ws = wb.get_sheet_by_name(self.sheet)
                start = ws.start
                grid = ws.to_python(skip_empty_area=True) if start is not None else []
            finally:
                wb.close()
        except Exception as exc:  # calamine raises its own types (XmlError …)
            raise _calamine_error(self.path, exc) from exc
        errors = _error_cells(body)
        if not grid and not errors:
            return []
        if self.sst_controls or b"_x00" in body or b"_X00" in body:  # an escaped control character (fast pass)
            grid = [list(_legal_row(values)) for values in grid]
        if grid:
            first_row, first_col = start[0] + 1, start[1]  # type: ignore[index]
        else:
            first_row, first_col = 1, 0
        if first_col:
            pad = [""] * first_col
            out = [(first_row + i, pad + values) for i, values in enumerate(grid)]
        else:
            out = list(enumerate(grid, first_row))
        if errors:
            out = _with_errors(out, errors)
        return out


def _with_errors(numbered: list[tuple[int, list[Any]]], errors: dict[tuple[int, int], str]
                 ) -> list[tuple[int, list[Any]]]:
    """``numbered`` with the error cells' text (#N/A …) in place of calamine's empty value."""
    rows = dict(numbered)
    for (rnum, col), text in errors.items():
        values = rows.setdefault(rnum, [])
        if len(values) <= col:
            values.extend([""] * (col + 1 - len(values)))
        values[col] = text
    return sorted(rows.items())


def _entry_offsets(sst: bytes, first: re.Match[bytes] | None) -> array:
    """Where each ``<si>`` of the shared strings starts. Entries written plainly ``<si>`` (as Excel, WPS and
    LibreOffice do) are found by splitting (C loops: ~6x faster than a regular expression on 600,000
    entries); any other spelling by the expression."""
    if first is not None and first.group(0) == b"<si>":
        pieces = sst.split(b"<si>")
        if sst.count(b"<si") == len(pieces) - 1:  # every entry written <si> (one pass: ~2x two `in` tests)
            # entry k starts after pieces 0..k and the k tags between them: lengths 0, 4, 4 … added on
            # (operator.add in C maps: ~2x int.__add__; 0.21 -> 0.14 s for 650,000 entries)
            steps = map(add, map(len, itertools.islice(pieces, len(pieces) - 1)),
                        itertools.chain((0,), itertools.repeat(4)))
            return array("q", itertools.accumulate(steps))
    return array("q", (m.start() for m in _SI.finditer(sst)))


class _CalamineBook:
    """python-calamine (Rust) on slices of each sheet (see :class:`SheetSlices`). Used after the file passed
    the safety checks; formulas without a cached value are found by the sheet XML scan in both engines."""

    def __init__(self, path: Path, members: dict[str, str]) -> None:
        self.path = path
        self.members = members
        self.sheetnames = list(members)
        self._whole: dict[str, list[tuple[int, tuple[Any, ...]]]] = {}
        self._merges: dict[str, list[tuple[int, int, int]]] = {}  # of the sheets read whole
        self._slices: dict[str, SheetSlices] = {}

    def slices(self, sheet: str, xml: _SheetXml) -> SheetSlices:
        if sheet not in self._slices:
            self._slices[sheet] = SheetSlices.of(self.path, self.members[sheet], sheet, xml)
        return self._slices[sheet]

    def numbered(self, sheet: str, max_row: int | None = None) -> Iterable[tuple[int, tuple[Any, ...]]]:
        if sheet in self._whole:
            return self._whole[sheet]
        if max_row is None:
            return self._all(sheet)
        seen: list[tuple[int, tuple[Any, ...]]] = []
        with _SheetXml(self.path, self.members[sheet]) as xml:
            slices = self.slices(sheet, xml)
            pieces = xml.bodies(HEAD_SLICE_BYTES)
            whole = True
            for body in pieces:
                seen.extend(slices.rows(body))
                if seen and seen[-1][0] > max_row:
                    # whole only when no piece is left: one read of the stream can bring several pieces (the
                    # stream is then done, but the pieces not taken are not in ``seen``: kept, rows were lost)
                    whole = next(pieces, None) is None
                    break
            if whole:  # the whole sheet was read while looking for the header: keep it
                self._whole[sheet] = seen
                self._merges[sheet] = xml.merges
        return seen

    def _all(self, sheet: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        with _SheetXml(self.path, self.members[sheet]) as xml:
            slices = self.slices(sheet, xml)
            for body in xml.bodies(_slice_bytes()):
                yield from slices.rows(body)

    def rows(self, sheet: str, min_row: int = 1, max_row: int | None = None) -> Iterator[tuple[Any, ...]]:
        rnum = 1
        for number, values in self.numbered(sheet, max_row):
            if max_row is not None and number > max_row:
                break
            while rnum < number:  # rows calamine left out: empty
                if rnum >= min_row and (max_row is None or rnum <= max_row):
                    yield ()
                rnum += 1
            if number >= min_row:
                yield tuple(None if v == "" else v for v in values)
            rnum = number + 1

    @property
    def template_version(self) -> str | None:
        m = re.search(rb'<(?:\w+:)?definedName[^>]*name="TIC_TEMPLATE"[^>]*>([^<]*)<', workbook_xml(self.path))
        return m.group(1).decode("utf-8", "replace").replace("&quot;", '"').strip('"') if m else None

    @property
    def date1904(self) -> bool:
        """The workbook counts dates from 1904 (``<workbookPr date1904="1"/>``: old Mac Excel)."""
        return _DATE1904.search(workbook_xml(self.path)) is not None

    def close(self) -> None:
        self._whole.clear()


def workbook_xml(path: Path) -> bytes:
    """The start of the workbook part (its workbookPr and defined names); b"" when it cannot be read."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read("xl/workbook.xml")[: 1 << 20]
    except (OSError, KeyError, zipfile.BadZipFile):
        return b""


def has_defined_name(path: Path, name: str) -> bool:
    return re.search(rb'<(?:\w+:)?definedName\b[^>]*\bname="' + re.escape(name.encode()) + rb'"',
                     workbook_xml(path)) is not None


_DATE1904 = re.compile(rb"""<(?:\w+:)?workbookPr\b[^>]*?\bdate1904\s*=\s*["'](?:1|true|on)["']""")


def _far_cell_error(path: Path, sheet: str, cell: str) -> InputFileError:
    return InputFileError(
        path,
        f"文件“{path.name}”的工作表“{sheet}”中，单元格 {cell} 与同一行其他内容相距太远（超过 {MAX_BLOCK_CELLS:,} 个单元格的范围），"
        f"无法读取，请删除 {cell} 中的多余内容后重新提交。",
        reason="corrupt",
    )


def _calamine_error(path: Path, exc: BaseException) -> InputFileError:
    from toolkit.adapters.safety import message_for

    name = type(exc).__name__
    reason = "encrypted" if name == "PasswordError" else "corrupt"
    # the reference engine's sentence: no English detail from calamine
    return InputFileError(path, message_for(reason, path, detail="内部 XML 格式错误"), reason=reason)


def _calamine_available() -> bool:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class RowLayout:
    """Where the form's columns are in a sheet: turns row values into :class:`RawRow` (picklable)."""

    first_row: int  # the first data row (under the header)
    key_cols: tuple[tuple[str, int], ...]  # key -> 0-based column index
    cell_cols: tuple[tuple[str, str], ...]  # key -> column letter, in the form's order
    extra_cols: tuple[tuple[str, int], ...]  # unknown header -> 0-based column index
    ignore: frozenset[str]  # keys that alone do not make a row (the sequence number)
    units: tuple[tuple[str, str], ...] = ()  # money columns whose header says 元 or 亿元: the unit of their numbers
    # cells merged down a column in the data rows, (first row, 0-based column, last row): the merged value belongs
    # to every row of the range (a district written once for its rows); see :func:`data_merges`
    merges: tuple[tuple[int, int, int], ...] = ()
    # the date columns of a workbook in the 1904 date system (old Mac Excel): their serial numbers converted
    dates1904: tuple[str, ...] = ()

    def build(
        self, numbered: Iterable[tuple[int, Sequence[Any]]], no_value: set[str] | frozenset[str] = frozenset(),
        *, clean: bool = True,
    ) -> tuple[list[RawRow], bool, list[int]]:
        """The rows of the form among ``numbered`` (Excel row number, values from column A; an empty cell is
        None or ``""``); True as the second item when the 填表说明/notes block was reached (no row after it
        belongs to the form), and the numbers of the rows after it that would have been read as rows of the
        form (an application pasted below the notes: reported, never silently lost). ``clean=False`` leaves
        blank text in ``values`` as it is instead of None (for :func:`toolkit.core.intake.check_row`, which
        reads blank text as empty: saves a pass over every row)."""
        out: list[RawRow] = []
        after: list[int] | None = None  # past the notes block: the rows that look like applications
        key_cols = self.key_cols
        keys = tuple(key for key, _ in key_cols)
        picks = [i for _, i in key_cols]
        # the form's cells of a row in one C call when the row reaches its last column (the usual row)
        pick = itemgetter(*picks) if len(picks) > 1 else None
        reach = max(picks, default=0)
        extra_cols = self.extra_cols
        ignore = self.ignore
        letters = dict(self.cell_cols)
        first_row = self.first_row
        merges = self.merges
        tops: dict[tuple[int, int], Any] = {}
        for rnum, values in numbered:
            if rnum < first_row:
                continue
            if merges:
                values = _merged_down(rnum, values, merges, tops)
            first = None
            for v in values:
                if v is None or v == "":
                    continue
                if isinstance(v, str) and not v.strip():
                    continue
                first = v
                break
            if first is None:
                continue
            if isinstance(first, str):
                text = first.strip()
                if after is None and _NOTES.match(text):
                    after = []
                    continue
                if _TOTAL.match(text):
                    continue
            n = len(values)
            if pick is not None and n > reach:
                vals = dict(zip(keys, pick(values), strict=True))
            else:
                vals = {key: (values[i] if i < n else None) for key, i in key_cols}
            if clean:
                for key, v in vals.items():
                    if isinstance(v, str) and not v.strip():
                        vals[key] = None
            for key, unit in self.units:  # the header's unit, as if typed with the value: converted and said
                v = vals[key]
                if v is not None and not isinstance(v, bool) and isinstance(v, int | float | str) and (
                        not isinstance(v, str) or (v.strip() and not v.strip().endswith(("元", "万", "亿")))):
                    vals[key] = f"{clean_text(v)}{unit}"
            for key in self.dates1904:
                vals[key] = date_1904(vals[key])
            row_formulas = {key for key in vals if f"{letters[key]}{rnum}" in no_value} if no_value else set()
            if not row_formulas and all(
                v is None or (isinstance(v, str) and not v.strip()) for k, v in vals.items() if k not in ignore
            ):
                # only extra columns hold something: not a row of the form
                continue
            if after is not None:  # a line of the notes fills one or two cells; an application, many
                if application_like(vals, ignore):
                    after.append(rnum)
                continue
            out.append(
                RawRow(
                    row=rnum,
                    values=vals,
                    cells=Cells(letters, rnum),
                    formula_missing=row_formulas,
                    extra={label: values[i] for label, i in extra_cols if i < n and not is_blank(values[i])}
                    if extra_cols else {},
                )
            )
        return out, after is not None, after or []


def data_merges(merges: Sequence[tuple[int, int, int]], first_row: int) -> tuple[tuple[int, int, int], ...]:
    """The merged ranges of ``merges`` that lie in the data rows (from ``first_row``), in row order."""
    return tuple(sorted(m for m in merges if m[0] >= first_row))


def _merged_down(rnum: int, values: Sequence[Any], merges: Sequence[tuple[int, int, int]],
                 tops: dict[tuple[int, int], Any]) -> Sequence[Any]:
    """``values`` of row ``rnum`` with the value of each range merged down over it (the top cell's, kept in
    ``tops``) in its empty cell; a row with nothing else in it stays empty (the range's own blank rows)."""
    filled: list[Any] | None = None
    for first, col, last in merges:
        if first > rnum:
            break
        if rnum == first:
            tops[(first, col)] = values[col] if col < len(values) else None
        elif rnum <= last:
            top = tops.get((first, col))
            if top is None or top == "" or (col < len(values) and values[col] not in (None, "")):
                continue
            if not any(v not in (None, "") for i, v in enumerate(values) if i != col):
                continue
            if filled is None:
                filled = list(values)
            if len(filled) <= col:
                filled.extend([""] * (col + 1 - len(filled)))
            filled[col] = top
    return values if filled is None else filled


def application_like(values: Mapping[str, Any], ignore: frozenset[str]) -> bool:
    """Three or more of the form's cells filled (the sequence number aside): a row below the notes block that
    looks like an application, not a line of the notes (stops at the third: ~0.5 µs a row)."""
    filled = 0
    for key, v in values.items():
        if key in ignore or v is None or v == "" or (v.__class__ is str and not v.strip()):
            continue
        filled += 1
        if filled >= 3:
            return True
    return False


class Cells(Mapping[str, str]):
    """The A1 references of a row's cells (``cells["lead_uscc"] == "F12"``), made when asked for: a
    read-only mapping that equals the dict it stands for."""

    __slots__ = ("letters", "row")

    def __init__(self, letters: dict[str, str], row: int) -> None:
        self.letters = letters
        self.row = row

    def __getitem__(self, key: str) -> str:
        return f"{self.letters[key]}{self.row}"

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        letter = self.letters.get(key)
        return default if letter is None else f"{letter}{self.row}"

    def __contains__(self, key: object) -> bool:
        return key in self.letters

    def __iter__(self) -> Iterator[str]:
        return iter(self.letters)

    def __len__(self) -> int:
        return len(self.letters)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass
class TableStream:
    """A form found in a workbook whose rows are still to be read, part by part (:func:`open_table_stream`).

    ``parts`` yields slices of sheet XML (bytes, for :meth:`SheetSlices.rows` — in this process or in
    workers) or, with openpyxl, lists of numbered rows. :func:`read_part` turns either into rows.
    """

    table: Table  # everything but the rows
    layout: RowLayout
    slices: SheetSlices | None
    parts: Iterator[Any]
    sheet_bytes: int  # uncompressed size of the sheet XML (to decide whether worker processes pay off)
    no_value: frozenset[str] = frozenset()  # openpyxl: formula cells without a cached value, whole sheet
    _close: Any = None
    _unapplied: Any = None

    def unapplied_merges(self) -> tuple[tuple[int, int, int], ...]:
        """Cells merged down in the data rows that the parts were read without (known once all are read)."""
        return self._unapplied() if self._unapplied is not None else ()

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def read_part(part: Any, layout: RowLayout, slices: SheetSlices | None,
              no_value: frozenset[str] = frozenset()) -> tuple[list[RawRow], bool, list[int]]:
    """The form's rows in one part of a :class:`TableStream` (see :meth:`RowLayout.build`)."""
    if isinstance(part, bytes):
        assert slices is not None
        return layout.build(slices.rows(part), _formulas_without_value(part), clean=False)
    return layout.build(part, no_value, clean=False)


def _engine(engine: str) -> str:
    if engine == "auto":
        engine = os.environ.get("TIC_READER", "auto")  # a switch for tests and for comparing the engines
    if engine == "calamine" or (engine == "auto" and _calamine_available()):
        return "calamine"
    return "openpyxl"


def read_table(
    path: Path | str,
    columns: Sequence[Column],
    *,
    sheet_names: Sequence[str] = (),
    workbook: Any = None,
    form_name: str = "标准表格",
    ignore_for_blank: Sequence[str] = ("seq",),
    engine: str = "auto",
) -> Table:
    """Find the form in ``path`` and return its rows (see module docstring).

    ``engine``: ``"calamine"`` (fast), ``"openpyxl"`` (reference) or ``"auto"`` (calamine when installed).
    Both give the same rows; the tests run the reader under both.
    Raises :class:`InputFileError` (reason ``no-form``) when no sheet carries the form's header.
    """
    path = Path(path)
    ignore = frozenset(ignore_for_blank)
    if workbook is not None:
        return _read(path, _OpenpyxlBook(path, workbook), columns, sheet_names, form_name, ignore, None)
    if _engine(engine) == "calamine":
        members = sheet_xml_members(path)  # runs the safety checks
        book: Any = _CalamineBook(path, members)
        try:
            return _read(path, book, columns, sheet_names, form_name, ignore, members)
        finally:
            book.close()
    book = _OpenpyxlBook(path, open_workbook(path, read_only=True))
    try:
        return _read(path, book, columns, sheet_names, form_name, ignore, None)
    finally:
        book.wb.close()


def open_table_stream(
    path: Path | str,
    columns: Sequence[Column],
    *,
    sheet_names: Sequence[str] = (),
    form_name: str = "标准表格",
    ignore_for_blank: Sequence[str] = ("seq",),
    engine: str = "auto",
    part_rows: int = 5000,
    merges: Sequence[tuple[int, int, int]] = (),
) -> TableStream:
    """Like :func:`read_table`, but the rows are left to be read part by part: memory holds one part (a
    slice of ~4 MB of sheet XML) at a time, whatever the size of the sheet. Call ``close()`` when done.

    Cells merged down a column are listed after the rows: once the parts are read, ``unapplied_merges()``
    gives those of the data rows, and the caller reads again with ``merges`` (then one part: a range is never
    cut between two parts)."""
    path = Path(path)
    ignore = frozenset(ignore_for_blank)
    if _engine(engine) == "calamine":
        members = sheet_xml_members(path)
        book: Any = _CalamineBook(path, members)
        try:
            table, layout = _locate(path, book, columns, sheet_names, form_name, ignore)
        finally:
            book.close()
        member = members[table.sheet]
        xml = _SheetXml(path, member)
        try:
            slices = book._slices.get(table.sheet) or SheetSlices.of(path, member, table.sheet, xml)
            size = _member_size(path, member)
        except BaseException:
            xml.close()
            raise
        if merges:
            layout = replace(layout, merges=tuple(merges))
        parts = xml.bodies(WHOLE_SHEET if merges else _slice_bytes())
        first = layout.first_row
        return TableStream(table=table, layout=layout, slices=slices, parts=parts, sheet_bytes=size,
                           _close=xml.close,
                           _unapplied=(lambda: ()) if merges else (lambda: data_merges(xml.merges, first)))
    obook = _OpenpyxlBook(path, open_workbook(path, read_only=True))
    try:
        table, layout = _locate(path, obook, columns, sheet_names, form_name, ignore)
        member = sheet_xml_members(path).get(table.sheet)
        cells, found = _sheet_scan(path, member)
        no_value = frozenset(cells)
        size = _member_size(path, member) if member else 0
        found_merges = data_merges(found, layout.first_row)
        if found_merges:  # known before reading: applied, in one part (a range is never cut between two)
            layout = replace(layout, merges=found_merges)
            part_rows = 1 << 62
    except BaseException:
        obook.wb.close()
        raise

    def batches() -> Iterator[list[tuple[int, tuple[Any, ...]]]]:
        batch: list[tuple[int, tuple[Any, ...]]] = []
        start = layout.first_row
        for rnum, values in enumerate(obook.rows(table.sheet, min_row=start), start=start):
            batch.append((rnum, values))
            if len(batch) >= part_rows:
                yield batch
                batch = []
        if batch:
            yield batch

    return TableStream(table=table, layout=layout, slices=None, parts=batches(), sheet_bytes=size,
                       no_value=no_value, _close=obook.wb.close)


def _member_size(path: Path, member: str) -> int:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return zf.getinfo(member).file_size
    except (OSError, KeyError, zipfile.BadZipFile):
        return 0


def _two_row_header(matcher: HeaderMatcher, top: Sequence[Any], rows: Sequence[Sequence[Any]],
                    header_row: int) -> tuple[Sequence[Any], int]:
    """A header of two rows (依托单位 over 名称 / 统一社会信用代码 / 性质, the other headers merged down): the
    headers of both, the lower row's where it has one (alone, or after the group label above it), and the lower
    row as the header row; else the row as it is. Two or more columns found only in the lower row make it one."""
    if header_row >= len(rows):
        return top, header_row
    sub = rows[header_row]  # the row below the header (rows[0] is row 1)
    matched = {matcher.match(v) for v in top if isinstance(v, str)} - {None}
    combined = [*top, *([None] * max(0, len(sub) - len(top)))]
    group: str | None = None
    new = 0
    for i in range(len(combined)):
        above = top[i] if i < len(top) else None
        if isinstance(above, str) and above.strip():
            group = above.strip()
        below = sub[i] if i < len(sub) else None
        if not isinstance(below, str) or not below.strip():
            continue
        label, key = below, matcher.match(below)
        if key is None and group:  # 依托单位 + 名称; 上年度（万元） + 销售收入 → 上年度销售收入（万元）
            base = _base(normalise_header(group))
            unit = _HEADER_UNIT.search(normalise_header(group))
            for label in (f"{group}{below.strip()}", f"{base}{below.strip()}{unit.group(0) if unit else ''}"):
                if (key := matcher.match(label)) is not None:
                    break
        if key and key not in matched:
            combined[i] = label
            matched.add(key)
            new += 1
    return (tuple(combined), header_row + 1) if new >= 2 else (top, header_row)


def _locate(
    path: Path, book: Any, columns: Sequence[Column], sheet_names: Sequence[str], form_name: str, ignore: frozenset[str]
) -> tuple[Table, RowLayout]:
    """The sheet and header row of the form, its columns, and how its rows map to them (no rows yet)."""
    matcher = HeaderMatcher(columns)
    wanted = [normalise_header(n) for n in sheet_names]
    order = sorted(book.sheetnames, key=lambda n: 0 if normalise_header(n) in wanted else 1)
    need = max(2, min(4, sum(1 for c in columns if c.required)))
    best: tuple[int, str, int, tuple[Any, ...]] | None = None
    form_sheets: dict[str, int] = {}  # sheet -> its best header score: another full form is reported, not read
    settled = False  # the sheet asked for by name was found: no other sheet replaces it
    scanned: dict[str, list[tuple[Any, ...]]] = {}
    for name in order:
        scanned[name] = rows = list(book.rows(name, max_row=HEADER_SCAN_ROWS))
        for idx, values in enumerate(rows, start=1):
            score = _score_header_row(values, matcher)
            if score >= need:
                form_sheets[name] = max(score, form_sheets.get(name, 0))
                if not settled and (best is None or score > best[0]):
                    best = (score, name, idx, values)
        if best is not None and best[1] == name and normalise_header(name) in wanted:
            settled = True
    if best is None:
        raise InputFileError(
            path,
            f"文件“{path.name}”的各工作表前{HEADER_SCAN_ROWS}行中没有找到{form_name}的表头"
            f"（如“{columns[0].header}”“{columns[1].header}”等列），请使用标准模板（tic template）填写。",
            reason="no-form",
        )
    _, sheet, header_row, header_values = best
    header_values, header_row = _two_row_header(matcher, header_values, scanned[sheet], header_row)
    col_of: dict[str, int] = {}
    unknown: list[tuple[str, str]] = []
    duplicates: list[tuple[str, str, str]] = []
    extra_cols: dict[int, str] = {}
    money = {c.key for c in columns if c.money}
    units: dict[str, str] = {}
    unit_headers: list[tuple[str, str, str]] = []
    for idx, value in enumerate(header_values, start=1):
        if is_blank(value):
            continue
        key = matcher.match(value)
        if key and key not in col_of:
            col_of[key] = idx
            unit = _HEADER_UNIT.search(normalise_header(value)) if key in money else None
            if unit is not None and unit.group(1) in ("元", "亿元"):  # "上年度科技经费投入(元)": 600000 is 60万元
                units[key] = unit.group(1)
                unit_headers.append((f"{get_column_letter(idx)}{header_row}", " ".join(str(value).split()),
                                     unit.group(1)))
        elif key:  # the same column twice: the first is read, the second kept and reported
            label = " ".join(str(value).split())
            duplicates.append((f"{get_column_letter(idx)}{header_row}", label,
                               f"{get_column_letter(col_of[key])}{header_row}"))
            extra_cols[idx] = f"{label}（{get_column_letter(idx)}列）"
        elif normalise_header(value) in OWN_HEADERS:
            continue
        else:
            label = " ".join(str(value).split())
            unknown.append((f"{get_column_letter(idx)}{header_row}", label))
            extra_cols[idx] = label
    missing = [c for c in columns if c.key not in col_of]
    required = [c for c in columns if c.required]
    lacking = [c for c in required if c.key not in col_of]
    if len(required) >= 3 and len(lacking) * 2 > len(required):
        # a few headers in common (中心名称, 中心主任 …) but most of the form's required columns absent: another
        # kind of workbook, not this form with a row of findings for every missing column on every row
        names = "、".join(f"“{c.header}”" for c in lacking[:4]) + ("等" if len(lacking) > 4 else "")
        raise InputFileError(
            path,
            f"文件“{path.name}”的工作表“{sheet}”缺少{form_name}的{len(lacking)}个必填列（{names}），"
            f"看起来不是{form_name}，请确认提交的文件（可用 tic template 生成标准模板）。",
            reason="no-form",
        )
    letters = {key: get_column_letter(col) for key, col in col_of.items()}
    layout = RowLayout(
        first_row=header_row + 1,
        key_cols=tuple((key, col - 1) for key, col in col_of.items()),
        cell_cols=tuple((c.key, letters[c.key]) for c in columns if c.key in letters),
        extra_cols=tuple((label, idx - 1) for idx, label in extra_cols.items()),
        ignore=ignore,
        units=tuple(units.items()),
        dates1904=tuple(c.key for c in columns if c.date and c.key in col_of) if book.date1904 else (),
    )
    table = Table(
        path=path,
        sheet=sheet,
        header_row=header_row,
        columns=col_of,
        missing_columns=missing,
        unknown_headers=unknown,
        duplicate_headers=duplicates,
        rows=[],
        template_version=book.template_version,
        sheet_names=list(book.sheetnames),
        # most of the form's columns (a copy of the form, not a sheet of drop-down lists naming a few of them)
        other_form_sheets=[n for n, score in form_sheets.items() if n != sheet and score * 5 >= best[0] * 4],
        unit_headers=unit_headers,
    )
    return table, layout


def _read(
    path: Path,
    book: Any,
    columns: Sequence[Column],
    sheet_names: Sequence[str],
    form_name: str,
    ignore: frozenset[str],
    members: dict[str, str] | None,
) -> Table:
    table, layout = _locate(path, book, columns, sheet_names, form_name, ignore)
    if members is None:
        members = sheet_xml_members(path)
    if isinstance(book, _CalamineBook):
        # slice by slice: the formulas of each slice come from that slice's XML
        if table.sheet in book._whole:
            member = members.get(table.sheet)
            no_value = _formula_cells_without_value(path, member)
            layout = replace(layout, merges=data_merges(book._merges.get(table.sheet, ()), layout.first_row))
            table.rows, _, table.after_notes = layout.build(book._whole[table.sheet], no_value)
            return table

        def sliced(layout: RowLayout, size: int) -> tuple[list[RawRow], list[int], list[tuple[int, int, int]]]:
            rows: list[RawRow] = []
            after_notes: list[int] = []
            ended = False
            with _SheetXml(path, members[table.sheet]) as xml:
                slices = book.slices(table.sheet, xml)
                for body in xml.bodies(size):
                    part, notes, after = layout.build(slices.rows(body), _formulas_without_value(body))
                    if ended:  # a later slice: all of it is below the notes block
                        after_notes += [r.row for r in part if application_like(r.values, ignore)] + after
                        continue
                    rows.extend(part)
                    after_notes += after
                    ended = notes
            return rows, after_notes, xml.merges

        table.rows, table.after_notes, merges = sliced(layout, _slice_bytes())
        found = data_merges(merges, layout.first_row)
        if found:  # cells merged down (listed after the rows): read again as one piece, so no range is cut
            table.rows, table.after_notes, _ = sliced(replace(layout, merges=found), WHOLE_SHEET)
        return table
    no_value, merges = _sheet_scan(path, members.get(table.sheet))
    layout = replace(layout, merges=data_merges(merges, layout.first_row))
    numbered = enumerate(book.rows(table.sheet, min_row=layout.first_row), start=layout.first_row)
    table.rows, _, table.after_notes = layout.build(numbered, no_value)
    return table
