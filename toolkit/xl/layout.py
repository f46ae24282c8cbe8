"""Where things are on the console workbook: one place, shared by the writer, the buttons and the VBA.

The VBA module finds cells by their defined names (``tic_cycle`` …); the Python
side uses the A1 addresses below. Both come from this table, so they cannot drift.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

CONSOLE = "工作台"
NOTES = "说明"
XLWINGS_CONF = "xlwings.conf"  # the sheet name xlwings looks for (GetConfigFromSheet)
CODE_NAMES = {CONSOLE: "Sheet1", NOTES: "Sheet2", XLWINGS_CONF: "Sheet3"}
BUTTON_MODULE = "TicButtons"
PY_MODULE = "toolkit.xl.buttons"  # what RunPython imports (the TIC_MODULE key of xlwings.conf)

# column widths (characters) and what each column holds
WIDTHS = {"A": 2.7, "B": 22, "C": 72, "D": 36}
OPEN_PATH_COLUMN = "G"  # hidden: the file the last action wants opened

MODE_AUTO, MODE_XLWINGS, MODE_CLI = "自动", "xlwings（Excel）", "命令行（tic）"
YES, NO = "是", "否"


@dataclass(frozen=True)
class Field:
    name: str  # defined name
    cell: str  # A1 address on the 工作台 sheet
    label: str
    hint: str


INPUTS = (
    Field("tic_cycle", "C5", "周期文件夹", "tic init 建立的文件夹；留空＝本工作簿所在文件夹"),
    Field("tic_config", "C6", "配置文件", "留空＝周期文件夹中的 tic.toml"),
    Field("tic_input", "C7", "输入文件", "一个工作簿（汇总各区：一个文件夹）；留空见各按钮说明"),
    Field("tic_output", "C8", "输出文件夹", "留空＝周期文件夹中对应的文件夹（校验：输入文件旁）"),
    Field("tic_mode", "C9", "运行方式", "自动：Excel 用 xlwings，WPS 表格用命令行"),
    Field("tic_open", "C10", "完成后打开结果", "是：完成后打开生成的主要文件"),
)
INPUT_BY_NAME = {f.name: f for f in INPUTS}


@dataclass(frozen=True)
class Button:
    action: str
    title: str
    macro: str
    row: int
    description: str
    command: str


BUTTON_ROW0 = 13
BUTTONS = (
    Button("validate", "校验申报表", "TicValidate", 13,
           "校验“输入文件”中的区县申报汇总表（第十条、第十六条、第二十八条），生成“*.校验结果.xlsx”；原文件不会被修改。",
           "tic validate"),
    Button("collect", "汇总各区", "TicCollect", 14,
           "汇总“输入文件”文件夹（留空＝01-区县报送）中各区县报送的工作簿，核对报送标记、查找跨区县重复申报，生成“市局汇总.xlsx”。",
           "tic collect"),
    Button("evaluate", "评估打分", "TicEvaluate", 15,
           "专家打分表的回避、计分、定级与排名（第三十一条至第三十五条），生成“*.评估结果.xlsx”；输入文件留空＝02-评估打分中唯一的打分表。",
           "tic evaluate"),
    Button("annual", "年报核查", "TicAnnual", 16,
           "核查年度报告汇总表并在台账登记报送日期，列出未报送或逾期的中心；输入文件留空＝03-年度报告中唯一的工作簿。",
           "tic annual"),
    Button("decide", "处置决定", "TicDecide", 17,
           "按台账计算本周期的奖励、限期整改、撤销、不再保留（第二十八条、第三十六条至第三十八条），结果写入台账。",
           "tic decide"),
    Button("letters", "生成公文", "TicLetters", 18,
           "按台账批量生成本周期应发的公文（Word）和发文清单；已印发的不会重复发文。输出文件夹留空＝09-公文。",
           "tic letters"),
    Button("batch", "运行本月批处理", "TicBatch", 19,
           "对周期文件夹依次运行全部步骤（导入台账→汇总→登记→年报→评估→处置→公文），只处理新增或改动的文件。",
           "tic run"),
)
BUTTON_BY_ACTION = {b.action: b for b in BUTTONS}
ACTIONS = tuple(b.action for b in BUTTONS)

# the result area, written only by the tool
RESULT_HEAD = 21
ACTION_CELL, STATE_CELL, TIME_CELL, COUNTS_CELL = "C22", "C23", "C24", "C25"
OPEN_PATH_CELL = f"{OPEN_PATH_COLUMN}23"
OUTPUT_FIRST, OUTPUT_ROWS = 26, 8
PROBLEM_FIRST, PROBLEM_ROWS = 34, 200
OUTPUT_CELLS = tuple(f"C{OUTPUT_FIRST + i}" for i in range(OUTPUT_ROWS))
PROBLEM_CELLS = tuple(f"C{PROBLEM_FIRST + i}" for i in range(PROBLEM_ROWS))
RESULT_RANGE = f"C{ACTION_CELL[1:]}:C{PROBLEM_FIRST + PROBLEM_ROWS - 1}"

RESULT_NAMES = {
    "tic_action": ACTION_CELL,
    "tic_state": STATE_CELL,
    "tic_time": TIME_CELL,
    "tic_counts": COUNTS_CELL,
    "tic_outputs": f"{OUTPUT_CELLS[0]}:{OUTPUT_CELLS[-1]}",
    "tic_problems": f"{PROBLEM_CELLS[0]}:{PROBLEM_CELLS[-1]}",
    "tic_open_path": OPEN_PATH_CELL,
}
RESULT_LABELS = {ACTION_CELL: "操作", STATE_CELL: "结果", TIME_CELL: "完成时间", COUNTS_CELL: "统计",
                 OUTPUT_CELLS[0]: "输出文件", PROBLEM_CELLS[0]: "问题与说明"}

# fills of the state cell
STATE_COLORS = {0: (198, 239, 206), 1: (255, 235, 156), 2: (255, 199, 206), None: (217, 217, 217)}

LINE_HEIGHT, EXTRA_LINE = 16.0, 15.0  # points: one line of 11-point text, and each further line


def row_height(text: str, width: float) -> float:
    """The height a wrapped ``text`` needs in a column ``width`` characters wide (11-point 宋体: a Chinese
    character is about 15 pixels, other characters about 7). Excel and WPS do not grow a row for text
    written by a program, and a row left tall by a longer text must shrink again."""
    px = sum(15 if unicodedata.east_asian_width(ch) in "WF" else 7 for ch in text)
    lines = max(1, -(-px // (int(width * 7 + 0.5) + 5 - 10)))
    return LINE_HEIGHT + EXTRA_LINE * (lines - 1)
