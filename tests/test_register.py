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


def _approved_city_workbook(tmp_path, config, rows):  # type: ignore[no-untyped-def]
    inbox = tmp_path / f"inbox-{config.year}"
    inbox.mkdir()
    write_intake(inbox / "长安区.xlsx", rows)
    city = tmp_path / f"city-{config.year}.xlsx"
    collect_folder(inbox, config, city)
    wb = load_workbook(city)
    ws = wb["汇总"]
    for r in range(4, 4 + len(rows)):
        ws.cell(row=r, column=ws.max_column, value="是")
    wb.save(city)
    return city


def test_a_revoked_center_approved_again_is_a_new_center_not_merged_into_the_revoked_one(tmp_path, config):
    """Its lead unit re-applied after revocation: the approval was taken as 'already registered', the revoked
    record overwritten and still 撤销, no new id and no 认定批复."""
    import sqlite3
    from dataclasses import replace

    ledger = tmp_path / "l.sqlite"
    first = register_from_city_workbook(config, _approved_city_workbook(tmp_path, config, [good_row()]),
                                        ledger_path=ledger)
    (old,) = [r.center_id for r in first.registered]
    with sqlite3.connect(ledger) as conn:
        conn.execute("UPDATE centers SET status = '撤销', status_cycle = 2026 WHERE center_id = ?", (old,))
    later = replace(config, year=2028)
    city = _approved_city_workbook(tmp_path, later, [good_row(director="王新")])
    result = register_from_city_workbook(later, city, ledger_path=ledger)
    (new,) = result.registered
    assert new.new and new.center_id != old and new.center_id.startswith("SJZTIC-2028-")
    (note,) = [f for f in result.findings if f.severity.value == "warning" and old in f.message]
    assert "撤销" in note.message and new.center_id in note.message
    with sqlite3.connect(ledger) as conn:
        rows = dict(conn.execute("SELECT center_id, status || '/' || IFNULL(director, '') FROM centers").fetchall())
    assert rows[old].startswith("撤销/") and "王新" not in rows[old] and rows[new.center_id] == "运行/王新"
    again = register_from_city_workbook(later, city, ledger_path=ledger)  # run again: the same center, nothing new
    assert [(r.center_id, r.new) for r in again.registered] == [(new.center_id, False)]


def test_an_approved_row_that_is_a_running_center_of_an_earlier_cycle_is_not_registered_again(tmp_path, config):
    from dataclasses import replace

    ledger = tmp_path / "l.sqlite"
    register_from_city_workbook(config, _approved_city_workbook(tmp_path, config, [good_row()]), ledger_path=ledger)
    later = replace(config, year=2027)
    result = register_from_city_workbook(later, _approved_city_workbook(tmp_path, later, [good_row(director="王新")]),
                                         ledger_path=ledger)
    assert result.registered == []
    (f,) = [f for f in result.findings if f.rule == "A10.7.NAME"]
    assert "运行" in f.message and "未重复登记" in f.message and "第三十条" in f.message


def test_submit_and_collect_check_names_against_the_ledger_as_validate_does(tmp_path):
    """A10.7.NAME was checked by tic validate only: the same workbook was 符合 in tic submit and tic collect."""
    from datetime import date

    from toolkit.core.config import config_from_dict
    from toolkit.submission import submit_file

    config = config_from_dict({"cycle": {"year": 2026, "reference_date": date(2026, 3, 31)},
                               "ledger": {"path": str(tmp_path / "l.sqlite"), "backups": 0}})
    earlier = config_from_dict({"cycle": {"year": 2024, "reference_date": date(2024, 3, 31)},
                                "ledger": {"path": str(tmp_path / "l.sqlite"), "backups": 0}})
    register_from_city_workbook(earlier, _approved_city_workbook(tmp_path, earlier, [good_row()]))
    source = write_intake(tmp_path / "长安区申报.xlsx", [good_row(lead_uscc=make_uscc("91130104MA0B00002"))])
    (tmp_path / "inbox").mkdir()
    submitted = submit_file(source, "长安区", config, tmp_path / "inbox", allow_errors=True)
    assert ("A10.7.NAME", "center_name") in [(f.rule, f.field) for f in submitted.report.rows[0].findings]
    collected = collect_folder(tmp_path / "inbox", config, tmp_path / "city.xlsx")
    (item,) = collected.files
    assert ("A10.7.NAME", "center_name") in [(f.rule, f.field) for f in item.report.rows[0].findings]
