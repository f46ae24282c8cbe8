"""What each console button does: read the request, call the same library function as the CLI, say the result.

Every action returns a :class:`Status` — a headline, counts, the files written
and one Chinese sentence per problem — which :func:`status_writes` turns into
the cell writes of the 工作台's result area. The xlwings entry points
(:mod:`toolkit.xl.buttons`) apply those writes to the calling workbook; the
command line (``tic xl run``, used by WPS) writes them to a file that the VBA
module applies. No logic of the regulation lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.adapters.config_file import DEFAULT_NAME, load_config
from toolkit.core.config import Config
from toolkit.core.findings import Finding, Severity
from toolkit.cycle import folder
from toolkit.errors import LedgerError, OutputError, TicError
from toolkit.xl import layout

__all__ = ["Request", "Status", "CellWrite", "make_request", "run_action", "running_writes", "status_writes"]

HEADLINES = {
    0: "完成：没有发现需要处理的问题。",
    1: "完成：发现不符合项或需要处理的问题，见下方“问题与说明”。",
    2: "未能完成：有文件无法读取或无法写入，见下方“问题与说明”。",
}


DERIVED = (".校验结果", ".评估结果", ".年报核查")  # the toolkit's own copies are never an input


class RequestError(TicError):
    """The console's cells do not say enough to run the action (one sentence: which cell to fill)."""


@dataclass(frozen=True)
class Request:
    """The inputs of one button press, with relative paths already resolved."""

    action: str
    cycle: Path
    config_path: Path
    config_given: bool = False
    input: Path | None = None
    output: Path | None = None


@dataclass
class Status:
    """The result of one action, as the result area shows it."""

    action: str
    code: int
    headline: str
    counts: str = ""
    outputs: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    open_path: Path | None = None
    report: dict[str, Any] | None = None  # the library's to_dict(): the CLI's --json
    finished: str = field(default_factory=lambda: datetime.now().strftime("%Y-%m-%d %H:%M:%S"))

    @property
    def title(self) -> str:
        button = layout.BUTTON_BY_ACTION.get(self.action)
        return button.title if button else self.action or "（未指定操作）"


@dataclass(frozen=True)
class CellWrite:
    """One change to the 工作台 sheet: ``clear`` a range, set a ``value`` or ``formula``, a fill ``color``
    (RRGGBB, empty for none) or a row ``height`` (points)."""

    kind: str
    address: str
    value: str = ""


# --------------------------------------------------------------------------- the request


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip().strip('"').strip()


def _resolve(text: str, base: Path) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p


def make_request(action: str, values: Mapping[str, Any], book_dir: Path | None) -> Request:
    """A :class:`Request` from the console's input cells (by defined name); paths relative to the workbook."""
    if action not in layout.ACTIONS:
        raise RequestError(f"未知的操作“{action}”，可用的有：{'、'.join(layout.ACTIONS)}。")
    base = book_dir or Path.cwd()
    cycle_text = _text(values.get("tic_cycle"))
    cycle = _resolve(cycle_text, base) if cycle_text else base
    config_text = _text(values.get("tic_config"))
    config_path = _resolve(config_text, base) if config_text else cycle / DEFAULT_NAME
    input_text, output_text = _text(values.get("tic_input")), _text(values.get("tic_output"))
    return Request(action, cycle, config_path, bool(config_text),
                   _resolve(input_text, base) if input_text else None,
                   _resolve(output_text, base) if output_text else None)


def _cycle_folder(req: Request, key: str) -> Path | None:
    d = folder(req.cycle, key)
    return d if d.is_dir() else None


def _input_file(req: Request, key: str | None, what: str) -> Path:
    """The input cell, or the only workbook in the cycle's ``key`` folder."""
    if req.input is not None:
        if req.input.is_dir():
            raise RequestError(f"“输入文件”格填的是文件夹“{req.input}”，{what}需要一个工作簿文件。")
        return req.input
    if key is None:
        raise RequestError(f"请在“输入文件”格填写要{what}的工作簿（完整路径，或相对于本工作簿所在文件夹的路径）。")
    d = _cycle_folder(req, key)
    found = sorted(p for p in d.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm")
                   and not p.name.startswith(("~$", ".~")) and not p.stem.endswith(DERIVED)) if d else []
    if len(found) == 1:
        return found[0]
    where = f"“{d.name}”文件夹中有{len(found)}个工作簿" if d else "周期文件夹中没有对应的文件夹"
    raise RequestError(f"请在“输入文件”格填写要{what}的工作簿（{where}，无法自动选择）。")


def _out_dir(req: Request, key: str, fallback: Path) -> Path:
    return req.output or _cycle_folder(req, key) or fallback


# --------------------------------------------------------------------------- the actions


def _sentences(findings: list[Finding], prefix: str = "") -> list[str]:
    out = []
    for f in findings:
        if f.severity is Severity.INFO:
            continue
        where = f"{f.sheet}!{f.cell} " if f.sheet and f.cell else (f"{f.cell} " if f.cell else "")
        out.append(f"{prefix}{where}{f.sentence()}")
    return out


def _lines(lines: list[str]) -> list[str]:
    return [s.strip().lstrip("-").strip() for s in lines if s.strip()]


def _validate(req: Request, config: Config) -> Status:
    from toolkit.adapters.ledger_names import existing_center_names
    from toolkit.intake import annotate_report, validate_file

    path = _input_file(req, None, "校验")
    if ".校验结果." in path.name:  # as tic validate: a copy it wrote is not an intake workbook
        raise TicError(f"“{path.name}”是 tic 生成的校验结果副本，不是申报表，未校验；请在“输入文件”填写原申报汇总表。")
    unread: list[str] = []
    report = validate_file(path, config, existing_names=existing_center_names(config, unread))
    status = Status(req.action, report.status, HEADLINES[report.status], report=report.to_dict())
    status.problems += unread
    if report.fatal is not None:
        status.problems.append(f"【无法读取】{report.fatal}")
        return status
    s = report.summary
    status.counts = (f"{path.name}：共 {s['rows']} 行，符合 {s['eligible']}，待核实 {s['review']}，不符合 {s['ineligible']}；"
                     f"错误 {s['errors']} 处，警告 {s['warnings']} 处。")
    status.problems += _sentences(report.file_findings)
    for r in report.rows:
        status.problems += _sentences(r.findings, f"第{r.row}行 {r.center_name or '（未填中心名称）'}：")
    try:
        target = annotate_report(report, req.output)
    except OutputError as exc:  # as the CLI: the check stands, the copy could not be written
        status.code, status.headline = 2, HEADLINES[2]
        status.problems.insert(0, f"未能生成校验结果副本：{exc}")
        return status
    status.outputs.append(target)
    status.open_path = target
    return status


def _collect(req: Request, config: Config) -> Status:
    from toolkit.batch import CITY_WORKBOOK
    from toolkit.cli.common import refuse_foreign_workbook, refuse_inputs_as_outputs
    from toolkit.submission import collect_folder, collect_lines

    inbox = req.input or folder(req.cycle, "inbox")
    out_file = _out_dir(req, "city", inbox.parent) / CITY_WORKBOOK
    refuse_inputs_as_outputs([out_file], [inbox])  # as tic collect: never over a file the clerk made
    refuse_foreign_workbook(out_file, {"汇总"}, "市局汇总表")
    report = collect_folder(inbox, config, out_file)
    lines = collect_lines(report)
    problems = [x for x in _lines(lines[1:]) if not x.startswith("重复申报：")]  # they come with each row below
    status = Status(req.action, report.status, HEADLINES[report.status], counts=lines[0], outputs=[out_file],
                    problems=problems, open_path=out_file, report=report.to_dict())
    for r in report.rows:
        status.problems += _sentences(r.findings, f"{r.district or ''}“{r.file}”第{r.row}行 {r.center_name or ''}：")
    return status


def _evaluate(req: Request, config: Config) -> Status:
    from toolkit.adapters.evaluation_workbook import evaluate_file, results_path, write_results_workbook
    from toolkit.adapters.ledger import record_evaluation
    from toolkit.cli.evaluate import terminal_lines

    path = _input_file(req, "scores", "评估")
    result = evaluate_file(path, config)
    target = write_results_workbook(result, results_path(path, _out_dir(req, "results", path.parent)))
    code = result.exit_status
    counts = terminal_lines(result, path.name)[0]
    problems = _sentences(result.all_findings())
    if code:
        problems.insert(0, f"“{path.name}”有错误，评估结果未记入台账（处置决定按台账计算）；请改正后再点“评估打分”。")
    elif not config.ledger_path.is_file():
        code = 1
        problems.insert(0, f"台账“{config.ledger_path}”尚不存在，评估结果未记入台账（处置决定按台账计算）；"
                           "请先导入中心台账（tic ledger import）后再点“评估打分”。")
    else:  # as tic run and tic evaluate --record: the grades go into the ledger, where 处置决定 reads them
        try:
            written = record_evaluation(config, result.to_dict(), path)
        except LedgerError as exc:
            code = 2
            problems.insert(0, f"评估结果未记入台账：{exc}")
        else:
            counts += f"已将{written}个中心的{config.year}年度评估结果记入台账。"
    return Status(req.action, code, HEADLINES[code], counts=counts, outputs=[target], problems=problems,
                  open_path=target, report=result.to_dict())


def _annual(req: Request, config: Config) -> Status:
    from toolkit.adapters.ledger_workbook import check_annual_file

    path = _input_file(req, "annual", "核查")
    report = check_annual_file(config, path, _out_dir(req, "annual_out", path.parent))
    lines = report.terminal_lines()
    outputs = [report.output] if report.output else []
    return Status(req.action, report.status, HEADLINES[report.status], counts=lines[0], outputs=outputs,
                  problems=_lines(lines[1:]), open_path=report.output, report=report.to_dict())


def _decide(req: Request, config: Config) -> Status:
    from toolkit.adapters.ledger import decide_cycle

    report = decide_cycle(config)
    lines = report.summary_lines()
    return Status(req.action, 0, HEADLINES[0], counts=lines[0], problems=_lines(lines[1:]), report=report.to_dict())


def _letters(req: Request, config: Config) -> Status:
    from toolkit.adapters.letters import issue_letters

    out = req.output or folder(req.cycle, "letters")
    report = issue_letters(config, out)
    lines = report.summary_lines()
    outputs = [out / e.file for e in report.new] + ([out / report.manifest] if report.manifest else [])
    code = report.exit_status
    return Status(req.action, code, HEADLINES[code], counts=lines[0], outputs=[out, *outputs],
                  problems=_lines(lines[1:]), open_path=out, report=report.to_dict())


def _batch(req: Request) -> Status:
    from toolkit.batch import run_cycle

    report = run_cycle(req.cycle, config_path=req.config_path if req.config_given else None)
    lines = report.lines()
    ran = [s for s in report.steps if s.ran]
    counts = (f"运行了{len(ran)}个步骤：{'、'.join(s.title for s in ran)}；生成或更新{len(set(report.outputs))}个文件。"
              if ran else "没有新的或变化的文件，本次未做任何处理。")
    code = report.status
    headline = HEADLINES[code] if not report.fatal else f"未能运行：{report.fatal}"
    outputs = list(dict.fromkeys([*report.outputs, *report.log_files]))
    return Status(req.action, code, headline, counts=counts, outputs=outputs, problems=_lines(lines[1:]),
                  report=report.to_dict())


RUNNERS: dict[str, Callable[[Request, Config], Status]] = {
    "validate": _validate, "collect": _collect, "evaluate": _evaluate, "annual": _annual,
    "decide": _decide, "letters": _letters,
}


def run_action(req: Request) -> Status:
    """Run one action; never raises: a problem that stops it becomes a status with code 2."""
    try:
        if req.action == "batch":  # run_cycle reads the config itself and reports a bad one
            return _batch(req)
        return RUNNERS[req.action](req, load_config(req.config_path))
    except TicError as exc:
        return Status(req.action, 2, f"未能运行：{exc}")
    except Exception as exc:  # a button must always answer in the sheet, never with a traceback
        return Status(req.action, 2, "程序内部错误，请把本页截图发给技术人员。",
                      problems=[f"{type(exc).__name__}：{exc}"])


# --------------------------------------------------------------------------- the result area


def _display(path: Path, cycle: Path) -> str:
    try:
        return path.resolve().relative_to(cycle.resolve()).as_posix() or path.name
    except (ValueError, OSError):
        return str(path)


def _link(path: Path, text: str) -> str:
    target = str(path.resolve() if path.exists() else path)
    if len(target) > 255:  # the limit of HYPERLINK's first argument: show the path instead
        return text
    return '=HYPERLINK("{}","{}")'.format(target.replace('"', '""'), text.replace('"', '""')[:250])


def _clear() -> list[CellWrite]:
    return [CellWrite("clear", layout.RESULT_RANGE), CellWrite("clear", layout.OPEN_PATH_CELL),
            CellWrite("height", layout.RESULT_RANGE, f"{layout.LINE_HEIGHT:g}")]


def _text_write(address: str, text: str) -> list[CellWrite]:
    """The value and, when it wraps in column C, the row height it needs."""
    height = layout.row_height(text, layout.WIDTHS["C"])
    writes = [CellWrite("value", address, text)]
    if height > layout.LINE_HEIGHT:
        writes.append(CellWrite("height", address, f"{height:g}"))
    return writes


def _color(code: int | None) -> str:
    return "{:02X}{:02X}{:02X}".format(*layout.STATE_COLORS[code])


def running_writes(action: str) -> list[CellWrite]:
    """What the result area shows while an action runs."""
    return [*_clear(), CellWrite("value", layout.ACTION_CELL, layout.BUTTON_BY_ACTION[action].title),
            CellWrite("value", layout.STATE_CELL, "正在运行，请稍候……"), CellWrite("color", layout.STATE_CELL, _color(None))]


def status_writes(status: Status, cycle: Path) -> list[CellWrite]:
    """The cell writes that show ``status`` in the result area (after clearing it)."""
    writes = [*_clear(),
              CellWrite("value", layout.ACTION_CELL, status.title),
              *_text_write(layout.STATE_CELL, status.headline),
              CellWrite("color", layout.STATE_CELL, _color(status.code)),
              CellWrite("value", layout.TIME_CELL, status.finished)]
    if status.counts:
        writes += _text_write(layout.COUNTS_CELL, status.counts)
    outputs = list(dict.fromkeys(status.outputs))
    shown = outputs if len(outputs) <= layout.OUTPUT_ROWS else outputs[: layout.OUTPUT_ROWS - 1]
    for cell, path in zip(layout.OUTPUT_CELLS, shown, strict=False):
        label = _display(path, cycle) + ("（文件夹）" if path.is_dir() else "")
        writes.append(CellWrite("formula", cell, _link(path, label)))
    if len(shown) < len(outputs):
        parent = outputs[len(shown)].parent
        writes.append(CellWrite("formula", layout.OUTPUT_CELLS[-1],
                                _link(parent, f"……另有{len(outputs) - len(shown)}个文件，点击打开“{_display(parent, cycle)}”")))
    problems = status.problems
    if len(problems) > layout.PROBLEM_ROWS:
        more = len(problems) - layout.PROBLEM_ROWS + 1
        problems = [*problems[: layout.PROBLEM_ROWS - 1], f"……另有{more}条，详见输出文件。"]
    for cell, text in zip(layout.PROBLEM_CELLS, problems, strict=False):
        writes += _text_write(cell, text)
    if status.open_path is not None:
        writes.append(CellWrite("value", layout.OPEN_PATH_CELL, str(status.open_path.resolve())))
    return writes
