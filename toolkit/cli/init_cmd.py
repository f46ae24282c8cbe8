"""``tic init [DIR]``: a commented config (and, for a cycle folder, its layout)."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.adapters.config_file import DEFAULT_NAME
from toolkit.cli.common import echo, guarded
from toolkit.errors import ConfigError


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--year", type=int, default=2026, show_default=True, help="周期年度。")
@click.option("--reference-date", default="2026-03-31", show_default=True, help="基准日期。")
@guarded
def init_cmd(directory: Path, year: int, reference_date: str) -> None:
    """生成周期文件夹 DIR：带说明的配置文件 tic.toml，以及各收件、输出文件夹（每个文件夹有一份 说明.txt）。

    已有的文件不会被覆盖。
    """
    from toolkit.cycle import FOLDERS, init_cycle

    if (directory / DEFAULT_NAME).exists() and all((directory / f.name).is_dir() for f in FOLDERS):
        raise ConfigError(f"“{directory}”已经是周期文件夹（已有 {DEFAULT_NAME}），未做更改。")
    made = init_cycle(directory, year=year, reference_date=reference_date)
    echo(f"已生成周期文件夹：{directory}")
    for path in made:
        echo(f"  {path.name}")
    echo("下一步：编辑 tic.toml（年度、基准日期、重点领域），把文件放进对应文件夹后运行 tic run。")


def register(group: click.Group) -> None:
    group.add_command(init_cmd)
