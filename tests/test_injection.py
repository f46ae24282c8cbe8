"""Text from users' workbooks that looks like a formula stays text in every workbook we write."""

from __future__ import annotations

import shutil
import sqlite3

from openpyxl import load_workbook

from toolkit.adapters.config_file import load_config
from toolkit.adapters.ledger_workbook import export_ledger_workbook, import_ledger_workbook
from toolkit.adapters.letters import write_manifest
from toolkit.resources import samples_dir

EVIL = "=cmd|' /C calc'!A0"


def formula_cells(path):  # type: ignore[no-untyped-def]
    wb = load_workbook(path)
    return [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def test_ledger_export_keeps_formula_text_as_text_and_round_trips(tmp_path, config_file):
    config = load_config(config_file)
    import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    with sqlite3.connect(config.ledger_path) as conn:
        conn.execute("UPDATE centers SET lead_name = ? WHERE center_id = 'SJZTIC-2017-001'", (EVIL,))
    out = tmp_path / "export.xlsx"
    export_ledger_workbook(config, out)
    assert formula_cells(out) == []
    values = [c.value for row in load_workbook(out)["中心"].iter_rows() for c in row]
    assert EVIL in values
    again = import_ledger_workbook(config, out)
    assert again.status == 0 and not again.changed


def test_manifest_keeps_formula_text_as_text(tmp_path):
    row = {"kind": "reward", "center_id": "SJZTIC-2020-001", "center_name": EVIL, "district": "=1+1",
           "doc_number": "石科字〔2026〕1号", "file": "a.docx", "pdf": None, "sha256": "0" * 64,
           "issued_at": "2026-03-05T10:00:00", "new": True, "superseded": False}
    write_manifest(tmp_path / "manifest.xlsx", [row])
    assert formula_cells(tmp_path / "manifest.xlsx") == []
    ws = load_workbook(tmp_path / "manifest.xlsx").active
    assert ws["C2"].value == EVIL


def test_evaluation_results_keep_formula_text_as_text(tmp_path, config_file):
    from toolkit.adapters.evaluation_workbook import evaluate_file

    src = tmp_path / "打分表.xlsx"
    shutil.copyfile(samples_dir() / "评估打分表-2026.xlsx", src)
    wb = load_workbook(src)
    ws = wb["中心名单"]
    head = next(r for r in range(1, 10) if str(ws.cell(row=r, column=1).value).lstrip("*") == "中心编号")
    header = [str(c.value).lstrip("*") for c in ws[head]]
    cell = ws.cell(row=head + 1, column=header.index("中心名称") + 1)
    cell.value, cell.data_type = EVIL, "s"
    wb.save(src)
    evaluate_file(src, load_config(config_file), tmp_path / "out")
    (result,) = (tmp_path / "out").glob("*.评估结果.xlsx")
    assert formula_cells(result) == []
    texts = [c.value for ws in load_workbook(result).worksheets for row in ws.iter_rows() for c in row]
    assert EVIL in texts
