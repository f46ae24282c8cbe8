"""rules.md part D: every disposition rule, its neighbours, precedence and the listing of centers."""

from __future__ import annotations

from datetime import date

import pytest

from toolkit.core.config import Config, config_from_dict
from toolkit.core.disposition import (
    CenterState,
    EvaluationRecord,
    EventRecord,
    ReportRecord,
    decide,
    format_total,
    missed_reevaluations,
)

CID = "SJZTIC-2020-001"
NAME = "石家庄市测试技术创新中心"


def cfg(ref: date = date(2026, 6, 30), year: int = 2026, **annual: str) -> Config:
    data = {"cycle": {"year": year, "reference_date": ref}}
    if annual:
        data["annual"] = annual
    return config_from_dict(data)


def ev(year: int, status: str = "参评", grade: str | None = "合格", reeval: bool = False, total: str | None = None):
    return EvaluationRecord(CID, year, status, grade, reeval, total)


def on_time(*years: int) -> list[ReportRecord]:
    return [ReportRecord(CID, y, date(y + 1, 3, 1)) for y in years]


def one(evals=(), events=(), reports=None, config=None, center=None):  # type: ignore[no-untyped-def]
    center = center or CenterState(CID, NAME, approved_year=2020)
    reports = on_time(2025) if reports is None else reports
    out = decide([center], evals, events, reports, config or cfg())
    assert len(out) <= 1
    return out[0] if out else None


def rules(d) -> list[str]:  # type: ignore[no-untyped-def]
    return list(d.rules)


# ------------------------------------------------------------------ evaluations


def test_excellent_in_the_cycle_is_rewarded_with_its_year_and_grade() -> None:
    d = one([ev(2023), ev(2026, grade="优秀", total="437/5")])
    assert (d.outcome, rules(d)) == ("reward", ["A36.REWARD"])
    assert d.reasons == ("2026年绩效评估总分87.4分，等级为优秀",)


def test_excellent_in_an_earlier_cycle_is_not_rewarded_again() -> None:
    assert one([ev(2023, grade="优秀"), ev(2026, grade="合格")]).outcome == "none"


def test_first_fail_is_rectified_and_re_evaluated_next_year() -> None:
    d = one([ev(2023), ev(2026, grade="不合格")])
    assert (d.outcome, rules(d)) == ("rectify", ["A37.RECTIFY"])
    assert "2026年绩效评估等级为不合格" in d.reasons[0] and "2027年参加复评" in d.reasons[0]


def test_fail_with_no_earlier_evaluation_is_rectified() -> None:
    assert one([ev(2026, grade="不合格")]).outcome == "rectify"


def test_fail_after_the_rectification_re_evaluation_fails_again_is_twice() -> None:
    d = one([ev(2025, grade="不合格"), ev(2026, grade="不合格", reeval=True)])
    assert (d.outcome, rules(d)) == ("revoke", ["A38.2.TWICE"])
    assert d.reasons == ("2025年、2026年绩效评估连续两年不合格（后一次为整改复评）",)


@pytest.mark.parametrize(
    ("between", "expected"),
    [
        ([ev(2024, status="缓评", grade=None)], "revoke"),  # 缓评 is skipped
        ([ev(2024, status="参评", grade=None)], "revoke"),  # ungraded (panel too small) is skipped
        ([ev(2024, grade="合格")], "rectify"),  # a pass breaks the chain
        ([ev(2024, status="视同合格", grade=None)], "rectify"),  # 视同合格 counts as 合格
        ([ev(2024, grade="优秀")], "rectify"),
    ],
    ids=["deferred-skipped", "ungraded-skipped", "passed-breaks", "deemed-passed-breaks", "excellent-breaks"],
)
def test_consecutive_fails_across_a_record_between(between, expected) -> None:  # type: ignore[no-untyped-def]
    d = one([ev(2023, grade="不合格"), *between, ev(2026, grade="不合格")])
    assert d.outcome == expected


def test_twice_over_a_gap_says_two_consecutive_evaluations() -> None:
    d = one([ev(2023, grade="不合格"), ev(2024, status="缓评", grade=None), ev(2026, grade="不合格")])
    assert d.reasons == ("2023年、2026年绩效评估连续两次不合格",)


@pytest.mark.parametrize(("status", "phrase"), [("未参评", "2026年无故不参加绩效评估"), ("中途退出", "2026年绩效评估中途退出")])
def test_absent_or_quitting_is_revoked(status: str, phrase: str) -> None:
    d = one([ev(2026, status=status, grade=None)])
    assert (d.outcome, rules(d), d.reasons) == ("revoke", ["A38.2.ABSENT"], (phrase,))


def test_deferred_in_the_cycle_gives_nothing() -> None:
    assert one([ev(2025, grade="不合格"), ev(2026, status="缓评", grade=None)]).outcome == "none"


def test_deemed_passed_in_the_cycle_gives_nothing() -> None:
    assert one([ev(2025, grade="不合格"), ev(2026, status="视同合格", grade=None)]).outcome == "none"


def test_evaluations_after_the_cycle_are_ignored() -> None:
    assert one([ev(2026, grade="合格"), ev(2027, grade="不合格")]).outcome == "none"


# ------------------------------------------------------------------ annual report


@pytest.mark.parametrize(
    ("submitted", "outcome"),
    [(date(2026, 3, 30), "none"), (date(2026, 3, 31), "none"), (date(2026, 4, 1), "revoke")],
    ids=["day-before", "on-deadline-day", "one-day-late"],
)
def test_report_on_the_deadline_day_is_on_time_one_day_later_is_late(submitted: date, outcome: str) -> None:
    d = one(reports=[ReportRecord(CID, 2025, submitted)])
    assert d.outcome == outcome
    if outcome == "revoke":
        assert rules(d) == ["A38.1.NO-REPORT"]
        assert d.reasons == ("2025年度报告未按时报送：截止日期为2026年3月31日，实际于2026年4月1日报送",)


@pytest.mark.parametrize("reports", [[], [ReportRecord(CID, 2025, None)]], ids=["no-row", "recorded-not-sent"])
def test_missing_report_is_revoked_once_the_deadline_has_passed(reports) -> None:  # type: ignore[no-untyped-def]
    d = one(reports=reports)
    assert (d.outcome, rules(d)) == ("revoke", ["A38.1.NO-REPORT"])
    assert d.reasons == ("2025年度报告截至2026年6月30日仍未报送（报送截止日期为2026年3月31日）",)


@pytest.mark.parametrize(("ref", "outcome"), [(date(2026, 3, 31), "none"), (date(2026, 4, 1), "revoke")],
                         ids=["reference-on-deadline", "reference-past-deadline"])
def test_no_report_counts_only_when_the_reference_date_is_past_the_deadline(ref: date, outcome: str) -> None:
    assert one(reports=on_time(2024), config=cfg(ref)).outcome == outcome


@pytest.mark.parametrize(("submitted", "outcome"), [(date(2026, 3, 31), "none"), (date(2026, 4, 8), "revoke"),
                                                    (None, "revoke")], ids=["on-time", "late", "never"])
def test_with_the_reference_date_on_the_deadline_the_next_cycle_judges_the_report(submitted, outcome) -> None:  # type: ignore[no-untyped-def]
    """The default reference date is 31 March, the deadline itself: cycle 2026 cannot yet call the 2025 report
    late, so cycle 2027 does (before, no cycle ever did: A38.1 could not fire with the default config)."""
    reports = on_time(2024, 2026) + ([ReportRecord(CID, 2025, submitted)] if submitted else [])
    assert one(reports=reports, config=cfg(date(2026, 3, 31))).outcome == "none"
    d = one(reports=reports, config=cfg(date(2027, 3, 31), year=2027))
    assert d.outcome == outcome
    if outcome == "revoke":
        assert rules(d) == ["A38.1.NO-REPORT"] and d.reasons[0].startswith("2025年度报告")


def test_a_report_judged_by_the_previous_cycle_is_not_judged_again() -> None:
    late_2024 = [ReportRecord(CID, 2024, date(2025, 4, 8)), ReportRecord(CID, 2025, date(2026, 3, 1))]
    # cycle 2025 (reference 2025-06-30) was past the 2024 deadline and judged it; cycle 2026 does not
    assert one(reports=late_2024, config=cfg(date(2026, 6, 30))).outcome == "none"
    # with 31 March reference dates, cycle 2025 was not past it: cycle 2026 judges the 2024 report
    assert one(reports=late_2024, config=cfg(date(2026, 3, 31))).outcome == "revoke"


def test_only_the_report_due_in_the_cycle_year_counts() -> None:
    late_2024 = [ReportRecord(CID, 2024, date(2025, 5, 1)), ReportRecord(CID, 2025, date(2026, 3, 1))]
    assert one(reports=late_2024).outcome == "none"


def test_deadline_comes_from_the_config() -> None:
    d = one(reports=[ReportRecord(CID, 2025, date(2026, 4, 8))], config=cfg(deadline="04-30"))
    assert d.outcome == "none"


@pytest.mark.parametrize(("approved", "outcome"), [(2025, "revoke"), (2026, None)])
def test_a_center_approved_after_the_report_year_owes_no_report(approved: int, outcome: str | None) -> None:
    """Approved in 2025: the 2025 report is owed. Approved in the cycle's own year: not running at the start of
    the cycle, so not listed at all (report.md § Dispositions)."""
    center = CenterState(CID, NAME, approved_year=approved)
    d = one(reports=[], center=center)
    assert (d.outcome if d else None) == outcome


# ------------------------------------------------------------------ events


@pytest.mark.parametrize("rule", ["A38.3", "A38.4", "A38.5", "A38.6", "A38.7", "A38.8", "A38.9"])
def test_each_article_38_event_revokes(rule: str) -> None:
    d = one(events=[EventRecord(CID, rule, date(2026, 2, 1), "情况说明", "某文件")])
    assert (d.outcome, rules(d)) == ("revoke", [rule])
    assert d.reasons[0].startswith("2026年2月1日，") and "情况说明" in d.reasons[0] and "依据：某文件" in d.reasons[0]


def test_article_28_event_retires() -> None:
    d = one(events=[EventRecord(CID, "A28.RETIRE", date(2026, 1, 15), "已晋升为省级中心")])
    assert (d.outcome, rules(d)) == ("retire", ["A28.RETIRE"])


@pytest.mark.parametrize(
    ("when", "counted"),
    [(date(2025, 6, 30), False), (date(2025, 7, 1), True), (date(2025, 12, 31), True), (date(2026, 1, 1), True),
     (date(2026, 6, 30), True), (date(2026, 7, 1), False)],
    ids=["previous-reference-date", "day-after-it", "year-before", "first-day", "reference-date", "after-reference"],
)
def test_events_count_since_the_previous_cycle_up_to_the_reference_date(when: date, counted: bool) -> None:
    """The cycle's year up to the reference date (rules.md), and the days of the year before that no cycle
    held: after the previous cycle's reference date (2025-06-30)."""
    d = one(events=[EventRecord(CID, "A38.3", when, "弄虚作假")])
    assert (d.outcome == "revoke") is counted


@pytest.mark.parametrize("ref", [date(2026, 3, 31), date(2026, 6, 30), date(2026, 12, 31)])
def test_every_day_of_two_years_falls_in_exactly_one_cycle(ref: date) -> None:
    """Cycles a year apart with the same reference day: an event is judged by one cycle, never none, never two."""
    day = date(2025, 1, 1)
    while day <= date(2026, 12, 31):
        cycles = [year for year in (2025, 2026, 2027)
                  if one(events=[EventRecord(CID, "A38.3", day, "弄虚作假")], reports=on_time(2022, 2023, 2024, 2025, 2026),
                         config=cfg(ref.replace(year=year), year=year)).outcome == "revoke"]
        assert len(cycles) == 1, (day, cycles)
        day = date.fromordinal(day.toordinal() + 1)


def test_a_center_approved_this_year_is_listed_when_an_event_revokes_it() -> None:
    center = CenterState(CID, NAME, approved_year=2026)
    assert one(center=center) is None
    d = one(center=center, events=[EventRecord(CID, "A38.3", date(2026, 5, 1), "申报材料弄虚作假")])
    assert (d.outcome, rules(d)) == ("revoke", ["A38.3"])


def test_two_events_of_one_rule_list_the_rule_once_with_both_reasons() -> None:
    d = one(events=[EventRecord(CID, "A38.5", date(2026, 3, 1), "乙"), EventRecord(CID, "A38.5", date(2026, 2, 1), "甲")])
    assert rules(d) == ["A38.5"]
    assert [r.split("：")[1] for r in d.reasons] == ["甲", "乙"]


# ------------------------------------------------------------------ precedence


def test_revoked_center_is_not_rewarded() -> None:
    d = one([ev(2026, grade="优秀")], [EventRecord(CID, "A38.3", date(2026, 2, 1), "造假")])
    assert (d.outcome, rules(d), d.other_rules) == ("revoke", ["A38.3"], ("A36.REWARD",))
    assert len(d.reasons) == 1


def test_retire_beats_rectify_and_revoke_beats_retire() -> None:
    retire = EventRecord(CID, "A28.RETIRE", date(2026, 1, 15), "晋升")
    assert one([ev(2026, grade="不合格")], [retire]).outcome == "retire"
    d = one([ev(2026, grade="不合格")], [retire, EventRecord(CID, "A38.9", date(2026, 3, 1), "自愿撤销")])
    assert (d.outcome, rules(d), d.other_rules) == ("revoke", ["A38.9"], ("A28.RETIRE", "A37.RECTIFY"))


def test_several_revocation_reasons_in_one_decision_in_rule_order() -> None:
    d = one([ev(2025, grade="不合格"), ev(2026, grade="不合格")],
            [EventRecord(CID, "A38.3", date(2026, 2, 26), "造假")], reports=[])
    assert rules(d) == ["A38.1.NO-REPORT", "A38.2.TWICE", "A38.3"]
    assert len(d.reasons) == 3


# ------------------------------------------------------------------ listing


@pytest.mark.parametrize(
    ("status", "cycle", "approved", "listed"),
    [("运行", None, 2020, True), ("撤销", 2024, 2020, False), ("撤销", None, 2020, False),
     ("不再保留", 2025, 2020, False), ("撤销", 2026, 2020, True), ("运行", None, 2027, False),
     ("运行", None, 2026, False), ("撤销", 2028, 2020, True), ("不再保留", 2027, 2020, True)],
    ids=["running", "revoked-earlier", "revoked-unknown-cycle", "retired-earlier", "revoked-this-cycle",
         "approved-later", "approved-this-year",
         # decided again after a later cycle revoked it: it was running in this one (it was dropped from the list)
         "revoked-by-a-later-cycle", "retired-by-a-later-cycle"],
)
def test_which_centers_are_listed(status: str, cycle: int | None, approved: int, listed: bool) -> None:
    center = CenterState(CID, NAME, status, cycle, approved)
    assert (one(center=center) is not None) is listed


def test_to_dict_is_the_report_entry() -> None:
    d = one([ev(2026, grade="优秀")])
    assert d.to_dict() == {"center_id": CID, "center_name": NAME, "outcome": "reward", "rules": ["A36.REWARD"],
                           "reasons": ["2026年绩效评估等级为优秀"], "other_rules": []}
    assert d.articles == ("第三十六条",)


def test_centers_come_out_in_id_order_and_stable() -> None:
    centers = [CenterState(f"SJZTIC-2020-00{i}", f"中心{i}", approved_year=2020) for i in (3, 1, 2)]
    reports = [ReportRecord(c.center_id, 2025, date(2026, 3, 1)) for c in centers]
    first = decide(centers, [], [], reports, cfg())
    assert [d.center_id for d in first] == ["SJZTIC-2020-001", "SJZTIC-2020-002", "SJZTIC-2020-003"]
    assert decide(list(reversed(centers)), [], [], reports, cfg()) == first


@pytest.mark.parametrize(("total", "shown"), [("364/5", "72.8"), ("85", "85.0"), ("1699/20", "85.0"),
                                              ("1197/20", "59.9"), ("72.8", "72.8"), ("abc", None), (None, None)])
def test_totals_are_shown_to_one_decimal_rounded_half_up(total: str | None, shown: str | None) -> None:
    assert format_total(total) == shown



def test_a_center_under_rectification_missing_from_this_years_evaluation_is_named() -> None:
    """不合格 in 2026 (Art. 37: re-evaluated in 2027), no 2027 record while others were evaluated: said, never
    decided on silently (a later 不合格 was then taken as its re-evaluation)."""
    other = "SJZTIC-2020-002"
    centers = [CenterState(CID, NAME, approved_year=2020), CenterState(other, "乙", approved_year=2020),
               CenterState("SJZTIC-2020-003", "丙", "撤销", 2026, 2020)]
    evals = [ev(2026, grade="不合格"), EvaluationRecord(other, 2026, "参评", "不合格"),
             EvaluationRecord("SJZTIC-2020-003", 2026, "参评", "不合格"), EvaluationRecord(other, 2027, "参评", "合格")]
    assert missed_reevaluations(centers, evals, 2027) == [CID]
    assert missed_reevaluations(centers, evals[:3], 2027) == []  # nobody evaluated in 2027: said on its own
    assert missed_reevaluations(centers, [*evals, ev(2027, status="未参评", grade=None)], 2027) == []
