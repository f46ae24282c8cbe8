"""The expert scoring workbook (绩效评估打分表, workbooks.md §3) and the results workbook.

* :func:`write_evaluation_template` — the blank scoring workbook ``tic template evaluation`` hands out:
  中心名单, 中心人员, 专家名单, 专家打分, 利益关系申报 and 填表说明, with dropdowns, each dimension
  limited to 0..its maximum, 合计 as a formula and the version stamp ``TIC_TEMPLATE`` = "evaluation/1".
* :func:`read_evaluation_workbook` — the five sheets as :class:`~toolkit.core.evaluation.EvaluationInput`
  (via :func:`toolkit.adapters.table.read_table`: title rows, header variants and column order do not
  matter; a 合计 formula without a cached value is flagged and recomputed).
* :func:`write_results_workbook` — ``<name>.评估结果.xlsx``: 评估结果, 回避明细, 专家评分矩阵, 问题清单
  and 统计图表 (native Excel charts).
* :func:`evaluate_file` — read, evaluate (:func:`toolkit.core.evaluation.evaluate`), optionally write
  the results workbook; the input file is only ever read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from toolkit.adapters.atomic import write_with
from toolkit.adapters.safety import open_workbook
from toolkit.adapters.table import Column, Table, read_table
from toolkit.adapters.xlstyle import FastStyle, defuse_formulas, fit_row_height, wrapped_lines
from toolkit.core.config import DEFAULT_DIMENSIONS, Config, EvaluationConfig
from toolkit.core.evaluation import (
    CATEGORIES,
    GRADES,
    MATCH_LABELS,
    REGIONS,
    STATUSES,
    CenterResult,
    Declaration,
    EvaluationInput,
    EvaluationResult,
    Expert,
    Person,
    RosterCenter,
    ScoreRow,
    SourceInfo,
    evaluate,
    median,
    round1,
)
from toolkit.core.findings import SEVERITY_ZH, Finding, Severity, rule_info
from toolkit.core.values import clean_text, parse_list
from toolkit.errors import InputFileError

TEMPLATE_VERSION = "evaluation/1"
TEMPLATE_NAME = "TIC_TEMPLATE"
RESULTS_SUFFIX = "评估结果"
TEMPLATE_ROWS = {"roster": 100, "personnel": 1000, "experts": 60, "scores": 1000, "declarations": 200}

# ------------------------------------------------------------------ columns of the five sheets

ROSTER_COLUMNS = (
    Column("center_id", "中心编号", ("技术创新中心编号",), required=True),
    Column("name", "中心名称", ("技术创新中心名称",), required=True),
    Column("lead_name", "依托单位名称", ("依托单位",), required=True),
    Column("lead_uscc", "依托单位统一社会信用代码", ("依托单位信用代码", "依托单位社会信用代码")),
    Column("partners", "共建单位名称", ("共建单位",)),
    Column("partner_usccs", "共建单位统一社会信用代码", ("共建单位信用代码", "共建单位社会信用代码")),
    Column("district", "县（市、区）", ("县市区", "所属县（市、区）")),
    Column("status", "参评状态", ("评估状态", "是否参评"), required=True),
)
PERSONNEL_COLUMNS = (
    Column("center_id", "中心编号", required=True),
    Column("name", "姓名", ("人员姓名",), required=True),
    Column("id_number", "证件号码", ("身份证号码", "身份证号")),
    Column("unit", "所在单位", ("人员所在单位",), required=True),
)
EXPERT_COLUMNS = (
    Column("expert_id", "专家编号", required=True),
    Column("name", "姓名", ("专家姓名",), required=True),
    Column("id_number", "证件号码", ("身份证号码", "身份证号")),
    Column("unit", "工作单位", ("专家工作单位",), required=True),
    Column("unit_uscc", "工作单位统一社会信用代码", ("工作单位信用代码", "单位统一社会信用代码")),
    Column("region", "省内/省外", ("省内外", "省内或省外"), required=True),
    Column("specialty", "专业领域", ("专业",)),
    Column("category", "专家类别", ("类别",)),
)
DECLARATION_COLUMNS = (
    Column("expert_id", "专家编号", required=True),
    Column("center_id", "中心编号", required=True),
    Column("note", "关系说明", ("利益关系说明", "利益关系")),
)


def score_columns(dimensions: Mapping[str, int]) -> tuple[Column, ...]:
    """Columns of 专家打分 for the cycle's dimensions (a header "组织管理（15分）" also matches)."""
    return (
        Column("center_id", "中心编号", required=True),
        Column("expert_id", "专家编号", required=True),
        *(Column(d, d, required=True) for d in dimensions),
        Column("total", "合计", ("总分", "合计得分")),
        Column("recuse", "申请回避", ("是否申请回避", "是否回避")),
        Column("remarks", "备注"),
    )


# ------------------------------------------------------------------ styles

TITLE_FONT = Font(name="黑体", size=14, bold=True)
HEADER_FONT = Font(name="宋体", size=10, bold=True, color="FFFFFF")
BODY_FONT = Font(name="宋体", size=10)
NOTE_FONT = Font(name="宋体", size=9, color="595959")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
OPTIONAL_FILL = PatternFill("solid", fgColor="5B7FA6")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
GRADE_STYLE = {
    "优秀": (PatternFill("solid", fgColor="C6EFCE"), Font(name="宋体", size=10, bold=True, color="006100")),
    "合格": (PatternFill("solid", fgColor="DDEBF7"), Font(name="宋体", size=10, color="1F4E78")),
    "不合格": (PatternFill("solid", fgColor="FFC7CE"), Font(name="宋体", size=10, bold=True, color="9C0006")),
}
SEVERITY_FILL = {
    Severity.ERROR: PatternFill("solid", fgColor="FFC7CE"),
    Severity.WARNING: PatternFill("solid", fgColor="FFEB9C"),
    Severity.INFO: PatternFill("solid", fgColor="EDEDED"),
}
EXCLUDED_FILL = PatternFill("solid", fgColor="D9D9D9")
EXCLUDED_FONT = Font(name="宋体", size=10, color="808080", strike=True)
OUTLIER_FILL = PatternFill("solid", fgColor="F8CBAD")
DROPPED_FONT = Font(name="宋体", size=10, italic=True, color="7F6000")
INVALID_FILL = PatternFill("solid", fgColor="FFC7CE")


def _header(ws: Worksheet, row: int, headers: Sequence[str], widths: Sequence[float],
            optional: Sequence[bool] | None = None) -> None:
    for i, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        c = ws.cell(row=row, column=i, value=text)
        c.font = HEADER_FONT
        c.fill = OPTIONAL_FILL if optional and optional[i - 1] else HEADER_FILL
        c.alignment = CENTER
        c.border = BOX
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[row].height = 30


def _title(ws: Worksheet, text: str, ncols: int, row: int = 1, height: float = 28) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(ncols, 1))
    c = ws.cell(row=row, column=1, value=text)
    c.font = TITLE_FONT
    c.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[row].height = height


def _width(ws: Worksheet, col: int) -> float:
    return ws.column_dimensions[get_column_letter(col)].width or 8.43


def _fit_row(ws: Worksheet, row: int, ncols: int, line: float = 13.5, minimum: float = 17) -> None:
    """Set the row height for its wrapped texts (LibreOffice and some Excel versions do not auto-fit)."""
    fit_row_height(ws, row, [(c.value, _width(ws, i)) for i in range(1, ncols + 1)
                             if (c := ws.cell(row=row, column=i)).alignment is not None and c.alignment.wrap_text],
                   line=line, minimum=minimum)


def _note(ws: Worksheet, text: str, ncols: int, row: int) -> None:
    """A merged explanatory line; call after the column widths are set."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(ncols, 1))
    c = ws.cell(row=row, column=1, value=text)
    c.font = NOTE_FONT
    c.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    width = sum(_width(ws, i) for i in range(1, max(ncols, 1) + 1))
    ws.row_dimensions[row].height = max(18, 12.5 * wrapped_lines(text, width) + 4)


def _print_setup(ws: Worksheet, header_row: int, paper_a3: bool = False) -> None:
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper_a3 else ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def _list_dv(values: Sequence[str], title: str, prompt: str) -> DataValidation:
    return DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                          showErrorMessage=True, errorTitle="请从下拉列表中选择",
                          error=f"{title}请从下拉列表中选择：{'、'.join(values)}。",
                          showInputMessage=True, promptTitle=title[:32], prompt=prompt[:255])


def _prompt_dv(title: str, prompt: str) -> DataValidation:
    return DataValidation(showInputMessage=True, allow_blank=True, promptTitle=title[:32], prompt=prompt[:255])


# ------------------------------------------------------------------ (1) the blank scoring workbook

def write_evaluation_template(path: Path, config: Config | None = None) -> Path:
    """Write the blank 绩效评估打分表 to ``path`` (atomically) and return ``path``."""
    dims = dict(config.evaluation.dimensions) if config else dict(DEFAULT_DIMENSIONS)
    settings = config.evaluation if config else EvaluationConfig()
    min_experts = settings.min_experts
    year = config.year if config else 2026
    wb = Workbook()

    def sheet(title: str, headers: Sequence[Column], widths: Sequence[float], heading: str, note: str,
              rows: int, index: int | None = None) -> Worksheet:
        ws = wb.active if index == 0 else wb.create_sheet(title)
        ws.title = title
        n = len(headers)
        _title(ws, heading, n)
        labels = [("*" if c.required else "") + c.header for c in headers]
        _header(ws, 3, labels, widths, [not c.required for c in headers])
        _note(ws, note, n, 2)
        for r in range(4, 4 + rows):
            for i in range(1, n + 1):
                cell = ws.cell(row=r, column=i)
                cell.border = BOX
                cell.font = BODY_FONT
        ws.freeze_panes = "A4"
        ws.auto_filter.ref = f"A3:{get_column_letter(n)}3"
        _print_setup(ws, 3)
        return ws

    def add(ws: Worksheet, dv: DataValidation, col: int, rows: int) -> None:
        letter = get_column_letter(col)
        dv.add(f"{letter}4:{letter}{3 + rows}")
        ws.add_data_validation(dv)

    def text_format(ws: Worksheet, col: int, rows: int) -> None:
        for r in range(4, 4 + rows):
            ws.cell(row=r, column=col).number_format = "@"

    # 中心名单
    n = TEMPLATE_ROWS["roster"]
    ws = sheet("中心名单", ROSTER_COLUMNS, (18, 34, 32, 24, 32, 24, 14, 12),
               f"{year}年度石家庄市技术创新中心绩效评估 中心名单",
               "一行一个参评中心。多个共建单位用“；”分隔，名称与统一社会信用代码一一对应。带 * 的列必填。", n, index=0)
    add(ws, _prompt_dv("中心编号", "台账中的中心编号，如 SJZTIC-2020-003；专家打分表按此编号对应。"), 1, n)
    add(ws, _prompt_dv("依托单位统一社会信用代码", "18位统一社会信用代码。回避核验优先按代码比对，缺代码时才按名称比对。"), 4, n)
    add(ws, _list_dv(STATUSES, "参评状态", "参评：正常打分；未参评：无故不参加；中途退出；缓评：经市科技局同意暂缓；"
                     "视同合格：如已通过省级评估，不打分直接记为合格。"), 8, n)
    for col in (4, 6):
        text_format(ws, col, n)

    # 中心人员
    n = TEMPLATE_ROWS["personnel"]
    ws = sheet("中心人员", PERSONNEL_COLUMNS, (18, 12, 24, 34), "参评中心人员名单（用于专家回避核验）",
               "列出各中心的主任、骨干等人员。专家若为某中心人员，其对该中心的评分自动回避（第三十三条）。"
               "有证件号码时按证件号码比对，否则按姓名+所在单位比对。", n)
    add(ws, _prompt_dv("证件号码", "选填。身份证号请以文本填写（本列已设为文本格式），否则 Excel 会丢失后几位。"
                       "结果中只显示后四位。"), 3, n)
    text_format(ws, 3, n)

    # 专家名单
    n = TEMPLATE_ROWS["experts"]
    ws = sheet("专家名单", EXPERT_COLUMNS, (12, 12, 24, 34, 26, 12, 20, 12), "评估专家名单",
               "专家组应由省内外同行专家和管理专家组成（第三十二条）。工作单位统一社会信用代码用于核验依托单位、"
               "共建单位人员回避，请尽量填写。", n)
    add(ws, _prompt_dv("证件号码", "选填，以文本填写；用于核验专家是否为参评中心人员，结果中只显示后四位。"), 3, n)
    add(ws, _prompt_dv("工作单位统一社会信用代码", "18位代码；与依托单位、共建单位代码比对，缺代码时按名称比对。"), 5, n)
    add(ws, _list_dv(REGIONS, "省内/省外", "专家所在单位在河北省内还是省外。"), 6, n)
    add(ws, _list_dv(CATEGORIES, "专家类别", "同行专家（技术领域专家）或管理专家。"), 8, n)
    for col in (3, 5):
        text_format(ws, col, n)

    # 专家打分
    n = TEMPLATE_ROWS["scores"]
    cols = score_columns(dims)
    widths = (18, 12, *(11 for _ in dims), 10, 10, 24)
    ws = sheet("专家打分", cols, widths, f"{year}年度石家庄市技术创新中心绩效评估 专家打分表",
               "一行为一位专家对一个中心的评分。" + "、".join(f"{d}满分{m}分" for d, m in dims.items())
               + f"，合计自动计算。与中心有利害关系的专家在“申请回避”选“是”。每个中心有效专家不少于{min_experts}人。", n)
    first_dim, last_dim = 3, 2 + len(dims)
    for i, (d, maximum) in enumerate(dims.items(), start=first_dim):
        ws.cell(row=3, column=i, value=f"*{d}\n（{maximum}分）")
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(maximum),
                            allow_blank=True, showInputMessage=True, showErrorMessage=True,
                            promptTitle=f"{d}（0-{maximum}分）", prompt=f"请填写0至{maximum}之间的分数，可带一位小数。",
                            errorTitle="分数超出范围", error=f"“{d}”的分数应在0至{maximum}分之间。")
        add(ws, dv, i, n)
    total_col = last_dim + 1
    a, b = get_column_letter(first_dim), get_column_letter(last_dim)
    for r in range(4, 4 + n):
        c = ws.cell(row=r, column=total_col, value=f'=IF(COUNT({a}{r}:{b}{r})=0,"",SUM({a}{r}:{b}{r}))')
        c.number_format = "0.0"
        c.fill = PatternFill("solid", fgColor="F2F2F2")
    add(ws, _prompt_dv("合计", "自动计算（公式），请勿手工改写；与各项之和不符时评分视为有误。"), total_col, n)
    add(ws, _list_dv(("是", "否"), "申请回避", "专家与该中心有直接利害关系（本中心人员、依托或共建单位人员等）时选“是”，"
                     "其评分不计入。"), total_col + 1, n)
    ws.freeze_panes = "C4"

    # 利益关系申报
    n = TEMPLATE_ROWS["declarations"]
    ws = sheet("利益关系申报", DECLARATION_COLUMNS, (12, 18, 60), "评估专家利益关系申报",
               "专家与参评中心存在利害关系的，在此逐条申报；申报的专家对该中心的评分不计入（第三十三条）。", n)

    # 填表说明
    notes = wb.create_sheet("填表说明")
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 96
    _title(notes, "填表说明", 2)
    lines = [
        ("依据", "《石家庄市技术创新中心建设与运行管理办法》第三十一条至第三十五条。"),
        ("模板版本", f"{TEMPLATE_VERSION}（请勿改动表头和工作表名称；可以在表头上方增加标题行）。"),
        ("中心名单", "列出本次评估的全部中心及参评状态。只有“参评”的中心打分；“视同合格”不打分、直接记为合格；"
                 "“未参评”“中途退出”“缓评”不定级。"),
        ("中心人员", "各中心人员（主任、骨干等），用于第三十三条回避核验。"),
        ("专家名单", "全部评估专家；专家编号在专家打分表中引用。"),
        ("专家打分", "每位专家对每个中心一行。各维度满分："
                 + "、".join(f"{d}{m}分" for d, m in dims.items()) + f"，合计{sum(dims.values())}分。"),
        ("回避", "专家为参评中心人员、依托单位或共建单位人员，或本人申请回避、在利益关系申报表中申报的，"
               "其评分自动剔除；工具会列出每一项回避及其匹配方式（统一社会信用代码、证件号码、规范化名称或姓名+单位），"
               "发现应回避而未申报的会提示核实。"),
        ("有效专家", f"每个中心剔除回避后的有效专家不少于{min_experts}人，否则不定级，需补充评审。"),
        ("计分与等级", "各维度取有效专家"
                    + ("去掉一个最高分和一个最低分后的平均分" if settings.aggregation == "trimmed" else "平均分")
                    + f"，总分为各维度平均分之和；精确计算，总分≥{settings.excellent:g}分为优秀，"
                    f"{settings.passing:g}分≤总分<{settings.excellent:g}分为合格，<{settings.passing:g}分为不合格"
                    + (f"；优秀不超过定级中心的{settings.excellent_quota:.0%}（按排名）"
                       if settings.excellent_quota else "") + "（第三十五条，按本周期配置）。"),
        ("检查", "填好后运行 tic evaluate 文件名 --out 结果文件夹，生成“评估结果”工作簿；原文件不会被修改。"),
    ]
    for r, (k, v) in enumerate(lines, start=3):
        label = notes.cell(row=r, column=1, value=k)
        label.font = Font(name="宋体", size=10, bold=True)
        label.alignment = Alignment(vertical="top")
        c = notes.cell(row=r, column=2, value=v)
        c.font = BODY_FONT
        c.alignment = Alignment(wrap_text=True, vertical="top")
        _fit_row(notes, r, 2)
    _print_setup(notes, 1)

    wb.defined_names[TEMPLATE_NAME] = DefinedName(TEMPLATE_NAME, attr_text=f'"{TEMPLATE_VERSION}"')
    write_with(path, wb.save)
    return Path(path)


# ------------------------------------------------------------------ (2) reading a filled workbook

def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:  # noqa: PTH123
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _text(value: Any) -> str:
    return clean_text(value)


def _header_findings(table: Table, label: str) -> list[Finding]:
    out: list[Finding] = []
    for col in table.missing_columns:
        if col.required:
            out.append(Finding.of("DATA.HEADER", f"{label}“{table.sheet}”缺少“{col.header}”列（第{table.header_row}行表头），"
                                  "无法完成评估", sheet=table.sheet, field=col.key))
    for cell, header in table.unknown_headers:
        out.append(Finding.of("DATA.HEADER", f"{label}“{table.sheet}”有未识别的列“{header}”（{cell}），该列不参与评估",
                              severity="warning", sheet=table.sheet, cell=cell))
    return out


def _id_number(raw: Any, table: Table, row: int, who: str, findings: list[Finding]) -> str:
    """An ID number cell; one stored as a number has lost digits in Excel and is not used for matching."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        findings.append(Finding.of(
            "DATA.TYPE", f"{table.sheet}第{row}行{who}的证件号码被 Excel 存成了数字，后几位可能已丢失，未用于比对"
            "（请把该列设为文本后重新填写）", severity="warning", sheet=table.sheet,
            cell=table.cell_ref("id_number", row) if "id_number" in table.columns else None))
        return ""
    return _text(raw)


def read_evaluation_workbook(path: Path | str, dimensions: Mapping[str, int] | None = None) -> EvaluationInput:
    """Read the scoring workbook into records (raises :class:`InputFileError` when it cannot be read).

    ``dimensions`` are the cycle's dimensions (default: the five of Art. 34). The sheets are found by
    name, else by their header; 中心人员 and 利益关系申报 may be absent (a warning for 中心人员).
    """
    path = Path(path)
    dims = dict(dimensions or DEFAULT_DIMENSIONS)
    wb = open_workbook(path, read_only=True)
    findings: list[Finding] = []
    try:
        roster = read_table(path, ROSTER_COLUMNS, sheet_names=("中心名单",), workbook=wb, form_name="中心名单")
        experts_t = read_table(path, EXPERT_COLUMNS, sheet_names=("专家名单",), workbook=wb, form_name="专家名单")
        scores_t = read_table(path, score_columns(dims), sheet_names=("专家打分",), workbook=wb,
                              form_name="专家打分表")
        used = {roster.sheet, experts_t.sheet, scores_t.sheet}
        optional: dict[str, Table | None] = {}
        for role, cols, name in (("personnel", PERSONNEL_COLUMNS, "中心人员"),
                                 ("declarations", DECLARATION_COLUMNS, "利益关系申报")):
            try:
                t = read_table(path, cols, sheet_names=(name,), workbook=wb, form_name=name)
            except InputFileError as exc:
                if exc.reason != "no-form":
                    raise
                t = None
            optional[role] = t if t is not None and t.sheet not in used else None
    finally:
        wb.close()
    for t, label in ((roster, "工作表"), (experts_t, "工作表"), (scores_t, "工作表")):
        findings += _header_findings(t, label)
    personnel_t, decl_t = optional["personnel"], optional["declarations"]
    for t in (personnel_t, decl_t):
        if t is not None:
            findings += _header_findings(t, "工作表")
    if personnel_t is None:
        findings.append(Finding.of("DATA.HEADER", "工作簿中没有“中心人员”表，无法按中心人员核验专家回避",
                                   severity="warning", article="第三十三条"))
    version = roster.template_version
    if version and version != TEMPLATE_VERSION:
        findings.append(Finding.of("DATA.HEADER", f"该工作簿来自其他版本的模板（{version}），当前模板为 {TEMPLATE_VERSION}，"
                                   "请核对表头", severity="warning"))

    centers = [
        RosterCenter(
            center_id=_text(r.values.get("center_id")), name=_text(r.values.get("name")),
            lead_name=_text(r.values.get("lead_name")), lead_uscc=_text(r.values.get("lead_uscc")),
            partners=tuple(parse_list(r.values.get("partners"))),
            partner_usccs=tuple(parse_list(r.values.get("partner_usccs"))),
            district=_text(r.values.get("district")), status=r.values.get("status"), row=r.row, cells=r.cells)
        for r in roster.rows
    ]
    experts = [
        Expert(
            expert_id=_text(r.values.get("expert_id")), name=_text(r.values.get("name")),
            id_number=_id_number(r.values.get("id_number"), experts_t, r.row, f"专家{_text(r.values.get('name'))}",
                                 findings),
            unit=_text(r.values.get("unit")), unit_uscc=_text(r.values.get("unit_uscc")),
            region=r.values.get("region"), specialty=_text(r.values.get("specialty")),
            category=r.values.get("category"), row=r.row, cells=r.cells)
        for r in experts_t.rows
    ]
    scores: list[ScoreRow] = []
    for r in scores_t.rows:
        v = r.values
        if all(v.get(k) is None for k in ("center_id", "expert_id", *dims, "recuse", "remarks")):
            continue  # an empty template row: only its 合计 formula is there
        scores.append(ScoreRow(
            center_id=_text(v.get("center_id")), expert_id=_text(v.get("expert_id")),
            scores={d: v.get(d) for d in dims}, total=v.get("total"),
            total_formula_missing="total" in r.formula_missing, recuse=v.get("recuse"),
            remarks=_text(v.get("remarks")), row=r.row, cells=r.cells,
            formula_missing=frozenset(d for d in dims if d in r.formula_missing)))
    personnel = [
        Person(center_id=_text(r.values.get("center_id")), name=_text(r.values.get("name")),
               id_number=_id_number(r.values.get("id_number"), personnel_t, r.row,
                                    f"“{_text(r.values.get('name'))}”", findings),
               unit=_text(r.values.get("unit")), row=r.row, cells=r.cells)
        for r in (personnel_t.rows if personnel_t else ())
    ]
    declarations = [
        Declaration(expert_id=_text(r.values.get("expert_id")), center_id=_text(r.values.get("center_id")),
                    note=_text(r.values.get("note")), row=r.row, cells=r.cells)
        for r in (decl_t.rows if decl_t else ())
    ]
    sheets = {"roster": roster.sheet, "experts": experts_t.sheet, "scores": scores_t.sheet,
              "personnel": personnel_t.sheet if personnel_t else "中心人员",
              "declarations": decl_t.sheet if decl_t else "利益关系申报"}
    return EvaluationInput(
        centers=centers, experts=experts, scores=scores, personnel=personnel, declarations=declarations,
        source=SourceInfo(file=path.name, sha256=sha256_of(path), sheet=scores_t.sheet), sheets=sheets,
        read_findings=findings)


# ------------------------------------------------------------------ (3) the results workbook

def results_path(source: Path | str, out_dir: Path | str) -> Path:
    """``评估打分表.xlsx`` → ``<out_dir>/评估打分表.评估结果.xlsx``."""
    return Path(out_dir) / f"{Path(source).stem}.{RESULTS_SUFFIX}.xlsx"


def _num(value: Fraction | None) -> float | None:
    return None if value is None else round1(value)


def _style_row(ws: Worksheet, row: int, ncols: int, wrap_cols: Sequence[int] = ()) -> None:
    style = _fast_style(ws.parent)  # styles by index: openpyxl hashed every style object on each assignment (1.6 s of
    for i in range(1, ncols + 1):   # the 500 × 9 evaluation's 2 s)
        style(ws.cell(row=row, column=i), border=BOX, font=BODY_FONT, alignment=LEFT if i in wrap_cols else CENTER)
    _fit_row(ws, row, ncols)


def _fast_style(wb: Workbook) -> FastStyle:
    """The workbook's :class:`FastStyle` (one per workbook, made on first use)."""
    style = getattr(wb, "_tic_fast_style", None)
    if style is None:
        style = FastStyle(wb)
        wb._tic_fast_style = style  # type: ignore[attr-defined]
    return style


def _status_text(c: CenterResult) -> str:
    return c.status or clean_text(c.center.status) or "（未填）"


def _results_sheet(ws: Worksheet, result: EvaluationResult) -> None:
    s = result.settings
    dims = list(s.dimensions)
    headers = ["排名", "中心编号", "中心名称", "参评状态", "有效专家", "回避专家",
               *[f"{d}\n（{m}分）" for d, m in s.dimensions.items()], "总分", "等级", "备注"]
    widths = [6, 17, 32, 9, 7, 7, *[9 for _ in dims], 8, 8, 36]
    n = len(headers)
    _title(ws, f"{result.year}年度石家庄市技术创新中心绩效评估结果", n)
    method = "去掉一个最高分和一个最低分后平均" if s.aggregation == "trimmed" else "有效专家平均"
    summary = result.summary()
    quota = f"；优秀名额{s.excellent_quota:.0%}" if s.excellent_quota else ""
    _header(ws, 3, headers, widths)
    _note(ws, f"来源：{result.source.file}；基准日期：{result.reference_date.isoformat()}；计分：各维度{method}，"
              f"总分为各维度之和，按精确值定级（表中保留一位小数）；优秀≥{s.excellent}分，合格≥{s.passing}分；"
              f"每个中心有效专家不少于{s.min_experts}人{quota}。共{summary['centers']}个中心，定级{summary['graded']}个："
              f"优秀{summary['优秀']}、合格{summary['合格']}、不合格{summary['不合格']}。", n, 2)
    for r, c in enumerate(result.centers, start=4):
        dvals = [_num(c.dimensions[d]) if c.dimensions else None for d in dims]
        values = [c.rank, c.center.center_id, c.center.name, _status_text(c), c.valid_experts if c.status == "参评" else None,
                  len(c.excluded_experts) or None, *dvals, _num(c.total), c.grade or "未定级", "；".join(c.remarks)]
        for i, v in enumerate(values, start=1):
            ws.cell(row=r, column=i, value=v)
        _style_row(ws, r, n, wrap_cols=(3, n))
        for i in range(7, 8 + len(dims)):
            ws.cell(row=r, column=i).number_format = "0.0"
        g = ws.cell(row=r, column=n - 1)
        if c.grade in GRADE_STYLE:
            g.fill, g.font = GRADE_STYLE[c.grade]
        else:
            g.font = Font(name="宋体", size=10, color="808080")
    ws.freeze_panes = "D4"
    ws.auto_filter.ref = f"A3:{get_column_letter(n)}{max(3, 3 + len(result.centers))}"
    _print_setup(ws, 3)


def _recusal_sheet(ws: Worksheet, result: EvaluationResult) -> None:
    headers = ["序号", "专家编号", "专家姓名", "工作单位", "中心编号", "中心名称", "回避事由", "条款", "申报情况",
               "匹配方式", "匹配依据", "打分表位置"]
    widths = [6, 10, 10, 28, 17, 30, 20, 11, 14, 14, 52, 11]
    n = len(headers)
    _title(ws, "专家回避明细（第三十三条）", n)
    _header(ws, 3, headers, widths)
    _note(ws, "每一项被剔除的评分及其原因；一位专家对同一中心有多个原因时逐项列出。按名称或姓名匹配的可能是同名，"
              "请核实；“自动发现（未申报）”表示专家本人未申请回避。", n, 2)
    units = {e.expert_id: e.unit for e in result.experts}
    names = {c.center.center_id: c.center.name for c in result.centers}
    r = 4
    for c in result.centers:
        for ex in c.exclusions:
            values = [r - 3, ex.expert_id, ex.expert_name, units.get(ex.expert_id, ""), ex.center_id,
                      names.get(ex.center_id, ""), rule_info(ex.rule)["title"], ex.article,
                      "已申请回避" if ex.declared else "自动发现（未申报）", ex.matched_by_zh, ex.detail,
                      f"{result.sheets.get('scores', '专家打分')}!{ex.cell}" if ex.cell else ""]
            for i, v in enumerate(values, start=1):
                ws.cell(row=r, column=i, value=v)
            _style_row(ws, r, n, wrap_cols=(4, 6, 7, 11))
            if not ex.declared:
                ws.cell(row=r, column=9).fill = SEVERITY_FILL[Severity.WARNING]
            if ex.matched_by in ("normalised_name", "name_unit"):
                ws.cell(row=r, column=10).fill = SEVERITY_FILL[Severity.WARNING]
            r += 1
    if r == 4:
        ws.cell(row=4, column=1, value="本次评估没有需要回避的评分。").font = BODY_FONT
    ws.freeze_panes = "A4"
    _print_setup(ws, 3)


def _matrix_sheet(ws: Worksheet, result: EvaluationResult) -> None:
    experts = result.experts
    headers = ["中心编号", "中心名称", *[f"{e.expert_id}\n{e.name}" for e in experts], "中位数", "总分", "等级"]
    widths = [17, 32, *[9 for _ in experts], 8, 8, 8]
    n = len(headers)
    _title(ws, "专家评分矩阵（各专家给出的总分）", n)
    _header(ws, 3, headers, widths)
    _note(ws, "灰底删除线：回避剔除；橙底：与专家组中位数相差超过"
              f"{result.settings.outlier_points}分；斜体褐字：去掉的最高分/最低分；红底“有误”：该行评分有错误；"
              "灰字“未计”：中心未参评，评分不计入。", n, 2)
    col_of = {e.expert_id: i for i, e in enumerate(experts, start=3)}
    for r, c in enumerate(result.centers, start=4):
        ws.cell(row=r, column=1, value=c.center.center_id)
        ws.cell(row=r, column=2, value=c.center.name)
        _style_row(ws, r, n, wrap_cols=(2,))
        valid_totals = []
        for s in c.scores:
            col = col_of.get(s.expert_id)
            if col is None:
                continue
            cell = ws.cell(row=r, column=col)
            cell.number_format = "0.0"
            if s.state == "invalid":
                cell.value, cell.fill = "有误", INVALID_FILL
            elif s.state == "ignored":
                cell.value, cell.font = "未计", Font(name="宋体", size=10, color="808080")
            elif s.state == "excluded":
                cell.value = _num(s.total) if s.total is not None else "回避"
                cell.fill, cell.font = EXCLUDED_FILL, EXCLUDED_FONT
            else:
                cell.value = _num(s.total)
                valid_totals.append(s.total)
                if s.outlier:
                    cell.fill = OUTLIER_FILL
                if s.dropped:
                    cell.font = DROPPED_FONT
        if valid_totals:
            ws.cell(row=r, column=n - 2, value=_num(median(valid_totals))).number_format = "0.0"
        ws.cell(row=r, column=n - 1, value=_num(c.total)).number_format = "0.0"
        g = ws.cell(row=r, column=n, value=c.grade or "—")
        if c.grade in GRADE_STYLE:
            g.fill, g.font = GRADE_STYLE[c.grade]
    ws.freeze_panes = "C4"
    _print_setup(ws, 3)


def _findings_sheet(ws: Worksheet, result: EvaluationResult) -> None:
    headers = ["序号", "级别", "规则", "条款", "工作表", "单元格", "中心编号", "专家编号", "说明"]
    widths = [6, 7, 16, 13, 12, 9, 17, 10, 80]
    n = len(headers)
    _title(ws, "问题清单", n)
    s = result.summary()
    _header(ws, 3, headers, widths)
    _note(ws, f"错误{s['errors']}处（该中心不定级或评分不计入，须改正），警告{s['warnings']}处（需人工核实），"
              "提示为已按规则处理的事项（如回避剔除）。单元格为原打分工作簿中的位置。", n, 2)
    rows: list[tuple[Finding, str]] = [(f, f.get("center_id") or "") for f in result.file_findings]
    rows += [(f, c.center.center_id) for c in result.centers for f in c.findings]
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    rows.sort(key=lambda fc: order[fc[0].severity])
    for r, (f, center_id) in enumerate(rows, start=4):
        values = [r - 3, SEVERITY_ZH[f.severity], f.rule, f.article or "", f.sheet or "", f.cell or "", center_id,
                  f.get("expert_id") or "", f.sentence()]
        for i, v in enumerate(values, start=1):
            ws.cell(row=r, column=i, value=v)
        _style_row(ws, r, n, wrap_cols=(9,))
        ws.cell(row=r, column=2).fill = SEVERITY_FILL[f.severity]
    if not rows:
        ws.cell(row=4, column=1, value="没有发现问题。").font = BODY_FONT
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(n)}{max(3, 3 + len(rows))}"
    _print_setup(ws, 3)


def _value_labels() -> DataLabelList:
    """Data labels showing the value only (LibreOffice otherwise adds series and category names)."""
    return DataLabelList(showVal=True, showSerName=False, showCatName=False, showLegendKey=False,
                         showPercent=False, showLeaderLines=False)


def _charts_sheet(ws: Worksheet, result: EvaluationResult) -> None:
    s = result.settings
    _title(ws, "评估结果统计", 8)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 12
    _header(ws, 3, ["等级", "中心数"], [14, 12])
    counts = result.summary()
    ungraded = counts["centers"] - counts["graded"]
    rows = [*[(g, counts[g]) for g in GRADES], ("未定级", ungraded)]
    for r, (g, k) in enumerate(rows, start=4):
        ws.cell(row=r, column=1, value=g)
        ws.cell(row=r, column=2, value=k)
        _style_row(ws, r, 2)
    chart = BarChart()
    chart.type = "col"
    chart.title = "等级分布"
    chart.y_axis.title = "中心数"
    chart.legend = None
    chart.add_data(Reference(ws, min_col=2, min_row=3, max_row=3 + len(rows)), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=4, max_row=3 + len(rows)))
    chart.dataLabels = _value_labels()
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.width, chart.height = 14, 7.5
    series = chart.series[0]
    for idx, colour in enumerate(("63BE7B", "5B9BD5", "F8696B", "A6A6A6")):
        point = DataPoint(idx=idx)
        point.graphicalProperties.solidFill = colour
        point.graphicalProperties.line.solidFill = colour
        series.dPt.append(point)
    ws.add_chart(chart, "E3")

    top = 24
    _header(ws, top, ["评估维度", "平均得分", "满分"], [14, 12, 12])
    scored = [c for c in result.centers if c.dimensions]
    for r, (d, maximum) in enumerate(s.dimensions.items(), start=top + 1):
        mean = sum((c.dimensions[d] for c in scored), Fraction(0)) / len(scored) if scored else None  # type: ignore[index]
        ws.cell(row=r, column=1, value=d)
        ws.cell(row=r, column=2, value=_num(mean))
        ws.cell(row=r, column=3, value=maximum)
        _style_row(ws, r, 3)
        ws.cell(row=r, column=2).number_format = "0.0"
    last = top + len(s.dimensions)
    chart2 = BarChart()
    chart2.type = "col"
    chart2.title = "各维度平均得分与满分"
    chart2.y_axis.title = "分"
    chart2.add_data(Reference(ws, min_col=2, max_col=3, min_row=top, max_row=last), titles_from_data=True)
    chart2.set_categories(Reference(ws, min_col=1, min_row=top + 1, max_row=last))
    chart2.dataLabels = _value_labels()
    chart2.y_axis.scaling.min = 0
    chart2.y_axis.delete = False
    chart2.x_axis.delete = False
    chart2.width, chart2.height = 14, 7.5
    ws.add_chart(chart2, f"E{top}")
    ws.cell(row=2, column=1, value=f"图表数据见左侧表格；平均得分为{len(scored)}个已计分中心各维度得分的平均。").font = NOTE_FONT
    _print_setup(ws, 3)
    ws.print_title_rows = None
    ws.page_setup.fitToHeight = 1


def write_results_workbook(result: EvaluationResult, path: Path | str) -> Path:
    """Write ``<name>.评估结果.xlsx`` (atomically): results, recusals, matrix, findings and charts."""
    wb = Workbook()
    ws = wb.active
    ws.title = "评估结果"
    _results_sheet(ws, result)
    _recusal_sheet(wb.create_sheet("回避明细"), result)
    _matrix_sheet(wb.create_sheet("专家评分矩阵"), result)
    _findings_sheet(wb.create_sheet("问题清单"), result)
    _charts_sheet(wb.create_sheet("统计图表"), result)
    wb.properties.title = f"{result.year}年度技术创新中心绩效评估结果"
    wb.properties.creator = f"tic {result.tool_version}"
    defuse_formulas(wb)  # names from the scoring workbook are data, never formulas
    write_with(path, wb.save)
    return Path(path)


# ------------------------------------------------------------------ (4) the library call

def evaluate_file(path: Path | str, config: Config, out_dir: Path | str | None = None) -> EvaluationResult:
    """Read the scoring workbook, evaluate it and (with ``out_dir``) write the results workbook.

    Raises :class:`InputFileError` when the file cannot be read; the input is never modified.
    """
    data = read_evaluation_workbook(path, config.evaluation.dimensions)
    result = evaluate(data, config)
    if out_dir is not None:
        write_results_workbook(result, results_path(path, out_dir))
    return result


def unreadable_result(path: Path | str, config: Config, exc: InputFileError) -> EvaluationResult:
    """The report of a file that cannot be read: no centers, one FILE.UNREADABLE finding."""
    data = EvaluationInput(centers=[], experts=[], scores=[], source=SourceInfo(file=Path(path).name, sheet=None))
    result = evaluate(data, config)
    result.file_findings.append(Finding.of("FILE.UNREADABLE", str(exc), reason=exc.reason))
    return result


__all__ = [
    "MATCH_LABELS",
    "TEMPLATE_VERSION",
    "evaluate_file",
    "read_evaluation_workbook",
    "results_path",
    "unreadable_result",
    "write_evaluation_template",
    "write_results_workbook",
]
