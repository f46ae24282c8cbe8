"""``tic init [DIR]``: a commented config (and, for a cycle folder, its layout)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click

from toolkit.adapters.config_file import DEFAULT_NAME
from toolkit.cli.common import echo, guarded
from toolkit.errors import ConfigError


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--year", type=int, default=None, metavar="年度",
              help="周期年度（默认取文件夹名中的年份，如“2027年度”；否则取基准日期的年份；再否则为今年）。")
@click.option("--reference-date", default=None, metavar="日期",
              help="基准日期，如 2027-03-31 或 2027年3月31日（默认为周期年度的3月31日）。")
@guarded
def init_cmd(directory: Path, year: int | None, reference_date: str | None) -> None:
    """生成周期文件夹 DIR：带说明的配置文件 tic.toml，以及各收件、输出文件夹（每个文件夹有一份 说明.txt）。

    已有的文件不会被覆盖。
    """
    from toolkit.cycle import FOLDERS, init_cycle

    if (directory / DEFAULT_NAME).exists() and all((directory / f.name).is_dir() for f in FOLDERS):
        raise ConfigError(f"“{directory}”已经是周期文件夹（已有 {DEFAULT_NAME}），未做更改。")
    reference = _reference_date(reference_date) if reference_date else None
    if year is None:
        named = re.search(r"(20\d\d)\s*年", directory.resolve().name)
        year = int(named.group(1)) if named else reference.year if reference else date.today().year
    if not 2000 <= year <= 2100:
        raise ConfigError(f"周期年度 {year} 不在 2000 至 2100 之间，请用 --year 写明四位年份（如 --year 2027）。")
    reference = reference or date(year, 3, 31)
    if reference.year != year:  # the config would not load (cycle.reference_date must lie in cycle.year)
        raise ConfigError(f"基准日期 {reference.isoformat()} 不在周期年度 {year} 内，未生成；请核对 --year 和 "
                          "--reference-date（或文件夹名中的年份）。")
    made = init_cycle(directory, year=year, reference_date=reference.isoformat())
    echo(f"已生成周期文件夹：{directory}")
    for path in made:
        echo(f"  {path.name}")
    echo("下一步：编辑 tic.toml（年度、基准日期、重点领域），把文件放进对应文件夹后运行 tic run。")


def _reference_date(text: str) -> date:
    """2027-03-31, 2027/3/31, 2027.3.31 or 2027年3月31日; any other text, or a day that does not exist, is
    one sentence (the config would otherwise not load)."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", text)
    try:
        if m is None:
            raise ValueError(text)
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ConfigError(f"基准日期“{text}”不是有效的日期，请写成 2027-03-31 或 2027年3月31日 的形式。") from None


def register(group: click.Group) -> None:
    group.add_command(init_cmd)
