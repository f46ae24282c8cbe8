"""``tic init [DIR]``: a commented config (and, for a cycle folder, its layout)."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.adapters.config_file import DEFAULT_NAME, write_default_config
from toolkit.cli.common import echo, guarded


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--year", type=int, default=2026, show_default=True, help="周期年度。")
@click.option("--reference-date", default="2026-03-31", show_default=True, help="基准日期。")
@guarded
def init_cmd(directory: Path, year: int, reference_date: str) -> None:
    """在 DIR 中生成带说明的配置文件 tic.toml。"""
    path = write_default_config(directory / DEFAULT_NAME, year=year, reference_date=reference_date)
    echo(f"已生成配置文件：{path}")


def register(group: click.Group) -> None:
    group.add_command(init_cmd)
