"""Dispositions of a cycle (rules.md part D): reward, rectify, revoke, retire — from the whole history.

Pure: the ledger adapter hands in plain records of every year and gets back one
:class:`Disposition` per center that is running at the start of the cycle.

    A36.REWARD        graded 优秀 in the cycle's evaluation                         → reward
    A37.RECTIFY       graded 不合格, the previous graded evaluation was not 不合格   → rectify
    A38.1.NO-REPORT   the report for year-1 not received by its deadline, when the
                      reference date is past that deadline                           → revoke
    A38.2.ABSENT      未参评 or 中途退出 in the cycle's evaluation                   → revoke
    A38.2.TWICE       不合格 in two consecutive graded evaluations (缓评 and ungraded
                      records skipped; 视同合格 counts as 合格 and breaks the chain) → revoke
    A38.3 … A38.9     an event of that kind dated in the cycle's year up to the
                      reference date                                                 → revoke
    A28.RETIRE        the lead unit's center went national/provincial (same window)  → retire

Precedence revoke > retire > rectify > reward; ``rules`` lists every rule of the
chosen outcome, ``other_rules`` the rules of the outcomes it overrides (a revoked
center's 优秀 is not rewarded, but the clerk can see it was 优秀).

A center is listed when its status is 运行, or when the status was changed by this
same cycle (``status_cycle == year``: a re-run lists it again with the same
outcome). A center revoked or retired in an earlier cycle is not listed; a center
approved after the cycle's year neither.

An annual report for year Y is due from every center approved in Y or earlier
(or whose approval year is unknown).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from toolkit.core.config import Config
from toolkit.core.dates import add_years, format_zh
from toolkit.core.findings import rule_info

RUNNING = "运行"
REVOKED = "撤销"
RETIRED = "不再保留"
CENTER_STATUSES = (RUNNING, REVOKED, RETIRED)

EVAL_STATUSES = ("参评", "未参评", "中途退出", "缓评", "视同合格")
GRADES = ("优秀", "合格", "不合格")
FAIL = "不合格"

EVENT_RULES = ("A38.3", "A38.4", "A38.5", "A38.6", "A38.7", "A38.8", "A38.9", "A28.RETIRE")
REVOKE_RULES = ("A38.1.NO-REPORT", "A38.2.ABSENT", "A38.2.TWICE", *EVENT_RULES[:-1])
OUTCOMES = ("revoke", "retire", "rectify", "reward", "none")  # precedence order
OUTCOME_OF_RULE = {
    **{r: "revoke" for r in REVOKE_RULES},
    "A28.RETIRE": "retire",
    "A37.RECTIFY": "rectify",
    "A36.REWARD": "reward",
}
RULE_ORDER = (*REVOKE_RULES, "A28.RETIRE", "A37.RECTIFY", "A36.REWARD")
OUTCOME_ZH = {"revoke": "撤销", "retire": "不再保留", "rectify": "限期整改", "reward": "奖励", "none": "无"}
STATUS_OF_OUTCOME = {"revoke": REVOKED, "retire": RETIRED}


@dataclass(frozen=True)
class CenterState:
    """A center as the ledger knows it (only what the decision needs)."""

    center_id: str
    name: str
    status: str = RUNNING
    status_cycle: int | None = None
    approved_year: int | None = None


@dataclass(frozen=True)
class EvaluationRecord:
    """One evaluation of one center (a row of ``evaluations``)."""

    center_id: str
    year: int
    status: str
    grade: str | None = None
    rectification_reeval: bool = False
    total: str | None = None  # exact 'p/q' or decimal text

    @property
    def effective_grade(self) -> str | None:
        """The grade that counts: 视同合格 is 合格; 缓评, 未参评, 中途退出 have none."""
        if self.status == "视同合格":
            return "合格"
        if self.status != "参评":
            return None
        return self.grade


@dataclass(frozen=True)
class EventRecord:
    """An Art. 38 (三)-(九) or Art. 28 event recorded for a center."""

    center_id: str
    rule: str
    occurred_on: date
    description: str = ""
    basis: str = ""


@dataclass(frozen=True)
class ReportRecord:
    """The receipt of one annual report (``submitted_on`` None: not submitted)."""

    center_id: str
    year: int
    submitted_on: date | None


@dataclass(frozen=True)
class Disposition:
    """What the bureau must do about one center in one cycle."""

    center_id: str
    center_name: str
    outcome: str
    rules: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    other_rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The entry of ``centers`` in the dispositions report (report.md)."""
        return {
            "center_id": self.center_id,
            "center_name": self.center_name,
            "outcome": self.outcome,
            "rules": list(self.rules),
            "reasons": list(self.reasons),
            "other_rules": list(self.other_rules),
        }

    @property
    def outcome_zh(self) -> str:
        return OUTCOME_ZH[self.outcome]

    @property
    def articles(self) -> tuple[str, ...]:
        """The articles the rules cite, in rule order, without repeats."""
        seen: list[str] = []
        for rule in self.rules:
            art = rule_info(rule)["article"]
            if art not in seen:
                seen.append(art)
        return tuple(seen)


@dataclass
class _Hit:
    rule: str
    reason: str


def format_total(total: str | None) -> str | None:
    """An exact total ('p/q', '72', '72.8') to one decimal for a sentence; None when absent or unreadable."""
    if not total:
        return None
    try:
        value = Fraction(str(total))
    except (ValueError, ZeroDivisionError):
        return None
    tenths = math.floor(value * 10 + Fraction(1, 2))  # half up, on the exact value
    return f"{tenths // 10}.{tenths % 10}"


def _grade_phrase(ev: EvaluationRecord) -> str:
    total = format_total(ev.total)
    if ev.status == "视同合格":
        return "视同合格"
    if total is not None:
        return f"总分{total}分，等级为{ev.effective_grade}"
    return f"等级为{ev.effective_grade}"


def listed(center: CenterState, year: int) -> bool:
    """Whether a center belongs in the cycle's dispositions (running at its start: a center approved in the
    cycle's own year was not, and has nothing to be judged on yet)."""
    if center.approved_year is not None and center.approved_year >= year:
        return False
    if center.status == RUNNING:
        return True
    # revoked or not kept by this cycle, or by a later one (then it was running in this one: a cycle decided again
    # after a later cycle lists the same centers with the same outcomes)
    return center.status_cycle is not None and center.status_cycle >= year


def _new_with_event(center: CenterState, events: Sequence[EventRecord], config: Config, since: date) -> bool:
    """A center approved in the cycle's own year is not listed, except when an event of Art. 38 happened to
    it in the cycle (fraud before its first evaluation): the next cycle's window would not hold the event."""
    return (center.status == RUNNING and center.approved_year == config.year
            and any(ev.rule in EVENT_RULES and event_in_cycle(ev, config, since) for ev in events))


def report_due(center: CenterState, report_year: int) -> bool:
    """Whether the center owes an annual report for ``report_year``."""
    return center.approved_year is None or center.approved_year <= report_year


def previous_graded(history: Sequence[EvaluationRecord], year: int) -> EvaluationRecord | None:
    """The last evaluation before ``year`` that carries a grade (缓评 and ungraded records skipped)."""
    for ev in sorted(history, key=lambda e: e.year, reverse=True):
        if ev.year < year and ev.effective_grade is not None:
            return ev
    return None


def _evaluation_hits(history: Sequence[EvaluationRecord], year: int) -> list[_Hit]:
    current = next((e for e in history if e.year == year), None)
    if current is None:
        return []
    hits: list[_Hit] = []
    if current.status == "未参评":
        hits.append(_Hit("A38.2.ABSENT", f"{year}年无故不参加绩效评估"))
    elif current.status == "中途退出":
        hits.append(_Hit("A38.2.ABSENT", f"{year}年绩效评估中途退出"))
    grade = current.effective_grade
    if grade == "优秀":
        hits.append(_Hit("A36.REWARD", f"{year}年绩效评估{_grade_phrase(current)}"))
    elif grade == FAIL:
        prev = previous_graded(history, year)
        if prev is not None and prev.effective_grade == FAIL:
            span = "连续两年" if prev.year == year - 1 else "连续两次"
            note = "（后一次为整改复评）" if current.rectification_reeval else ""
            hits.append(_Hit("A38.2.TWICE", f"{prev.year}年、{year}年绩效评估{span}不合格{note}"))
        else:
            hits.append(_Hit(
                "A37.RECTIFY",
                f"{year}年绩效评估{_grade_phrase(current)}，限期一年整改，{year + 1}年参加复评",
            ))
    return hits


def missed_reevaluations(centers: Iterable[CenterState], evaluations: Iterable[EvaluationRecord],
                         year: int) -> list[str]:
    """Running centers graded 不合格 the year before (Art. 37: rectify for a year, then take part in the next
    year's evaluation) with no record in this year's evaluation while other centers have one: the bureau must
    say whether it took part (a center absent without reason is revoked, Art. 38(二)); nothing is decided here."""
    evals = list(evaluations)
    if not any(ev.year == year for ev in evals):  # no evaluation recorded this year: said on its own
        return []
    failed = {ev.center_id for ev in evals if ev.year == year - 1 and ev.effective_grade == "不合格"}
    seen = {ev.center_id for ev in evals if ev.year == year}
    return [c.center_id for c in sorted(centers, key=lambda c: c.center_id)
            if c.center_id in failed and c.center_id not in seen and c.status == RUNNING]


def judged_since(config: Config, previous_reference: date | None = None) -> date:
    """The previous cycle's reference date (as the ledger recorded it; else a year before this cycle's): each
    cycle judges what happened after it, up to its own reference date."""
    since = previous_reference if previous_reference is not None else add_years(config.reference_date, -1)
    return min(since, config.reference_date)


def overdue_report_years(config: Config, since: date) -> list[int]:
    """The report years whose deadline this cycle is the first to be past (the year before's, as rules.md
    says, and also the one before it when its deadline was not yet past on ``since``: with the default
    reference date, 31 March, the deadline itself, a late report would otherwise never be judged)."""
    years = []
    for report_year in (config.year - 2, config.year - 1):
        deadline = config.annual.deadline(report_year)
        if config.reference_date > deadline and (report_year == config.year - 1 or deadline >= since):
            years.append(report_year)
    return years


def _report_hits(center: CenterState, reports: dict[tuple[str, int], ReportRecord], config: Config,
                 since: date) -> list[_Hit]:
    hits = []
    for report_year in overdue_report_years(config, since):
        deadline = config.annual.deadline(report_year)
        if not report_due(center, report_year):
            continue
        rec = reports.get((center.center_id, report_year))
        when = rec.submitted_on if rec is not None else None
        if when is not None and when <= deadline:
            continue
        if when is None:
            text = (f"{report_year}年度报告截至{format_zh(config.reference_date)}仍未报送"
                    f"（报送截止日期为{format_zh(deadline)}）")
        else:
            text = f"{report_year}年度报告未按时报送：截止日期为{format_zh(deadline)}，实际于{format_zh(when)}报送"
        hits.append(_Hit("A38.1.NO-REPORT", text))
    return hits


def _event_hit(ev: EventRecord) -> _Hit:
    title = rule_info(ev.rule)["title"]
    facts = ev.description.strip()
    text = f"{format_zh(ev.occurred_on)}，{title}"
    if facts:
        text += f"：{facts}"
    if ev.basis.strip():
        text += f"（依据：{ev.basis.strip()}）"
    return _Hit(ev.rule, text)


def event_in_cycle(ev: EventRecord, config: Config, since: date) -> bool:
    """Events count when dated in the cycle's year up to the reference date (rules.md), and also after the
    previous cycle's reference date ``since``: an event after it in the year before (after 31 March, with the
    default reference date) would otherwise fall in no cycle and never lead to the revocation it calls for."""
    when = ev.occurred_on
    return date(config.year, 1, 1) <= when <= config.reference_date or since < when <= config.reference_date


def decide_center(
    center: CenterState,
    history: Sequence[EvaluationRecord],
    events: Sequence[EventRecord],
    reports: dict[tuple[str, int], ReportRecord],
    config: Config,
    since: date,
) -> Disposition:
    """The disposition of one center for ``config.year`` (the center is assumed listed), judging what
    happened after ``since`` (:func:`judged_since`)."""
    hits: list[_Hit] = _report_hits(center, reports, config, since)
    hits.extend(_evaluation_hits(history, config.year))
    for ev in sorted(events, key=lambda e: (e.occurred_on, e.rule, e.description)):
        if ev.rule in EVENT_RULES and event_in_cycle(ev, config, since):
            hits.append(_event_hit(ev))
    if not hits:
        return Disposition(center.center_id, center.name, "none")
    outcome = min((OUTCOME_OF_RULE[h.rule] for h in hits), key=OUTCOMES.index)
    order = {r: i for i, r in enumerate(RULE_ORDER)}
    hits.sort(key=lambda h: order[h.rule])  # stable: events keep their date order within a rule
    chosen = [h for h in hits if OUTCOME_OF_RULE[h.rule] == outcome]
    others = [h.rule for h in hits if OUTCOME_OF_RULE[h.rule] != outcome]
    return Disposition(
        center_id=center.center_id,
        center_name=center.name,
        outcome=outcome,
        rules=tuple(dict.fromkeys(h.rule for h in chosen)),
        reasons=tuple(h.reason for h in chosen),
        other_rules=tuple(dict.fromkeys(others)),
    )


def decide(
    centers: Iterable[CenterState],
    evaluations: Iterable[EvaluationRecord],
    events: Iterable[EventRecord],
    reports: Iterable[ReportRecord],
    config: Config,
    previous_reference: date | None = None,
) -> list[Disposition]:
    """Every listed center's disposition for ``config.year``, in center-id order; ``previous_reference``: the
    reference date the previous cycle was decided on (None: a year before this cycle's)."""
    since = judged_since(config, previous_reference)
    evals_by: dict[str, list[EvaluationRecord]] = defaultdict(list)
    for ev in evaluations:
        if ev.year <= config.year:
            evals_by[ev.center_id].append(ev)
    events_by: dict[str, list[EventRecord]] = defaultdict(list)
    for e in events:
        events_by[e.center_id].append(e)
    report_map = {(r.center_id, r.year): r for r in reports}
    out = []
    for center in sorted(centers, key=lambda c: c.center_id):
        if not listed(center, config.year) and not _new_with_event(center, events_by.get(center.center_id, []),
                                                                   config, since):
            continue
        out.append(decide_center(center, evals_by.get(center.center_id, []),
                                 events_by.get(center.center_id, []), report_map, config, since))
    return out


@dataclass
class DispositionSummary:
    """Counts per outcome, for the terminal summary."""

    counts: dict[str, int] = field(default_factory=lambda: {o: 0 for o in OUTCOMES})

    @classmethod
    def of(cls, dispositions: Iterable[Disposition]) -> DispositionSummary:
        s = cls()
        for d in dispositions:
            s.counts[d.outcome] += 1
        return s

    def to_dict(self) -> dict[str, int]:
        return dict(self.counts)
