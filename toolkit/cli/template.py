"""``tic template KIND -o FILE``: blank standard workbooks generated from the schemas."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from toolkit.cli.common import config_option, echo, guarded, require_xlsx_name, resolve_config
from toolkit.errors import TicError

# kind -> (module, function name, description). The function is called as f(path, config) and
# writes the workbook atomically.
TEMPLATE_KINDS: dict[str, tuple[str, str, str]] = {
    "intake": ("toolkit.adapters.blank", "write_intake_template", "申报汇总表（区县汇总申报用）"),
    "evaluation": ("toolkit.adapters.evaluation_workbook", "write_evaluation_template", "绩效评估打分表"),
    "ledger": ("toolkit.adapters.ledger_workbook", "write_ledger_template", "中心台账"),
    "annual": ("toolkit.adapters.ledger_workbook", "write_annual_template", "年度报告汇总表"),
}


@click.command("template")
@click.argument("kind", type=click.Choice(sorted(TEMPLATE_KINDS)))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="要生成的空白工作簿（.xlsx）。")
@config_option
@guarded
def template_cmd(kind: str, output: Path, config_path: Path | None) -> None:
    """生成空白标准工作簿（带下拉框、输入提示和填表说明）。

    KIND：intake 申报汇总表；evaluation 绩效评估打分表；annual 年度报告汇总表；ledger 中心台账。
    """
    config = resolve_config(config_path) if (config_path or Path("tic.toml").exists()) else None
    module, func, desc = TEMPLATE_KINDS[kind]
    writer = getattr(importlib.import_module(module), func)
    require_xlsx_name(output)
    if output.exists():
        raise TicError(f"文件“{output}”已存在，未覆盖；请换一个文件名。")
    writer(output, config)
    echo(f"已生成空白{desc}：{output}")


def register(group: click.Group) -> None:
    group.add_command(template_cmd)
