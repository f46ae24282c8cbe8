"""``tic evaluate FILE...``: recusal, aggregation and grades from expert scoring workbooks (Art. 31-35)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit import __version__
from toolkit.cli.common import (
    check_json_dest,
    config_option,
    echo,
    emit_json,
    guarded,
    json_option,
    output_for,
    quiet_option,
    refuse_inputs_as_outputs,
    resolve_config,
)
from toolkit.core.config import Config
from toolkit.core.evaluation import GRADES, EvaluationResult, round1
from toolkit.core.findings import SEVERITY_ZH, Severity, rule_info
from toolkit.errors import InputFileError, LedgerError, OutputError


def terminal_lines(result: EvaluationResult, name: str, quiet: bool = False) -> list[str]:
    """The Chinese summary ``tic evaluate`` prints for one file."""
    s = result.summary()
    lines: list[str] = []
    if not quiet:
        counts = "、".join(f"{g}{s[g]}个" for g in GRADES)
        lines.append(f"{name}：共{s['centers']}个中心，定级{s['graded']}个（{counts}），回避剔除评分{s['excluded']}条，"
                     f"错误{s['errors']}处，警告{s['warnings']}处。")
        ranked = sorted(result.centers, key=lambda c: (c.rank is None, c.rank or 0))
        for c in ranked:
            rank = f"第{c.rank}名" if c.rank else "—"
            total = f"{round1(c.total):.1f}分" if c.total is not None else ""
            grade = c.grade or "未定级"
            remark = f"（{'；'.join(c.remarks)}）" if c.remarks else ""
            experts = f"有效专家{c.valid_experts}人" if c.status == "参评" else (c.status or "状态无法识别")
            lines.append(f"  {rank:<5} {c.center.center_id}  {c.center.name}  {experts}  {total}  {grade}{remark}")
        exclusions = [ex for c in result.centers for ex in c.exclusions]
        if exclusions:
            lines.append("回避剔除（第三十三条）：")
            pairs: dict[tuple[str, str], list[Any]] = {}
            for ex in exclusions:  # one line per excluded score, however many reasons
                pairs.setdefault((ex.expert_id, ex.center_id), []).append(ex)
            for (expert_id, center_id), reasons in pairs.items():
                why = "；".join(
                    f"{rule_info(ex.rule)['title']}（{ex.matched_by_zh if ex.rule == 'A33.DECLARED' else '按' + ex.matched_by_zh + '匹配'}）"
                    for ex in reasons)
                declared = "已申请回避" if any(ex.declared for ex in reasons) else "未申报，自动发现"
                lines.append(f"  {expert_id}（{reasons[0].expert_name}）→ {center_id}：{why}，{declared}")
    problems = [f for f in result.all_findings() if f.severity is not Severity.INFO]
    if problems:
        lines.append("问题：")
        for f in problems:
            where = f"{f.sheet}!{f.cell} " if f.sheet and f.cell else (f"{f.sheet} " if f.sheet else "")
            lines.append(f"  [{SEVERITY_ZH[f.severity]}] {where.rstrip()}：{f.sentence()}" if where else
                         f"  [{SEVERITY_ZH[f.severity]}] {f.sentence()}")
    return lines


def _record(config: Config, result: EvaluationResult, path: Path) -> str:
    from toolkit.adapters.ledger import record_evaluation

    written = record_evaluation(config, result.to_dict(), path)
    return f"  已登记到台账（{config.year}年度评估）：写入或更新{written}条记录。"


@click.command("evaluate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))  # each file says itself
@config_option
@json_option
@quiet_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="评估结果工作簿（*.评估结果.xlsx）的存放文件夹，默认与打分表同一文件夹。")
@click.option("--record", is_flag=True, help="把评估结果（等级、精确总分）登记到台账；有错误的文件不登记。")
@guarded
def evaluate_cmd(files: tuple[Path, ...], config_path: Path | None, json_dest: str | None, quiet: bool,
                 out_dir: Path | None, record: bool) -> None:
    """专家评估打分：回避、计分、定级与排名（第三十一条至第三十五条）。

    读取绩效评估打分表（tic template evaluation 生成），按第三十三条剔除应回避专家的评分，
    精确计算各维度平均分和总分，评定优秀/合格/不合格并排名。每个文件生成
    <文件名>.评估结果.xlsx（原文件不会被修改）；--json 输出机器可读结果；--record 登记到台账。
    退出码：0 无错误，1 有错误（如有效专家不足、评分有误），2 文件无法读取或结果无法写入。
    """
    refuse_inputs_as_outputs([json_dest], files)
    check_json_dest(json_dest)
    config = resolve_config(config_path)
    from toolkit.adapters.evaluation_workbook import (
        RESULTS_SUFFIX,
        evaluate_file,
        results_path,
        unreadable_result,
        write_results_workbook,
    )

    to_err = json_dest == "-"  # keep standard output for the JSON

    reports = []
    worst = 0
    written: set[Path] = set()
    for path in files:
        if f".{RESULTS_SUFFIX}." in path.name:  # e.g. *.xlsx run again in the results folder
            echo(f"“{path.name}”是 tic 生成的评估结果，不是打分表，已跳过。", err=to_err)
            continue
        try:
            result = evaluate_file(path, config)
        except InputFileError as exc:
            echo(f"【无法读取】{exc}", err=True)
            reports.append(unreadable_result(path, config, exc).to_dict())
            worst = 2
            continue
        status = result.exit_status
        for line in terminal_lines(result, path.name, quiet=quiet):
            echo(line, err=to_err)
        folder = out_dir or path.parent
        target = output_for(path, folder, lambda p, folder=folder: results_path(p, folder).name, written)
        try:
            write_results_workbook(result, target)
            written.add(target.resolve())
            if not quiet:
                echo(f"  已生成评估结果工作簿：{target}", err=to_err)
        except OutputError as exc:
            echo(f"  错误：{exc}", err=True)
            status = 2
        if record:
            if result.exit_status:
                echo(f"  {path.name} 有{result.summary()['errors']}处错误，未登记到台账；请改正后重新运行。", err=True)
            else:
                try:
                    echo(_record(config, result, path), err=to_err)
                except LedgerError as exc:
                    echo(f"  错误：{exc}", err=True)
                    status = 2
        reports.append(result.to_dict())
        worst = max(worst, status)
    if json_dest:
        if len(reports) == 1:
            emit_json(reports[0], json_dest)
        else:
            emit_json({"report": "evaluate-batch", "schema_version": 1, "tool_version": __version__,
                       "reports": reports}, json_dest)
    raise SystemExit(worst)


def register(group: click.Group) -> None:
    group.add_command(evaluate_cmd)


__all__ = ["evaluate_cmd", "register", "terminal_lines"]
