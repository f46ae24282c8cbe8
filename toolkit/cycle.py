"""The cycle folder on the shared drive: one folder per year, laid out so a clerk knows where things go.

    2026年度/                      (the cycle folder; ``tic init 2026年度`` creates it)
      tic.toml                     the cycle's config
      01-区县报送/                  district submissions (``tic submit`` output), sub-folders allowed
      02-评估打分/                  expert scoring workbooks
      03-年度报告/                  annual report workbooks
      04-台账导入/                  台账 workbooks to import into the ledger
      05-市局汇总/                  the city workbook; the bureau fills 批准建设 here
      06-评估结果/  07-年报核查/  08-处置决定/  09-公文/      outputs
      运行日志/                     one text and one JSON log per run, and the run state
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.adapters.atomic import write_text
from toolkit.adapters.config_file import DEFAULT_NAME, default_config_text


@dataclass(frozen=True)
class Folder:
    key: str
    name: str
    note: str


FOLDERS = (
    Folder("inbox", "01-区县报送",
           "各县（市、区）报送的申报汇总表放在这里（用 tic submit 生成的“区县-年度-申报汇总.xlsx”），可按区县建子文件夹。\n"
           "同一区县报送多次时，以报送时间较新的一份为准。运行 tic run 时会核对报送标记、重新校验并汇总。\n"),
    Folder("scores", "02-评估打分",
           "专家评估打分表（tic template evaluation 生成的“绩效评估打分表”）放在这里。\n"
           "运行 tic run 时计算回避、得分和等级，并把结果记入台账。\n"),
    Folder("annual", "03-年度报告",
           "年度报告汇总表（tic template annual）放在这里。运行 tic run 时核查并登记报送日期。\n"),
    Folder("ledger_import", "04-台账导入",
           "需要导入台账的“中心台账”工作簿（已有中心、历年评估、事件、年报）放在这里；重复导入不会重复记录。\n"),
    Folder("city", "05-市局汇总",
           "tic run 生成的“市局汇总.xlsx”在这里。请在“汇总”表最后一列“批准建设”填写“是”或“否”，\n"
           "保存后再次运行 tic run：批准的中心会登记入台账并生成批复。已填写的意见在重新汇总时会保留。\n"),
    Folder("results", "06-评估结果", "tic run 生成的评估结果（*.评估结果.xlsx 和 JSON）。\n"),
    Folder("annual_out", "07-年报核查", "tic run 生成的年报核查结果（*.年报核查.xlsx 和 JSON）。\n"),
    Folder("decisions", "08-处置决定", "tic run 生成的本周期处置决定（奖励、整改、撤销、不再保留）：处置决定-年度.xlsx（每个"
                                       "中心的处置、依据和理由）和同名 JSON。\n"),
    Folder("letters", "09-公文", "tic run 生成的公文（Word）、发文清单 manifest.xlsx；已印发的公文不会重复生成。\n"),
    Folder("logs", "运行日志", "每次运行 tic run 的日志（文本和 JSON）。请勿删除 .tic-run-state.json（记录已处理的文件）。\n"),
)
BY_KEY = {f.key: f for f in FOLDERS}
STATE_FILE = ".tic-run-state.json"


def folder(cycle: Path, key: str) -> Path:
    return cycle / BY_KEY[key].name


NOTE_NAME = "说明.txt"
"""The note each folder of a cycle gets (what goes in, what comes out); not an input of any step."""


def init_cycle(cycle: Path, *, year: int = 2026, reference_date: str = "2026-03-31",
               ledger_path: str | None = "../tic-ledger.sqlite") -> list[Path]:
    """Create the cycle folder layout (idempotent: existing files are never overwritten); returns what was made."""
    made: list[Path] = []
    cycle.mkdir(parents=True, exist_ok=True)
    config = cycle / DEFAULT_NAME
    if not config.exists():
        write_text(config, default_config_text(year=year, reference_date=reference_date, ledger_path=ledger_path))
        made.append(config)
    for f in FOLDERS:
        d = cycle / f.name
        if not d.exists():
            d.mkdir()
            made.append(d)
        note = d / NOTE_NAME
        if not note.exists():
            write_text(note, f.note.replace("\n", "\r\n"), encoding="utf-8-sig")
    return made
