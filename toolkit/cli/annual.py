"""``tic annual FILE...``: check annual report workbooks (rules.md part B) and record their receipt dates."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit import __version__
from toolkit.cli.common import (
    check_json_dest,
    config_option,
    echo,
    emit_json,
    guarded,
    json_option,
    quiet_option,
    refuse_inputs_as_outputs,
    resolve_config,
)
from toolkit.cli.ledger import ledger_option
from toolkit.errors import OutputError


@click.command("annual")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))  # each file says itself
@config_option
@json_option
@quiet_option
@ledger_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="核查结果副本（*.年报核查.xlsx）的存放文件夹，默认与原文件同一文件夹。")
@guarded
def annual_cmd(files: tuple[Path, ...], config_path: Path | None, json_dest: str | None, quiet: bool,
               ledger_path: Path | None, out_dir: Path | None) -> None:
    """核查年度报告汇总表（第十四、十五、十六、十九、二十、二十九条），并在台账中登记报送日期。

    列出未报送或逾期报送年度报告的运行中心；每个文件生成 <文件名>.年报核查.xlsx（原文件不会被修改）。
    退出码：0 无错误，1 有不符合项或未按时报送，2 文件无法读取。
    """
    from toolkit.adapters.ledger_workbook import check_annual_file

    refuse_inputs_as_outputs([json_dest], files)
    check_json_dest(json_dest)
    config = resolve_config(config_path)
    reports = []
    worst = 0
    to_err = json_dest == "-"
    for path in files:
        try:
            report = check_annual_file(config, path, out_dir, ledger_path=ledger_path)
        except OutputError as exc:
            echo(f"错误：{exc}", err=True)
            worst = 2
            continue
        reports.append(report)
        for line in report.terminal_lines(quiet=quiet):
            echo(line, err=to_err)
        if report.output is not None and not quiet:
            echo(f"  已生成核查结果副本：{report.output}", err=to_err)
        worst = max(worst, report.status)
    if json_dest and reports:
        if len(reports) == 1:
            emit_json(reports[0].to_dict(), json_dest)
        else:
            emit_json({"report": "annual-batch", "schema_version": 1, "tool_version": __version__,
                       "reports": [r.to_dict() for r in reports]}, json_dest)
    raise SystemExit(worst)


def register(group: click.Group) -> None:
    group.add_command(annual_cmd)
