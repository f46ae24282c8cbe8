"""``tic validate FILE...``: check district intake workbooks against Art. 10, 16, 28 and 39."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli.common import (
    check_json_dest,
    config_option,
    debug_requested,
    echo,
    guarded,
    json_option,
    output_for,
    quiet_option,
    refuse_inputs_as_outputs,
    resolve_config,
)
from toolkit.errors import InputFileError, OutputError
from toolkit.intake import annotate_report, terminal_lines, validate_file, write_reports_json


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))  # each file says itself
@config_option
@json_option
@quiet_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="校验结果副本（*.校验结果.xlsx）的存放文件夹，默认与原文件同一文件夹。")
@click.option("--no-copy", is_flag=True, help="只输出屏幕汇总和 JSON，不生成校验结果副本。")
@guarded
def validate_cmd(files: tuple[Path, ...], config_path: Path | None, json_dest: str | None, quiet: bool,
                 out_dir: Path | None, no_copy: bool) -> None:
    """校验区县申报汇总表（第十条、第十六条、第二十八条、第三十九条）。

    每个文件得到：屏幕汇总；带标注的副本 <文件名>.校验结果.xlsx（原文件不会被修改）；
    可选的 JSON 报告（--json）。退出码：0 无错误，1 有不符合项，2 文件无法读取。
    """
    refuse_inputs_as_outputs([json_dest], files)
    check_json_dest(json_dest)
    config = resolve_config(config_path)
    from toolkit.adapters.ledger_names import existing_center_names

    problems: list[str] = []
    names = existing_center_names(config, problems)
    for line in problems:
        echo(f"注意：{line}", err=True)
    reports = []
    worst = 0
    written: set[Path] = set()
    for path in files:
        if ".校验结果." in path.name:  # e.g. *.xlsx run again in the same folder
            echo(err=json_dest == "-", message=f"“{path.name}”是 tic 生成的校验结果副本，不是申报表，已跳过。")
            continue
        report = validate_file(path, config, existing_names=names, keep_rows=not no_copy)
        reports.append(report)
        status = report.status
        for line in terminal_lines(report, quiet=quiet):
            echo(line, err=json_dest == "-")
        if report.table is not None and not no_copy:
            try:
                from toolkit.adapters.annotate import annotated_name  # openpyxl: only when a copy is written

                target = output_for(path, out_dir or path.parent, annotated_name, written)
                existed = target.exists()
                annotate_report(report, target=target)
            except OutputError as exc:
                echo(f"  错误：{exc}", err=True)
                status = 2
            except InputFileError as exc:  # calamine read it; openpyxl's full load of the copy refuses it
                echo(f"  错误：未能生成“{path.name}”的校验结果副本：{exc}校验结论以屏幕和 JSON 为准。", err=True)
                status = 2
            except Exception as exc:  # an unforeseen layout of this workbook: the other files still get theirs
                detail = f"（{type(exc).__name__}: {exc}）" if debug_requested() else ""
                echo(f"  错误：未能生成“{path.name}”的校验结果副本（文件中有本工具无法复制的内容{detail}），"
                     "校验结论以屏幕和 JSON 为准。", err=True)
                status = 2
            else:  # said outside the guard: a closed console (| head) is not a copy that failed
                written.add(target.resolve())
                if not quiet:
                    echo(err=json_dest == "-", message=f"  已生成校验结果副本：{target}"
                                                       + ("（替换了此前的副本）" if existed else ""))
        worst = max(worst, status)
    write_reports_json(reports, json_dest)  # streamed: the same text as emit_json of their to_dict()
    raise SystemExit(worst)


def register(group: click.Group) -> None:
    group.add_command(validate_cmd)
