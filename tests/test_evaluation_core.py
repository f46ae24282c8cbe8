"""The evaluation rules of rules.md part C, on plain records (no workbook)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from toolkit.core.config import DEFAULT_DIMENSIONS, Config, EvaluationConfig
from toolkit.core.evaluation import (
    Declaration,
    EvaluationInput,
    EvaluationResult,
    Expert,
    Person,
    RosterCenter,
    ScoreRow,
    competition_ranks,
    evaluate,
    median,
    round1,
)
from toolkit.core.names import mask_id, normalise_org_name
from toolkit.core.uscc import make_uscc

DIMS = list(DEFAULT_DIMENSIONS)
GOOD = (12, 16, 24, 16, 12)  # 80
LEAD_USCC = make_uscc("91130104MA0A00001")
PARTNER_USCC = make_uscc("12130000400000001")
OTHER_USCC = make_uscc("91130105MA0B00002")
ROOT = Path(__file__).resolve().parent.parent


def config(**evaluation: object) -> Config:
    return Config(year=2026, reference_date=date(2026, 3, 31), evaluation=EvaluationConfig(**evaluation))


def center(cid: str = "C1", lead: str = "石家庄康瑞药业股份有限公司", lead_uscc: str = "", partners: tuple = (),
           partner_usccs: tuple = (), status: object = "参评", row: int = 4) -> RosterCenter:
    return RosterCenter(cid, f"石家庄市{cid}技术创新中心", lead, lead_uscc, tuple(partners), tuple(partner_usccs),
                        "长安区", status, row, {"center_id": f"A{row}", "status": f"H{row}"})


def expert(eid: str, unit: str | None = None, uscc: str = "", id_number: str = "", name: str | None = None,
           region: str = "省内", category: str = "同行专家") -> Expert:
    return Expert(eid, name or f"专家{eid}", id_number, unit if unit is not None else f"{eid}大学", uscc, region,
                  "", category, row=int(eid[1:]) + 3, cells={"expert_id": f"A{int(eid[1:]) + 3}"})


def panel(n: int = 7) -> list[Expert]:
    """n experts with a valid mix (省内/省外, 同行/管理)."""
    return [expert(f"E{i:02d}", region="省内" if i % 2 else "省外", category="管理专家" if i % 3 == 0 else "同行专家")
            for i in range(1, n + 1)]


_row = iter(range(4, 100000))


def score(cid: str, eid: str, dims: tuple = GOOD, total: object = None, recuse: object = None,
          formula_missing: bool = False) -> ScoreRow:
    r = next(_row)
    cells = {"center_id": f"A{r}", "expert_id": f"B{r}", "total": f"H{r}", "recuse": f"I{r}"}
    cells.update({d: f"{'CDEFG'[i]}{r}" for i, d in enumerate(DIMS)})
    return ScoreRow(cid, eid, dict(zip(DIMS, dims, strict=True)), total, formula_missing, recuse, "", r, cells)


def run(centers: list[RosterCenter], experts: list[Expert], scores: list[ScoreRow], personnel: tuple = (),
        declarations: tuple = (), **evaluation: object) -> EvaluationResult:
    data = EvaluationInput(centers=centers, experts=experts, scores=scores, personnel=list(personnel),
                           declarations=list(declarations))
    return evaluate(data, config(**evaluation))


def full(cid: str, experts: list[Expert], dims: tuple = GOOD, **kw: object) -> list[ScoreRow]:
    return [score(cid, e.expert_id, dims, **kw) for e in experts]


def rules(findings) -> list[tuple[str, str | None]]:  # noqa: ANN001
    return [(f.rule, f.get("expert_id")) for f in findings if f.severity.value != "info"]


# ------------------------------------------------------------------ purity and names

def test_core_imports_no_io_library() -> None:
    code = ("import sys, toolkit.core.evaluation, toolkit.core.names;"
            "bad = [m for m in ('openpyxl', 'click', 'sqlite3', 'jsonschema', 'docxtpl', 'xlwings') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("a", "b", "same"), [
    ("河北康瑞药业（集团）有限公司", "河北康瑞药业(集团)有限公司", True),
    ("河北康瑞药业〔集团〕有限公司", "河北康瑞药业（集团）有限公司", True),
    ("河北 科技大学", "河北科技大学\u3000", True),
    ("石家庄康瑞医药有限公司", "石家庄康瑞药业股份有限公司", False),
    ("河北科技大学", "河北科技大学附属医院", False),
], ids=["bracket-width", "official-brackets", "white-space", "look-alike", "substring"])
def test_normalise_org_name(a: str, b: str, same: bool) -> None:
    assert (normalise_org_name(a) == normalise_org_name(b)) is same


def test_mask_id_keeps_last_four() -> None:
    assert mask_id("13010219800921131x") == "*" * 14 + "131X"
    assert mask_id("123") == "***"
    assert mask_id(None) == ""


# ------------------------------------------------------------------ recusal (Art. 33)

def _only(result: EvaluationResult, cid: str = "C1"):  # noqa: ANN202
    return next(c for c in result.centers if c.center.center_id == cid)


def test_lead_by_uscc_when_names_differ() -> None:
    experts = [*panel(6), expert("E07", unit="华芯研究院", uscc=LEAD_USCC)]
    c = _only(run([center(lead_uscc=LEAD_USCC)], experts, full("C1", experts)))
    assert [(e.expert_id, e.rule, e.matched_by, e.declared) for e in c.exclusions] == [("E07", "A33.LEAD", "uscc", False)]
    assert rules(c.findings) == [("A33.UNDECLARED", "E07")]
    assert c.valid_experts == 6 and c.grade == "合格"


def test_equal_names_but_different_usccs_do_not_match() -> None:
    experts = [*panel(6), expert("E07", unit="石家庄康瑞药业股份有限公司", uscc=OTHER_USCC)]
    c = _only(run([center(lead_uscc=LEAD_USCC)], experts, full("C1", experts)))
    assert c.exclusions == [] and c.valid_experts == 7


def test_lead_by_normalised_name_bracket_width_only() -> None:
    experts = [*panel(6), expert("E07", unit="石家庄康瑞药业（集团）股份有限公司")]
    c = _only(run([center(lead="石家庄康瑞药业(集团)股份有限公司", lead_uscc=LEAD_USCC)], experts, full("C1", experts)))
    assert [(e.rule, e.matched_by) for e in c.exclusions] == [("A33.LEAD", "normalised_name")]


@pytest.mark.parametrize("unit", ["石家庄康瑞医药有限公司", "石家庄康瑞药业股份有限公司研究院", "康瑞药业"],
                         ids=["look-alike", "longer", "shorter"])
def test_look_alike_names_are_not_excluded(unit: str) -> None:
    experts = [*panel(6), expert("E07", unit=unit)]
    c = _only(run([center()], experts, full("C1", experts)))
    assert c.exclusions == [] and c.valid_experts == 7 and not rules(c.findings)


def test_partner_by_uscc_and_by_name() -> None:
    experts = [*panel(5), expert("E06", unit="河北科大", uscc=PARTNER_USCC), expert("E07", unit="石家庄铁道大学")]
    c = _only(run([center(partners=("河北科技大学", "石家庄铁道大学"), partner_usccs=(PARTNER_USCC, ""))],
                  experts, full("C1", experts)))
    assert [(e.expert_id, e.rule, e.matched_by) for e in c.exclusions] == [
        ("E06", "A33.PARTNER", "uscc"), ("E07", "A33.PARTNER", "normalised_name")]


def test_self_by_id_number_even_with_another_unit() -> None:
    idno = "13010519750612301X"
    experts = [*panel(6), expert("E07", unit="河北工业大学", id_number=idno.lower())]
    people = [Person("C1", "孙立军", idno, "河北工业大学能源学院", 5)]
    c = _only(run([center()], experts, full("C1", experts), personnel=people))
    assert [(e.rule, e.matched_by) for e in c.exclusions] == [("A33.SELF", "id_number")]
    assert idno not in json.dumps(c.to_dict(), ensure_ascii=False)
    assert "301X" in c.exclusions[0].detail and idno not in c.exclusions[0].detail


def test_self_by_name_and_unit_without_id_number() -> None:
    experts = [*panel(6), expert("E07", name="王 芳", unit="石家庄康瑞药业（股份）公司")]
    people = [Person("C1", "王芳", "", "石家庄康瑞药业(股份)公司", 5)]
    c = _only(run([center(lead="另一家公司")], experts, full("C1", experts), personnel=people))
    assert [(e.rule, e.matched_by) for e in c.exclusions] == [("A33.SELF", "name_unit")]


def test_different_id_numbers_are_namesakes() -> None:
    experts = [*panel(6), expert("E07", name="王芳", unit="某大学", id_number="130102198001011234")]
    people = [Person("C1", "王芳", "130102199002022345", "某大学", 5)]
    c = _only(run([center()], experts, full("C1", experts), personnel=people))
    assert c.exclusions == []


def test_declared_on_the_row_and_in_the_declarations_sheet() -> None:
    experts = panel(7)
    scores = full("C1", experts[:5]) + [score("C1", "E06", recuse="是"), score("C1", "E07", recuse="否")]
    decl = [Declaration("E07", "C1", "曾在依托单位任职", 4)]
    c = _only(run([center()], experts, scores, declarations=decl))
    assert [(e.expert_id, e.rule, e.matched_by, e.declared) for e in c.exclusions] == [
        ("E06", "A33.DECLARED", "declared_row", True), ("E07", "A33.DECLARED", "declared_sheet", True)]
    assert not rules(c.findings) and c.valid_experts == 5 and c.grade == "合格"


def test_found_and_declared_lists_each_rule_without_undeclared_warning() -> None:
    experts = [*panel(6), expert("E07", unit="石家庄康瑞药业股份有限公司")]
    scores = full("C1", experts[:6]) + [score("C1", "E07", recuse="是")]
    c = _only(run([center()], experts, scores))
    assert [e.rule for e in c.exclusions] == ["A33.LEAD", "A33.DECLARED"]
    assert all(e.declared for e in c.exclusions) and not rules(c.findings)
    assert c.to_dict()["excluded"] == [
        {"expert_id": "E07", "rule": "A33.LEAD", "matched_by": "normalised_name", "declared": True},
        {"expert_id": "E07", "rule": "A33.DECLARED", "matched_by": "declared_row", "declared": True}]


def test_panel_below_minimum_because_of_recusals() -> None:
    experts = [*panel(4), expert("E05", unit="石家庄康瑞药业股份有限公司"), expert("E06", uscc=LEAD_USCC)]
    c = _only(run([center(lead_uscc=LEAD_USCC)], experts, full("C1", experts)))
    assert c.valid_experts == 4 and c.grade is None and c.rank is None and c.total is None
    assert ("A32.PANEL", None) in rules(c.findings)
    assert "有效专家不足，需补充评审" in c.remarks


def test_excluded_rows_are_not_score_checked() -> None:
    experts = panel(6)
    scores = full("C1", experts[:5]) + [score("C1", "E06", dims=(None, None, None, None, None), recuse="是")]
    c = _only(run([center()], experts, scores))
    assert c.grade == "合格" and not [f for f in c.findings if f.rule == "SCORE.MISSING"]


# ------------------------------------------------------------------ exact arithmetic and grades

SEVENTHS_60 = [(8.5, 11.5, 18.5, 10.5, 9.5), (10, 13, 20, 13.5, 9), (10, 13, 19, 12, 9.5), (7.5, 11.5, 17.5, 11.5, 10),
               (9.5, 11, 18, 12.5, 7), (10, 11, 15, 10.5, 9.5), (12.5, 12, 18, 11, 7)]
FIFTHS_85 = [(13.5, 18, 23, 16.5, 11), (11.5, 18.5, 24, 15.5, 12), (13, 15, 23.5, 15, 13), (11.5, 19, 23.5, 17.5, 13),
             (15, 20, 30, 20, 12.5)]


@pytest.mark.parametrize(("rows", "grade", "line"), [(FIFTHS_85, "优秀", 85), (SEVENTHS_60, "合格", 60)],
                         ids=["five-experts-85", "seven-experts-60"])
def test_boundary_totals_are_exact(rows: list[tuple], grade: str, line: int) -> None:
    floats = sum(sum(r[d] for r in rows) / len(rows) for d in range(5))
    assert floats < line  # binary floats miss the boundary
    experts = panel(len(rows))
    c = _only(run([center()], experts, [score("C1", e.expert_id, r) for e, r in zip(experts, rows, strict=True)]))
    assert c.total == line and c.grade == grade
    assert c.to_dict()["total"] == float(line) and c.to_dict()["total_exact"] == str(line)


def test_grade_below_line_says_so_when_display_rounds_up() -> None:
    experts = panel(6)
    scores = full("C1", experts[:5], (13, 18, 26, 17, 11)) + [score("C1", "E06", (13, 18, 26, 17, 10.5))]
    c = _only(run([center()], experts, scores))
    assert c.total == Fraction(1019, 12) and c.grade == "合格" and round1(c.total) == 84.9
    scores = full("C1", experts[:5], (13, 18, 26, 17, 11)) + [score("C1", "E06", (13, 18, 26, 17, 10.9))]
    c = _only(run([center()], experts, scores))
    assert round1(c.total) == 85.0 and c.grade == "合格"
    assert any("不足85分" in r for r in c.remarks)


def test_trimmed_mean_drops_one_highest_and_one_lowest_expert() -> None:
    experts = panel(6)
    dims = [(15, 20, 30, 20, 15), (12, 16, 24, 16, 12), (12, 16, 24, 16, 12), (10, 14, 22, 14, 10),
            (12, 16, 24, 16, 12), (6, 8, 12, 8, 6)]  # totals 100, 80, 80, 70, 80, 40
    c = _only(run([center()], experts, [score("C1", e.expert_id, d) for e, d in zip(experts, dims, strict=True)],
                  aggregation="trimmed"))
    assert c.trimmed == {"high": "E01", "low": "E06"}
    assert c.total == Fraction(310, 4) and c.dimensions["组织管理"] == Fraction(46, 4)
    assert sum(c.dimensions.values()) == c.total and c.grade == "合格"


def test_trimmed_ties_drop_the_first_row_and_small_panels_use_the_mean() -> None:
    experts = panel(5)
    c = _only(run([center()], experts, full("C1", experts), aggregation="trimmed"))
    assert c.trimmed == {"high": "E01", "low": "E02"} and c.total == 80
    c = _only(run([center()], experts[:4], full("C1", experts[:4]), aggregation="trimmed", min_experts=3))
    assert c.trimmed is None and c.total == 80 and any("未去掉最高最低分" in r for r in c.remarks)


def test_ranks_with_ties() -> None:
    assert competition_ranks([Fraction(80), Fraction(90), Fraction(80), Fraction(70)]) == [2, 1, 2, 4]
    assert median([Fraction(1), Fraction(3), Fraction(2), Fraction(10)]) == Fraction(5, 2)


def _five_centers(totals: list[tuple]) -> tuple[list[RosterCenter], list[Expert], list[ScoreRow]]:
    experts = panel(5)
    centers = [center(f"C{i}", row=4 + i) for i in range(1, len(totals) + 1)]
    scores = [s for i, dims in enumerate(totals, start=1) for s in full(f"C{i}", experts, dims)]
    return centers, experts, scores


NINETY, EIGHTY_EIGHT, EIGHTY_SIX, SEVENTY = (15, 18, 27, 18, 12), (14, 18, 27, 17, 12), (14, 18, 26, 16, 12), GOOD[:4] + (2,)


def test_quota_tie_straddling_the_edge_gets_none() -> None:
    result = run(*_five_centers([NINETY, EIGHTY_EIGHT, EIGHTY_EIGHT, EIGHTY_SIX, SEVENTY]), excellent_quota=0.4)
    assert [(c.rank, c.grade) for c in result.centers] == [(1, "优秀"), (2, "合格"), (2, "合格"), (4, "合格"), (5, "合格")]
    quota = [f for c in result.centers for f in c.findings if f.rule == "A35.QUOTA"]
    assert len(quota) == 3 and "并列第2名的2个中心" in quota[0].message and "剩余优秀名额只有1个" in quota[0].message
    assert result.exit_status == 0


def test_quota_tie_that_fits_gets_all() -> None:
    result = run(*_five_centers([NINETY, EIGHTY_EIGHT, EIGHTY_EIGHT, EIGHTY_SIX, SEVENTY]), excellent_quota=0.6)
    assert [c.grade for c in result.centers] == ["优秀", "优秀", "优秀", "合格", "合格"]
    assert "超出优秀名额" in result.centers[3].findings[0].message


# ------------------------------------------------------------------ statuses and score checks

def test_statuses() -> None:
    experts = panel(5)
    centers = [center("C1"), center("C2", status="视同合格"), center("C3", status="缓评"), center("C4", status="未参评（无故）"),
               center("C5", status="中途退出"), center("C6", status="暂停")]
    scores = full("C1", experts) + full("C3", experts)
    result = run(centers, experts, scores)
    got = [(c.status, c.grade, c.rank, c.valid_experts) for c in result.centers]
    assert got == [("参评", "合格", 1, 5), ("视同合格", "合格", None, 0), ("缓评", None, None, 0), ("未参评", None, None, 0),
                   ("中途退出", None, None, 0), (None, None, None, 0)]
    assert any("评分未计入" in r for r in result.centers[2].remarks)
    assert rules(result.centers[5].findings) == [("DATA.TYPE", None)]
    assert result.summary() == {"centers": 6, "graded": 2, "优秀": 0, "合格": 2, "不合格": 0, "excluded": 0,
                                "errors": 1, "warnings": 0}


@pytest.mark.parametrize(("dims", "total", "rule"), [
    ((16, 16, 24, 16, 12), None, "SCORE.RANGE"),
    ((-1, 16, 24, 16, 12), None, "SCORE.RANGE"),
    ((12, None, 24, 16, 12), None, "SCORE.MISSING"),
    ((12, "十六", 24, 16, 12), None, "DATA.TYPE"),
    (GOOD, 81, "SCORE.TOTAL"),
    (GOOD, "八十", "DATA.TYPE"),
], ids=["above-max", "negative", "missing", "not-a-number", "total-differs", "total-not-a-number"])
def test_blocking_score_errors_withhold_the_grade(dims: tuple, total: object, rule: str) -> None:
    experts = panel(6)
    scores = full("C1", experts[:5]) + [score("C1", "E06", dims, total=total)]
    result = run([center()], experts, scores)
    c = _only(result)
    assert rules(c.findings) == [(rule, "E06")] and c.grade is None and c.total is None
    assert result.exit_status == 1


def test_total_equal_or_float_noise_or_formula_without_value_is_fine() -> None:
    experts = panel(6)
    scores = (full("C1", experts[:3], (12.1, 16.2, 24.3, 16, 12), total=80.60000000000001)
              + full("C1", experts[3:5], total=80) + [score("C1", "E06", total=None, formula_missing=True)])
    result = run([center()], experts, scores)
    assert _only(result).grade == "合格" and rules(_only(result).findings) == []
    assert [f.rule for f in result.file_findings] == ["DATA.FORMULA"]
    assert result.file_findings[0].severity.value == "warning"


def test_unknown_expert_and_center_ids() -> None:
    experts = panel(5)
    scores = full("C1", experts) + [score("C1", "E99"), score("C9", "E01")]
    result = run([center()], experts, scores)
    assert [(f.rule, f.get("expert_id"), f.get("center_id")) for f in result.file_findings] == [
        ("SCORE.UNKNOWN", "E99", "C1"), ("SCORE.UNKNOWN", None, "C9")]
    assert _only(result).grade is None and result.exit_status == 1


def test_duplicate_score_rows_block_the_center() -> None:
    experts = panel(5)
    c = _only(run([center()], experts, full("C1", experts) + [score("C1", "E01")]))
    assert [r for r, _ in rules(c.findings)] == ["DATA.DUPLICATE", "DATA.DUPLICATE"] and c.grade is None


def test_outlier_warning() -> None:
    experts = panel(6)
    scores = full("C1", experts[:5]) + [score("C1", "E06", (6, 8, 12, 8, 6))]
    c = _only(run([center()], experts, scores))
    assert rules(c.findings) == [("SCORE.OUTLIER", "E06")] and c.grade == "合格"
    assert c.scores[-1].outlier


def test_panel_mix_reported_once() -> None:
    experts = [expert(f"E{i:02d}", region="省内") for i in range(1, 6)]
    result = run([center("C1"), center("C2", row=5)], experts, full("C1", experts) + full("C2", experts))
    assert [f.rule for f in result.file_findings] == ["A32.MIX"]
    assert "省外" in result.file_findings[0].message and "管理专家" in result.file_findings[0].message


def test_report_shape() -> None:
    experts = [*panel(6), expert("E07", unit="石家庄康瑞药业股份有限公司", id_number="130102198001011234")]
    d = run([center()], experts, full("C1", experts)).to_dict()
    assert list(d) == ["report", "schema_version", "tool_version", "year", "reference_date", "source", "settings",
                       "summary", "centers", "file_findings"]
    assert d["report"] == "evaluation" and d["schema_version"] == 1 and d["reference_date"] == "2026-03-31"
    c = d["centers"][0]
    assert list(c) == ["center_id", "center_name", "status", "experts", "excluded", "dimensions", "total",
                       "total_exact", "dimensions_exact", "rank", "grade", "remarks", "findings"]
    assert c["dimensions"] == {"组织管理": 12.0, "研发条件": 16.0, "研发产出": 24.0, "转化应用": 16.0, "开放协作": 12.0}
    warning = next(f for f in c["findings"] if f["rule"] == "A33.UNDECLARED")
    assert warning["severity"] == "warning" and warning["sheet"] == "专家打分" and warning["expert_id"] == "E07"
    assert "130102198001011234" not in json.dumps(d, ensure_ascii=False)
    json.dumps(d)  # plain JSON types only


def test_speed_500_centers_by_9_experts() -> None:
    experts = panel(9)
    centers = [center(f"C{i:03d}", lead=f"公司{i}", lead_uscc=make_uscc(f"91130100MA{i:07d}"), row=4 + i)
               for i in range(500)]
    people = [Person(f"C{i:03d}", f"人员{i}", f"1301021980{i:08d}", f"公司{i}") for i in range(500)]
    scores = [score(c.center_id, e.expert_id, (12, 16, 24 - (i % 3), 16, 12)) for i, c in enumerate(centers)
              for e in experts]
    start = time.perf_counter()
    result = run(centers, experts, scores, personnel=people)
    result.to_dict()
    elapsed = time.perf_counter() - start
    assert result.summary()["graded"] == 500
    assert elapsed < 2.0, f"{elapsed:.2f}s"


# ------------------------------------------------------------------ found by an audit of Art. 31-35


def test_a_blank_status_is_an_error_and_the_center_is_not_graded() -> None:
    """A deferred or absent center whose 参评状态 was left blank would be graded (不合格) as 参评."""
    experts = panel()
    res = _only(run([center(status=None)], experts, full("C1", experts, (5, 5, 5, 5, 5))))
    assert res.grade is None and res.rank is None
    (f,) = [f for f in res.findings if f.rule == "DATA.REQUIRED"]
    assert f.severity.value == "error" and f.cell == "H4" and "未填参评状态" in f.message


@pytest.mark.parametrize(("raw", "read"), [("12分", 12), ("１２．５分", Fraction(25, 2)), (" 12 ", 12),
                                           ("12件", None), ("1，2", None), ("1,2", None), ("12,5", None)])
def test_a_score_is_a_number_or_points_never_another_unit_or_a_decimal_comma(raw: str, read: object) -> None:
    experts = panel()
    rows = full("C1", experts)
    rows[0] = score("C1", experts[0].expert_id, (raw, 16, 24, 16, 12))
    res = _only(run([center()], experts, rows))
    if read is None:
        assert ("DATA.TYPE", experts[0].expert_id) in rules(res.findings) and res.grade is None
    else:
        assert res.grade is not None and res.scores[0].dims[DIMS[0]] == read


def test_a_dimension_formula_without_a_value_is_said_so_not_missing() -> None:
    experts = panel()
    rows = full("C1", experts)
    rows[0] = replace(score("C1", experts[0].expert_id, (None, 16, 24, 16, 12)), formula_missing=frozenset({DIMS[0]}))
    res = _only(run([center()], experts, rows))
    assert ("DATA.FORMULA", experts[0].expert_id) in rules(res.findings)
    assert ("SCORE.MISSING", experts[0].expert_id) not in rules(res.findings) and res.grade is None


def test_a_center_twice_on_the_roster_is_graded_on_neither_row() -> None:
    experts = panel()
    result = run([center(status="视同合格", row=4), center(status="参评", row=5)], experts, full("C1", experts))
    assert [c.grade for c in result.centers] == [None, None]
    assert all(any(f.rule == "DATA.DUPLICATE" for f in c.findings) for c in result.centers)


def test_a_duplicate_row_does_not_bring_an_excluded_expert_back_or_count_an_expert_twice() -> None:
    experts = panel()
    rows = full("C1", experts)
    rows.append(score("C1", experts[1].expert_id, recuse="是"))
    rows[1] = score("C1", experts[1].expert_id, recuse="是")
    rows.append(score("C1", experts[2].expert_id))  # E03 twice, not excluded
    res = _only(run([center()], experts, rows))
    assert res.valid_experts == 6  # 7 experts, E02 excluded; E03's two rows are one expert
    assert [s.state for s in res.scores if s.expert_id == experts[1].expert_id][0] == "excluded"


def test_a_center_nobody_scored_is_pointed_at_on_the_roster() -> None:
    """Its A32.PANEL named only the 专家打分 sheet, where it has no row."""
    experts = panel()
    result = run([center("C1"), center("C2", row=5)], experts, full("C1", experts))
    (f,) = [f for f in result.centers[1].findings if f.rule == "A32.PANEL"]
    assert f.sheet == "中心名单" and f.cell == "A5"
    (g,) = [f for f in result.centers[0].findings if f.rule == "A32.PANEL"] or [None]
    assert g is None  # C1 has its seven experts
