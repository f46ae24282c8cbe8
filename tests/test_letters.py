"""Issuing the cycle's letters from a real ledger: numbering, re-runs, re-issues, safety, outputs."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from toolkit.adapters.ledger import decide_cycle, open_ledger
from toolkit.adapters.letter_plan import (
    chinese_number,
    join_articles,
    pair_reasons,
    plan_letters,
    weak_dimensions_text,
)
from toolkit.adapters.letter_register import format_doc_number
from toolkit.adapters.letters import (
    issue_letters,
    letter_file_stem,
    safe_component,
    write_new,
)
from toolkit.adapters.pdf import convert_to_pdf
from toolkit.cli.letters import letters_cmd
from toolkit.core.config import Config, config_from_dict
from toolkit.errors import LedgerError, OutputError, TemplateError, TicError
from toolkit.resources import templates_dir

STAMP = "2026-03-01T10:00:00"
ODD_NAME = "石家庄市生物医药&<{{检测}}>/技术创新中心"
ODD_LEAD = "河北A/B&C<制药>有限公司"
EVALUATION = {
    "report": "evaluation", "year": 2026,
    "settings": {"dimensions": {"组织管理": 15, "研发条件": 20, "研发产出": 30, "转化应用": 20, "开放协作": 15}},
    "centers": [{"center_id": "SJZTIC-2020-002", "total": 55.5, "grade": "不合格",
                 "dimensions": {"组织管理": 10, "研发条件": 13.5, "研发产出": 14.5, "转化应用": 10.5, "开放协作": 7.0}}],
}
KIND_OF = {"认定批复": "approval", "认定通知": "approval_notice", "整改通知": "rectification", "撤销通知": "revocation",
           "奖励通知": "reward", "不再保留通知": "retire", "变更批复": "change", "催报通知": "reminder"}


def make_config(tmp: Path, reference: date = date(2026, 3, 5), **letters: Any) -> Config:
    data: dict[str, Any] = {"cycle": {"year": 2026, "reference_date": reference},
                            "ledger": {"path": str(tmp / "ledger.sqlite"), "backups": 0}}
    if letters:
        data["letters"] = letters
    return config_from_dict(data, base_dir=tmp)


def add_center(conn: sqlite3.Connection, cid: str, name: str, lead: str, *, district: str | None = "长安区",
               name_en: str | None = "Test", partners: tuple[str, ...] = (), approved: int = 2020,
               status: str = "运行") -> None:
    conn.execute(
        "INSERT INTO centers (center_id, name, name_en, lead_name, partners, district, key_field, rd_direction, director,"
        " approved_year, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (cid, name, name_en, lead, json.dumps(list(partners), ensure_ascii=False), district, "先进装备制造",
         "工业机器人", "张三", approved, status, STAMP, STAMP))


def build_ledger(config: Config) -> None:
    """A cycle with a reward, a rectification, a revocation with two reasons, a retirement,
    two approvals (and their notice), a change and one missing annual report."""
    with open_ledger(config, command="test") as led:
        c = led.conn
        add_center(c, "SJZTIC-2020-001", "石家庄市智能装备技术创新中心", "河北智装科技有限公司", partners=("河北科技大学",))
        add_center(c, "SJZTIC-2020-002", ODD_NAME, ODD_LEAD, district="新华区")
        add_center(c, "SJZTIC-2019-003", "石家庄市新材料技术创新中心", "石家庄新材有限公司", district="裕华区",
                   approved=2019, status="撤销")
        add_center(c, "SJZTIC-2019-004", "石家庄市现代食品技术创新中心", "石家庄食品集团有限公司", district="鹿泉区",
                   approved=2019, status="不再保留")
        add_center(c, "SJZTIC-2026-005", "石家庄市节能环保技术创新中心", "河北节能有限公司", name_en="Energy Saving",
                   approved=2026, partners=("甲公司", "乙大学"))
        add_center(c, "SJZTIC-2026-006", "石家庄市电子信息技术创新中心", "河北电子有限公司", district="高新区",
                   name_en="Electronic Information", approved=2026)
        for cid in ("SJZTIC-2026-005", "SJZTIC-2026-006"):
            c.execute("INSERT INTO registrations (center_id, cycle_year, source_file, source_row, registered_at)"
                      " VALUES (?,?,?,?,?)", (cid, 2026, "城市汇总.xlsx", 4, STAMP))
        for cid, year, grade, total in [("SJZTIC-2020-001", 2026, "优秀", "1753/20"),
                                        ("SJZTIC-2020-002", 2026, "不合格", "111/2"),
                                        ("SJZTIC-2019-003", 2025, "不合格", "50"),
                                        ("SJZTIC-2019-003", 2026, "不合格", "52")]:
            c.execute("INSERT INTO evaluations (center_id, year, status, grade, total, source, recorded_at)"
                      " VALUES (?,?,?,?,?,?,?)", (cid, year, "参评", grade, total, "评估.json", STAMP))
        c.execute("INSERT INTO events (center_id, rule, article, occurred_on, description, basis) VALUES (?,?,?,?,?,?)",
                  ("SJZTIC-2019-003", "A38.3", "第三十八条第（三）项", "2026-01-10", "年度报告中研发投入数据不实", "审计报告"))
        c.execute("INSERT INTO events (center_id, rule, article, occurred_on, description, basis) VALUES (?,?,?,?,?,?)",
                  ("SJZTIC-2019-004", "A28.RETIRE", "第二十八条", "2026-02-10", "河北省现代食品技术创新中心", ""))
        for cid, outcome, rules, reasons in [
            ("SJZTIC-2020-001", "reward", ["A36.REWARD"], ["2026年绩效评估总分87.7分，等级为优秀"]),
            ("SJZTIC-2020-002", "rectify", ["A37.RECTIFY"], ["2026年绩效评估总分55.5分，等级为不合格"]),
            ("SJZTIC-2019-003", "revoke", ["A38.2.TWICE", "A38.3"],
             ["2025年、2026年绩效评估连续两年不合格",
              "2026年1月10日，严重弄虚作假，提供虚假材料和不真实数据：年度报告中研发投入数据不实（依据：审计报告）"]),
            ("SJZTIC-2019-004", "retire", ["A28.RETIRE"], ["2026年2月10日，不再保留"]),
        ]:
            c.execute("INSERT INTO dispositions VALUES (?,?,?,?,?,?)",
                      (cid, 2026, outcome, json.dumps(rules, ensure_ascii=False), json.dumps(reasons, ensure_ascii=False),
                       STAMP))
        c.execute("INSERT INTO changes (center_id, field, old_value, new_value, effective_on, description, cycle_year,"
                  " recorded_at) VALUES (?,?,?,?,?,?,?,?)",
                  ("SJZTIC-2020-001", "director", "张三", "李四", "2026-02-01", "", 2026, STAMP))
        for cid in ("SJZTIC-2020-002", "SJZTIC-2026-005", "SJZTIC-2026-006"):
            c.execute("INSERT INTO annual_reports (center_id, year, submitted_on) VALUES (?,?,?)", (cid, 2025, "2026-02-01"))


@pytest.fixture
def cycle(tmp_path: Path) -> Config:
    config = make_config(tmp_path, copy_to=["市财政局"])
    build_ledger(config)
    return config


def letters_rows(config: Config) -> list[sqlite3.Row]:
    with open_ledger(config, command="test", write=False) as led:
        return led.conn.execute("SELECT * FROM letters ORDER BY id").fetchall()


def text_of(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def test_each_center_gets_one_letter_of_its_kind_with_a_unique_number(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "公文"
    report = issue_letters(cycle, out, evaluation=EVALUATION)
    got = sorted((e.kind, e.center_id) for e in report.letters)
    assert got == sorted([
        ("approval", "SJZTIC-2026-005"), ("approval", "SJZTIC-2026-006"), ("approval_notice", None),
        ("rectification", "SJZTIC-2020-002"), ("revocation", "SJZTIC-2019-003"), ("reward", "SJZTIC-2020-001"),
        ("retire", "SJZTIC-2019-004"), ("change", "SJZTIC-2020-001"), ("reminder", "SJZTIC-2020-001"),
    ])
    assert [e.doc_number for e in report.letters] == [format_doc_number("石科字", 2026, n) for n in range(1, 10)]
    assert report.exit_status == 0 and all(e.new for e in report.letters)
    articles = {"approval": "第三十九条", "approval_notice": "第十一条", "rectification": "第三十七条",
                "revocation": "第三十八条第（三）项", "reward": "第三十六条", "retire": "第二十八条", "change": "第三十条",
                "reminder": "第三十八条第（一）项"}
    for e in report.letters:
        text = text_of(out / e.file)
        assert e.doc_number in text and articles[e.kind] in text
        if e.center_id:
            assert e.center_name and e.center_name in text
    assert ODD_NAME in text_of(out / next(e.file for e in report.letters if e.kind == "rectification"))


def test_revocation_names_every_reason_article_and_the_effective_date(cycle: Config, tmp_path: Path) -> None:
    report = issue_letters(cycle, tmp_path / "out", kinds=["revocation"])
    text = text_of(tmp_path / "out" / report.letters[0].file)
    assert "（一）2025年、2026年绩效评估连续两年不合格，属于《办法》第三十八条第（二）项" in text
    assert "（二）2026年1月10日，严重弄虚作假" in text and "第三十八条第（三）项规定" in text
    assert "依据《办法》第三十八条第（二）项、第（三）项的规定" in text
    assert "自2026年3月5日起生效" in text
    assert "抄送：裕华区科技行政管理部门，市财政局。" in text


def test_rectification_names_the_weakest_dimensions_and_the_plan_date(cycle: Config, tmp_path: Path) -> None:
    report = issue_letters(cycle, tmp_path / "out", kinds=["rectification"], evaluation=EVALUATION)
    text = text_of(tmp_path / "out" / report.letters[0].file)
    assert "评估总分为55.5分，评估结果为“不合格”" in text
    assert "研发产出（14.5分，满分30分）、转化应用（10.5分，满分20分）、开放协作（7分，满分15分）得分低于该项满分的60%" in text
    assert "于2026年4月4日前经新华区科技行政管理部门审核" in text and "2027年" in text


def test_a_rerun_issues_nothing_new(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = issue_letters(cycle, out, evaluation=EVALUATION)
    before = {p.name: p.read_bytes() for p in out.glob("*.docx")}
    second = issue_letters(cycle, out, evaluation=EVALUATION)
    assert [e.to_dict()["new"] for e in second.letters] == [False] * 9
    assert [(e.doc_number, e.file, e.sha256) for e in second.letters] == \
        [(e.doc_number, e.file, e.sha256) for e in first.letters]
    assert {p.name: p.read_bytes() for p in out.glob("*.docx")} == before
    assert len(letters_rows(cycle)) == 9


def test_numbering_across_runs_has_no_gaps_or_repeats(cycle: Config, tmp_path: Path) -> None:
    issue_letters(cycle, tmp_path / "out", kinds=["reward", "retire"])
    issue_letters(cycle, tmp_path / "out", kinds=["revocation", "reward"])
    issue_letters(cycle, tmp_path / "out", evaluation=EVALUATION)
    seqs = [r["seq"] for r in letters_rows(cycle)]
    assert sorted(seqs) == list(range(1, 10))


def test_reissue_gives_a_new_number_and_supersedes_the_old_letter(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = issue_letters(cycle, out, kinds=["reward", "revocation"])
    old = next(e for e in first.letters if e.kind == "revocation")
    old_bytes = (out / old.file).read_bytes()
    again = issue_letters(cycle, out, kinds=["revocation"], reissue=True, center_ids=["sjztic-2019-003"])
    new = again.letters[0]
    assert (new.new, new.doc_number, new.supersedes) == (True, "石科字〔2026〕3号", old.doc_number)
    assert new.file.endswith("-2.docx") and (out / old.file).read_bytes() == old_bytes
    rows = {r["doc_number"]: r for r in letters_rows(cycle)}
    assert rows[old.doc_number]["superseded_by"] == rows[new.doc_number]["id"]
    assert "石科字〔2026〕3号" in text_of(out / new.file)
    assert [e.new for e in issue_letters(cycle, out, kinds=["revocation"]).letters] == [False]


def test_a_missing_file_is_restored_byte_for_byte_with_its_number(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    entry = issue_letters(cycle, out, kinds=["reward"]).letters[0]
    data = (out / entry.file).read_bytes()
    (out / entry.file).unlink()
    again = issue_letters(cycle, out, kinds=["reward"]).letters[0]
    assert (again.new, again.restored, again.doc_number) == (False, True, entry.doc_number)
    assert (out / entry.file).read_bytes() == data


def test_a_missing_file_whose_data_changed_is_not_rewritten(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    entry = issue_letters(cycle, out, kinds=["reward"]).letters[0]
    (out / entry.file).unlink()
    with open_ledger(cycle, command="test") as led:
        led.conn.execute("UPDATE centers SET lead_name = '新名称有限公司' WHERE center_id = 'SJZTIC-2020-001'")
    report = issue_letters(cycle, out, kinds=["reward"])
    assert not (out / entry.file).exists() and report.exit_status == 1
    assert entry.doc_number in report.problems[0].message and "--reissue" in report.problems[0].message


def test_an_existing_file_is_never_overwritten(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    clerks = out / "奖励通知-SJZTIC-2020-001-石家庄市智能装备技术创新中心.docx"
    clerks.write_bytes(b"the clerk's own draft")
    entry = issue_letters(cycle, out, kinds=["reward"]).letters[0]
    assert entry.file == "奖励通知-SJZTIC-2020-001-石家庄市智能装备技术创新中心-2.docx"
    assert clerks.read_bytes() == b"the clerk's own draft"
    with pytest.raises(OutputError, match="未覆盖"):
        write_new(clerks, b"x")


def test_a_template_with_an_unknown_field_stops_before_any_number(cycle: Config, tmp_path: Path) -> None:
    custom = tmp_path / "模板"
    custom.mkdir()
    data = (templates_dir() / "reward.docx").read_bytes()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "word/document.xml":
                blob = blob.replace(b"{{ grade }}", b"{{ grdae }}")
            dst.writestr(info, blob)
    (custom / "reward.docx").write_bytes(buf.getvalue())
    with pytest.raises(TemplateError, match="grdae"):
        issue_letters(cycle, tmp_path / "out", template_dir=custom, evaluation=EVALUATION)
    assert letters_rows(cycle) == [] and not list((tmp_path / "out").glob("*.docx"))


def test_a_failure_midway_rolls_back_numbers_and_files(cycle: Config, tmp_path: Path) -> None:
    custom = tmp_path / "模板"
    custom.mkdir()
    data = (templates_dir() / "approval.docx").read_bytes()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "word/document.xml":  # fails for the second center only
                blob = blob.replace(b"{{ director }}",
                                    b"{{ director }}{% if center_id[-1] == '6' %}{{ 1 // 0 }}{% endif %}")
            dst.writestr(info, blob)
    (custom / "approval.docx").write_bytes(buf.getvalue())
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        issue_letters(cycle, tmp_path / "out", kinds=["approval"], template_dir=custom)
    assert letters_rows(cycle) == [] and not list((tmp_path / "out").glob("*.docx"))


_KILLED_RUN = """
import os, sys
from pathlib import Path
from toolkit.core.config import config_from_dict
from toolkit.adapters import letters
cfg = config_from_dict({"cycle": {"year": 2026, "reference_date": __import__("datetime").date(2026, 3, 5)},
                        "ledger": {"path": sys.argv[1], "backups": 0}, "letters": {"copy_to": ["市财政局"]}})
if sys.argv[3] == "before-commit":  # killed (power cut, kill -9) after three letters were written
    record, count = letters._Issuer._record, [0]
    def dying(self, job, content):
        entry = record(self, job, content)
        count[0] += 1
        if count[0] == 3:
            os._exit(9)
        return entry
    letters._Issuer._record = dying
else:  # killed after the ledger recorded them, before they were moved in
    letters._move_staged = lambda *a: os._exit(9)
letters.issue_letters(cfg, Path(sys.argv[2]), evaluation=EVALUATION)
""".replace("EVALUATION", repr(EVALUATION))


@pytest.mark.parametrize("when", ["before-commit", "after-commit"])
def test_a_run_killed_midway_never_leaves_a_number_to_be_given_twice(cycle: Config, tmp_path: Path, when: str) -> None:
    """Killed mid-way, the letters written so far stayed in the output folder although the ledger never recorded
    them; the next run gave their numbers again (撤销通知…docx and 撤销通知…-2.docx both 石科字〔2026〕4号)."""
    import re
    import sys

    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", _KILLED_RUN, str(cycle.ledger_path), str(out), when],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert run.returncode == 9, run.stderr
    assert not list(out.glob("*.docx"))  # nothing shown before the ledger has it (and moved in after)
    assert len(letters_rows(cycle)) == (0 if when == "before-commit" else 9)
    report = issue_letters(cycle, out, evaluation=EVALUATION)
    assert len(report.new) == (9 if when == "before-commit" else 0)
    assert len(report.recovered) == (0 if when == "before-commit" else 9)
    files = sorted(out.glob("*.docx"))
    numbers = [re.search(r"石科字〔2026〕\d+号", text_of(p)).group(0) for p in files]
    assert len(files) == 9 and len(set(numbers)) == 9 and not any(p.stem.endswith("-2") for p in files)
    assert sorted(r["file"] for r in letters_rows(cycle)) == [p.name for p in files]
    assert not (out / ".tic-印发中").exists() and not list(out.glob(".~tic-*"))


def test_a_manifest_held_open_does_not_hide_the_letters_just_issued(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "manifest.xlsx").mkdir(parents=True)  # cannot be replaced (as a file open in Excel on Windows)
    report = issue_letters(cycle, out, evaluation=EVALUATION)
    assert len(report.new) == 9 and report.manifest is None and report.exit_status == 1
    assert [p.kind for p in report.problems] == ["manifest"] and "发文清单未能更新" in report.problems[0].message
    assert any(line.startswith("  文号：") for line in report.summary_lines())


def test_letters_lacking_required_facts_are_reported_not_sent(cycle: Config, tmp_path: Path) -> None:
    with open_ledger(cycle, command="test") as led:
        led.conn.execute("UPDATE centers SET name_en = NULL WHERE center_id = 'SJZTIC-2026-006'")
    report = issue_letters(cycle, tmp_path / "out", kinds=["approval", "rectification"])  # no evaluation dimensions
    assert [e.center_id for e in report.letters] == ["SJZTIC-2026-005"]
    messages = " ".join(p.message for p in report.problems)
    assert "英文名称关键词" in messages and "--evaluation" in messages and report.exit_status == 1


def test_the_evaluation_json_beside_the_config_is_found(cycle: Config, tmp_path: Path) -> None:
    (tmp_path / "评估.json").write_text(json.dumps(EVALUATION, ensure_ascii=False), encoding="utf-8")
    report = issue_letters(cycle, tmp_path / "out", kinds=["rectification"])
    assert report.exit_status == 0 and len(report.new) == 1


def test_reminders_up_to_the_deadline_day_never_after(tmp_path: Path) -> None:
    """The default reference date (31 March) is the default deadline: no reminder was ever issued with the default
    settings; on the deadline day the report is still on time, and the reminder says 今日."""
    before = make_config(tmp_path, reference=date(2026, 3, 30))
    build_ledger(before)
    with open_ledger(before, command="test", write=False) as led:
        assert [p.center_id for p in plan_letters(led.conn, before, ["reminder"]).letters] == ["SJZTIC-2020-001"]
        on_deadline = make_config(tmp_path, reference=date(2026, 3, 31))
        assert [p.center_id for p in plan_letters(led.conn, on_deadline, ["reminder"]).letters] == ["SJZTIC-2020-001"]
        after = make_config(tmp_path, reference=date(2026, 4, 1))
        assert plan_letters(led.conn, after, ["reminder"]).letters == []
    report = issue_letters(before, tmp_path / "out", kinds=["reminder"])
    text = text_of(tmp_path / "out" / report.letters[0].file)
    assert "请你单位于2026年3月31日前将2025年度报告" in text and "第三十八条第（一）项" in text
    report = issue_letters(on_deadline, tmp_path / "out2", kinds=["reminder", "approval"], reissue=True)
    (entry,) = [e for e in report.letters if e.kind == "reminder"]
    text = text_of(tmp_path / "out2" / entry.file)
    assert "截至2026年3月31日，我局尚未收到" in text and "请你单位于今日（2026年3月31日）内将2025年度报告" in text


def test_revocation_from_the_real_decision_with_several_events(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with open_ledger(config, command="test") as led:
        add_center(led.conn, "SJZTIC-2019-009", "石家庄市精细化工技术创新中心", "化工有限公司", approved=2019)
        led.conn.execute("INSERT INTO annual_reports (center_id, year, submitted_on) VALUES (?,?,?)",
                         ("SJZTIC-2019-009", 2024, "2025-03-01"))  # the 2024 report, judged in this cycle, on time
        for year, grade in ((2025, "不合格"), (2026, "不合格")):
            led.conn.execute("INSERT INTO evaluations (center_id, year, status, grade, total, recorded_at)"
                             " VALUES (?,?,?,?,?,?)", ("SJZTIC-2019-009", year, "参评", grade, "50", STAMP))
        for day, rule, what in (("2026-01-05", "A38.3", "虚报研发人员"), ("2026-02-06", "A38.3", "伪造检测报告"),
                                ("2026-02-20", "A38.6", "环保处罚")):
            led.conn.execute("INSERT INTO events (center_id, rule, article, occurred_on, description) VALUES (?,?,?,?,?)",
                             ("SJZTIC-2019-009", rule, "", day, what))
    decide_cycle(config)
    report = issue_letters(config, tmp_path / "out", kinds=["revocation"])
    text = text_of(tmp_path / "out" / report.letters[0].file)
    for line in ("（一）2025年、2026年绩效评估连续两年不合格", "（二）2026年1月5日", "虚报研发人员", "（三）2026年2月6日",
                 "伪造检测报告", "（四）2026年2月20日", "第三十八条第（六）项规定"):
        assert line in text
    assert "依据《办法》第三十八条第（二）项、第（三）项、第（六）项的规定" in text


def test_manifest_and_district_zips(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = issue_letters(cycle, out, evaluation=EVALUATION, zip_by_district=True)
    ws = load_workbook(out / "manifest.xlsx").active
    rows = list(ws.values)
    assert rows[0][:6] == ("类别", "中心编号", "中心名称", "县（市、区）", "发文字号", "文件")
    assert sorted(r[4] for r in rows[1:]) == sorted(e.doc_number for e in report.letters)
    assert all(r[7] == e.sha256 for r, e in zip(rows[1:], report.letters, strict=True))
    with zipfile.ZipFile(out / "按区县打包" / "长安区.zip") as zf:
        names = sorted(zf.namelist())
    assert names == sorted([e.file for e in report.letters if e.center_id and "长安区" in e.districts]
                           + ["认定通知-2026年度.docx"])
    with zipfile.ZipFile(out / "按区县打包" / "鹿泉区.zip") as zf:
        assert [KIND_OF[n.split("-")[0]] for n in zf.namelist()] == ["retire"]


def test_file_names_are_safe_for_windows() -> None:
    assert safe_component('a\\b/c:d*e?f"g<h>i|j\x01k\x7f') == "abcdefghijk"
    assert safe_component("../../etc/passwd") == "etcpasswd"
    assert safe_component(" ..名称.. ") == "名称"
    stem = letter_file_stem("revocation", "SJZTIC-2019-002", "石家庄市" + "超长名称" * 20 + "技术创新中心", 2026)
    assert stem.startswith("撤销通知-SJZTIC-2019-002-石家庄市") and stem.endswith("技术创新中心") and "…" in stem
    assert len(stem) <= 60
    assert letter_file_stem("reward", "SJZTIC-2020-001", ODD_NAME, 2026) == \
        "奖励通知-SJZTIC-2020-001-石家庄市生物医药&{{检测}}技术创新中心"
    assert letter_file_stem("approval_notice", None, None, 2026) == "认定通知-2026年度"


def test_small_helpers() -> None:
    assert format_doc_number("石科字", 2026, 12) == "石科字〔2026〕12号"
    assert [chinese_number(n) for n in (1, 10, 11, 20, 23)] == ["一", "十", "十一", "二十", "二十三"]
    assert join_articles(["第三十八条第（二）项", "第三十八条第（二）项", "第三十八条第（三）项", "第二十八条"]) == \
        "第三十八条第（二）项、第（三）项、第二十八条"
    maxima = {"组织管理": 15, "研发产出": 30}
    assert weak_dimensions_text({"组织管理": 9, "研发产出": 18}, maxima) == \
        "各评估维度中得分率最低的是组织管理（9分，满分15分），是需要重点整改的方面。"  # exactly 60% is not below
    assert "组织管理（8.9分，满分15分）得分低于" in weak_dimensions_text({"组织管理": 8.9, "研发产出": 18}, maxima)
    pairs = pair_reasons(["A38.2.TWICE", "A38.3"], ["连续两年", "事件一", "事件二"], {"A38.3": 2})
    assert pairs == [("A38.2.TWICE", "连续两年"), ("A38.3", "事件一"), ("A38.3", "事件二")]


def test_pdf_missing_libreoffice_is_one_sentence(cycle: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(OutputError, match="未找到 LibreOffice"):
        issue_letters(cycle, tmp_path / "out", kinds=["reward"], pdf=True)
    assert letters_rows(cycle) == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_pdf_is_produced_and_has_the_text(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = issue_letters(cycle, out, kinds=["revocation", "rectification"], pdf=True, evaluation=EVALUATION)
    for e in report.letters:
        assert e.pdf and (out / e.pdf).read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        pdf = out / next(e.pdf for e in report.letters if e.kind == "rectification")
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
        flat = "".join(text.split())
        assert "石科字〔2026〕1号" in flat and "石家庄市科学技术局文件" in flat
        assert "".join(ODD_NAME.split()) in flat and "第三十七条" in flat


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and pdftotext are needed")
def test_no_punctuation_is_lost_at_a_line_end_in_the_pdf(cycle: Config, tmp_path: Path) -> None:
    """LibreOffice 7.4 hangs a line's last punctuation mark in the margin of a justified line and leaves it out
    of the PDF (a ；vanished from the 认定通知): an event description whose commas fall at every position of a
    line, and every one is in the PDF; the lines hold 28 characters (GB/T 9704)."""
    facts = "".join("测" * n + "，" for n in range(1, 40)) + "1" + "".join("试" * n + "；" for n in range(20, 30))
    with open_ledger(cycle, command="test") as led:
        led.conn.execute("UPDATE events SET description = ? WHERE center_id = 'SJZTIC-2019-003'", (facts,))
        led.conn.execute("UPDATE dispositions SET reasons = ? WHERE center_id = 'SJZTIC-2019-003'", (json.dumps(
            ["2025年、2026年绩效评估连续两年不合格", f"2026年1月10日，严重弄虚作假，提供虚假材料和不真实数据：{facts}"],
            ensure_ascii=False),))
    out = tmp_path / "out"
    report = issue_letters(cycle, out, kinds=["revocation"], pdf=True)
    (entry,) = report.letters
    words = "".join(text_of(out / entry.file).split())
    assert facts.rstrip("；") in words  # a fact loses its final mark in the sentence
    pdf = subprocess.run(["pdftotext", str(out / entry.pdf), "-"], capture_output=True, check=True).stdout.decode()
    for mark in "，；。、：":
        assert "".join(pdf.split()).count(mark) == words.count(mark), mark
    layout = subprocess.run(["pdftotext", "-layout", str(out / entry.pdf), "-"], capture_output=True,
                            check=True).stdout.decode()
    assert max(len(line.strip()) for line in layout.splitlines() if "测" in line and " " not in line.strip()) == 28


def test_cli_writes_json_and_exits_by_status(cycle: Config, tmp_path: Path) -> None:
    config_file = tmp_path / "tic.toml"
    config_file.write_text(
        f'[cycle]\nyear = 2026\nreference_date = 2026-03-05\n[ledger]\npath = "{(tmp_path / "ledger.sqlite").as_posix()}"\n'
        'backups = 0\n[letters]\ncopy_to = ["市财政局"]\n', encoding="utf-8")
    (tmp_path / "ev.json").write_text(json.dumps(EVALUATION, ensure_ascii=False), encoding="utf-8")
    args = ["--config", str(config_file), "--out", str(tmp_path / "out"), "--evaluation", str(tmp_path / "ev.json")]
    result = CliRunner().invoke(letters_cmd, [*args, "--json", "-"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["report"] == "letters" and data["summary"]["new"] == 9
    assert "成文日期：2026年3月5日（配置文件 [letters] 的 letter_date；未填写时为基准日期）" in result.stderr
    assert set(data["letters"][0]) >= {"kind", "center_id", "doc_number", "file", "sha256", "new"}
    again = CliRunner().invoke(letters_cmd, [*args, "--json", str(tmp_path / "r.json")])
    assert again.exit_code == 0 and "本次新印发0件" in again.output
    assert [x["new"] for x in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["letters"]] == [False] * 9
    assert CliRunner().invoke(letters_cmd, ["--config", str(config_file)]).exit_code == 2  # --out is required
    # without the evaluation JSON the rectification notice could not be written, but it was issued already
    kept = CliRunner().invoke(letters_cmd, ["--config", str(config_file), "--out", str(tmp_path / "out"),
                                            "--kind", "rectification"])
    assert kept.exit_code == 0 and "本次新印发0件" in kept.output
    redo = CliRunner().invoke(letters_cmd, ["--config", str(config_file), "--out", str(tmp_path / "out"),
                                            "--kind", "rectification", "--reissue"])
    assert redo.exit_code == 1 and "--evaluation" in redo.output


@pytest.mark.skipif(not os.environ.get("TIC_BENCH"), reason="speed measurement: run with TIC_BENCH=1 (and -s)")
def test_speed_of_1000_letters_and_the_pdf_rate(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    with open_ledger(config, command="test") as led:
        for i in range(1000):
            add_center(led.conn, f"SJZTIC-2020-{i:04d}", f"石家庄市测试{i}号技术创新中心", f"测试{i}有限公司",
                       district=("长安区", "桥西区", "新华区", "裕华区")[i % 4])
    start = time.perf_counter()
    report = issue_letters(config, tmp_path / "out", kinds=["reminder"])
    seconds = time.perf_counter() - start
    print(f"\n1000 letters (docx): {seconds:.1f} s, {seconds:.1f} ms each")
    assert len(report.new) == 1000 and seconds < 30
    if shutil.which("soffice"):
        files = [tmp_path / "out" / e.file for e in report.letters[:200]]
        start = time.perf_counter()
        convert_to_pdf(files)
        seconds = time.perf_counter() - start
        print(f"200 PDFs (2 LibreOffice workers): {seconds:.1f} s, {200 / seconds:.1f} PDFs/s")


def test_an_unknown_center_is_named_instead_of_issuing_nothing_quietly(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(TicError, match=r"台账中没有中心编号\.\./X、SJZTIC-2099-001，未生成任何公文"):
        issue_letters(cycle, out, center_ids=["SJZTIC-2099-001", "../x", "sjztic-2019-003"])
    assert not any(out.glob("*.docx")) and letters_rows(cycle) == []


def test_a_center_registered_after_the_approval_notice_is_pointed_out(cycle: Config, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = issue_letters(cycle, out, kinds=["approval", "approval_notice"])
    notice = next(e for e in first.letters if e.kind == "approval_notice")
    assert not any("印发后又登记了" in line for line in first.summary_lines())
    with open_ledger(cycle, command="t") as led:  # one center registered after the notice went out
        cid = led.conn.execute("SELECT center_id FROM registrations ORDER BY center_id LIMIT 1").fetchone()[0]
        led.conn.execute("UPDATE registrations SET registered_at = '2999-01-01T00:00:00' WHERE center_id = ?", (cid,))
    again = issue_letters(cycle, out, kinds=["approval", "approval_notice"])
    hint = [line for line in again.summary_lines() if "印发后又登记了" in line]
    assert hint == [f"提示：认定通知（{notice.doc_number}）印发后又登记了{cid}，未列入该通知（各自的认定批复已生成）；"
                    "如需列入，可运行 tic letters --kind approval_notice --reissue 重新印发（原通知记为作废）。"]


def test_weak_dimensions_are_compared_exactly_and_never_shown_as_the_limit() -> None:
    """研发产出 18, 18, 18, 18, 17.8 from five experts: 17.96 of 30, below 60 % (18), though it rounds to 18.0."""
    maxima = {"组织管理": 15, "研发产出": 30}
    text = weak_dimensions_text({"组织管理": "12", "研发产出": "449/25"}, maxima)
    assert text == "其中，研发产出（17.96分，满分30分）得分低于该项满分的60%，是需要重点整改的方面。"
    assert "（17.99分" in weak_dimensions_text({"组织管理": "12", "研发产出": "53999/3000"}, maxima)  # 17.9997: cut


def test_change_letters_say_from_what_to_what_and_never_print_the_note_as_the_matter(cycle: Config,
                                                                                       tmp_path: Path) -> None:
    from toolkit.adapters.ledger import record_change

    with open_ledger(cycle, command="test") as led:
        led.conn.execute("UPDATE centers SET reg_place = NULL WHERE center_id = 'SJZTIC-2020-002'")
    # 其他重大事项: the note is the approving document, not the matter
    record_change(cycle, "SJZTIC-2026-005", "other", "依托单位由甲公司变更为乙公司", date(2026, 6, 10),
                  "石科函〔2026〕8号")
    # 注册地 with no earlier address in the ledger: not issued, the problem says how to complete it
    record_change(cycle, "SJZTIC-2020-002", "reg_place", "石家庄市鹿泉区上庄镇创新路8号", date(2026, 6, 1))
    report = issue_letters(cycle, tmp_path / "out", kinds=["change"])
    files = {e.center_id: e.file for e in report.letters}
    other = text_of(tmp_path / "out" / files["SJZTIC-2026-005"])
    assert "石科函" not in other and "石科函" not in files["SJZTIC-2026-005"]
    assert "变更其他重大事项的批复" in other.replace("\n", "")
    assert "其他重大事项变更（依托单位由甲公司变更为乙公司），自2026年6月10日起生效" in other
    # the 批复 is dated the day it approves (--date), not the cycle's earlier letter date (2026年3月5日)
    assert other.count("2026年6月10日") == 3 and "2026年3月5日" not in other
    assert "SJZTIC-2020-002" not in files
    (problem,) = [p for p in report.problems if p.center_id == "SJZTIC-2020-002"]
    assert "没有变更前的注册地" in problem.message and "--from" in problem.message
    done = record_change(cycle, "SJZTIC-2020-002", "reg_place", "石家庄市鹿泉区上庄镇创新路8号", date(2026, 6, 1),
                         old_value="石家庄市长安区中山东路100号")
    assert done.completed and not done.created and "已补登变更前的内容" in done.sentence()
    report = issue_letters(cycle, tmp_path / "out", kinds=["change"])
    entry = next(e for e in report.letters if e.center_id == "SJZTIC-2020-002")
    text = text_of(tmp_path / "out" / entry.file)
    assert "注册地由“石家庄市长安区中山东路100号”变更为“石家庄市鹿泉区上庄镇创新路8号”" in text
    with pytest.raises(LedgerError, match="不一致"):  # a --from that is not what the ledger holds
        record_change(cycle, "SJZTIC-2020-001", "director", "王五", date(2026, 7, 1), old_value="赵六")


def test_a_retirement_judged_after_the_previous_reference_date_names_its_event_in_the_letter(tmp_path: Path) -> None:
    """The A28 event fell after the previous cycle's reference date but before 1 January: tic decide judged it,
    the letter looked for it from 1 January only and printed the decision's bare reason instead (no subject)."""
    config = make_config(tmp_path)
    with open_ledger(config, command="test") as led:
        c = led.conn
        add_center(c, "SJZTIC-2020-001", "石家庄市智能装备技术创新中心", "河北智装科技有限公司")
        c.execute("INSERT INTO cycles (cycle_year, reference_date, decided_at) VALUES (2025, '2025-03-31', ?)", (STAMP,))
        c.execute("INSERT INTO events (center_id, rule, article, occurred_on, description, basis) VALUES (?,?,?,?,?,?)",
                  ("SJZTIC-2020-001", "A28.RETIRE", "第二十八条", "2025-11-01", "晋升为河北省智能装备技术创新中心", ""))
        c.execute("INSERT INTO dispositions VALUES (?,?,?,?,?,?)",
                  ("SJZTIC-2020-001", 2026, "retire", json.dumps(["A28.RETIRE"]),
                   json.dumps(["2025年11月1日，不再保留：晋升省级"], ensure_ascii=False), STAMP))
    report = issue_letters(config, tmp_path / "out", kinds=["retire"])
    (entry,) = report.letters
    text = text_of(tmp_path / "out" / entry.file)
    assert "河北智装科技有限公司在相同领域、相同研发方向的技术创新中心已于2025年11月1日被认定或晋升" in text
    assert "不再保留：晋升省级" not in text


def test_a_ledger_rebuilt_from_its_export_never_gives_a_used_number_again(cycle: Config, tmp_path: Path) -> None:
    """The export held no letters: a lost ledger rebuilt from it gave 石科字〔2026〕1号 … again to new letters."""
    from toolkit.adapters.ledger_workbook import export_ledger_workbook, import_ledger_workbook

    out = tmp_path / "out"
    first = issue_letters(cycle, out, evaluation=EVALUATION)
    numbers = sorted(e.doc_number for e in first.letters)
    exported = tmp_path / "导出.xlsx"
    assert export_ledger_workbook(cycle, exported)["letters"] == len(numbers) == 9
    rebuilt = make_config(tmp_path / "rebuilt", copy_to=["市财政局"])
    (tmp_path / "rebuilt").mkdir()
    result = import_ledger_workbook(rebuilt, exported)
    assert result.counts["letters"]["new"] == 9 and "保留了9个已用的发文字号" in "\n".join(result.summary_lines())
    assert sorted(r["doc_number"] for r in letters_rows(rebuilt)) == numbers
    again = issue_letters(rebuilt, out, kinds=["reward", "reminder"])  # the same output folder: they are there
    assert again.new == [] and {e.doc_number for e in again.letters} <= set(numbers)
    reissued = issue_letters(rebuilt, out, kinds=["reminder"], reissue=True)
    (new,) = reissued.new
    assert new.doc_number not in numbers and new.doc_number == "石科字〔2026〕10号"
    assert import_ledger_workbook(rebuilt, exported).counts["letters"]["unchanged"] == 9  # imported again: as it is


def test_a_staged_letter_whose_name_is_taken_meanwhile_is_kept_and_named(cycle: Config, tmp_path: Path) -> None:
    """Killed after the commit, then a file of the same name put in the output folder: the recorded letter was
    deleted with the staging folder, silently."""
    import sys

    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", _KILLED_RUN, str(cycle.ledger_path), str(out), "after-commit"],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert run.returncode == 9, run.stderr
    staged = sorted((out / ".tic-印发中").iterdir())
    taken = out / staged[0].name
    taken.write_bytes(b"a draft of the clerk's")
    report = issue_letters(cycle, out, evaluation=EVALUATION)
    assert taken.read_bytes() == b"a draft of the clerk's" and (out / ".tic-印发中" / staged[0].name).is_file()
    assert len(report.recovered) == 8 and any("已有同名的其他文件" in p.message for p in report.problems)
    assert report.new == []


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="POSIX signals")
def test_a_run_stopped_by_sigterm_unwinds_and_leaves_no_worker_behind(tmp_path: Path) -> None:
    """SIGTERM (a scheduled run stopped) killed tic letters outright: its render workers lived on and printed
    BrokenPipeError tracebacks, letters written so far stayed behind."""
    import signal
    import sys

    config = make_config(tmp_path)
    with open_ledger(config, command="test") as led:
        for i in range(1500):
            add_center(led.conn, f"SJZTIC-2020-{i:04d}", f"石家庄市测试{i}号技术创新中心", f"测试{i}有限公司")
    (tmp_path / "tic.toml").write_text(
        '[cycle]\nyear = 2026\nreference_date = 2026-03-05\n[ledger]\npath = "ledger.sqlite"\nbackups = 0\n',
        encoding="utf-8")
    out = tmp_path / "公文"
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "letters", "--out", str(out), "--kind", "reminder"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    deadline = time.monotonic() + 60
    while not (out / ".tic-印发中").is_dir() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # stop it while it writes the letters
    assert proc.poll() is None, "finished before it could be stopped"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    time.sleep(0.5)
    def cmdline(pid: Path) -> bytes:
        try:
            return (pid / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            return b""

    orphans = [p for p in Path("/proc").iterdir() if p.name.isdigit() and str(out).encode() in cmdline(p)]
    assert orphans == []
    assert letters_rows(config) == [] and not list(out.glob("*.docx")) and not (out / ".tic-印发中").exists()


def test_decide_on_a_ledger_rebuilt_from_its_export_takes_the_issued_letters_as_decided(cycle: Config,
                                                                                       tmp_path: Path) -> None:
    """The rebuilt ledger had the letters but no dispositions: every issued decision was reported as a conflict with
    itself (已按“奖励”发文…重新计算为“奖励”), listed without its articles, and never stored."""
    from toolkit.adapters.ledger import decide_cycle
    from toolkit.adapters.ledger_workbook import export_ledger_workbook, import_ledger_workbook

    decided = decide_cycle(cycle)
    issue_letters(cycle, tmp_path / "out", evaluation=EVALUATION)
    export_ledger_workbook(cycle, tmp_path / "导出.xlsx")
    (tmp_path / "rebuilt").mkdir()
    rebuilt = make_config(tmp_path / "rebuilt", copy_to=["市财政局"])
    import_ledger_workbook(rebuilt, tmp_path / "导出.xlsx")
    again = decide_cycle(rebuilt)
    assert again.conflicts == []
    assert {d.center_id: (d.outcome, d.rules) for d in again.dispositions} == \
        {d.center_id: (d.outcome, d.rules) for d in decided.dispositions}
    with open_ledger(rebuilt, command="t", write=False) as led:
        stored = dict(led.conn.execute("SELECT center_id, outcome FROM dispositions WHERE cycle_year = 2026"))
    assert stored == {d.center_id: d.outcome for d in decided.dispositions}


def test_a_letter_row_with_a_bad_year_is_refused(
        cycle: Config, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from toolkit.adapters.ledger_workbook import export_ledger_workbook, import_ledger_workbook

    issue_letters(cycle, tmp_path / "out", evaluation=EVALUATION)
    exported = tmp_path / "导出.xlsx"
    export_ledger_workbook(cycle, exported)
    wb = load_workbook(exported)
    wb["发文记录"]["D3"] = "2026年"  # 周期年度 typed by hand
    wb.save(exported)
    (tmp_path / "rebuilt").mkdir()
    rebuilt = make_config(tmp_path / "rebuilt")
    result = import_ledger_workbook(rebuilt, exported)
    assert result.counts["letters"] == {"new": 8, "updated": 0, "unchanged": 0, "rejected": 1}
    assert any("发文记录第3行" in f.message for f in result.findings)


def test_a_first_import_that_fails_leaves_no_empty_ledger_behind(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A first import that failed left a 0-byte ledger, and the retry was refused ("空文件")."""
    import toolkit.adapters.ledger_workbook as ledger_workbook
    from toolkit.resources import samples_dir

    config = make_config(tmp_path)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]  # stands for a failure inside the transaction
        raise ValueError("unexpected")

    monkeypatch.setattr(ledger_workbook, "_import_letters", broken)
    with pytest.raises(ValueError):
        ledger_workbook.import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    assert not config.ledger_path.exists()
    monkeypatch.undo()
    assert ledger_workbook.import_ledger_workbook(config, samples_dir() / "中心台账.xlsx").counts["centers"]["new"] == 18
