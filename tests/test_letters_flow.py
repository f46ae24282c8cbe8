"""The step-by-step commands (not only ``tic run``) give every letter the decisions call for."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date

from click.testing import CliRunner
from openpyxl import load_workbook

from toolkit.adapters.config_file import load_config
from toolkit.cli.main import cli
from toolkit.resources import samples_dir


def evaluated_and_decided(tmp_path, config_file, *json_args: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The sample ledger imported, the sample scores evaluated and recorded, the cycle decided (reference date
    2026-06-30); returns the --config arguments."""
    cfg = ["--config", str(config_file)]
    text = config_file.read_text(encoding="utf-8").replace("reference_date = 2026-03-31", "reference_date = 2026-06-30")
    config_file.write_text(text, encoding="utf-8")
    run = CliRunner().invoke
    assert run(cli, ["ledger", "import", str(samples_dir() / "中心台账.xlsx"), *cfg]).exit_code == 0
    scores = tmp_path / "评估打分表.xlsx"
    shutil.copyfile(samples_dir() / "评估打分表-2026.xlsx", scores)
    result = run(cli, ["evaluate", str(scores), "--record", "--out", str(tmp_path / "res"), *json_args, *cfg])
    assert result.exit_code == 0, result.output
    assert run(cli, ["decide", *cfg]).exit_code == 0
    return cfg


def test_import_evaluate_record_decide_letters_without_json(tmp_path, config_file):
    cfg = evaluated_and_decided(tmp_path, config_file)
    run = CliRunner().invoke
    out = tmp_path / "公文"
    result = run(cli, ["letters", "--out", str(out), "--json", str(tmp_path / "l.json"), *cfg])
    assert result.exit_code == 0, result.output
    letters = json.loads((tmp_path / "l.json").read_text(encoding="utf-8"))["letters"]
    kinds = {e["center_id"]: e["kind"] for e in letters}
    assert kinds["SJZTIC-2020-002"] == "rectification"  # the weak dimensions come from the ledger
    assert all((out / e["file"]).is_file() for e in letters)


def test_a_grade_imported_without_a_total_still_gets_its_reward_letter(tmp_path, config_file):
    config = load_config(config_file)
    config = replace(config, reference_date=date(2026, 6, 30))
    from toolkit.adapters.ledger import decide_cycle
    from toolkit.adapters.ledger_workbook import import_ledger_workbook
    from toolkit.adapters.letters import issue_letters

    src = tmp_path / "台账.xlsx"
    shutil.copyfile(samples_dir() / "中心台账.xlsx", src)
    wb = load_workbook(src)
    ws = wb["评估记录"]
    header_row = next(r for r in range(1, 8) if "中心编号" in str(ws.cell(row=r, column=1).value))
    ws.append(["SJZTIC-2018-001", 2026, "参评", "优秀", "否"])
    wb.save(src)
    assert header_row
    import_ledger_workbook(config, src)
    decide_cycle(config)
    report = issue_letters(config, tmp_path / "公文", kinds=["reward"])
    entry = next(e for e in report.letters if e.center_id == "SJZTIC-2018-001")
    from docx import Document

    body = "\n".join(p.text for p in Document(tmp_path / "公文" / entry.file).paragraphs)
    assert "评估结果为“优秀”" in body and "总分为分" not in body


def test_the_timeline_names_letters_in_chinese(tmp_path, config_file):
    test_import_evaluate_record_decide_letters_without_json(tmp_path, config_file)
    result = CliRunner().invoke(cli, ["ledger", "show", "SJZTIC-2020-002", "--config", str(config_file)])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if "公文" in x and "石科字" in x)
    assert "整改通知" in line and "rectification" not in line


def test_a_rectification_letter_is_the_same_from_the_json_or_from_the_ledger(tmp_path, config_file):
    """The letter made with --evaluation (the evaluation's JSON) and the one made later from the ledger alone
    (the JSON gone): the same bytes. The ledger kept the dimensions sorted by code point, and rounded: the
    letter rebuilt from it named them in another order and was refused as different."""
    results = tmp_path / "评估结果.json"
    cfg = evaluated_and_decided(tmp_path, config_file, "--json", str(results))
    run = CliRunner().invoke
    out = tmp_path / "公文"
    result = run(cli, ["letters", "--kind", "rectification", "--out", str(out), "--evaluation", str(results), *cfg])
    assert result.exit_code == 0, result.output
    (letter,) = out.glob("整改通知-*.docx")
    made = letter.read_bytes()
    results.unlink()
    letter.unlink()
    result = run(cli, ["letters", "--kind", "rectification", "--out", str(out), *cfg])
    assert result.exit_code == 0, result.output
    assert letter.read_bytes() == made
