"""``tic submit`` (a district's last step) and ``tic collect`` (the city merges all districts)."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli.common import (
    check_json_dest,
    config_option,
    echo,
    emit_json,
    guarded,
    json_option,
    quiet_option,
    refuse_foreign_workbook,
    refuse_inputs_as_outputs,
    resolve_config,
)
from toolkit.intake import terminal_lines
from toolkit.submission import collect_folder, collect_lines, submit_file


@click.command("submit")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--district", required=True, metavar="区县", help="报送的县（市、区），如 长安区、高新区。")
@config_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="报送文件存放的文件夹（如共享盘上市局的收件文件夹）。")
@json_option
@quiet_option
@click.option("--allow-errors", is_flag=True, help="有不符合项也生成报送文件（不符合的行会标明）。")
@guarded
def submit_cmd(file: Path, district: str, config_path: Path | None, out_dir: Path, json_dest: str | None,
               quiet: bool, allow_errors: bool) -> None:
    """区县报送：校验后生成带“报送标记”的报送文件 <区县>-<年度>-申报汇总.xlsx，供市局汇总。

    报送标记记录校验时的数据校验码：报送后再改动任何数据，市局汇总时都会发现并指出是哪一行。
    """
    refuse_inputs_as_outputs([json_dest], [file])
    check_json_dest(json_dest)
    config = resolve_config(config_path)
    result = submit_file(file, district, config, out_dir, allow_errors=allow_errors)
    for line in terminal_lines(result.report, quiet=quiet):
        echo(line, err=json_dest == "-")
    if result.refused:
        echo(err=json_dest == "-", message=f"未报送：{result.refused}")
    elif result.target is not None:
        echo(err=json_dest == "-", message=f"已生成报送文件：{result.target}")
        if result.replaced:
            echo(err=json_dest == "-", message=f"（已替换同一文件夹中此前的报送文件，原报送时间 {result.replaced}；"
                 "市局汇总时以新文件为准）")
        if json_dest is None:
            json_dest = str(result.target.with_suffix(".json"))
    data = result.report.to_dict()
    # whether a file was written, and why not: the exit status alone does not say (1 is also "findings")
    data["submission"] = {"district": result.district, "submitted": result.target is not None,
                          "file": result.target.name if result.target is not None else None,
                          "refused": result.refused, "replaced": result.replaced}
    emit_json(data, json_dest)
    raise SystemExit(result.status)


@click.command("collect")
@click.argument("folder", type=click.Path(path_type=Path))
@config_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="市局汇总工作簿（.xlsx）。已填写的“批准建设”会保留。")
@json_option
@guarded
def collect_cmd(folder: Path, config_path: Path | None, out_file: Path, json_dest: str | None) -> None:
    """市局汇总：读取 FOLDER（含子文件夹）中各区县报送的工作簿，核对报送标记、按市局配置重新校验、
    查找跨区县重复申报，生成汇总工作簿（汇总、统计、问题清单）。FOLDER 中的文件不会被修改。"""
    refuse_inputs_as_outputs([out_file, json_dest], [folder])
    check_json_dest(json_dest)
    refuse_foreign_workbook(out_file, {"汇总"}, "市局汇总表")
    config = resolve_config(config_path)
    report = collect_folder(folder, config, out_file)
    for line in collect_lines(report):
        echo(line, err=json_dest == "-")
    echo(err=json_dest == "-", message=f"已生成汇总工作簿：{out_file}" + (f"（保留了 {report.kept_decisions} 条已填写的批准建设意见）"
                                         if report.kept_decisions else ""))
    emit_json(report.to_dict(), json_dest)
    raise SystemExit(report.status)


def register(group: click.Group) -> None:
    group.add_command(submit_cmd)
    group.add_command(collect_cmd)
