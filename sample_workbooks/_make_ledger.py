"""Write the sample 中心台账 and the 2025 annual report workbook (deterministic; run from the project root).

    python sample_workbooks/_make_ledger.py
    python sample_workbooks/_make_ledger.py --scale 2000 big.xlsx   # a large 台账 for timing

Both come from ``sample_centers.json``. The history (2017-2025) is chosen so that
``tic decide`` for 2026 exercises every part of rules.md part D once the 2026
scoring workbook is recorded:

- programme-wide evaluations in 2020 and 2023 (the 2026 one comes from the scoring workbook);
- SJZTIC-2017-001 优秀 twice; its lead unit's center became provincial in 2026 → A28.RETIRE;
- SJZTIC-2017-002 视同合格 in 2023 (passed the provincial evaluation);
- SJZTIC-2018-001 不合格 2020, rectification re-evaluation 2021 合格, 合格 2023 (a chain broken by a pass);
- SJZTIC-2018-002 不合格 2023, lead unit stopped production in 2024 → 撤销 in the 2024 cycle (not listed in 2026);
- SJZTIC-2019-002 缓评 2023, 不合格 in the deferred 2025 evaluation (re-evaluated in 2026 → A38.2.TWICE if 不合格);
- SJZTIC-2020-002 缓评 2023, 合格 2025 (a 2026 不合格 → A37.RECTIFY, not twice);
- SJZTIC-2021-002 sent its 2025 report on 2026-04-08, after the 31 March deadline → A38.1.NO-REPORT
  (fires when the cycle's reference date is past 2026-03-31);
- SJZTIC-2022-002 sent no 2025 report and was caught falsifying data in February 2026 → A38.1 and A38.3;
- SJZTIC-2023-001 sent its 2025 report ON the deadline day (on time).

The workbooks are filled in the messy ways real ones are: title rows, headers with line
breaks and full-width brackets, dates as text, √/×, a blank row, a notes block.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CENTERS = json.loads((HERE / "sample_centers.json").read_text(encoding="utf-8"))["centers"]
BY_ID = {c["center_id"]: c for c in CENTERS}

REVOKED_2024 = "SJZTIC-2018-002"
LATE_2025 = "SJZTIC-2021-002"
FRAUD_2026 = "SJZTIC-2022-002"
RETIRE_2026 = "SJZTIC-2017-001"
ON_DEADLINE = "SJZTIC-2023-001"

# center -> {year: (status, grade, 是否整改复评)}
SPECIAL_EVALS = {
    "SJZTIC-2017-001": {2020: ("参评", "优秀", None), 2023: ("参评", "优秀", None)},
    "SJZTIC-2017-002": {2023: ("视同合格", None, None)},
    "SJZTIC-2018-001": {2020: ("参评", "不合格", None), 2021: ("参评", "合格", "是"), 2023: ("参评", "合格", None)},
    "SJZTIC-2018-002": {2023: ("参评", "不合格", None)},
    "SJZTIC-2019-002": {2023: ("缓评", None, None), 2025: ("参评", "不合格", None)},
    "SJZTIC-2020-002": {2023: ("缓评", None, None), 2025: ("参评", "合格", None)},
    "SJZTIC-2020-003": {2023: ("参评", "优秀", None)},
}

EVENTS = [
    (REVOKED_2024, "第三十八条第（七）项", date(2024, 5, 20), "依托单位全面停产，无法保障技术创新中心正常运行",
     "石科字〔2024〕21号"),
    (RETIRE_2026, "第二十八条", date(2026, 1, 15), "依托单位同领域同方向的中心被认定为河北省技术创新中心",
     "冀科平〔2026〕3号"),
    (FRAUD_2026, "第三十八条第（三）项", date(2026, 2, 26), "2024年度报告研发投入数据经核查不实，提供虚假材料",
     "市科技局核查报告（2026年2月）"),
]


def evaluations() -> list[tuple[str, int, str, str | None, str | None]]:
    rows = []
    for c in CENTERS:
        cid, approved = c["center_id"], c["approved_year"]
        special = SPECIAL_EVALS.get(cid, {})
        years = sorted({y for y in (2020, 2023) if approved < y} | set(special))
        for y in years:
            if cid == REVOKED_2024 and y > 2024:
                continue
            status, grade, reeval = special.get(y, ("参评", "合格", None))
            rows.append((cid, y, status, grade, reeval))
    return rows


def submitted(cid: str, year: int) -> date | None:
    """The receipt date of a center's report for ``year`` (None: not sent)."""
    if year == 2025:
        if cid == LATE_2025:
            return date(2026, 4, 8)
        if cid == FRAUD_2026:
            return None
        if cid == ON_DEADLINE:
            return date(2026, 3, 31)
    n = sum(ord(ch) for ch in cid) + year
    month = 2 + n % 2  # February or March
    return date(year + 1, month, 3 + n % 25)


def reports() -> list[tuple[str, int, date | None]]:
    rows = []
    for c in CENTERS:
        last = 2023 if c["center_id"] == REVOKED_2024 else 2025
        for y in range(c["approved_year"], last + 1):
            rows.append((c["center_id"], y, submitted(c["center_id"], y)))
    return rows


def _title(ws, text: str, width: int) -> None:  # type: ignore[no-untyped-def]
    ws.append([text])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)
    ws.cell(row=ws.max_row, column=1).font = Font(name="黑体", size=14, bold=True)
    ws.cell(row=ws.max_row, column=1).alignment = Alignment(horizontal="center")


def _date_text(d: date, n: int) -> object:
    """Dates the way the clerk typed them: mostly real dates, some text in the usual spellings."""
    kind = n % 5
    if kind == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if kind == 3:
        return f"{d.year}年{d.month}月{d.day}日"
    return datetime(d.year, d.month, d.day)


def make_ledger(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "中心"
    headers = ["中心编号", "中心名称", "英文名称关键词", "依托单位名称", "依托单位\n统一社会信用代码", "共建单位名称",
               "共建单位统一社会信用代码", "县(市、区)", "重点领域", "研发方向", "中心主任", "认定年份", "认定文号", "状态",
               "状态变更年度", "状态变更日期"]
    _title(ws, "石家庄市技术创新中心台账（截至2026年3月）", len(headers))
    ws.append(headers)
    for c in CENTERS:
        revoked = c["center_id"] == REVOKED_2024
        ws.append([c["center_id"], c["name"], c["name_en"], c["lead_name"], c["lead_uscc"], "；".join(c["partners"]),
                   "；".join(c["partner_usccs"]), c["district"], c["key_field"], c["rd_direction"], c["director"],
                   c["approved_year"], c["approval_doc"], "撤销" if revoked else "运行",
                   2024 if revoked else None, datetime(2024, 6, 15) if revoked else None])
    for col, width in zip("ABCDEFGHIJKLMNOP", (17, 34, 28, 30, 22, 22, 22, 14, 14, 26, 9, 9, 18, 7, 9, 12),
                          strict=True):
        ws.column_dimensions[col].width = width

    ev = wb.create_sheet("评估记录")
    ev.append(["中心编号", "评估年度", "参评状态", "等级", "是否整改复评"])
    for i, (cid, y, status, grade, reeval) in enumerate(evaluations()):
        ev.append([cid, y if i % 7 else str(y), status, grade, reeval or ("否" if i % 3 == 0 else None)])
        if cid == "SJZTIC-2019-001" and y == 2020:
            ev.append([])  # a blank row in the middle, as clerks leave them

    es = wb.create_sheet("事件")
    es.append(["中心编号", "条款", "发生日期", "说明", "依据文件"])
    for i, (cid, article, when, desc, basis) in enumerate(EVENTS):
        es.append([cid, article, _date_text(when, i), desc, basis])

    rs = wb.create_sheet("年报")
    rs.append(["中心编号", "报告年度", "报送日期"])
    for i, (cid, y, when) in enumerate(reports()):
        rs.append([cid, y, _date_text(when, i) if when else None])
    rs.append([])
    rs.append(["说明：报送日期为市科学技术局收到年度报告的日期；未报送的留空。"])
    wb.save(path)
    return path


ANNUAL_HEADERS = [
    "序号", "中心编号", "中心名称", "报告\n年度", "报送日期", "管理委员会会议次数", "技术指导委员会人数",
    "其中依托及共建单位人数", "技术指导委员会主任是否为外单位专家", "技术指导委员会会议次数", "中心主任", "主任出生日期",
    "主任是否兼任其他平台负责人", "主任本年度在中心工作时间(月)", "专职管理人员数", "大型仪器是否纳入共享平台",
    "固定人员数（人）", "本年度研发经费投入（万元）", "备注", "联系人",
]


def make_annual(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "年度报告汇总"
    _title(ws, "2025年度石家庄市技术创新中心年度报告汇总表", len(ANNUAL_HEADERS))
    ws.append(["填报单位（盖章）：石家庄市科学技术局平台处        汇总日期：2026年4月10日"])
    ws.append(ANNUAL_HEADERS)
    n = 0
    for c in CENTERS:
        cid = c["center_id"]
        if cid in (REVOKED_2024, FRAUD_2026):
            continue  # revoked in 2024; SJZTIC-2022-002 sent nothing
        n += 1
        when = submitted(cid, 2025)
        members, internal = 9, 2 + n % 2
        chair = "√" if n % 4 else "是"
        birth = datetime(1968 + n % 12, 1 + n % 12, 1 + n % 27)
        instruments = "是" if n % 6 else "无大型仪器"
        admin = 1 + n % 3
        if cid == "SJZTIC-2019-001":
            internal = 4  # 3 × 4 > 9: more than a third from the lead and co-builders
        if cid == "SJZTIC-2020-001":
            chair = "×"  # the chair is from the lead unit
        if cid == "SJZTIC-2020-003":
            birth = datetime(1963, 5, 10)  # 62 on 31 December 2025
        if cid == "SJZTIC-2022-001":
            instruments = "否"
        if cid == "SJZTIC-2024-002":
            admin = 0
        ws.append([
            n, cid, c["name"], "2025" if n % 5 == 0 else 2025, _date_text(when, n) if when else None,
            2 + n % 3, members, internal, chair, 1 + n % 2, c["director"],
            birth if n % 3 else f"{birth.year}.{birth.month}.{birth.day}", "否" if n % 4 else "×",
            10 + n % 3, admin, instruments, 20 + n * 3, f"{300 + n * 45:,}", None, "王老师",
        ])
        if n == 6:
            ws.append([None] * 5)  # a blank row
    ws.append([])
    ws.append(["填表说明：1. 报送日期为市科学技术局收到年度报告的日期；2. 人数为年末人数。"])
    for i, width in enumerate((5, 17, 34, 6, 12, 8, 8, 8, 10, 8, 8, 12, 8, 8, 8, 10, 8, 10, 10, 8), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    wb.save(path)
    return path


def make_big_ledger(path: Path, n: int) -> Path:
    """A 台账 of ``n`` synthetic centers with ten years of history (2016-2025), for timing ``import`` and ``decide``.

    Every center: evaluations in 2017, 2020, 2023 (and a re-evaluation after a 不合格), ten annual reports
    (about 2% late), and an event for about 1% of them in 2026.
    """
    from toolkit.core.uscc import make_uscc

    wb = Workbook(write_only=True)
    cs, ev, es, rs = (wb.create_sheet(t) for t in ("中心", "评估记录", "事件", "年报"))
    cs.append(["中心编号", "中心名称", "英文名称关键词", "依托单位名称", "依托单位统一社会信用代码", "共建单位名称",
               "共建单位统一社会信用代码", "县（市、区）", "重点领域", "研发方向", "中心主任", "认定年份", "认定文号", "状态"])
    ev.append(["中心编号", "评估年度", "参评状态", "等级", "是否整改复评"])
    es.append(["中心编号", "条款", "发生日期", "说明", "依据文件"])
    rs.append(["中心编号", "报告年度", "报送日期"])
    fields = ("新一代电子信息", "生物医药健康", "先进装备制造", "新材料", "现代食品", "节能环保")
    grades = ("合格", "合格", "合格", "优秀", "合格", "不合格", "合格", "合格", "合格", "合格", "优秀")
    for i in range(n):
        cid = f"SJZTIC-2016-{i + 1:04d}"
        uscc = make_uscc(f"91130102MA{i:07d}")
        cs.append([cid, f"石家庄市第{i + 1}号技术创新中心", f"Center {i + 1}", f"石家庄第{i + 1}科技有限公司", uscc, None,
                   None, "长安区", fields[i % 6], f"方向{i % 97}", f"主任{i}", 2016, f"石科字〔2016〕{i + 1}号", "运行"])
        prev = None
        for k, year in enumerate((2017, 2020, 2023)):
            grade = grades[(i * 7 + k * 3) % len(grades)]
            ev.append([cid, year, "参评", grade, None])
            if grade == "不合格" and prev != "不合格":
                ev.append([cid, year + 1, "参评", "合格", "是"])
            prev = grade
        for year in range(2016, 2026):
            late = (i * 31 + year) % 50 == 0
            rs.append([cid, year, date(year + 1, 4, 15) if late else date(year + 1, 3, 1 + (i + year) % 28)])
        if i % 100 == 7:
            es.append([cid, "第三十八条第（五）项", date(2026, 2, 1 + i % 27), f"第{i}号事件", "某文件"])
    wb.save(path)
    return path


def freeze(path: Path) -> Path:
    """Make the file byte-for-byte reproducible: fixed document dates and ZIP member times."""
    import re
    import zipfile

    stamp = "2026-04-10T00:00:00Z"
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 4, 10, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(fixed, data)
    return path


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--scale":
        path = make_big_ledger(Path(sys.argv[3]), int(sys.argv[2]))
        print(f"wrote {path}")
        return
    ledger = freeze(make_ledger(HERE / "中心台账.xlsx"))
    annual = freeze(make_annual(HERE / "年度报告汇总表-2025.xlsx"))
    print(f"wrote {ledger.name} and {annual.name}")


if __name__ == "__main__":
    main()
