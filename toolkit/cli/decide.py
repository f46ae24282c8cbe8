"""``tic decide``: the cycle's dispositions (rules.md part D) from the whole ledger."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cli.common import config_option, echo, emit_json, guarded, json_option, resolve_config
from toolkit.cli.ledger import ledger_option


@click.command("decide")
@config_option
@json_option
@ledger_option
@guarded
def decide_cmd(config_path: Path | None, json_dest: str | None, ledger_path: Path | None) -> None:
    """计算本周期的处置决定：奖励、限期整改、撤销、不再保留（第二十八条、第三十六至三十八条）。

    结果连同理由写入台账；重复运行结果不变。已发文的处置如与重新计算的结果不同，只提示、不更改。
    """
    from toolkit.adapters.ledger import decide_cycle

    config = resolve_config(config_path)
    report = decide_cycle(config, ledger_path=ledger_path)
    for line in report.summary_lines():
        echo(line, err=json_dest == "-")
    emit_json(report.to_dict(), json_dest)


def register(group: click.Group) -> None:
    group.add_command(decide_cmd)
