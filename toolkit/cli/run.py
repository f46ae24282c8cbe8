"""``tic run`` (the monthly batch over a cycle folder) and ``tic demo`` (the bundled sample cycle)."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.batch import run_cycle
from toolkit.cli.common import echo, emit_json, guarded


@click.command("run")
@click.argument("cycle_dir", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--dry-run", is_flag=True, help="只列出将要做的事，不做任何更改。")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="配置文件（默认为周期文件夹中的 tic.toml）。")
@click.option("--json", "json_dest", default=None, metavar="文件|-", help="把运行结果（JSON）写入文件；- 表示屏幕。")
@guarded
def run_cmd(cycle_dir: Path, dry_run: bool, config_path: Path | None, json_dest: str | None) -> None:
    """每月批处理：对周期文件夹 CYCLE_DIR（默认当前文件夹）中新的或变化的文件依次执行
    导入台账 → 汇总区县报送 → 登记批准建设 → 年报核查 → 评估并记入台账 → 处置决定 → 生成公文。

    未变化的文件跳过；重复运行不会重复发文。运行日志保存在“运行日志”文件夹。
    """
    report = run_cycle(cycle_dir, dry_run=dry_run, config_path=config_path)
    for line in report.lines():
        echo(line, err=json_dest == "-")
    emit_json(report.to_dict(), json_dest)
    raise SystemExit(report.status)


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("tic-演示"),
              show_default=True, help="演示周期放在哪个文件夹（不存在则新建）。")
@guarded
def demo_cmd(out_dir: Path) -> None:
    """演示：把自带的样例周期（各区县报送、专家打分表、年度报告、中心台账）复制到 --out 文件夹，
    运行每月批处理，模拟市局填写“批准建设”后再运行一次，最后告诉您到哪里看结果。"""
    from toolkit.demo import run_demo

    status = run_demo(out_dir, echo)
    raise SystemExit(status)


def register(group: click.Group) -> None:
    group.add_command(run_cmd)
    group.add_command(demo_cmd)
