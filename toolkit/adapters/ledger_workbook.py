"""Workbooks of the ledger: the 中心台账 (import / export / blank), the city workbook (register),
and the annual report workbook 年度报告汇总表 (blank / check).

- :func:`import_ledger_workbook` reads workbooks.md §4 (sheets 中心, 评估记录, 事件, 年报) into the
  ledger: idempotent (a second import changes nothing and says so; a corrected row updates the
  ledger and says which), every row-level problem a finding with its sheet and cell, never a
  silent skip.
- :func:`export_ledger_workbook` writes the same layout back (it imports unchanged).
- :func:`register_from_city_workbook` adds the centers the bureau approved (批准建设 = 是) in the
  city workbook of ``tic collect`` with new ids; the same row registered twice keeps its id.
- :func:`check_annual_file` checks an annual report workbook (rules.md part B), records each
  report's receipt date, lists running centers with no report or a late one, and writes
  ``<name>.年报核查.xlsx`` beside the input (or in ``out_dir``).
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from toolkit import __version__
from toolkit.adapters.atomic import write_with
from toolkit.adapters.ledger import file_sha256, now_text, open_ledger
from toolkit.adapters.letter_plan import KIND_ZH
from toolkit.adapters.safety import open_workbook
from toolkit.adapters.schema_check import annual_limits
from toolkit.adapters.table import Column, RawRow, Table, normalise_header, read_table
from toolkit.adapters.xlstyle import defuse_formulas, print_fit, print_wide
from toolkit.core import annual as annual_core
from toolkit.core.config import AnnualConfig, Config
from toolkit.core.dates import format_zh
from toolkit.core.disposition import (
    CENTER_STATUSES,
    EVAL_STATUSES,
    EVENT_RULES,
    GRADES,
    RETIRED,
    REVOKED,
    RUNNING,
)
from toolkit.core.findings import Finding, Severity, exit_status, rule_info
from toolkit.core.intake import name_key
from toolkit.core.uscc import normalise_uscc, uscc_problem
from toolkit.core.values import (
    ValueProblem,
    clean_text,
    is_blank,
    nfkc,
    parse_bool,
    parse_choice,
    parse_date,
    parse_integer,
    parse_list,
    parse_score,
)
from toolkit.errors import InputFileError

LEDGER_TEMPLATE_VERSION = "ledger-1"
EXPORT_MARK = "TIC_EXPORT"  # a defined name of a workbook tic ledger export wrote (a clerk's 中心台账 has the same sheets)
ANNUAL_TEMPLATE_VERSION = "annual-1"
ANNUAL_SHEET = "年度报告汇总"
CHECK_SUFFIX = "年报核查"

HEADER_FONT = Font(name="宋体", size=10, bold=True)
TITLE_FONT = Font(name="黑体", size=16, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# ------------------------------------------------------------------ the 中心台账 layout (workbooks.md §4)

CENTER_COLUMNS = (
    Column("center_id", "中心编号", ("技术创新中心编号", "编号"), required=True),
    Column("name", "中心名称", ("技术创新中心名称",), required=True),
    Column("name_en", "英文名称关键词", ("英文名称",)),
    Column("lead_name", "依托单位名称", ("依托单位",), required=True),
    Column("lead_uscc", "依托单位统一社会信用代码", ("依托单位信用代码", "依托单位社会信用代码")),
    Column("partners", "共建单位名称", ("共建单位",)),
    Column("partner_usccs", "共建单位统一社会信用代码", ("共建单位信用代码", "共建单位社会信用代码")),
    Column("district", "县（市、区）", ("县市区", "所属县（市、区）")),
    Column("key_field", "重点领域", ("领域",)),
    Column("rd_direction", "研发方向", ("研究开发方向",)),
    Column("director", "中心主任", ("主任",)),
    Column("approved_year", "认定年份", ("认定年度",)),
    Column("approval_doc", "认定文号", ("认定文件", "批复文号")),
    Column("status", "状态", ("运行状态", "中心状态")),
    # optional columns beyond §4 (written by export so that a round trip keeps them)
    Column("reg_place", "注册地"),
    Column("status_cycle", "状态变更年度", ("状态变更周期",)),
    Column("status_date", "状态变更日期", date=True),
)
EVAL_COLUMNS = (
    Column("center_id", "中心编号", ("技术创新中心编号", "编号"), required=True),
    Column("year", "评估年度", ("评估年份",), required=True),
    Column("status", "参评状态", (), required=True),
    Column("grade", "等级", ("评估等级", "评估结果")),
    Column("reeval", "是否整改复评", ("整改复评",)),
    Column("total", "总分", ("评估总分", "得分")),
)
EVENT_COLUMNS = (
    Column("center_id", "中心编号", ("技术创新中心编号", "编号"), required=True),
    Column("article", "条款", ("对应条款", "情形"), required=True),
    Column("occurred_on", "发生日期", ("日期", "发生时间"), required=True, date=True),
    Column("description", "说明", ("事件说明", "情况说明")),
    Column("basis", "依据文件", ("依据",)),
)
REPORT_COLUMNS = (
    Column("center_id", "中心编号", ("技术创新中心编号", "编号"), required=True),
    Column("year", "报告年度", ("年报年度",), required=True),
    Column("submitted_on", "报送日期", ("报送时间", "收到日期"), date=True),
)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool


SHEETS = {
    "centers": SheetSpec("中心", ("中心名单", "中心信息", "技术创新中心"), CENTER_COLUMNS, True),
    "evaluations": SheetSpec("评估记录", ("评估", "评估情况", "绩效评估"), EVAL_COLUMNS, False),
    "events": SheetSpec("事件", ("事件记录", "撤销事件"), EVENT_COLUMNS, False),
    "reports": SheetSpec("年报", ("年度报告", "年报记录", "年度报告报送"), REPORT_COLUMNS, False),
}
LABELS = {c.key: c.header for c in CENTER_COLUMNS}

_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def article_of(rule: str) -> str:
    return rule_info(rule)["article"]


def parse_article(value: object) -> str:
    """条款 text → rule id: 第三十八条第（三）项 / 38(3) / A38.3 → 'A38.3'; 第二十八条 → 'A28.RETIRE'."""
    text = re.sub(r"\s+", "", nfkc(clean_text(value))).upper()
    if text in EVENT_RULES:
        return text
    if text in ("A28", "28", "第二十八条", "第28条", "二十八条"):
        return "A28.RETIRE"
    m = (re.fullmatch(r"(?:A)?38[.(（]?([1-9])[)）]?", text)
         or re.fullmatch(r"第?三十八条第?[(（]?([一二三四五六七八九])[)）]?项?", text)
         or re.fullmatch(r"第?38条第?[(（]?([1-9一二三四五六七八九])[)）]?项?", text))
    if not m:
        raise ValueProblem("应为“第三十八条第（三）项”至“第（九）项”或“第二十八条”")
    item = m.group(1)
    n = _CN_NUM.get(item) or int(item)
    if n in (1, 2):
        raise ValueProblem("是根据年报和评估记录自动判断的情形，不作为事件登记（事件只登记第三十八条第（三）至（九）项和第二十八条）")
    return f"A38.{n}"


# ------------------------------------------------------------------------- results


@dataclass
class ImportResult:
    """What an import did: counts per sheet, the changes it made, and the findings of the workbook."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    sha256: str | None = None
    new_ledger: bool = False  # the import created the ledger file

    @property
    def changed(self) -> bool:
        return any(c["new"] or c["updated"] for c in self.counts.values())

    @property
    def status(self) -> int:
        return exit_status(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": "ledger-import",
            "schema_version": 1,
            "tool_version": __version__,
            "source": {"file": self.path.name, "sha256": self.sha256},
            "counts": self.counts,
            "changes": self.changes,
            "findings": [f.to_dict() for f in self.findings],
        }

    def summary_lines(self) -> list[str]:
        names = {"centers": "中心", "evaluations": "评估记录", "events": "事件", "reports": "年报", "letters": "发文记录"}
        parts = []
        for key, label in names.items():
            c = self.counts.get(key)
            if c is None:
                continue
            parts.append(f"{label}：新增{c['new']}、更新{c['updated']}、未变{c['unchanged']}"
                         + (f"、未导入{c['rejected']}" if c["rejected"] else ""))
        lines = [f"导入 {self.path.name}：" + "；".join(parts) + "。"]
        if self.new_ledger and not self.counts.get("letters", {}).get("new"):  # used 发文字号 would be given again
            lines.append("已新建台账。该工作簿没有“发文记录”（已印发公文的发文字号），也不含处置和登记记录：如是为了恢复"
                         "丢失或损坏的台账，请改用“台账备份”中的备份文件（复制为台账文件名），或用 tic ledger export 导出的"
                         "工作簿导入，以免发文字号重复。")
        elif self.new_ledger:
            lines.append(f"已新建台账，并按“发文记录”保留了{self.counts['letters']['new']}个已用的发文字号（不会重号）；"
                         "处置和登记记录不在工作簿中，如有“台账备份”，恢复备份更完整。")
        if not self.changed:
            lines.append("台账与该工作簿一致，本次导入没有改变任何内容。")
        lines.extend(f"  更新：{x}" for x in self.changes)
        for f in self.findings:
            where = "".join(x for x in (f.sheet and f"工作表“{f.sheet}”", f.cell) if x)
            lines.append(f"  {'错误' if f.severity is Severity.ERROR else '警告'}：{where + ' ' if where else ''}{f.sentence()}")
        return lines


def _finding(rule: str, message: str, sheet: str, cell: str | None, row: int | None = None,
             severity: str | None = None, value: Any = None) -> Finding:
    return Finding.of(rule, message, sheet=sheet, cell=cell, row=row, severity=severity, value=value)


# --------------------------------------------------------------------- reading the 台账


def _find_sheet(wb: Any, spec: SheetSpec) -> str | None:
    wanted = {normalise_header(n) for n in (spec.name, *spec.aliases)}
    for name in wb.sheetnames:
        if normalise_header(name) in wanted:
            return name
    return None


def _read_sheets(path: Path, result: ImportResult) -> dict[str, Table]:
    wb = open_workbook(path, read_only=True)
    tables: dict[str, Table] = {}
    try:
        for key, spec in SHEETS.items():
            name = _find_sheet(wb, spec)
            if name is None:
                if spec.required:
                    raise InputFileError(path, f"文件“{path.name}”中没有“{spec.name}”工作表，不是中心台账"
                                               "（应有 中心、评估记录、事件、年报 四个工作表），未导入。", reason="no-form")
                result.findings.append(Finding.of("DATA.HEADER", f"没有“{spec.name}”工作表，该部分未导入",
                                                  severity="warning", sheet=spec.name))
                continue
            try:
                table = read_table(path, spec.columns, sheet_names=(name,), workbook=wb,
                                   form_name=f"中心台账“{spec.name}”工作表")
            except InputFileError:
                if spec.required:
                    raise
                result.findings.append(Finding.of(
                    "DATA.HEADER", f"工作表“{name}”中没有找到表头（{'、'.join(c.header for c in spec.columns if c.required)}），"
                    "该部分未导入", sheet=name))
                continue
            if table.sheet != name:  # the header was found on another sheet: not this part
                result.findings.append(Finding.of("DATA.HEADER", f"工作表“{name}”中没有找到表头，该部分未导入", sheet=name))
                continue
            missing = [c for c in table.missing_columns if c.required]
            for col in missing:
                result.findings.append(Finding.of(
                    "DATA.HEADER", f"工作表“{name}”缺少“{col.header}”列（第{table.header_row}行表头），该工作表未导入",
                    sheet=name))
            if missing:
                if spec.required:
                    raise InputFileError(path, f"文件“{path.name}”的“{name}”工作表缺少"
                                               f"“{'、'.join(c.header for c in missing)}”列，未导入。", reason="no-form")
                continue
            for cell, header in table.unknown_headers:
                result.findings.append(Finding.of("DATA.HEADER", f"未识别的列“{header}”（{cell}），未导入该列",
                                                  severity="warning", sheet=name, cell=cell))
            tables[key] = table
    finally:
        wb.close()
    return tables


def _text(row: RawRow, key: str) -> str | None:
    v = row.values.get(key)
    if is_blank(v):
        return None
    return clean_text(v)


_ALL_LABELS = {c.key: c.header for spec in SHEETS.values() for c in spec.columns}


@functools.lru_cache(maxsize=64)
def _labels_of(sheet: str) -> dict[str, str]:
    """The labels of a sheet's own columns (``year`` is 评估年度 in 评估记录, 报告年度 in 年报), by the sheet's
    name as the workbook spells it (a name or an alias of :data:`SHEETS`)."""
    from toolkit.adapters.table import normalise_header

    wanted = normalise_header(sheet)
    for spec in SHEETS.values():
        if wanted in {normalise_header(n) for n in (spec.name, *spec.aliases)}:
            return {**_ALL_LABELS, **{c.key: c.header for c in spec.columns}}
    return _ALL_LABELS


class _RowReader:
    """Parses the cells of one row, collecting DATA.* findings with sheet and cell."""

    def __init__(self, table: Table, row: RawRow, findings: list[Finding]) -> None:
        self.table, self.row, self.findings = table, row, findings
        self.ok = True
        self.labels = _labels_of(table.sheet)

    def cell(self, key: str) -> str | None:
        return self.row.cells.get(key)

    def add(self, rule: str, message: str, key: str | None, severity: str | None = None, value: Any = None) -> None:
        f = _finding(rule, message, self.table.sheet, self.cell(key) if key else None, self.row.row, severity, value)
        self.findings.append(f)
        if f.severity is Severity.ERROR:
            self.ok = False

    def get(self, key: str, parse: Any, required: bool = False, what: str = "") -> Any:
        label = self.labels.get(key, key)
        if key in self.row.formula_missing:
            self.add("DATA.FORMULA", f"{label}是公式但没有计算结果，请在 Excel 中打开、保存后重新导入", key,
                     None if required else "warning")
            return None
        raw = self.row.values.get(key)
        if is_blank(raw):
            if required:
                self.add("DATA.REQUIRED", f"缺少{label}，{what or '该行未导入'}", key)
            return None
        try:
            return parse(raw)
        except ValueProblem as exc:
            self.add("DATA.TYPE", f"{label}“{clean_text(raw)}”{exc}，{what or '该行未导入'}", key, value=raw)
            return None


def _total(raw: object, top: int = 100) -> str:
    """A 总分 as text ("87.7"), when it is a score from 0 to ``top`` ("abc" or 870 is not: it was imported and then
    left out of ledger show and the letters); ``top``: 100, or the configured maxima's sum when larger."""
    text = clean_text(raw)
    if re.fullmatch(r"\d+/\d+", text):  # an exact total as the ledger keeps it (its own export: "437/5")
        exact = Fraction(text)
        if not 0 <= exact <= top:
            raise ValueProblem(f"应为0至{top}之间的分数")
        return text
    value = parse_score(raw)
    if not 0 <= value <= top:
        raise ValueProblem(f"应为0至{top}之间的分数")
    return format(value.normalize(), "f")


def _cid(raw: object) -> str:
    return re.sub(r"\s+", "", nfkc(clean_text(raw))).upper()


def _year(raw: object) -> int:
    y = parse_integer(raw)
    if not 1990 <= y <= 2100:
        raise ValueProblem("不是合理的年度")
    return y


def id_pattern(id_format: str) -> re.Pattern[str]:
    """The center ids ``id_format`` gives ("SJZTIC-{year}-{seq:03d}" → SJZTIC-2026-001), as an expression."""
    parts = []
    for literal, name, spec, _conv in string.Formatter().parse(id_format):
        parts.append(re.escape(literal))
        if name == "year":
            parts.append(r"\d{4}")
        elif name == "seq":
            width = re.match(r"0?(\d+)d$", spec or "")
            parts.append(rf"\d{{{width.group(1)},}}" if width else r"\d+")
        elif name is not None:
            parts.append(".+")
    return re.compile("^" + "".join(parts) + "$")


def _check_center_ids_and_names(centers: dict[str, tuple[dict[str, Any], RawRow]], table: Table, config: Config,
                                findings: list[Finding]) -> None:
    """Warnings: an id not in the configured form (SJZTIC-2026-1 beside the SJZTIC-2026-001 tic ledger register
    gives), and two centers of the same name (Art. 39: a center's name is its own)."""
    pattern = id_pattern(config.ledger.id_format)
    by_name: dict[str, list[tuple[str, RawRow]]] = defaultdict(list)
    for cid, (rec, row) in centers.items():
        if not pattern.match(cid):
            findings.append(_finding("DATA.TYPE", f"中心编号“{cid}”与编号格式“{config.ledger.id_format}”不符"
                                     "（如 " + config.ledger.id_format.format(year=config.year, seq=1) + "），请核实",
                                     table.sheet, row.cells.get("center_id"), row.row, "warning", cid))
        if rec.get("name"):
            by_name[name_key(rec["name"])].append((cid, row))
    for same in by_name.values():
        if len(same) > 1:
            for cid, row in same:
                others = "、".join(o for o, _ in same if o != cid)
                findings.append(_finding("DATA.DUPLICATE", f"{cid}的中心名称与{others}相同（第三十九条），请核实",
                                         table.sheet, row.cells.get("name"), row.row, "warning"))


def _parse_centers(table: Table, findings: list[Finding]) -> dict[str, tuple[dict[str, Any], RawRow]]:
    out: dict[str, tuple[dict[str, Any], RawRow]] = {}
    seen: dict[str, list[RawRow]] = defaultdict(list)
    present = set(table.columns)
    for row in table.rows:
        r = _RowReader(table, row, findings)
        cid = r.get("center_id", _cid, True)
        rec: dict[str, Any] = {"center_id": cid}
        rec["name"] = r.get("name", clean_text, True)
        rec["lead_name"] = r.get("lead_name", clean_text, True)
        for key in ("name_en", "district", "key_field", "rd_direction", "director", "approval_doc", "reg_place"):
            if key in present:
                rec[key] = r.get(key, clean_text)
        if "lead_uscc" in present:
            code = r.get("lead_uscc", normalise_uscc)
            if code:
                problem = uscc_problem(code)
                if problem:
                    r.add("DATA.USCC", f"依托单位统一社会信用代码“{code}”{problem}，已按原样导入，请核实", "lead_uscc",
                          "warning", code)
            rec["lead_uscc"] = code or None
        partners = r.get("partners", parse_list) or []
        codes = [normalise_uscc(c) for c in (r.get("partner_usccs", parse_list) or [])]
        if codes and len(codes) != len(partners):
            r.add("DATA.LIST-LENGTH", f"共建单位名称{len(partners)}个，统一社会信用代码{len(codes)}个，个数不一致，该行未导入",
                  "partner_usccs")
        for code in codes:
            problem = uscc_problem(code)
            if problem:
                r.add("DATA.USCC", f"共建单位统一社会信用代码“{code}”{problem}，已按原样导入，请核实", "partner_usccs",
                      "warning", code)
        if "partners" in present:
            rec["partners"] = json.dumps(partners, ensure_ascii=False)
        if "partner_usccs" in present:
            rec["partner_usccs"] = json.dumps(codes, ensure_ascii=False)
        if "approved_year" in present:
            rec["approved_year"] = r.get("approved_year", _year)
        if "status" in present:
            status = r.get("status", lambda v: parse_choice(v, CENTER_STATUSES, {"正常": RUNNING, "运营": RUNNING}))
            if status is None and r.ok and "status" not in row.formula_missing:
                r.add("DATA.REQUIRED", "状态未填写，按“运行”导入，请核实", "status", "warning")
            rec["status"] = status
        if "status_cycle" in present:
            rec["status_cycle"] = r.get("status_cycle", _year)
        if "status_date" in present:
            d = r.get("status_date", parse_date)
            rec["status_date"] = d.isoformat() if d else None
        if cid:
            seen[cid].append(row)
        if r.ok and cid:
            out[cid] = (rec, row)
    _drop_duplicates(out, seen, table, findings, lambda cid: f"中心编号{cid}")
    return out


def _drop_duplicates(out: dict[Any, Any], seen: dict[Any, list[RawRow]], table: Table, findings: list[Finding],
                     what: Any) -> None:
    """A key on several rows: DATA.DUPLICATE on each of them, and none of them is imported."""
    for key, rows in seen.items():
        if len(rows) > 1:
            for row in rows:
                others = "、".join(f"第{o.row}行" for o in rows if o is not row)
                findings.append(_finding("DATA.DUPLICATE", f"{what(key)}与{others}重复，均未导入", table.sheet,
                                         row.cells.get("center_id"), row.row))
            out.pop(key, None)


def _parse_evaluations(table: Table, findings: list[Finding], top: int = 100
                       ) -> dict[tuple[str, int], tuple[dict[str, Any], RawRow]]:
    out: dict[tuple[str, int], tuple[dict[str, Any], RawRow]] = {}
    seen: dict[tuple[str, int], list[RawRow]] = defaultdict(list)
    for row in table.rows:
        r = _RowReader(table, row, findings)
        cid = r.get("center_id", _cid, True)
        year = r.get("year", _year, True)
        status = r.get("status", lambda v: parse_choice(v, EVAL_STATUSES, {"无故未参评": "未参评", "未参加": "未参评"}), True)
        grade = r.get("grade", lambda v: parse_choice(v, GRADES))
        reeval = r.get("reeval", parse_bool)
        total = r.get("total", functools.partial(_total, top=top)) if "total" in table.columns else None
        if status == "视同合格":
            if grade not in (None, "合格"):
                r.add("DATA.TYPE", f"参评状态为视同合格，等级应为合格，实为{grade}，该行未导入", "grade")
            grade = "合格"
        elif status in ("未参评", "中途退出", "缓评") and grade is not None:
            r.add("DATA.TYPE", f"参评状态为{status}，不应有等级（{grade}），该行未导入", "grade")
        elif status == "参评" and is_blank(row.values.get("grade")) and "grade" not in row.formula_missing:
            r.add("DATA.REQUIRED", "参评状态为参评但等级为空，按“未评定等级”导入，请核实", "grade", "warning")
        if cid and year:
            seen[(cid, year)].append(row)
        if r.ok and cid and year and status:
            out[(cid, year)] = ({"center_id": cid, "year": year, "status": status, "grade": grade,
                                 "reeval": reeval, "total": total, "has_total": "total" in table.columns}, row)
    _drop_duplicates(out, seen, table, findings, lambda key: f"{key[0]}的{key[1]}年评估记录")
    return out


def _parse_events(table: Table, findings: list[Finding]) -> list[tuple[dict[str, Any], RawRow]]:
    out = []
    for row in table.rows:
        r = _RowReader(table, row, findings)
        cid = r.get("center_id", _cid, True)
        rule = r.get("article", parse_article, True)
        when = r.get("occurred_on", parse_date, True)
        desc = r.get("description", clean_text) or ""
        basis = r.get("basis", clean_text) or ""
        if r.ok and cid and rule and when:
            out.append(({"center_id": cid, "rule": rule, "article": article_of(rule), "occurred_on": when.isoformat(),
                         "description": desc, "basis": basis}, row))
    return out


def _parse_reports(table: Table, findings: list[Finding]) -> dict[tuple[str, int], tuple[dict[str, Any], RawRow]]:
    out: dict[tuple[str, int], tuple[dict[str, Any], RawRow]] = {}
    seen: dict[tuple[str, int], list[RawRow]] = defaultdict(list)
    for row in table.rows:
        r = _RowReader(table, row, findings)
        cid = r.get("center_id", _cid, True)
        year = r.get("year", _year, True)
        when = r.get("submitted_on", parse_date)
        if cid and year:
            seen[(cid, year)].append(row)
        if r.ok and cid and year:
            out[(cid, year)] = ({"center_id": cid, "year": year,
                                 "submitted_on": when.isoformat() if when else None}, row)
    _drop_duplicates(out, seen, table, findings, lambda key: f"{key[0]}的{key[1]}年度报告")
    return out


# --------------------------------------------------------------------------- import

_CENTER_FIELDS = ("name", "name_en", "lead_name", "lead_uscc", "partners", "partner_usccs", "district", "key_field",
                  "rd_direction", "director", "reg_place", "approved_year", "approval_doc", "status", "status_cycle",
                  "status_date")


def _show(v: Any) -> str:
    if v is None or v == "":
        return "空"
    if isinstance(v, str) and v.startswith("["):
        try:
            items = json.loads(v)
            return "、".join(items) if items else "无"
        except ValueError:
            return v
    return str(v)


def _decided_status(old: dict[str, Any], decided: dict[tuple[str, int], str]) -> bool:
    """Whether the center's current status was set by ``tic decide`` (an import must not undo it)."""
    outcome = decided.get((old["center_id"], old["status_cycle"]))
    return (outcome, old["status"]) in (("revoke", "撤销"), ("retire", "不再保留"))


def import_ledger_workbook(config: Config, path: Path | str, *, ledger_path: Path | None = None) -> ImportResult:
    """Import a 中心台账 workbook into the ledger (one transaction; see the module docstring)."""
    path = Path(path)
    result = ImportResult(path=path)
    tables = _read_sheets(path, result)
    result.sha256 = file_sha256(path)
    sheet_findings: list[Finding] = []
    centers = _parse_centers(tables["centers"], sheet_findings)
    _check_center_ids_and_names(centers, tables["centers"], config, sheet_findings)
    top = max(100, sum(config.evaluation.dimensions.values()))  # the maxima are configurable (Art. 34)
    evals = _parse_evaluations(tables["evaluations"], sheet_findings, top) if "evaluations" in tables else {}
    events = _parse_events(tables["events"], sheet_findings) if "events" in tables else []
    reports = _parse_reports(tables["reports"], sheet_findings) if "reports" in tables else {}
    counts = {k: {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0} for k in tables}
    for key, table in tables.items():
        bad_rows = {f.row for f in sheet_findings if f.sheet == table.sheet and f.severity is Severity.ERROR}
        counts[key]["rejected"] = len(bad_rows)

    db = Path(ledger_path or config.ledger_path)
    result.new_ledger = not db.exists()
    try:
        _import_into(config, db, path, result, tables, centers, evals, events, reports, counts, sheet_findings)
    except BaseException:
        if result.new_ledger and db.is_file() and db.stat().st_size == 0:
            db.unlink()  # the ledger this import was creating, empty: a retry would be refused ("空文件")
        raise
    result.findings = result.findings + sheet_findings
    return result


def _import_into(config: Config, db: Path, path: Path, result: ImportResult, tables: dict[str, Table],
                 centers: Any, evals: Any, events: Any, reports: Any, counts: dict[str, dict[str, int]],
                 sheet_findings: list[Finding]) -> None:
    with open_ledger(config, command="ledger import", path=db) as led:
        conn = led.conn
        stamp = now_text()
        audits: list[tuple[str, str]] = []
        existing = {r["center_id"]: dict(r) for r in conn.execute("SELECT * FROM centers")}
        decided = {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT center_id, cycle_year, outcome FROM dispositions WHERE outcome IN ('revoke', 'retire')")}
        approved_changes = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute(  # the latest of each center and field
            "SELECT center_id, field, new_value, effective_on FROM changes WHERE field IN ('name', 'reg_place', 'director')"
            " ORDER BY effective_on, id")}

        # centers
        inserts, updates = [], []
        for cid, (rec, row) in centers.items():
            old = existing.get(cid)
            if old is None:
                new = {k: rec.get(k) for k in _CENTER_FIELDS}
                new["center_id"] = cid
                new["status"] = new["status"] or RUNNING
                new["partners"] = new["partners"] or "[]"
                new["partner_usccs"] = new["partner_usccs"] or "[]"
                inserts.append(new)
                audits.append(("导入新增中心", f"{cid} {rec['name']}"))
                continue
            diff = {}
            for k in _CENTER_FIELDS:
                if k not in rec:
                    continue
                v = rec[k]
                if k == "status" and v is None:
                    continue
                if k in ("partners", "partner_usccs") and v is None:
                    v = "[]"
                if old[k] != v:
                    diff[k] = v
            if "status" in diff and _decided_status(old, decided):
                sheet_findings.append(_finding(
                    "DATA.TYPE", f"{cid}已在{old['status_cycle']}年度处置中{old['status']}，工作簿中的状态“{diff['status']}”"
                    "未导入（处置结果以台账为准）", tables["centers"].sheet, row.cells.get("status"), row.row, "warning"))
                for k in ("status", "status_cycle", "status_date"):
                    diff.pop(k, None)
            elif old["status"] != RUNNING and _decided_status(old, decided):
                for k in ("status_cycle", "status_date"):
                    diff.pop(k, None)
            for k in ("name", "reg_place", "director"):
                change = approved_changes.get((cid, k))
                if k in diff and change is not None and old[k] == change[0]:  # an Art. 30 change is not undone
                    sheet_findings.append(_finding(
                        "DATA.TYPE", f"{cid}的{LABELS[k]}已按第三十条于{change[1]}变更为“{old[k]}”，工作簿中的"
                        f"“{_show(diff.pop(k))}”未导入（变更以台账为准；如需再次变更，请用 tic ledger change）",
                        tables["centers"].sheet, row.cells.get(k), row.row, "warning"))
            if diff:
                updates.append((cid, diff))
                text = "；".join(f"{LABELS[k]}由“{_show(old[k])}”改为“{_show(v)}”" for k, v in diff.items())
                result.changes.append(f"中心表第{row.row}行 {cid}：{text}")
                audits.append(("导入更新中心", f"{cid}：{text}"))
            else:
                counts["centers"]["unchanged"] += 1
        if inserts:
            cols = ("center_id", *_CENTER_FIELDS)
            conn.executemany(
                f"INSERT INTO centers ({', '.join(cols)}, created_at, updated_at) VALUES "
                f"({', '.join('?' for _ in cols)}, ?, ?)",
                [tuple(n[c] for c in cols) + (stamp, stamp) for n in inserts])
        for cid, diff in updates:
            conn.execute(f"UPDATE centers SET {', '.join(f'{k} = ?' for k in diff)}, updated_at = ? WHERE center_id = ?",
                         (*diff.values(), stamp, cid))
        counts["centers"]["new"] = len(inserts)
        counts["centers"]["updated"] = len(updates)
        known = set(existing) | set(centers)
        listed = {_cid(r.values.get("center_id")): r.row for r in tables["centers"].rows
                  if not is_blank(r.values.get("center_id"))}  # on the 中心 sheet, its row rejected or not

        def unknown(key: str, rec: dict[str, Any], row: RawRow, table: Table) -> bool:
            if rec["center_id"] in known:
                return False
            cid = rec["center_id"]
            if cid in listed:  # its row on the 中心 sheet has an error: not "not on the sheet"
                text = (f"中心编号{cid}在“{tables['centers'].sheet}”工作表第{listed[cid]}行有错误、未导入，"
                        "本行随之未导入（更正该行后重新导入）")
            else:
                text = f"中心编号{cid}不在“中心”工作表和台账中，该行未导入"
            sheet_findings.append(_finding(
                "DATA.TYPE", text, table.sheet, row.cells.get("center_id"), row.row, value=cid))
            counts[key]["rejected"] += 1
            return True

        if "evaluations" in tables:
            _import_evaluations(conn, evals, tables["evaluations"], unknown, counts["evaluations"], result, audits,
                                path.name, stamp)
        if "events" in tables:
            _import_events(conn, events, tables["events"], unknown, counts["events"], result, audits)
        if "reports" in tables:
            _import_reports(conn, reports, tables["reports"], unknown, counts["reports"], result, audits, path.name)
        result.counts = counts
        _import_letters(path, conn, result, audits)
        if audits:  # an import that changed nothing leaves the ledger (and its backups) as they were
            led.audit_many(audits, input_file=path)


def _import_evaluations(conn: Any, evals: dict, table: Table, unknown: Any, count: dict[str, int],
                        result: ImportResult, audits: list, source: str, stamp: str) -> None:
    existing = {(r["center_id"], r["year"]): dict(r) for r in conn.execute("SELECT * FROM evaluations")}
    merged: dict[str, list[tuple[int, str | None, str]]] = defaultdict(list)
    for (cid, year), r in existing.items():
        if (cid, year) not in evals:
            merged[cid].append((year, r["grade"], r["status"]))
    for (cid, year), (rec, _) in evals.items():
        merged[cid].append((year, rec["grade"], rec["status"]))
    for lst in merged.values():
        lst.sort()
    rows = []
    for key in sorted(evals):
        rec, row = evals[key]
        if unknown("evaluations", rec, row, table):
            continue
        cid, year = key
        reeval = rec["reeval"]
        if reeval is None:
            prev = [g for y, g, _ in merged[cid] if y < year and g is not None]
            reeval = bool(prev) and prev[-1] == "不合格"
        new = {"status": rec["status"], "grade": rec["grade"], "rectification_reeval": int(reeval)}
        old = existing.get(key)
        new["total"] = rec["total"] if rec["has_total"] else (old["total"] if old else None)
        if old is not None and all(old[k] == v for k, v in new.items()):
            count["unchanged"] += 1
            continue
        rows.append((cid, year, new["status"], new["grade"], new["rectification_reeval"], new["total"], source, stamp))
        if old is None:
            count["new"] += 1
            audits.append(("导入评估记录", f"{cid} {year}年：{new['status']} {new['grade'] or ''}".rstrip()))
        else:
            count["updated"] += 1
            labels = {"status": "参评状态", "grade": "等级", "rectification_reeval": "是否整改复评", "total": "总分"}
            text = "；".join(f"{labels[k]}由“{_show(old[k])}”改为“{_show(v)}”" for k, v in new.items() if old[k] != v)
            result.changes.append(f"评估记录第{row.row}行 {cid} {year}年：{text}")
            audits.append(("导入更新评估记录", f"{cid} {year}年：{text}"))
    conn.executemany(
        "INSERT INTO evaluations (center_id, year, status, grade, rectification_reeval, total, source, recorded_at)"
        " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (center_id, year) DO UPDATE SET status=excluded.status,"
        " grade=excluded.grade, rectification_reeval=excluded.rectification_reeval, total=excluded.total,"
        " source=excluded.source, recorded_at=excluded.recorded_at", rows)


def _import_events(conn: Any, events: list, table: Table, unknown: Any, count: dict[str, int],
                   result: ImportResult, audits: list) -> None:
    existing: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute("SELECT * FROM events ORDER BY id"):
        existing[(r["center_id"], r["rule"], r["occurred_on"])].append(dict(r))
    groups: dict[tuple[str, str, str], list[tuple[dict[str, Any], RawRow]]] = defaultdict(list)
    for rec, row in events:
        if unknown("events", rec, row, table):
            continue
        groups[(rec["center_id"], rec["rule"], rec["occurred_on"])].append((rec, row))
    for key, items in groups.items():
        olds = list(existing.get(key, []))
        pending = []
        seen_desc: set[str] = set()
        for rec, row in items:
            if rec["description"] in seen_desc:
                result.findings.append(_finding("DATA.DUPLICATE", f"{key[0]}在{key[2]}的{rec['article']}事件与上方某行重复，未重复导入",
                                                table.sheet, row.cells.get("center_id"), row.row, "warning"))
                continue
            seen_desc.add(rec["description"])
            match = next((o for o in olds if o["description"] == rec["description"]), None)
            if match is not None:
                olds.remove(match)
                if match["basis"] != rec["basis"]:
                    conn.execute("UPDATE events SET basis = ? WHERE id = ?", (rec["basis"], match["id"]))
                    count["updated"] += 1
                    text = f"依据文件由“{_show(match['basis'])}”改为“{_show(rec['basis'])}”"
                    result.changes.append(f"事件第{row.row}行 {key[0]} {key[2]}：{text}")
                    audits.append(("导入更新事件", f"{key[0]} {rec['rule']} {key[2]}：{text}"))
                else:
                    count["unchanged"] += 1
            else:
                pending.append((rec, row))
        for rec, row in pending:
            if olds:  # a corrected description of the same event
                o = olds.pop(0)
                conn.execute("UPDATE events SET description = ?, basis = ? WHERE id = ?",
                             (rec["description"], rec["basis"], o["id"]))
                count["updated"] += 1
                text = f"说明由“{_show(o['description'])}”改为“{_show(rec['description'])}”"
                result.changes.append(f"事件第{row.row}行 {key[0]} {key[2]}：{text}")
                audits.append(("导入更新事件", f"{key[0]} {rec['rule']} {key[2]}：{text}"))
            else:
                conn.execute("INSERT INTO events (center_id, rule, article, occurred_on, description, basis)"
                             " VALUES (?,?,?,?,?,?)", (rec["center_id"], rec["rule"], rec["article"],
                                                       rec["occurred_on"], rec["description"], rec["basis"]))
                count["new"] += 1
                audits.append(("导入事件", f"{key[0]} {rec['article']} {key[2]} {rec['description']}".rstrip()))


def _import_reports(conn: Any, reports: dict, table: Table, unknown: Any, count: dict[str, int],
                    result: ImportResult, audits: list, source: str) -> None:
    existing = {(r["center_id"], r["year"]): r["submitted_on"] for r in conn.execute(
        "SELECT center_id, year, submitted_on FROM annual_reports")}
    rows = []
    for key in sorted(reports):
        rec, row = reports[key]
        if unknown("reports", rec, row, table):
            continue
        if key in existing and existing[key] == rec["submitted_on"]:
            count["unchanged"] += 1
            continue
        rows.append((key[0], key[1], rec["submitted_on"], source))
        if key not in existing:
            count["new"] += 1
            audits.append(("导入年报", f"{key[0]} {key[1]}年度：{rec['submitted_on'] or '未报送'}"))
        else:
            count["updated"] += 1
            text = f"报送日期由“{_show(existing[key])}”改为“{_show(rec['submitted_on'])}”"
            result.changes.append(f"年报第{row.row}行 {key[0]} {key[1]}年度：{text}")
            audits.append(("导入更新年报", f"{key[0]} {key[1]}年度：{text}"))
    conn.executemany(
        "INSERT INTO annual_reports (center_id, year, submitted_on, source) VALUES (?,?,?,?)"
        " ON CONFLICT (center_id, year) DO UPDATE SET submitted_on=excluded.submitted_on, source=excluded.source",
        rows)


# --------------------------------------------------------------------------- export / blank


def _style_header(ws: Any, row: int, headers: Sequence[str], widths: Sequence[int], required: Sequence[bool]) -> None:
    for i, (h, w, req) in enumerate(zip(headers, widths, required, strict=True), start=1):
        c = ws.cell(row=row, column=i, value=h)
        c.font = HEADER_FONT
        c.fill = REQUIRED_FILL if req else HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = BOX
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = f"A{row + 1}"
    ws.row_dimensions[row].height = 30


def _dropdown(ws: Any, lists: Any, label: str, values: Sequence[str], col: int, first: int, last: int) -> None:
    idx = (lists.max_column + 1) if lists["A1"].value else 1
    lists.cell(row=1, column=idx, value=label)
    for i, v in enumerate(values, start=2):
        lists.cell(row=i, column=idx, value=v)
    letter = get_column_letter(idx)
    dv = DataValidation(type="list", formula1=f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(values) + 1}",
                        allow_blank=True, showErrorMessage=True, errorTitle="请从下拉列表中选择",
                        error=f"{label}请从下拉列表中选择。")
    target = get_column_letter(col)
    dv.add(f"{target}{first}:{target}{last}")
    ws.add_data_validation(dv)


_WIDTHS = {"center_id": 17, "name": 34, "name_en": 26, "lead_name": 30, "lead_uscc": 22, "partners": 30,
           "partner_usccs": 24, "district": 14, "key_field": 14, "rd_direction": 26, "director": 10,
           "approved_year": 9, "approval_doc": 18, "status": 9, "reg_place": 30, "status_cycle": 10,
           "status_date": 12, "year": 9, "grade": 8, "reeval": 10, "total": 9, "article": 22,
           "occurred_on": 12, "description": 40, "basis": 26, "submitted_on": 12}
_DATE_KEYS = {"status_date", "occurred_on", "submitted_on"}
_TEXT_KEYS = {"lead_uscc", "partner_usccs", "center_id"}


def _ledger_workbook(config: Config | None) -> tuple[Workbook, dict[str, Any], Any]:
    wb = Workbook()
    sheets: dict[str, Any] = {}
    for i, (key, spec) in enumerate(SHEETS.items()):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = spec.name
        cols = spec.columns
        _style_header(ws, 1, [c.header for c in cols], [_WIDTHS.get(c.key, 12) for c in cols],
                      [c.required for c in cols])
        for j, c in enumerate(cols, start=1):
            if c.key in _DATE_KEYS:
                ws.column_dimensions[get_column_letter(j)].number_format = "yyyy-mm-dd"
            elif c.key in _TEXT_KEYS:  # 18 digits typed in a General cell: Excel keeps 15 and the code is lost
                ws.column_dimensions[get_column_letter(j)].number_format = "@"
        print_fit(ws, 1, pages_wide=2 if len(cols) > 10 else 1)
        sheets[key] = ws
    lists = wb.create_sheet("下拉选项")
    lists.sheet_state = "hidden"
    wb.defined_names["TIC_TEMPLATE"] = DefinedName("TIC_TEMPLATE", attr_text=f'"{LEDGER_TEMPLATE_VERSION}"')
    return wb, sheets, lists


def _ledger_validations(sheets: dict[str, Any], lists: Any, last: int) -> None:
    col = {c.key: i for i, c in enumerate(CENTER_COLUMNS, start=1)}
    _dropdown(sheets["centers"], lists, "状态", CENTER_STATUSES, col["status"], 2, last)
    col = {c.key: i for i, c in enumerate(EVAL_COLUMNS, start=1)}
    _dropdown(sheets["evaluations"], lists, "参评状态", EVAL_STATUSES, col["status"], 2, last)
    _dropdown(sheets["evaluations"], lists, "等级", GRADES, col["grade"], 2, last)
    _dropdown(sheets["evaluations"], lists, "是否整改复评", ("是", "否"), col["reeval"], 2, last)
    col = {c.key: i for i, c in enumerate(EVENT_COLUMNS, start=1)}
    _dropdown(sheets["events"], lists, "条款", [article_of(r) for r in EVENT_RULES], col["article"], 2, last)


def _notes(wb: Workbook) -> None:
    ws = wb.create_sheet("填表说明")
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 100
    ws["A1"] = "中心台账填表说明"
    ws["A1"].font = TITLE_FONT
    lines = [
        ("中心", "一行一个市级技术创新中心。中心编号唯一（如 SJZTIC-2020-003）；状态为 运行、撤销 或 不再保留；"
                 "共建单位有多个时用“；”分隔，名称与统一社会信用代码一一对应。注册地、状态变更年度、状态变更日期可不填。"),
        ("评估记录", "一行一个中心的一次评估。参评状态为 参评 / 未参评 / 中途退出 / 缓评 / 视同合格；等级为 优秀 / 合格 / "
                   "不合格，未评定等级的留空（视同合格自动记为合格）。是否整改复评留空时按上一次评估是否不合格自动判断。"),
        ("事件", "第三十八条第（三）至（九）项、第二十八条规定的情形，一行一件，写明发生日期、说明和依据文件。"
               "第三十八条第（一）（二）项由年报和评估记录自动判断，不在此登记。"),
        ("年报", "一行一个中心一个年度的年度报告；报送日期留空表示未报送。某年度的年度报告须在次年截止日期"
               "（默认3月31日）前报送，逾期视为未按时报送（第三十八条第（一）项）。"),
        ("导入", "运行 tic ledger import 本文件；重复导入不会重复登记，修改过的行会更新台账并逐项列出。"),
    ]
    for r, (a, b) in enumerate(lines, start=3):
        ws.cell(row=r, column=1, value=a).font = HEADER_FONT
        ws.cell(row=r, column=2, value=b).alignment = Alignment(wrap_text=True, vertical="top")


def write_ledger_template(path: Path, config: Config | None = None) -> Path:
    """Write a blank 中心台账 (four sheets, dropdowns, notes) to ``path`` atomically."""
    wb, sheets, lists = _ledger_workbook(config)
    _ledger_validations(sheets, lists, 2000)
    _notes(wb)
    write_with(Path(path), wb.save)
    return Path(path)


def _cell_value(key: str, v: Any) -> Any:
    if v is None:
        return None
    if key in ("partners", "partner_usccs"):
        return "；".join(json.loads(v)) or None
    if key in _DATE_KEYS:
        return datetime.fromisoformat(v)
    return v


def export_ledger_workbook(config: Config, path: Path | str, *, ledger_path: Path | None = None) -> dict[str, int]:
    """Write the ledger as a 中心台账 workbook (the import layout); returns rows written per sheet."""
    path = Path(path)
    db = Path(ledger_path or config.ledger_path)
    wb, sheets, lists = _ledger_workbook(config)
    counts: dict[str, int] = {}
    with open_ledger(config, command="ledger export", write=False, path=db) as led:
        q = led.conn.execute
        data = {
            "centers": [dict(r) for r in q("SELECT * FROM centers ORDER BY center_id")],
            "evaluations": [dict(r) | {"reeval": "是" if r["rectification_reeval"] else "否"}
                            for r in q("SELECT * FROM evaluations ORDER BY center_id, year")],
            "events": [dict(r) for r in q("SELECT * FROM events ORDER BY center_id, occurred_on, id")],
            "reports": [dict(r) for r in q("SELECT * FROM annual_reports ORDER BY center_id, year")],
        }
        letters = [dict(r) for r in q("SELECT l.*, n.doc_number AS superseded_number FROM letters l"
                                      " LEFT JOIN letters n ON n.id = l.superseded_by ORDER BY l.id")]
    for key, rows in data.items():
        ws = sheets[key]
        cols = SHEETS[key].columns
        for rec in rows:
            ws.append([_cell_value(c.key, rec.get(c.key)) for c in cols])
        for j, c in enumerate(cols, start=1):
            if c.key in _DATE_KEYS:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = "yyyy-mm-dd"
            if c.key in _TEXT_KEYS:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = "@"
        counts[key] = len(rows)
    _ledger_validations(sheets, lists, max(2000, max(counts.values(), default=0) + 200))
    counts["letters"] = _export_letters(wb, letters)
    _notes(wb)
    wb.defined_names[EXPORT_MARK] = DefinedName(EXPORT_MARK, attr_text='"ledger-export"')
    defuse_formulas(wb)  # ledger values are data: text starting with '=' stays text
    write_with(path, wb.save)
    return counts


# ------------------------------------------------------------------ the letters issued (发文记录)

LETTERS_SHEET = "发文记录"
_LETTER_COLUMNS = (("doc_number", "文号", 20), ("kind", "公文种类", 14), ("center_id", "中心编号", 17),
                   ("cycle_year", "周期年度", 9), ("subject", "事项标识", 10), ("prefix", "发文机关代字", 12),
                   ("doc_year", "文号年度", 9), ("seq", "序号", 7), ("file", "文件名", 60), ("sha256", "SHA-256", 20),
                   ("issued_at", "印发时间", 20), ("superseded_number", "已被代替为", 20))
_KIND_OF_ZH = {v: k for k, v in KIND_ZH.items()}


def _export_letters(wb: Workbook, letters: list[dict[str, Any]]) -> int:
    """The ledger's issued letters on their own sheet: an export imported into a new ledger (a lost ledger rebuilt)
    keeps every 发文字号 already given, so none is given twice."""
    ws = wb.create_sheet(LETTERS_SHEET)
    ws["A1"] = "已印发公文的发文记录（由 tic ledger export 导出；导入时保留这些文号，不会重号；请勿修改）"
    ws["A1"].font = HEADER_FONT
    _style_header(ws, 2, [h for _, h, _ in _LETTER_COLUMNS], [w for _, _, w in _LETTER_COLUMNS],
                  [False] * len(_LETTER_COLUMNS))
    for rec in letters:
        rec = {**rec, "kind": KIND_ZH.get(rec["kind"], rec["kind"])}
        ws.append([rec.get(k) for k, _, _ in _LETTER_COLUMNS])
    print_fit(ws, 2)
    return len(letters)


def _import_letters(path: Path, conn: Any, result: ImportResult, audits: list[tuple[str, str]]) -> None:
    """The 发文记录 sheet of an export: each letter not in the ledger is recorded with its number (an export imported
    to rebuild a lost ledger would otherwise give used numbers again); a number the ledger gave to another letter
    is named, never overwritten."""
    wb = open_workbook(path, read_only=True)
    try:
        if LETTERS_SHEET not in wb.sheetnames:
            return
        rows = list(wb[LETTERS_SHEET].iter_rows(min_row=2, values_only=True))
    finally:
        wb.close()
    if not rows:
        return
    col = {str(h).strip(): i for i, h in enumerate(rows[0]) if h}
    keys = {k: col.get(h) for k, h, _ in _LETTER_COLUMNS}
    if any(keys[k] is None for k in ("doc_number", "kind", "prefix", "doc_year", "seq", "file")):
        result.findings.append(Finding.of("DATA.HEADER", f"“{LETTERS_SHEET}”工作表的表头不完整，发文记录未导入",
                                          severity="warning", sheet=LETTERS_SHEET))
        return

    def get(values: tuple[Any, ...], key: str) -> Any:
        i = keys[key]
        return values[i] if i is not None and i < len(values) else None

    count = {"new": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    superseded: list[tuple[str, str]] = []
    for n, values in enumerate(rows[1:], start=3):
        number = clean_text(get(values, "doc_number"))
        if not number:
            continue
        kind = _KIND_OF_ZH.get(clean_text(get(values, "kind")) or "", clean_text(get(values, "kind")))
        try:
            prefix, doc_year, seq = clean_text(get(values, "prefix")), int(get(values, "doc_year")), int(get(values, "seq"))
            year = get(values, "cycle_year")
            cycle_year = int(year) if year not in (None, "") else doc_year
        except (TypeError, ValueError):
            prefix, doc_year, seq, cycle_year = "", 0, 0, 0
        if kind not in KIND_ZH or not prefix or not doc_year or not seq:
            count["rejected"] += 1
            result.findings.append(Finding.of("DATA.TYPE", f"发文记录第{n}行（{number}）不完整，未导入", severity="warning",
                                              sheet=LETTERS_SHEET, row=n))
            continue
        have = conn.execute("SELECT doc_number, kind, center_id FROM letters WHERE prefix = ? AND doc_year = ? AND seq = ?",
                            (prefix, doc_year, seq)).fetchone()
        center = clean_text(get(values, "center_id")) or None
        if have is not None:
            if (have[0], have[1], have[2]) == (number, kind, center):
                count["unchanged"] += 1
            else:
                count["rejected"] += 1
                result.findings.append(Finding.of(
                    "DATA.DUPLICATE", f"发文记录第{n}行的文号{number}在台账中已是另一份公文（{KIND_ZH.get(have[1], have[1])}"
                    f" {have[2] or '（通知）'}），未导入", severity="warning", sheet=LETTERS_SHEET, row=n))
            continue
        conn.execute(
            "INSERT INTO letters (kind, center_id, cycle_year, subject, prefix, doc_year, seq, doc_number, file, sha256,"
            " issued_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (kind, center, cycle_year, clean_text(get(values, "subject")) or "",
             prefix, doc_year, seq, number, clean_text(get(values, "file")), clean_text(get(values, "sha256")) or "",
             clean_text(get(values, "issued_at")) or ""))
        count["new"] += 1
        if clean_text(get(values, "superseded_number")):
            superseded.append((number, clean_text(get(values, "superseded_number"))))
    for old, new in superseded:
        conn.execute("UPDATE letters SET superseded_by = (SELECT id FROM letters WHERE doc_number = ?)"
                     " WHERE doc_number = ? AND superseded_by IS NULL", (new, old))
    result.counts["letters"] = count
    if count["new"]:
        audits.append(("导入发文记录", f"{count['new']}件（文号保留，不再使用）"))


# --------------------------------------------------------------------------- register


REGISTER_COLUMNS = (
    Column("district", "县（市、区）", ("县市区", "所属县（市、区）", "推荐单位")),
    Column("center_name", "拟建中心名称", ("中心名称", "技术创新中心名称"), required=True),
    Column("center_name_en", "英文名称关键词"),
    Column("lead_name", "依托单位名称", ("依托单位", "申报单位"), required=True),
    Column("lead_uscc", "依托单位统一社会信用代码", ("依托单位信用代码", "依托单位社会信用代码"), required=True),
    Column("partners", "共建单位名称", ("共建单位",)),
    Column("partner_usccs", "共建单位统一社会信用代码", ("共建单位信用代码", "共建单位社会信用代码")),
    Column("key_field", "重点领域", (), required=True),
    Column("rd_direction", "研发方向"),
    Column("director", "中心主任"),
    Column("reg_place", "注册地"),
    Column("approved", "批准建设", ("是否批准建设", "批准"), required=True),
    Column("verdict", "校验结论"),  # written by tic collect: an approved 不符合 row is registered with a warning
    Column("problems", "问题说明"),
)


_REGISTER_LABELS = {**_ALL_LABELS, **{c.key: c.header for c in REGISTER_COLUMNS}}


@dataclass
class Registered:
    row: int
    center_id: str
    name: str
    new: bool
    updated: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "center_id": self.center_id, "center_name": self.name, "new": self.new,
                "updated": self.updated}


@dataclass
class RegisterResult:
    path: Path
    year: int
    registered: list[Registered] = field(default_factory=list)
    not_approved: int = 0
    undecided: int = 0
    findings: list[Finding] = field(default_factory=list)
    withdrawn: list[Registered] = field(default_factory=list)  # registered earlier, now 否: taken back

    @property
    def status(self) -> int:
        return exit_status(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"report": "register", "schema_version": 1, "tool_version": __version__, "year": self.year,
                "source": {"file": self.path.name},
                "registered": [r.to_dict() for r in self.registered], "not_approved": self.not_approved,
                "undecided": self.undecided, "withdrawn": [r.to_dict() for r in self.withdrawn],
                "findings": [f.to_dict() for f in self.findings]}

    def summary_lines(self) -> list[str]:
        new = [r for r in self.registered if r.new]
        old = [r for r in self.registered if not r.new]
        lines = [f"{self.path.name}：批准建设{len(self.registered)}个，新登记{len(new)}个，此前已登记{len(old)}个；"
                 f"未批准{self.not_approved}个" + (f"，未填写批准结果{self.undecided}个" if self.undecided else "") + "。"]
        for r in self.registered:
            tag = "新登记" if r.new else ("已登记，已更新" if r.updated else "已登记，无变化")
            lines.append(f"  第{r.row}行 {r.center_id} {r.name}（{tag}）")
            lines.extend(f"      {u}" for u in r.updated)
        for f in self.findings:
            lines.append(f"  {'错误' if f.severity is Severity.ERROR else '警告'}：{f.cell or ''} {f.sentence()}".rstrip())
        return lines


_DECISIONS = {"同意": True, "批准": True, "通过": True, "同意建设": True, "批准建设": True,
              "不同意": False, "不批准": False, "未批准": False, "不通过": False, "未通过": False}


def parse_decision(value: object) -> bool:
    """批准建设 as the bureau writes it: 是/否 (and every spelling :func:`parse_bool` reads), or 同意 / 批准 /
    通过 and 不同意 / 不批准 / 不通过."""
    text = "".join(str(value).split())
    if text in _DECISIONS:
        return _DECISIONS[text]
    try:
        return parse_bool(value)
    except ValueProblem:
        raise ValueProblem("应为“是”或“否”（也可写“同意”或“不同意”）") from None


def _center_named(conn: Any, name: str, besides: str | None = None) -> str | None:
    """The ledger's center of this name (compared as tic validate compares names: NFKC, no white space), other
    than ``besides``."""
    wanted = name_key(name)
    return next((cid for cid, other in conn.execute("SELECT center_id, name FROM centers")
                 if cid != besides and name_key(other) == wanted), None)


def _next_id(conn: Any, config: Config, taken: set[str]) -> str:
    seq = 1
    while True:
        cid = config.ledger.id_format.format(year=config.year, seq=seq)
        if (cid not in taken and conn.execute("SELECT 1 FROM centers WHERE center_id = ?", (cid,)).fetchone() is None
                and conn.execute("SELECT 1 FROM audit WHERE action = '撤回登记' AND detail LIKE ?",
                                 (f"{cid} %",)).fetchone() is None):  # a withdrawn number is never given again
            return cid
        seq += 1


def register_from_city_workbook(config: Config, path: Path | str, *, ledger_path: Path | None = None) -> RegisterResult:
    """Add the approved centers of the city workbook (sheet 汇总, column 批准建设) to the ledger."""
    path = Path(path)
    table = read_table(path, REGISTER_COLUMNS, sheet_names=("汇总",), form_name="城市汇总表")
    result = RegisterResult(path=path, year=config.year)
    declined: list[tuple[RawRow, tuple[str, str, str]]] = []  # 否 now: registered by an earlier run?
    for col in table.missing_columns:
        if col.required:
            result.findings.append(Finding.of(
                "DATA.HEADER", f"工作表“{table.sheet}”缺少“{col.header}”列，无法登记新认定中心"
                + ("（请由市科学技术局在该列填写 是/否）" if col.key == "approved" else ""), sheet=table.sheet))
    if result.findings:
        return result
    candidates: list[tuple[RawRow, dict[str, Any]]] = []
    for row in table.rows:
        r = _RowReader(table, row, result.findings)
        r.labels = _REGISTER_LABELS
        approved = r.get("approved", parse_decision, what="该行未登记")
        key = (normalise_uscc(clean_text(row.values.get("lead_uscc")) or ""),
               clean_text(row.values.get("key_field")), clean_text(row.values.get("center_name")))
        if approved is None:
            if not any(f.row == row.row for f in result.findings):
                r.add("DATA.REQUIRED", "批准建设未填写（是/否），该行未登记", "approved", "warning")
            result.undecided += 1
            if all(key):  # cleared after an earlier run registered it: no longer an approval (no 认定批复)
                declined.append((row, key))
            continue
        if not approved:
            result.not_approved += 1
            if all(key):
                declined.append((row, key))
            continue
        verdict = clean_text(row.values.get("verdict"))
        if verdict == "不符合":
            problems = clean_text(row.values.get("problems")) or "见问题清单"
            r.add("DATA.STAMP", f"该行市局汇总的校验结论为“不符合”（{problems}），市局已决定批准建设，"
                  "按决定登记；请核实批准是否有误", "approved", "warning")
        rec = {
            "name": r.get("center_name", clean_text, True, "该行未登记"),
            "lead_name": r.get("lead_name", clean_text, True, "该行未登记"),
            "lead_uscc": r.get("lead_uscc", normalise_uscc, True, "该行未登记"),
            "key_field": r.get("key_field", clean_text, True, "该行未登记"),
            "name_en": r.get("center_name_en", clean_text),
            "district": r.get("district", clean_text),
            "rd_direction": r.get("rd_direction", clean_text),
            "director": r.get("director", clean_text),
            "reg_place": r.get("reg_place", clean_text),
        }
        partners = r.get("partners", parse_list) or []
        codes = [normalise_uscc(c) for c in (r.get("partner_usccs", parse_list) or [])]
        if rec["lead_uscc"] and (problem := uscc_problem(rec["lead_uscc"])):
            r.add("DATA.USCC", f"依托单位统一社会信用代码“{rec['lead_uscc']}”{problem}，该行未登记", "lead_uscc")
        if codes and len(codes) != len(partners):
            r.add("DATA.LIST-LENGTH", f"共建单位名称{len(partners)}个，统一社会信用代码{len(codes)}个，个数不一致，该行未登记",
                  "partner_usccs")
        rec["partners"] = json.dumps(partners, ensure_ascii=False)
        rec["partner_usccs"] = json.dumps(codes, ensure_ascii=False)
        if r.ok:
            candidates.append((row, rec))

    db = Path(ledger_path or config.ledger_path)
    with open_ledger(config, command="ledger register", path=db) as led:
        conn = led.conn
        stamp = now_text()
        taken: set[str] = set()
        done: dict[tuple[str, str, str], str] = {}
        audits: list[tuple[str, str]] = []
        for row, rec in candidates:
            key = (rec["lead_uscc"], rec["key_field"], rec["name"])
            if key in done:
                result.registered.append(Registered(row.row, done[key], rec["name"], False))
                continue
            # this cycle's own registration (a run again, or the cycle's centers imported from a ledger workbook);
            # a center of an earlier cycle with the same name is never merged with a new approval
            same = conn.execute(
                "SELECT * FROM centers WHERE lead_uscc = ? AND key_field = ? AND name = ? AND (approved_year = ?"
                " OR center_id IN (SELECT center_id FROM registrations WHERE cycle_year = ?))",
                (*key, config.year, config.year)).fetchone()
            earlier = None if same is not None else conn.execute(
                "SELECT * FROM centers WHERE lead_uscc = ? AND key_field = ? AND name = ? ORDER BY approved_year DESC",
                key).fetchone()
            if earlier is not None and earlier["status"] not in (REVOKED, RETIRED):
                result.findings.append(Finding.of(
                    "A10.7.NAME", f"该行是台账中{earlier['status']}的{earlier['center_id']}（{rec['name']}，"
                    f"{earlier['approved_year']}年认定），同一依托单位、同一重点领域、同一名称，未重复登记；"
                    "如需变更该中心的信息，请按第三十条办理变更（tic ledger change）", sheet=table.sheet,
                    cell=row.cells.get("center_name"), row=row.row))
                continue
            if same is not None:
                cid = same["center_id"]
                diff = {k: rec[k] for k in ("name_en", "lead_name", "partners", "partner_usccs", "district",
                                            "rd_direction", "director", "reg_place") if rec[k] != same[k]}
                if diff:
                    conn.execute(f"UPDATE centers SET {', '.join(f'{k} = ?' for k in diff)}, updated_at = ?"
                                 " WHERE center_id = ?", (*diff.values(), stamp, cid))
                    texts = [f"{LABELS.get(k, k)}由“{_show(same[k])}”改为“{_show(v)}”" for k, v in diff.items()]
                    audits.append(("登记更新中心", f"{cid}：{'；'.join(texts)}"))
                else:
                    texts = []
                done[key] = cid
                result.registered.append(Registered(row.row, cid, rec["name"], False, texts))
                continue
            renamed = conn.execute(  # this cycle's registration of the same lead unit and field, under another name
                "SELECT c.center_id, c.name FROM centers c JOIN registrations g ON g.center_id = c.center_id"
                " WHERE c.lead_uscc = ? AND c.key_field = ? AND g.cycle_year = ?",
                (rec["lead_uscc"], rec["key_field"], config.year)).fetchone()
            if renamed is not None and key[:2] not in {k[:2] for k in done}:
                cid = renamed[0]
                letter = conn.execute("SELECT doc_number FROM letters WHERE center_id = ? ORDER BY id LIMIT 1",
                                      (cid,)).fetchone()
                if letter is not None:  # the name is in an issued letter: never changed here
                    result.findings.append(Finding.of(
                        "DATA.STAMP", f"该行中心名称“{rec['name']}”与已登记的{cid}（{renamed[1]}）不同，且已印发公文"
                        f"（{letter[0]}），台账未改动；如确需更名，请按第三十条办理变更", sheet=table.sheet,
                        cell=row.cells.get("center_name"), row=row.row))
                    continue
                other = _center_named(conn, rec["name"], besides=cid)
                if other is not None:
                    result.findings.append(Finding.of(
                        "A10.7.NAME", f"中心名称“{rec['name']}”与台账中的{other}重名，{cid}未改名", sheet=table.sheet,
                        cell=row.cells.get("center_name"), row=row.row))
                    continue
                conn.execute("UPDATE centers SET name = ?, updated_at = ? WHERE center_id = ?", (rec["name"], stamp, cid))
                text = f"中心名称由“{renamed[1]}”改为“{rec['name']}”"
                audits.append(("登记更新中心", f"{cid}：{text}"))
                done[key] = cid
                result.registered.append(Registered(row.row, cid, rec["name"], False, [text]))
                continue
            clash = _center_named(conn, rec["name"])
            if earlier is not None and clash == earlier["center_id"]:  # re-applied after revocation: a new center
                clash = _center_named(conn, rec["name"], besides=earlier["center_id"])
            if clash is not None:
                result.findings.append(Finding.of(
                    "A10.7.NAME", f"中心名称“{rec['name']}”与台账中的{clash}重名（依托单位或重点领域不同），未登记",
                    sheet=table.sheet, cell=row.cells.get("center_name"), row=row.row))
                continue
            cid = _next_id(conn, config, taken)
            taken.add(cid)
            conn.execute(
                "INSERT INTO centers (center_id, name, name_en, lead_name, lead_uscc, partners, partner_usccs,"
                " district, key_field, rd_direction, director, reg_place, approved_year, status, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (cid, rec["name"], rec["name_en"], rec["lead_name"], rec["lead_uscc"], rec["partners"],
                 rec["partner_usccs"], rec["district"], rec["key_field"], rec["rd_direction"], rec["director"],
                 rec["reg_place"], config.year, RUNNING, stamp, stamp))
            conn.execute("INSERT INTO registrations (center_id, cycle_year, source_file, source_row, registered_at)"
                         " VALUES (?,?,?,?,?)", (cid, config.year, path.name, row.row, stamp))
            done[key] = cid
            result.registered.append(Registered(row.row, cid, rec["name"], True))
            audits.append(("登记新认定中心", f"{cid} {rec['name']}（{path.name}第{row.row}行）"))
            if earlier is not None:
                result.findings.append(Finding.of(
                    "DATA.STAMP", f"该中心曾以{earlier['center_id']}认定（{earlier['approved_year']}年），"
                    f"已于{earlier['status_cycle'] or ''}年度{earlier['status']}；本次按新认定登记为{cid}，"
                    f"原编号的记录保留不变", severity="warning", sheet=table.sheet,
                    cell=row.cells.get("center_name"), row=row.row))
        _withdraw(conn, config, table.sheet, declined, result, audits)
        if audits:  # nothing registered or changed: the ledger stays as it was
            led.audit_many(audits, input_file=path)
    return result


def _decision(row: RawRow) -> bool | None:
    try:
        return parse_decision(row.values.get("approved"))
    except ValueProblem:
        return None


def _withdraw(conn: Any, config: Config, sheet: str, declined: list[tuple[RawRow, tuple[str, str, str]]],
              result: RegisterResult, audits: list[tuple[str, str]]) -> None:
    """Rows now marked 否 whose center an earlier run of this cycle registered (the decision changed after
    registering): the registration is withdrawn while no letter names the center (its 认定批复 would
    otherwise still be issued); with a letter issued, nothing is changed and the row says which letter."""
    for row, key in declined:
        same = conn.execute("SELECT c.center_id FROM centers c JOIN registrations r ON r.center_id = c.center_id"
                            " WHERE c.lead_uscc = ? AND c.key_field = ? AND c.name = ? AND r.cycle_year = ?",
                            (*key, config.year)).fetchone()
        if same is None:
            continue
        cid = same[0]
        cell = row.cells.get("approved")
        now = "改为“否”" if row.values.get("approved") not in (None, "") and _decision(row) is False else "已不是“是”"
        letter = conn.execute("SELECT doc_number FROM letters WHERE center_id = ? ORDER BY id LIMIT 1",
                              (cid,)).fetchone()
        if letter is not None:
            result.findings.append(Finding.of(
                "DATA.STAMP", f"该行批准建设{now}，但{cid}已登记并已印发公文（{letter[0]}），台账未改动；"
                "如确不批准，请按公文作废程序处理后在台账中办理撤销", sheet=sheet, cell=cell, row=row.row))
            continue
        used = [name for table, name in (("evaluations", "评估记录"), ("events", "事件"), ("annual_reports", "年报"),
                                         ("changes", "变更"))
                if conn.execute(f"SELECT 1 FROM {table} WHERE center_id = ? LIMIT 1", (cid,)).fetchone()]
        if used:
            result.findings.append(Finding.of(
                "DATA.STAMP", f"该行批准建设{now}，但台账中{cid}已有{'、'.join(used)}，台账未改动；请核实", sheet=sheet,
                cell=cell, row=row.row))
            continue
        for table in ("dispositions", "registrations", "centers"):
            conn.execute(f"DELETE FROM {table} WHERE center_id = ?", (cid,))
        result.withdrawn.append(Registered(row.row, cid, key[2], False))
        audits.append(("撤回登记", f"{cid} {key[2]}（批准建设{now}，尚未印发公文；编号不再使用）"))
        result.findings.append(Finding.of(
            "DATA.STAMP", f"该行批准建设{now}，已撤回此前的登记{cid}（尚未印发公文），该编号不再使用",
            severity="warning", sheet=sheet, cell=cell, row=row.row))


# --------------------------------------------------------------------------- annual reports


def annual_columns() -> list[Column]:
    return [Column(f.key, f.header, f.aliases, required=f.key in ("center_id", "year", "submitted_on"),
                   date=f.type == "date") for f in annual_core.FIELDS]


@dataclass
class AnnualReport:
    """The check of one annual report workbook; ``to_dict()`` is the validation JSON with report "annual"."""

    path: Path
    config: Config
    rows: list[annual_core.AnnualRow] = field(default_factory=list)
    file_findings: list[Finding] = field(default_factory=list)
    issues: list[annual_core.SubmissionIssue] = field(default_factory=list)
    table: Table | None = None
    sha256: str | None = None
    fatal: InputFileError | None = None
    recorded: list[str] = field(default_factory=list)  # changes written to the ledger
    recorded_keys: set[tuple[str, int]] = field(default_factory=set)  # (center, year) settled by a row of the file
    ledger_used: bool = False
    output: Path | None = None

    @property
    def status(self) -> int:
        if self.fatal is not None:
            return 2
        worst = exit_status(self.file_findings)
        for r in self.rows:
            worst = max(worst, exit_status(r.findings))
        return worst

    @property
    def summary(self) -> dict[str, int]:
        s = annual_core.summarise(self.rows, self.file_findings)
        s["missing"] = sum(i.state == "missing" for i in self.issues)
        s["late"] = sum(i.state == "late" for i in self.issues)
        s["pending"] = sum(i.state == "pending" for i in self.issues)
        return s

    def to_dict(self) -> dict[str, Any]:
        source: dict[str, Any] = {"file": self.path.name, "sha256": self.sha256}
        if self.table is not None:
            source["sheet"] = self.table.sheet
            source["header_row"] = self.table.header_row
        return {
            "report": "annual",
            "schema_version": 1,
            "tool_version": __version__,
            "reference_date": self.config.reference_date.isoformat(),
            "source": source,
            "summary": self.summary,
            "rows": [r.to_dict() for r in self.rows],
            "file_findings": [f.to_dict() for f in self.file_findings],
            "submissions": [i.to_dict() for i in self.issues],
            "recorded": self.recorded,
            "output": self.output.name if self.output else None,
        }

    def terminal_lines(self, quiet: bool = False) -> list[str]:
        name = self.path.name
        if self.fatal is not None:
            return [f"【无法读取】{self.fatal}"]
        s = self.summary
        lines: list[str] = []
        if not quiet:
            lines.append(f"{name}（工作表“{self.table.sheet}”，表头在第{self.table.header_row}行）"  # type: ignore[union-attr]
                         f"共 {s['rows']} 行：符合 {s['eligible']}，待核实 {s['review']}，不符合 {s['ineligible']}。")
        for f in self.file_findings:
            if f.rule != "A29.SUBMITTED":
                lines.append(f"  {name}：{f.sentence()}")
        for r in self.rows:
            if r.verdict.value == "eligible":
                continue
            label = " ".join(x for x in (r.center_id, r.values.get("center_name")) if x) or "（未填中心）"
            lines.append(f"  第{r.row}行 {label}【{r.verdict.zh}】")
            for f in r.findings:
                lines.append(f"    - {f.cell + ' ' if f.cell else ''}{f.sentence()}")
        if self.issues:
            lines.append("  未报送或逾期报送年度报告的运行中心：")
            for i in self.issues:
                when = f"，{format_zh(i.submitted_on)}报送" if i.submitted_on else ""
                lines.append(f"    {i.center_id} {i.center_name}：{i.year}年度{i.state_zh}{when}"
                             f"（截止日期{format_zh(i.deadline)}）")
        if not self.ledger_used:
            lines.append("  未找到台账，未登记报送日期，也无法列出未报送的中心（请先运行 tic ledger import）。")
        elif self.recorded and not quiet:
            lines.append(f"  已在台账中登记{len(self.recorded)}项报送日期变化。")
        elif not quiet:
            lines.append("  台账中的报送日期已是最新，无需更新。")
        return lines


def _known_centers(config: Config, db: Path) -> dict[str, annual_core.KnownCenter] | None:
    if not db.is_file():
        return None
    with open_ledger(config, command="annual", write=False, path=db) as led:
        return {r["center_id"]: annual_core.KnownCenter(r["center_id"], r["name"], r["status"], r["approved_year"],
                                                        r["status_cycle"])
                for r in led.conn.execute("SELECT center_id, name, status, approved_year, status_cycle FROM centers")}


def check_annual_file(
    config: Config, path: Path | str, out_dir: Path | None = None, *, record: bool = True,
    annotate: bool = True, ledger_path: Path | None = None,
) -> AnnualReport:
    """Check one annual report workbook, record receipt dates, list missing/late reports, write the copy.

    Never raises for a bad input file: the report carries it (status 2).
    """
    path = Path(path)
    report = AnnualReport(path=path, config=config)
    try:
        table = read_table(path, annual_columns(), sheet_names=(ANNUAL_SHEET, "年度报告汇总表", "年报"),
                           form_name="年度报告汇总表")
    except InputFileError as exc:
        report.fatal = exc
        report.file_findings.append(Finding.of("FILE.UNREADABLE", str(exc), reason=exc.reason))
        return report
    report.table = table
    report.sha256 = file_sha256(path)
    db = Path(ledger_path or config.ledger_path)
    centers = _known_centers(config, db)
    report.ledger_used = centers is not None
    missing = frozenset(c.key for c in table.missing_columns)
    for col in table.missing_columns:
        spec = annual_core.FIELD_BY_KEY[col.key]
        if col.required or spec.required:
            report.file_findings.append(Finding.of(
                "DATA.HEADER", f"工作表“{table.sheet}”缺少“{spec.label}”列（第{table.header_row}行表头），"
                f"无法核验{spec.blocks or '年度报告报送情况'}", sheet=table.sheet))
    for cell, header in table.unknown_headers:
        report.file_findings.append(Finding.of("DATA.HEADER", f"未识别的列“{header}”（{cell}），该列内容已保留但不参与核查",
                                               severity="warning", cell=cell, sheet=table.sheet))
    if table.template_version and table.template_version != ANNUAL_TEMPLATE_VERSION:
        report.file_findings.append(Finding.of(
            "DATA.HEADER", f"该工作簿来自旧版模板（{table.template_version}），当前模板为 {ANNUAL_TEMPLATE_VERSION}",
            severity="warning", sheet=table.sheet))
    report.rows = annual_core.check_rows(table.rows, config, centers, missing_columns=missing,
                                         limits=annual_limits(config))
    years = [config.year - 1]
    if "submitted_on" in missing:  # no receipt dates in this file: none recorded, no center called late or missing
        record = False

    if centers is not None:
        with open_ledger(config, command="annual", path=db, write=record) as led:
            if record:
                report.recorded = _record_receipts(led, report.rows, path, report.recorded_keys)
            received = {(r["center_id"], r["year"]): (date.fromisoformat(r["submitted_on"]) if r["submitted_on"] else None)
                        for r in led.conn.execute("SELECT center_id, year, submitted_on FROM annual_reports")}
        if not record:  # what the file says counts too, when nothing was written
            for r in report.rows:
                if r.recordable and r.submitted_on:
                    received.setdefault((r.center_id, r.year), r.submitted_on)  # type: ignore[index]
                    report.recorded_keys.add((r.center_id, r.year))  # type: ignore[arg-type]
        in_file = {(r.center_id, r.year) for r in report.rows}
        # a center whose row is in the file but could not be recorded (a duplicate, an unreadable date …) is not
        # "未报送": its row carries the problem; no receipt dates at all in the file: nothing can be said
        unsettled = {(r.center_id, r.year) for r in report.rows if r.center_id and r.year
                     and (r.center_id, r.year) not in report.recorded_keys}
        for year in years if "submitted_on" not in missing else ():
            for issue in annual_core.submission_issues(centers.values(), received, year, config):
                if (issue.center_id, issue.year) in unsettled and issue.state == "missing":
                    continue
                report.issues.append(issue)
                if (issue.center_id, issue.year) not in in_file:
                    report.file_findings.append(issue.finding())
    else:
        for r in report.rows:
            if r.year and r.submitted_on and r.submitted_on > config.annual.deadline(r.year):
                name = r.values.get("center_name") or ""
                report.issues.append(annual_core.SubmissionIssue(
                    r.center_id or "", name, r.year, "late", config.annual.deadline(r.year), r.submitted_on))
    if annotate:
        report.output = write_annual_check(report, out_dir)
    return report


_UNREADABLE = date.min  # a duplicate row whose date could not be read: never agrees with another


def _record_receipts(led: Any, rows: Sequence[annual_core.AnnualRow], path: Path,
                     recorded: set[tuple[str, int]] | None = None) -> list[str]:
    conn = led.conn
    changes: list[str] = []
    audits: list[tuple[str, str]] = []
    # a center twice in the file: recorded once when its rows agree on the date, else not at all (the rows say so)
    dates: dict[tuple[str | None, int | None], set[date | None]] = defaultdict(set)
    for r in rows:
        if any(f.rule == "DATA.DUPLICATE" for f in r.findings):
            dates[(r.center_id, r.year)].add(r.submitted_on if r.readable else _UNREADABLE)
    done: set[tuple[str | None, int | None]] = set()
    for r in rows:
        key = (r.center_id, r.year)
        if not r.readable or key in done or (key in dates and len(dates[key]) > 1):
            continue
        done.add(key)
        if recorded is not None:
            recorded.add(key)  # type: ignore[arg-type]
        new = r.submitted_on.isoformat() if r.submitted_on else None
        old = conn.execute("SELECT submitted_on FROM annual_reports WHERE center_id = ? AND year = ?",
                           (r.center_id, r.year)).fetchone()
        if old is not None and (old[0] == new or new is None):
            if new is None and old[0]:
                r.findings.append(Finding.of(
                    "A29.SUBMITTED", f"本表报送日期为空，台账中记录{r.year}年度报告已于{old[0]}报送，保留台账记录，请核实",
                    severity="warning", field="submitted_on", cell=r.cells.get("submitted_on")))
            continue
        conn.execute("INSERT INTO annual_reports (center_id, year, submitted_on, source) VALUES (?,?,?,?)"
                     " ON CONFLICT (center_id, year) DO UPDATE SET submitted_on=excluded.submitted_on,"
                     " source=excluded.source", (r.center_id, r.year, new, path.name))
        if old is None:
            text = f"{r.center_id} {r.year}年度报告：{new or '未报送'}"
            audits.append(("登记年报报送日期", text))
        else:
            text = f"{r.center_id} {r.year}年度报告：报送日期由{old[0] or '空'}改为{new}"
            audits.append(("更新年报报送日期", text))
        changes.append(text)
    if audits:
        led.audit_many(audits, input_file=path)
    return changes


def write_annual_check(report: AnnualReport, out_dir: Path | None = None) -> Path:
    """``<name>.年报核查.xlsx``: the annotated copy plus a sheet of centers with no or a late report."""
    from toolkit.adapters.annotate import AnnotatedRow, annotated_name, write_annotated

    assert report.table is not None, "only a readable workbook can be annotated"
    target = (out_dir or report.path.parent) / annotated_name(report.path, CHECK_SUFFIX)
    s = report.summary
    lines = [
        f"年度报告核查结果：{report.path.name}",
        f"基准日期 {report.config.reference_date.isoformat()}；共 {s['rows']} 行：符合 {s['eligible']}，"
        f"待核实 {s['review']}，不符合 {s['ineligible']}；未报送 {s['missing']} 个，逾期 {s['late']} 个。",
        "红色为错误，黄色为警告；未报送或逾期报送的中心见“未报送或逾期”工作表。",
    ]
    rows = [AnnotatedRow(r.row, r.verdict, r.findings, " ".join(x for x in (r.center_id, r.values.get("center_name")) if x))
            for r in report.rows]
    write_annotated(report.path, target, sheet=report.table.sheet, header_row=report.table.header_row, rows=rows,
                    file_findings=[f for f in report.file_findings if f.rule != "A29.SUBMITTED"],
                    summary_lines=lines, list_sheet="核查结果")
    keep_vba = target.suffix.lower() == ".xlsm"
    wb = load_workbook(target, keep_vba=keep_vba)
    ws = wb.create_sheet("未报送或逾期", 1)
    headers = ["中心编号", "中心名称", "报告年度", "情况", "报送日期", "截止日期"]
    _style_header(ws, 1, headers, [17, 36, 9, 22, 12, 12], [False] * 6)
    red = PatternFill("solid", fgColor="FFC7CE")
    yellow = PatternFill("solid", fgColor="FFEB9C")
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    for r, i in enumerate(report.issues, start=2):
        for col, v in enumerate((i.center_id, i.center_name, i.year, i.state_zh, i.submitted_on, i.deadline), 1):
            cell = ws.cell(row=r, column=col, value=v)
            cell.border = BOX
            cell.font = Font(name="宋体", size=10)
        ws.cell(row=r, column=4).fill = yellow if i.state == "pending" else red
        for col in (5, 6):
            ws.cell(row=r, column=col).number_format = "yyyy-mm-dd"
    if not report.issues:
        ws.cell(row=2, column=1, value="（无）" if report.ledger_used else "（未找到台账，无法列出）")
    write_with(target, wb.save)
    wb.close()
    return target


def write_annual_template(path: Path, config: Config | None = None, *, ledger_path: Path | None = None) -> Path:
    """Write a blank 年度报告汇总表; with a ledger, the running centers are filled in (id, name, year)."""
    year = (config.year - 1) if config else 2025
    wb = Workbook()
    ws = wb.active
    ws.title = ANNUAL_SHEET
    lists = wb.create_sheet("下拉选项")
    lists.sheet_state = "hidden"
    fields = annual_core.FIELDS
    widths = [{"center_id": 17, "center_name": 34, "remarks": 24}.get(f.key, 13) for f in fields]
    header_row = 2
    # two A4 pages across, 序号/中心编号/中心名称 on both, the title centred on the first
    print_wide(ws, widths, header_row=header_row, repeat=3, pages_wide=2, paper="A4",
               title=f"{year}年度石家庄市技术创新中心年度报告汇总表", title_font=TITLE_FONT)
    _style_header(ws, header_row, [f.header for f in fields], widths,
                  [f.required or f.key in ("center_id", "year") for f in fields])
    ws.freeze_panes = f"C{header_row + 1}"
    ws.row_dimensions[header_row].height = 54
    first, lastrow = header_row + 1, header_row + 500
    for j, f in enumerate(fields, start=1):
        if f.type == "bool":
            _dropdown(ws, lists, f.label, ("是", "否"), j, first, lastrow)
        elif f.type == "shared":
            _dropdown(ws, lists, f.label, annual_core.SHARED_CHOICES, j, first, lastrow)
        elif f.type == "date":
            for r in range(first, lastrow + 1):
                ws.cell(row=r, column=j).number_format = "yyyy-mm-dd"
    submitted_col = next(j for j, f in enumerate(fields, start=1) if f.key == "submitted_on")
    ws.cell(row=header_row, column=submitted_col).comment = Comment(
        f"{year}年度报告须在{format_zh((config.annual if config else AnnualConfig()).deadline(year))}前报送；"
        "未报送的留空。", "tic 模板")
    if config is not None:
        db = Path(ledger_path or config.ledger_path)
        if db.is_file():
            with open_ledger(config, command="template annual", write=False, path=db) as led:
                rows = led.conn.execute("SELECT center_id, name FROM centers WHERE status = ? AND"
                                        " (approved_year IS NULL OR approved_year <= ?) ORDER BY center_id",
                                        (RUNNING, year)).fetchall()
            for i, r in enumerate(rows, start=first):
                for j, v in enumerate((None, r["center_id"], r["name"], year), start=1):
                    ws.cell(row=i, column=j, value=v)
    limits = annual_limits(config) if config is not None else annual_core.LIMITS
    notes = wb.create_sheet("填表说明")
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    notes["A1"] = "年度报告汇总表填表说明"
    notes["A1"].font = TITLE_FONT
    text = [
        ("适用", "《石家庄市技术创新中心建设与运行管理办法》第二十九条：每个运行中的技术创新中心每年报送一次年度报告；一行一个中心。"),
        ("报送日期", "市科学技术局收到年度报告的日期；未报送的留空。逾期报送视为未按时报送（第三十八条第（一）项）。"),
        ("管理委员会", "本年度管理委员会会议次数，每年至少一次（第十四条）。"),
        ("技术指导委员会", f"{limits.tsc_min}至{limits.tsc_max}人；其中依托单位和共建单位人员不超过三分之一；"
                    "主任由外单位专家担任；每年至少开会一次（第十五条）。"),
        ("中心主任", f"年龄不超过{limits.max_age}周岁（按本周期的基准日期计算）、不兼任其他平台负责人、每年在中心工作"
                 f"不少于{limits.min_months:g}个月（第十六条）。"),
        ("专职管理人员", "至少一名（第十九条）。"),
        ("大型仪器", "纳入省、市大型仪器设备共享平台填“是”；没有大型仪器填“无大型仪器”（第二十条）。"),
        ("核查", "运行 tic annual 本文件；问题标注在对应单元格，并生成“未报送或逾期”清单。"),
    ]
    for r, (a, b) in enumerate(text, start=3):
        notes.cell(row=r, column=1, value=a).font = HEADER_FONT
        notes.cell(row=r, column=2, value=b).alignment = Alignment(wrap_text=True, vertical="top")
    wb.defined_names["TIC_TEMPLATE"] = DefinedName("TIC_TEMPLATE", attr_text=f'"{ANNUAL_TEMPLATE_VERSION}"')
    write_with(Path(path), wb.save)
    return Path(path)




# --------------------------------------------------------------------------- dispositions


def write_dispositions_workbook(report: Any, target: Path) -> Path:
    """The cycle's dispositions (``tic decide``) as a workbook a clerk opens: one row per listed center with its
    outcome, articles and every reason; the changes this run made and any conflict with a letter below."""
    from toolkit.adapters.ledger import articles_text
    from toolkit.core.disposition import OUTCOME_ZH

    wb = Workbook()
    ws = wb.active
    ws.title = "处置决定"
    ws["A1"] = f"{report.year}年度技术创新中心处置决定（基准日期 {format_zh(report.reference_date)}）"
    ws["A1"].font = TITLE_FONT
    headers = ["中心编号", "中心名称", "处置", "依据", "理由", "另适用"]
    widths = [20, 34, 10, 30, 70, 24]
    _style_header(ws, 2, headers, widths, [False] * len(headers))
    body = Font(name="宋体", size=10)
    wrap = Alignment(wrap_text=True, vertical="top")
    order = {"revoke": 0, "retire": 1, "rectify": 2, "reward": 3, "none": 4}
    rows = sorted(report.dispositions, key=lambda d: (order.get(d.outcome, 9), d.center_id))
    for r, d in enumerate(rows, start=3):
        reasons = "\n".join(d.reasons)
        values = (d.center_id, d.center_name, OUTCOME_ZH[d.outcome], articles_text(d.rules) or "—",
                  reasons or "—", articles_text(d.other_rules) if d.other_rules else "")
        for col, v in enumerate(values, start=1):
            c = ws.cell(row=r, column=col, value=v)
            c.font, c.alignment, c.border = body, wrap, BOX
        ws.row_dimensions[r].height = max(17, 13.5 * max(1, len(d.reasons), -(-len(reasons) // 34)) + 4)
    r = 3 + len(rows) + 1
    for head, lines in (("注意", [c.sentence() for c in report.conflicts]), ("本次写入台账的变化", report.changes)):
        if not lines:
            continue
        ws.cell(row=r, column=1, value=head).font = HEADER_FONT
        for line in lines:
            r += 1
            c = ws.cell(row=r, column=1, value=line)
            c.font = body
        r += 2
    print_fit(ws, 2)
    defuse_formulas(wb)
    write_with(target, wb.save)
    return target
