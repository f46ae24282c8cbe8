"""The monthly batch over a cycle folder, and the demo (issue 7)."""

from __future__ import annotations

import json
import shutil
import sqlite3

from click.testing import CliRunner

from tests.conftest import good_row, write_intake
from toolkit.adapters.config_file import load_config
from toolkit.batch import CITY_WORKBOOK, run_cycle
from toolkit.cli.main import cli
from toolkit.cycle import FOLDERS, folder, init_cycle
from toolkit.demo import run_demo
from toolkit.intake import validate_file
from toolkit.submission import collect_folder, submit_file


def snapshot(root) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_creates_the_documented_layout(tmp_path):
    cycle = tmp_path / "2026年度"
    result = CliRunner().invoke(cli, ["init", str(cycle)])
    assert result.exit_code == 0, result.output
    for f in FOLDERS:
        assert (cycle / f.name / "说明.txt").is_file()
    assert load_config(cycle / "tic.toml").ledger_path == (tmp_path / "tic-ledger.sqlite").resolve()
    again = CliRunner().invoke(cli, ["init", str(cycle)])
    assert again.exit_code == 2 and "已经是周期文件夹" in again.output


def test_demo_runs_a_whole_cycle_and_a_rerun_does_nothing(tmp_path):
    lines: list[str] = []
    assert run_demo(tmp_path, lines.append) == 0
    cycle = tmp_path / "2026年度"
    text = "\n".join(lines)
    assert "到哪里看结果" in text and "无法读取" in text
    city = folder(cycle, "city") / CITY_WORKBOOK
    assert city.is_file()
    letters = json.loads((folder(cycle, "letters") / "letters.json").read_text(encoding="utf-8"))
    kinds = sorted({e["kind"] for e in letters["letters"]})
    assert kinds == ["approval", "approval_notice", "rectification", "retire", "revocation", "reward"]
    numbers = [e["doc_number"] for e in letters["letters"]]
    assert len(numbers) == len(set(numbers))
    decisions = json.loads((folder(cycle, "decisions") / "处置决定-2026.json").read_text(encoding="utf-8"))
    outcome = {c["center_id"]: c["outcome"] for c in decisions["centers"]}
    assert outcome["SJZTIC-2019-002"] == "revoke" and outcome["SJZTIC-2020-002"] == "rectify"
    assert outcome["SJZTIC-2017-001"] == "retire" and outcome["SJZTIC-2017-002"] == "reward"
    # 08-处置决定 holds what a clerk opens, not only JSON; 07-年报核查 its JSON as its 说明.txt says
    from openpyxl import load_workbook

    book = load_workbook(folder(cycle, "decisions") / "处置决定-2026.xlsx")["处置决定"]
    rows = {r[0]: r for r in book.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows["SJZTIC-2019-002"][2] == "撤销" and "第三十八条" in rows["SJZTIC-2019-002"][3]
    assert rows["SJZTIC-2017-002"][2] == "奖励" and len(rows) >= len(decisions["centers"])
    assert list(folder(cycle, "annual_out").glob("*.年报核查.json"))

    # the outputs agree with the single commands
    config = load_config(cycle / "tic.toml")
    single = collect_folder(folder(cycle, "inbox"), config)
    stored = json.loads(city.with_suffix(".json").read_text(encoding="utf-8"))
    assert single.to_dict()["summary"] == stored["summary"]
    assert [r["verdict"] for r in single.to_dict()["rows"]] == [r["verdict"] for r in stored["rows"]]

    before = snapshot(cycle)
    db_before = (tmp_path / "tic-ledger.sqlite").read_bytes()
    second = run_cycle(cycle)
    assert not second.did_anything
    assert "没有新的或变化的文件" in "\n".join(second.lines())
    after = snapshot(cycle)
    new = set(after) - set(before)
    assert all(name.startswith("运行日志/") for name in new)  # only the run's own log
    assert {k: v for k, v in after.items() if k in before} == before
    with sqlite3.connect(tmp_path / "tic-ledger.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM letters").fetchone()[0] == len(numbers)
    assert db_before  # the ledger exists in the working folder


def test_new_district_file_only_that_is_processed_and_dry_run_writes_nothing(tmp_path, config):
    cycle = tmp_path / "c"
    init_cycle(cycle)
    shutil.copyfile(cycle / "tic.toml", tmp_path / "keep.toml")
    src = write_intake(tmp_path / "a.xlsx", [good_row()])
    submit_file(src, "长安区", load_config(cycle / "tic.toml"), folder(cycle, "inbox"))
    first = run_cycle(cycle)
    assert [s.key for s in first.steps if s.ran] == ["collect", "register", "decide", "letters"]
    assert first.status == 0, first.lines()

    row = good_row(district="桥西区", center_name="石家庄市乙技术创新中心", key_field="新材料",
                   reg_place="石家庄市桥西区中华大街1号")
    src2 = write_intake(tmp_path / "b.xlsx", [row])
    submit_file(src2, "桥西区", load_config(cycle / "tic.toml"), folder(cycle, "inbox"))
    before = snapshot(tmp_path)
    dry = CliRunner().invoke(cli, ["run", str(cycle), "--dry-run"])
    assert dry.exit_code == 0
    assert "试运行" in dry.output and "将汇总 2 个文件" in dry.output
    assert snapshot(tmp_path) == before

    second = run_cycle(cycle)
    ran = [s.key for s in second.steps if s.ran]
    assert ran[0] == "collect" and "evaluate" not in ran and "ledger_import" not in ran
    city = json.loads((folder(cycle, "city") / "市局汇总.json").read_text(encoding="utf-8"))
    assert city["summary"]["rows"] == 2


def test_broken_file_among_good_ones(tmp_path):
    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    src = write_intake(tmp_path / "a.xlsx", [good_row()])
    submit_file(src, "长安区", config, folder(cycle, "inbox"))
    (folder(cycle, "inbox") / "坏.xlsx").write_bytes(b"not a workbook")
    (folder(cycle, "scores") / "打分表.xlsx").write_bytes(b"PK\x03\x04 truncated")
    report = run_cycle(cycle)
    assert report.status == 2
    text = "\n".join(report.lines())
    assert "坏.xlsx" in text and "打分表.xlsx" in text
    collected = json.loads((folder(cycle, "city") / "市局汇总.json").read_text(encoding="utf-8"))
    assert collected["summary"]["rows"] == 1 and validate_file(src, config).rows[0].verdict.value == "eligible"
    assert (folder(cycle, "logs")).glob("运行-*.json")
    # the next month, nothing changed: nothing is processed again, but the run says the problems are still there
    # and exits 2 again (it exited 0, reporting success while the files stayed unreadable)
    again = run_cycle(cycle)
    assert not again.did_anything and again.status == 2
    text = "\n".join(again.lines())
    assert "没有新的或变化的文件" in text and "（仍未解决）" in text and "打分表.xlsx" in text
    (folder(cycle, "inbox") / "坏.xlsx").unlink()
    (folder(cycle, "scores") / "打分表.xlsx").unlink()
    fixed = run_cycle(cycle)  # the broken files taken away: the collection runs again, and all is well
    assert fixed.status == 0 and "仍未解决" not in "\n".join(fixed.lines())


def test_a_held_ledger_lock_stops_the_run_in_one_sentence(tmp_path):
    from toolkit.adapters.ledger import ledger_lock

    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    src = write_intake(tmp_path / "a.xlsx", [good_row()])
    submit_file(src, "长安区", config, folder(cycle, "inbox"))
    import multiprocessing as mp

    ready, done = mp.Event(), mp.Event()
    proc = mp.get_context("fork").Process(target=_hold_lock, args=(str(cycle / "tic.toml"), ready, done))
    proc.start()
    try:
        assert ready.wait(10)
        report = run_cycle(cycle)
        assert report.status == 2 and report.fatal and "台账正由" in report.fatal
        assert not (folder(cycle, "city") / CITY_WORKBOOK).exists()
    finally:
        done.set()
        proc.join(10)
    assert ledger_lock  # imported for the child


def _hold_lock(config_path, ready, done) -> None:  # type: ignore[no-untyped-def]
    from toolkit.adapters.ledger import ledger_lock

    with ledger_lock(load_config(config_path), command="测试"):
        ready.set()
        done.wait(10)


def _cycle_with_decisions(tmp_path):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    rows_a = [good_row()]
    rows_b = [good_row(district="桥西区", center_name="石家庄市乙技术创新中心", key_field="新材料",
                       reg_place="石家庄市桥西区中华大街1号")]
    submit_file(write_intake(tmp_path / "a.xlsx", rows_a), "长安区", config, folder(cycle, "inbox"))
    submit_file(write_intake(tmp_path / "b.xlsx", rows_b), "桥西区", config, folder(cycle, "inbox"))
    run_cycle(cycle)
    city = folder(cycle, "city") / CITY_WORKBOOK
    wb = load_workbook(city)
    ws = wb["汇总"]
    for r in (4, 5):
        ws.cell(row=r, column=ws.max_column, value="是")
    wb.save(city)
    return cycle, city


def test_an_unreadable_city_workbook_is_never_overwritten(tmp_path):
    cycle, city = _cycle_with_decisions(tmp_path)
    broken = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048  # what a password-protected workbook looks like
    city.write_bytes(broken)
    shutil.copyfile(folder(cycle, "inbox") / "长安区-2026-申报汇总.xlsx", folder(cycle, "inbox") / "长安区-副本.xlsx")
    report = run_cycle(cycle)
    assert city.read_bytes() == broken
    assert report.status == 2 and "为免丢失" in "\n".join(report.lines())


def test_decisions_of_a_removed_file_are_kept_and_restored(tmp_path):
    from openpyxl import load_workbook

    cycle, city = _cycle_with_decisions(tmp_path)
    moved = tmp_path / "moved.xlsx"
    shutil.move(folder(cycle, "inbox") / "桥西区-2026-申报汇总.xlsx", moved)
    report = run_cycle(cycle)
    assert "未汇总的意见" in "\n".join(report.lines())
    assert "未汇总的意见" in load_workbook(city).sheetnames
    shutil.move(moved, folder(cycle, "inbox") / "桥西区-2026-申报汇总.xlsx")
    run_cycle(cycle)
    ws = load_workbook(city)["汇总"]
    assert [ws.cell(row=r, column=ws.max_column).value for r in (4, 5)] == ["是", "是"]
    assert "未汇总的意见" not in load_workbook(city).sheetnames


def test_two_files_of_the_same_name_in_sub_folders_are_both_tracked(tmp_path):
    from toolkit.resources import samples_dir

    cycle = tmp_path / "c"
    init_cycle(cycle)
    for sub in ("甲", "乙"):
        (folder(cycle, "annual") / sub).mkdir()
        shutil.copyfile(samples_dir() / "年度报告汇总表-2025.xlsx", folder(cycle, "annual") / sub / "年报.xlsx")
    shutil.copyfile(samples_dir() / "中心台账.xlsx", folder(cycle, "ledger_import") / "中心台账.xlsx")
    run_cycle(cycle)
    assert (folder(cycle, "annual_out") / "甲" / "年报.年报核查.xlsx").is_file()
    assert (folder(cycle, "annual_out") / "乙" / "年报.年报核查.xlsx").is_file()
    assert not run_cycle(cycle).did_anything


def test_a_run_that_cannot_start_still_leaves_a_log(tmp_path):
    cycle = tmp_path / "c"
    init_cycle(cycle)
    (cycle / "tic.toml").write_text("[cycle]\nyear = 2026\n", encoding="utf-8")
    report = run_cycle(cycle)
    assert report.status == 2 and report.fatal
    logs = list(folder(cycle, "logs").glob("运行-*.txt"))
    assert logs and "reference_date" in logs[0].read_text(encoding="utf-8-sig")


def test_the_run_asks_for_decisions_only_while_some_are_missing(tmp_path):
    """After a new submission the city workbook is made again with the decisions already typed in: the run
    asks the clerk to fill 批准建设 only for the rows still without one."""
    cycle, city = _cycle_with_decisions(tmp_path)
    run_cycle(cycle)  # registers the two decisions
    ask = "的“批准建设”列填写市局决定"
    inbox = folder(cycle, "inbox")
    config = load_config(cycle / "tic.toml")
    # 长安区 submits again, the same application: every row of the new city workbook is decided
    submit_file(write_intake(tmp_path / "a2.xlsx", [good_row()]), "长安区", config, inbox)
    again = "\n".join(run_cycle(cycle).lines())
    assert ask not in again
    row = good_row(district="新华区", center_name="石家庄市丙技术创新中心", key_field="新材料",
                   reg_place="石家庄市新华区中华北大街1号")
    submitted = submit_file(write_intake(tmp_path / "c.xlsx", [row]), "新华区", config, inbox)
    assert submitted.target is not None, submitted.refused
    third = "\n".join(run_cycle(cycle).lines())
    assert f"{ask}（尚有1项未填写）" in third
    # next month, nothing new and the column still not filled: the run says it again (it fell silent)
    fourth = run_cycle(cycle)
    assert not fourth.did_anything and f"（仍未解决）请在“05-市局汇总/{CITY_WORKBOOK}”{ask}（尚有1项未填写）" in \
        "\n".join(fourth.lines())


def test_a_ledger_change_made_by_hand_between_runs_is_decided_and_its_letter_issued(tmp_path):
    """tic ledger change (an Art. 30 change) between two monthly runs: the next run said "nothing new", the 变更批复
    appeared only when some other file happened to change; an Art. 38 event imported by hand was judged in no cycle."""
    from datetime import date

    from toolkit.adapters.ledger import record_change

    cycle, _ = _cycle_with_decisions(tmp_path)
    first = run_cycle(cycle)  # registers the two approved centers, issues their letters
    assert first.status == 0, first.lines()
    config = load_config(cycle / "tic.toml")
    quiet = run_cycle(cycle)
    assert not quiet.did_anything
    with sqlite3.connect(config.ledger_path) as conn:
        cid = conn.execute("SELECT center_id FROM centers ORDER BY center_id").fetchone()[0]
    record_change(config, cid, "director", "李新任", date(2026, 5, 1), "石科字〔2026〕20号")
    after = run_cycle(cycle)
    text = "\n".join(after.lines())
    assert [s.key for s in after.steps if s.ran] == ["decide", "letters"], text
    assert "台账在上次运行后有改动" in text and "变更批复" in text
    assert not run_cycle(cycle).did_anything  # and the run after that has nothing to do again


def test_a_file_no_step_reads_is_named_and_an_unforeseen_error_stops_only_its_file(tmp_path, monkeypatch):
    import toolkit.adapters.ledger_workbook as ledger_workbook

    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    submit_file(write_intake(tmp_path / "a.xlsx", [good_row()]), "长安区", config, folder(cycle, "inbox"))
    (folder(cycle, "inbox") / "鹿泉区-2026-申报汇总.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder(cycle, "annual") / "年报.et").write_bytes(b"\xd0\xcf\x11\xe0")
    shutil.copyfile(folder(cycle, "inbox") / next(p.name for p in folder(cycle, "inbox").glob("*.xlsx")),
                    folder(cycle, "annual") / "年度报告汇总表.xlsx")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]  # stands for a bug no check foresaw
        raise ValueError("unexpected")

    monkeypatch.setattr(ledger_workbook, "check_annual_file", broken)
    report = run_cycle(cycle)
    text = "\n".join(report.lines())
    assert "鹿泉区-2026-申报汇总.zip”不是 Excel 工作簿" in text and "年报.et”不是 Excel 工作簿" in text
    assert "处理“年度报告汇总表.xlsx”时出现意外错误（ValueError: unexpected）" in text and "Traceback" not in text
    ran = [s.key for s in report.steps if s.ran]
    assert "collect" in ran and "letters" in ran and report.status == 2  # the other steps ran
    assert (folder(cycle, "logs")).glob("运行-*.txt")


def test_a_dry_run_announces_the_decisions_and_letters_a_new_input_would_lead_to(tmp_path):
    import shutil as sh

    from toolkit.resources import samples_dir

    cycle, _ = _cycle_with_decisions(tmp_path)
    run_cycle(cycle)
    sh.copyfile(samples_dir() / "中心台账.xlsx", folder(cycle, "ledger_import") / "中心台账.xlsx")
    before = snapshot(tmp_path)
    text = "\n".join(run_cycle(cycle, dry_run=True).lines())
    assert "将导入：中心台账.xlsx" in text and "将按台账作出2026年度处置决定" in text and "将生成本周期" in text
    assert snapshot(tmp_path) == before


def test_a_run_with_nothing_new_says_why_it_exits_1(tmp_path):
    """An ineligible application kept the exit status 1 on every later run, with nothing said about it."""
    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    submit_file(write_intake(tmp_path / "a.xlsx", [good_row(sales=10)]), "长安区", config, folder(cycle, "inbox"),
                allow_errors=True)
    first = run_cycle(cycle)
    again = run_cycle(cycle)
    assert first.status == again.status == 1 and not again.did_anything
    assert "1 项申报为“不符合”" in "\n".join(again.lines())


def test_a_failed_letters_step_is_run_again_by_the_next_run(tmp_path):
    """The ledger's mark was saved although the letters step failed: the next run said "nothing new" and the
    变更批复 was never issued by tic run."""
    from datetime import date

    from toolkit.adapters.ledger import record_change

    cycle, _ = _cycle_with_decisions(tmp_path)
    run_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    with sqlite3.connect(config.ledger_path) as conn:
        cid = conn.execute("SELECT center_id FROM centers ORDER BY center_id").fetchone()[0]
    record_change(config, cid, "director", "李新任", date(2026, 5, 1))
    blocker = folder(cycle, "letters") / ".tic-印发中"
    blocker.write_bytes(b"")  # a file where the staging folder goes: writing the letter fails
    failed = run_cycle(cycle)
    assert next(s for s in failed.steps if s.key == "letters").status == 2
    blocker.unlink()
    after = run_cycle(cycle)
    assert [s.key for s in after.steps if s.ran] == ["decide", "letters"], after.lines()
    assert any(p.name.startswith("变更批复") for p in folder(cycle, "letters").glob("*.docx"))
    assert not run_cycle(cycle).did_anything


def test_a_file_no_step_reads_is_no_longer_named_once_removed(tmp_path):
    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    submit_file(write_intake(tmp_path / "a.xlsx", [good_row()]), "长安区", config, folder(cycle, "inbox"))
    stray = folder(cycle, "inbox") / "材料.zip"
    stray.write_bytes(b"PK\x05\x06" + bytes(18))
    assert "材料.zip”不是 Excel 工作簿" in "\n".join(run_cycle(cycle).lines())
    stray.unlink()
    assert "材料.zip" not in "\n".join(run_cycle(cycle).lines())


def test_the_json_tic_submit_writes_beside_its_workbook_is_not_called_a_stray_file(tmp_path):
    cycle = tmp_path / "c"
    init_cycle(cycle)
    config = load_config(cycle / "tic.toml")
    submitted = submit_file(write_intake(tmp_path / "a.xlsx", [good_row()]), "长安区", config, folder(cycle, "inbox"))
    submitted.target.with_suffix(".json").write_text("{}", encoding="utf-8")  # as tic submit --json beside it
    assert "不是 Excel 工作簿" not in "\n".join(run_cycle(cycle).lines())
