"""Registering approved centers from the city workbook (tic ledger register)."""

from __future__ import annotations

from openpyxl import load_workbook

from tests.conftest import good_row, write_intake
from toolkit.adapters.ledger_workbook import register_from_city_workbook
from toolkit.core.uscc import make_uscc
from toolkit.submission import collect_folder


def test_an_approved_ineligible_row_is_registered_with_a_warning(tmp_path, config):
    rows = [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心", key_field="新材料",
                                 lead_uscc=make_uscc("91130104MA0B00002"), sales=10)]
    (tmp_path / "inbox").mkdir()
    write_intake(tmp_path / "inbox" / "长安区.xlsx", rows)
    city = tmp_path / "city.xlsx"
    collect_folder(tmp_path / "inbox", config, city)
    wb = load_workbook(city)
    ws = wb["汇总"]
    for r in (4, 5):
        ws.cell(row=r, column=ws.max_column, value="是")
    wb.save(city)
    result = register_from_city_workbook(config, city, ledger_path=tmp_path / "l.sqlite")
    assert [r.new for r in result.registered] == [True, True]
    warnings = [f for f in result.findings if f.severity.value == "warning"]
    assert len(warnings) == 1 and warnings[0].row == 5 and "不符合" in warnings[0].message
    assert "2000万元" in warnings[0].message
    again = register_from_city_workbook(config, city, ledger_path=tmp_path / "l.sqlite")
    assert [r.center_id for r in again.registered] == [r.center_id for r in result.registered]
    assert not any(r.new for r in again.registered)


def test_ledger_import_rejects_a_duplicated_key_on_every_row(tmp_path, config):
    import shutil

    from toolkit.adapters.ledger_workbook import import_ledger_workbook
    from toolkit.resources import samples_dir

    src = tmp_path / "台账.xlsx"
    shutil.copyfile(samples_dir() / "中心台账.xlsx", src)
    wb = load_workbook(src)
    ws = wb["年报"]
    first = [c.value for c in ws[2]]
    assert str(first[0]).startswith("SJZTIC-")
    ws.insert_rows(3)  # above the notes block at the bottom
    for i, v in enumerate(first, start=1):
        ws.cell(row=3, column=i, value=v)
    wb.save(src)
    result = import_ledger_workbook(config, src, ledger_path=tmp_path / "l.sqlite")
    dups = [f for f in result.findings if f.rule == "DATA.DUPLICATE"]
    assert len(dups) == 2 and all("年度报告与第" in f.message and "均未导入" in f.message for f in dups)
