"""The submission stamp: what a district validated, so the city can tell whether it changed since.

The stamp lives in a sheet ``报送标记`` of the submission workbook: tool and schema
version, cycle year, reference date, district, time, row count, and a SHA-256
over the *normalised data* of the rows (plus one per row, so a changed row can be
named). Opening and saving the workbook in Excel or WPS without changing a value
keeps it valid; changing any value breaks it. It is an integrity check, not a
signature: anyone with the toolkit can re-stamp a workbook.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.styles import Font

from toolkit.core.values import clean_text

STAMP_SHEET = "报送标记"
STAMP_VERSION = "stamp/1"


def canonical(value: Any) -> str:
    """A cell value as text that survives a re-save in Excel/WPS unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # as xlstyle.literal writes it: "inf", "nan"
    if isinstance(value, int | float | Decimal):
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        text = format(d.normalize(), "f")
        return text[:-2] if text.endswith(".0") else text
    return clean_text(value)


def row_hash(keys: Sequence[str], values: Mapping[str, Any]) -> str:
    h = hashlib.sha256()
    for key in keys:
        h.update(key.encode())
        h.update(b"\x1f")
        h.update(canonical(values.get(key)).encode())
        h.update(b"\x1e")
    return h.hexdigest()


def data_hash(row_hashes: Iterable[str]) -> str:
    h = hashlib.sha256()
    for r in row_hashes:
        h.update(r.encode())
    return h.hexdigest()


@dataclass
class Stamp:
    tool_version: str
    schema_version: str
    year: int
    reference_date: str
    district: str
    stamped_at: str
    rows: int
    sha256: str
    row_hashes: dict[int, str] = field(default_factory=dict)  # Excel row -> hash
    stamp_version: str = STAMP_VERSION

    def items(self) -> list[tuple[str, Any]]:
        return [("标记版本", self.stamp_version), ("工具版本", self.tool_version), ("表格版本", self.schema_version),
                ("周期年度", self.year), ("基准日期", self.reference_date), ("县（市、区）", self.district),
                ("报送时间", self.stamped_at), ("数据行数", self.rows), ("数据校验码", self.sha256)]


_LABELS = {"标记版本": "stamp_version", "工具版本": "tool_version", "表格版本": "schema_version",
           "周期年度": "year", "基准日期": "reference_date", "县（市、区）": "district", "报送时间": "stamped_at",
           "数据行数": "rows", "数据校验码": "sha256"}


def write_stamp(wb: Any, stamp: Stamp) -> None:
    """Add the 报送标记 sheet (at the end) to an openpyxl workbook being written."""
    ws = wb.create_sheet(STAMP_SHEET)
    ws["A1"] = "报送标记（由 tic submit 生成，用于市局核对数据在校验后是否被改动；请勿修改本工作表）"
    ws["A1"].font = Font(bold=True, color="C00000")
    for i, (k, v) in enumerate(stamp.items(), start=3):
        ws.cell(row=i, column=1, value=k)
        ws.cell(row=i, column=2, value=v)
    start = 3 + len(stamp.items()) + 1
    ws.cell(row=start, column=1, value="行号")
    ws.cell(row=start, column=2, value="行校验码")
    for j, (rownum, h) in enumerate(sorted(stamp.row_hashes.items()), start=start + 1):
        ws.cell(row=j, column=1, value=rownum)
        ws.cell(row=j, column=2, value=h)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 70
    ws.sheet_state = "hidden"


def read_stamp(wb: Any) -> Stamp | None:
    """The stamp of a workbook opened with openpyxl, or None when it has none (or it is unreadable)."""
    if STAMP_SHEET not in wb.sheetnames:
        return None
    ws = wb[STAMP_SHEET]
    values: dict[str, Any] = {}
    row_hashes: dict[int, str] = {}
    in_rows = False
    for a, b, *_ in ws.iter_rows(min_row=2, max_col=2, values_only=True):
        if a == "行号":
            in_rows = True
            continue
        if in_rows:
            if isinstance(a, int | float) and isinstance(b, str) and math.isfinite(a) and a == int(a):
                row_hashes[int(a)] = b
        elif isinstance(a, str) and a in _LABELS:
            values[_LABELS[a]] = b
    try:
        return Stamp(
            tool_version=str(values["tool_version"]), schema_version=str(values["schema_version"]),
            year=int(values["year"]), reference_date=str(values["reference_date"]),
            district=str(values["district"]), stamped_at=str(values["stamped_at"]), rows=int(values["rows"]),
            sha256=str(values["sha256"]), row_hashes=row_hashes,
            stamp_version=str(values.get("stamp_version", STAMP_VERSION)),
        )
    except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: a number written as 1E+400
        return None
