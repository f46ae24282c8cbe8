"""Blank standard workbooks generated from the schemas (``tic template intake``).

Headers, widths, dropdowns and input prompts all come from ``x-fields`` of
``schemas/intake.schema.json``, so the form and its validation cannot drift apart.
The template version is stamped as the defined name ``TIC_TEMPLATE``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from toolkit.adapters.atomic import write_with
from toolkit.adapters.schema_check import field_specs, form_schema, rule_limits
from toolkit.adapters.xlstyle import fit_row_height, print_fit, print_wide
from toolkit.core.config import DEFAULT_KEY_FIELDS, Config, config_from_dict
from toolkit.core.divisions import Divisions
from toolkit.core.intake import FieldSpec
from toolkit.resources import load_schema

TITLE_FONT = Font(name="黑体", size=16, bold=True)
HEADER_FONT = Font(name="宋体", size=10, bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
DATA_ROWS = 200


def stamp_template(wb: Workbook, version: str) -> None:
    """Record the template version in the workbook (defined name TIC_TEMPLATE)."""
    wb.defined_names["TIC_TEMPLATE"] = DefinedName("TIC_TEMPLATE", attr_text=f'"{version}"')


def _list_validation(ws, lists, name: str, values: list[str], col: str, first: int, last: int,  # type: ignore[no-untyped-def]
                     prompt: str | None, title: str, strict: bool = True) -> None:
    """A dropdown backed by a column of the hidden 下拉选项 sheet (no 255-character limit); ``strict=False``
    lets other text be typed too (one value per co-builder: 无不良记录；有不良记录)."""
    col_idx = lists.max_column + 1 if lists.max_row > 1 or lists["A1"].value else 1
    lists.cell(row=1, column=col_idx, value=name)
    for i, v in enumerate(values, start=2):
        lists.cell(row=i, column=col_idx, value=v)
    letter = get_column_letter(col_idx)
    ref = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(values) + 1}"
    dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=strict,
                        errorTitle="请从下拉列表中选择", error=f"{title}请从下拉列表中选择。",
                        showInputMessage=bool(prompt), promptTitle=title[:32], prompt=(prompt or "")[:255])
    dv.add(f"{col}{first}:{col}{last}")
    ws.add_data_validation(dv)


_LIMIT = re.compile(r"\{([A-Z0-9][A-Z0-9.\-]*)\}")


def prompt_text(prompt: str | None, limits: dict[str, float]) -> str | None:
    """A field's prompt with each ``{RULE-ID}`` replaced by that rule's threshold: the blank says what the
    validation checks (one source of truth, the schema and the cycle's config)."""
    if prompt is None:
        return None
    return _LIMIT.sub(lambda m: f"{limits[m.group(1)]:g}", prompt)


def write_intake_template(path: Path, config: Config | None = None) -> Path:
    """Write the blank 申报汇总表 to ``path`` (atomically)."""
    schema = load_schema("intake")
    form = schema["x-form"]
    specs: list[FieldSpec] = field_specs("intake")
    year = config.year if config else 2026
    key_fields = list(config.key_fields if config else DEFAULT_KEY_FIELDS)
    divisions = Divisions.from_data(load_schema("divisions"), config.intake.extra_divisions if config else None)
    limits = rule_limits(form_schema("intake", config or config_from_dict({"cycle": {
        "year": year, "reference_date": date(year, 3, 31)}})))
    specs = [replace(s, prompt=prompt_text(s.prompt, limits)) for s in specs]

    wb = Workbook()
    ws = wb.active
    ws.title = form["sheet"]
    lists = wb.create_sheet("下拉选项")
    lists.sheet_state = "hidden"
    ncol = len(specs)
    last = get_column_letter(ncol)
    header_row, first, lastrow = 3, 4, 3 + DATA_ROWS
    # 39 columns: three A3 pages across, 序号/县/中心名称 on each; the title centred on the first page, the
    # stamp line in the repeated columns (on every page, never a cut-off piece) and the rest on the first page
    pages = print_wide(ws, [s.width for s in specs], header_row=header_row, repeat=3, pages_wide=3,
                       title=form["title"].format(year=year), title_font=TITLE_FONT)
    ws["A2"] = "推荐单位（盖章）："
    ws.cell(row=2, column=pages.repeat + 1, value="填报日期：      年   月   日        （带 * 的列为必填；金额单位：万元）")
    for cell in (ws["A2"], ws.cell(row=2, column=pages.repeat + 1)):
        cell.font = Font(name="宋体", size=10)
    ws.row_dimensions[header_row].height = 54
    for i, spec in enumerate(specs, start=1):
        col = get_column_letter(i)
        required = spec.required == "always"
        c = ws.cell(row=header_row, column=i, value=("*" if required else "") + spec.header)
        c.font = HEADER_FONT
        c.fill = REQUIRED_FILL if required else OPTIONAL_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = BOX
        ws.column_dimensions[col].width = spec.width
        if spec.prompt:
            comment = Comment(spec.prompt, "tic 模板")
            comment.width, comment.height = 260, 90
            c.comment = comment
        prompt = spec.prompt
        title = spec.label
        if spec.type == "bool":
            _list_validation(ws, lists, spec.label, ["是", "否"], col, first, lastrow, prompt, title)
        elif spec.type in ("choice",):
            _list_validation(ws, lists, spec.label, list(spec.choices), col, first, lastrow, prompt, title)
        elif spec.type == "choice_config":
            _list_validation(ws, lists, spec.label, key_fields, col, first, lastrow, prompt, title)
        elif spec.type == "division":
            _list_validation(ws, lists, spec.label, divisions.names, col, first, lastrow, prompt, title)
        elif spec.type in ("credit", "credit_list"):
            _list_validation(ws, lists, spec.label, ["无不良记录", "有不良记录"], col, first, lastrow, prompt, title,
                             strict=spec.type == "credit")
        elif spec.type in ("number", "integer", "percent", "date") and prompt:
            kind = {"number": "decimal", "integer": "whole", "percent": "decimal", "date": "date"}[spec.type]
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1="0" if kind != "date" else "1",
                                allow_blank=True, showInputMessage=True, showErrorMessage=False,
                                promptTitle=title[:32], prompt=prompt[:255])
            dv.add(f"{col}{first}:{col}{lastrow}")
            ws.add_data_validation(dv)
        elif prompt:
            dv = DataValidation(showInputMessage=True, promptTitle=title[:32], prompt=prompt[:255], allow_blank=True)
            dv.add(f"{col}{first}:{col}{lastrow}")
            ws.add_data_validation(dv)
        for r in range(first, lastrow + 1):
            cell = ws.cell(row=r, column=i)
            cell.border = BOX
            if spec.type == "date":
                cell.number_format = "yyyy-mm-dd"
            elif spec.type in ("uscc", "uscc_list", "phone"):  # 18 digits typed in General: Excel keeps 15
                cell.number_format = "@"
    ws.freeze_panes = ws.cell(row=first, column=4)
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row}"

    notes = wb.create_sheet("填表说明", 1)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 90
    notes["A1"] = "填表说明"
    notes["A1"].font = TITLE_FONT
    lines = [
        ("适用", "《石家庄市技术创新中心建设与运行管理办法》第十条申请条件；一行一个拟建技术创新中心。"),
        ("模板版本", f"{form['version']}（请勿删除或改动表头；可增加自用列，校验时会保留并提示）"),
        ("必填项", "表头带 * 的列必须填写；企业依托单位还须填写研发机构、上年度销售收入、科技经费投入；"
                 "有共建单位的须填写共建单位信用代码、共建协议、四项占比和共建单位信用记录；"
                 "非企业依托单位须填写市内共建企业数。"),
        ("金额", "金额单位为万元。表头或数字后写明“元”“亿元”的，校验时换算为万元并提示；数字明显像按元填写的，"
               "提示核实单位。"),
        ("日期", "日期请按 2021-03-05 填写，也可使用 Excel 日期。"),
        ("多个共建单位", "用“；”分隔，名称与统一社会信用代码一一对应。"),
        ("重点领域", "本年度重点领域：" + "、".join(key_fields) + "。"),
        ("校验", "填写完成后运行 tic validate 文件名 检查；问题会标注在对应单元格。"),
    ]
    for spec in specs:
        if spec.prompt:
            lines.append((spec.label, spec.prompt))
    for r, (a, b) in enumerate(lines, start=3):
        label = notes.cell(row=r, column=1, value=a)
        label.font, label.alignment = HEADER_FONT, Alignment(wrap_text=True, vertical="top")
        cell = notes.cell(row=r, column=2, value=b)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        fit_row_height(notes, r, [(a, 28), (b, 90)])
    print_fit(notes, None)  # the labels and their explanations on the same page (they printed on separate pages)
    stamp_template(wb, form["version"])
    write_with(path, wb.save)
    return path
