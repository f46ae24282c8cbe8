"""The city's merged workbook (``tic collect --out FILE``): 汇总, 统计 (with a chart), 问题清单.

The 批准建设 column is the bureau's decision, read later by ``tic ledger register``.
Decisions already typed into an existing city workbook are carried over when it is
written again, so a re-run never loses them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from toolkit.adapters.atomic import write_with
from toolkit.adapters.safety import open_workbook
from toolkit.adapters.schema_check import field_specs
from toolkit.adapters.xlstyle import TOP, WRAP_TOP, FastStyle, fit_row_height, literal, print_wide
from toolkit.core.findings import SEVERITY_ZH, Severity, Verdict
from toolkit.core.values import clean_text
from toolkit.errors import InputFileError, TicError

if TYPE_CHECKING:
    from toolkit.submission import CollectReport

SUMMARY = "汇总"
DECISION = "批准建设"
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FONT = Font(name="宋体", size=10, bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="1F4E78")
DECISION_FILL = PatternFill("solid", fgColor="C00000")
BODY = Font(name="宋体", size=10)
FILLS = {Verdict.ELIGIBLE: PatternFill("solid", fgColor="C6EFCE"), Verdict.REVIEW: PatternFill("solid", fgColor="FFEB9C"),
         Verdict.INELIGIBLE: PatternFill("solid", fgColor="FFC7CE")}
STAMP_ZH = {"valid": "有效", "modified": "校验后被修改", "missing": "无标记", "stale": "标记过期"}


def _display(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    if isinstance(value, datetime | date) or value is None or isinstance(value, int | float):
        return value
    return clean_text(value)


def decision_key(district: Any, uscc: Any, name: Any) -> tuple[str, str, str]:
    return (clean_text(district), clean_text(uscc).upper(), clean_text(name))


ORPHANS = "未汇总的意见"


DecisionKey = tuple[str, str, str, int]
"""(district, lead USCC, center name, which occurrence of the three): the same application twice in a file keeps
each row's own decision."""


def read_decisions(path: Path) -> dict[DecisionKey, Any]:
    """The 批准建设 values already typed into an existing city workbook (and kept from earlier runs).

    A city workbook that exists but cannot be read is an error, never "no decisions": writing a new one over it
    would destroy what the bureau typed in.
    """
    if not path.is_file():
        return {}
    try:
        wb = open_workbook(path, read_only=True)
    except InputFileError as exc:
        raise TicError(
            f"市局汇总工作簿“{path.name}”无法读取（{exc}），其中可能有已填写的“批准建设”意见；为免丢失，未重新生成。"
            "请在 Excel 中打开检查（已加密的请去掉密码），或把它移到别处后再运行。") from exc
    try:
        out: dict[DecisionKey, Any] = {}
        for sheet in (ORPHANS, SUMMARY):  # the 汇总 sheet's value wins
            if sheet in wb.sheetnames:
                out.update(_decisions_of(wb[sheet]))
        return out
    finally:
        wb.close()


_KEY_HEADERS = ("县（市、区）", "依托单位统一社会信用代码", "拟建中心名称", DECISION)


def _decisions_of(ws: Any) -> dict[DecisionKey, Any]:
    rows = ws.iter_rows(values_only=True)
    header = None
    for values in rows:
        if values and ("拟建中心名称" in values or DECISION in values):
            header = list(values)
            break
    if header is None:
        return {}
    ix = {h: i for i, h in enumerate(header) if h}
    missing = [h for h in _KEY_HEADERS if h not in ix]
    if missing:  # a header changed by hand: the decisions typed in could not be matched to their applications
        raise TicError(f"市局汇总工作簿的“{ws.title}”表缺少“{'”“'.join(missing)}”列（表头被改动或删除），无法确认已填写的"
                       f"“{DECISION}”意见属于哪一项申报；为免丢失，未重新生成。请恢复原表头后再运行。")
    out: dict[DecisionKey, Any] = {}
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for values in rows:
        if not values or len(values) <= ix[DECISION]:
            continue
        base = decision_key(values[ix["县（市、区）"]], values[ix["依托单位统一社会信用代码"]], values[ix["拟建中心名称"]])
        n = seen[base]
        seen[base] += 1  # every row counts, decided or not: the n-th row of an application is the n-th again
        decision = values[ix[DECISION]]
        if decision not in (None, ""):
            out[(*base, n)] = decision
    return out


def _head(ws, row: int, headers: list[str], widths: list[float]) -> None:  # type: ignore[no-untyped-def]
    for i, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        c = ws.cell(row=row, column=i, value=h)
        c.font, c.fill, c.border = HEAD_FONT, HEAD_FILL, BOX
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = w


def _print_setup(ws, title_row: int) -> None:  # type: ignore[no-untyped-def]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{title_row}:{title_row}"


def write_city_workbook(report: CollectReport, path: Path, decisions: dict[DecisionKey, Any]) -> int:
    """Write the city workbook; returns how many existing 批准建设 decisions were carried over."""
    cfg = report.config
    specs = [s for s in field_specs("intake") if s.key not in ("seq", "district")]
    wb = Workbook()
    style = FastStyle(wb)
    ws = wb.active
    ws.title = SUMMARY
    fixed = ["序号", "县（市、区）", "来源文件", "来源行号", "校验结论", "报送标记状态"]
    headers = fixed + [s.header for s in specs] + ["问题说明", DECISION]
    # the source file column as wide as its longest name (a CJK character takes two widths), within 30-60
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in item.rel) for item in report.active), default=0)
    widths = [6, 22, min(60, max(30, longest + 2)), 8, 9, 12] + [max(8, s.width) for s in specs] + [60, 10]
    ncol = len(headers)
    # 40-odd columns cannot be read on one sheet of paper: A3, four pages across at a fixed scale, the columns that
    # name a row (序号 … 拟建中心名称) and the header on every page, page numbers, the title on the first page
    print_wide(ws, widths, header_row=3, repeat=7, pages_wide=4,
               title=f"{cfg.year}年度石家庄市技术创新中心申报汇总（市局）", title_font=Font(name="黑体", size=16, bold=True))
    s = report.summary
    ws["A2"] = (f"基准日期 {cfg.reference_date.isoformat()}；汇总 {s['used']} 个区县文件，申报 {s['rows']} 项："
                f"符合 {s['eligible']}，待核实 {s['review']}，不符合 {s['ineligible']}。"
                f"请在最后一列“{DECISION}”填写“是”或“否”（市局决定，第十一条）。")
    ws["A2"].font = BODY
    _head(ws, 3, headers, widths)
    ws.cell(row=3, column=ncol).fill = DECISION_FILL
    ws.row_dimensions[3].height = 45
    kept = 0
    used: set[DecisionKey] = set()
    occurrences: dict[tuple[str, str, str], int] = defaultdict(int)
    n = 0
    for item in report.active:
        raw_rows = {r.row: r for r in item.report.table.rows}  # type: ignore[union-attr]
        for r in item.report.rows:
            n += 1
            line = 3 + n
            raw = raw_rows[r.row]
            values: list[Any] = [n, item.district, item.rel, r.row, r.verdict.zh, STAMP_ZH[item.stamp_state]]
            for spec in specs:
                v = r.values.get(spec.key)
                values.append(_display(v if v is not None else raw.values.get(spec.key)))
            problems = "；".join(f"{f.message}" + (f"（{f.article}）" if f.article else "") for f in r.findings)
            values.append(problems or None)
            base = decision_key(item.district, r.values.get("lead_uscc") or raw.values.get("lead_uscc"),
                                r.values.get("center_name") or raw.values.get("center_name"))
            key = (*base, occurrences[base])
            occurrences[base] += 1
            decision = decisions.get(key)
            kept += decision is not None
            used.add(key)
            values.append(decision)
            for i, v in enumerate(values, start=1):
                c = literal(ws.cell(row=line, column=i), v)
                style(c, border=BOX, font=BODY)
                if isinstance(v, datetime | date):
                    c.number_format = "yyyy-mm-dd"
            style(ws.cell(row=line, column=5), fill=FILLS[r.verdict])
            style(ws.cell(row=line, column=ncol - 1), alignment=WRAP_TOP)
            fit_row_height(ws, line, [(problems, widths[-2])])
    last = 3 + max(n, 1)
    dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showInputMessage=True,
                        promptTitle=DECISION, prompt="市局决定是否批准建设：是 / 否。tic ledger register 读取此列。")
    dv.add(f"{get_column_letter(ncol)}4:{get_column_letter(ncol)}{max(last, 4) + 200}")
    ws.add_data_validation(dv)
    ws.freeze_panes = "G4"
    ws.auto_filter.ref = f"A3:{get_column_letter(ncol)}{last}"

    _stats_sheet(wb, report)
    _problems_sheet(wb, report, style)
    orphans = {k: v for k, v in decisions.items() if k not in used}
    if orphans:
        _orphans_sheet(wb, orphans)
    report.orphan_decisions = len(orphans)
    write_with(path, wb.save)
    return kept


def _orphans_sheet(wb: Workbook, orphans: dict[DecisionKey, Any]) -> None:
    """Decisions whose application is not in this collection (its file moved away): kept, never dropped."""
    ws = wb.create_sheet(ORPHANS)
    ws["A1"] = ("以下“批准建设”意见对应的申报不在本次汇总中（报送文件被移走、改名或被替代？）。意见保留在此，"
                "文件放回收件文件夹后再次汇总会自动恢复到“汇总”表。")
    ws["A1"].font = Font(name="宋体", size=10, bold=True, color="C00000")
    _head(ws, 3, ["县（市、区）", "依托单位统一社会信用代码", "拟建中心名称", DECISION], [24, 26, 40, 10])
    for i, ((district, uscc, name, _n), decision) in enumerate(sorted(orphans.items()), start=4):
        for j, v in enumerate((district, uscc, name, decision), start=1):
            literal(ws.cell(row=i, column=j), v).border = BOX


def _stats_sheet(wb: Workbook, report: CollectReport) -> None:
    st = wb.create_sheet("统计")
    st["A1"] = "各县（市、区）申报统计"
    st["A1"].font = Font(name="黑体", size=14, bold=True)
    headers = ["县（市、区）", "报送文件", "报送标记", "申报数", "符合", "待核实", "不符合"]
    _head(st, 3, headers, [26, 40, 14, 8, 8, 8, 8])
    line = 3
    totals = [0, 0, 0, 0]
    for item in sorted(report.active, key=lambda i: (i.district or "", i.rel)):
        ss = item.report.summary
        row = [item.district, item.rel, STAMP_ZH[item.stamp_state], ss["rows"], ss["eligible"], ss["review"],
               ss["ineligible"]]
        line += 1
        for i, v in enumerate(row, start=1):
            c = st.cell(row=line, column=i, value=v)
            c.border, c.font = BOX, BODY
        for i, k in enumerate(("rows", "eligible", "review", "ineligible")):
            totals[i] += ss[k]
    first_data, last_data = 4, line
    line += 1
    for i, v in enumerate(["合计", "", "", *totals], start=1):
        c = st.cell(row=line, column=i, value=v)
        c.border, c.font = BOX, Font(name="宋体", size=10, bold=True)
    _print_setup(st, 3)
    if last_data >= first_data:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "各县（市、区）申报校验结论"
        chart.y_axis.title = "申报数"
        data = Reference(st, min_col=5, max_col=7, min_row=3, max_row=last_data)
        cats = Reference(st, min_col=1, min_row=first_data, max_row=last_data)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        for series, color in zip(chart.series, ("70AD47", "FFC000", "C00000"), strict=True):
            series.graphicalProperties.solidFill = color
        chart.height, chart.width = 9, 18
        st.add_chart(chart, f"A{line + 3}")


def _problems_sheet(wb: Workbook, report: CollectReport, style: FastStyle) -> None:
    ps = wb.create_sheet("问题清单")
    headers = ["县（市、区）", "文件", "行号", "单元格", "中心名称", "级别", "规则", "条款", "问题说明"]
    widths = [14, 30, 7, 8, 32, 7, 22, 20, 70]
    _head(ps, 1, headers, widths)
    line = 1
    wrapped = (1, 2, 5, 7, 8, 9)  # text that would be cut off on paper wraps, and the row grows for it

    def put(values: list[Any]) -> None:
        for i, v in enumerate(values, start=1):
            c = literal(ps.cell(row=line, column=i), v)
            style(c, border=BOX, font=BODY, alignment=WRAP_TOP if i in wrapped else TOP)
        fit_row_height(ps, line, [(values[i - 1], widths[i - 1]) for i in wrapped])

    for f in report.file_findings:
        line += 1
        put(["", f.get("file", ""), None, f.cell, "（整个文件）", SEVERITY_ZH[f.severity], f.rule, f.article or "",
             f.message])
    for item in report.active:
        for r in item.report.rows:
            for f in r.findings:
                line += 1
                put([item.district, item.rel, r.row, f.cell, r.center_name, SEVERITY_ZH[f.severity], f.rule,
                     f.article or "", f.message])
                sev = ps.cell(row=line, column=6)
                style(sev, fill=FILLS[Verdict.INELIGIBLE if f.severity is Severity.ERROR else Verdict.REVIEW])
    ps.freeze_panes = "A2"
    if line > 1:
        ps.auto_filter.ref = f"A1:I{line}"
    _print_setup(ps, 1)
