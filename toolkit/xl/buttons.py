"""The Python side of the console's buttons (what xlwings' ``RunPython`` calls).

The VBA button ``TicValidate`` runs ``RunPython "import toolkit.xl.buttons as
tic_buttons; tic_buttons.press('validate')"``; :func:`press` gets the calling
workbook from xlwings, reads the 工作台's input cells, runs the action with the
same library function as the CLI (:mod:`toolkit.xl.actions`) and writes only
the result area. It uses this much of xlwings' API, so a small stand-in with
the same shape can drive it without Excel::

    book.fullname                       the workbook's path
    book.sheets[name]                   a sheet
    sheet.range(address)                a cell or range by A1 address
    range.value (get/set), range.formula (set), range.color (set: (r, g, b) or None),
    range.row_height (set, points), range.clear_contents()

:func:`run_request` is the same for the command line (``tic xl run``, used by
the WPS path): the request comes from a file the VBA module wrote, and the
cell writes go to a file the VBA module applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from toolkit.xl import layout
from toolkit.xl.actions import (
    CellWrite,
    RequestError,
    Status,
    make_request,
    run_action,
    running_writes,
    status_writes,
)

__all__ = [
    "annual_button",
    "apply_writes",
    "batch_button",
    "collect_button",
    "decide_button",
    "evaluate_button",
    "letters_button",
    "press",
    "read_request_file",
    "run_request",
    "validate_button",
    "write_status_file",
]


def _book_dir(fullname: str | None) -> Path | None:
    if not fullname or "://" in fullname:  # a OneDrive/SharePoint URL has no folder to resolve against
        return None
    return Path(fullname).parent


def _rgb(hex_color: str) -> tuple[int, int, int] | None:
    if not hex_color:
        return None
    return int(hex_color[0:2], 16), int(hex_color[2:4], 16), int(hex_color[4:6], 16)


def apply_writes(sheet: Any, writes: Iterable[CellWrite]) -> None:
    """Apply cell writes to an xlwings sheet (or a stand-in of the same shape)."""
    for w in writes:
        rng = sheet.range(w.address)
        if w.kind == "clear":
            rng.clear_contents()
        elif w.kind == "value":
            rng.value = w.value
        elif w.kind == "formula":
            rng.formula = w.value
        elif w.kind == "color":
            rng.color = _rgb(w.value)
        elif w.kind == "height":
            rng.row_height = float(w.value)


def run_request(action: str, values: Mapping[str, Any], book_dir: Path | None) -> tuple[Status, list[CellWrite]]:
    """Run one action for the given input cell values; the status and the writes that show it."""
    try:
        req = make_request(action, values, book_dir)
    except RequestError as exc:
        status = Status(action, 2, f"未能运行：{exc}")
        return status, status_writes(status, book_dir or Path.cwd())
    status = run_action(req)
    return status, status_writes(status, req.cycle)


def press(action: str, book: Any = None) -> Status:
    """The entry point of every button: ``book`` defaults to the workbook that called (``xw.Book.caller()``)."""
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    sheet = book.sheets[layout.CONSOLE]
    values = {f.name: sheet.range(f.cell).value for f in layout.INPUTS}
    if action in layout.ACTIONS:
        apply_writes(sheet, running_writes(action))
    status, writes = run_request(action, values, _book_dir(book.fullname))
    apply_writes(sheet, writes)
    return status


def validate_button(book: Any = None) -> Status:
    """校验申报表."""
    return press("validate", book)


def collect_button(book: Any = None) -> Status:
    """汇总各区."""
    return press("collect", book)


def evaluate_button(book: Any = None) -> Status:
    """评估打分."""
    return press("evaluate", book)


def annual_button(book: Any = None) -> Status:
    """年报核查."""
    return press("annual", book)


def decide_button(book: Any = None) -> Status:
    """处置决定."""
    return press("decide", book)


def letters_button(book: Any = None) -> Status:
    """生成公文."""
    return press("letters", book)


def batch_button(book: Any = None) -> Status:
    """运行本月批处理."""
    return press("batch", book)


# --------------------------------------------------------------------------- the command-line (WPS) protocol


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def read_request_file(path: Path) -> tuple[str, dict[str, str], Path | None]:
    """(action, input cell values by name, workbook folder) from the request file of ``TicButtons.RunCommandLine``:
    one ``name<TAB>value`` line each (UTF-16 as VBA's FileSystemObject writes it, or UTF-8)."""
    values: dict[str, str] = {}
    for line in _read_text(path).splitlines():
        name, sep, value = line.partition("\t")
        if sep:
            values[name.strip().lower()] = value
    return values.get("action", "").strip(), values, _book_dir(values.get("book"))


def write_status_file(path: Path, writes: Iterable[CellWrite]) -> None:
    """The cell writes as ``kind<TAB>address<TAB>value`` lines, UTF-16 with BOM (what VBA reads back)."""
    from toolkit.adapters.atomic import write_bytes

    def clean(text: str) -> str:
        return " ".join(text.replace("\t", " ").splitlines())

    text = "".join(f"{w.kind}\t{w.address}\t{clean(w.value)}\r\n" for w in writes)
    write_bytes(path, b"\xff\xfe" + text.encode("utf-16-le"))
