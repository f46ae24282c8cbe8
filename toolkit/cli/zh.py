"""click's own words in Chinese: usage errors, help headings, path checks.

click looks its messages up through :mod:`gettext` (``_`` and ``ngettext`` bound in each of its modules);
:func:`install` replaces those two names with a lookup in the tables below, so a clerk who mistypes a
command or an option reads one Chinese sentence instead of ``Error: No such option '--quite'.``. A message
not in the tables (a newer click) stays as click words it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import IO, Any

MESSAGES: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本说明并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "可运行“{command} {option}”查看用法。",
    "Invalid value: {message}": "取值有误：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值有误：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name}。",
    "No such command {name!r}.": "没有命令“{name}”，运行 tic --help 可查看全部命令。",
    "Missing command.": "缺少命令，运行 tic --help 可查看全部命令。",
    "Aborted!": "已取消。",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "(dynamic)": "（动态）",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a file.": "“{filename}”是文件而不是文件夹。",
    "{name} {filename!r} is a directory.": "“{filename}”是文件夹而不是文件。",
    "{name} {filename!r} is not readable.": "{name}“{filename}”无法读取（没有权限）。",
    "{name} {filename!r} is not writable.": "{name}“{filename}”无法写入（没有权限）。",
    "{name} {filename!r} is not executable.": "{name}“{filename}”不可执行。",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的数字。",
    "{value} is not in the range {range}.": "{value} 不在允许的范围 {range} 内。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "Option {name!r} does not take a value.": "选项 {name} 后面不需要写值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name} 需要 {nargs} 个值。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Value must be an iterable.": "取值应为多个值。",
    "unknown error": "未知错误",
}

PLURALS: dict[str, str] = {  # ngettext's messages, singular and plural forms alike
    "Got unexpected extra argument ({args})": "多余的参数（{args}），文件名中有空格时请用英文引号括起来",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}），文件名中有空格时请用英文引号括起来",
    "{value!r} is not {choice}.": "“{value}”不是可选的值，可选：{choice}。",
    "{value!r} is not one of {choices}.": "“{value}”不是可选的值，可选：{choices}。",
    "Option {name!r} requires an argument.": "选项 {name} 后面缺少取值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 后面需要 {nargs} 个取值。",
    "Did you mean {possibility}?": "是否要输入 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否要输入其中之一：{possibilities}？）",
    "{value!r} does not match the format {format}.": "“{value}”不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "“{value}”不符合格式 {formats} 中的任何一种。",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
}

_MODULES = ("click.core", "click.exceptions", "click.types", "click.parser", "click.formatting", "click.decorators",
            "click.termui", "click.utils")


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    chosen = singular if n == 1 else plural
    return PLURALS.get(chosen, chosen)


def usage_sentence(message: str) -> str:
    """click's composed message as one Chinese sentence: names without English quotes, a Chinese full stop."""
    text = re.sub(r"'([^'\s]*)'", r"\1", message.strip())
    text = text.replace("。 （", "（").replace(". ", "。")
    if text.endswith("."):
        text = text[:-1]
    return text if text.endswith(("。", "？", "）")) else text + "。"


def _show_usage_error(self: Any, file: IO[str] | None = None) -> None:
    import click

    ctx = self.ctx
    click.echo(f"错误：{usage_sentence(self.format_message())}", file=file, err=file is None)
    if ctx is not None:
        usage = ctx.get_usage().replace("用法： ", "").strip()
        click.echo(f"用法：{usage}（运行“{ctx.command_path} --help”可查看说明）", file=file, err=file is None)


def install() -> None:
    """Make click speak Chinese (idempotent): its messages, and a usage error shown as one sentence first."""
    import click

    for name in _MODULES:
        module = importlib.import_module(name)
        translate: Callable[..., str]
        for attr, translate in (("_", gettext), ("ngettext", ngettext)):
            if hasattr(module, attr):
                setattr(module, attr, translate)
    click.UsageError.show = _show_usage_error  # type: ignore[method-assign]
