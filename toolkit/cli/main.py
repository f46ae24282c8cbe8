"""The ``tic`` command (also installed as ``sjz-tic``: on Linux ncurses has a ``tic`` too)."""

from __future__ import annotations

import importlib
import sys

import click

from toolkit import __version__
from toolkit.cli.common import make_console_safe

# Each module defines ``register(group)``; the order is the order of ``tic --help``.
COMMAND_MODULES = [
    "toolkit.cli.run",
    "toolkit.cli.init_cmd",
    "toolkit.cli.validate",
    "toolkit.cli.collect",
    "toolkit.cli.template",
    "toolkit.cli.evaluate",
    "toolkit.cli.ledger",
    "toolkit.cli.annual",
    "toolkit.cli.decide",
    "toolkit.cli.letters",
    "toolkit.cli.xl",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="tic", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="出错时显示完整的技术信息（供开发人员排查）。")
def cli(debug: bool) -> None:
    """石家庄市技术创新中心批处理工具（tic）。

    校验申报表、汇总各区报送、专家评估打分、台账与处置决定、批量生成公文、每月批处理。
    每个命令都可加 --help 查看用法。
    """


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(cli)


def main() -> None:
    """Console entry point."""
    make_console_safe()
    cli(prog_name="tic")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
