"""Excel buttons: the console workbook, its VBA project, and each button against the CLI.

Excel does not run here, so the buttons are driven through the one stand-in this
project allows: ``RecordingBook``, the subset of xlwings' Book/Sheet/Range that
:mod:`toolkit.xl.buttons` uses, backed by the real console workbook (openpyxl)
and recording every write. The library calls behind it are real: real
workbooks from ``sample_workbooks/``, a real ledger, real output files,
compared with what the ``tic`` command writes for the same inputs.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.styles import PatternFill

from toolkit.adapters.config_file import load_config
from toolkit.adapters.ledger_workbook import import_ledger_workbook
from toolkit.cli.main import cli
from toolkit.cycle import folder, init_cycle
from toolkit.demo import DISTRICT_FILES
from toolkit.resources import samples_dir
from toolkit.submission import submit_file
from toolkit.xl import layout
from toolkit.xl.buttons import press, read_request_file, validate_button
from toolkit.xl.console import button_module_source, write_console
from toolkit.xl.vba import compress, decompress, read_compound, read_project, write_compound

olefile = pytest.importorskip("olefile")


# --------------------------------------------------------------------------- the stand-in for xlwings


class RecordingRange:
    def __init__(self, book: RecordingBook, ws: Any, address: str) -> None:
        self.book, self.ws, self.address = book, ws, address

    def _cells(self) -> list[Any]:
        got = self.ws[self.address]
        if not isinstance(got, tuple):
            return [got]
        return [c for row in got for c in (row if isinstance(row, tuple) else (row,))]

    @property
    def value(self) -> Any:
        cells = self._cells()
        return cells[0].value if len(cells) == 1 else [c.value for c in cells]

    @value.setter
    def value(self, v: Any) -> None:
        self.book.log.append(("value", self.address, v))
        self._cells()[0].value = v

    @property
    def formula(self) -> Any:
        return self._cells()[0].value

    @formula.setter
    def formula(self, v: str) -> None:
        self.book.log.append(("formula", self.address, v))
        self._cells()[0].value = v

    @property
    def color(self) -> Any:
        return self.book.colors.get(self.address)

    @color.setter
    def color(self, rgb: tuple[int, int, int] | None) -> None:
        self.book.log.append(("color", self.address, rgb))
        self.book.colors[self.address] = rgb
        for c in self._cells():
            c.fill = PatternFill("solid", fgColor="{:02X}{:02X}{:02X}".format(*rgb)) if rgb else PatternFill()

    @property
    def row_height(self) -> Any:
        return self.ws.row_dimensions[self._cells()[0].row].height

    @row_height.setter
    def row_height(self, points: float) -> None:
        self.book.log.append(("height", self.address, points))
        for c in self._cells():
            self.ws.row_dimensions[c.row].height = points

    def clear_contents(self) -> None:
        self.book.log.append(("clear", self.address, None))
        for c in self._cells():
            c.value = None


class RecordingSheet:
    def __init__(self, book: RecordingBook, ws: Any) -> None:
        self.book, self.ws, self.name = book, ws, ws.title

    def range(self, address: str) -> RecordingRange:
        return RecordingRange(self.book, self.ws, address)


class RecordingBook:
    """xlwings' Book as far as the buttons use it, over the real console workbook."""

    def __init__(self, path: Path) -> None:
        self.fullname = str(path)
        self.wb = load_workbook(path, keep_vba=True)
        self.sheets = {ws.title: RecordingSheet(self, ws) for ws in self.wb.worksheets}
        self.log: list[tuple[str, str, Any]] = []
        self.colors: dict[str, Any] = {}

    def fill(self, **cells: str) -> None:
        """Type into the 工作台's input cells, as the clerk does (not recorded: not the tool's writes)."""
        ws = self.sheets[layout.CONSOLE].ws
        for name, value in cells.items():
            ws[layout.INPUT_BY_NAME[name].cell] = value

    def cell(self, address: str) -> Any:
        return self.sheets[layout.CONSOLE].ws[address].value

    def problems(self) -> list[str]:
        return [v for a in layout.PROBLEM_CELLS if (v := self.cell(a))]

    def links(self) -> list[str]:
        return [v for a in layout.OUTPUT_CELLS if (v := self.cell(a))]


RESULT_CELLS = {*(f"C{r}" for r in range(int(layout.ACTION_CELL[1:]), layout.PROBLEM_FIRST + layout.PROBLEM_ROWS)),
                layout.OPEN_PATH_CELL, layout.RESULT_RANGE}


def only_result_area(book: RecordingBook) -> bool:
    return all(address in RESULT_CELLS for _, address, _ in book.log)


# --------------------------------------------------------------------------- fixtures: real cycles


def make_cycle(root: Path, *, ledger: bool = False) -> Path:
    """A cycle folder like ``tic demo``'s: district submissions, scoring workbook, annual reports."""
    samples = samples_dir()
    cycle = root / "2026年度"
    init_cycle(cycle)
    shutil.copyfile(samples / "tic.toml", cycle / "tic.toml")
    config = load_config(cycle / "tic.toml")
    shutil.copyfile(samples / "中心台账.xlsx", folder(cycle, "ledger_import") / "中心台账.xlsx")
    shutil.copyfile(samples / "评估打分表-2026.xlsx", folder(cycle, "scores") / "评估打分表-2026.xlsx")
    shutil.copyfile(samples / "年度报告汇总表-2025.xlsx", folder(cycle, "annual") / "年度报告汇总表-2025.xlsx")
    for district, name in DISTRICT_FILES.items():
        submit_file(samples / "区县申报" / name, district, config, folder(cycle, "inbox"), allow_errors=True)
    if ledger:
        import_ledger_workbook(config, folder(cycle, "ledger_import") / "中心台账.xlsx")
    return cycle


@pytest.fixture(scope="module")
def console_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("console") / "工作台.xlsm"
    write_console(path)
    return path


@pytest.fixture
def console(console_template: Path) -> Any:
    """A fresh copy of the console, placed in ``cycle`` (as on the shared drive), opened by the stand-in."""

    def make(cycle: Path) -> RecordingBook:
        target = cycle / "工作台.xlsm"
        shutil.copyfile(console_template, target)
        return RecordingBook(target)

    return make


def cli_json(args: list[str], tmp_path: Path, name: str = "cli.json") -> tuple[int, dict[str, Any]]:
    out = tmp_path / name
    result = CliRunner().invoke(cli, [*args, "--json", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(out.read_text(encoding="utf-8"))


def as_json(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, ensure_ascii=False))


def values_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


# --------------------------------------------------------------------------- the VBA project


@pytest.mark.parametrize("size", [0, 1, 3, 4095, 4096, 4097, 12_000], ids=lambda n: f"{n}B")
def test_compression_round_trip(size):
    rng = random.Random(size)
    text = bytes(rng.choice(b"Dim x As String\r\n ") for _ in range(size))
    noise = rng.randbytes(size)
    assert decompress(compress(text)) == text
    if size % 4096 == 0:  # incompressible whole chunks are stored raw
        assert decompress(compress(noise)) == noise
    source = button_module_source()
    assert decompress(compress(source)) == source
    assert len(compress(source)) < len(source) * 0.6  # program text really is compressed


def test_compound_file_is_read_by_olefile():
    big = os.urandom(9000)
    data = write_compound({"PROJECT": b"ID=x\r\n", "VBA": {"dir": b"d" * 100, "Big": big, "Empty": b""},
                           "PROJECTwm": b"\0\0"})
    ole = olefile.OleFileIO(data)
    assert sorted("/".join(p) for p in ole.listdir()) == ["PROJECT", "PROJECTwm", "VBA/Big", "VBA/Empty", "VBA/dir"]
    assert ole.openstream("VBA/Big").read() == big
    assert ole.openstream("VBA/dir").read() == b"d" * 100
    assert read_compound(data)["VBA/Big"] == big


def test_console_vba_project(console_template):
    with zipfile.ZipFile(console_template) as z:
        names = z.namelist()
        vba_bin = z.read("xl/vbaProject.bin")
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode("utf-8")
        types = z.read("[Content_Types].xml").decode("utf-8")
        workbook_xml = z.read("xl/workbook.xml").decode("utf-8")
        sheet_code_names = [re.search(r'codeName="(\w+)"', z.read(f"xl/worksheets/sheet{i}.xml").decode()).group(1)
                            for i in (1, 2, 3)]
    assert "xl/vbaProject.bin" in names
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert 'codeName="ThisWorkbook"' in workbook_xml
    ole = olefile.OleFileIO(vba_bin)  # an independent reader of the compound file
    streams = {"/".join(p) for p in ole.listdir()}
    assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT", "VBA/TicButtons", "VBA/xlwings"} <= streams
    assert ole.openstream("VBA/_VBA_PROJECT").read()[2:4] == b"\xff\xff"  # compiled from source on opening
    project = read_project(vba_bin)
    documents = {n for n, m in project.modules.items() if m.kind == "document"}
    assert documents == {"ThisWorkbook", *sheet_code_names}
    source = project.modules["TicButtons"].source
    assert source == button_module_source() and source.isascii()
    assert b"Public Function RunPython" in project.modules["xlwings"].source
    macros = set(re.findall(r"\[0\]!(\w+)", vml))
    assert macros == {b.macro for b in layout.BUTTONS}
    for macro in macros:
        assert f"Public Sub {macro}()".encode() in source
    assert all(f">{b.title}<" in vml for b in layout.BUTTONS)
    text = ole.openstream("PROJECT").read().decode("cp1252")
    assert "Module=TicButtons" in text and "Document=Sheet1/&H00000000" in text


def test_console_sheets_names_and_xlwings_conf(tmp_path):
    config = tmp_path / "2026年度" / "tic.toml"
    make_cycle(tmp_path)
    target = tmp_path / "工作台.xlsm"
    result = CliRunner().invoke(cli, ["xl", "console", "-o", str(target), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"已生成工作台：{target}" in result.output
    wb = load_workbook(target, keep_vba=True)
    assert wb.sheetnames == [layout.CONSOLE, layout.NOTES, layout.XLWINGS_CONF]
    assert wb.vba_archive is not None and "xl/vbaProject.bin" in wb.vba_archive.namelist()
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    for f in layout.INPUTS:
        assert names[f.name] == f"'{layout.CONSOLE}'!${f.cell[0]}${f.cell[1:]}"
    assert names["tic_state"] == f"'{layout.CONSOLE}'!$C${layout.STATE_CELL[1:]}"
    assert set(layout.RESULT_NAMES) <= set(names)
    ws = wb[layout.CONSOLE]
    assert ws[layout.INPUT_BY_NAME["tic_config"].cell].value == str(config.resolve())
    assert ws[layout.INPUT_BY_NAME["tic_cycle"].cell].value == str(config.parent.resolve())
    assert ws[layout.INPUT_BY_NAME["tic_mode"].cell].value == layout.MODE_AUTO
    assert [b.title for b in layout.BUTTONS] == ["校验申报表", "汇总各区", "评估打分", "年报核查", "处置决定", "生成公文",
                                                 "运行本月批处理"]
    conf = wb[layout.XLWINGS_CONF]
    keys = [conf.cell(row=r, column=1).value for r in range(1, 12)]
    assert keys.index(None) == 10  # xlwings reads from A1 down to the first blank cell
    settings = {conf.cell(row=r, column=1).value: conf.cell(row=r, column=2).value for r in range(1, 11)}
    assert settings["Interpreter_Win"] == sys.executable
    assert settings["TIC_MODULE"] == layout.PY_MODULE == "toolkit.xl.buttons"
    assert settings["PYTHONPATH"] in (None, str(Path(__file__).resolve().parents[1]))
    # a second run does not overwrite the clerk's settings unless told to
    again = CliRunner().invoke(cli, ["xl", "console", "-o", str(target)])
    assert again.exit_code == 2 and "已存在" in again.output and "--force" in again.output
    wrong = CliRunner().invoke(cli, ["xl", "console", "-o", str(tmp_path / "工作台.xlsx")])
    assert wrong.exit_code == 2 and ".xlsm" in wrong.output


def test_console_without_xlwings_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xlwings", None)  # xlwings cannot be imported, as on a PC without it
    result = CliRunner().invoke(cli, ["xl", "console", "-o", str(tmp_path / "工作台.xlsm")])
    assert result.exit_code == 2
    assert result.output.strip() == ('错误：未安装 xlwings：请先运行 pip install "sjz-tic[excel]"（或 pip install xlwings），'
                                     "再运行 tic xl console。")
    assert not (tmp_path / "工作台.xlsm").exists()


def test_install_help():
    result = CliRunner().invoke(cli, ["xl", "install"])
    assert result.exit_code == 0
    assert 'pip install "sjz-tic[excel]"' in result.output and "受信任位置" in result.output
    assert "WPS" in result.output and "命令行（tic）" in result.output
    bas = re.search(r"(\S+TicButtons\.bas)", result.output).group(1)
    assert Path(bas).read_bytes().isascii()


# --------------------------------------------------------------------------- each button against the CLI


def test_validate_button_matches_cli(tmp_path, console):
    cycle = make_cycle(tmp_path)
    book = console(cycle)
    source = folder(cycle, "inbox") / "长安区-2026-申报汇总.xlsx"
    book.fill(tic_input=str(source.relative_to(cycle)), tic_output="按钮输出")  # relative to the workbook
    status = validate_button(book)

    code, expected = cli_json(["validate", str(source), "--config", str(cycle / "tic.toml"),
                               "--out", str(tmp_path / "cli")], tmp_path)
    assert status.code == code == 1
    assert status.report == expected
    button_copy = cycle / "按钮输出" / "长安区-2026-申报汇总.校验结果.xlsx"
    assert values_of(button_copy) == values_of(tmp_path / "cli" / button_copy.name)

    assert book.cell(layout.ACTION_CELL) == "校验申报表"
    assert book.cell(layout.STATE_CELL) == "完成：发现不符合项或需要处理的问题，见下方“问题与说明”。"
    assert book.colors[layout.STATE_CELL] == layout.STATE_COLORS[1]
    s = expected["summary"]
    assert book.cell(layout.COUNTS_CELL).startswith(f"长安区-2026-申报汇总.xlsx：共 {s['rows']} 行，符合 {s['eligible']}")
    assert book.links() == [f'=HYPERLINK("{button_copy.resolve()}","按钮输出/{button_copy.name}")']
    findings = [(r["row"], f) for r in expected["rows"] for f in r["findings"] if f["severity"] != "info"]
    problems = book.problems()
    assert len(problems) == len(findings) > 0
    row, first = findings[0]
    assert problems[0].startswith(f"第{row}行 ") and first["message"] in problems[0] and problems[0].endswith("。")
    assert book.cell(layout.OPEN_PATH_CELL) == str(button_copy.resolve())
    assert only_result_area(book)


def test_collect_button_matches_cli(tmp_path, console):
    cycle = make_cycle(tmp_path)
    book = console(cycle)
    status = press("collect", book)  # input and output left blank: 01-区县报送 → 05-市局汇总
    city = folder(cycle, "city") / "市局汇总.xlsx"
    code, expected = cli_json(["collect", str(folder(cycle, "inbox")), "--config", str(cycle / "tic.toml"),
                               "--out", str(tmp_path / "市局汇总.xlsx")], tmp_path)
    assert status.code == code
    assert status.report == expected
    assert values_of(city) == values_of(tmp_path / "市局汇总.xlsx")
    assert book.links() == [f'=HYPERLINK("{city.resolve()}","05-市局汇总/市局汇总.xlsx")']
    assert book.cell(layout.COUNTS_CELL).startswith(f"共找到 {expected['summary']['files']} 个文件")
    assert only_result_area(book)


def _evaluations(cycle: Path) -> list[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(load_config(cycle / "tic.toml").ledger_path) as conn:
        return conn.execute("SELECT center_id, year, status, grade, total, dimensions FROM evaluations"
                            " ORDER BY center_id, year").fetchall()


def test_evaluate_button_matches_cli(tmp_path, console):
    """The button records the grades as tic evaluate --record (and tic run) do: 处置决定 reads them there; pressed
    alone it left rewards, a rectification and two revocations out and said all was well."""
    cycle = make_cycle(tmp_path / "button", ledger=True)
    twin = make_cycle(tmp_path / "cli", ledger=True)
    book = console(cycle)
    status = press("evaluate", book)  # the only scoring workbook of 02-评估打分, results to 06-评估结果
    source = folder(twin, "scores") / "评估打分表-2026.xlsx"
    code, expected = cli_json(["evaluate", str(source), "--config", str(twin / "tic.toml"), "--record",
                               "--out", str(tmp_path / "cli")], tmp_path)
    assert status.code == code == 0
    assert status.report == as_json(expected)
    assert _evaluations(cycle) == _evaluations(twin) and any(r[1] == 2026 for r in _evaluations(cycle))
    assert "评估结果记入台账" in book.cell(layout.COUNTS_CELL)
    decide = press("decide", book)
    assert decide.report == cli_json(["decide", "--config", str(twin / "tic.toml")], tmp_path, "decide.json")[1]
    assert {c["outcome"] for c in decide.report["centers"]} >= {"reward", "rectify", "revoke"}
    result = folder(cycle, "results") / "评估打分表-2026.评估结果.xlsx"
    assert values_of(result) == values_of(tmp_path / "cli" / result.name)
    status = press("evaluate", book)
    problems = [f for c in expected["centers"] for f in c["findings"] if f["severity"] != "info"]
    problems += [f for f in expected["file_findings"] if f["severity"] != "info"]
    assert len(book.problems()) == len(problems)
    assert book.cell(layout.COUNTS_CELL).startswith(f"评估打分表-2026.xlsx：共{len(expected['centers'])}个中心")
    book.fill(tic_output=str(folder(cycle, "scores")))  # its own results beside the input are never taken as input
    assert press("evaluate", book).report == status.report
    assert (folder(cycle, "scores") / result.name).is_file()
    assert press("evaluate", book).report == status.report  # still the one scoring workbook, not its copy
    assert only_result_area(book)


def test_evaluate_button_without_a_ledger_says_the_grades_were_not_recorded(tmp_path, console):
    cycle = make_cycle(tmp_path)
    book = console(cycle)
    status = press("evaluate", book)
    assert status.code == 1 and status.problems[0].startswith("台账“") and "未记入台账" in status.problems[0]
    assert (folder(cycle, "results") / "评估打分表-2026.评估结果.xlsx").is_file()


def test_the_buttons_never_overwrite_a_workbook_the_clerk_made_nor_check_a_validation_copy(tmp_path, console):
    from openpyxl import Workbook

    cycle = make_cycle(tmp_path)
    book = console(cycle)
    mine = folder(cycle, "city") / "市局汇总.xlsx"
    wb = Workbook()
    wb.active.title = "我的汇总"
    wb.save(mine)
    before = mine.read_bytes()
    status = press("collect", book)
    assert status.code == 2 and "不是市局汇总表" in status.headline and mine.read_bytes() == before
    copy = folder(cycle, "inbox") / "长安区-2026-申报汇总.校验结果.xlsx"
    shutil.copyfile(folder(cycle, "inbox") / "长安区-2026-申报汇总.xlsx", copy)
    book.fill(tic_input=str(copy))
    status = press("validate", book)
    assert status.code == 2 and "校验结果副本" in status.headline
    assert not (copy.parent / "长安区-2026-申报汇总.校验结果.校验结果.xlsx").exists()


def test_annual_decide_and_letters_buttons_match_cli(tmp_path, console):
    """Each touches the ledger, so the CLI runs on an identical second cycle with its own ledger."""
    cycle = make_cycle(tmp_path / "button", ledger=True)
    twin = make_cycle(tmp_path / "cli", ledger=True)
    book = console(cycle)

    annual = press("annual", book)
    source = folder(twin, "annual") / "年度报告汇总表-2025.xlsx"
    code, expected = cli_json(["annual", str(source), "--config", str(twin / "tic.toml"),
                               "--out", str(folder(twin, "annual_out"))], tmp_path, "annual.json")
    assert (annual.code, annual.report) == (code, expected)
    assert book.links() == [f'=HYPERLINK("{annual.outputs[0].resolve()}","07-年报核查/{annual.outputs[0].name}")']

    decide = press("decide", book)
    code, expected = cli_json(["decide", "--config", str(twin / "tic.toml")], tmp_path, "decide.json")
    assert (decide.code, decide.report) == (code, expected)
    revoked = [c for c in expected["centers"] if c["outcome"] == "revoke"]
    assert revoked and any(c["center_id"] in p for c in revoked for p in book.problems())
    assert book.links() == []

    letters = press("letters", book)
    code, expected = cli_json(["letters", "--config", str(twin / "tic.toml"), "--out", str(folder(twin, "letters"))],
                              tmp_path, "letters.json")

    def stable(report: dict[str, Any]) -> dict[str, Any]:
        return {**report, "letters": [{**e, "issued_at": None} for e in report["letters"]]}

    assert letters.code == code
    assert stable(letters.report) == stable(expected)
    assert expected["summary"]["new"] > 0
    for e in expected["letters"]:
        assert (folder(cycle, "letters") / e["file"]).is_file()
    links = book.links()
    assert links[0] == f'=HYPERLINK("{folder(cycle, "letters").resolve()}","09-公文（文件夹）")'
    new = [e["file"] for e in expected["letters"] if e["new"]]
    assert [re.search(r',"(.*)"\)$', x).group(1) for x in links[1:]] == [f"09-公文/{f}" for f in [*new, "manifest.xlsx"]]
    assert only_result_area(book)


def test_batch_button_matches_tic_run(tmp_path, console):
    cycle = make_cycle(tmp_path / "button")
    twin = make_cycle(tmp_path / "cli")
    book = console(cycle)
    status = press("batch", book)
    code, expected = cli_json(["run", str(twin)], tmp_path)

    def stable(report: dict[str, Any], root: Path) -> list[dict[str, Any]]:
        text = json.dumps(report["steps"], ensure_ascii=False).replace(str(root), "ROOT")
        return json.loads(text)

    assert status.code == code
    assert stable(status.report, cycle) == stable(expected, twin)
    assert book.cell(layout.COUNTS_CELL).startswith("运行了")
    assert any(line.startswith("■ 汇总各区县报送") for line in book.problems())
    assert len(book.links()) == layout.OUTPUT_ROWS
    again = press("batch", book)  # nothing new: the button says so too
    assert again.counts == "没有新的或变化的文件，本次未做任何处理。"
    assert only_result_area(book)


def test_blank_input_and_missing_config_are_one_sentence_each(tmp_path, console):
    cycle = make_cycle(tmp_path)
    book = console(cycle)
    status = validate_button(book)
    assert status.code == 2
    assert book.cell(layout.STATE_CELL) == ("未能运行：请在“输入文件”格填写要校验的工作簿（完整路径，或相对于本工作簿所在文件夹的路径）。")
    assert book.colors[layout.STATE_CELL] == layout.STATE_COLORS[2]
    book.fill(tic_config="不存在.toml", tic_input="x.xlsx")
    press("validate", book)
    assert book.cell(layout.STATE_CELL).startswith("未能运行：找不到配置文件")
    assert book.problems() == [] and book.links() == []  # the previous result is cleared
    assert only_result_area(book)


# --------------------------------------------------------------------------- the command-line (WPS) path


def test_command_line_path_fills_the_same_cells(tmp_path, console):
    cycle = make_cycle(tmp_path)
    source = folder(cycle, "inbox") / "石家庄高新技术产业开发区-2026-申报汇总.xlsx"
    book = console(cycle)
    book.fill(tic_input=str(source))
    direct = press("validate", book)
    expected = {a: book.cell(a) for a in RESULT_CELLS if ":" not in a and a != layout.TIME_CELL}

    # what TicButtons.RunCommandLine writes: UTF-16 with BOM, CRLF, one "name<TAB>value" per tic_ cell
    request = tmp_path / "请求.txt"
    lines = ["action\tvalidate", f"book\t{book.fullname}", "tic_cycle\t", f"tic_input\t{source}",
             f"tic_mode\t{layout.MODE_CLI}"]
    request.write_bytes(b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le") + b"\r\n")
    assert read_request_file(request)[0] == "validate"
    status_file = tmp_path / "结果.txt"
    result = CliRunner().invoke(cli, ["xl", "run", "--request", str(request), "--status", str(status_file)])
    assert result.exit_code == direct.code == 1
    assert result.output.startswith("校验申报表：完成：发现不符合项")

    raw = status_file.read_bytes()
    assert raw.startswith(b"\xff\xfe")
    other = RecordingBook(Path(book.fullname))
    for line in raw[2:].decode("utf-16-le").split("\r\n"):  # what TicButtons.ApplyStatus does
        if not line:
            continue
        kind, address, value = line.split("\t", 2)
        rng = other.sheets[layout.CONSOLE].range(address)
        if kind == "clear":
            rng.clear_contents()
        elif kind == "color":
            rng.color = tuple(int(value[i:i + 2], 16) for i in (0, 2, 4)) if value else None
        elif kind == "height":
            rng.row_height = float(value)
        else:
            setattr(rng, "formula" if kind == "formula" else "value", value)
    assert {a: other.cell(a) for a in expected} == expected
    assert other.colors[layout.STATE_CELL] == book.colors[layout.STATE_CELL]


# --------------------------------------------------------------------------- LibreOffice reads it all


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_loads_the_vba_project_and_binds_the_buttons(tmp_path, console_template):
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "ods",
                    "--outdir", str(tmp_path), str(console_template)], check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(tmp_path / "工作台.ods") as z:
        basic = {n for n in z.namelist() if n.startswith("Basic/VBAProject/")}
        module = z.read("Basic/VBAProject/TicButtons.xml").decode("utf-8")
        content = z.read("content.xml").decode("utf-8")
    assert {f"Basic/VBAProject/{m}.xml" for m in ("TicButtons", "xlwings", "ThisWorkbook", "Sheet1")} <= basic
    assert "Sub TicPress(ByVal action As String)" in module
    bound = set(re.findall(r"vnd\.sun\.star\.script:VBAProject\.TicButtons\.(\w+)\?", content))
    assert bound == {b.macro for b in layout.BUTTONS}


def test_unknown_action_from_the_command_line(tmp_path):
    request = tmp_path / "request.txt"
    request.write_text("action\tprint\nbook\t\n", encoding="utf-8")
    status_file = tmp_path / "status.txt"
    result = CliRunner().invoke(cli, ["xl", "run", "--request", str(request), "--status", str(status_file)])
    assert result.exit_code == 2
    assert result.output.startswith("print：未能运行：未知的操作“print”，可用的有：validate、collect、")
    lines = status_file.read_bytes()[2:].decode("utf-16-le").splitlines()
    assert f"value\t{layout.STATE_CELL}\t未能运行：未知的操作“print”" in lines[4]
