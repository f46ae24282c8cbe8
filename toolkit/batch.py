"""The monthly batch: ``tic run`` over a whole cycle folder on the shared drive.

Steps, in order: import 台账 workbooks → collect district submissions → register the
centers the bureau approved → check annual reports → evaluate scoring workbooks and
record the grades → decide dispositions → issue letters. What is new or changed is
found by content (SHA-256), not by file time; an unchanged input is skipped, and a
second run with nothing new does nothing and says so. One bad file never stops the
others; the exit status is the worst of the steps. The ledger lock is held for the
whole run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.adapters.atomic import write_text
from toolkit.adapters.config_file import DEFAULT_NAME, load_config
from toolkit.core.config import Config
from toolkit.cycle import STATE_FILE, folder
from toolkit.errors import InputFileError, LedgerError, TicError

CITY_WORKBOOK = "市局汇总.xlsx"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:  # noqa: PTH123
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _digest(path: Path) -> str | None:
    """The content hash of an input, or None when it cannot be read (no permission, still being copied)."""
    try:
        return sha256_file(path)
    except OSError:
        return None


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
_NOT_INPUTS = {"说明.txt", "thumbs.db", "desktop.ini", ".ds_store"}


def _workbooks(d: Path) -> list[Path]:
    if not d.is_dir():
        return []
    return sorted((p for p in d.rglob("*") if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
                   and not p.name.startswith(("~$", ".~"))), key=lambda p: p.relative_to(d).as_posix())


def _not_workbooks(d: Path) -> list[Path]:
    """Files a clerk put in an input folder that no step reads (a .zip, a WPS .et, an .ods …): said, never silently
    passed over."""
    if not d.is_dir():
        return []
    return sorted((p for p in d.rglob("*") if p.is_file() and p.suffix.lower() not in WORKBOOK_SUFFIXES
                   and p.name.lower() not in _NOT_INPUTS and not p.name.startswith(("~$", ".~", "."))
                   # tic's own side files: the JSON report beside a workbook (tic submit writes one)
                   and not (p.suffix.lower() == ".json" and p.with_suffix(".xlsx").exists())
                   and not any(part.startswith(".") for part in p.relative_to(d).parts)),
                  key=lambda p: p.relative_to(d).as_posix())


def _say_not_workbooks(step: Step, d: Path) -> None:
    for path in _not_workbooks(d):
        step.attention.append(f"“{d.name}/{path.relative_to(d).as_posix()}”不是 Excel 工作簿（.xlsx 或 .xlsm），"
                              "未处理；如是要处理的表格，请在 Excel 或 WPS 中另存为 .xlsx 后放入。")


@dataclass
class Step:
    key: str
    title: str
    ran: bool = False
    status: int = 0
    lines: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)  # what needs a person
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, cycle: Path) -> dict[str, Any]:
        return {"step": self.key, "title": self.title, "ran": self.ran, "status": self.status, "lines": self.lines,
                "attention": self.attention, "outputs": [_rel(p, cycle) for p in self.outputs], **self.detail}


def _rel(p: Path, base: Path) -> str:
    try:
        return p.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(p)


@dataclass
class RunReport:
    cycle: Path
    dry_run: bool
    started: str
    steps: list[Step] = field(default_factory=list)
    log_files: list[Path] = field(default_factory=list)
    fatal: str | None = None

    @property
    def status(self) -> int:
        if self.fatal:
            return 2
        return max((s.status for s in self.steps), default=0)

    @property
    def outputs(self) -> list[Path]:
        return [p for s in self.steps for p in s.outputs]

    @property
    def did_anything(self) -> bool:
        return any(s.ran for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {"report": "run", "schema_version": 1, "tool_version": __version__, "cycle": str(self.cycle),
                "dry_run": self.dry_run, "started": self.started, "status": self.status, "fatal": self.fatal,
                "steps": [s.to_dict(self.cycle) for s in self.steps],
                "logs": [_rel(p, self.cycle) for p in self.log_files]}

    def lines(self) -> list[str]:
        """The Chinese summary a clerk reads."""
        head = "【试运行，未做任何更改】" if self.dry_run else ""
        out = [f"{head}周期文件夹：{self.cycle}"]
        if self.fatal:
            out.append(f"错误：{self.fatal}")
            return out
        if not self.did_anything:
            out.append("没有新的或变化的文件，本次未做任何处理（上次的结果仍然有效）。")
        for s in self.steps:
            if not s.ran and not s.lines:
                continue
            mark = {0: "", 1: "（有问题）", 2: "（未能完成）"}[s.status]
            out.append(f"■ {s.title}{mark}")
            out.extend(f"  {line}" for line in s.lines)
        attention = list(dict.fromkeys(a for s in self.steps for a in s.attention))
        if attention:
            out.append("■ 需要人工处理")
            out.extend(f"  - {a}" for a in attention)
        outputs = [p for s in self.steps for p in s.outputs]
        if outputs and not self.dry_run:
            out.append("■ 输出文件")
            seen: set[str] = set()
            for p in outputs:
                rel = _rel(p, self.cycle)
                if rel not in seen:
                    seen.add(rel)
                    out.append(f"  {rel}")
        if self.log_files:
            out.append(f"运行日志：{_rel(self.log_files[0], self.cycle)}")
        return out


OPEN = "_open"  # the state file's record of results with problems, per step and input


class _State:
    """What the last run processed: input content hashes per step."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def seen(self, step: str, key: str) -> str | None:
        return self.data.get(step, {}).get(key)

    def mark(self, step: str, key: str, digest: str, status: int = 0, attention: Sequence[str] = ()) -> None:
        """``key`` done with ``digest``; a result with problems (status 1 or 2) is kept with what needs a person,
        so a run that finds nothing new still says so and exits with that status (the same result)."""
        self.data.setdefault(step, {})[key] = digest
        problems = self.data.setdefault(OPEN, {}).setdefault(step, {})
        if status or attention:
            problems[key] = {"status": status, "attention": list(attention)}
        else:
            problems.pop(key, None)

    def is_open(self, step: str, key: str) -> bool:
        """Whether the last run of ``key`` left a problem open."""
        return bool(self.data.get(OPEN, {}).get(step, {}).get(key))

    def replay(self, step: Step, key: str) -> None:
        """What an unchanged input's last run left open: the step's status and the lines that need a person."""
        problem = self.data.get(OPEN, {}).get(step.key, {}).get(key)
        if problem:
            step.status = max(step.status, int(problem.get("status", 0)))
            for line in problem.get("attention", []):
                step.attention.append(f"（仍未解决）{line}")

    def save(self) -> None:
        write_text(self.path, json.dumps(self.data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def run_cycle(cycle_dir: Path | str, *, dry_run: bool = False, config_path: Path | None = None) -> RunReport:
    """Run every step of the cycle that has new or changed input (see the module docstring)."""
    cycle = Path(cycle_dir)
    report = RunReport(cycle=cycle, dry_run=dry_run, started=datetime.now().replace(microsecond=0).isoformat(sep=" "))
    logs = folder(cycle, "logs")
    try:
        config = load_config(config_path or cycle / DEFAULT_NAME)
    except TicError as exc:
        report.fatal = str(exc)
        if not dry_run and logs.is_dir():
            _write_logs(report, logs)  # a scheduled run that could not start leaves a trace
        return report
    state = _State(logs / STATE_FILE)
    config_digest = sha256_file(config.source) if config.source else ""
    if state.seen("config", "tic.toml") != config_digest:
        state.data = {"config": {"tic.toml": config_digest}}  # a new config re-checks everything
    if dry_run:
        _run_steps(report, cycle, config, state, dry_run=True)
        return report
    from toolkit.adapters.ledger import ledger_lock

    try:
        with ledger_lock(config, command="run"):
            _run_steps(report, cycle, config, state, dry_run=False)
            mark = ledger_mark(config)
            failed = any(s.status >= 2 for s in report.steps if s.key in ("decide", "letters"))
            # what a later run compares with (a change by hand in between is decided then); not after a failed
            # decide or letters step: the change that called for them is still to be dealt with by the next run
            if mark is not None and not failed:
                state.data["ledger"] = {"audit": mark}
            state.save()
    except LedgerError as exc:  # held by someone else, or emptied / gone (see open_ledger)
        report.fatal = str(exc)
    _write_logs(report, logs)
    return report


def _guard(step: Step, action: Callable[[], None], what: str = "") -> TicError | None:
    """A step's failure is reported in one sentence and the run goes on with the next step (and the next file);
    returns it. An unforeseen error (a bug, a file no check foresaw) is one sentence too, never a traceback."""
    try:
        action()
    except TicError as exc:
        failure = exc
    except Exception as exc:
        where = f"处理“{what}”时" if what else ""
        failure = TicError(f"{where}出现意外错误（{type(exc).__name__}: {exc}），该步骤未完成，其余文件和步骤照常运行；"
                           "请把运行日志发给技术人员。")
    else:
        return None
    step.status = 2
    step.ran = True
    step.lines.append(f"错误：{failure}")
    step.attention.append(str(failure))
    return failure


def _unreadable(state: _State, step: Step, key: str, digest: str, failure: TicError | None) -> bool:
    """Whether the input itself could not be read: then it is kept as done, with its problem (reported again on
    every run until the file changes, never read again unchanged); a failure of ours (a held ledger, an output
    that could not be written) is tried again on the next run."""
    if isinstance(failure, InputFileError):
        state.mark(step.key, key, digest, 2, [str(failure)])
        return True
    return failure is not None


def _changed(step: Step, inbox: Path, state: _State, dry_run: bool, verb: str) -> Iterator[tuple[Path, str, str]]:
    """(path, key, digest) of each workbook in ``inbox`` that is new or changed since the last run.

    In a dry run each is only announced ("将…：name").
    """
    _say_not_workbooks(step, inbox)
    for path in _workbooks(inbox):
        key = _key(inbox, path)
        digest = _digest(path)
        if digest is None:
            step.ran = True
            step.status = max(step.status, 2)
            line = f"“{inbox.name}/{key}”无法读取（没有读取权限，或仍在复制中），未处理；其余文件照常处理。"
            step.lines.append(f"错误：{line}")
            step.attention.append(line)
            continue
        if state.seen(step.key, key) == digest:
            state.replay(step, key)
            continue
        step.ran = True
        if dry_run:
            step.lines.append(f"将{verb}：{key}")
            continue
        yield path, key, digest


def _run_steps(report: RunReport, cycle: Path, config: Config, state: _State, *, dry_run: bool) -> None:
    changed_ledger = False

    # 1. 台账导入
    step = Step("ledger_import", "导入台账")
    report.steps.append(step)
    for path, key, digest in _changed(step, folder(cycle, "ledger_import"), state, dry_run, "导入"):

        def do_import(path: Path = path, digest: str = digest, key: str = key) -> None:
            from toolkit.adapters.ledger_workbook import import_ledger_workbook

            result = import_ledger_workbook(config, path)
            step.status = max(step.status, result.status)
            step.lines.extend(result.summary_lines())
            if result.status < 2:
                state.mark(step.key, key, digest)

        _guard(step, do_import, key)
        changed_ledger = True

    # 2. 汇总各区报送
    step = Step("collect", "汇总各区县报送")
    report.steps.append(step)
    inbox = folder(cycle, "inbox")
    city = folder(cycle, "city") / CITY_WORKBOOK
    # an unreadable file (no permission, still being copied) is collected too: collect says it cannot be read
    inputs = {p.relative_to(inbox).as_posix(): _digest(p) or "unreadable" for p in _workbooks(inbox)}
    inbox_digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    if inputs and (state.seen(step.key, "inbox") != inbox_digest or not city.exists()):
        step.ran = True
        if dry_run:
            step.lines.append(f"将汇总 {len(inputs)} 个文件：{'、'.join(inputs)}")
        else:
            def do_collect() -> None:
                from toolkit.submission import collect_folder, collect_lines

                result = collect_folder(inbox, config, city)
                write_text(city.with_suffix(".json"), json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
                step.status = result.status
                step.lines.extend(collect_lines(result))
                step.outputs += [city, city.with_suffix(".json")]
                s = result.summary
                if s["ineligible"]:  # the reason of the exit status, said again while the inputs stay the same
                    step.attention.append(f"{s['ineligible']} 项申报为“不符合”，见“05-市局汇总/{CITY_WORKBOOK}”的问题清单。")
                if s["review"]:
                    step.attention.append(f"{s['review']} 项申报为“待核实”，请在“05-市局汇总/{CITY_WORKBOOK}”中查看问题说明。")
                if s["unreadable"]:
                    step.attention.append(f"{s['unreadable']} 个报送文件无法读取，请联系相关区县重新报送。")
                problems = list(step.attention)
                undecided = sum(len(item.report.rows) for item in result.active) - result.kept_decisions
                if undecided > 0:  # every row decided already (kept from the earlier workbook): nothing to ask
                    step.attention.append(f"请在“05-市局汇总/{CITY_WORKBOOK}”的“批准建设”列填写市局决定"
                                          f"（尚有{undecided}项未填写），保存后再次运行。")
                state.mark(step.key, "inbox", inbox_digest, result.status, problems)

            _guard(step, do_collect)
    elif inputs:
        state.replay(step, "inbox")
    _say_not_workbooks(step, inbox)  # each run, after collect kept its own problems (these go with the files)

    # 3. 登记批准建设的中心
    step = Step("register", "登记批准建设的中心")
    report.steps.append(step)
    if city.exists():
        digest = sha256_file(city)
        if state.seen(step.key, CITY_WORKBOOK) != digest:
            if dry_run:
                step.ran = True
                step.lines.append(f"将读取“{CITY_WORKBOOK}”中的批准建设意见并登记")
            else:
                def do_register() -> None:
                    from toolkit.adapters.ledger_workbook import register_from_city_workbook

                    result = register_from_city_workbook(config, city)
                    step.status = result.status
                    attention = []
                    if not result.registered and not result.not_approved and result.undecided:
                        step.ran = True  # the bureau has not decided yet: one line, not one per row
                        step.status = 0
                        step.lines.append(f"“{CITY_WORKBOOK}”的“批准建设”列尚未填写（{result.undecided}项），本次不登记。")
                    elif result.registered or result.findings:
                        step.ran = True
                        step.lines.extend(result.summary_lines())
                    if result.undecided:  # said again by every run until the column is filled (as collect first said)
                        attention.append(f"请在“05-市局汇总/{CITY_WORKBOOK}”的“批准建设”列填写市局决定"
                                         f"（尚有{result.undecided}项未填写），保存后再次运行。")
                    if step.status >= 1:
                        attention.append(f"“{CITY_WORKBOOK}”中有未能登记的行（见“登记批准建设的中心”的说明），"
                                         "请改正后保存，再次运行。")
                    step.attention.extend(attention)
                    state.mark(step.key, CITY_WORKBOOK, digest, step.status, attention)
                    step.detail["registered"] = len(result.registered)
                    step.detail["new"] = sum(1 for r in result.registered if r.new)

                _guard(step, do_register)
                changed_ledger = changed_ledger or bool(step.detail.get("new"))
        else:
            state.replay(step, CITY_WORKBOOK)

    # 4. 年报核查
    step = Step("annual", "年度报告核查")
    report.steps.append(step)
    for path, key, digest in _changed(step, folder(cycle, "annual"), state, dry_run, "核查"):

        def do_annual(path: Path = path, digest: str = digest, key: str = key) -> None:
            from toolkit.adapters.ledger_workbook import check_annual_file

            out = folder(cycle, "annual_out") / Path(key).parent  # sub-folders mirrored: no two outputs collide
            result = check_annual_file(config, path, out)
            write_text(out / f"{path.stem}.年报核查.json", json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
            step.status = max(step.status, result.status)
            step.lines.extend(result.terminal_lines(quiet=False))
            step.outputs.extend(_existing(out, path.stem))
            attention = [] if result.status < 2 else [f"“{key}”无法读取，请更正后重新放入“{folder(cycle, 'annual').name}”。"]
            step.attention.extend(attention)
            state.mark(step.key, key, digest, result.status, attention)

        if not _unreadable(state, step, key, digest, _guard(step, do_annual, key)):
            changed_ledger = True

    # 5. 评估打分并记入台账
    step = Step("evaluate", "绩效评估（回避、计分、定等级）")
    report.steps.append(step)
    for path, key, digest in _changed(step, folder(cycle, "scores"), state, dry_run, "评估并记入台账"):

        def do_evaluate(path: Path = path, digest: str = digest, key: str = key) -> None:
            from toolkit.adapters.evaluation_workbook import evaluate_file
            from toolkit.adapters.ledger import record_evaluation
            from toolkit.cli.evaluate import terminal_lines as eval_lines

            out = folder(cycle, "results") / Path(key).parent
            result = evaluate_file(path, config, out)
            data = result.to_dict()
            json_path = out / f"{path.stem}.评估结果.json"
            write_text(json_path, json.dumps(data, ensure_ascii=False, indent=1))
            step.outputs.extend([*_existing(out, path.stem, ".xlsx"), json_path])
            step.lines.extend(eval_lines(result, path.name))
            step.status = max(step.status, result.exit_status)
            attention = []
            if result.exit_status == 0:
                n = record_evaluation(config, data, json_path)  # the letters read the dimension scores there
                step.lines.append(f"已将{n}个中心的评估结果记入台账。")
            else:
                attention.append(f"“{path.name}”有错误，评估结果未记入台账；请更正后再次运行。")
            step.attention.extend(attention)
            state.mark(step.key, key, digest, result.exit_status, attention)

        if not _unreadable(state, step, key, digest, _guard(step, do_evaluate, key)):
            changed_ledger = True
    if dry_run and any(line.startswith("将") for s in report.steps if s.key in ("ledger_import", "register", "annual",
                                                                                "evaluate") for line in s.lines):
        changed_ledger = True  # what those steps would write is decided and its letters issued after them

    # 6. 处置决定
    step = Step("decide", "处置决定（奖励、整改、撤销、不再保留）")
    report.steps.append(step)
    if not config.ledger_path.exists() and not dry_run:
        if state.seen(step.key, "no-ledger") != str(config.year):
            step.ran = True
            step.lines.append(f"台账尚未建立（“{config.ledger_path}”不存在）：把中心台账放进“04-台账导入”，"
                              "或在市局汇总中批准建设后再运行；本次不作处置决定、不生成公文。")
            state.mark(step.key, "no-ledger", str(config.year))
        return
    outside = _ledger_changed_outside(state, config)
    if changed_ledger or outside or state.seen(step.key, "year") != str(config.year):
        step.ran = True
        if outside and not changed_ledger:
            step.lines.append("台账在上次运行后有改动（如 tic ledger import、tic ledger change、tic evaluate --record），"
                              "按台账重新作出处置决定。")
        if dry_run:
            step.lines.append(f"将按台账作出{config.year}年度处置决定")
        else:
            def do_decide() -> None:
                from toolkit.adapters.ledger import decide_cycle
                from toolkit.adapters.ledger_workbook import write_dispositions_workbook

                result = decide_cycle(config)
                out = folder(cycle, "decisions") / f"处置决定-{config.year}.json"
                write_text(out, json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
                book = write_dispositions_workbook(result, out.with_suffix(".xlsx"))
                step.outputs += [book, out]
                step.lines.extend(result.summary_lines())
                for c in result.conflicts:
                    step.attention.append(c.sentence())
                state.mark(step.key, "year", str(config.year))
                step.detail["decided"] = result.counts()

            _guard(step, do_decide)

    # 7. 公文
    step = Step("letters", "生成公文")
    report.steps.append(step)
    decided = any(s.ran and s.key in ("decide", "register") for s in report.steps)
    from toolkit.adapters.letters import STAGING

    # again while letters it could not write are open (a manifest held open, a letter left staged: running again
    # completes them, and issues nothing twice)
    unfinished = state.is_open(step.key, "year") or (folder(cycle, "letters") / STAGING).exists()
    if decided or unfinished or state.seen(step.key, "year") != str(config.year):
        step.ran = True
        if dry_run:
            step.lines.append("将生成本周期决定和登记所需的公文（已印发的不会重复）")
        else:
            def do_letters() -> None:
                from toolkit.adapters.letters import issue_letters

                out = folder(cycle, "letters")
                result = issue_letters(config, out, evaluation=_evaluation_json(folder(cycle, "results"), config))
                write_text(out / "letters.json", json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
                step.lines.extend(result.summary_lines())
                step.status = max(step.status, result.exit_status)
                step.outputs.extend(out / e.file for e in result.new)
                if result.manifest:
                    step.outputs.append(out / result.manifest)
                step.detail["new_letters"] = len(result.new)
                attention = [f"未生成：{p.message}" for p in result.problems]
                step.attention.extend(attention)
                state.mark(step.key, "year", str(config.year), step.status, attention)

            _guard(step, do_letters)
    else:
        state.replay(step, "year")


def ledger_mark(config: Config) -> str | None:
    """The ledger's last audit row: every change to the ledger, by any command, appends one (None: no ledger)."""
    import sqlite3
    from contextlib import closing

    path = config.ledger_path
    if not path.is_file():
        return None
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT max(id) FROM audit").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row and row[0] is not None else None


def _ledger_changed_outside(state: _State, config: Config) -> bool:
    """The ledger was changed since the last run ended, by a command run by hand (ledger import or change, evaluate
    --record, annual …): its dispositions and letters are due again."""
    last = state.seen("ledger", "audit")
    return last is not None and ledger_mark(config) not in (None, last)


def _evaluation_json(results: Path, config: Config) -> Path | None:
    """The cycle's evaluation results JSON (for the rectification notices' weakest dimensions)."""
    found = None
    for path in sorted(results.rglob("*.评估结果.json")) if results.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("report") == "evaluation" and data.get("year", config.year) == config.year:
            found = path
    return found


def _key(base: Path, path: Path) -> str:
    """An input's identity in the run state: its path under its inbox (two 年报.xlsx in two sub-folders differ)."""
    return path.relative_to(base).as_posix()


def _existing(d: Path, stem: str, suffix: str | None = None) -> list[Path]:
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.startswith(stem + ".") and (suffix is None or p.suffix == suffix))


def _write_logs(report: RunReport, logs: Path) -> None:
    stamp = report.started.replace("-", "").replace(":", "").replace(" ", "-")
    n, suffix = 1, ""
    while (logs / f"运行-{stamp}{suffix}.txt").exists() or (logs / f"运行-{stamp}{suffix}.json").exists():
        n += 1
        suffix = f"-{n}"  # two runs in the same second never overwrite each other's log
    text_log = logs / f"运行-{stamp}{suffix}.txt"
    json_log = logs / f"运行-{stamp}{suffix}.json"
    report.log_files = [text_log, json_log]
    write_text(text_log, "\r\n".join(report.lines()) + "\r\n", encoding="utf-8-sig")
    write_text(json_log, json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
