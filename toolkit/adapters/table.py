"""Read one form (a table with a header row) out of a real-world workbook.

Copes with what districts actually return (workbooks.md): title rows above the
header, headers with line breaks / spaces / either width of brackets / a
leading ``*`` or ``★``, aliases, columns in any order, extra columns, blank
rows, a 填表说明 notes block at the bottom, formulas that were never computed,
several sheets. Rows are reported with their Excel row number and A1 cells.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from toolkit.adapters.safety import check_workbook_file, open_workbook, reading_errors, sheet_xml_members
from toolkit.core.values import is_blank, nfkc
from toolkit.errors import InputFileError

HEADER_SCAN_ROWS = 30
TEMPLATE_NAME = "TIC_TEMPLATE"
# Columns the toolkit itself adds to workbooks it writes: never reported as unknown.
OWN_HEADERS = frozenset({"校验结论", "校验问题", "区县校验结论", "区县校验问题", "市局校验结论", "报送标记状态",
                         "来源文件", "来源行号", "问题说明"})
_NOTES = re.compile(r"^(填表说明|填报说明|说明|注|备注|附注)\s*[:：]?")


@dataclass(frozen=True)
class Column:
    """One expected column of a form."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class RawRow:
    row: int
    values: dict[str, Any]
    cells: dict[str, str]
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

    def cell_ref(self, key: str, row: int) -> str:
        return f"{get_column_letter(self.columns[key])}{row}"

    @property
    def header_cells(self) -> dict[str, str]:
        return {key: f"{get_column_letter(col)}{self.header_row}" for key, col in self.columns.items()}


def normalise_header(text: object) -> str:
    """Header text for matching: NFKC (brackets to one width), no white space, no leading */★."""
    s = nfkc(str(text or ""))
    s = re.sub(r"\s+", "", s)
    s = s.lstrip("*★☆※")
    s = s.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    return s.rstrip("：:")


def _base(text: str) -> str:
    """A normalised header without a trailing unit in brackets ("上年度销售收入(万元)" → "上年度销售收入")."""
    return re.sub(r"\([^()]*\)$", "", text)


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


def _formula_cells_without_value(path: Path, member: str | None) -> set[str]:
    """A1 refs of formula cells that carry no cached value (a program wrote the file; Excel never computed it)."""
    if member is None:
        return set()
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(member)
    except (OSError, KeyError, zipfile.BadZipFile):
        return set()
    if b"<f" not in data and b":f" not in data:
        return set()
    out: set[str] = set()
    f_tag = re.compile(rb"<(?:\w+:)?f[\s>/]")
    c_tag = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]+[0-9]+)\"")
    v_tag = re.compile(rb"<(?:\w+:)?v>([^<]+)</(?:\w+:)?v>")
    for m in f_tag.finditer(data):
        start = data.rfind(b"<c ", 0, m.start())
        alt = data.rfind(b":c ", 0, m.start())
        start = max(start, alt - 1 if alt >= 0 else -1)
        if start < 0:
            continue
        cm = c_tag.match(data, start)
        if not cm:
            continue
        end = data.find(b"</c>", m.start())
        end2 = data.find(b":c>", m.start())
        ends = [e for e in (end, end2) if e >= 0]
        stop = min(ends) if ends else len(data)
        if not v_tag.search(data, m.start(), stop):
            out.add(cm.group(1).decode())
    return out


def _iter_rows(path: Path, ws: Any, **kwargs: Any) -> Any:
    """``ws.iter_rows(values_only=True)`` with read errors of a damaged sheet turned into InputFileError.

    Only openpyxl's own work runs inside ``reading_errors``: an exception in the caller's loop body is
    raised in the caller's frame, not here, so a bug is never disguised as a bad file.
    """
    with reading_errors(path):
        yield from ws.iter_rows(values_only=True, **kwargs)


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


class _CalamineBook:
    """python-calamine (Rust): ~15x faster than openpyxl read-only. Used after the file passed the safety
    checks; formulas without a cached value are found by the sheet XML scan in both engines."""

    def __init__(self, path: Path) -> None:
        import python_calamine as pc

        self.path = path
        try:
            self.wb = pc.CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises its own types (ZipError, XmlError, PasswordError …)
            raise _calamine_error(path, exc) from exc
        self.sheetnames = [m.name for m in self.wb.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet]

    def rows(self, sheet: str, min_row: int = 1, max_row: int | None = None) -> Any:
        try:
            ws = self.wb.get_sheet_by_name(sheet)
            it = ws.iter_rows()
            # iter_rows starts at the first used cell: pad the rows above it
            first = ws.start[0] + 1 if ws.start else 1
        except Exception as exc:
            raise _calamine_error(self.path, exc) from exc
        rnum = 1
        while rnum < first:
            if rnum >= min_row:
                if max_row is not None and rnum > max_row:
                    return
                yield ()
            rnum += 1
        while True:
            try:
                values = next(it)
            except StopIteration:
                return
            except Exception as exc:
                raise _calamine_error(self.path, exc) from exc
            if max_row is not None and rnum > max_row:
                return
            if rnum >= min_row:
                yield tuple(None if v == "" else v for v in values)
            rnum += 1

    @property
    def template_version(self) -> str | None:
        import zipfile

        try:
            with zipfile.ZipFile(self.path) as zf:
                xml = zf.read("xl/workbook.xml")[: 1 << 20]
        except (OSError, KeyError, zipfile.BadZipFile):
            return None
        m = re.search(rb'<(?:\w+:)?definedName[^>]*name="TIC_TEMPLATE"[^>]*>([^<]*)<', xml)
        return m.group(1).decode("utf-8", "replace").replace("&quot;", '"').strip('"') if m else None

    def close(self) -> None:
        self.wb.close()


def _calamine_error(path: Path, exc: BaseException) -> InputFileError:
    from toolkit.adapters.safety import message_for

    name = type(exc).__name__
    reason = "encrypted" if name == "PasswordError" else "corrupt"
    return InputFileError(path, message_for(reason, path, detail=str(exc)[:80] or name), reason=reason)


def _calamine_available() -> bool:
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return False
    return True


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
    if workbook is not None:
        return _read(path, _OpenpyxlBook(path, workbook), columns, sheet_names, form_name, frozenset(ignore_for_blank))
    if engine == "auto":
        engine = os.environ.get("TIC_READER", "auto")  # a switch for tests and for comparing the engines
    use_calamine = engine == "calamine" or (engine == "auto" and _calamine_available())
    if use_calamine:
        check_workbook_file(path)
        book: Any = _CalamineBook(path)
    else:
        book = _OpenpyxlBook(path, open_workbook(path, read_only=True))
    try:
        return _read(path, book, columns, sheet_names, form_name, frozenset(ignore_for_blank))
    finally:
        (book.close if use_calamine else book.wb.close)()


def _read(
    path: Path, book: Any, columns: Sequence[Column], sheet_names: Sequence[str], form_name: str, ignore: frozenset[str]
) -> Table:
    matcher = HeaderMatcher(columns)
    by_key = {c.key: c for c in columns}
    wanted = [normalise_header(n) for n in sheet_names]
    order = sorted(book.sheetnames, key=lambda n: 0 if normalise_header(n) in wanted else 1)
    need = max(2, min(4, sum(1 for c in columns if c.required)))
    best: tuple[int, str, int, tuple[Any, ...]] | None = None
    for name in order:
        for idx, values in enumerate(book.rows(name, max_row=HEADER_SCAN_ROWS), start=1):
            score = _score_header_row(values, matcher)
            if score >= need and (best is None or score > best[0]):
                best = (score, name, idx, values)
        if best is not None and best[1] == name and normalise_header(name) in wanted:
            break
    if best is None:
        raise InputFileError(
            path,
            f"文件“{path.name}”中没有找到{form_name}的表头（如“{columns[0].header}”“{columns[1].header}”等列），"
            "请使用标准模板（tic template）填写。",
            reason="no-form",
        )
    _, sheet, header_row, header_values = best
    col_of: dict[str, int] = {}
    unknown: list[tuple[str, str]] = []
    extra_cols: dict[int, str] = {}
    for idx, value in enumerate(header_values, start=1):
        if is_blank(value):
            continue
        key = matcher.match(value)
        if key and key not in col_of:
            col_of[key] = idx
        elif normalise_header(value) in OWN_HEADERS:
            continue
        else:
            label = " ".join(str(value).split())
            unknown.append((f"{get_column_letter(idx)}{header_row}", label))
            extra_cols[idx] = label
    missing = [c for c in columns if c.key not in col_of]
    letters = {key: get_column_letter(col) for key, col in col_of.items()}

    members = sheet_xml_members(path)
    no_value = _formula_cells_without_value(path, members.get(sheet))

    rows: list[RawRow] = []
    key_cols = [(key, col - 1) for key, col in col_of.items()]
    extra_idx = [(label, idx - 1) for idx, label in extra_cols.items()]
    for rnum, values in enumerate(book.rows(sheet, min_row=header_row + 1), start=header_row + 1):
        first = next((v for v in values if not is_blank(v)), None)
        if first is None:
            continue
        if isinstance(first, str) and _NOTES.match(first.strip()):
            break
        n = len(values)
        vals = {key: (values[i] if i < n else None) for key, i in key_cols}
        for key, v in vals.items():
            if isinstance(v, str) and not v.strip():
                vals[key] = None
        row_formulas = {key for key in vals if f"{letters[key]}{rnum}" in no_value} if no_value else set()
        if all(v is None for k, v in vals.items() if k not in ignore) and not row_formulas:
            # only extra columns hold something: not a row of the form
            continue
        rows.append(
            RawRow(
                row=rnum,
                values=vals,
                cells={key: f"{letters[key]}{rnum}" for key in by_key if key in letters},
                formula_missing=row_formulas,
                extra={label: values[i] for label, i in extra_idx if i < n and not is_blank(values[i])},
            )
        )
    return Table(
        path=path,
        sheet=sheet,
        header_row=header_row,
        columns=col_of,
        missing_columns=missing,
        unknown_headers=unknown,
        rows=rows,
        template_version=book.template_version,
        sheet_names=list(book.sheetnames),
    )
