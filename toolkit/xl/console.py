"""``tic xl console``: the macro-enabled console workbook (工作台, 说明, xlwings.conf).

openpyxl writes the sheets; the parts it cannot author come from elsewhere and
reach the file through openpyxl's own VBA pass-through (``vba_archive``, what
``load_workbook(keep_vba=True)`` fills):

* ``xl/vbaProject.bin``: built by :mod:`toolkit.xl.vba` from the project of
  xlwings' standalone quickstart workbook (its ``xlwings`` module, so
  ``RunPython`` works without the add-in) plus ``templates/xl/TicButtons.bas``;
* ``xl/drawings/vmlDrawing1.vml``: one form button per action, each calling
  its macro (``[0]!TicValidate`` …), the way Excel stores form buttons.
"""

from __future__ import annotations

import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from toolkit import __version__
from toolkit.adapters.atomic import write_with
from toolkit.errors import TicError
from toolkit.resources import templates_dir
from toolkit.xl import layout
from toolkit.xl.vba import SHEET_BASE, WORKBOOK_BASE, Module, build_project, document_module

__all__ = ["XlwingsMissing", "button_module_source", "console_settings", "write_console", "xlwings_template"]

INSTALL_HINT = "未安装 xlwings：请先运行 pip install \"sjz-tic[excel]\"（或 pip install xlwings），再运行 tic xl console。"
VML_PATH = "xl/drawings/vmlDrawing1.vml"

TITLE_FONT = Font(name="黑体", size=16, bold=True, color="FFFFFF")
TITLE_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FONT = Font(name="黑体", size=12, color="1F4E78")
SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
LABEL_FONT = Font(name="宋体", size=11, bold=True)
BODY_FONT = Font(name="宋体", size=11)
HINT_FONT = Font(name="宋体", size=9, color="7F7F7F")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
TOP_WRAP = Alignment(wrap_text=True, vertical="top")


class XlwingsMissing(TicError):
    """xlwings (which supplies the VBA side of the buttons) is not installed."""


def xlwings_template() -> Path:
    """xlwings' standalone quickstart workbook (its VBA project is the template of ours)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.origin:
        raise XlwingsMissing(INSTALL_HINT)
    path = Path(spec.origin).parent / "quickstart_standalone.xlsm"
    if not path.is_file():
        raise XlwingsMissing(f"已安装的 xlwings 中找不到“{path.name}”：请运行 pip install -U xlwings 重新安装，再运行 tic xl console。")
    return path


def button_module_source() -> bytes:
    """``templates/xl/TicButtons.bas`` as a module's source: ASCII, CRLF line ends."""
    text = (templates_dir() / "xl" / "TicButtons.bas").read_text(encoding="ascii")
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def console_settings(python: str | None = None) -> list[tuple[str, str | bool, str]]:
    """The xlwings.conf rows (key, value, note): the Python that has the toolkit, and where the toolkit is."""
    python = python or sys.executable
    package_root = Path(__file__).resolve().parents[2]
    installed = any(part in ("site-packages", "dist-packages") for part in package_root.parts)
    on_mac = sys.platform == "darwin"
    return [
        ("Interpreter_Win", "" if on_mac else python, "装有本工具的 Python（python.exe 的完整路径）；换电脑后请改成该电脑上的路径"),
        ("Interpreter_Mac", python if on_mac else "", "Mac 上的 Python 路径"),
        ("PYTHONPATH", "" if installed else str(package_root), "本工具的源代码文件夹（已用 pip 安装时留空）"),
        ("Conda Path", "", "使用 Anaconda 时填写其安装文件夹"),
        ("Conda Env", "", "使用 Anaconda 时填写环境名称"),
        ("UDF Modules", "", "本工作簿不使用自定义函数"),
        ("Debug UDFs", False, ""),
        ("Use UDF Server", False, ""),
        ("Show Console", False, "TRUE：运行时显示命令行窗口（排查问题时使用）"),
        ("TIC_MODULE", layout.PY_MODULE, "按钮调用的 Python 模块（RunPython）；请勿修改"),
    ]


# --------------------------------------------------------------------------- sheets


def _col_px(width: float) -> int:
    """Excel's pixel width of a column of ``width`` characters (Calibri 11: 7 px per digit, 5 px padding)."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


def _console_sheet(ws: Worksheet, cycle: str, config: str) -> None:
    for col, width in layout.WIDTHS.items():
        ws.column_dimensions[col].width = width
    ws.column_dimensions[layout.OPEN_PATH_COLUMN].hidden = True
    ws.sheet_view.showGridLines = False
    ws.sheet_view.zoomScale = 100

    ws.merge_cells("B1:D1")
    ws["B1"] = "石家庄市技术创新中心批处理工具 · 工作台"
    ws["B1"].font, ws["B1"].fill = TITLE_FONT, TITLE_FILL
    ws["B1"].alignment = Alignment(horizontal="left", vertical="center", indent=1)
    ws.row_dimensions[1].height = 34
    ws.merge_cells("B2:D2")
    ws["B2"] = ("用法：① 填写下面黄色格子（可留空的按提示取默认值）；② 点击一个按钮；③ 在“运行结果”查看结果，"
                "蓝色链接可直接打开生成的文件。原文件不会被修改。")
    ws["B2"].font, ws["B2"].alignment = Font(name="宋体", size=10, color="404040"), WRAP
    ws.row_dimensions[2].height = 30

    def section(row: int, text: str) -> None:
        for col in "BCD":
            ws[f"{col}{row}"].fill = SECTION_FILL
        ws[f"B{row}"] = text
        ws[f"B{row}"].font = SECTION_FONT
        ws.row_dimensions[row].height = 22

    section(4, "一、本周期设置")
    prefill = {"tic_cycle": cycle, "tic_config": config, "tic_mode": layout.MODE_AUTO, "tic_open": layout.YES}
    for f in layout.INPUTS:
        row = int(f.cell[1:])
        ws[f"B{row}"] = f.label
        ws[f"B{row}"].font, ws[f"B{row}"].alignment = LABEL_FONT, Alignment(vertical="center")
        cell = ws[f.cell]
        cell.value = prefill.get(f.name) or None
        cell.fill, cell.border, cell.font = INPUT_FILL, BOX, BODY_FONT
        cell.alignment = Alignment(vertical="center", shrink_to_fit=True)
        cell.number_format = "@"
        ws[f"D{row}"] = f.hint
        ws[f"D{row}"].font, ws[f"D{row}"].alignment = HINT_FONT, WRAP
        ws.row_dimensions[row].height = 24
    modes = DataValidation(type="list", formula1=f'"{layout.MODE_AUTO},{layout.MODE_XLWINGS},{layout.MODE_CLI}"',
                           allow_blank=True, showDropDown=False)
    modes.add(layout.INPUT_BY_NAME["tic_mode"].cell)
    yes_no = DataValidation(type="list", formula1=f'"{layout.YES},{layout.NO}"', allow_blank=True)
    yes_no.add(layout.INPUT_BY_NAME["tic_open"].cell)
    ws.add_data_validation(modes)
    ws.add_data_validation(yes_no)

    first = layout.BUTTONS[0].row
    section(first - 1, "二、操作（点击按钮）")
    ws[f"D{first - 1}"] = "对应的命令"
    ws[f"D{first - 1}"].font = Font(name="宋体", size=9, color="1F4E78")
    for b in layout.BUTTONS:
        ws.row_dimensions[b.row].height = 33
        ws[f"C{b.row}"] = b.description
        ws[f"C{b.row}"].font, ws[f"C{b.row}"].alignment = BODY_FONT, WRAP
        ws[f"D{b.row}"] = b.command
        ws[f"D{b.row}"].font, ws[f"D{b.row}"].alignment = Font(name="Consolas", size=10, color="595959"), WRAP
        for col in "BCD":
            ws[f"{col}{b.row}"].border = Border(bottom=Side(style="hair", color="D9D9D9"))

    section(layout.RESULT_HEAD, "三、运行结果（由工具填写，请勿在此输入）")
    for cell, label in layout.RESULT_LABELS.items():
        row = int(cell[1:])
        ws[f"B{row}"] = label
        ws[f"B{row}"].font, ws[f"B{row}"].alignment = LABEL_FONT, Alignment(vertical="top")
    link_rows = {int(c[1:]) for c in layout.OUTPUT_CELLS}
    last = layout.PROBLEM_FIRST + layout.PROBLEM_ROWS - 1
    for row in range(int(layout.ACTION_CELL[1:]), last + 1):
        c = ws[f"C{row}"]
        if row in link_rows:
            c.font = Font(name="宋体", size=11, color="0563C1", underline="single")
            c.alignment = Alignment(vertical="top")
        else:
            c.font, c.alignment, c.number_format = BODY_FONT, TOP_WRAP, "@"
    ws[layout.STATE_CELL].font = Font(name="宋体", size=11, bold=True)
    ws[layout.ACTION_CELL].font = Font(name="宋体", size=11, bold=True)
    ws[layout.ACTION_CELL] = "（尚未运行）"
    ws[layout.OPEN_PATH_CELL].number_format = "@"

    ws.print_area = f"A1:D{layout.PROBLEM_FIRST + 40}"
    ws.row_breaks.append(Break(id=layout.RESULT_HEAD - 1))  # the result area prints on a page of its own
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.sheet_view.selection[0].activeCell = layout.INPUT_BY_NAME["tic_input"].cell
    ws.sheet_view.selection[0].sqref = layout.INPUT_BY_NAME["tic_input"].cell


NOTES: list[tuple[str, str]] = [
    ("h", "这个工作簿做什么"),
    ("p", "“工作台”上的每个按钮运行 tic 工具的一项操作，结果写回“运行结果”区域：统计数字、生成文件的链接、每个问题一句话（注明条款）。"
          "所有判断都由 tic 工具完成，与在命令行运行相应命令的结果完全相同。"),
    ("h", "第一次使用"),
    ("p", "1. 电脑上需已安装 Python 和本工具（pip install \"sjz-tic[excel]\"）；安装步骤见命令 tic xl install 的说明或文档“Excel 按钮”一章。"),
    ("p", "2. 打开本工作簿时如出现“宏已被禁用”的黄色提示条，请点“启用内容”；如提示“Microsoft 已阻止宏运行”，请关闭工作簿，"
          "在文件上点右键→属性→勾选“解除锁定”→确定，再打开。共享盘上的文件也可把所在文件夹加入 Excel 的“受信任位置”。"),
    ("p", "3. 在“周期文件夹”填写本年度的周期文件夹（tic init 建立，含 tic.toml 和 01-区县报送 等文件夹）；工作簿放在周期文件夹中时可留空。"),
    ("h", "两种运行方式（“运行方式”格）"),
    ("p", f"• {layout.MODE_XLWINGS}：Microsoft Excel 通过 xlwings 调用 Python，Python 直接把结果写入本工作簿。"
          "需要：Windows 或 Mac 上的 Microsoft Excel、装有 xlwings 的 Python（xlwings.conf 页的 Interpreter_Win 指向它）。"),
    ("p", f"• {layout.MODE_CLI}：按钮在后台运行命令行工具（python -m toolkit xl run），再把结果填入本工作簿。"
          "WPS 表格（需启用 VBA 宏）和未安装 xlwings 的 Excel 都用这种方式；只支持 Windows。"),
    ("p", f"• {layout.MODE_AUTO}：Microsoft Excel 用 xlwings，其他软件（如 WPS 表格）用命令行。"),
    ("h", "各按钮的输入和输出"),
    *[("p", f"• {b.title}：{b.description}（相当于命令 {b.command}）") for b in layout.BUTTONS],
    ("h", "遇到问题"),
    ("p", "• “运行结果”显示“未能运行”：按该句提示改正（多为路径填错、配置文件不存在、台账正被他人使用）后再点按钮。"),
    ("p", "• 点击按钮没有反应或提示找不到宏：宏被禁用了，见“第一次使用”第2条。"),
    ("p", "• 提示找不到 Python 或 Interpreter：把 xlwings.conf 页 B1 单元格改成本机 python.exe 的完整路径，"
          "或在本机重新运行 tic xl console 生成工作台。"),
    ("p", "• 请勿修改 xlwings.conf 页 A 列的名称，也不要在其中插入空行（xlwings 读到第一个空行为止）。"),
]


def _notes_sheet(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 2.7
    ws.column_dimensions["B"].width = 110  # (row heights below assume it)
    ws.sheet_view.showGridLines = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws["B1"] = "工作台使用说明"
    ws["B1"].font = Font(name="黑体", size=16, bold=True, color="1F4E78")
    ws.row_dimensions[1].height = 30
    row = 2
    for kind, text in NOTES:
        row += 2 if kind == "h" else 1
        c = ws.cell(row=row, column=2, value=text)
        c.font = SECTION_FONT if kind == "h" else BODY_FONT
        c.alignment = TOP_WRAP
        ws.row_dimensions[row].height = layout.row_height(text, 110) + (4 if kind == "h" else 0)
    ws.cell(row=row + 2, column=2, value=f"本工作簿由 tic {__version__} 的 tic xl console 命令生成。").font = HINT_FONT


def _conf_sheet(ws: Worksheet, settings: list[tuple[str, str | bool, str]]) -> None:
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 3
    ws.column_dimensions["D"].width = 70
    for row, (key, value, note) in enumerate(settings, start=1):
        ws.cell(row=row, column=1, value=key).font = Font(name="Consolas", size=10, bold=True)
        v = ws.cell(row=row, column=2, value=value if value != "" else None)
        v.font = Font(name="Consolas", size=10)
        if not isinstance(value, bool):
            v.number_format = "@"
        if note:
            ws.cell(row=row, column=4, value=note).font = HINT_FONT
    note_row = len(settings) + 2
    ws.cell(row=note_row, column=4, value="xlwings 从 A1 向下读取设置，读到第一个空行为止：请勿插入空行或修改 A 列名称。").font = HINT_FONT


# --------------------------------------------------------------------------- buttons (VML) and VBA


def _buttons_vml(ws: Worksheet) -> bytes:
    """Form buttons as Excel writes them (a legacy VML drawing), one per action, each over its row's column B."""
    col_px = [_col_px(ws.column_dimensions[c].width) for c in "AB"]
    left_px = col_px[0] + 6
    width_px = col_px[1] - 12
    shapes = []
    for n, b in enumerate(layout.BUTTONS, start=1):
        top_pt = sum((ws.row_dimensions[r].height or 15) for r in range(1, b.row))
        height_pt = ws.row_dimensions[b.row].height or 15
        row_px = int(height_pt * 4 / 3)
        top_px, bottom_px = 4, row_px - 4
        shapes.append(
            f'<v:shape id="_x0000_s{1024 + n}" type="#_x0000_t201" '
            f'style="position:absolute;margin-left:{left_px * 0.75:.2f}pt;margin-top:{top_pt + top_px * 0.75:.2f}pt;'
            f'width:{width_px * 0.75:.2f}pt;height:{(bottom_px - top_px) * 0.75:.2f}pt;z-index:{n};mso-wrap-style:tight" '
            f'o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/><o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f"><div style="text-align:center">'
            f'<font face="宋体" size="220" color="#000000">{escape(b.title)}</font></div></v:textbox>'
            '<x:ClientData ObjectType="Button">'
            f"<x:Anchor>1, 6, {b.row - 1}, {top_px}, 1, {col_px[1] - 6}, {b.row - 1}, {bottom_px}</x:Anchor>"
            "<x:PrintObject>True</x:PrintObject><x:AutoFill>False</x:AutoFill>"
            f"<x:FmlaMacro>[0]!{b.macro}</x:FmlaMacro>"
            "<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>")
    xml = (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" '
        'o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/></v:shapetype>'
        + "".join(shapes) + "</xml>")
    return xml.encode("utf-8")


def _vba_project(template: Path) -> bytes:
    with zipfile.ZipFile(template) as z:
        template_bin = z.read("xl/vbaProject.bin")
    modules = [document_module("ThisWorkbook", WORKBOOK_BASE),
               *(document_module(code, SHEET_BASE) for code in layout.CODE_NAMES.values()),
               Module(layout.BUTTON_MODULE, "module", button_module_source())]
    return build_project(template_bin, modules)


def _vba_archive(vba_bin: bytes, vml: bytes) -> zipfile.ZipFile:
    """The in-memory package openpyxl copies VBA parts from (as after ``load_workbook(keep_vba=True)``)."""
    archive = zipfile.ZipFile(io.BytesIO(), "a", zipfile.ZIP_DEFLATED)
    archive.writestr("[Content_Types].xml",
                     '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    archive.writestr("_rels/.rels",
                     '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                     '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>')
    archive.writestr("xl/vbaProject.bin", vba_bin)
    archive.writestr(VML_PATH, vml)
    return archive


def write_console(target: Path | str, *, config_path: Path | None = None, cycle: Path | None = None,
                  python: str | None = None, template: Path | None = None) -> Path:
    """Write the console workbook (``.xlsm``); ``config_path``/``cycle`` prefill the 工作台's cells."""
    target = Path(target)
    vba_bin = _vba_project(template or xlwings_template())
    wb = Workbook()
    wb.code_name = "ThisWorkbook"
    console = wb.active
    console.title = layout.CONSOLE
    notes = wb.create_sheet(layout.NOTES)
    conf = wb.create_sheet(layout.XLWINGS_CONF)
    for ws in (console, notes, conf):
        ws.sheet_properties.codeName = layout.CODE_NAMES[ws.title]
    _console_sheet(console, str(cycle.resolve()) if cycle else "", str(config_path.resolve()) if config_path else "")
    _notes_sheet(notes)
    _conf_sheet(conf, console_settings(python))
    sheet_ref = f"'{layout.CONSOLE}'"
    for f in layout.INPUTS:
        wb.defined_names[f.name] = DefinedName(f.name, attr_text=f"{sheet_ref}!{_absolute(f.cell)}")
    for name, ref in layout.RESULT_NAMES.items():
        wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet_ref}!{_absolute(ref)}")
    wb.vba_archive = _vba_archive(vba_bin, _buttons_vml(console))
    console.legacy_drawing = VML_PATH
    wb.properties.title = "技术创新中心批处理工作台"
    wb.properties.creator = f"tic {__version__}"
    try:
        write_with(target, wb.save)
    finally:
        wb.vba_archive.close()
    return target


def _absolute(ref: str) -> str:
    def one(a1: str) -> str:
        col = "".join(ch for ch in a1 if ch.isalpha())
        return f"${col}${a1[len(col):]}"

    return ":".join(one(part) for part in ref.split(":"))
