"""Performance evaluation (Art. 31-35): recusal, aggregation, grades and ranks — pure functions.

Input is an :class:`EvaluationInput` (the five sheets of the scoring workbook as plain
records, cell values as read); :func:`evaluate` applies rules.md part C and returns an
:class:`EvaluationResult` whose ``to_dict()`` is the "evaluation" report of report.md.
No openpyxl, click, sqlite3 or jsonschema here: the workbook is read and written by
:mod:`toolkit.adapters.evaluation_workbook`.

Decisions this module makes (and the tests hold it to):

Recusal (Art. 33)
    A score row (expert × center) is excluded for every reason that holds: A33.SELF (the
    expert is on the center's personnel sheet — by ID number when both sides have one,
    otherwise by name + unit), A33.LEAD / A33.PARTNER (employer USCC equals the lead's /
    a co-builder's USCC when both are known; otherwise the normalised names are equal —
    never a substring), A33.DECLARED (申请回避 = 是 on the row, or a row of 利益关系申报).
    When both USCCs are known and differ, equal names do not match: the USCC is the
    identity. An exclusion is applied, so its finding has severity ``info``; a conflict
    found automatically but not declared adds the warning A33.UNDECLARED. An excluded
    row's scores are not checked and do not count.

Aggregation (exact :class:`fractions.Fraction`)
    ``mean``: each dimension is the mean of the valid experts' scores; the total is the
    sum of the dimension means (= the mean of the experts' totals).
    ``trimmed`` (去掉一个最高分和一个最低分): with at least five valid experts, the expert
    with the highest total and the expert with the lowest total are dropped *whole*; the
    dimensions are the means of the remaining experts' dimension scores and the total is
    their sum (= the mean of the remaining totals). Among experts tied on the highest
    (lowest) total the one whose row comes first in the sheet is dropped — the total does
    not depend on that choice, only the split over dimensions does. With fewer than five
    valid experts the plain mean is used and a remark says so.
    Figures are rounded half-up to one decimal for display only; grade and rank use the
    exact total (which the JSON also carries as ``total_exact``, "p/q" text). Rounded
    dimensions need not add up to the rounded total.

Grades (Art. 35) and ranks
    优秀 total ≥ excellent, 合格 total ≥ passing, else 不合格, on the exact total. Ranks are
    competition ranks (1, 2, 2, 4) over the centers graded from scores. A 视同合格 center
    is 合格 without scores and without a rank; 未参评, 中途退出 and 缓评 get no grade; a
    参评 center with an error in its scores (or too few valid experts, A32.PANEL) gets no
    grade and no rank.

Quota for 优秀 (``excellent_quota``, off by default)
    At most ⌊quota × N⌋ centers are 优秀, N being the number of centers graded from scores.
    Centers reaching the excellent line are taken in rank order, a whole group of tied
    totals at a time: a tied group gets 优秀 only if all of it fits in the places left;
    otherwise none of that group, nor any center ranked below it, gets 优秀 — they are
    合格 — and each of them carries an ``A35.QUOTA`` info finding explaining why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from toolkit import __version__
from toolkit.core.config import Config, EvaluationConfig
from toolkit.core.findings import Finding, Severity, rule_info
from toolkit.core.names import mask_id, normalise_id_number, normalise_org_name, normalise_person_name
from toolkit.core.uscc import normalise_uscc, uscc_problem
from toolkit.core.values import (
    ValueProblem,
    clean_text,
    is_blank,
    nfkc,
    parse_bool,
    parse_choice,
    parse_score,
)

# ------------------------------------------------------------------ vocabulary

STATUSES = ("参评", "未参评", "中途退出", "缓评", "视同合格")
PARTICIPATING, ABSENT, WITHDREW, DEFERRED, DEEMED = STATUSES
GRADES = ("优秀", "合格", "不合格")
EXCELLENT, PASSING, FAILING = GRADES
REGIONS = ("省内", "省外")
CATEGORIES = ("同行专家", "管理专家")
TRIM_MIN_EXPERTS = 5  # 去掉一个最高分和一个最低分 only with at least this many valid experts
TOTAL_TOLERANCE = Fraction(1, 10**6)  # a typed/cached 合计 may carry binary-float noise from Excel
QUOTA_RULE = "A35.QUOTA"  # not in the rule catalogue: an explanation, never an error
QUOTA_ARTICLE = "第三十五条"

SHEET_ROSTER = "中心名单"
SHEET_PERSONNEL = "中心人员"
SHEET_EXPERTS = "专家名单"
SHEET_SCORES = "专家打分"
SHEET_DECLARATIONS = "利益关系申报"
STANDARD_SHEETS = {
    "roster": SHEET_ROSTER,
    "personnel": SHEET_PERSONNEL,
    "experts": SHEET_EXPERTS,
    "scores": SHEET_SCORES,
    "declarations": SHEET_DECLARATIONS,
}

_STATUS_ALIASES = {
    "未参评(无故)": ABSENT, "无故未参评": ABSENT, "无故不参评": ABSENT, "不参评": ABSENT, "未参加": ABSENT,
    "退出": WITHDREW, "中途退出评估": WITHDREW, "暂缓": DEFERRED, "暂缓评估": DEFERRED, "缓评估": DEFERRED,
    "参加": PARTICIPATING, "参加评估": PARTICIPATING, "视为合格": DEEMED,
}
_REGION_ALIASES = {"河北省内": "省内", "河北省外": "省外", "本省": "省内", "外省": "省外"}
_CATEGORY_ALIASES = {"同行": "同行专家", "管理": "管理专家", "技术专家": "同行专家", "同行评议专家": "同行专家"}

# how a conflict was matched: JSON code -> words shown to the clerk
MATCH_LABELS = {
    "uscc": "统一社会信用代码",
    "id_number": "证件号码",
    "normalised_name": "规范化名称",
    "name_unit": "姓名+单位",
    "declared_row": "打分表申请回避",
    "declared_sheet": "利益关系申报表",
}
_RULE_PHRASE = {
    "A33.SELF": "为参评中心人员",
    "A33.LEAD": "为依托单位人员",
    "A33.PARTNER": "为共建单位人员",
    "A33.DECLARED": "申请回避",
}


def _key(value: object) -> str:
    """An id (中心编号, 专家编号) for lookups: NFKC, no white space, upper case."""
    return "".join(nfkc(clean_text(value)).split()).upper()


# ------------------------------------------------------------------ input records

@dataclass(frozen=True)
class RosterCenter:
    """One row of 中心名单. ``status`` is the cell as read (parsed by :func:`evaluate`)."""

    center_id: str
    name: str = ""
    lead_name: str = ""
    lead_uscc: str = ""
    partners: tuple[str, ...] = ()
    partner_usccs: tuple[str, ...] = ()
    district: str = ""
    status: Any = PARTICIPATING
    row: int | None = None
    cells: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    """One row of 中心人员: a person of a center (ID number optional)."""

    center_id: str
    name: str
    id_number: str = ""
    unit: str = ""
    row: int | None = None
    cells: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expert:
    """One row of 专家名单. ``region`` (省内/省外) and ``category`` are the cells as read."""

    expert_id: str
    name: str = ""
    id_number: str = ""
    unit: str = ""
    unit_uscc: str = ""
    region: Any = None
    specialty: str = ""  # 专业领域
    category: Any = None
    row: int | None = None
    cells: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreRow:
    """One row of 专家打分. ``scores`` maps each dimension to its cell value as read.

    ``total`` is the 合计 cell (None when empty); ``total_formula_missing`` is True when it
    is a formula without a cached value. ``cells`` maps ``center_id``, ``expert_id``,
    ``total``, ``recuse`` and each dimension name to the A1 reference.
    """

    center_id: str
    expert_id: str
    scores: Mapping[str, Any] = field(default_factory=dict)
    total: Any = None
    total_formula_missing: bool = False
    recuse: Any = None
    remarks: str = ""
    row: int | None = None
    cells: Mapping[str, str] = field(default_factory=dict)
    formula_missing: frozenset[str] = frozenset()  # dimensions whose cell is a formula without a cached value


@dataclass(frozen=True)
class Declaration:
    """One row of 利益关系申报: an expert declared a conflict with a center."""

    expert_id: str
    center_id: str
    note: str = ""
    row: int | None = None
    cells: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceInfo:
    """Where the input came from (report.md ``source``)."""

    file: str = ""
    sha256: str | None = None
    sheet: str | None = SHEET_SCORES


@dataclass
class EvaluationInput:
    """The scoring workbook as records. ``read_findings`` are the reader's own findings
    (missing columns, unknown headers …); an error among them withholds every grade."""

    centers: list[RosterCenter]
    experts: list[Expert]
    scores: list[ScoreRow]
    personnel: list[Person] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    source: SourceInfo = field(default_factory=SourceInfo)
    sheets: dict[str, str] = field(default_factory=lambda: dict(STANDARD_SHEETS))
    read_findings: list[Finding] = field(default_factory=list)

    def sheet(self, role: str) -> str:
        return self.sheets.get(role) or STANDARD_SHEETS[role]


# ------------------------------------------------------------------ results

@dataclass(frozen=True)
class Exclusion:
    """One excluded score for one reason (several reasons → several exclusions)."""

    expert_id: str
    expert_name: str
    center_id: str
    rule: str
    matched_by: str  # a key of MATCH_LABELS
    declared: bool  # the expert declared the conflict (on the row or in 利益关系申报)
    detail: str  # what matched, in words (ID numbers masked)
    row: int | None = None
    cell: str | None = None

    @property
    def article(self) -> str:
        return rule_info(self.rule)["article"]

    @property
    def matched_by_zh(self) -> str:
        return MATCH_LABELS[self.matched_by]

    def to_dict(self) -> dict[str, Any]:
        return {"expert_id": self.expert_id, "rule": self.rule, "matched_by": self.matched_by,
                "declared": self.declared}


@dataclass
class ExpertScore:
    """One score row as evaluated. ``state``: valid, invalid (counts, but has an error),
    excluded (recusal), ignored (center not scored, duplicate or unknown expert)."""

    expert_id: str
    expert_name: str
    row: int | None
    cells: Mapping[str, str]
    state: str = "valid"
    dims: dict[str, Fraction] | None = None  # complete and in range, else None
    total: Fraction | None = None  # sum of dims (recomputed, never the typed 合计)
    outlier: bool = False
    dropped: str | None = None  # "high" / "low" when trimmed away


@dataclass
class CenterResult:
    """The evaluation of one center on the roster."""

    center: RosterCenter
    status: str | None
    scores: list[ExpertScore] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    dimensions: dict[str, Fraction] | None = None
    total: Fraction | None = None
    rank: int | None = None
    grade: str | None = None
    findings: list[Finding] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)  # file-level problems that withhold the grade

    @property
    def valid_experts(self) -> int:
        """Experts on the panel after recusal: each once (a duplicate row is not a second expert), never one
        whose scores were excluded."""
        excluded = {s.expert_id for s in self.scores if s.state == "excluded"}
        return len({s.expert_id for s in self.scores if s.state in ("valid", "invalid")} - excluded)

    @property
    def excluded_experts(self) -> list[str]:
        return list(dict.fromkeys(e.expert_id for e in self.exclusions))

    @property
    def blocked(self) -> bool:
        return bool(self.blockers) or any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def trimmed(self) -> dict[str, str] | None:
        dropped = {s.dropped: s.expert_id for s in self.scores if s.dropped}
        return {"high": dropped["high"], "low": dropped["low"]} if dropped else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "center_id": self.center.center_id,
            "center_name": self.center.name,
            "status": self.status,
            "experts": self.valid_experts,
            "excluded": [e.to_dict() for e in self.exclusions],
            "dimensions": None if self.dimensions is None else {k: round1(v) for k, v in self.dimensions.items()},
            "total": None if self.total is None else round1(self.total),
            "total_exact": None if self.total is None else str(self.total),
            "dimensions_exact": None if self.dimensions is None else {k: str(v) for k, v in self.dimensions.items()},
            "rank": self.rank,
            "grade": self.grade,
        }
        if self.trimmed:
            out["trimmed"] = self.trimmed
        out["remarks"] = list(self.remarks)
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


@dataclass
class EvaluationResult:
    """Everything :func:`evaluate` found; ``to_dict()`` is report.md's evaluation report."""

    year: int
    reference_date: date
    source: SourceInfo
    settings: EvaluationConfig
    centers: list[CenterResult]
    experts: list[Expert]
    file_findings: list[Finding] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=lambda: dict(STANDARD_SHEETS))
    tool_version: str = __version__

    def all_findings(self) -> list[Finding]:
        return [*self.file_findings, *(f for c in self.centers for f in c.findings)]

    @property
    def exit_status(self) -> int:
        """0 when nothing blocking, 1 when any finding is an error (report.md)."""
        return 1 if any(f.severity is Severity.ERROR for f in self.all_findings()) else 0

    def summary(self) -> dict[str, Any]:
        findings = self.all_findings()
        grades = [c.grade for c in self.centers]
        return {
            "centers": len(self.centers),
            "graded": sum(1 for g in grades if g),
            **{g: grades.count(g) for g in GRADES},
            "excluded": sum(len(c.excluded_experts) for c in self.centers),
            "errors": sum(1 for f in findings if f.severity is Severity.ERROR),
            "warnings": sum(1 for f in findings if f.severity is Severity.WARNING),
        }

    def to_dict(self) -> dict[str, Any]:
        source: dict[str, Any] = {"file": self.source.file, "sha256": self.source.sha256}
        if self.source.sheet:
            source["sheet"] = self.source.sheet
        s = self.settings
        return {
            "report": "evaluation",
            "schema_version": 1,
            "tool_version": self.tool_version,
            "year": self.year,
            "reference_date": self.reference_date.isoformat(),
            "source": source,
            "settings": {
                "aggregation": s.aggregation,
                "min_experts": s.min_experts,
                "excellent": s.excellent,
                "passing": s.passing,
                "excellent_quota": s.excellent_quota,
                "outlier_points": s.outlier_points,
                "dimensions": dict(s.dimensions),
            },
            "summary": self.summary(),
            "centers": [c.to_dict() for c in self.centers],
            "file_findings": [f.to_dict() for f in self.file_findings],
        }


# ------------------------------------------------------------------ arithmetic helpers

def exact(value: int | float | str | Fraction) -> Fraction:
    """A config number as an exact fraction (a float via its shortest text: 84.3 → 843/10)."""
    if isinstance(value, Fraction | int):
        return Fraction(value)
    return Fraction(str(value))


def round_half_up(value: Fraction, places: int = 1) -> Fraction:
    """Round half away from zero (四舍五入) to ``places`` decimals, exactly."""
    scale = 10**places
    sign = -1 if value < 0 else 1
    return sign * Fraction(math.floor(abs(value) * scale + Fraction(1, 2)), scale)


def round1(value: Fraction) -> float:
    """A figure for display: one decimal, half up."""
    return float(round_half_up(value, 1))


def fmt(value: Fraction | int | float, places: int = 2) -> str:
    """A number for a sentence: at most ``places`` decimals, no trailing zeros (85, 84.99, 72.8)."""
    rounded = round_half_up(exact(value), places)
    if rounded.denominator == 1:
        return str(rounded.numerator)
    text = f"{float(rounded):.{places}f}".rstrip("0").rstrip(".")
    return text


def median(values: Sequence[Fraction]) -> Fraction:
    """The exact median (mean of the two middle values for an even count)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def competition_ranks(totals: Sequence[Fraction]) -> list[int]:
    """Rank of each total, highest first, ties sharing a rank (1, 2, 2, 4)."""
    order = sorted(range(len(totals)), key=lambda i: -totals[i])
    ranks = [0] * len(totals)
    for pos, i in enumerate(order):
        if pos and totals[i] == totals[order[pos - 1]]:
            ranks[i] = ranks[order[pos - 1]]
        else:
            ranks[i] = pos + 1
    return ranks


def grade_of(total: Fraction, settings: EvaluationConfig) -> str:
    """优秀 / 合格 / 不合格 on the exact total (thresholds inclusive)."""
    if total >= exact(settings.excellent):
        return EXCELLENT
    if total >= exact(settings.passing):
        return PASSING
    return FAILING


def aggregate(rows: Sequence[ExpertScore], dimensions: Sequence[str], method: str) -> tuple[
        dict[str, Fraction], Fraction, tuple[ExpertScore, ExpertScore] | None]:
    """Dimension figures and total of complete valid rows; for ``trimmed`` also the dropped pair.

    ``rows`` must all have ``dims``. Returns ``(dimensions, total, dropped)``; ``dropped`` is
    ``(highest, lowest)`` when trimming applied, else None.
    """
    kept = list(rows)
    dropped = None
    if method == "trimmed" and len(kept) >= TRIM_MIN_EXPERTS:
        high = max(kept, key=lambda r: r.total)  # max/min keep the first of equals: first row in the sheet
        rest = [r for r in kept if r is not high]
        low = min(rest, key=lambda r: r.total)
        kept = [r for r in rest if r is not low]
        dropped = (high, low)
    n = len(kept)
    dims = {d: sum((r.dims[d] for r in kept), Fraction(0)) / n for d in dimensions}
    return dims, sum(dims.values(), Fraction(0)), dropped


# ------------------------------------------------------------------ matching

@dataclass(frozen=True)
class _Org:
    name: str
    norm: str
    uscc: str  # valid USCC or ""


def _org_match(e_uscc: str, e_norm: str, org: _Org) -> str | None:
    if e_uscc and org.uscc:
        return "uscc" if e_uscc == org.uscc else None
    if e_norm and org.norm and e_norm == org.norm:
        return "normalised_name"
    return None


def _valid_uscc(raw: str) -> tuple[str, str | None]:
    """(normalised code or "", problem or None) for a USCC cell."""
    code = normalise_uscc(raw)
    if not code:
        return "", None
    problem = uscc_problem(code)
    return ("", problem) if problem else (code, None)


# ------------------------------------------------------------------ the evaluation

class _Evaluation:
    def __init__(self, data: EvaluationInput, config: Config) -> None:
        self.data = data
        self.config = config
        self.settings = config.evaluation
        self.dims = list(self.settings.dimensions)
        self.file_findings: list[Finding] = list(data.read_findings)
        self.read_blocked = any(f.severity is Severity.ERROR for f in data.read_findings)

    # -- findings helpers
    def ff(self, rule: str, message: str, **kw: Any) -> Finding:
        f = Finding.of(rule, message, **kw)
        self.file_findings.append(f)
        return f

    # -- experts
    def index_experts(self) -> None:
        sheet = self.data.sheet("experts")
        self.experts: dict[str, Expert] = {}
        self.expert_uscc: dict[str, str] = {}
        self.duplicate_experts: set[str] = set()
        regions: set[str] = set()
        categories: set[str] = set()
        for e in self.data.experts:
            k = _key(e.expert_id)
            if not k:
                self.ff("DATA.REQUIRED", f"专家名单第{e.row}行未填专家编号，该专家的评分无法对应", sheet=sheet,
                        cell=e.cells.get("expert_id"), row=e.row)
                continue
            if k in self.experts:
                self.duplicate_experts.add(k)
                first = self.experts[k]
                self.ff("DATA.DUPLICATE", f"专家编号“{e.expert_id}”在专家名单中重复（第{first.row}行和第{e.row}行），"
                        "其评分无法确定属于哪位专家", sheet=sheet, cell=e.cells.get("expert_id"), row=e.row,
                        expert_id=e.expert_id)
                continue
            self.experts[k] = e
            code, problem = _valid_uscc(e.unit_uscc)
            self.expert_uscc[k] = code
            if problem:
                self.ff("DATA.USCC", f"专家{e.expert_id}（{e.name}）的工作单位统一社会信用代码“{e.unit_uscc}”{problem}，"
                        "回避核验改按单位名称比对", severity="warning", sheet=sheet,
                        cell=e.cells.get("unit_uscc"), row=e.row, expert_id=e.expert_id)
            if is_blank(e.region):
                self.ff("DATA.REQUIRED", f"专家{e.expert_id}（{e.name}）未填“省内/省外”，无法核验专家组构成",
                        severity="warning", sheet=sheet, cell=e.cells.get("region"), row=e.row, expert_id=e.expert_id)
            else:
                try:
                    regions.add(parse_choice(e.region, REGIONS, _REGION_ALIASES))
                except ValueProblem as exc:
                    self.ff("DATA.TYPE", f"专家{e.expert_id}的“省内/省外”为“{clean_text(e.region)}”，{exc}",
                            severity="warning", sheet=sheet, cell=e.cells.get("region"), row=e.row,
                            expert_id=e.expert_id)
            if not is_blank(e.category):
                try:
                    categories.add(parse_choice(e.category, CATEGORIES, _CATEGORY_ALIASES))
                except ValueProblem as exc:
                    self.ff("DATA.TYPE", f"专家{e.expert_id}的专家类别为“{clean_text(e.category)}”，{exc}",
                            severity="warning", sheet=sheet, cell=e.cells.get("category"), row=e.row,
                            expert_id=e.expert_id)
        missing = [r for r in REGIONS if r not in regions]
        if categories:
            missing += [c for c in CATEGORIES if c not in categories]
        if self.experts and missing:
            self.ff("A32.MIX", f"专家组中没有{'、'.join(missing)}，应由省内外同行专家和管理专家组成", sheet=sheet)

    # -- roster
    def index_roster(self) -> list[CenterResult]:
        sheet = self.data.sheet("roster")
        results: list[CenterResult] = []
        self.centers: dict[str, CenterResult] = {}
        self.orgs: dict[int, tuple[_Org, list[_Org]]] = {}
        seen: dict[str, CenterResult] = {}
        for c in self.data.centers:
            k = _key(c.center_id)
            if not k:
                self.ff("DATA.REQUIRED", f"中心名单第{c.row}行未填中心编号，该行未参加评估", sheet=sheet,
                        cell=c.cells.get("center_id"), row=c.row)
                continue
            res = CenterResult(center=c, status=None)
            results.append(res)
            self.parse_status(res, sheet)
            self.orgs[id(res)] = self.center_orgs(res, sheet)
            if k in seen:
                first = seen[k]
                for r in (first, res):
                    r.findings.append(Finding.of(
                        "DATA.DUPLICATE", f"中心编号“{c.center_id}”在中心名单中重复（第{first.center.row}行和第{c.row}行），"
                        "无法确定评分属于哪一行", sheet=sheet, cell=r.center.cells.get("center_id"), row=r.center.row))
                continue
            seen[k] = res
            self.centers[k] = res
        return results

    def parse_status(self, res: CenterResult, sheet: str) -> None:
        c = res.center
        if is_blank(c.status):  # never guessed: a deferred or absent center would be graded (and 不合格)
            res.status = PARTICIPATING
            res.findings.append(Finding.of(
                "DATA.REQUIRED", f"中心{c.center_id}未填参评状态（参评、未参评、中途退出、缓评或视同合格），该中心不予定级",
                sheet=sheet, cell=c.cells.get("status"), row=c.row))
            return
        try:
            res.status = parse_choice(c.status, STATUSES, _STATUS_ALIASES)
        except ValueProblem as exc:
            res.findings.append(Finding.of(
                "DATA.TYPE", f"中心{c.center_id}的参评状态“{clean_text(c.status)}”无法识别，{exc}，该中心不予定级",
                sheet=sheet, cell=c.cells.get("status"), row=c.row, value=clean_text(c.status)))

    def center_orgs(self, res: CenterResult, sheet: str) -> tuple[_Org, list[_Org]]:
        c = res.center
        lead_code, problem = _valid_uscc(c.lead_uscc)
        if problem:
            res.findings.append(Finding.of(
                "DATA.USCC", f"中心{c.center_id}的依托单位统一社会信用代码“{c.lead_uscc}”{problem}，回避核验改按单位名称比对",
                severity="warning", sheet=sheet, cell=c.cells.get("lead_uscc"), row=c.row))
        lead = _Org(c.lead_name, normalise_org_name(c.lead_name), lead_code)
        if not lead.norm and not lead.uscc and res.status == PARTICIPATING:
            res.findings.append(Finding.of(
                "DATA.REQUIRED", f"中心{c.center_id}未填依托单位名称和统一社会信用代码，无法核验依托单位人员回避",
                sheet=sheet, cell=c.cells.get("lead_name"), row=c.row))
        codes = []
        for raw in c.partner_usccs:
            code, problem = _valid_uscc(raw)
            if problem:
                res.findings.append(Finding.of(
                    "DATA.USCC", f"中心{c.center_id}的共建单位统一社会信用代码“{raw}”{problem}，回避核验改按单位名称比对",
                    severity="warning", sheet=sheet, cell=c.cells.get("partner_usccs"), row=c.row))
            codes.append(code)
        partners: list[_Org]
        if c.partner_usccs and len(c.partner_usccs) != len(c.partners):
            res.findings.append(Finding.of(
                "DATA.LIST-LENGTH", f"中心{c.center_id}的共建单位名称{len(c.partners)}个、统一社会信用代码"
                f"{len(c.partner_usccs)}个，个数不一致，回避核验按名称和代码分别比对", severity="warning", sheet=sheet,
                cell=c.cells.get("partner_usccs"), row=c.row))
            partners = [_Org(n, normalise_org_name(n), "") for n in c.partners]
            partners += [_Org("", "", code) for code in codes if code]
        else:
            partners = [_Org(n, normalise_org_name(n), codes[i] if i < len(codes) else "")
                        for i, n in enumerate(c.partners)]
        return lead, partners

    # -- personnel and declarations
    def index_personnel(self) -> None:
        sheet = self.data.sheet("personnel")
        self.people: dict[str, list[Person]] = defaultdict(list)
        for p in self.data.personnel:
            k = _key(p.center_id)
            if k not in self.centers:
                self.ff("SCORE.UNKNOWN", f"中心人员表第{p.row}行的中心编号“{p.center_id}”不在中心名单中",
                        severity="warning", sheet=sheet, cell=p.cells.get("center_id"), row=p.row)
                continue
            if is_blank(p.name) and is_blank(p.id_number):
                continue
            if is_blank(p.id_number) and is_blank(p.unit):
                self.ff("DATA.REQUIRED", f"中心人员表第{p.row}行“{p.name}”既无证件号码也无所在单位，不能用于回避核验",
                        severity="warning", sheet=sheet, cell=p.cells.get("unit"), row=p.row)
                continue
            self.people[k].append(p)

    def index_declarations(self) -> None:
        sheet = self.data.sheet("declarations")
        self.declared: dict[tuple[str, str], list[Declaration]] = defaultdict(list)
        for d in self.data.declarations:
            ek, ck = _key(d.expert_id), _key(d.center_id)
            if not ek or not ck:
                self.ff("DATA.REQUIRED", f"利益关系申报表第{d.row}行未填{'专家编号' if not ek else '中心编号'}，该申报无法对应",
                        sheet=sheet, cell=d.cells.get("expert_id" if not ek else "center_id"), row=d.row)
                continue
            if ek not in self.experts:
                self.ff("SCORE.UNKNOWN", f"利益关系申报表第{d.row}行的专家编号“{d.expert_id}”不在专家名单中",
                        sheet=sheet, cell=d.cells.get("expert_id"), row=d.row, expert_id=d.expert_id)
                continue
            if ck not in self.centers:
                self.ff("SCORE.UNKNOWN", f"利益关系申报表第{d.row}行的中心编号“{d.center_id}”不在中心名单中",
                        sheet=sheet, cell=d.cells.get("center_id"), row=d.row, center_id=d.center_id)
                continue
            self.declared[(ek, ck)].append(d)

    # -- score rows
    def assign_scores(self) -> dict[str, list[ScoreRow]]:
        sheet = self.data.sheet("scores")
        by_center: dict[str, list[ScoreRow]] = defaultdict(list)
        for s in self.data.scores:
            ck, ek = _key(s.center_id), _key(s.expert_id)
            res = self.centers.get(ck)
            if not ck:
                self.ff("DATA.REQUIRED", f"专家打分表第{s.row}行未填中心编号，该行评分无法对应", sheet=sheet,
                        cell=s.cells.get("center_id"), row=s.row, expert_id=s.expert_id or None)
                continue
            if res is None:
                self.ff("SCORE.UNKNOWN", f"专家打分表第{s.row}行的中心编号“{s.center_id}”不在中心名单中，该行评分未计入",
                        sheet=sheet, cell=s.cells.get("center_id"), row=s.row, center_id=s.center_id)
                continue
            if not ek:
                self.ff("DATA.REQUIRED", f"专家打分表第{s.row}行未填专家编号，无法核验回避，中心{res.center.center_id}不予定级",
                        sheet=sheet, cell=s.cells.get("expert_id"), row=s.row, center_id=res.center.center_id)
                res.blockers.append(f"专家打分表第{s.row}行未填专家编号")
                continue
            if ek not in self.experts:
                what = "重复" if ek in self.duplicate_experts else "不在专家名单中"
                rule = "DATA.DUPLICATE" if ek in self.duplicate_experts else "SCORE.UNKNOWN"
                self.ff(rule, f"专家打分表第{s.row}行的专家编号“{s.expert_id}”{what}，中心{res.center.center_id}不予定级",
                        sheet=sheet, cell=s.cells.get("expert_id"), row=s.row, expert_id=s.expert_id,
                        center_id=res.center.center_id)
                res.blockers.append(f"专家打分表第{s.row}行的专家编号“{s.expert_id}”{what}")
                continue
            by_center[ck].append(s)
        return by_center

    def score_center(self, res: CenterResult, rows: list[ScoreRow]) -> None:
        c = res.center
        ck = _key(c.center_id)
        sheet = self.data.sheet("scores")
        lead, partners = self.orgs[id(res)]
        seen: dict[str, ExpertScore] = {}
        for s in rows:
            ek = _key(s.expert_id)
            e = self.experts[ek]
            es = ExpertScore(expert_id=e.expert_id, expert_name=e.name, row=s.row, cells=s.cells)
            res.scores.append(es)
            if ek in seen:
                first = seen[ek]
                for r in (first, es):
                    if r.state != "excluded":  # an expert excluded by recusal stays excluded
                        r.state = "invalid"
                    res.findings.append(Finding.of(
                        "DATA.DUPLICATE", f"专家{e.expert_id}对中心{c.center_id}有两行评分（第{first.row}行和第{s.row}行），"
                        "请删去多余的一行", sheet=sheet, cell=r.cells.get("expert_id"), row=r.row, expert_id=e.expert_id))
                continue
            seen[ek] = es
            reasons = self.recusal_reasons(res, e, ek, lead, partners)
            declared_row = self.parse_recuse(res, s, e, sheet)
            decls = self.declared.get((ek, ck), [])
            declared = declared_row or bool(decls)
            for rule, how, detail in reasons:
                self.exclude(res, es, e, s, rule, how, detail, declared, sheet)
            if declared_row:
                self.exclude(res, es, e, s, "A33.DECLARED", "declared_row", "专家在打分表中申请回避"
                             + (f"，并在利益关系申报表第{decls[0].row}行申报" if decls else ""), True, sheet)
            elif decls:
                d = decls[0]
                note = f"：{d.note}" if d.note else ""
                self.exclude(res, es, e, s, "A33.DECLARED", "declared_sheet",
                             f"利益关系申报表第{d.row}行{note}", True, sheet)
            if reasons and not declared:
                why = "；".join(f"{_RULE_PHRASE[r]}，{d}（按{MATCH_LABELS[h]}匹配）" for r, h, d in reasons)
                res.findings.append(Finding.of(
                    "A33.UNDECLARED", f"专家{e.expert_id}（{e.name}）应回避但未申请回避：{why}；"
                    f"其对中心{c.center_id}的评分已剔除，请核实", sheet=sheet,
                    cell=s.cells.get("recuse") or s.cells.get("expert_id"), row=s.row, expert_id=e.expert_id))
            if not e.unit.strip() and not self.expert_uscc.get(ek):
                res.findings.append(Finding.of(
                    "DATA.REQUIRED", f"专家{e.expert_id}（{e.name}）未填工作单位，无法核验其对中心{c.center_id}的回避",
                    sheet=self.data.sheet("experts"), cell=e.cells.get("unit"), row=e.row, expert_id=e.expert_id))
            if reasons or declared:
                es.state = "excluded"
                es.dims, es.total = self.quiet_dims(s)
                continue
            self.check_dims(res, es, s, e, sheet)

    def recusal_reasons(self, res: CenterResult, e: Expert, ek: str, lead: _Org,
                        partners: list[_Org]) -> list[tuple[str, str, str]]:
        c = res.center
        reasons: list[tuple[str, str, str]] = []
        e_id = normalise_id_number(e.id_number)
        e_name = normalise_person_name(e.name)
        e_unit = normalise_org_name(e.unit)
        for p in self.people.get(_key(c.center_id), ()):
            p_id = normalise_id_number(p.id_number)
            if e_id and p_id:
                if e_id == p_id:
                    reasons.append(("A33.SELF", "id_number",
                                    f"专家证件号码与中心人员“{p.name}”的证件号码（{mask_id(p_id)}）相同"))
                    break
            elif e_name and e_unit and e_name == normalise_person_name(p.name) and e_unit == normalise_org_name(p.unit):
                reasons.append(("A33.SELF", "name_unit",
                                f"专家姓名和工作单位与中心人员“{p.name}”（{p.unit}）相同（缺证件号码，可能同名，请核实）"))
                break
        e_uscc = self.expert_uscc.get(ek, "")
        how = _org_match(e_uscc, e_unit, lead)
        if how:
            reasons.append(("A33.LEAD", how, self.org_detail(e, lead, "依托单位", how)))
        for org in partners:
            how = _org_match(e_uscc, e_unit, org)
            if how:
                reasons.append(("A33.PARTNER", how, self.org_detail(e, org, "共建单位", how)))
                break
        return reasons

    @staticmethod
    def org_detail(e: Expert, org: _Org, role: str, how: str) -> str:
        if how == "uscc":
            name = f"“{org.name}”" if org.name else ""
            return f"工作单位“{e.unit}”与{role}{name}的统一社会信用代码同为{org.uscc}"
        return f"工作单位“{e.unit}”与{role}“{org.name}”规范化后名称相同，缺统一社会信用代码无法按代码比对"

    def parse_recuse(self, res: CenterResult, s: ScoreRow, e: Expert, sheet: str) -> bool:
        if is_blank(s.recuse):
            return False
        try:
            return parse_bool(s.recuse)
        except ValueProblem as exc:
            res.findings.append(Finding.of(
                "DATA.TYPE", f"专家{e.expert_id}对中心{res.center.center_id}的“申请回避”为“{clean_text(s.recuse)}”，{exc}",
                sheet=sheet, cell=s.cells.get("recuse"), row=s.row, expert_id=e.expert_id,
                value=clean_text(s.recuse)))
            return False

    def exclude(self, res: CenterResult, es: ExpertScore, e: Expert, s: ScoreRow, rule: str, how: str,
                detail: str, declared: bool, sheet: str) -> None:
        ex = Exclusion(expert_id=e.expert_id, expert_name=e.name, center_id=res.center.center_id, rule=rule,
                       matched_by=how, declared=declared, detail=detail, row=s.row, cell=s.cells.get("expert_id"))
        res.exclusions.append(ex)
        label = "" if rule == "A33.DECLARED" else f"（按{MATCH_LABELS[how]}匹配：{detail}）"
        res.findings.append(Finding.of(
            rule, f"专家{e.expert_id}（{e.name}）{_RULE_PHRASE[rule]}{label}，其对中心{res.center.center_id}的评分已回避剔除",
            severity="info", sheet=sheet, cell=ex.cell, row=s.row, expert_id=e.expert_id, matched_by=how,
            declared=declared))

    def quiet_dims(self, s: ScoreRow) -> tuple[dict[str, Fraction] | None, Fraction | None]:
        """Dimension scores of an excluded row, for display only (no findings)."""
        dims: dict[str, Fraction] = {}
        for d in self.dims:
            raw = s.scores.get(d)
            if is_blank(raw):
                return None, None
            try:
                dims[d] = Fraction(parse_score(raw))
            except ValueProblem:
                return None, None
        return dims, sum(dims.values(), Fraction(0))

    def check_dims(self, res: CenterResult, es: ExpertScore, s: ScoreRow, e: Expert, sheet: str) -> None:
        c = res.center
        dims: dict[str, Fraction] = {}
        ok = True
        for d, maximum in self.settings.dimensions.items():
            raw = s.scores.get(d)
            cell = s.cells.get(d)
            if d in s.formula_missing:  # not an empty cell: never "not scored"
                ok = False
                res.findings.append(Finding.of(
                    "DATA.FORMULA", f"专家{e.expert_id}对中心{c.center_id}的“{d}”评分是公式但没有计算结果（文件由程序生成、"
                    "未在 Excel 中打开保存），请在 Excel 中打开、保存后重新提交", sheet=sheet, field=d, cell=cell, row=s.row,
                    expert_id=e.expert_id))
                continue
            if is_blank(raw):
                ok = False
                res.findings.append(Finding.of(
                    "SCORE.MISSING", f"专家{e.expert_id}（{e.name}）未给中心{c.center_id}的“{d}”评分", sheet=sheet,
                    field=d, cell=cell, row=s.row, expert_id=e.expert_id))
                continue
            try:
                value = Fraction(parse_score(raw))
            except ValueProblem as exc:
                ok = False
                res.findings.append(Finding.of(
                    "DATA.TYPE", f"专家{e.expert_id}对中心{c.center_id}的“{d}”评分“{clean_text(raw)}”{exc}", sheet=sheet,
                    field=d, cell=cell, row=s.row, value=clean_text(raw), expert_id=e.expert_id))
                continue
            if not 0 <= value <= maximum:
                ok = False
                res.findings.append(Finding.of(
                    "SCORE.RANGE", f"专家{e.expert_id}对中心{c.center_id}的“{d}”评分{fmt(value)}超出0至{maximum}分的范围",
                    sheet=sheet, field=d, cell=cell, row=s.row, value=value, expert_id=e.expert_id))
                continue
            dims[d] = value
        if not ok:
            es.state = "invalid"
            return
        es.dims = dims
        es.total = sum(dims.values(), Fraction(0))
        if not s.total_formula_missing and not is_blank(s.total):
            try:
                given = Fraction(parse_score(s.total))
            except ValueProblem as exc:
                es.state = "invalid"
                res.findings.append(Finding.of(
                    "DATA.TYPE", f"专家{e.expert_id}对中心{c.center_id}的合计“{clean_text(s.total)}”{exc}", sheet=sheet,
                    field="total", cell=s.cells.get("total"), row=s.row, value=clean_text(s.total),
                    expert_id=e.expert_id))
                return
            if abs(given - es.total) > TOTAL_TOLERANCE:
                es.state = "invalid"
                res.findings.append(Finding.of(
                    "SCORE.TOTAL", f"专家{e.expert_id}对中心{c.center_id}的合计{fmt(given)}与各项之和{fmt(es.total)}不符",
                    sheet=sheet, field="total", cell=s.cells.get("total"), row=s.row, value=given,
                    expert_id=e.expert_id))

    # -- panel, outliers, aggregation
    def conclude_center(self, res: CenterResult) -> None:
        c = res.center
        sheet = self.data.sheet("scores")
        valid = res.valid_experts
        if valid < self.settings.min_experts:
            excluded = len(res.excluded_experts)
            why = f"（{excluded}名专家回避）" if excluded else ""
            # on the center's roster cell when no score row names it (nothing to point at in 专家打分)
            where = ({"sheet": sheet} if res.scores else
                     {"sheet": self.data.sheet("roster"), "cell": c.cells.get("center_id"), "row": c.row})
            res.findings.append(Finding.of(
                "A32.PANEL", f"中心{c.center_id}有效评估专家{valid}人{why}，少于{self.settings.min_experts}人，"
                "有效专家不足，需补充评审", center_id=c.center_id, **where))
            res.remarks.append("有效专家不足，需补充评审")
        complete = [s for s in res.scores if s.state == "valid"]
        if complete:
            mid = median([s.total for s in complete])
            limit = self.settings.outlier_points
            for s in complete:
                if abs(s.total - mid) > limit:
                    s.outlier = True
                    res.findings.append(Finding.of(
                        "SCORE.OUTLIER", f"专家{s.expert_id}（{s.expert_name}）给中心{c.center_id}的总分{fmt(s.total)}"
                        f"与专家组中位数{fmt(mid)}相差{fmt(abs(s.total - mid))}分，超过{limit}分，请核实",
                        severity="warning", sheet=sheet, cell=s.cells.get("total") or s.cells.get("expert_id"),
                        row=s.row, expert_id=s.expert_id))
        if self.read_blocked:
            res.blockers.append("工作簿表头有错误")
        if res.blocked:
            if res.blockers:
                res.remarks.append("；".join(dict.fromkeys(res.blockers)) + "，不予定级")
            if any(f.severity is Severity.ERROR and f.rule != "A32.PANEL" for f in res.findings):
                res.remarks.append("评分有错误，不予定级（见问题清单）")
            return
        dims, total, dropped = aggregate(complete, self.dims, self.settings.aggregation)
        if dropped:
            dropped[0].dropped, dropped[1].dropped = "high", "low"
            res.remarks.append(f"去掉最高分（{dropped[0].expert_id}，{fmt(dropped[0].total)}分）和最低分"
                               f"（{dropped[1].expert_id}，{fmt(dropped[1].total)}分）后平均")
        elif self.settings.aggregation == "trimmed":
            res.remarks.append(f"有效专家不足{TRIM_MIN_EXPERTS}人，未去掉最高最低分，按平均计")
        res.dimensions, res.total = dims, total
        res.grade = grade_of(total, self.settings)
        shown = round_half_up(total, 1)
        for line, name in ((exact(self.settings.excellent), EXCELLENT), (exact(self.settings.passing), PASSING)):
            if total < line <= shown:
                res.remarks.append(f"总分精确值{fmt(total, 4)}，不足{fmt(line)}分，未达{name}")
                break

    def status_only(self, res: CenterResult, rows: list[ScoreRow]) -> None:
        words = {ABSENT: "未参评（无故），不予定级", WITHDREW: "中途退出评估，不予定级", DEFERRED: "缓评，本次不定级",
                 DEEMED: "视同合格，不打分"}
        if res.status == DEEMED:
            res.grade = PASSING
        if res.status in words:
            res.remarks.append(words[res.status])
        if rows:
            res.remarks.append(f"参评状态为{res.status or '无法识别'}，专家打分表中对该中心的{len(rows)}行评分未计入")
            for s in rows:
                e = self.experts[_key(s.expert_id)]
                res.scores.append(ExpertScore(expert_id=e.expert_id, expert_name=e.name, row=s.row, cells=s.cells,
                                              state="ignored"))

    # -- grades across centers
    def rank_and_quota(self, results: list[CenterResult]) -> None:
        ranked = [r for r in results if r.status == PARTICIPATING and r.total is not None and r.grade]
        for r, rank in zip(ranked, competition_ranks([r.total for r in ranked]), strict=True):
            r.rank = rank
        quota = self.settings.excellent_quota
        if quota is None:
            return
        places = math.floor(exact(quota) * len(ranked))
        base = f"优秀名额为参与排名的{len(ranked)}个中心的{fmt(exact(quota) * 100)}%，即{places}个"
        candidates = sorted((r for r in ranked if r.grade == EXCELLENT), key=lambda r: r.rank)
        groups: dict[int, list[CenterResult]] = defaultdict(list)
        for r in candidates:
            groups[r.rank].append(r)
        left = places
        closed = False
        for rank in sorted(groups):
            group = groups[rank]
            if not closed and len(group) <= left:
                left -= len(group)
                continue
            if not closed and len(group) > 1 and left > 0:
                why = (f"并列第{rank}名的{len(group)}个中心总分相同，而剩余优秀名额只有{left}个，"
                       f"并列者不能只取部分，均评为合格（{base}）")
            elif not closed and len(group) > 1:
                why = f"并列第{rank}名的{len(group)}个中心总分达到优秀线，但优秀名额已满，评为合格（{base}）"
            else:
                why = f"排名第{rank}名，总分达到优秀线，但超出优秀名额，评为合格（{base}）"
            closed = True
            for r in group:
                r.grade = PASSING
                r.remarks.append("达到优秀线但超出优秀名额，评为合格")
                r.findings.append(Finding(rule=QUOTA_RULE, severity=Severity.INFO, article=QUOTA_ARTICLE,
                                          message=f"中心{r.center.center_id}{why}", sheet=self.data.sheet("roster"),
                                          cell=r.center.cells.get("center_id"), row=r.center.row))

    def run(self) -> EvaluationResult:
        self.formula_missing = [s.cells.get("total") or f"第{s.row}行" for s in self.data.scores
                                if s.total_formula_missing]
        self.index_experts()
        results = self.index_roster()
        self.index_personnel()
        self.index_declarations()
        by_center = self.assign_scores()
        for res in results:
            k = _key(res.center.center_id)
            rows = by_center.get(k, []) if self.centers.get(k) is res else []
            if res.status == PARTICIPATING:
                self.score_center(res, rows)
                self.conclude_center(res)
            else:
                if res.status is None and not res.remarks:
                    res.remarks.append("参评状态无法识别，不予定级")
                self.status_only(res, rows)
                if self.centers.get(k) is not res:
                    res.grade = None
            if res.blocked:  # an error on the center (a duplicate roster row, no status …): never a grade
                res.grade = None
        self.rank_and_quota(results)
        if self.formula_missing:
            cells = "、".join(self.formula_missing[:5]) + ("等" if len(self.formula_missing) > 5 else "")
            self.ff("DATA.FORMULA", f"专家打分表有{len(self.formula_missing)}个合计公式没有计算结果（{cells}，文件未经Excel"
                    "计算保存），已按各项分数重新计算", severity="warning", sheet=self.data.sheet("scores"),
                    cell=self.formula_missing[0] if self.formula_missing[0][0].isalpha() else None)
        return EvaluationResult(
            year=self.config.year, reference_date=self.config.reference_date, source=self.data.source,
            settings=self.settings, centers=results, experts=list(self.experts.values()),
            file_findings=self.file_findings, sheets={r: self.data.sheet(r) for r in STANDARD_SHEETS})


def evaluate(data: EvaluationInput, config: Config) -> EvaluationResult:
    """Apply rules.md part C to the scoring workbook's records (pure; see the module docstring)."""
    return _Evaluation(data, config).run()
