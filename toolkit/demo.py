"""``tic demo``: the bundled sample cycle, run as a clerk would run it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from toolkit.adapters.config_file import DEFAULT_NAME, load_config
from toolkit.batch import CITY_WORKBOOK, run_cycle
from toolkit.cycle import folder, init_cycle
from toolkit.resources import samples_dir

CYCLE = "2026年度"
DISTRICT_FILES = {"长安区": "长安区-2026年技术创新中心申报汇总表.xlsx", "高新区": "高新区-申报汇总（报市局）.xlsx"}


def _prepare(root: Path, say: Callable[..., None]) -> Path:
    from toolkit.submission import submit_file

    samples = samples_dir()
    cycle = root / CYCLE
    init_cycle(cycle)
    shutil.copyfile(samples / DEFAULT_NAME, cycle / DEFAULT_NAME)
    config = load_config(cycle / DEFAULT_NAME)
    shutil.copyfile(samples / "中心台账.xlsx", folder(cycle, "ledger_import") / "中心台账.xlsx")
    shutil.copyfile(samples / "评估打分表-2026.xlsx", folder(cycle, "scores") / "评估打分表-2026.xlsx")
    shutil.copyfile(samples / "年度报告汇总表-2025.xlsx", folder(cycle, "annual") / "年度报告汇总表-2025.xlsx")
    say("【准备】各区县用 tic submit 校验并报送申报汇总表：")
    inbox = folder(cycle, "inbox")
    for district, name in DISTRICT_FILES.items():
        result = submit_file(samples / "区县申报" / name, district, config, inbox, allow_errors=True)
        s = result.report.summary
        say(f"  {district}：{name} → {result.target.name if result.target else '未报送'}"
            f"（{s['rows']} 行：符合 {s['eligible']}，待核实 {s['review']}，不符合 {s['ineligible']}）")
    # a copy broken on the way over the network: the batch must report it and carry on
    good = inbox / "长安区-2026-申报汇总.xlsx"
    data = good.read_bytes()
    (inbox / "桥西区-2026-申报汇总（传输中断）.xlsx").write_bytes(data[: len(data) // 2])
    say("  桥西区：报送文件在网络传输中损坏（演示坏文件不影响其他文件）")
    return cycle


def _approve(cycle: Path, say: Callable[..., None]) -> int:
    """Play the bureau: 批准建设 = 是 for eligible, recommended applications, 否 for the rest."""
    from openpyxl import load_workbook

    from toolkit.adapters.atomic import write_with

    path = folder(cycle, "city") / CITY_WORKBOOK
    wb = load_workbook(path)
    ws = wb["汇总"]
    headers = [c.value for c in ws[3]]
    verdict, recommend, decision = headers.index("校验结论") + 1, headers.index("是否推荐") + 1, len(headers)
    approved = 0
    for row in range(4, ws.max_row + 1):
        if ws.cell(row=row, column=1).value is None:
            continue
        ok = ws.cell(row=row, column=verdict).value == "符合" and ws.cell(row=row, column=recommend).value != "否"
        ws.cell(row=row, column=decision, value="是" if ok else "否")
        approved += ok
    write_with(path, wb.save)
    say(f"【模拟市局】在“05-市局汇总/{CITY_WORKBOOK}”的“批准建设”列填写：{approved} 项“是”，其余“否”。")
    return approved


def run_demo(root: Path, say: Callable[..., None] = print) -> int:
    """Copy the sample cycle into ``root`` and run it; returns the worst exit status."""
    root = Path(root)
    cycle = root / CYCLE
    fresh = not (cycle / DEFAULT_NAME).exists()
    if fresh:
        say(f"演示周期：{root.resolve()}")
        _prepare(root, say)
        say("")
        say("【第一次运行】tic run：导入台账、汇总、年报核查、评估、处置决定、公文")
        first = run_cycle(cycle)
        for line in first.lines():
            say(line)
        say("")
        _approve(cycle, say)
        say("")
        say("【第二次运行】tic run：登记批准建设的中心，生成批复和认定通知")
        second = run_cycle(cycle)
        for line in second.lines():
            say(line)
        # the broken copy is there on purpose: the demo went as designed unless a run could not run at all
        status = 2 if (first.fatal or second.fatal) else 0
        say("")
        say("说明：演示中故意放入了一个传输中断的损坏文件，所以“汇总各区县报送”报告有文件无法处理，其余文件照常处理。")
    else:
        say(f"演示周期已存在：{cycle.resolve()}，直接再运行一次 tic run（不会重复处理或重复发文）：")
        again = run_cycle(cycle)
        for line in again.lines():
            say(line)
        status = 2 if again.fatal else 0
    say("")
    say("到哪里看结果：")
    for key, what in (("city", "市局汇总.xlsx（汇总、统计图、问题清单、批准建设）"), ("results", "评估结果"),
                      ("annual_out", "年报核查结果"), ("decisions", "处置决定"), ("letters", "公文（Word）和发文清单"),
                      ("logs", "运行日志")):
        say(f"  {folder(cycle, key).resolve()}  —— {what}")
    say(f"台账数据库：{load_config(cycle / DEFAULT_NAME).ledger_path.resolve()}")
    say(f"再次运行：tic run \"{cycle}\"（没有新文件时不做任何处理）")
    return status
