"""The ``tic`` command (also installed as ``sjz-tic``: on Linux ncurses has a ``tic`` too)."""

from __future__ import annotations

import importlib
import sys

import click

from toolkit import __version__
from toolkit.cli import zh
from toolkit.cli.common import make_console_safe

zh.install()  # click's usage errors and help headings in Chinese (before the decorators below run)

# Each module defines ``register(group)``. A command's module is imported only when that command runs, so
# ``tic validate`` does not pay for docxtpl, jinja2 and sqlite (measured: -0.25 s of start-up).
COMMANDS = {
    "run": "toolkit.cli.run", "demo": "toolkit.cli.run", "init": "toolkit.cli.init_cmd",
    "validate": "toolkit.cli.validate", "submit": "toolkit.cli.collect", "collect": "toolkit.cli.collect",
    "template": "toolkit.cli.template", "evaluate": "toolkit.cli.evaluate", "ledger": "toolkit.cli.ledger",
    "annual": "toolkit.cli.annual", "decide": "toolkit.cli.decide", "letters": "toolkit.cli.letters",
    "xl": "toolkit.cli.xl",
}
COMMAND_MODULES = list(dict.fromkeys(COMMANDS.values()))


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        holder = click.Group()
        importlib.import_module(module).register(holder)
        return holder.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="tic", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="出错时显示完整的技术信息（供开发人员排查）。")
def cli(debug: bool) -> None:
    """石家庄市技术创新中心批处理工具（tic）。

    校验申报表、汇总各区报送、专家评估打分、台账与处置决定、批量生成公文、每月批处理。
    每个命令都可加 --help 查看用法。
    """



def _stop_on_terminate() -> None:
    """SIGTERM (a scheduled run stopped, a service manager) as Ctrl+C: the command unwinds — the ledger's
    transaction rolled back, letters not recorded removed, worker processes ended — instead of vanishing and leaving
    its workers to print tracebacks. (Windows has no SIGTERM to catch: there Ctrl+C is the way.)"""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        try:
            signal.signal(signal.SIGTERM, stop)
        except ValueError:  # not the main thread (an embedding host): leave it
            pass


def main() -> None:
    """Console entry point."""
    import warnings

    make_console_safe()
    _stop_on_terminate()
    # openpyxl's own UserWarnings (a date cell outside the calendar, an unsupported extension) are English
    # lines of its source code on the clerk's screen; what they mean reaches the clerk as a finding
    warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
    cli(prog_name="tic")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
