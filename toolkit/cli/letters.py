"""``tic letters``: the cycle's official letters in bulk; ``tic letters check TEMPLATE``: a template against the data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from toolkit.adapters.letter_plan import KIND_ZH, KINDS, LETTER_FIELDS, ROW_FIELDS
from toolkit.adapters.letters import check_template, issue_letters, kind_of_template
from toolkit.cli.common import (
    config_option,
    echo,
    emit_json,
    guarded,
    json_option,
    quiet_option,
    resolve_config,
)

KIND_HELP = "；".join(f"{k} {v}" for k, v in KIND_ZH.items())
PROGRESS_FROM = 20  # show a progress bar for runs of at least this many letters


class _ProgressBars:
    """Progress bars on stderr, one per phase (Word, PDF), for long runs only."""

    LABELS = {"docx": "生成 Word 公文", "pdf": "转换 PDF"}

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}
        self.pos: dict[str, int] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_FROM:
            return
        bar = self.bars.get(phase)
        if bar is None:
            bar = click.progressbar(length=total, label=self.LABELS.get(phase, phase), file=sys.stderr)
            bar.__enter__()
            self.bars[phase] = bar
            self.pos[phase] = 0
        bar.update(done - self.pos[phase])
        self.pos[phase] = done
        if done >= total:
            self.close(phase)

    def close(self, phase: str | None = None) -> None:
        for name in [phase] if phase else list(self.bars):
            bar = self.bars.pop(name, None)
            if bar is not None:
                bar.__exit__(None, None, None)


@click.group("letters", invoke_without_command=True)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), metavar="KIND",
              help=f"只生成这一类公文（可多次指定）：{KIND_HELP}。")
@click.option("--center", "centers", multiple=True, metavar="中心编号",
              help="只处理这些中心（可多次指定；与 --reissue 合用时只重新印发它们的公文）。")
@config_option
@click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="台账文件（默认取配置文件中的 ledger.path）。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="公文输出文件夹（生成公文时必填）；清单 manifest.xlsx 也写在这里。")
@json_option
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转换为 PDF（需安装 LibreOffice）。")
@click.option("--zip-by-district", is_flag=True, help="按县（市、区）把公文打包为 zip，便于分发。")
@click.option("--reissue", is_flag=True,
              help="对已印发的公文重新印发：分配新文号，原公文在台账中记为已作废（仅在确需重发时使用）。")
@click.option("--evaluation", "evaluation", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="本年度评估结果 JSON（tic evaluate --json 生成），整改通知据此写明薄弱维度。")
@click.option("--templates", "template_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="修改过的公文模板所在文件夹（<类别>.docx，缺少的类别用内置模板）。")
@quiet_option
@click.pass_context
@guarded
def letters_cmd(ctx: click.Context, kinds: tuple[str, ...], centers: tuple[str, ...], config_path: Path | None,
                ledger_path: Path | None, out_dir: Path | None, json_dest: str | None, pdf: bool,
                zip_by_district: bool, reissue: bool, evaluation: Path | None, template_dir: Path | None,
                quiet: bool) -> None:
    """按台账批量生成本周期的正式公文（认定批复、认定通知、整改、撤销、奖励、不再保留、变更批复、催报）。

    \b
    用法：
      tic letters --out 公文            生成本周期应发的全部公文
      tic letters --kind revocation --out 公文 --pdf
      tic letters check 模板.docx       检查模板字段（见 tic letters check --help）

    发文字号由台账统一分配（前缀见配置 letters.prefix），同一前缀、同一年度内不重号、不跳号。
    重复运行不会重复发文：已印发的公文保持原文号和原文件（JSON 中 new 为 false）；
    只有加 --reissue 才会重新印发并把原公文记为已作废。已存在的文件从不覆盖。
    输出文件夹中另有公文清单 manifest.xlsx（类别、中心、文号、文件、校验值、时间）。

    退出码：0 全部生成；1 有公文因台账缺少必要信息未生成；2 无法运行。
    """
    if ctx.invoked_subcommand is not None:
        return
    if out_dir is None:
        raise click.UsageError("请用 --out 指定公文输出文件夹（或使用子命令 check 检查模板）。")
    config = resolve_config(config_path)
    bars = _ProgressBars(enabled=not quiet)
    try:
        report = issue_letters(config, out_dir, kinds=kinds or None, pdf=pdf, zip_by_district=zip_by_district,
                               reissue=reissue, ledger_path=ledger_path, center_ids=centers or None,
                               evaluation=evaluation, template_dir=template_dir, progress=bars)
    finally:
        bars.close()
    to_err = json_dest == "-"
    lines = report.summary_lines()
    for line in lines if not quiet else [x for x in lines if x.startswith("未生成")]:
        echo(line, err=to_err)
    emit_json(report.to_dict(), json_dest)
    sys.exit(report.exit_status)


@letters_cmd.command("check")
@click.argument("template", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), default=None, metavar="KIND",
              help="模板对应的公文类别（默认按文件名判断，如 revocation.docx）。")
@guarded
def check_cmd(template: Path, kind: str | None) -> None:
    """检查公文模板 TEMPLATE：列出模板用到而数据不提供的字段，以及数据提供而模板未用的字段。

    在 Word 中修改模板措辞后运行，字段名写错（如 {{ center_nme }}）会在这里被发现，而不是在发文时。

    退出码：0 模板可用；1 模板使用了数据中没有的字段；2 无法读取模板。
    """
    kind = kind or kind_of_template(template)
    missing, unused = check_template(template, kind)
    assert kind is not None  # check_template raised otherwise
    echo(f"模板“{template.name}”（{KIND_ZH[kind]}）：")
    if missing:
        echo(f"  数据中没有、模板却用到的字段（会导致无法生成）：{'、'.join(missing)}")
        echo(f"  该类公文可用的字段：{'、'.join(sorted(LETTER_FIELDS[kind]))}")
        for name, fields in ROW_FIELDS.items():
            if name in LETTER_FIELDS[kind]:
                echo(f"  {name} 的每一行可用：{'、'.join(fields)}")
    else:
        echo("  模板用到的字段数据都能提供。")
    if unused:
        echo(f"  数据提供但模板未使用的字段：{'、'.join(unused)}")
    sys.exit(1 if missing else 0)


def register(group: click.Group) -> None:
    group.add_command(letters_cmd)
