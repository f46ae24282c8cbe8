"""Districts submit stamped workbooks; the city collects them (issue 3)."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.conftest import good_row, write_intake
from toolkit.cli.main import cli
from toolkit.core.uscc import make_uscc
from toolkit.errors import TicError
from toolkit.submission import collect_folder, submit_file


def district_rows(prefix: str, code: str, n: int = 3) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append(good_row(seq=i + 1, district=prefix, center_name=f"石家庄市{prefix}{i}号技术创新中心",
                             lead_uscc=make_uscc(f"91{code}MA0AB{i:04d}"), reg_place=f"石家庄市{prefix}某路{i}号"))
    return rows


def submit(tmp_path, config, district, rows, name=None):  # type: ignore[no-untyped-def]
    src = write_intake(tmp_path / (name or f"{district}-原表.xlsx"), rows)
    result = submit_file(src, district, config, tmp_path / "inbox", allow_errors=True)
    assert result.target is not None
    return result.target


def folder_digest(folder) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_submit_refuses_errors_unless_allowed(tmp_path, config):
    src = write_intake(tmp_path / "a.xlsx", [good_row(sales=10)])
    refused = submit_file(src, "长安区", config, tmp_path / "inbox")
    assert refused.target is None and refused.status == 1 and "--allow-errors" in refused.refused
    assert not (tmp_path / "inbox").exists()
    allowed = submit_file(src, "长安区", config, tmp_path / "inbox", allow_errors=True)
    assert allowed.target.name == "长安区-2026-申报汇总.xlsx"
    ws = load_workbook(allowed.target)["申报汇总"]
    assert [c.value for c in ws[3]][-2:] == ["区县校验结论", "区县校验问题"]
    assert ws.cell(row=4, column=ws.max_column - 1).value == "不符合"


def test_not_recommended_rows_are_kept_and_marked(tmp_path, config):
    target = submit(tmp_path, config, "长安区", [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心",
                                                                    key_field="新材料", recommend="否")])
    ws = load_workbook(target)["申报汇总"]
    assert [ws.cell(row=r, column=ws.max_column - 1).value for r in (4, 5)] == ["符合", "符合（不推荐）"]


def test_collect_valid_modified_missing_stale_duplicate_and_broken(tmp_path, config):
    a = submit(tmp_path, config, "长安区", district_rows("长安区", "130102"))
    b_rows = district_rows("桥西区", "130104")
    b_rows[2]["lead_uscc"] = make_uscc("91130102MA0AB0001")  # same lead + key field as 长安区 row 2
    b = submit(tmp_path, config, "桥西区", b_rows)
    # 桥西区 edits one number after submitting
    wb = load_workbook(b)
    ws = wb["申报汇总"]
    col = [c.value for c in ws[3]].index("上年度销售收入（万元）") + 1
    ws.cell(row=5, column=col, value=1999)
    wb.save(b)
    # an unchanged re-save through openpyxl keeps the stamp valid
    wb = load_workbook(a)
    wb.save(a)
    # a workbook never submitted, a stamp of another cycle, and broken files
    write_intake(tmp_path / "inbox" / "新华区-手工.xlsx", district_rows("新华区", "130105", 2))
    old_cfg = replace(config, year=2025, reference_date=date(2025, 3, 31))
    src = write_intake(tmp_path / "裕华区.xlsx", district_rows("裕华区", "130108", 2))
    submit_file(src, "裕华区", old_cfg, tmp_path / "inbox" / "旧")
    (tmp_path / "inbox" / "坏.xlsx").write_bytes(b"PK\x03\x04broken")
    (tmp_path / "inbox" / "表.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le")
    (tmp_path / "inbox" / "加密.xlsx").write_bytes(ole + b"\x00" * 2000)
    before = folder_digest(tmp_path / "inbox")

    out = tmp_path / "市局汇总.xlsx"
    report = collect_folder(tmp_path / "inbox", config, out)
    states = {f.rel: f.stamp_state for f in report.files if f.report.fatal is None}
    assert states == {"长安区-2026-申报汇总.xlsx": "valid", "桥西区-2026-申报汇总.xlsx": "modified",
                      "新华区-手工.xlsx": "missing", "旧/裕华区-2025-申报汇总.xlsx": "stale"}
    modified = next(f for f in report.file_findings if "被修改" in f.message)
    assert "第5行" in modified.message and modified.get("rows") == [5]
    unreadable = sorted(f.get("file") for f in report.file_findings if f.rule == "FILE.UNREADABLE")
    assert unreadable == ["加密.xlsx", "坏.xlsx", "表.csv"]
    reasons = {f.get("file"): f.get("reason") for f in report.file_findings if f.rule == "FILE.UNREADABLE"}
    assert reasons["加密.xlsx"] == "encrypted"
    dups = [(r.district, r.row) for r in report.rows if any(f.rule == "DATA.DUPLICATE" for f in r.findings)]
    assert sorted(dups) == [("桥西区", 6), ("长安区", 5)]
    sales_row = next(r for r in report.rows if r.district == "桥西区" and r.row == 5)
    assert {f.rule for f in sales_row.findings} == {"A10.2.SALES", "DATA.STAMP"}
    assert report.status == 2
    assert folder_digest(tmp_path / "inbox") == before

    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "统计", "问题清单"]
    assert wb["汇总"]["A3"].value == "序号" and wb["汇总"].cell(row=3, column=wb["汇总"].max_column).value == "批准建设"
    assert len(wb["统计"]._charts) == 1
    data = report.to_dict()
    assert {f["file"]: f["stamp"] for f in data["files"]}["桥西区-2026-申报汇总.xlsx"] == "modified"
    assert all("district" in r and "file" in r for r in data["rows"])


def test_rerun_is_identical_and_keeps_decisions(tmp_path, config):
    submit(tmp_path, config, "长安区", district_rows("长安区", "130102"))
    out = tmp_path / "市局汇总.xlsx"
    first = collect_folder(tmp_path / "inbox", config, out).to_dict()
    wb = load_workbook(out)
    ws = wb["汇总"]
    ws.cell(row=4, column=ws.max_column, value="是")
    ws.cell(row=5, column=ws.max_column, value="否")
    wb.save(out)
    time.sleep(0.01)
    again = collect_folder(tmp_path / "inbox", config, out)
    assert again.to_dict() == first
    assert again.kept_decisions == 2
    ws = load_workbook(out)["汇总"]
    assert [ws.cell(row=r, column=ws.max_column).value for r in (4, 5, 6)] == ["是", "否", None]


def test_an_application_twice_in_a_file_keeps_each_rows_decision(tmp_path, config):
    """Row 4 否 and row 5 是 for the same application twice: the re-run made row 4 是 (one key for both)."""
    rows = district_rows("长安区", "130102", 2)
    submit(tmp_path, config, "长安区", [rows[0], rows[0], rows[1]])
    out = tmp_path / "市局汇总.xlsx"
    collect_folder(tmp_path / "inbox", config, out)
    wb = load_workbook(out)
    ws = wb["汇总"]
    ws.cell(row=4, column=ws.max_column, value="否")
    ws.cell(row=5, column=ws.max_column, value="是")
    wb.save(out)
    collect_folder(tmp_path / "inbox", config, out)
    ws = load_workbook(out)["汇总"]
    assert [ws.cell(row=r, column=ws.max_column).value for r in (4, 5, 6)] == ["否", "是", None]


def test_second_submission_of_a_district_replaces_the_older(tmp_path, config):
    submit(tmp_path, config, "长安区", district_rows("长安区", "130102", 2))
    first = tmp_path / "inbox" / "长安区-2026-申报汇总.xlsx"
    (tmp_path / "inbox" / "早").mkdir()
    shutil.move(first, tmp_path / "inbox" / "早" / first.name)
    time.sleep(1.1)  # the stamp time has seconds
    submit(tmp_path, config, "长安区", district_rows("长安区", "130102", 3))
    report = collect_folder(tmp_path / "inbox", config)
    assert [f.rel for f in report.active] == ["长安区-2026-申报汇总.xlsx"]
    assert len(report.rows) == 3
    assert any("已被替代" in f.message for f in report.file_findings)
    assert not any("已没有" in f.message for f in report.file_findings)  # the newer file holds every earlier one


def test_a_resubmission_that_drops_an_application_names_it(tmp_path, config):
    """A resubmission without 石墨烯导热膜 said only that the first file was replaced."""
    rows = district_rows("长安区", "130102", 3)
    submit(tmp_path, config, "长安区", rows)
    first = tmp_path / "inbox" / "长安区-2026-申报汇总.xlsx"
    (tmp_path / "inbox" / "早").mkdir()
    shutil.move(first, tmp_path / "inbox" / "早" / first.name)
    time.sleep(1.1)
    submit(tmp_path, config, "长安区", rows[:2])
    report = collect_folder(tmp_path / "inbox", config)
    (note,) = [f.message for f in report.file_findings if "已被替代" in f.message]
    assert f"较新的文件中已没有1项此前报送的申报：{rows[2]['center_name']}" in note


def test_collect_cli_exit_and_json(tmp_path, config_file, config):
    submit(tmp_path, config, "长安区", district_rows("长安区", "130102"))
    result = CliRunner().invoke(cli, ["collect", str(tmp_path / "inbox"), "--config", str(config_file), "--out",
                                      str(tmp_path / "city.xlsx"), "--json", "-"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output[result.output.index("{"):])
    assert payload["report"] == "collect" and payload["files"][0]["stamp"] == "valid"


def test_formula_text_from_a_district_never_becomes_a_live_formula(tmp_path, config):
    evil = "=cmd|' /C calc'!A0"
    src = write_intake(tmp_path / "src.xlsx", district_rows("长安区", "130102", 1))
    wb = load_workbook(src)
    ws = wb.active
    col = [c.value for c in ws[3]].index("依托单位名称") + 1
    ws.cell(row=4, column=col).value = evil
    ws.cell(row=4, column=col).data_type = "s"  # typed as text in Excel (a leading apostrophe)
    wb.save(src)
    target = submit_file(src, "长安区", config, tmp_path / "inbox", allow_errors=True).target
    out = tmp_path / "city.xlsx"
    collect_folder(tmp_path / "inbox", config, out)
    for path, sheet in ((target, "申报汇总"), (out, "汇总")):
        ws = load_workbook(path)[sheet]
        cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
        assert {c.value for c in cells} >= {evil}
        assert all(c.data_type == "s" for c in cells), path
    report = collect_folder(tmp_path / "inbox", config)
    assert report.files[0].stamp_state == "valid"


def test_blank_row_inserted_or_row_deleted_after_submit_names_only_those(tmp_path, config):
    target = submit(tmp_path, config, "长安区", district_rows("长安区", "130102", 4))
    wb = load_workbook(target)
    ws = wb["申报汇总"]
    ws.insert_rows(5)  # a blank row between data rows: no value changed
    wb.save(target)
    report = collect_folder(tmp_path / "inbox", config)
    assert report.files[0].stamp_state == "valid"
    wb = load_workbook(target)
    ws = wb["申报汇总"]
    ws.delete_rows(7)  # the third application removed
    wb.save(target)
    report = collect_folder(tmp_path / "inbox", config)
    (finding,) = [f for f in report.file_findings if "被修改" in f.message]
    assert finding.get("rows") == [] and finding.get("removed_rows") == [6]
    assert "删除了报送时的第6行" in finding.message


def test_resubmitting_says_it_replaced_the_earlier_file(tmp_path, config):
    submit(tmp_path, config, "长安区", district_rows("长安区", "130102", 2))
    src = write_intake(tmp_path / "again.xlsx", district_rows("长安区", "130102", 3))
    result = submit_file(src, "长安区", config, tmp_path / "inbox")
    assert result.replaced and result.target.name == "长安区-2026-申报汇总.xlsx"


def test_a_refused_submission_says_so_in_its_json(tmp_path, config_file):
    src = write_intake(tmp_path / "长安区.xlsx", district_rows("长安区", "130102"))
    result = CliRunner().invoke(cli, ["submit", str(src), "--district", "桥西区", "--out", str(tmp_path / "inbox"),
                                      "--config", str(config_file), "--json", "-"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout[result.stdout.index("{"):])
    sub = payload["submission"]
    assert sub["submitted"] is False and sub["file"] is None and "桥西区" in sub["refused"]
    ok = CliRunner().invoke(cli, ["submit", str(src), "--district", "长安区", "--out", str(tmp_path / "inbox"),
                                  "--config", str(config_file), "--json", "-"])
    assert ok.exit_code == 0
    sub = json.loads(ok.stdout[ok.stdout.index("{"):])["submission"]
    assert sub == {"district": "长安区", "submitted": True, "file": "长安区-2026-申报汇总.xlsx", "refused": None,
                   "replaced": None}


def test_submitting_for_another_district_is_refused_and_replaces_nothing(tmp_path, config):
    """Rows that all name 长安区 submitted with --district 高新区 would be relabelled and replace 高新区's own
    submission: refused in one sentence, nothing written; rows of both districts keep the warning."""
    target = submit(tmp_path, config, "高新区", district_rows("高新区", "130171"))
    before = folder_digest(tmp_path / "inbox")
    src = write_intake(tmp_path / "长安区-原表.xlsx", district_rows("长安区", "130102"))
    result = submit_file(src, "高新区", config, tmp_path / "inbox", allow_errors=True)
    assert result.target is None and result.status == 1
    assert "各行填写的县（市、区）为长安区，与 --district 指定的石家庄高新技术产业开发区不一致" in result.refused
    assert folder_digest(tmp_path / "inbox") == before and target.exists()
    mixed = district_rows("长安区", "130102", 2) + district_rows("高新区", "130171", 1)
    result = submit_file(write_intake(tmp_path / "混合.xlsx", mixed), "长安区", config, tmp_path / "inbox2")
    assert result.target is not None
    assert any("表中有其他县（市、区）的申报（石家庄高新技术产业开发区）" in f.message for f in result.report.file_findings)
    # at the city: the row of 高新区 in 长安区's file is collected under 长安区 and says so (it was silently relabelled)
    collected = collect_folder(tmp_path / "inbox2", config)
    marked = [r for r in collected.active[0].report.rows if any(f.rule == "DATA.STAMP" and f.field == "district"
                                                                 for f in r.findings)]
    assert len(marked) == 1 and "与报送单位长安区不一致" in marked[0].findings[-1].message


def test_submitting_into_the_folder_of_the_original_never_overwrites_it(tmp_path, config):
    folder = tmp_path / "same"
    folder.mkdir()
    src = write_intake(folder / "长安区-2026-申报汇总.xlsx", district_rows("长安区", "130102"))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    runner = CliRunner()
    config_file = tmp_path / "tic.toml"
    config_file.write_text('[cycle]\nyear = 2026\nreference_date = 2026-03-31\n', encoding="utf-8")
    done = runner.invoke(cli, ["submit", str(src), "--district", "长安区", "--out", str(folder), "--config",
                               str(config_file), "--allow-errors"])
    assert done.exit_code == 2, done.output
    assert "它就是要报送的原文件，为免覆盖原文件未做任何处理" in done.output
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


def test_a_stamp_with_numbers_out_of_range_is_unreadable_not_a_crash(tmp_path, config):
    """Row numbers and the year in 报送标记 written as 1E+400 (infinity) made collect stop with a traceback:
    the stamp reads as missing and the other files are collected."""
    import re
    import zipfile

    bad = submit(tmp_path, config, "长安区", district_rows("长安区", "130102"))
    good = submit(tmp_path, config, "桥西区", district_rows("桥西区", "130104"))
    member = f"xl/worksheets/sheet{load_workbook(bad).sheetnames.index('报送标记') + 1}.xml"
    with zipfile.ZipFile(bad) as zin:
        items = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == member:
                data, n = re.subn(rb'(<c r="[AB]\d+"[^>]*><v>)\d+(</v>)', rb"\g<1>1E+400\g<2>", data)
                assert n >= 3
            zout.writestr(name, data)
    report = collect_folder(tmp_path / "inbox", config, tmp_path / "市局汇总.xlsx")
    states = {f.rel: f.stamp_state for f in report.files}
    assert states == {bad.name: "missing", good.name: "valid"}


def test_other_files_in_the_inbox_are_named_not_silently_skipped(tmp_path, config):
    target = submit(tmp_path, config, "长安区", district_rows("长安区", "130102"))
    target.with_suffix(".json").write_text("{}", encoding="utf-8")  # submit's own report beside it: not named
    (tmp_path / "inbox" / "说明.docx").write_bytes(b"PK\x03\x04 a letter")
    (tmp_path / "inbox" / "说明.txt").write_text("放各区县的报送文件", encoding="utf-8")  # the cycle folder's own note
    report = collect_folder(tmp_path / "inbox", config, tmp_path / "市局汇总.xlsx")
    named = [f.message for f in report.file_findings if "不是 Excel 工作簿" in f.message]
    assert named == ["“说明.docx”不是 Excel 工作簿，未汇总"]
    import pytest

    with pytest.raises(TicError, match="是一个文件而不是文件夹"):
        collect_folder(target, config, tmp_path / "x.xlsx")


def test_submit_and_ledger_export_never_overwrite_a_workbook_the_clerk_made(tmp_path, config, config_file):  # type: ignore[no-untyped-def]
    """tic submit replaced any workbook at its output name; tic ledger export -o replaced the clerk's own 中心台账
    (same sheets) and said it had replaced an earlier export."""
    import pytest
    from openpyxl import Workbook

    from toolkit.resources import samples_dir

    out = tmp_path / "out"
    out.mkdir()
    mine = out / "长安区-2026-申报汇总.xlsx"
    wb = Workbook()
    wb.active["A1"] = "区县自己的表"
    wb.save(mine)
    before = mine.read_bytes()
    source = write_intake(tmp_path / "申报.xlsx", [good_row()])
    with pytest.raises(TicError, match="不是 tic submit 生成的报送文件"):
        submit_file(source, "长安区", config, out)
    assert mine.read_bytes() == before
    mine.unlink()
    submit_file(source, "长安区", config, out)
    assert submit_file(source, "长安区", config, out).status == 0  # its own earlier submission is replaced

    own = tmp_path / "中心台账.xlsx"
    shutil.copyfile(samples_dir() / "中心台账.xlsx", own)
    runner = CliRunner()
    assert runner.invoke(cli, ["ledger", "import", str(own), "--config", str(config_file)]).exit_code == 0
    kept = own.read_bytes()
    refused = runner.invoke(cli, ["ledger", "export", "-o", str(own), "--config", str(config_file)])
    assert refused.exit_code == 2 and "为免覆盖" in refused.output and own.read_bytes() == kept
    target = tmp_path / "导出.xlsx"
    assert runner.invoke(cli, ["ledger", "export", "-o", str(target), "--config", str(config_file)]).exit_code == 0
    again = runner.invoke(cli, ["ledger", "export", "-o", str(target), "--config", str(config_file)])
    assert again.exit_code == 0 and "替换了此前导出的文件" in again.output


def test_a_header_renamed_in_the_city_workbook_stops_before_any_decision_is_lost(tmp_path, config):  # type: ignore[no-untyped-def]
    """B3 renamed 所属区县 by hand: tic collect ended in KeyError (a traceback); a renamed 批准建设 or 拟建中心名称
    would have dropped every decision typed in."""
    import pytest

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    submit_file(write_intake(tmp_path / "a.xlsx", [good_row()]), "长安区", config, inbox)
    city = tmp_path / "市局汇总.xlsx"
    collect_folder(inbox, config, city)
    for cell, label in (("B3", "所属区县"), ("G3", "中心名称")):
        wb = load_workbook(city)
        ws = wb["汇总"]
        original = ws[cell].value
        ws.cell(row=4, column=ws.max_column, value="是")
        ws[cell] = label
        wb.save(city)
        before = city.read_bytes()
        with pytest.raises(TicError, match=f"缺少“{original}”列"):
            collect_folder(inbox, config, city)
        assert city.read_bytes() == before
        wb = load_workbook(city)
        wb["汇总"][cell] = original
        wb.save(city)
    assert collect_folder(inbox, config, city).kept_decisions == 1


@pytest.mark.parametrize("raw", [b"1e309", b"NaN"])
def test_a_number_excel_cannot_hold_never_reads_as_changed_after_submitting(tmp_path, config, raw):  # type: ignore[no-untyped-def]
    """<v>1e309</v> was written empty into the submission: collect then said the row had been changed after
    stamping (报送标记：校验后被修改), though nobody touched it."""
    import re
    import zipfile

    source = write_intake(tmp_path / "a.xlsx", [good_row()])
    with zipfile.ZipFile(source) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    cell = re.search(rb'<c r="K4"[^>]*>.*?</c>', sheet).group(0)
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(cell, b'<c r="K4"><v>' + raw + b"</v></c>")
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    submitted = submit_file(source, "长安区", config, inbox, allow_errors=True)
    assert submitted.target is not None
    collected = collect_folder(inbox, config)
    (item,) = collected.files
    assert item.stamp_state == "valid", [f.message for f in collected.file_findings]
