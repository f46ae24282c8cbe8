"""The ``tic ledger``, ``tic annual`` and ``tic decide`` commands: exit status, output, JSON, two processes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

import toolkit
from toolkit.adapters.config_file import load_config
from toolkit.adapters.ledger import decide_cycle, lock_path
from toolkit.adapters.ledger_workbook import import_ledger_workbook
from toolkit.cli.main import cli
from toolkit.core.uscc import make_uscc
from toolkit.resources import samples_dir

SAMPLE = samples_dir() / "中心台账.xlsx"


@pytest.fixture
def cycle(tmp_path: Path) -> Path:
    (tmp_path / "tic.toml").write_text(
        '[cycle]\nyear = 2026\nreference_date = 2026-06-30\n[ledger]\npath = "tic-ledger.sqlite"\nbackups = 2\n',
        encoding="utf-8")
    return tmp_path


def run(cycle: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--config", str(cycle / "tic.toml")], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_import_twice_says_nothing_changed_and_json_is_the_library_result(cycle: Path) -> None:
    code, out, _ = run(cycle, "ledger", "import", str(SAMPLE))
    assert code == 0 and out.startswith("导入 中心台账.xlsx：中心：新增18、更新0、未变0；")
    code, out, err = run(cycle, "ledger", "import", str(SAMPLE), "--json", "-")
    data = json.loads(out)
    assert code == 0 and data["report"] == "ledger-import" and data["changes"] == []
    assert data["counts"]["centers"] == {"new": 0, "updated": 0, "unchanged": 18, "rejected": 0}
    assert "本次导入没有改变任何内容" in err


def test_decide_prints_a_chinese_summary_and_json_equal_to_the_library(cycle: Path) -> None:
    run(cycle, "ledger", "import", str(SAMPLE))
    code, out, _ = run(cycle, "decide")
    assert code == 0
    assert out.splitlines()[0] == ("2026年度处置决定（基准日期 2026年6月30日）：共17个中心，撤销2个、不再保留1个、"
                                   "限期整改0个、奖励0个、无需处置14个。")
    assert "  撤销  SJZTIC-2022-002 石家庄市烘焙食品技术创新中心（第三十八条第（一）项、第三十八条第（三）项）" in out
    code, out, err = run(cycle, "decide", "--json", "-")
    assert code == 0 and "台账中的处置结果与上次相同，未作更改。" in err
    config = load_config(cycle / "tic.toml")
    assert json.loads(out) == decide_cycle(config).to_dict()


def test_decide_without_a_ledger_is_one_error_sentence_and_status_2(cycle: Path) -> None:
    code, out, err = run(cycle, "decide")
    assert code == 2 and out == ""
    assert err.startswith("错误：找不到台账文件") and err.count("\n") == 1


def test_annual_checks_records_and_lists_missing_and_late(cycle: Path) -> None:
    run(cycle, "ledger", "import", str(SAMPLE))
    src = cycle / "年度报告汇总表-2025.xlsx"
    shutil.copy(samples_dir() / src.name, src)
    code, out, _ = run(cycle, "annual", str(src), "--json", str(cycle / "annual.json"), "--out", str(cycle / "out"))
    assert code == 1
    assert "    SJZTIC-2022-002 石家庄市烘焙食品技术创新中心：2025年度未报送（截止日期2026年3月31日）" in out
    assert "    SJZTIC-2021-002 石家庄市中药现代化技术创新中心：2025年度逾期报送，2026年4月8日报送（截止日期2026年3月31日）" in out
    data = json.loads((cycle / "annual.json").read_text(encoding="utf-8"))
    assert data["report"] == "annual" and data["summary"]["missing"] == 1 and data["summary"]["late"] == 1
    assert (cycle / "out" / "年度报告汇总表-2025.年报核查.xlsx").is_file()


def test_annual_on_an_unreadable_file_exits_2_and_goes_on(cycle: Path) -> None:
    bad = cycle / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    good = cycle / "年度报告汇总表-2025.xlsx"
    shutil.copy(samples_dir() / good.name, good)
    code, out, _ = run(cycle, "annual", str(bad), str(good), "--json", str(cycle / "a.json"))
    assert code == 2 and "【无法读取】" in out and "年度报告汇总表-2025.xlsx（工作表“年度报告汇总”" in out
    data = json.loads((cycle / "a.json").read_text(encoding="utf-8"))
    assert data["report"] == "annual-batch" and len(data["reports"]) == 2


def test_show_change_register_export_unlock(cycle: Path) -> None:
    run(cycle, "ledger", "import", str(SAMPLE))
    code, out, _ = run(cycle, "ledger", "change", "SJZTIC-2020-003", "--field", "name", "--to",
                       "石家庄市高档数控机床技术创新中心", "--date", "2026-05-20", "--note", "石科字〔2026〕9号")
    assert code == 0 and out.startswith("已登记SJZTIC-2020-003的中心名称变更")
    code, _, err = run(cycle, "ledger", "change", "SJZTIC-2020-003", "--field", "director", "--to", "某", "--date", "5月")
    assert code == 2 and "不是有效日期" in err
    code, out, _ = run(cycle, "ledger", "show", "SJZTIC-2020-003")
    assert code == 0 and out.splitlines()[0] == "SJZTIC-2020-003 石家庄市高档数控机床技术创新中心（运行）"
    assert "  2026-05-20  变更  中心名称由“石家庄市数控机床技术创新中心”变更为“石家庄市高档数控机床技术创新中心”（石科字〔2026〕9号）" in out
    code, _, err = run(cycle, "ledger", "show", "SJZTIC-2099-001")
    assert code == 2 and err == "错误：台账中没有编号为“SJZTIC-2099-001”的中心。\n"
    code, out, _ = run(cycle, "ledger", "export", "-o", str(cycle / "导出.xlsx"))
    assert code == 0 and "中心18个、评估记录22条、事件3件、年报95条" in out
    code, out, _ = run(cycle, "ledger", "import", str(cycle / "导出.xlsx"))
    assert code == 0 and "本次导入没有改变任何内容" in out
    lock_path(cycle / "tic-ledger.sqlite").write_text('{"user": "lisi", "host": "PC-3", "time": "2026-04-01T08:00:00",'
                                                      ' "command": "decide"}', encoding="utf-8")
    code, _, err = run(cycle, "decide")
    assert code == 2 and err.startswith("错误：台账正由 lisi（PC-3）自 2026-04-01 08:00:00 起使用（命令：decide）")
    code, out, _ = run(cycle, "ledger", "unlock")
    assert code == 0 and out == "已清除台账锁：原由 lisi（PC-3）自 2026-04-01 08:00:00 起持有（命令：decide）。\n"


def test_register_command_and_templates(cycle: Path) -> None:
    run(cycle, "ledger", "import", str(SAMPLE))
    wb = Workbook()
    wb.active.title = "汇总"
    wb.active.append(["县（市、区）", "拟建中心名称", "依托单位名称", "依托单位统一社会信用代码", "重点领域", "批准建设"])
    wb.active.append(["长安区", "石家庄市智能装备技术创新中心", "河北智装科技有限公司", make_uscc("91130102MA0ABC01X"),
                      "先进装备制造", "是"])
    city = cycle / "全市汇总.xlsx"
    wb.save(city)
    code, out, _ = run(cycle, "ledger", "register", str(city))
    assert code == 0 and "  第2行 SJZTIC-2026-001 石家庄市智能装备技术创新中心（新登记）" in out
    code, out, _ = run(cycle, "ledger", "register", str(city))
    assert code == 0 and "SJZTIC-2026-001 石家庄市智能装备技术创新中心（已登记，无变化）" in out
    for kind, sheet in (("ledger", "中心"), ("annual", "年度报告汇总")):
        target = cycle / f"{kind}.xlsx"
        code, out, _ = run(cycle, "template", kind, "-o", str(target))
        assert code == 0 and sheet in load_workbook(target).sheetnames


# ------------------------------------------------------------------ two real processes


def child_env() -> dict[str, str]:
    root = str(Path(toolkit.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONIOENCODING": "utf-8"}


def tic(cycle: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "toolkit", *args, "--config", str(cycle / "tic.toml")],
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")


def test_two_tic_processes_writing_at_once_one_proceeds_the_other_stops(cycle: Path) -> None:
    procs = [tic(cycle, "ledger", "import", str(SAMPLE)) for _ in range(3)]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes[0] == 0 and set(codes) <= {0, 2}
    for code, out, err in results:
        if code == 2:
            assert out == "" and err.startswith("错误：台账正由 ") and err.count("\n") == 1
    conn = sqlite3.connect(cycle / "tic-ledger.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM centers").fetchone()[0] == 18
    assert not lock_path(cycle / "tic-ledger.sqlite").exists()


HOLD = """
import sys, time
from pathlib import Path
from toolkit.adapters.config_file import load_config
from toolkit.adapters.ledger import open_ledger
cycle = Path(sys.argv[1])
with open_ledger(load_config(cycle / "tic.toml"), command="ledger import 台账.xlsx") as led:
    led.conn.execute("UPDATE centers SET director = '并发测试' WHERE center_id = 'SJZTIC-2017-001'")
    (cycle / "ready").write_text("1")
    while not (cycle / "go").exists():
        time.sleep(0.02)
"""


def test_decide_is_refused_while_another_process_writes_and_the_file_stays_intact(cycle: Path) -> None:
    import_ledger_workbook(load_config(cycle / "tic.toml"), SAMPLE)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(cycle)], env=child_env(),
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (cycle / "ready").exists():
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        second = tic(cycle, "decide")
        out, err = second.communicate(timeout=60)
        assert second.returncode == 2 and out == ""
        assert err.startswith("错误：台账正由 ") and "（命令：ledger import 台账.xlsx）" in err
    finally:
        (cycle / "go").write_text("1")
        holder.communicate(timeout=30)
    assert holder.returncode == 0
    conn = sqlite3.connect(cycle / "tic-ledger.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT director FROM centers WHERE center_id = 'SJZTIC-2017-001'").fetchone()[0] == "并发测试"
    assert conn.execute("SELECT count(*) FROM dispositions").fetchone()[0] == 0


def test_export_and_collect_never_overwrite_a_workbook_they_did_not_write(cycle: Path) -> None:
    """A clerk's own workbook named as the output is refused in one sentence and left as it is; an earlier
    export is replaced, and the message says so."""
    import hashlib

    run(cycle, "ledger", "import", str(SAMPLE))
    notes = cycle / "我的笔记.xlsx"
    wb = __import__("openpyxl").Workbook()
    wb.active["A1"] = "我的笔记"
    wb.save(notes)
    digest = hashlib.sha256(notes.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["ledger", "export", "-o", str(notes), "--config", str(cycle / "tic.toml")])
    assert result.exit_code == 2 and "已存在，且不是本版本 tic 导出的中心台账" in result.output and "为免覆盖" in result.output
    inbox = cycle / "inbox"
    inbox.mkdir()
    result = CliRunner().invoke(cli, ["collect", str(inbox), "--out", str(notes), "--config", str(cycle / "tic.toml")])
    assert result.exit_code == 2 and "已存在，且不是市局汇总表" in result.output
    assert hashlib.sha256(notes.read_bytes()).hexdigest() == digest
    out = cycle / "导出.xlsx"
    code, first, _ = run(cycle, "ledger", "export", "-o", str(out))
    code2, again, _ = run(cycle, "ledger", "export", "-o", str(out))
    assert (code, code2) == (0, 0) and "替换了此前导出的文件" not in first and "替换了此前导出的文件" in again


def test_openpyxl_warnings_never_reach_the_clerk(cycle: Path, tmp_path: Path) -> None:
    """A date cell holding 1E+400 made openpyxl print an English UserWarning with its source line; the
    finding (年报 C4 …应为日期) says what is wrong."""
    import subprocess
    import sys
    import zipfile

    from openpyxl import load_workbook

    wb = load_workbook(SAMPLE)
    member = f"xl/worksheets/sheet{wb.sheetnames.index('年报') + 1}.xml"
    wb["年报"]["C4"].value = 12345678
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    bad = tmp_path / "inf.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, data.replace(b"<v>12345678</v>", b"<v>1E+400</v>") if info.filename == member
                          else data)
    done = subprocess.run([sys.executable, "-m", "toolkit", "ledger", "import", str(bad), "--config",
                           str(cycle / "tic.toml")], capture_output=True, text=True, encoding="utf-8")
    assert "Warning" not in done.stdout + done.stderr and "openpyxl" not in done.stdout + done.stderr
    assert "C4" in done.stdout + done.stderr
