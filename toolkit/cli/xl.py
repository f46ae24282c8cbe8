"""``tic xl``: the Excel console workbook with buttons (``console``), its setup steps (``install``) and the
command the WPS path of the buttons runs (``run``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from toolkit.adapters.config_file import load_config
from toolkit.cli.common import echo, guarded
from toolkit.errors import OutputError, TicError
from toolkit.resources import templates_dir


@click.group("xl")
def xl_group() -> None:
    """Excel 按钮：生成带按钮的工作台工作簿（.xlsm），点击按钮即运行本工具（xlwings 或 WPS 命令行方式）。

    \b
    tic xl install                          显示在办公电脑上安装和启用按钮的步骤
    tic xl console -o 工作台.xlsm --config 2026年度/tic.toml
    """


@xl_group.command("console")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="工作台文件（.xlsm），建议放在周期文件夹中。")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="预先填入工作台的配置文件（tic.toml）；不填则按钮使用周期文件夹中的 tic.toml。")
@click.option("--cycle", "cycle", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="预先填入的周期文件夹（默认：配置文件所在文件夹；都不填则为工作台所在文件夹）。")
@click.option("--python", "python", default=None, metavar="PYTHON.EXE",
              help="按钮使用的 Python（默认：运行本命令的 Python，即装有本工具的那个）。")
@click.option("--force", is_flag=True, help="覆盖已存在的工作台文件。")
@guarded
def console_cmd(out: Path, config_path: Path | None, cycle: Path | None, python: str | None, force: bool) -> None:
    """生成工作台工作簿：“工作台”页（周期设置、七个按钮、运行结果）、“说明”页和 xlwings 设置页。

    按钮的宏（VBA）已包含在工作簿中：Microsoft Excel 通过 xlwings 运行，WPS 表格通过命令行运行。
    xlwings.conf 页填入运行本命令的 Python，因此请在将要使用工作台的电脑上运行本命令。
    """
    from toolkit.xl.console import write_console

    if out.suffix.lower() != ".xlsm":
        raise OutputError(f"工作台必须保存为启用宏的工作簿（.xlsm），请把“{out.name}”改为以 .xlsm 结尾的文件名。")
    if out.exists() and not force:
        raise OutputError(f"“{out}”已存在：其中可能有已填写的设置；如确要重新生成，请加 --force。")
    if config_path is not None:
        load_config(config_path)  # a wrong path or a broken config is reported now, not at the first button
        cycle = cycle or config_path.resolve().parent
    target = write_console(out, config_path=config_path, cycle=cycle, python=python)
    echo(f"已生成工作台：{target}")
    echo(f"  按钮使用的 Python：{python or sys.executable}（可在工作簿的 xlwings.conf 页修改）")
    echo("  打开后如出现“宏已被禁用”，请点“启用内容”；首次使用请先看“说明”页或运行 tic xl install。")


INSTALL_STEPS = """\
在办公电脑上使用 Excel 按钮（每台电脑做一次）

一、安装 Python 和本工具
  1. 从 https://www.python.org 下载 Python 3.11 或更新版本安装；安装第一页勾选“Add python.exe to PATH”。
  2. 打开“命令提示符”，运行：
       pip install "sjz-tic[excel]"
     （无法上网时，从共享盘的安装包安装：pip install 共享盘路径\\sjz_tic-版本-py3-none-any.whl xlwings）
  3. 运行 sjz-tic --version 能显示版本号即安装成功（Windows 上 tic 与 sjz-tic 相同）。

二、生成工作台（在这台电脑上运行，工作台会记住这台电脑的 Python）
       sjz-tic xl console -o "\\\\服务器\\共享\\2026年度\\工作台.xlsm" --config "\\\\服务器\\共享\\2026年度\\tic.toml"
  多人共用一个工作台时，各人电脑上的 Python 路径不同：请各自生成自己的工作台，
  或把 xlwings.conf 页 B1（Interpreter_Win）改为本机 python.exe 的完整路径。

三、允许宏运行（Microsoft Excel）
  1. 打开工作台，黄色提示条“宏已被禁用”→ 点“启用内容”。
  2. 如出现红色提示条“Microsoft 已阻止宏运行，因为此文件来源不受信任”：关闭工作簿，在文件上点右键 →
     属性 → 勾选“解除锁定”→ 确定，再打开。
  3. 工作台放在共享盘上时，建议把周期文件夹加入受信任位置：文件 → 选项 → 信任中心 → 信任中心设置 →
     受信任位置 → 添加新位置（勾选“同时信任此位置的子文件夹”；网络位置需先勾选“允许网络上的受信任位置”）。
  4. 不需要安装 xlwings 加载项：工作台已内含 xlwings 的 VBA 模块。
  5. Mac 上的 Excel：在“终端”运行一次 xlwings runpython install（允许 Excel 调用 Python）。

四、WPS 表格
  xlwings 不支持 WPS。WPS 表格需启用 VBA（WPS 专业版/企业版，或安装 WPS 的 VBA 环境），
  并在宏安全性中选择“中”或“低”。打开工作台后把“运行方式”选为“命令行（tic）”（“自动”也会这样选），
  按钮会在后台运行命令行工具并把结果填回工作台。
  如工作台中的宏丢失，可在 VBA 编辑器（Alt+F11）中“文件 → 导入文件”导入：
       {bas}

五、检查
  在工作台的“输入文件”填一个申报汇总表，点“校验申报表”：“运行结果”显示统计和生成的“*.校验结果.xlsx”链接即为成功。
"""


@xl_group.command("install")
def install_cmd() -> None:
    """显示在办公电脑上安装 Python、本工具和 xlwings，以及允许宏运行的步骤（Excel 与 WPS）。"""
    echo(INSTALL_STEPS.format(bas=templates_dir() / "xl" / "TicButtons.bas").rstrip())
    has_xlwings = importlib.util.find_spec("xlwings") is not None
    echo("")
    echo(f"本机情况：Python = {sys.executable}；xlwings {'已安装' if has_xlwings else '未安装（pip install xlwings）'}。")


@xl_group.command("run")
@click.option("--request", "request", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="按钮写出的请求文件（每行“名称<TAB>值”）。")
@click.option("--status", "status_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="写回工作台的结果文件（每行“类别<TAB>单元格<TAB>内容”）。")
@guarded
def run_cmd(request: Path, status_file: Path) -> None:
    """工作台按钮的命令行方式（WPS 表格等）：运行请求文件中的操作，把要填入“运行结果”的内容写入结果文件。

    由工作台的宏调用，一般不需要手工运行。退出码：0 无问题，1 有不符合项，2 无法运行。
    """
    from toolkit.xl.buttons import read_request_file, run_request, write_status_file

    try:
        action, values, book_dir = read_request_file(request)
    except (OSError, UnicodeError) as exc:
        raise TicError(f"无法读取请求文件“{request}”：{exc}。") from None
    status, writes = run_request(action, values, book_dir)
    write_status_file(status_file, writes)
    echo(f"{status.title}：{status.headline}")
    for line in ([status.counts] if status.counts else []) + [str(p) for p in status.outputs] + status.problems:
        echo(f"  {line}")
    raise SystemExit(status.code)


def register(group: click.Group) -> None:
    group.add_command(xl_group)


__all__ = ["register", "xl_group"]
