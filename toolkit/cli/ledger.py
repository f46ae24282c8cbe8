"""``tic ledger …``: the 中心台账 — import, export, show, register new centers, record changes, unlock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from toolkit.cli.common import (
    config_option,
    echo,
    emit_json,
    guarded,
    json_option,
    refuse_foreign_workbook,
    resolve_config,
)
from toolkit.core.config import Config
from toolkit.core.values import ValueProblem, parse_date
from toolkit.errors import ConfigError


def ledger_option(f):  # type: ignore[no-untyped-def]
    return click.option("--ledger", "ledger_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="台账文件（默认取配置文件 [ledger] path，或配置文件旁的 tic-ledger.sqlite）。")(f)


def ledger_config(config_path: Path | None, ledger_path: Path | None, *, cycle: bool = True) -> Config:
    """The cycle's config; commands that need no cycle (``cycle=False``) also run with only --ledger."""
    try:
        return resolve_config(config_path)
    except ConfigError:
        if cycle or config_path is not None or ledger_path is None:
            raise
        return Config(year=2000, reference_date=date(2000, 1, 1))


def _say(lines: list[str], json_dest: str | None) -> None:
    for line in lines:
        echo(line, err=json_dest == "-")


@click.group("ledger")
def ledger_group() -> None:
    """中心台账：导入、导出、查看时间线、登记新认定中心、登记变更、清除锁。"""


@ledger_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@ledger_option
@json_option
@guarded
def import_cmd(file: Path, config_path: Path | None, ledger_path: Path | None, json_dest: str | None) -> None:
    """导入中心台账工作簿（中心、评估记录、事件、年报四个工作表）。

    重复导入不会重复登记；修改过的行会更新台账并逐项列出。退出码：0 无错误，1 有未导入的错误行，2 无法导入。
    """
    from toolkit.adapters.ledger_workbook import import_ledger_workbook

    config = ledger_config(config_path, ledger_path, cycle=False)
    result = import_ledger_workbook(config, file, ledger_path=ledger_path)
    _say(result.summary_lines(), json_dest)
    emit_json(result.to_dict(), json_dest)
    raise SystemExit(result.status)


@ledger_group.command("export")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="导出的中心台账工作簿（.xlsx）。")
@config_option
@ledger_option
@guarded
def export_cmd(output: Path, config_path: Path | None, ledger_path: Path | None) -> None:
    """把台账导出为中心台账工作簿（与导入格式相同，可再导入更新；另有“发文记录”表，导入新台账时保留已用的发文字号，
    不会重号；处置、登记和操作记录不在其中，恢复台账请优先用“台账备份”）。"""
    from toolkit.adapters.ledger_workbook import EXPORT_MARK, export_ledger_workbook

    config = ledger_config(config_path, ledger_path, cycle=False)
    replaced = refuse_foreign_workbook(output, {"中心", "评估记录", "事件", "年报"}, "此前导出的中心台账",
                                       mark=EXPORT_MARK)
    counts = export_ledger_workbook(config, output, ledger_path=ledger_path)
    echo(f"已导出台账：{output}（中心{counts['centers']}个、评估记录{counts['evaluations']}条、"
         f"事件{counts['events']}件、年报{counts['reports']}条、发文记录{counts['letters']}件）"
         + ("，替换了此前导出的文件。" if replaced else "。"))


@ledger_group.command("show")
@click.argument("center_id")
@config_option
@ledger_option
@json_option
@guarded
def show_cmd(center_id: str, config_path: Path | None, ledger_path: Path | None, json_dest: str | None) -> None:
    """显示一个中心的全部历史：认定、年报、评估、事件、变更、处置、公文。"""
    from toolkit.adapters.ledger import center_timeline

    config = ledger_config(config_path, ledger_path, cycle=False)
    timeline = center_timeline(config, center_id, ledger_path=ledger_path)
    _say(timeline.lines(), json_dest)
    emit_json(timeline.to_dict(), json_dest)


@ledger_group.command("register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@ledger_option
@json_option
@guarded
def register_cmd(file: Path, config_path: Path | None, ledger_path: Path | None, json_dest: str | None) -> None:
    """把城市汇总表中“批准建设”为“是”的中心登记到台账（分配新编号，状态为运行）。

    同一行重复登记得到同一个编号。退出码：0 无错误，1 有未能登记的行，2 无法读取。
    """
    from toolkit.adapters.ledger_workbook import register_from_city_workbook

    config = resolve_config(config_path)
    result = register_from_city_workbook(config, file, ledger_path=ledger_path)
    _say(result.summary_lines(), json_dest)
    emit_json(result.to_dict(), json_dest)
    raise SystemExit(result.status)


@ledger_group.command("change")
@click.argument("center_id")
@click.option("--field", "field_name", type=click.Choice(["name", "reg_place", "director", "other"]), required=True,
              help="变更事项：name 名称、reg_place 注册地、director 中心主任、other 其他重大事项。")
@click.option("--to", "new_value", required=True, metavar="内容",
              help="变更后的内容（other：写明变更的事项，如“依托单位由甲公司变更为乙公司”）。")
@click.option("--from", "old_value", default=None, metavar="内容",
              help="变更前的内容：台账中没有时必须填写（变更批复要写明由什么变更为什么）。")
@click.option("--date", "effective", required=True, metavar="年-月-日", help="变更生效日期（批准日期），如 2026-05-01。")
@click.option("--note", default="", metavar="说明", help="说明（如批准文件），只记入台账。")
@config_option
@ledger_option
@json_option
@guarded
def change_cmd(center_id: str, field_name: str, new_value: str, old_value: str | None, effective: str, note: str,
               config_path: Path | None, ledger_path: Path | None, json_dest: str | None) -> None:
    """登记经批准的变更（第三十条）：名称、注册地、中心主任或其他重大事项。"""
    from toolkit.adapters.ledger import record_change

    try:
        when = parse_date(effective)
    except ValueProblem:
        raise click.BadParameter(f"“{effective}”不是有效日期，请按 YYYY-MM-DD 填写。", param_hint="--date") from None
    config = resolve_config(config_path)
    result = record_change(config, center_id, field_name, new_value, when, note, old_value=old_value,
                           ledger_path=ledger_path)
    _say([result.sentence()], json_dest)
    emit_json(result.to_dict(), json_dest)


@ledger_group.command("unlock")
@config_option
@ledger_option
@guarded
def unlock_cmd(config_path: Path | None, ledger_path: Path | None) -> None:
    """清除遗留的台账锁（仅在确认持有者已退出时使用），并说明清除的是谁的锁。"""
    from toolkit.adapters.ledger import unlock

    config = ledger_config(config_path, ledger_path, cycle=False)
    echo(unlock(config, path=ledger_path))


def register(group: click.Group) -> None:
    group.add_command(ledger_group)
