"""Shared options and output helpers of the ``tic`` commands."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from toolkit.adapters.atomic import write_text
from toolkit.adapters.config_file import DEFAULT_NAME, load_config
from toolkit.core.config import Config
from toolkit.errors import TicError

F = TypeVar("F", bound=Callable[..., Any])


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"配置文件（默认当前文件夹的 {DEFAULT_NAME}）。",
    )(f)


def json_option(f: F) -> F:
    return click.option(
        "--json",
        "json_dest",
        type=str,
        default=None,
        metavar="文件|-",
        help="把机器可读的结果（JSON）写入文件；- 表示输出到屏幕。",
    )(f)


def quiet_option(f: F) -> F:
    return click.option("--quiet", "-q", is_flag=True, help="只输出问题，不输出汇总。")(f)


def resolve_config(config_path: Path | None) -> Config:
    return load_config(config_path or Path(DEFAULT_NAME))


_NOT_JSON = (".xlsx", ".xlsm", ".xls", ".docx", ".doc", ".csv", ".toml", ".sqlite")


def refuse_inputs_as_outputs(outputs: Any, inputs: Any) -> None:
    """An output that is one of the inputs (or inside a folder being read) would destroy the clerk's file."""
    ins = [Path(p).resolve() for p in inputs]
    for out in outputs:
        if not out or str(out) == "-":
            continue
        o = Path(out).resolve()
        for i in ins:
            if o == i or (i.is_dir() and i in o.parents):
                raise TicError(f"输出“{Path(out)}”{'就是' if o == i else '位于'}输入“{i.name}”{'' if o == i else '之中'}，"
                               "为免覆盖原文件，未做任何处理；请换一个输出位置。")


def output_for(path: Path, folder: Path, name_of: Callable[[Path], str], written: set[Path]) -> Path:
    """The output of ``path`` in ``folder`` (named by ``name_of``); when another input of this run already
    wrote that name (two 申报汇总表.xlsx of different folders into one --out), the name of the input's
    folder is added: ``申报汇总表（长安区）.校验结果.xlsx``. ``written`` holds the resolved outputs so far."""
    target = folder / name_of(path)
    n = 1
    while target.resolve() in written:
        n += 1
        label = path.resolve().parent.name + ("" if n == 2 else f"-{n - 1}")
        target = folder / name_of(path.with_name(f"{path.stem}（{label}）{path.suffix}"))
    return target


def require_xlsx_name(path: Path) -> None:
    """A workbook the toolkit writes is .xlsx: a name ending .xls (or anything else) would be an .xlsx that Excel
    refuses to open under that name."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise TicError(f"“{path.name}”不是 .xlsx 文件名，生成的是 Excel 2007 及以上格式的工作簿，"
                       f"请改用“{path.stem}.xlsx”这样的文件名。")


def refuse_foreign_workbook(path: Path, sheets: set[str], what: str, mark: str | None = None) -> bool:
    """An existing ``path`` that is not a workbook this command wrote (it lacks the ``sheets``, or the defined
    name ``mark`` when the clerk's own workbooks have the same sheets) is never overwritten: one sentence
    instead. True when an earlier output of the command is there (replaced)."""
    require_xlsx_name(path)
    if not path.exists():
        return False
    from toolkit.adapters.safety import sheet_xml_members
    from toolkit.adapters.table import has_defined_name
    from toolkit.errors import InputFileError

    try:
        names = set(sheet_xml_members(path))
    except InputFileError:
        names = set()
    if mark is not None and sheets <= names and not has_defined_name(path, mark):
        names = set()
    if not sheets <= names:
        kind = f"不是本版本 tic 导出的{what.removeprefix('此前导出的')}" if mark else f"不是{what}"
        hint = "（可能是填写的工作簿，或旧版导出的文件）" if mark else ""
        raise TicError(f"“{path}”已存在，且{kind}{hint}，为免覆盖未做任何处理；请换一个文件名或文件夹，或先把该文件移走。")
    return True


def check_json_dest(dest: str | None) -> None:
    """Refuse a JSON destination that has a workbook's, letter's, config's or ledger's extension."""
    if dest and dest != "-" and Path(dest).suffix.lower() in _NOT_JSON:
        raise TicError(f"JSON 报告不能写入“{dest}”（这是 Excel/Word/配置/台账文件的扩展名），请用 .json 文件名。")


def emit_json(data: dict[str, Any], dest: str | None) -> None:
    """Write a report dict as JSON to ``dest`` (a path, or ``-`` for stdout)."""
    if not dest:
        return
    check_json_dest(dest)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if dest == "-":  # JSON is UTF-8 (RFC 8259) whatever the console's code page: GBK would lose 𫓧 and the like
        out = getattr(sys.stdout, "buffer", None)
        if out is None:
            click.echo(text, nl=False)
        else:
            sys.stdout.flush()
            out.write(text.encode("utf-8"))
            out.flush()
    else:
        write_text(Path(dest), text)


_GONE: set[bool] = set()  # the streams (err True/False) whose reader went away


def echo(message: str = "", err: bool = False) -> None:
    """One line to the console; when its reader went away (``tic validate … | head``) the command goes on with
    its work (the copies and reports it writes) and prints no more there, instead of stopping half-way."""
    if err in _GONE:
        return
    try:
        click.echo(message, err=err)
    except BrokenPipeError:
        _GONE.add(err)
        stream = sys.stderr if err else sys.stdout
        try:  # later writes and the flush at exit go nowhere instead of raising again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass


def debug_requested() -> bool:
    """``tic --debug``: tracebacks and exception names for developers."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def guarded(f: F) -> F:
    """Turn a :class:`TicError` into one ``错误：…`` line and exit status 2 (traceback with --debug); an
    unforeseen error (a bug, a file no check foresaw) is one sentence too, never a traceback on a clerk's screen."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return f(*args, **kwargs)
            finally:
                _say_cleared_locks()
        except TicError as exc:
            if debug_requested():
                raise
            click.echo(f"错误：{exc}", err=True)
            sys.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if debug_requested():
                raise
            click.echo(f"错误：程序内部错误（{type(exc).__name__}: {exc}），本次未完成；请把这段提示和所用的文件"
                       "发给技术人员（加 --debug 运行可看到详细信息）。", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _say_cleared_locks() -> None:
    """One sentence for each ledger lock of a dead run this command removed (see ledger._clear_if_stale)."""
    ledger = sys.modules.get("toolkit.adapters.ledger")
    cleared = getattr(ledger, "_stale_cleared", None)
    while cleared:
        holder = cleared.pop(0)
        click.echo(f"提示：已清除上次异常退出遗留的台账锁（原由 {holder.get('user') or '未知用户'} 于"
                   f" {str(holder.get('time') or '未知时间').replace('T', ' ')[:19]} 运行“{holder.get('command') or '未知'}”，"
                   "该进程已不在运行）。", err=True)


def make_console_safe() -> None:
    """Keep output printable on a GBK Windows console: replace what the code page lacks."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # pragma: no cover - detached or odd streams
                pass
