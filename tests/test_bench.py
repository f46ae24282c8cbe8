"""The benchmark's generators and runner on tiny sizes, and the fast paths it measures giving exactly the
results of the reference paths (streamed validation, sliced reader, JSON writer, generated schema check)."""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bench import generate
from bench.__main__ import main as bench_main
from bench.runner import machine, run
from tests.conftest import good_row
from tests.test_schema_check import random_instance
from toolkit.adapters.schema_check import CompiledCheck, form_schema
from toolkit.adapters.table import read_table
from toolkit.intake import (
    StreamedIntakeReport,
    dump_json,
    intake_columns,
    terminal_lines,
    validate_file,
    write_reports_json,
)

ENGINES = ("calamine", "openpyxl")


def reference_json(report) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def messy_workbook(path: Path) -> Path:
    """Duplicates, blank rows, an extra column, a formula without a cached value, a notes block, a later row."""
    rows = [good_row(seq=i + 1, center_name=f"石家庄市甲{i % 4}技术创新中心", sales=1500 + 400 * i) for i in range(12)]
    rows[3]["equipment"] = "=120+150"
    rows[5]["phone"] = "12345"
    rows[7]["partners"] = "河北科技大学；乙公司"
    wb = Workbook()
    ws = wb.active
    ws.title = "申报汇总"
    ws.append(["2026年度申报汇总表"])
    from toolkit.adapters.schema_check import field_specs

    specs = field_specs("intake")
    ws.append([s.header for s in specs] + ["备用"])
    for i, r in enumerate(rows):
        ws.append([r.get(s.key) for s in specs] + [f"x{i}"])
        if i == 4:
            ws.append([])
    ws.append(["填表说明：以上为测试数据"])
    ws.append([1, "长安区", "石家庄市不应读到技术创新中心"])
    wb.save(path)
    return path


@pytest.mark.parametrize("engine", ENGINES)
def test_streamed_validation_is_the_same_text(tmp_path, config, monkeypatch, engine):
    """--no-copy streams the rows (tiny slices, two worker processes): same JSON and terminal text."""
    path = messy_workbook(tmp_path / "甲.xlsx")
    monkeypatch.setenv("TIC_READER", engine)
    full = validate_file(path, config, existing_names=frozenset({"石家庄市甲2技术创新中心"}))
    monkeypatch.setenv("TIC_SLICE_BYTES", "1500")
    for workers in (1, 2):
        streamed = validate_file(path, config, existing_names=frozenset({"石家庄市甲2技术创新中心"}),
                                 keep_rows=False, workers=workers)
        assert isinstance(streamed, StreamedIntakeReport)
        assert streamed.status == full.status == 1
        assert streamed.summary == full.summary and streamed.summary["rows"] == 12
        out = tmp_path / f"r{workers}.json"
        write_reports_json([streamed], str(out))
        assert out.read_text(encoding="utf-8") == reference_json(full)
        assert "\n".join(terminal_lines(streamed)) == "\n".join(terminal_lines(full))
        both = tmp_path / f"b{workers}.json"
        write_reports_json([streamed, full], str(both))
        expected = {"report": "validate-batch", "schema_version": 1, "tool_version": full.to_dict()["tool_version"],
                    "reports": [full.to_dict(), full.to_dict()]}
        assert both.read_text(encoding="utf-8") == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    assert any(f.rule == "DATA.DUPLICATE" for r in full.rows for f in r.findings)
    assert any(f.rule == "DATA.FORMULA" for r in full.rows for f in r.findings)


def test_streamed_unreadable_file(tmp_path, config):
    bad = tmp_path / "坏.xlsx"
    bad.write_text("序号,中心名称\n", encoding="utf-8")
    report = validate_file(bad, config, keep_rows=False)
    assert report.status == 2 and report.to_dict() == validate_file(bad, config).to_dict()


def test_sliced_reader_on_excel_style_workbooks(tmp_path, config, monkeypatch):
    """Shared strings, dates as styled serials, a form starting at B3: every slice size gives the same rows,
    and the findings are openpyxl's."""
    path = tmp_path / "excel.xlsx"
    from toolkit.adapters.schema_check import field_specs

    headers = [s.header for s in field_specs("intake")]
    body = [[None, None], [None, "标题"], [None, *headers]]
    rnd = random.Random(5)
    for i in range(40):
        row = good_row(seq=i + 1, center_name=f"石家庄市乙{i}技术创新中心 & <测试>", reg_date=datetime(2010, 1, 1 + i % 28),
                       sales=rnd.choice([2500, 3000.5, "8,000"]), rd_org=rnd.choice([True, "是"]))
        body.append([None, *(row.get(s.key) for s in field_specs("intake"))])
    generate.write_xlsx(path, [("申报汇总", body)])
    cols = intake_columns()
    monkeypatch.setenv("TIC_SLICE_BYTES", "100000000")  # the whole sheet in one slice
    ref = read_table(path, cols, engine="calamine")
    assert ref.header_row == 3 and len(ref.rows) == 40 and ref.rows[0].cells["center_name"] == "D4"
    assert ref.rows[0].values["center_name"] == "石家庄市乙0技术创新中心 & <测试>"
    for size in ("600", "5000"):
        monkeypatch.setenv("TIC_SLICE_BYTES", size)
        got = read_table(path, cols, engine="calamine")
        assert [(r.row, r.values, dict(r.cells)) for r in got.rows] == [(r.row, r.values, dict(r.cells)) for r in ref.rows]
    monkeypatch.setenv("TIC_READER", "openpyxl")
    by_openpyxl = validate_file(path, config).to_dict()
    monkeypatch.setenv("TIC_READER", "calamine")
    assert validate_file(path, config, keep_rows=False).to_dict() == by_openpyxl


def test_dump_json_is_json_dumps_indent_2():
    rnd = random.Random(9)

    def value(depth: int = 0):  # type: ignore[no-untyped-def]
        c = rnd.random()
        if depth < 4 and c < 0.2:
            return {rnd.choice(["a", "ü", '"q"', "k\n", "行"]) + str(i): value(depth + 1) for i in range(rnd.randint(0, 4))}
        if depth < 4 and c < 0.4:
            return [value(depth + 1) for _ in range(rnd.randint(0, 4))]
        return rnd.choice([None, True, False, 0, -1, 1.5, -0.0, 1e300, float("nan"), "x", "中文\n\"", "", 10**20, (1, 2)])

    for _ in range(3000):
        obj, level = value(), rnd.randint(0, 3)
        expected = json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", "\n" + "  " * level)
        assert dump_json(obj, level) == expected


def test_generated_schema_check_keeps_the_order_of_the_predicates(config):
    check = CompiledCheck(form_schema("intake", config))
    rnd = random.Random(11)
    for _ in range(2000):
        inst = random_instance(rnd)
        assert check(inst) == check._run_predicates(inst)


@pytest.mark.parametrize("mix", generate.MIXES)
def test_generated_intake_workbooks(tmp_path, config, mix):
    path = generate.make_intake(tmp_path / f"{mix}.xlsx", 120, mix=mix)
    assert path.read_bytes() == generate.make_intake(tmp_path / "again.xlsx", 120, mix=mix).read_bytes()
    report = validate_file(path, config)
    s = report.summary
    assert s["rows"] == 120 and report.fatal is None and not report.file_findings
    if mix == "realistic":
        assert s["eligible"] > 60 and s["ineligible"] >= 3
    else:
        assert s["ineligible"] > 100
    wb = load_workbook(path, read_only=True)
    dates = [row[0] for row in wb["申报汇总"].iter_rows(min_row=4, min_col=9, max_col=9, values_only=True)]
    wb.close()
    assert sum(isinstance(v, datetime) for v in dates) > 100  # dates as Excel writes them


def test_evaluation_and_ledger_generators(tmp_path, config):
    from toolkit.adapters.evaluation_workbook import read_evaluation_workbook

    data = read_evaluation_workbook(generate.make_evaluation(tmp_path / "e.xlsx", centers=6, experts=5))
    assert len(data.centers) == 6 and len(data.experts) == 5 and len(data.scores) == 30
    sheets = dict(generate.ledger_sheets(5, years=10, outcomes="letters"))
    assert len(sheets["中心"]) == 6 and len(sheets["年报"]) == 1 + 5 * 10
    assert {r[1] for r in sheets["评估记录"][1:]} >= {2017, 2026}
    report = generate.evaluation_report(5)
    assert len(report["centers"]) == 5 and report["centers"][0]["center_id"] == sheets["中心"][1][0]
    assert generate.write_xlsx(tmp_path / "l.xlsx", list(sheets.items())).is_file()
    assert load_workbook(tmp_path / "l.xlsx")["年报"]["C2"].value.date() == sheets["年报"][1][2]


def test_runner_measures_a_command():
    m = run("python", [sys.executable, "-c", "x = bytearray(30_000_000); print(len(x))"])
    assert m.returncode == 0 and m.seconds > 0 and m.peak_rss_mb > 25
    info = machine()
    assert info["nproc"] and info["Python"].startswith("CPython")


def test_bench_command_on_tiny_inputs(tmp_path):
    results = tmp_path / "R.md"
    assert bench_main(["--sizes", "40", "--repeat", "1", "--skip", "evaluation,decide,letters", "--work",
                       str(tmp_path / "w"), "--results", str(results)]) == 0
    text = results.read_text(encoding="utf-8")
    assert "## Machine" in text and "tic validate" in text and "python-calamine" in text and "openpyxl" in text
    assert "≤ 2× the python-calamine raw read" in text


def test_finding_json_is_the_json_of_its_dict():
    """finding_json, written directly for speed, writes each finding as dump_json(to_dict()) does: with and
    without article, sheet, field, cell, value and extra keys, at every level."""
    from datetime import date
    from decimal import Decimal

    from toolkit.core.findings import Finding, Severity
    from toolkit.intake import finding_json

    rnd = random.Random(4)
    values = [None, 5, 1.5, 2000.0, Decimal("12.50"), "文本\"引号\"", date(2021, 3, 5), [1, "a"], True]
    for _ in range(400):
        f = Finding(rule=rnd.choice(["DATA.TYPE", "A10.2.SALES", "X"]), severity=rnd.choice(list(Severity)),
                    message=rnd.choice(["消息", "带“引号”和\\反斜杠", ""]), article=rnd.choice([None, "第十条"]),
                    field=rnd.choice([None, "sales", 7]), cell=rnd.choice([None, "K12"]), value=rnd.choice(values),
                    sheet=rnd.choice([None, None, "申报汇总"]), extra=rnd.choice([(), (("expert_id", "E1"),)]))
        level = rnd.choice([0, 2, 4])
        for _ in range(2):
            assert finding_json(f, level) == dump_json(f.to_dict(), level)
