"""The ledger: schema and migrations, lock, backups, audit, evaluations, decisions, changes, workbooks."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

import toolkit
from toolkit.adapters.ledger import (
    BACKUP_DIR,
    SCHEMA_VERSION,
    center_timeline,
    decide_cycle,
    ledger_lock,
    lock_path,
    open_ledger,
    read_lock,
    record_change,
    record_evaluation,
    unlock,
)
from toolkit.adapters.ledger_workbook import (
    export_ledger_workbook,
    import_ledger_workbook,
    register_from_city_workbook,
    write_ledger_template,
)
from toolkit.core.config import Config, config_from_dict
from toolkit.errors import InputFileError, LedgerError, LedgerLockedError
from toolkit.resources import samples_dir

CONTRACT_COLUMNS = {
    "centers": ["center_id", "name", "name_en", "lead_name", "lead_uscc", "partners", "partner_usccs", "district",
                "key_field", "rd_direction", "director", "reg_place", "approved_year", "approval_doc", "status",
                "status_cycle", "status_date", "created_at", "updated_at"],
    "evaluations": ["center_id", "year", "status", "grade", "rectification_reeval", "total", "source", "recorded_at",
                    "dimensions"],
    "events": ["id", "center_id", "rule", "article", "occurred_on", "description", "basis"],
    "annual_reports": ["center_id", "year", "submitted_on", "source"],
    "changes": ["id", "center_id", "field", "old_value", "new_value", "effective_on", "description", "cycle_year",
                "recorded_at"],
    "dispositions": ["center_id", "cycle_year", "outcome", "rules", "reasons", "decided_at"],
    "registrations": ["center_id", "cycle_year", "source_file", "source_row", "registered_at"],
    "letters": ["id", "kind", "center_id", "cycle_year", "subject", "prefix", "doc_year", "seq", "doc_number", "file",
                "sha256", "issued_at", "superseded_by"],
    "audit": ["id", "at", "command", "action", "detail", "input_file", "input_sha256", "os_user", "host"],
    "cycles": ["cycle_year", "reference_date", "decided_at"],
}


def cfg(tmp: Path, ref: date = date(2026, 6, 30), backups: int = 5, **extra: Any) -> Config:
    data: dict[str, Any] = {"cycle": {"year": 2026, "reference_date": ref},
                            "ledger": {"path": "tic-ledger.sqlite", "backups": backups}}
    data.update(extra)
    return config_from_dict(data, base_dir=tmp)


def add_center(led, cid: str, approved: int = 2020, **values: Any) -> None:  # type: ignore[no-untyped-def]
    row = {"center_id": cid, "name": f"石家庄市{cid[-3:]}号技术创新中心", "lead_name": "某公司", "approved_year": approved,
           "created_at": "2026-01-01T00:00:00", "updated_at": "2026-01-01T00:00:00", **values}
    led.conn.execute(f"INSERT INTO centers ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                     tuple(row.values()))


def child_env() -> dict[str, str]:
    root = str(Path(toolkit.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


# ------------------------------------------------------------------ schema and migrations


def test_migrations_build_the_contract_schema_from_nothing(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="test") as led:
        assert led.schema_version() == SCHEMA_VERSION == 3
        for table, cols in CONTRACT_COLUMNS.items():
            assert [r["name"] for r in led.conn.execute(f"PRAGMA table_info({table})")] == cols
        assert led.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert led.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        with pytest.raises(sqlite3.IntegrityError):
            led.conn.execute("INSERT INTO evaluations (center_id, year, status, recorded_at) VALUES ('X', 2026, '参评', 'x')")
    with open_ledger(config, command="again") as led:  # a second open migrates nothing
        assert led.schema_version() == 3


def test_a_missing_ledger_is_created_for_writing_but_refused_for_reading(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with pytest.raises(LedgerError, match="找不到台账文件"):
        with open_ledger(config, command="read", write=False):
            pass
    with pytest.raises(LedgerError, match="找不到台账文件"):
        decide_cycle(config)
    assert not config.ledger_path.exists()
    with open_ledger(config, command="write"):
        pass
    assert config.ledger_path.is_file()


def test_an_emptied_or_vanished_ledger_is_refused_not_started_again(tmp_path: Path) -> None:
    """A ledger of 0 bytes (an interrupted copy), or a missing one whose backups exist, would quietly become a
    new empty ledger and 发文字号 would be given again: refused for writing and reading, naming the backup."""
    config = cfg(tmp_path)
    db = config.ledger_path
    db.write_bytes(b"")
    with pytest.raises(LedgerError, match="是空文件（0 字节）.*请找回原台账文件"):
        with open_ledger(config, command="t"):
            pass
    assert db.stat().st_size == 0 and not lock_path(db).exists()
    db.unlink()
    with open_ledger(config, command="first"):  # no ledger, no backups: a new ledger
        pass
    with open_ledger(config, command="second"):  # backed up before writing
        pass
    newest = sorted((tmp_path / "台账备份").iterdir())[-1].name
    db.write_bytes(b"")
    for write in (True, False):
        with pytest.raises(LedgerError, match=f"是空文件（0 字节）.*最近的一份是“{newest}”"):
            with open_ledger(config, command="t", write=write):
                pass
    with pytest.raises(LedgerError, match="是空文件"):  # tic run holds the lock for the whole run
        with ledger_lock(config, command="run"):
            pass
    assert not lock_path(db).exists()
    db.unlink()
    for write in (True, False):
        with pytest.raises(LedgerError, match=f"找不到台账文件.*有它的备份（最近的一份是“{newest}”）"):
            with open_ledger(config, command="t", write=write):
                pass
    assert not db.exists()


def test_newer_foreign_and_broken_files_are_refused_untouched(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    db = config.ledger_path
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(LedgerError, match="较新版本"):
        with open_ledger(config, command="t"):
            pass
    db.unlink()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="不是台账"):
        with open_ledger(config, command="t"):
            pass
    assert sqlite3.connect(db).execute("SELECT name FROM sqlite_master").fetchall() == [("other",)]
    db.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(LedgerError, match="不是有效的台账数据库"):
        with open_ledger(config, command="t"):
            pass
    assert not lock_path(db).exists()


def test_one_transaction_per_command_rolled_back_on_error(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="create"):
        pass
    with pytest.raises(RuntimeError):
        with open_ledger(config, command="t") as led:
            add_center(led, "SJZTIC-2020-001")
            raise RuntimeError("boom")
    with open_ledger(config, command="t", write=False) as led:
        assert led.conn.execute("SELECT count(*) FROM centers").fetchone()[0] == 0
    assert not lock_path(config.ledger_path).exists()


def test_nested_open_reuses_the_ledger_and_rolls_back_only_the_inner_block(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="run") as outer:
        add_center(outer, "SJZTIC-2020-001")
        with open_ledger(config, command="inner") as inner:
            assert inner is outer and inner.command == "inner"
        with pytest.raises(RuntimeError), open_ledger(config, command="inner") as inner:
            add_center(inner, "SJZTIC-2020-002")
            raise RuntimeError("step failed")
        assert outer.command == "run"
    with open_ledger(config, command="t", write=False) as led:
        assert [r[0] for r in led.conn.execute("SELECT center_id FROM centers")] == ["SJZTIC-2020-001"]


def test_a_run_holding_the_lock_lets_its_own_commands_write(tmp_path: Path) -> None:
    from toolkit.adapters.ledger import ledger_lock

    config = cfg(tmp_path)
    with ledger_lock(config, command="run") as db:
        assert read_lock(db)["command"] == "run"
        with open_ledger(config, command="ledger import") as led:
            add_center(led, "SJZTIC-2020-001")
        with open_ledger(config, command="decide") as led:  # committed step by step, the lock stays
            add_center(led, "SJZTIC-2020-002")
        assert lock_path(db).exists()
    assert not lock_path(config.ledger_path).exists()
    with open_ledger(config, command="t", write=False) as led:
        assert led.conn.execute("SELECT count(*) FROM centers").fetchone()[0] == 2


# ------------------------------------------------------------------ audit and backups


def test_audit_rows_name_file_checksum_user_host_and_are_append_only(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    src = tmp_path / "输入.xlsx"
    src.write_bytes(b"abc")
    with open_ledger(config, command="ledger import") as led:
        led.audit("导入", "测试", input_file=src)
    with open_ledger(config, command="t") as led:
        row = dict(led.conn.execute("SELECT * FROM audit").fetchone())
        assert row["command"] == "ledger import" and row["input_file"] == "输入.xlsx"
        assert row["input_sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        assert row["os_user"] and row["host"] and row["at"][:4].isdigit()
        for sql in ("UPDATE audit SET detail = 'x'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                led.conn.execute(sql)


@pytest.mark.parametrize(("keep", "expected"), [(2, 2), (0, 0)])
def test_backups_rotate_before_each_writing_command(tmp_path: Path, keep: int, expected: int) -> None:
    config = cfg(tmp_path, backups=keep)
    for i in range(4):
        with open_ledger(config, command="t") as led:
            add_center(led, f"SJZTIC-2020-00{i + 1}")
    with open_ledger(config, command="read", write=False):
        pass
    folder = tmp_path / BACKUP_DIR
    copies = sorted(folder.iterdir()) if folder.exists() else []
    assert len(copies) == expected
    if copies:  # the newest copy holds the ledger as it was before the last command
        n = sqlite3.connect(copies[-1]).execute("SELECT count(*) FROM centers").fetchone()[0]
        assert n == 3 and copies[-1].name.startswith("tic-ledger-") and copies[-1].suffix == ".sqlite"


# ------------------------------------------------------------------ the lock

HOLDER = """
import sys, time
from datetime import date
from pathlib import Path
from toolkit.core.config import config_from_dict
from toolkit.adapters.ledger import open_ledger
base = Path(sys.argv[1])
config = config_from_dict({"cycle": {"year": 2026, "reference_date": date(2026, 6, 30)}}, base_dir=base)
with open_ledger(config, command="ledger import 台账.xlsx") as led:
    led.conn.execute("INSERT INTO centers (center_id, name, lead_name, created_at, updated_at)"
                     " VALUES ('SJZTIC-2020-009', '石家庄市子进程技术创新中心', '某公司', 'x', 'x')")
    (base / "ready").write_text("1")
    while not (base / "go").exists():
        time.sleep(0.02)
print("done")
"""


def test_a_second_writer_in_another_process_is_refused_and_the_file_stays_intact(tmp_path: Path) -> None:
    config = config_from_dict({"cycle": {"year": 2026, "reference_date": date(2026, 6, 30)}}, base_dir=tmp_path)
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], env=child_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "ready").exists():
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.02)
        holder = read_lock(config.ledger_path)
        assert holder is not None and holder["pid"] == child.pid
        with pytest.raises(LedgerLockedError) as info:
            with open_ledger(config, command="decide"):
                pass
        message = str(info.value)
        assert message.startswith(f"台账正由 {holder['user']}（{holder['host']}）自 ")
        assert "（命令：ledger import 台账.xlsx）" in message and message.endswith("可运行 tic ledger unlock 清除。")
        assert message.count("。") == 1
    finally:
        (tmp_path / "go").write_text("1")
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0 and out.strip() == "done", err
    assert not lock_path(config.ledger_path).exists()
    conn = sqlite3.connect(config.ledger_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT center_id FROM centers").fetchall() == [("SJZTIC-2020-009",)]


def test_a_stale_lock_is_cleared_by_unlock_saying_whose_it_was(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="t"):
        pass
    lock_path(config.ledger_path).write_text(json.dumps(
        {"user": "zhangsan", "host": "PC-07", "pid": 1, "time": "2026-04-01T09:15:00", "command": "decide",
         "token": "x"}), encoding="utf-8")
    with pytest.raises(LedgerLockedError, match=r"zhangsan（PC-07）自 2026-04-01 09:15:00 起使用（命令：decide）"):
        with open_ledger(config, command="t"):
            pass
    assert unlock(config) == "已清除台账锁：原由 zhangsan（PC-07）自 2026-04-01 09:15:00 起持有（命令：decide）。"
    assert unlock(config).endswith("当前没有被锁定，无需清除。")
    with open_ledger(config, command="t", write=False) as led:
        assert led.conn.execute("SELECT detail FROM audit WHERE action = '清除台账锁'").fetchone()[0].startswith("已清除")


def test_a_lock_left_by_a_dead_run_of_this_computer_is_cleared_and_said(tmp_path: Path) -> None:
    """A run killed on this computer leaves its lock; the next command sees the process is gone, removes the
    lock, audits it and says so (a lock of another computer, or of a live process, is never touched)."""
    from click.testing import CliRunner

    from toolkit.adapters.ledger import host_name
    from toolkit.cli.main import cli

    config = cfg(tmp_path)
    with open_ledger(config, command="t"):
        pass
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = {"user": "zhangsan", "host": host_name(), "pid": dead.pid, "time": "2026-04-01T09:15:00",
              "command": "run", "token": "x"}
    lock_path(config.ledger_path).write_text(json.dumps(holder), encoding="utf-8")
    (tmp_path / "tic.toml").write_text('[cycle]\nyear = 2026\nreference_date = 2026-06-30\n'
                                       '[ledger]\npath = "tic-ledger.sqlite"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["decide", "--config", str(tmp_path / "tic.toml")])
    assert result.exit_code == 0, result.output
    assert "提示：已清除上次异常退出遗留的台账锁（原由 zhangsan 于 2026-04-01 09:15:00 运行“run”" in result.output
    assert not lock_path(config.ledger_path).exists()
    with open_ledger(config, command="t", write=False) as led:
        rows = led.conn.execute("SELECT detail FROM audit WHERE action = '清除遗留锁'").fetchall()
    assert len(rows) == 1 and f"进程 {dead.pid} 已不在运行" in rows[0][0]
    live = {**holder, "host": "PC-07"}  # another computer: its processes cannot be seen from here
    lock_path(config.ledger_path).write_text(json.dumps(live), encoding="utf-8")
    with pytest.raises(LedgerLockedError):
        with open_ledger(config, command="t"):
            pass
    mine = {**holder, "pid": os.getppid()}  # alive
    lock_path(config.ledger_path).write_text(json.dumps(mine), encoding="utf-8")
    with pytest.raises(LedgerLockedError):
        with open_ledger(config, command="t"):
            pass


# ------------------------------------------------------------------ evaluations and decisions


def evaluation_report(*centers: tuple[str, str, str | None, Any]) -> dict[str, Any]:
    return {"report": "evaluation", "centers": [
        {"center_id": cid, "status": status, "grade": grade,
         "total": None if total is None else round(float(Fraction(str(total))), 1),
         **({"total_exact": str(total)} if total is not None else {})} for cid, status, grade, total in centers]}


def test_record_evaluation_is_idempotent_and_marks_the_rectification_re_evaluation(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        for cid in ("SJZTIC-2020-001", "SJZTIC-2020-002", "SJZTIC-2020-003"):
            add_center(led, cid)
        led.conn.execute("INSERT INTO evaluations VALUES ('SJZTIC-2020-001', 2025, '参评', '不合格', 0, NULL, NULL, 'x', NULL)")
        led.conn.execute("INSERT INTO evaluations VALUES ('SJZTIC-2020-002', 2024, '参评', '不合格', 0, NULL, NULL, 'x', NULL)")
        led.conn.execute("INSERT INTO evaluations VALUES ('SJZTIC-2020-002', 2025, '视同合格', '合格', 0, NULL, NULL, 'x', NULL)")
    report = evaluation_report(("SJZTIC-2020-001", "参评", "不合格", "1193/20"),
                               ("SJZTIC-2020-002", "参评", "合格", 72), ("SJZTIC-2020-003", "缓评", None, None))
    assert record_evaluation(config, report, tmp_path / "评估.xlsx") == 3
    assert record_evaluation(config, report, tmp_path / "评估.xlsx") == 0
    with open_ledger(config, command="t", write=False) as led:
        rows = [tuple(r) for r in led.conn.execute(
            "SELECT center_id, status, grade, rectification_reeval, total, source FROM evaluations WHERE year = 2026"
            " ORDER BY center_id")]
    assert rows == [("SJZTIC-2020-001", "参评", "不合格", 1, "1193/20", "评估.xlsx"),
                    ("SJZTIC-2020-002", "参评", "合格", 0, "72", "评估.xlsx"),
                    ("SJZTIC-2020-003", "缓评", None, 0, None, "评估.xlsx")]


def test_record_evaluation_refuses_centers_not_in_the_ledger_and_writes_nothing(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001")
    report = evaluation_report(("SJZTIC-2020-001", "参评", "合格", 70), ("SJZTIC-2099-001", "参评", "合格", 70))
    with pytest.raises(LedgerError, match="SJZTIC-2099-001不在台账中"):
        record_evaluation(config, report)
    with open_ledger(config, command="t", write=False) as led:
        assert led.conn.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 0


@pytest.fixture
def decided(tmp_path: Path) -> Config:
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        for i in range(1, 6):
            add_center(led, f"SJZTIC-2020-00{i}")
            led.conn.execute("INSERT INTO annual_reports VALUES (?, 2025, '2026-03-01', NULL)", (f"SJZTIC-2020-00{i}",))
        add_center(led, "SJZTIC-2019-001", 2019, status="撤销", status_cycle=2024)
        led.conn.execute("INSERT INTO evaluations VALUES ('SJZTIC-2020-002', 2025, '参评', '不合格', 0, NULL, NULL, 'x', NULL)")
        led.conn.execute("INSERT INTO events (center_id, rule, article, occurred_on, description) VALUES"
                         " ('SJZTIC-2020-004', 'A38.3', '第三十八条第（三）项', '2026-02-26', '提供虚假材料')")
    record_evaluation(config, evaluation_report(("SJZTIC-2020-001", "参评", "优秀", 88),
                                                ("SJZTIC-2020-002", "参评", "不合格", 55),
                                                ("SJZTIC-2020-003", "参评", "不合格", 50),
                                                ("SJZTIC-2020-004", "参评", "优秀", 90),
                                                ("SJZTIC-2020-005", "未参评", None, None)))
    return config


def test_decide_writes_dispositions_and_status_and_is_stable(decided: Config) -> None:
    first = decide_cycle(decided)
    got = {d.center_id: (d.outcome, list(d.rules)) for d in first.dispositions}
    assert got == {"SJZTIC-2020-001": ("reward", ["A36.REWARD"]), "SJZTIC-2020-002": ("revoke", ["A38.2.TWICE"]),
                   "SJZTIC-2020-003": ("rectify", ["A37.RECTIFY"]), "SJZTIC-2020-004": ("revoke", ["A38.3"]),
                   "SJZTIC-2020-005": ("revoke", ["A38.2.ABSENT"])}
    assert "SJZTIC-2019-001" not in got  # revoked in 2024
    with open_ledger(decided, command="t", write=False) as led:
        status = {r[0]: (r[1], r[2], r[3]) for r in led.conn.execute(
            "SELECT center_id, status, status_cycle, status_date FROM centers")}
        stored = {r[0]: (r[1], json.loads(r[2]), json.loads(r[3])) for r in led.conn.execute(
            "SELECT center_id, outcome, rules, reasons FROM dispositions WHERE cycle_year = 2026")}
        stamps = {r[0]: r[1] for r in led.conn.execute("SELECT center_id, decided_at FROM dispositions")}
    assert status["SJZTIC-2020-002"] == ("撤销", 2026, "2026-06-30")
    assert status["SJZTIC-2020-001"] == ("运行", None, None)
    assert status["SJZTIC-2019-001"] == ("撤销", 2024, None)
    assert stored["SJZTIC-2020-004"] == ("revoke", ["A38.3"], ["2026年2月26日，严重弄虚作假，提供虚假材料和不真实数据：提供虚假材料"])
    second = decide_cycle(decided)
    assert second.to_dict()["centers"] == first.to_dict()["centers"] and second.changes == [] and second.unchanged == 5
    with open_ledger(decided, command="t", write=False) as led:
        assert {r[0]: r[1] for r in led.conn.execute("SELECT center_id, decided_at FROM dispositions")} == stamps


def test_the_next_cycle_judges_from_the_reference_date_the_previous_was_decided_on(tmp_path: Path) -> None:
    """Cycle 2026 decided on 31 March (the 2025 report's deadline: not yet judged); cycle 2027 on 30 June. The
    late 2025 report is judged by 2027 (from 2026-03-31, as recorded, not from a year before 2027-06-30), and an
    event of 2026-05-01 too; the window is said on screen."""
    config = cfg(tmp_path, ref=date(2026, 3, 31))
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001")
        add_center(led, "SJZTIC-2020-002")
        for cid in ("SJZTIC-2020-001", "SJZTIC-2020-002"):
            led.conn.execute("INSERT INTO annual_reports VALUES (?, 2024, '2025-03-01', NULL)", (cid,))
            led.conn.execute("INSERT INTO annual_reports VALUES (?, 2026, '2027-03-01', NULL)", (cid,))
        led.conn.execute("INSERT INTO annual_reports VALUES ('SJZTIC-2020-001', 2025, '2026-04-08', NULL)")
        led.conn.execute("INSERT INTO annual_reports VALUES ('SJZTIC-2020-002', 2025, '2026-03-20', NULL)")
        led.conn.execute("INSERT INTO events (center_id, rule, article, occurred_on, description) VALUES"
                         " ('SJZTIC-2020-002', 'A38.5', '第三十八条第（五）项', '2026-05-01', '受到重大行政处罚')")
    first = decide_cycle(config)
    assert {d.center_id: d.outcome for d in first.dispositions} == {"SJZTIC-2020-001": "none", "SJZTIC-2020-002": "none"}
    assert any("判定期间：2025年3月31日（台账中没有上一周期处置时的基准日期" in line
               for line in first.summary_lines())
    later = config_from_dict({"cycle": {"year": 2027, "reference_date": date(2027, 6, 30)},
                              "ledger": {"path": "tic-ledger.sqlite", "backups": 0}}, base_dir=tmp_path)
    second = decide_cycle(later)
    got = {d.center_id: (d.outcome, list(d.rules)) for d in second.dispositions}
    assert got == {"SJZTIC-2020-001": ("revoke", ["A38.1.NO-REPORT"]), "SJZTIC-2020-002": ("revoke", ["A38.5"])}
    assert "2025年度报告未按时报送" in second.dispositions[0].reasons[0]
    assert any("判定期间：2026年3月31日（上一周期基准日期）之后至2027年6月30日" in line for line in second.summary_lines())
    with open_ledger(later, command="t", write=False) as led:
        assert [tuple(r) for r in led.conn.execute("SELECT cycle_year, reference_date FROM cycles ORDER BY 1")] == [
            (2026, "2026-03-31"), (2027, "2027-06-30")]


def test_a_changed_input_after_a_letter_is_reported_not_applied(decided: Config) -> None:
    decide_cycle(decided)
    with open_ledger(decided, command="letters") as led:
        led.conn.execute("INSERT INTO letters (kind, center_id, cycle_year, prefix, doc_year, seq, doc_number, file,"
                         " sha256, issued_at) VALUES ('revocation', 'SJZTIC-2020-004', 2026, '石科字', 2026, 3,"
                         " '石科字〔2026〕3号', 'x.docx', 'abc', '2026-07-01T10:00:00')")
        led.conn.execute("DELETE FROM events")  # the fraud finding is withdrawn after the letter
        led.conn.execute("DELETE FROM evaluations WHERE center_id = 'SJZTIC-2020-003' AND year = 2026")
    report = decide_cycle(decided)
    (conflict,) = report.conflicts
    assert conflict.center_id == "SJZTIC-2020-004" and conflict.doc_number == "石科字〔2026〕3号"
    assert (conflict.kept.outcome, conflict.computed.outcome) == ("revoke", "reward")
    assert "已按“撤销”发文（石科字〔2026〕3号）" in conflict.sentence()
    by_id = {d.center_id: d for d in report.dispositions}
    assert by_id["SJZTIC-2020-004"].outcome == "revoke"  # the stored one is kept
    assert by_id["SJZTIC-2020-003"].outcome == "none"  # no letter yet: the change is applied, and said
    assert any("SJZTIC-2020-003：处置由“限期整改”" in c for c in report.changes)
    with open_ledger(decided, command="t", write=False) as led:
        row = led.conn.execute("SELECT outcome FROM dispositions WHERE center_id = 'SJZTIC-2020-004'").fetchone()
        assert row[0] == "revoke"
        assert led.conn.execute("SELECT status FROM centers WHERE center_id = 'SJZTIC-2020-004'").fetchone()[0] == "撤销"
    assert report.to_dict()["conflicts"][0]["computed"]["outcome"] == "reward"
    # decided again while the conflict stands: said again, recorded once (each record made the ledger "changed":
    # a new backup pushing the older ones out, and tic run deciding again)
    with open_ledger(decided, command="t", write=False) as led:
        audits = led.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    assert decide_cycle(decided).conflicts
    with open_ledger(decided, command="t", write=False) as led:
        assert led.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == audits


def test_a_revocation_that_no_longer_holds_before_any_letter_restores_the_status(decided: Config) -> None:
    decide_cycle(decided)
    with open_ledger(decided, command="t") as led:
        led.conn.execute("DELETE FROM events")
    report = decide_cycle(decided)
    assert {d.center_id: d.outcome for d in report.dispositions}["SJZTIC-2020-004"] == "reward"
    with open_ledger(decided, command="t", write=False) as led:
        row = led.conn.execute("SELECT status, status_cycle FROM centers WHERE center_id = 'SJZTIC-2020-004'").fetchone()
        assert tuple(row) == ("运行", None)


# ------------------------------------------------------------------ changes and the timeline


def test_change_records_old_and_new_value_and_updates_the_center(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001", director="张三")
    r = record_change(config, "sjztic-2020-001", "director", "李四", date(2026, 5, 1), "石科字〔2026〕8号批复")
    assert (r.old_value, r.new_value, r.created) == ("张三", "李四", True)
    assert r.sentence().startswith("已登记SJZTIC-2020-001的中心主任变更")
    again = record_change(config, "SJZTIC-2020-001", "director", "李四", date(2026, 5, 1))
    assert not again.created and again.change_id == r.change_id
    with pytest.raises(LedgerError, match="不符合“石家庄市×××技术创新中心”"):
        record_change(config, "SJZTIC-2020-001", "name", "某某中心", date(2026, 5, 1))
    with pytest.raises(LedgerError, match="没有编号"):
        record_change(config, "SJZTIC-2099-001", "other", "x", date(2026, 5, 1))
    other = record_change(config, "SJZTIC-2020-001", "other", "研发方向调整为高端传感器", date(2026, 6, 1))
    assert other.old_value is None
    timeline = center_timeline(config, "SJZTIC-2020-001")
    assert timeline.center["director"] == "李四"
    texts = [(e.when, e.kind, e.text) for e in timeline.entries]
    assert ("2026-05-01", "变更", "中心主任由“张三”变更为“李四”（石科字〔2026〕8号批复）") in texts
    with pytest.raises(LedgerError, match="没有编号"):
        center_timeline(config, "SJZTIC-2099-001")


# ------------------------------------------------------------------ the 台账 workbook


def test_sample_ledger_imports_idempotently_and_decides_every_center(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    first = import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    assert [f for f in first.findings if f.severity.value == "error"] == []
    assert first.counts["centers"]["new"] == 18 and first.changed
    second = import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    assert not second.changed and second.changes == []
    assert "本次导入没有改变任何内容" in "\n".join(second.summary_lines())
    record_evaluation(config, evaluation_report(
        ("SJZTIC-2019-002", "参评", "不合格", 52), ("SJZTIC-2020-002", "参评", "不合格", 57),
        ("SJZTIC-2020-003", "参评", "优秀", 88), ("SJZTIC-2017-001", "参评", "优秀", 90),
        ("SJZTIC-2019-001", "参评", "合格", 75)))
    report = decide_cycle(config)
    got = {d.center_id: (d.outcome, list(d.rules)) for d in report.dispositions if d.outcome != "none"}
    assert got == {
        "SJZTIC-2017-001": ("retire", ["A28.RETIRE"]),
        "SJZTIC-2019-002": ("revoke", ["A38.2.TWICE"]),
        "SJZTIC-2020-002": ("rectify", ["A37.RECTIFY"]),
        "SJZTIC-2020-003": ("reward", ["A36.REWARD"]),
        "SJZTIC-2021-002": ("revoke", ["A38.1.NO-REPORT"]),
        "SJZTIC-2022-002": ("revoke", ["A38.1.NO-REPORT", "A38.3"]),
    }
    assert len(report.dispositions) == 17  # SJZTIC-2018-002, revoked in 2024, is not listed
    assert decide_cycle(config).changes == []
    again = import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")  # the older 台账 cannot undo decisions
    assert again.changed is False
    assert [(f.cell, f.severity.value) for f in again.findings] == [("N3", "warning"), ("N8", "warning"),
                                                                   ("N13", "warning"), ("N15", "warning")]
    assert "SJZTIC-2019-002已在2026年度处置中撤销" in again.findings[1].message


def test_a_corrected_row_updates_the_ledger_and_says_which(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    src = tmp_path / "台账.xlsx"
    import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    wb = load_workbook(samples_dir() / "中心台账.xlsx")
    wb["中心"]["K3"] = "张建民"  # director of SJZTIC-2017-001 (row 3: a title row sits above the header)
    wb["年报"]["C2"] = "2018-03-05"
    wb.save(src)
    result = import_ledger_workbook(config, src)
    assert result.counts["centers"]["updated"] == 1 and result.counts["reports"]["updated"] == 1
    assert result.changes[0] == "中心表第3行 SJZTIC-2017-001：中心主任由“张建国”改为“张建民”"
    assert result.changes[1].startswith("年报第2行 SJZTIC-2017-001 2017年度：报送日期由")
    with open_ledger(config, command="t", write=False) as led:
        audit = [tuple(r) for r in led.conn.execute(
            "SELECT action, input_file FROM audit WHERE action LIKE '导入更新%' ORDER BY id")]
    assert audit == [("导入更新中心", "台账.xlsx"), ("导入更新年报", "台账.xlsx")]


def test_row_problems_are_findings_with_sheet_and_cell_never_silent(tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "中心"
    ws.append(["中心编号", "中心名称", "依托单位名称", "依托单位统一社会信用代码", "状态"])
    ws.append(["SJZTIC-2020-001", "石家庄市甲技术创新中心", "甲公司", "91130102AY4CL12THW", "运行"])
    ws.append(["SJZTIC-2020-002", None, "乙公司", None, "运行"])
    ws.append(["SJZTIC-2020-003", "石家庄市丙技术创新中心", "丙公司", "911301020000000000", "暂停"])
    ev = wb.create_sheet("评估记录")
    ev.append(["中心编号", "评估年度", "参评状态", "等级", "是否整改复评"])
    ev.append(["SJZTIC-2020-001", 2023, "参评", "良好", None])
    ev.append(["SJZTIC-2020-009", 2023, "参评", "合格", None])
    ev.append(["SJZTIC-2020-001", 2024, "缓评", "合格", None])
    ev.append(["SJZTIC-2020-001", "二〇二〇", "参评", "合格", None])
    es = wb.create_sheet("事件")
    es.append(["中心编号", "条款", "发生日期", "说明", "依据文件"])
    es.append(["SJZTIC-2020-001", "第三十八条第（一）项", "2026-01-05", "未报年报", ""])
    es.append(["SJZTIC-2020-001", "第三十八条第（五）项", "2026-13-05", "失信", ""])
    rs = wb.create_sheet("年报")
    rs.append(["中心编号", "报告年度", "报送日期"])
    rs.append(["SJZTIC-2020-001", "二〇二五", "2026-03-01"])
    wb.save(path)
    result = import_ledger_workbook(cfg(tmp_path), path)
    found = [(f.sheet, f.cell, f.rule, f.severity.value) for f in result.findings]
    assert found == [
        ("中心", "B3", "DATA.REQUIRED", "error"),
        ("中心", "D4", "DATA.USCC", "warning"),
        ("中心", "E4", "DATA.TYPE", "error"),
        ("评估记录", "D2", "DATA.TYPE", "error"),
        ("评估记录", "D4", "DATA.TYPE", "error"),
        ("评估记录", "B5", "DATA.TYPE", "error"),
        ("事件", "B2", "DATA.TYPE", "error"),
        ("事件", "C3", "DATA.TYPE", "error"),
        ("年报", "B2", "DATA.TYPE", "error"),
        ("评估记录", "A3", "DATA.TYPE", "error"),
    ]
    assert "不作为事件登记" in result.findings[6].message
    assert result.findings[5].message.startswith("评估年度“二〇二〇”")  # the sheet's own label (年报: 报告年度)
    assert result.findings[8].message.startswith("报告年度“二〇二五”")
    assert result.counts["centers"] == {"new": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    assert result.counts["evaluations"]["rejected"] == 4 and result.status == 1


def test_a_workbook_without_the_center_sheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    wb = Workbook()
    wb.active.title = "评估记录"
    wb.save(path)
    with pytest.raises(InputFileError, match="没有“中心”工作表"):
        import_ledger_workbook(cfg(tmp_path), path)
    assert not cfg(tmp_path).ledger_path.exists()


def test_export_round_trips(tmp_path: Path) -> None:
    a = cfg(tmp_path / "a")
    b = cfg(tmp_path / "b")
    for c in (a, b):
        c.base_dir.mkdir()
    import_ledger_workbook(a, samples_dir() / "中心台账.xlsx")
    record_change(a, "SJZTIC-2020-001", "reg_place", "石家庄市栾城区裕翔街1号", date(2026, 5, 1))
    decide_cycle(a)
    out1 = tmp_path / "导出1.xlsx"
    counts = export_ledger_workbook(a, out1)
    assert counts == {"centers": 18, "evaluations": 22, "events": 3, "reports": 95, "letters": 0}
    assert import_ledger_workbook(a, out1).changed is False  # the export imports back unchanged
    result = import_ledger_workbook(b, out1)
    assert [f for f in result.findings if f.severity.value == "error"] == []
    out2 = tmp_path / "导出2.xlsx"
    export_ledger_workbook(b, out2)

    def content(p: Path) -> dict[str, list[tuple[Any, ...]]]:
        wb = load_workbook(p)
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb if ws.title != "填表说明"}

    assert content(out1) == content(out2)
    rows = content(out1)
    assert rows["中心"][0][:3] == ("中心编号", "中心名称", "英文名称关键词")
    revoked = [r for r in rows["中心"] if r[0] == "SJZTIC-2021-002"][0]
    assert (revoked[13], revoked[15], revoked[16]) == ("撤销", 2026, datetime(2026, 6, 30))


def test_blank_ledger_template_is_importable(tmp_path: Path) -> None:
    path = write_ledger_template(tmp_path / "空白台账.xlsx", cfg(tmp_path))
    wb = load_workbook(path)
    assert wb.sheetnames[:4] == ["中心", "评估记录", "事件", "年报"]
    assert wb.defined_names["TIC_TEMPLATE"].attr_text == '"ledger-1"'
    result = import_ledger_workbook(cfg(tmp_path), path)
    assert result.findings == [] and not result.changed


# ------------------------------------------------------------------ register from the city workbook

CITY_HEADERS = ["序号", "县（市、区）", "拟建中心名称", "英文名称关键词", "依托单位名称", "依托单位统一社会信用代码", "共建单位名称",
                "共建单位统一社会信用代码", "重点领域", "研发方向", "中心主任", "注册地", "校验结论", "批准建设"]


def city_workbook(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["2026年度石家庄市技术创新中心申报汇总（全市）"])
    ws.append(CITY_HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def city_row(n: int, name: str, uscc: str, approved: Any = "是", director: str = "赵六") -> list[Any]:
    return [n, "长安区", f"石家庄市{name}技术创新中心", name, f"{name}科技有限公司", uscc, "河北科技大学",
            "12130000159083016G", "先进装备制造", f"{name}研发", director, "河北省石家庄市长安区中山东路1号", "符合", approved]


def test_register_gives_new_ids_once_and_is_idempotent(tmp_path: Path) -> None:
    from toolkit.core.uscc import make_uscc

    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2026-001", 2026, name="石家庄市已有技术创新中心")
    a, b, c = (make_uscc(f"91130102MA0ABC{i:02d}X") for i in (1, 2, 3))
    path = city_workbook(tmp_path / "全市汇总.xlsx", [
        city_row(1, "智能装备", a), city_row(2, "新材料应用", b, approved="否"), city_row(3, "生物制药", c, approved=None),
        city_row(4, "工业互联网", make_uscc("91130102MA0ABC04X"), approved="√"),
        city_row(5, "已有", make_uscc("91130102MA0ABC05X")),
    ])
    first = register_from_city_workbook(config, path)
    assert [(r.row, r.center_id, r.new) for r in first.registered] == [(3, "SJZTIC-2026-002", True),
                                                                        (6, "SJZTIC-2026-003", True)]
    assert (first.not_approved, first.undecided) == (1, 1)
    assert [(f.rule, f.cell) for f in first.findings] == [("DATA.REQUIRED", "N5"), ("A10.7.NAME", "C7")]
    second = register_from_city_workbook(config, path)
    assert [(r.center_id, r.new) for r in second.registered] == [("SJZTIC-2026-002", False), ("SJZTIC-2026-003", False)]
    with open_ledger(config, command="t", write=False) as led:
        row = dict(led.center("SJZTIC-2026-002"))
        reg = dict(led.conn.execute("SELECT * FROM registrations WHERE center_id = 'SJZTIC-2026-002'").fetchone())
    assert (row["status"], row["approved_year"], row["name_en"], row["director"]) == ("运行", 2026, "智能装备", "赵六")
    assert json.loads(row["partners"]) == ["河北科技大学"] and row["lead_uscc"] == a
    assert (reg["cycle_year"], reg["source_file"], reg["source_row"]) == (2026, "全市汇总.xlsx", 3)
    city_workbook(path, [city_row(1, "智能装备", a, director="钱七")])
    third = register_from_city_workbook(config, path)
    assert third.registered[0].center_id == "SJZTIC-2026-002" and third.registered[0].updated == [
        "中心主任由“赵六”改为“钱七”"]


def test_decision_spellings() -> None:
    from toolkit.adapters.ledger_workbook import parse_decision
    from toolkit.core.values import ValueProblem

    assert [parse_decision(v) for v in ("是", "√", "同意", " 批 准 ", "否", "不同意", "未批准", "×")] == [
        True, True, True, True, False, False, False, False]
    with pytest.raises(ValueProblem, match="也可写“同意”"):
        parse_decision("待定")


def test_a_decision_changed_to_no_withdraws_the_registration_until_a_letter_names_it(tmp_path: Path) -> None:
    """批准建设 changed from 是 to 否 after registering: the registration is taken back (its 认定批复 would
    otherwise still be issued) and its number never given again; once a letter names the center the ledger
    is left as it is and the row says which letter."""
    from toolkit.core.uscc import make_uscc

    config = cfg(tmp_path)
    a, b = make_uscc("91130102MA0ABC01X"), make_uscc("91130102MA0ABC02X")
    path = city_workbook(tmp_path / "全市汇总.xlsx", [city_row(1, "智能装备", a), city_row(2, "新材料应用", b)])
    first = register_from_city_workbook(config, path)
    assert [r.center_id for r in first.registered] == ["SJZTIC-2026-001", "SJZTIC-2026-002"]
    city_workbook(path, [city_row(1, "智能装备", a), city_row(2, "新材料应用", b, approved="否")])
    second = register_from_city_workbook(config, path)
    assert [(r.row, r.center_id) for r in second.withdrawn] == [(4, "SJZTIC-2026-002")]
    assert any("已撤回此前的登记SJZTIC-2026-002" in f.message for f in second.findings)
    with open_ledger(config, command="t", write=False) as led:
        assert led.center("SJZTIC-2026-002") is None
        assert [r[0] for r in led.conn.execute("SELECT center_id FROM registrations")] == ["SJZTIC-2026-001"]
    city_workbook(path, [city_row(1, "智能装备", a), city_row(2, "新材料应用", b)])
    third = register_from_city_workbook(config, path)
    assert [r.center_id for r in third.registered] == ["SJZTIC-2026-001", "SJZTIC-2026-003"]  # 002 not reused
    with open_ledger(config, command="t") as led:
        led.conn.execute("INSERT INTO letters (kind, center_id, cycle_year, prefix, doc_year, seq, doc_number, file,"
                         " sha256, issued_at) VALUES ('approval', 'SJZTIC-2026-003', 2026, '石科字', 2026, 1,"
                         " '石科字〔2026〕1号', 'a.docx', 'x', '2026-11-27T00:00:00')")
    city_workbook(path, [city_row(1, "智能装备", a), city_row(2, "新材料应用", b, approved="否")])
    fourth = register_from_city_workbook(config, path)
    assert fourth.withdrawn == []
    assert any("已印发公文（石科字〔2026〕1号），台账未改动" in f.message for f in fourth.findings)
    with open_ledger(config, command="t", write=False) as led:
        assert led.center("SJZTIC-2026-003") is not None


@pytest.mark.parametrize("now", [None, "待定"])
def test_a_decision_cleared_after_registering_withdraws_it_too(tmp_path: Path, now: str | None) -> None:
    """批准建设 emptied (or not 是/否) after registering: the center stayed registered and got its 认定批复."""
    from toolkit.core.uscc import make_uscc

    config = cfg(tmp_path)
    a = make_uscc("91130102MA0ABC01X")
    path = city_workbook(tmp_path / "全市汇总.xlsx", [city_row(1, "智能装备", a)])
    assert [r.center_id for r in register_from_city_workbook(config, path).registered] == ["SJZTIC-2026-001"]
    city_workbook(path, [city_row(1, "智能装备", a, approved=now)])
    again = register_from_city_workbook(config, path)
    assert [r.center_id for r in again.withdrawn] == ["SJZTIC-2026-001"]
    assert any("批准建设已不是“是”，已撤回此前的登记SJZTIC-2026-001" in f.message for f in again.findings)
    with open_ledger(config, command="t", write=False) as led:
        assert led.center("SJZTIC-2026-001") is None


def test_a_version_2_ledger_is_read_as_it_is_by_a_reading_command(tmp_path: Path) -> None:
    """tic annual, ledger show/export on a ledger of the previous release said 'needs an upgrade: run a writing
    command' (tic annual is one): a ledger of version 2 is read as it is; a writing command upgrades it, audited."""
    from toolkit.adapters.ledger import MIGRATIONS

    config = cfg(tmp_path)
    with sqlite3.connect(config.ledger_path) as conn:
        for version in (1, 2):
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.execute("INSERT INTO centers (center_id, name, lead_name, created_at, updated_at)"
                     " VALUES ('SJZTIC-2020-001', '石家庄市甲技术创新中心', '甲公司', 'x', 'x')")
    with open_ledger(config, command="read", write=False) as led:
        assert led.center("SJZTIC-2020-001") is not None and led.schema_version() == 2
    with open_ledger(config, command="write") as led:
        assert led.schema_version() == 3
        assert led.conn.execute("SELECT detail FROM audit WHERE action = '升级台账结构'").fetchone()[0].startswith(
            "结构版本 2 → 3")


def test_a_version_1_ledger_is_migrated_to_the_current_version(tmp_path: Path) -> None:
    """A ledger written by the first release gains the dimension scores column (v2) and the cycles' reference
    dates (v3), and keeps its rows."""
    from toolkit.adapters.ledger import MIGRATIONS

    config = cfg(tmp_path)
    with sqlite3.connect(config.ledger_path) as conn:
        for statement in MIGRATIONS[1]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO centers (center_id, name, lead_name, created_at, updated_at)"
                     " VALUES ('SJZTIC-2020-001', '石家庄市甲技术创新中心', '甲公司', 'x', 'x')")
        conn.execute("INSERT INTO evaluations VALUES ('SJZTIC-2020-001', 2023, '参评', '合格', 0, '70', NULL, 'x')")
    with open_ledger(config, command="test") as led:
        assert led.schema_version() == 3
        row = led.conn.execute("SELECT grade, dimensions FROM evaluations").fetchone()
        assert (row["grade"], row["dimensions"]) == ("合格", None)
        assert led.conn.execute("SELECT count(*) FROM cycles").fetchone()[0] == 0


def test_a_decision_changed_to_no_leaves_a_center_with_records_as_it_is(tmp_path: Path) -> None:
    from toolkit.core.uscc import make_uscc

    config = cfg(tmp_path)
    a = make_uscc("91130102MA0ABC01X")
    path = city_workbook(tmp_path / "全市汇总.xlsx", [city_row(1, "智能装备", a)])
    assert [r.center_id for r in register_from_city_workbook(config, path).registered] == ["SJZTIC-2026-001"]
    record_change(config, "SJZTIC-2026-001", "director", "钱七", date(2026, 6, 1))
    city_workbook(path, [city_row(1, "智能装备", a, approved="否")])
    result = register_from_city_workbook(config, path)
    assert result.withdrawn == [] and any("已有变更，台账未改动" in f.message for f in result.findings)
    with open_ledger(config, command="t", write=False) as led:
        assert led.center("SJZTIC-2026-001") is not None


def test_registration_compares_names_as_validation_does(tmp_path: Path) -> None:
    """"石家庄市 智能装备技术创新中心" (a space) was registered beside 石家庄市智能装备技术创新中心 of another lead unit."""
    from toolkit.core.uscc import make_uscc

    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001", 2020, name="石家庄市智能装备技术创新中心")
    row = city_row(1, "智能装备", make_uscc("91130102MA0ABC01X"))
    row[2] = "石家庄市 智能装备技术创新中心"
    result = register_from_city_workbook(config, city_workbook(tmp_path / "全市汇总.xlsx", [row]))
    assert result.registered == [] and any("与台账中的SJZTIC-2020-001重名" in f.message for f in result.findings)


def test_an_unreadable_ledger_is_said_when_names_cannot_be_checked(tmp_path: Path, config_file) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from tests.conftest import good_row, write_intake
    from toolkit.cli.main import cli

    (tmp_path / "tic-ledger.sqlite").write_bytes(b"not a database at all" * 10)
    src = write_intake(tmp_path / "长安区.xlsx", [good_row()])
    result = CliRunner().invoke(cli, ["validate", str(src), "--no-copy", "--config", str(config_file)])
    assert "无法读取" in result.stderr and "未核对中心名称是否与台账中的中心重名" in result.stderr


def test_an_import_that_creates_the_ledger_says_it_is_no_restore(tmp_path: Path) -> None:
    """An export re-imported into a new ledger gave 发文字号 already used: the import says a workbook is no backup."""
    from toolkit.adapters.ledger_workbook import import_ledger_workbook
    from toolkit.resources import samples_dir

    config = cfg(tmp_path)
    first = import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    assert first.new_ledger and any("已新建台账" in line and "台账备份" in line for line in first.summary_lines())
    again = import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    assert not again.new_ledger and not any("已新建台账" in line for line in again.summary_lines())


def sample_ledger_copy(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A copy of the sample 中心台账 workbook to edit, opened: (path, workbook)."""
    from openpyxl import load_workbook

    from toolkit.resources import samples_dir

    src = tmp_path / "台账.xlsx"
    shutil.copyfile(samples_dir() / "中心台账.xlsx", src)
    return src, load_workbook(src)


@pytest.mark.parametrize(("total", "kept"), [("87.7", "87.7"), ("87.7分", "87.7"), ("437/5", "437/5"), (88, "88"),
                                             ("abc", None), (870, None)])
def test_a_total_is_a_score_or_the_row_is_not_imported(tmp_path: Path, total: object, kept: str | None) -> None:
    """总分 "abc" was imported and then left out of ledger show; an exact "437/5" (the ledger's own export) is kept."""
    from toolkit.adapters.ledger_workbook import import_ledger_workbook

    src, wb = sample_ledger_copy(tmp_path)
    ws = wb["评估记录"]
    header = next(r for r in range(1, 8) if "中心编号" in str(ws.cell(row=r, column=1).value))
    col = ws.max_column + 1
    ws.cell(row=header, column=col, value="总分")
    ws.cell(row=header + 1, column=col, value=total)
    cid, year = ws.cell(row=header + 1, column=1).value, ws.cell(row=header + 1, column=2).value
    wb.save(src)
    config = cfg(tmp_path)
    result = import_ledger_workbook(config, src)
    with open_ledger(config, command="t", write=False) as led:
        row = led.conn.execute("SELECT total FROM evaluations WHERE center_id = ? AND year = ?", (cid, year)).fetchone()
    if kept is None:
        assert row is None and any(f.rule == "DATA.TYPE" and "总分" in f.message for f in result.findings)
    else:
        assert row is not None and row[0] == kept


def test_rows_of_a_center_whose_row_was_rejected_say_so(tmp_path: Path) -> None:
    """They said the center was "not on the 中心 sheet", where it is (its row has an error)."""
    from toolkit.adapters.ledger_workbook import import_ledger_workbook

    src, wb = sample_ledger_copy(tmp_path)
    ws = wb["中心"]
    cid = ws["A3"].value
    ws["L3"] = "两千二十年"  # 认定年份 unreadable: the center's row is rejected
    wb.save(src)
    result = import_ledger_workbook(cfg(tmp_path), src)
    about = [f.message for f in result.findings if f.value == cid and f.sheet != "中心"]
    assert about and all("在“中心”工作表第3行有错误、未导入" in m for m in about)


def test_import_says_when_an_id_is_not_in_the_configured_form_or_a_name_is_used_twice(tmp_path: Path) -> None:
    """SJZTIC-2026-1 imported silently, and tic ledger register then gave SJZTIC-2026-001: number 1 twice."""
    from toolkit.adapters.ledger_workbook import import_ledger_workbook

    src, wb = sample_ledger_copy(tmp_path)
    ws = wb["中心"]
    old_id = ws["A3"].value
    ws["A3"] = "SJZTIC-2017-1"
    ws["B4"] = ws["B5"].value
    wb.save(src)
    for sheet in ("评估记录", "事件", "年报"):  # the rows of the renamed id follow it
        if sheet in wb.sheetnames:
            for row in wb[sheet].iter_rows():
                if row[0].value == old_id:
                    row[0].value = "SJZTIC-2017-1"
    wb.save(src)
    result = import_ledger_workbook(cfg(tmp_path), src)
    messages = [f.message for f in result.findings]
    assert any("中心编号“SJZTIC-2017-1”与编号格式“SJZTIC-{year}-{seq:03d}”不符" in m for m in messages)
    assert sum("的中心名称与" in m and "相同（第三十九条）" in m for m in messages) == 2


def test_a_name_corrected_after_registering_renames_the_center_not_a_second_one(tmp_path: Path) -> None:
    """The same lead unit and field under a corrected name became a second center (SJZTIC-2026-002)."""
    from toolkit.core.uscc import make_uscc

    config = cfg(tmp_path)
    a = make_uscc("91130102MA0ABC01X")
    path = city_workbook(tmp_path / "全市汇总.xlsx", [city_row(1, "智能装备", a)])
    assert [r.center_id for r in register_from_city_workbook(config, path).registered] == ["SJZTIC-2026-001"]
    row = city_row(1, "智能装备", a)
    row[2] = "石家庄市智能成套装备技术创新中心"
    again = register_from_city_workbook(config, city_workbook(path, [row]))
    assert [(r.center_id, r.name) for r in again.registered] == [("SJZTIC-2026-001", "石家庄市智能成套装备技术创新中心")]
    with open_ledger(config, command="t", write=False) as led:
        assert [tuple(r) for r in led.conn.execute("SELECT center_id, name FROM centers")] == [
            ("SJZTIC-2026-001", "石家庄市智能成套装备技术创新中心")]


def test_importing_the_ledger_workbook_again_never_undoes_an_approved_change(tmp_path: Path) -> None:
    """Re-imported (a config edit makes tic run read every input again; or the workbook re-saved), the old workbook
    renamed the center back and gave it its former director, though the 变更批复 stood in the timeline."""
    config = cfg(tmp_path)
    src = tmp_path / "中心台账.xlsx"
    shutil.copyfile(samples_dir() / "中心台账.xlsx", src)
    import_ledger_workbook(config, src)
    with open_ledger(config, command="t", write=False) as led:
        cid, name, director = led.conn.execute(
            "SELECT center_id, name, director FROM centers WHERE status = '运行' ORDER BY center_id").fetchone()
    record_change(config, cid, "director", "李新任", date(2026, 5, 1), "石科字〔2026〕8号批复")
    wb = load_workbook(src)  # the same workbook, one other cell of that center corrected meanwhile
    ws = wb["中心"]
    col = {c.value: c.column for c in ws[2]}  # a title row, then the header
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=col["中心编号"]).value == cid)
    ws.cell(row=row, column=col["研发方向"], value="新的研发方向")
    wb.save(src)
    again = import_ledger_workbook(config, src)
    with open_ledger(config, command="t", write=False) as led:
        now = dict(led.conn.execute("SELECT * FROM centers WHERE center_id = ?", (cid,)).fetchone())
    assert (now["director"], now["name"], now["rd_direction"]) == ("李新任", name, "新的研发方向")
    (f,) = [f for f in again.findings if cid in f.message and "第三十条" in f.message]
    assert f.severity.value == "warning" and f"“{director}”未导入" in f.message and f.cell == f"K{row}"


def test_a_total_above_100_is_imported_when_the_configured_maxima_allow_it(tmp_path: Path) -> None:
    """The dimensions' maxima are configurable (Art. 34): a 总分 of 110 of 120 was rejected, and its grade with it."""
    from toolkit.adapters.ledger_workbook import write_ledger_template

    def workbook(path: Path) -> Path:
        write_ledger_template(path)
        wb = load_workbook(path)
        values = {"中心": {"中心编号": "SJZTIC-2020-001", "中心名称": "石家庄市智能装备技术创新中心",
                           "依托单位名称": "河北智装科技有限公司", "认定年份": 2020, "状态": "运行"},
                  "评估记录": {"中心编号": "SJZTIC-2020-001", "评估年度": 2025, "参评状态": "参评", "等级": "优秀",
                               "总分": 110}}
        for sheet, row in values.items():
            ws = wb[sheet]
            heads = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
            for header, v in row.items():
                col = next(c for h, c in heads.items() if h.startswith(header))
                ws.cell(row=2, column=col, value=v)
        wb.save(path)
        return path

    wide = cfg(tmp_path, evaluation={"dimensions": {"组织管理": 20, "研发条件": 20, "研发产出": 30, "转化应用": 20,
                                                    "开放协作": 30}})
    result = import_ledger_workbook(wide, workbook(tmp_path / "台账.xlsx"))
    assert result.counts["evaluations"]["new"] == 1, result.findings
    narrow = cfg(tmp_path / "b")
    (tmp_path / "b").mkdir()
    rejected = import_ledger_workbook(narrow, workbook(tmp_path / "b" / "台账.xlsx"))
    assert rejected.counts["evaluations"]["new"] == 0
    assert any("应为0至100之间的分数" in f.message for f in rejected.findings)


def test_decide_says_when_the_cycle_has_no_evaluation_results_in_the_ledger(tmp_path: Path) -> None:
    """tic evaluate without --record (as the README showed it) left the grades out of the ledger: tic decide gave
    no reward and no rectification and said nothing."""
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001")
    text = "\n".join(decide_cycle(config).summary_lines())
    assert "台账中没有2026年度的绩效评估结果" in text and "--record" in text
    with open_ledger(config, command="t") as led:
        led.conn.execute("INSERT INTO evaluations (center_id, year, status, grade, total, source, recorded_at)"
                         " VALUES ('SJZTIC-2020-001', 2026, '参评', '优秀', '90', 't', 't')")
    assert "绩效评估结果" not in "\n".join(decide_cycle(config).summary_lines())


def test_sqlite_errors_reach_the_clerk_in_chinese(tmp_path: Path) -> None:
    """A full disk read "无法备份台账到…：database or disk is full。"."""
    from toolkit.adapters.ledger import _db_error, _sqlite_reason

    assert _sqlite_reason(sqlite3.OperationalError("database or disk is full")) == "磁盘空间不足"
    message = str(_db_error(tmp_path / "l.sqlite", sqlite3.OperationalError("disk I/O error")))
    assert "磁盘读写出错" in message and "I/O" not in message


def test_commands_that_change_nothing_keep_the_backups_of_earlier_states(tmp_path: Path) -> None:
    """Five no-op runs of tic decide (each wrote an audit row, so each backup differed) pushed the copies from
    before the import and the registration out of 台账备份."""
    config = cfg(tmp_path, backups=3)
    folder = tmp_path / "台账备份"
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001")
    with open_ledger(config, command="t") as led:  # the state with one center: backed up before this change
        add_center(led, "SJZTIC-2020-002")
    decide_cycle(config)
    kept = sorted(p.name for p in folder.iterdir())
    assert len(kept) == 2
    with open_ledger(config, command="t", write=False) as led:
        audits = led.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    for _ in range(5):
        decide_cycle(config)
    now = sorted(p.name for p in folder.iterdir())
    assert now[:2] == kept and len(now) == 3  # one copy of the decided state, the earlier ones kept
    with open_ledger(config, command="t", write=False) as led:
        assert led.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == audits  # nothing to record


def test_the_first_decision_of_a_cycle_never_says_it_is_the_same_as_before(tmp_path: Path) -> None:
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001")
        led.conn.execute("INSERT INTO annual_reports (center_id, year, submitted_on, source)"
                         " VALUES ('SJZTIC-2020-001', 2025, '2026-03-01', 't')")
    first = "\n".join(decide_cycle(config).summary_lines())
    assert "首次作出处置决定" in first and "与上次相同" not in first
    assert "与上次相同" in "\n".join(decide_cycle(config).summary_lines())


def test_a_change_approved_in_another_year_is_refused_with_the_cycle_to_use(tmp_path: Path) -> None:
    """Recorded in the 2026 cycle with --date 2027-01-10, its 变更批复 carried 石科字〔2026〕 and a 2027 date."""
    config = cfg(tmp_path)
    with open_ledger(config, command="t") as led:
        add_center(led, "SJZTIC-2020-001", director="张三")
    with pytest.raises(LedgerError, match="不在本周期的发文年度（2026年）内.*2027年度周期"):
        record_change(config, "SJZTIC-2020-001", "director", "李四", date(2027, 1, 10))


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="Linux /proc")
def test_a_killed_run_not_yet_reaped_counts_as_ended() -> None:
    """A run killed where init does not reap at once stayed a zombie: kill(pid, 0) succeeded and its lock was taken
    as held ("台账正由 … 使用") until it was reaped."""
    from toolkit.adapters.ledger import process_alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "Z" not in Path(f"/proc/{child.pid}/stat").read_text().split(")")[-1][:3]:
        time.sleep(0.01)  # ended, not yet reaped (we do not wait for it): a zombie
    assert process_alive(child.pid) is False
    child.wait()
    assert process_alive(os.getpid()) is True
