"""Annual reports (rules.md part B): one row of the 年度报告汇总表 checked against Art. 14-16, 19, 20, 29.

Pure: rows come in as raw cell values (as :mod:`toolkit.adapters.table` reads
them) and go out as :class:`AnnualRow` with their findings; which running
centers sent no report, or a late one, is :func:`submission_issues`.

The report for year Y is due by ``config.annual.deadline(Y)`` (default 31 March
of Y+1); a report received ON that day is on time, one day later is late
(A29.SUBMITTED, which leads to Art. 38(一)). A report not yet received while the
reference date is not past the deadline is a warning (still due), not an error.

The director (Art. 16) is checked on the report's reference date, 31 December of
the report year: the report describes that year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from toolkit.core.config import Config
from toolkit.core.dates import age_on, format_zh
from toolkit.core.findings import Finding, Severity, Verdict, summarise_verdicts, verdict_of
from toolkit.core.values import (
    ValueProblem,
    clean_text,
    is_blank,
    nfkc,
    parse_bool,
    parse_date,
    parse_integer,
    parse_number,
)

SHARED_CHOICES = ("是", "否", "无大型仪器")
@dataclass(frozen=True)
class AnnualLimits:
    """The thresholds of part B. Art. 16's are the intake form's (the adapter takes them from its schema: one source
    of truth for both checks of the same article); Art. 15's committee size is the annual form's own."""

    max_age: int = 60  # A16.DIRECTOR-AGE
    min_months: float = 8  # A16.DIRECTOR-MONTHS
    tsc_min: int = 7  # A15.TSC-SIZE
    tsc_max: int = 11


LIMITS = AnnualLimits()


@dataclass(frozen=True)
class AnnualField:
    """One column of the annual report workbook (workbooks.md §2)."""

    key: str
    header: str
    type: str  # text | integer | number | date | bool | shared
    required: bool = False  # needed when the report was submitted
    blocks: str | None = None  # what an empty value prevents checking
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.header.split("（")[0] if self.header.endswith("）") else self.header


FIELDS: tuple[AnnualField, ...] = (
    AnnualField("seq", "序号", "text"),
    AnnualField("center_id", "中心编号", "text", aliases=("技术创新中心编号", "编号")),
    AnnualField("center_name", "中心名称", "text", aliases=("技术创新中心名称",)),
    AnnualField("year", "报告年度", "integer", aliases=("年度",)),
    AnnualField("submitted_on", "报送日期", "date", aliases=("报送时间", "收到日期")),
    AnnualField("mgmt_meetings", "管理委员会会议次数", "integer", True, "第十四条", ("管委会会议次数",)),
    AnnualField("tsc_members", "技术指导委员会人数", "integer", True, "第十五条", ("技术委员会人数",)),
    AnnualField("tsc_internal", "其中依托及共建单位人数", "integer", True, "第十五条",
                ("其中依托单位及共建单位人数", "依托及共建单位人数")),
    AnnualField("tsc_chair_external", "技术指导委员会主任是否为外单位专家", "bool", True, "第十五条",
                ("主任是否为外单位专家", "技术指导委员会主任是否外单位专家")),
    AnnualField("tsc_meetings", "技术指导委员会会议次数", "integer", True, "第十五条", ("技术委员会会议次数",)),
    AnnualField("director", "中心主任", "text", True, "第十六条", ("主任", "主任姓名")),
    AnnualField("director_birth", "主任出生日期", "date", True, "第十六条", ("中心主任出生日期",)),
    AnnualField("director_other", "主任是否兼任其他平台负责人", "bool", True, "第十六条",
                ("主任是否兼任其它平台负责人",)),
    AnnualField("director_months", "主任本年度在中心工作时间（月）", "number", True, "第十六条",
                ("主任每年在中心工作时间（月）", "主任在中心工作时间（月）")),
    AnnualField("admin_staff", "专职管理人员数", "integer", True, "第十九条", ("专职管理人员",)),
    AnnualField("instruments_shared", "大型仪器是否纳入共享平台", "shared", True, "第二十条",
                ("大型仪器设备是否纳入共享平台",)),
    AnnualField("fixed_staff", "固定人员数（人）", "integer", aliases=("固定人员数", "固定人员")),
    AnnualField("rd_spend", "本年度研发经费投入（万元）", "number", aliases=("研发经费投入（万元）", "本年度研发投入（万元）")),
    AnnualField("remarks", "备注", "text"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}


class RawRowLike(Protocol):
    row: int
    values: dict[str, Any]
    cells: dict[str, str]
    formula_missing: set[str]


@dataclass(frozen=True)
class KnownCenter:
    """A center of the ledger, as the annual check needs it."""

    center_id: str
    name: str
    status: str = "运行"
    approved_year: int | None = None
    status_cycle: int | None = None  # the cycle that revoked or retired it

    def owes_report(self, year: int) -> bool:
        """Running during ``year`` (approved by then, not revoked or retired before the next cycle)."""
        if self.approved_year is not None and self.approved_year > year:
            return False
        return self.status == "运行" or (self.status_cycle is not None and self.status_cycle > year)


@dataclass
class AnnualRow:
    """One checked row: parsed values, findings, and whether its receipt date can be recorded."""

    row: int
    values: dict[str, Any]
    findings: list[Finding]
    cells: dict[str, str] = field(default_factory=dict)
    known: bool = False  # the center id is one of the ledger's (or no ledger was given)

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)

    @property
    def center_id(self) -> str | None:
        return self.values.get("center_id")

    @property
    def year(self) -> int | None:
        return self.values.get("year")

    @property
    def submitted_on(self) -> date | None:
        return self.values.get("submitted_on")

    @property
    def recordable(self) -> bool:
        """Center and year known, and the receipt date readable (empty: not submitted)."""
        return self.readable and not any(f.rule == "DATA.DUPLICATE" for f in self.findings)

    @property
    def readable(self) -> bool:
        """As :attr:`recordable`, the center being in the file twice aside (its rows may agree on the date)."""
        bad = {"center_id", "year", "submitted_on"}
        return bool(self.center_id and self.year) and not any(
            f.field in bad and f.severity is Severity.ERROR and f.rule.startswith("DATA.")
            and f.rule != "DATA.DUPLICATE" for f in self.findings
        ) and self.known

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "center_id": self.center_id,
            "center_name": self.values.get("center_name"),
            "year": self.year,
            "submitted_on": self.submitted_on.isoformat() if self.submitted_on else None,
            "verdict": self.verdict.value,
            "findings": [f.to_dict() for f in self.findings],
        }


def _parse(spec: AnnualField, raw: Any) -> Any:
    t = spec.type
    if t == "text":
        return clean_text(raw)
    if t == "integer":
        value = parse_integer(raw)
        if value < 0:
            raise ValueProblem("不能为负数")
        return value
    if t == "number":
        number = parse_number(raw)
        if number < 0:
            raise ValueProblem("不能为负数")
        return number
    if t == "date":
        return parse_date(raw)
    if t == "bool":
        return parse_bool(raw)
    if t == "shared":
        text = nfkc(clean_text(raw)).replace(" ", "")
        if text in ("无大型仪器", "无", "没有", "无大型仪器设备", "不适用"):
            return "无大型仪器"
        return "是" if parse_bool(text) else "否"
    raise ValueError(f"unknown annual field type {t!r}")  # a programming error, not a user error


def _fmt_num(value: Decimal | int) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def check_row(
    raw: RawRowLike,
    config: Config,
    centers: dict[str, KnownCenter] | None = None,
    *,
    missing_columns: frozenset[str] = frozenset(),
    limits: AnnualLimits = LIMITS,
) -> AnnualRow:
    """Every rule of rules.md part B for one row (A29.SUBMITTED per row; absent centers: :func:`submission_issues`).

    ``centers`` is the ledger's centers by id (None: no ledger, ids are not checked).
    """
    findings: list[Finding] = []
    values: dict[str, Any] = {}
    cells = dict(raw.cells)
    known = False

    def add(rule: str, message: str, key: str | None, value: Any = None, severity: str | None = None) -> None:
        findings.append(Finding.of(rule, message, field=key, cell=cells.get(key) if key else None,
                                   value=value, severity=severity))

    for spec in FIELDS:
        if spec.key not in raw.values or spec.key in raw.formula_missing:
            continue
        rv = raw.values[spec.key]
        if is_blank(rv):
            continue
        try:
            value = _parse(spec, rv)
        except ValueProblem as exc:
            add("DATA.TYPE", f"{spec.label}“{clean_text(rv)}”{exc}", spec.key, rv)
            continue
        if value == "":
            continue
        values[spec.key] = value

    # identity of the report: center and year
    cid = values.get("center_id")
    if cid is not None:
        cid = nfkc(cid).replace(" ", "").upper()
        values["center_id"] = cid
    if centers is not None:
        if cid is None and "center_id" not in {f.field for f in findings}:
            name = values.get("center_name")
            match = [c for c in centers.values() if name and c.name == name]
            if len(match) == 1:
                values["center_id"] = cid = match[0].center_id
                add("DATA.REQUIRED", f"中心编号为空，已按中心名称匹配为{cid}，请核实", "center_id", None, "warning")
        if cid is not None and cid not in centers:
            add("DATA.TYPE", f"中心编号“{cid}”在台账中不存在，无法登记报送日期", "center_id", cid)
        elif cid is not None:
            known = True
            center = centers[cid]
            if values.get("center_name") and values["center_name"] != center.name:
                add("DATA.TYPE", f"中心名称“{values['center_name']}”与台账中{cid}的名称“{center.name}”不一致，请核实",
                    "center_name", values["center_name"], "warning")
            year_ = values.get("year")
            if year_ is not None and not center.owes_report(year_):
                if center.approved_year is not None and center.approved_year > year_:
                    text = f"{cid}于{center.approved_year}年认定，无需报送{year_}年度报告"
                else:
                    text = f"{cid}在台账中的状态为“{center.status}”，无需报送{year_}年度报告"
                add("DATA.TYPE", text, "center_id", cid, "warning")
    else:
        known = cid is not None
    for key, what in (("center_id", "中心编号"), ("year", "报告年度")):
        if key in raw.formula_missing:
            add("DATA.FORMULA", f"{what}是公式但没有计算结果，请在 Excel 中打开、保存后重新提交", key)
        elif key not in values and not any(f.field == key for f in findings):
            add("DATA.REQUIRED", f"缺少{what}，无法登记年度报告", key)
    year = values.get("year")
    if year is not None and year != config.year - 1:  # never recorded over another year's receipt in the ledger
        add("DATA.TYPE", f"报告年度“{year}”不是本周期核查的{config.year - 1}年度，未登记报送日期，请核实", "year", year)
        year = None
        values.pop("year")

    # A29: received by the deadline
    submitted = values.get("submitted_on")
    if "submitted_on" in missing_columns:  # no 报送日期 column: the file-level DATA.HEADER says so; nothing guessed
        pass
    elif "submitted_on" in raw.formula_missing:
        add("DATA.FORMULA", "报送日期是公式但没有计算结果，请在 Excel 中打开、保存后重新提交", "submitted_on")
    elif year is not None and not any(f.field == "submitted_on" for f in findings):
        deadline = config.annual.deadline(year)
        if submitted is None:
            if config.reference_date > deadline:
                add("A29.SUBMITTED", f"{year}年度报告未报送（截止日期为{format_zh(deadline)}）", "submitted_on")
            else:
                add("A29.SUBMITTED", f"{year}年度报告尚未报送，截止日期为{format_zh(deadline)}",
                    "submitted_on", None, "warning")
        elif submitted > deadline and config.reference_date > deadline:
            add("A29.SUBMITTED", f"{year}年度报告于{format_zh(submitted)}报送，晚于截止日期{format_zh(deadline)}，"
                "视为未按时报送", "submitted_on", submitted)
        elif submitted > deadline:  # as tic decide reads it: on the reference date the report was not yet due
            add("A29.SUBMITTED", f"{year}年度报告于{format_zh(submitted)}报送，晚于截止日期{format_zh(deadline)}"
                + not_yet_past(config.reference_date), "submitted_on", submitted, "warning")
        elif submitted < date(year, 1, 1):
            add("DATA.TYPE", f"报送日期{format_zh(submitted)}早于报告年度{year}年，请核实", "submitted_on",
                submitted, "warning")

    if submitted is not None:  # the content rules apply to a report that was sent
        _check_content(values, raw, findings, add, missing_columns, year, config.reference_date, limits)
    return AnnualRow(row=raw.row, values=values, findings=_ordered(findings), cells=cells, known=known)


def _check_content(values: dict[str, Any], raw: RawRowLike, findings: list[Finding], add: Any,
                   missing_columns: frozenset[str], year: int | None, reference_date: date,
                   limits: AnnualLimits = LIMITS) -> None:
    blocked = {f.field for f in findings}
    for spec in FIELDS:
        if not spec.required or spec.key in values or spec.key in blocked:
            continue
        if spec.key in raw.formula_missing:
            add("DATA.FORMULA", f"{spec.label}是公式但没有计算结果（文件由程序生成、未在 Excel 中打开保存），"
                "请在 Excel 中打开、保存后重新提交", spec.key)
        elif spec.key in missing_columns:
            continue  # reported once for the file (DATA.HEADER)
        else:
            add("DATA.REQUIRED", f"缺少{spec.label}，无法核验{spec.blocks}", spec.key)

    v = values
    if "mgmt_meetings" in v and v["mgmt_meetings"] < 1:
        add("A14.MGMT-MEETING", "管理委员会本年度未召开会议（应每年定期召开）", "mgmt_meetings", v["mgmt_meetings"])
    members = v.get("tsc_members")
    if members is not None and not limits.tsc_min <= members <= limits.tsc_max:
        add("A15.TSC-SIZE", f"技术指导委员会{members}人，不在{limits.tsc_min}至{limits.tsc_max}名之间", "tsc_members",
            members)
    internal = v.get("tsc_internal")
    if members is not None and internal is not None:
        if internal > members:
            add("DATA.TYPE", f"其中依托及共建单位人数{internal}人，多于技术指导委员会总人数{members}人",
                "tsc_internal", internal)
        elif 3 * internal > members:
            add("A15.TSC-INTERNAL", f"技术指导委员会{members}人中依托及共建单位人员{internal}人，超过三分之一",
                "tsc_internal", internal)
    if v.get("tsc_chair_external") is False:
        add("A15.TSC-CHAIR", "技术指导委员会主任不是外单位专家（应由非依托单位、共建单位的专家担任）",
            "tsc_chair_external", "否")
    if "tsc_meetings" in v and v["tsc_meetings"] < 1:
        add("A15.TSC-MEETING", "技术指导委员会本年度未召开会议（每年至少一次）", "tsc_meetings", v["tsc_meetings"])
    birth = v.get("director_birth")
    if birth is not None:
        on = reference_date  # as in part A (rules.md B): the age in 周岁 on the cycle's reference date
        if birth > on:
            add("DATA.TYPE", f"主任出生日期{format_zh(birth)}晚于基准日期{format_zh(on)}，请核实", "director_birth", birth)
        else:
            age = age_on(birth, on)
            if age > limits.max_age:
                who = f"中心主任{v['director']}" if v.get("director") else "中心主任"
                add("A16.DIRECTOR-AGE", f"{who}至基准日{on.isoformat()}年龄为{age}周岁，超过{limits.max_age}周岁",
                    "director_birth", birth)
    if v.get("director_other") is True:
        add("A16.DIRECTOR-OTHER", "中心主任兼任其他平台负责人", "director_other", "是")
    months = v.get("director_months")
    if months is not None:
        if months > 12:
            add("DATA.TYPE", f"主任本年度在中心工作时间{_fmt_num(months)}个月，超过12个月", "director_months", months)
        elif months < limits.min_months:
            add("A16.DIRECTOR-MONTHS", f"主任本年度在中心工作{_fmt_num(months)}个月，少于{limits.min_months:g}个月",
                "director_months", months)
    if "admin_staff" in v and v["admin_staff"] < 1:
        add("A19.ADMIN-STAFF", "未配备专职管理人员", "admin_staff", v["admin_staff"])
    if v.get("instruments_shared") == "否":
        add("A20.SHARING", "大型仪器未纳入省、市大型仪器设备共享平台", "instruments_shared", "否")


def _ordered(findings: list[Finding]) -> list[Finding]:
    pos = {f.key: i for i, f in enumerate(FIELDS)}
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.field, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return sorted(out, key=lambda f: pos.get(f.field or "", -1))


def mark_duplicates(rows: Sequence[AnnualRow]) -> None:
    """DATA.DUPLICATE on every row that reports the same center and year as another."""
    groups: dict[tuple[str, int], list[AnnualRow]] = defaultdict(list)
    for r in rows:
        if r.center_id and r.year:
            groups[(r.center_id, r.year)].append(r)
    for (cid, year), members in groups.items():
        if len(members) < 2:
            continue
        for r in members:
            others = "、".join(f"第{o.row}行" for o in members if o is not r)
            r.findings.append(Finding.of("DATA.DUPLICATE", f"{cid}的{year}年度报告与{others}重复",
                                         field="center_id", cell=r.cells.get("center_id")))


def check_rows(rows: Iterable[RawRowLike], config: Config, centers: dict[str, KnownCenter] | None = None,
               *, missing_columns: frozenset[str] = frozenset(), limits: AnnualLimits = LIMITS) -> list[AnnualRow]:
    """Check every row and mark duplicates (same center and year)."""
    results = [check_row(r, config, centers, missing_columns=missing_columns, limits=limits) for r in rows]
    mark_duplicates(results)
    return results


def not_yet_past(reference_date: date) -> str:
    """What a late report means while the reference date is not past the deadline (as tic decide reads A38.1)."""
    return (f"，但基准日期{format_zh(reference_date)}尚未过截止日期，本周期处置决定暂不按第三十八条第（一）项处理，"
            "下一周期判定；请核实报送日期或配置中的基准日期")


@dataclass(frozen=True)
class SubmissionIssue:
    """A running center whose report for ``year`` is missing, not yet due, or late."""

    center_id: str
    center_name: str
    year: int
    state: str  # missing | pending | late
    deadline: date
    submitted_on: date | None = None
    reference_date: date | None = None  # late but the reference date not past the deadline: a warning

    @property
    def state_zh(self) -> str:
        return {"missing": "未报送", "pending": "尚未报送（未到截止日期）", "late": "逾期报送"}[self.state]

    def finding(self) -> Finding:
        if self.state == "late" and self.submitted_on is not None:
            msg = (f"{self.center_id} {self.center_name}的{self.year}年度报告于{format_zh(self.submitted_on)}报送，"
                   f"晚于截止日期{format_zh(self.deadline)}")
            if self.reference_date is not None and self.reference_date <= self.deadline:
                msg += not_yet_past(self.reference_date)
                return Finding.of("A29.SUBMITTED", msg, severity="warning", center_id=self.center_id)
            return Finding.of("A29.SUBMITTED", msg, center_id=self.center_id)
        if self.state == "pending":
            msg = (f"{self.center_id} {self.center_name}尚未报送{self.year}年度报告，"
                   f"截止日期为{format_zh(self.deadline)}")
            return Finding.of("A29.SUBMITTED", msg, severity="warning", center_id=self.center_id)
        msg = (f"{self.center_id} {self.center_name}未报送{self.year}年度报告"
               f"（截止日期为{format_zh(self.deadline)}）")
        return Finding.of("A29.SUBMITTED", msg, center_id=self.center_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "center_id": self.center_id,
            "center_name": self.center_name,
            "year": self.year,
            "state": self.state,
            "deadline": self.deadline.isoformat(),
            "submitted_on": self.submitted_on.isoformat() if self.submitted_on else None,
        }


def submission_issues(
    centers: Iterable[KnownCenter],
    received: dict[tuple[str, int], date | None],
    year: int,
    config: Config,
) -> list[SubmissionIssue]:
    """Running centers that owe a report for ``year`` and have none, none yet, or a late one.

    ``received`` maps (center_id, year) to the receipt date (None: recorded as not submitted).
    """
    deadline = config.annual.deadline(year)
    out = []
    for c in sorted(centers, key=lambda c: c.center_id):
        if not c.owes_report(year):
            continue
        when = received.get((c.center_id, year))
        if when is None:
            state = "missing" if config.reference_date > deadline else "pending"
        elif when > deadline:
            state = "late"
        else:
            continue
        out.append(SubmissionIssue(c.center_id, c.name, year, state, deadline, when, config.reference_date))
    return out


def summarise(rows: Sequence[AnnualRow], file_findings: Sequence[Finding] = ()) -> dict[str, int]:
    """Counts for the report's ``summary`` (same keys as the intake validation report)."""
    return summarise_verdicts(rows, file_findings)
