"""Shared fixtures: a cycle config and intake workbooks built in tmp_path."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from toolkit.adapters.config_file import default_config_text, load_config
from toolkit.adapters.schema_check import field_specs
from toolkit.core.config import Config, config_from_dict
from toolkit.core.uscc import make_uscc

REF = date(2026, 3, 31)


@pytest.fixture
def config() -> Config:
    return config_from_dict({"cycle": {"year": 2026, "reference_date": REF}})


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "tic.toml"
    path.write_text(default_config_text(ledger_path=str(tmp_path / "tic-ledger.sqlite").replace("\\", "/")),
                    encoding="utf-8")
    load_config(path)  # the default text must itself be valid
    return path


def good_row(**changes: Any) -> dict[str, Any]:
    """An application that meets every condition, keyed by field key; ``changes`` override values."""
    row: dict[str, Any] = {
        "seq": 1,
        "district": "长安区",
        "center_name": "石家庄市智能装备技术创新中心",
        "center_name_en": "Intelligent Equipment",
        "lead_name": "河北智装科技有限公司",
        "lead_uscc": make_uscc("91130102MA0ABCDE1"),
        "lead_type": "企业",
        "reg_place": "河北省石家庄市长安区中山东路1号",
        "reg_date": datetime(2015, 6, 1),
        "rd_org": "是",
        "sales": 5000,
        "rd_spend": 300,
        "key_field": "先进装备制造",
        "rd_direction": "工业机器人关键部件",
        "ip_count": 8,
        "fixed_staff": 30,
        "tech_leader": "王五",
        "leader_credit": "无不良记录",
        "lead_credit": "无不良记录",
        "rd_space": 800,
        "equipment": 500,
        "director": "赵六",
        "director_birth": datetime(1975, 5, 5),
        "director_other": "否",
        "director_months": 10,
        "higher_tic": "否",
        "contact": "李四",
        "phone": "13812345678",
        "recommend": "是",
    }
    row.update(changes)
    return row


def write_intake(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    keys: list[str] | None = None,
    headers: dict[str, str] | None = None,
    title_rows: int = 2,
    sheet: str = "申报汇总",
    date1904: bool = False,
) -> Path:
    """Write an intake workbook with the standard headers (or ``headers`` overrides) for ``keys``
    (``date1904``: in the 1904 date system of old Mac Excel)."""
    specs = {s.key: s for s in field_specs("intake")}
    keys = keys or [k for k in specs]
    wb = Workbook()
    if date1904:
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = sheet
    for i in range(title_rows):
        ws.append(["2026年度石家庄市技术创新中心申报汇总表" if i == 0 else "推荐单位（盖章）：长安区科学技术局"])
    ws.append([(headers or {}).get(k, specs[k].header) for k in keys])
    for row in rows:
        ws.append([row.get(k) for k in keys])
    wb.save(path)
    return path


@pytest.fixture
def intake_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(rows: list[dict[str, Any]], name: str = "长安区.xlsx", **kwargs: Any) -> Path:
        return write_intake(tmp_path / name, rows, **kwargs)

    return make
