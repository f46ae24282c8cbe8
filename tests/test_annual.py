"""rules.md part B: the annual report row checks, the deadline, and the annual check of a real workbook."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from toolkit.adapters.ledger import open_ledger
from toolkit.adapters.ledger_workbook import (
    check_annual_file,
    import_ledger_workbook,
    write_annual_template,
)
from toolkit.core import annual
from toolkit.core.annual import KnownCenter, check_row, check_rows, submission_issues
from toolkit.core.config import Config, config_from_dict
from toolkit.resources import samples_dir

CID = "SJZTIC-2020-001"
KEYS = [f.key for f in annual.FIELDS]


@dataclass
class Raw:
    values: dict[str, Any]
    row: int = 4
    cells: dict[str, str] = field(default_factory=dict)
    formula_missing: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.cells = {k: f"{chr(65 + i)}{self.row}" for i, k in enumerate(KEYS)}


def cfg(ref: date = date(2026, 6, 30), tmp: Path | None = None) -> Config:
    data: dict[str, Any] = {"cycle": {"year": 2026, "reference_date": ref}}
    if tmp is not None:
        data["ledger"] = {"path": str(tmp / "tic-ledger.sqlite")}
    return config_from_dict(data, base_dir=tmp)


def good(**changes: Any) -> dict[str, Any]:
    row = {"center_id": CID, "center_name": "石家庄市生物发酵工程技术创新中心", "year": 2025,
           "submitted_on": datetime(2026, 3, 10), "mgmt_meetings": 2, "tsc_members": 9, "tsc_internal": 3,
           "tsc_chair_external": "是", "tsc_meetings": 1, "director": "孙国栋", "director_birth": datetime(1970, 5, 5),
           "director_other": "否", "director_months": 10, "admin_staff": 2, "instruments_shared": "是",
           "fixed_staff": 40, "rd_spend": 500}
    row.update(changes)
    return row


def rules_of(values: dict[str, Any], config: Config | None = None, centers=None) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in check_row(Raw(values), config or cfg(), centers).findings]


def test_a_good_report_has_no_findings() -> None:
    result = check_row(Raw(good()), cfg())
    assert result.findings == [] and result.verdict.value == "eligible" and result.recordable


@pytest.mark.parametrize(("submitted", "found"), [(datetime(2026, 3, 31), []), ("2026/4/1", ["A29.SUBMITTED"]),
                                                  ("2026年3月31日", [])],
                         ids=["on-deadline-day", "one-day-late-as-text", "deadline-as-chinese-text"])
def test_report_on_the_deadline_day_is_on_time(submitted: Any, found: list[str]) -> None:
    assert rules_of(good(submitted_on=submitted)) == found


def test_late_report_message_names_both_dates() -> None:
    f = check_row(Raw(good(submitted_on="2026-04-08")), cfg()).findings[0]
    assert (f.rule, f.severity.value, f.cell, f.article) == ("A29.SUBMITTED", "error", "E4",
                                                            "第二十九条、第三十八条第（一）项")
    assert "2026年4月8日" in f.message and "2026年3月31日" in f.message


@pytest.mark.parametrize(("ref", "severity"), [(date(2026, 3, 31), "warning"), (date(2026, 4, 1), "error")])
def test_a_late_report_is_an_error_only_when_the_reference_date_is_past_the_deadline(ref: date, severity: str) -> None:
    """As tic decide reads A38.1: with the reference date on the deadline day a report dated later had not
    been received and was not yet due; the row says so (a warning) instead of 视为未按时报送."""
    f = check_row(Raw(good(submitted_on="2026-04-08")), cfg(ref)).findings[0]
    assert (f.rule, f.severity.value) == ("A29.SUBMITTED", severity)
    assert ("处置决定暂不按第三十八条第（一）项处理" in f.message) is (severity == "warning")
    centers = [KnownCenter("B", "乙", approved_year=2020)]
    issue = submission_issues(centers, {("B", 2025): date(2026, 4, 8)}, 2025, cfg(ref))[0].finding()
    assert issue.severity.value == severity


@pytest.mark.parametrize(("ref", "severity"), [(date(2026, 3, 31), "warning"), (date(2026, 4, 1), "error")])
def test_not_submitted_is_an_error_only_after_the_deadline(ref: date, severity: str) -> None:
    result = check_row(Raw(good(submitted_on=None, tsc_members=None)), cfg(ref))
    assert [(f.rule, f.severity.value) for f in result.findings] == [("A29.SUBMITTED", severity)]


@pytest.mark.parametrize(("members", "ok"), [(6, False), (7, True), (11, True), (12, False)])
def test_steering_committee_has_7_to_11_members(members: int, ok: bool) -> None:
    found = rules_of(good(tsc_members=members, tsc_internal=2))
    assert ("A15.TSC-SIZE" not in found) is ok


@pytest.mark.parametrize(("members", "internal", "ok"),
                         [(9, 3, True), (9, 4, False), (10, 3, True), (7, 3, False), (11, 3, True), (11, 4, False)])
def test_at_most_a_third_from_lead_and_co_builders_in_integers(members: int, internal: int, ok: bool) -> None:
    found = rules_of(good(tsc_members=members, tsc_internal=internal))
    assert ("A15.TSC-INTERNAL" not in found) is ok


@pytest.mark.parametrize(("chair", "ok"), [("是", True), ("√", True), ("否", False), ("×", False)])
def test_chair_is_an_outside_expert(chair: str, ok: bool) -> None:
    assert ("A15.TSC-CHAIR" not in rules_of(good(tsc_chair_external=chair))) is ok


def test_committees_must_meet() -> None:
    assert rules_of(good(mgmt_meetings=0, tsc_meetings="0次")) == ["A14.MGMT-MEETING", "A15.TSC-MEETING"]


@pytest.mark.parametrize(("birth", "ok"), [(datetime(1965, 7, 1), True), (datetime(1965, 6, 30), False),
                                           (datetime(1964, 12, 31), False)],
                         ids=["60-on-the-reference-date", "61-on-it-that-day", "61-at-the-report-years-end"])
def test_director_age_on_the_reference_date_as_in_part_a(birth: datetime, ok: bool) -> None:
    """rules.md B: A16 as in part A, on the reference date (2026-06-30 here), not the report year's end."""
    findings = rules_of(good(director_birth=birth))
    assert ("A16.DIRECTOR-AGE" not in findings) is ok


@pytest.mark.parametrize(("months", "ok"), [(8, True), ("7.5", False), ("8个月", True)])
def test_director_months(months: Any, ok: bool) -> None:
    assert ("A16.DIRECTOR-MONTHS" not in rules_of(good(director_months=months))) is ok


def test_director_heading_another_platform() -> None:
    assert rules_of(good(director_other="是")) == ["A16.DIRECTOR-OTHER"]


@pytest.mark.parametrize(("value", "found"), [("是", []), ("无大型仪器", []), ("无", []), ("否", ["A20.SHARING"])])
def test_instrument_sharing_is_a_warning(value: str, found: list[str]) -> None:
    result = check_row(Raw(good(instruments_shared=value)), cfg())
    assert [f.rule for f in result.findings] == found
    assert result.verdict.value == ("review" if found else "eligible")


def test_no_full_time_administrator_is_a_warning() -> None:
    result = check_row(Raw(good(admin_staff=0)), cfg())
    assert [(f.rule, f.severity.value) for f in result.findings] == [("A19.ADMIN-STAFF", "warning")]


def test_empty_and_unreadable_values_name_what_they_block() -> None:
    result = check_row(Raw(good(tsc_members=None, director_months="八个月")), cfg())
    assert [(f.rule, f.cell) for f in result.findings] == [("DATA.REQUIRED", "G4"), ("DATA.TYPE", "N4")]
    assert "无法核验第十五条" in result.findings[0].message


def test_a_formula_without_value_is_reported_not_read_as_empty() -> None:
    raw = Raw(good(tsc_internal=None))
    raw.formula_missing = {"tsc_internal"}
    assert rules_of_raw(raw) == ["DATA.FORMULA"]


def rules_of_raw(raw: Raw) -> list[str]:
    return [f.rule for f in check_row(raw, cfg()).findings]


def test_centers_unknown_to_the_ledger_cannot_be_recorded() -> None:
    centers = {CID: KnownCenter(CID, "石家庄市生物发酵工程技术创新中心", approved_year=2020)}
    result = check_row(Raw(good(center_id="SJZTIC-2099-001")), cfg(), centers)
    assert [f.rule for f in result.findings] == ["DATA.TYPE"] and not result.recordable
    by_name = check_row(Raw(good(center_id=None)), cfg(), centers)
    assert by_name.center_id == CID and by_name.recordable
    assert [(f.rule, f.severity.value) for f in by_name.findings] == [("DATA.REQUIRED", "warning")]


def test_same_center_and_year_twice_is_a_duplicate_on_both_rows() -> None:
    results = check_rows([Raw(good(), row=4), Raw(good(), row=5)], cfg())
    assert [[f.rule for f in r.findings] for r in results] == [["DATA.DUPLICATE"], ["DATA.DUPLICATE"]]


def test_submission_issues_missing_pending_late_and_not_due() -> None:
    centers = [KnownCenter("A", "甲", approved_year=2020), KnownCenter("B", "乙", approved_year=2020),
               KnownCenter("C", "丙", approved_year=2026), KnownCenter("D", "丁", "撤销", 2020, 2026),
               KnownCenter("E", "戊", "撤销", 2020, 2024), KnownCenter("F", "己", approved_year=2021)]
    received = {("B", 2025): date(2026, 4, 1), ("F", 2025): date(2026, 3, 31)}
    issues = submission_issues(centers, received, 2025, cfg())
    assert [(i.center_id, i.state) for i in issues] == [("A", "missing"), ("B", "late"), ("D", "missing")]
    pending = submission_issues(centers, received, 2025, cfg(date(2026, 3, 31)))
    assert [(i.center_id, i.state) for i in pending] == [("A", "pending"), ("B", "late"), ("D", "pending")]
    assert pending[0].finding().severity.value == "warning" and issues[0].finding().severity.value == "error"


# ------------------------------------------------------------------ the annual check of files


@pytest.fixture
def sample_ledger(tmp_path: Path) -> Config:
    config = cfg(tmp=tmp_path)
    import_ledger_workbook(config, samples_dir() / "中心台账.xlsx")
    return config


def test_sample_annual_workbook_finds_the_planted_breaches(sample_ledger: Config, tmp_path: Path) -> None:
    src = tmp_path / "年度报告汇总表-2025.xlsx"
    shutil.copy(samples_dir() / "年度报告汇总表-2025.xlsx", src)
    before = src.read_bytes()
    report = check_annual_file(sample_ledger, src)
    data = report.to_dict()
    found = {(r["center_id"], f["rule"]) for r in data["rows"] for f in r["findings"]}
    assert {("SJZTIC-2019-001", "A15.TSC-INTERNAL"), ("SJZTIC-2020-001", "A15.TSC-CHAIR"),
            ("SJZTIC-2020-003", "A16.DIRECTOR-AGE"), ("SJZTIC-2021-002", "A29.SUBMITTED"),
            ("SJZTIC-2022-001", "A20.SHARING"), ("SJZTIC-2024-002", "A19.ADMIN-STAFF")} <= found
    assert not any(f["rule"] == "A29.SUBMITTED" for r in data["rows"] if r["center_id"] == "SJZTIC-2023-001"
                   for f in r["findings"])
    assert [(i["center_id"], i["state"]) for i in data["submissions"]] == [
        ("SJZTIC-2021-002", "late"), ("SJZTIC-2022-002", "missing")]
    assert data["report"] == "annual" and report.status == 1
    assert json.loads(json.dumps(data)) == data
    assert src.read_bytes() == before  # the input is never modified
    out = load_workbook(report.output)
    assert "未报送或逾期" in out.sheetnames
    listing = [r for r in out["未报送或逾期"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in listing] == ["SJZTIC-2021-002", "SJZTIC-2022-002"]
    ws = out["年度报告汇总"]
    assert ws["H7"].comment is not None and "第十五条" in ws["H7"].comment.text
    assert ws["H7"].fill.fgColor.rgb.endswith("FFC7CE")


def test_annual_check_records_receipt_dates_and_is_idempotent(tmp_path: Path) -> None:
    config = cfg(tmp=tmp_path)
    _ledger_with(config, [("SJZTIC-2020-001", 2020), ("SJZTIC-2020-002", 2020), ("SJZTIC-2026-001", 2026)])
    path = _annual_file(tmp_path / "年报.xlsx", [good(), good(center_id="SJZTIC-2020-002", submitted_on="2026.4.2")])
    first = check_annual_file(config, path, tmp_path / "out")
    assert len(first.recorded) == 2
    with open_ledger(config, command="t", write=False) as led:
        rows = [tuple(r) for r in led.conn.execute("SELECT center_id, year, submitted_on, source FROM annual_reports")]
        audit = led.conn.execute("SELECT count(*) FROM audit WHERE action = '登记年报报送日期'").fetchone()[0]
    assert sorted(rows) == [("SJZTIC-2020-001", 2025, "2026-03-10", "年报.xlsx"),
                            ("SJZTIC-2020-002", 2025, "2026-04-02", "年报.xlsx")]
    assert audit == 2
    assert [(i.center_id, i.state) for i in first.issues] == [("SJZTIC-2020-002", "late")]
    second = check_annual_file(config, path, tmp_path / "out")
    assert second.recorded == []


def test_a_receipt_date_typed_as_a_serial_number_in_a_1904_workbook_is_the_date_excel_shows(tmp_path: Path) -> None:
    """A General cell holding 44268 in a workbook of the 1904 date system is 2025-03-15 (on time), not 2021-03-14."""
    config = cfg(tmp=tmp_path)
    _ledger_with(config, [("SJZTIC-2020-001", 2020)])
    serial = (date(2025, 3, 15) - date(1904, 1, 1)).days
    path = _annual_file(tmp_path / "年报.xlsx", [good(submitted_on=serial)], date1904=True)
    report = check_annual_file(config, path, tmp_path / "out")
    assert _receipts(config) == {("SJZTIC-2020-001", 2025): "2025-03-15"} and report.issues == []


def test_a_center_without_a_row_is_listed_as_missing(tmp_path: Path) -> None:
    config = cfg(tmp=tmp_path)
    _ledger_with(config, [("SJZTIC-2020-001", 2020), ("SJZTIC-2020-002", 2020)])
    report = check_annual_file(config, _annual_file(tmp_path / "年报.xlsx", [good()]), tmp_path)
    assert [(f.rule, f.get("center_id")) for f in report.file_findings] == [("A29.SUBMITTED", "SJZTIC-2020-002")]
    assert report.status == 1


def test_unreadable_annual_file_gives_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "年报.xlsx"
    bad.write_text("中心编号,报告年度\n", encoding="utf-8")
    report = check_annual_file(cfg(tmp=tmp_path), bad)
    assert report.status == 2 and report.to_dict()["rows"] == []
    assert report.to_dict()["file_findings"][0]["rule"] == "FILE.UNREADABLE"


def test_blank_annual_template_reads_back_with_the_ledger_centers(sample_ledger: Config, tmp_path: Path) -> None:
    path = write_annual_template(tmp_path / "blank.xlsx", sample_ledger)
    report = check_annual_file(sample_ledger, path, tmp_path, record=False)
    assert report.table is not None and report.table.template_version == "annual-1"
    ids = [r.center_id for r in report.rows]
    assert "SJZTIC-2018-002" not in ids and "SJZTIC-2024-002" in ids and len(ids) == 17
    assert report.file_findings == [] or all(f.rule == "A29.SUBMITTED" for f in report.file_findings)


def _ledger_with(config: Config, centers: list[tuple[str, int]]) -> None:
    with open_ledger(config, command="test") as led:
        for cid, year in centers:
            led.conn.execute("INSERT INTO centers (center_id, name, lead_name, approved_year, created_at, updated_at)"
                             " VALUES (?, ?, '某公司', ?, 'x', 'x')", (cid, f"石家庄市{cid}技术创新中心", year))


def _annual_file(path: Path, rows: list[dict[str, Any]], date1904: bool = False) -> Path:
    wb = Workbook()
    if date1904:  # old Mac Excel
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "年度报告汇总"
    ws.append(["2025年度石家庄市技术创新中心年度报告汇总表"])
    ws.append([f.header for f in annual.FIELDS if f.key != "seq"])
    for r in rows:
        r = {**r, "center_name": f"石家庄市{r['center_id']}技术创新中心"}
        ws.append([r.get(f.key) for f in annual.FIELDS if f.key != "seq"])
    wb.save(path)
    return path


# ------------------------------------------------------------------ found by an audit of the annual flow


def _receipts(config: Config) -> dict[tuple[str, int], str | None]:
    with open_ledger(config, command="t", write=False) as led:
        return {(r[0], r[1]): r[2] for r in led.conn.execute("SELECT center_id, year, submitted_on FROM annual_reports")}


def test_a_row_for_another_year_never_overwrites_that_years_receipt(tmp_path: Path) -> None:
    """A 2024 typo overwrote the center's on-time 2024 receipt (2025-03-13 → 2026-03-03, then 逾期); a 2026 row
    was recorded as a 2026 report received before that year ended."""
    config = cfg(tmp=tmp_path)
    _ledger_with(config, [("SJZTIC-2020-001", 2020), ("SJZTIC-2020-002", 2020)])
    with open_ledger(config, command="t") as led:
        led.conn.execute("INSERT INTO annual_reports VALUES ('SJZTIC-2020-001', 2024, '2025-03-13', NULL)")
    path = _annual_file(tmp_path / "年报.xlsx", [good(year=2024), good(center_id="SJZTIC-2020-002", year=2026)])
    report = check_annual_file(config, path, tmp_path / "out")
    assert _receipts(config) == {("SJZTIC-2020-001", 2024): "2025-03-13"}
    assert all(any(f.rule == "DATA.TYPE" and f.field == "year" for f in r.findings) for r in report.rows)
    assert report.status == 1


def test_a_center_twice_or_with_an_unreadable_date_is_not_called_missing(tmp_path: Path) -> None:
    """Two identical rows (or 报送日期 "3月5日") made the center "未报送" and tic decide revoked it."""
    config = cfg(tmp=tmp_path)
    _ledger_with(config, [("SJZTIC-2020-001", 2020), ("SJZTIC-2020-002", 2020), ("SJZTIC-2020-003", 2020)])
    path = _annual_file(tmp_path / "年报.xlsx", [good(), good(), good(center_id="SJZTIC-2020-002", submitted_on="3月5日"),
                                                good(center_id="SJZTIC-2020-003", submitted_on="2026-03-01"),
                                                good(center_id="SJZTIC-2020-003", submitted_on="2026-03-02")])
    report = check_annual_file(config, path, tmp_path / "out")
    assert _receipts(config) == {("SJZTIC-2020-001", 2025): "2026-03-10"}  # the two rows agree: recorded once
    assert [(i.center_id, i.state) for i in report.issues] == []  # 002 and 003: their rows say what is wrong
    assert any(f.rule == "DATA.TYPE" and f.field == "submitted_on" for f in report.rows[2].findings)
    assert any(f.rule == "DATA.DUPLICATE" for f in report.rows[3].findings)


def test_no_date_column_records_nothing_and_calls_no_one_missing(tmp_path: Path) -> None:
    config = cfg(tmp=tmp_path)
    _ledger_with(config, [("SJZTIC-2020-001", 2020), ("SJZTIC-2020-002", 2020)])
    path = _annual_file(tmp_path / "年报.xlsx", [good()])
    wb = load_workbook(path)
    ws = wb.active
    for cell in ws[2]:
        if cell.value == next(f.header for f in annual.FIELDS if f.key == "submitted_on"):
            cell.value = "收文日期"
    wb.save(path)
    report = check_annual_file(config, path, tmp_path / "out")
    assert _receipts(config) == {} and report.issues == []
    assert not any(f.rule == "A29.SUBMITTED" for r in report.rows for f in r.findings)
    assert any(f.rule == "DATA.HEADER" and "报送日期" in f.message for f in report.file_findings)


def test_article_16_thresholds_are_the_intake_schemas_and_the_messages_say_them() -> None:
    """The annual check had its own 60 and 8 (and wrote them into its messages): the intake schema holds Art. 16's
    thresholds for both checks."""
    from toolkit.adapters.schema_check import annual_limits

    limits = annual_limits(cfg())
    assert (limits.max_age, limits.min_months) == (60, 8)  # the schema's A16 thresholds
    old = good(director_birth=datetime(1962, 5, 5), director_months=7)  # 64 on 2026-06-30
    assert {"A16.DIRECTOR-AGE", "A16.DIRECTOR-MONTHS"} <= set(rules_of(old))
    looser = annual.AnnualLimits(max_age=65, min_months=6)
    assert check_row(Raw(old), cfg(), limits=looser).findings == []
    (f,) = check_row(Raw(good(director_birth=datetime(1955, 5, 5))), cfg(), limits=looser).findings
    assert "超过65周岁" in f.message
