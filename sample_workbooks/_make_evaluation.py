"""Write the sample expert scoring workbook 评估打分表-2026.xlsx (deterministic; run from the project root).

    python sample_workbooks/_make_evaluation.py

The workbook starts from ``tic template evaluation`` and is filled for the 2026 evaluation of the
sample centers approved in 2023 or earlier (sample_centers.json) that are still running: SJZTIC-2018-002,
revoked in 2024 in the sample 台账 (中心台账.xlsx), is not on the roster:

* statuses: 12 参评, SJZTIC-2022-001 未参评, SJZTIC-2020-003 视同合格, SJZTIC-2023-001 缓评;
* 9 experts (5 省内 / 4 省外; 6 同行 / 3 管理), each scoring every participating center;
* conflicts (Art. 33) detectable
  - only by USCC: ZJ002 works for 河北华芯智能传感科技有限公司 (lead of SJZTIC-2017-001) but wrote the
    short name “华芯传感研究院”; not declared → A33.UNDECLARED,
  - only by normalised name: ZJ003's unit “河北 科技大学” (no USCC, a stray space) is the co-builder 河北科技大学
    of SJZTIC-2017-001 (declared in 利益关系申报) and of SJZTIC-2023-003 (not declared → A33.UNDECLARED),
  - only by ID number: ZJ005 is on SJZTIC-2019-002's personnel sheet (unit written differently), declared
    in 利益关系申报,
  - by declaration only: ZJ008 ticks 申请回避 = 是 for SJZTIC-2019-001;
  - a look-alike that must NOT match: ZJ007 works for 石家庄康瑞医药有限公司, not the lead
    石家庄康瑞药业股份有限公司 of SJZTIC-2017-002 — his score counts;
* grades: 优秀 SJZTIC-2017-002, SJZTIC-2018-001 and SJZTIC-2021-001 (exactly 85: nine experts whose
  dimension means add up to 84.99999999999999 in binary floats); 不合格 SJZTIC-2019-002 and
  SJZTIC-2020-002; the other participating centers 合格;
* ZJ004 scores SJZTIC-2020-001 far below the panel (SCORE.OUTLIER); ZJ009's 合计 cells are formulas
  without cached values (DATA.FORMULA, recomputed).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from toolkit.adapters.evaluation_workbook import write_evaluation_template  # noqa: E402
from toolkit.core.config import DEFAULT_DIMENSIONS  # noqa: E402
from toolkit.core.uscc import make_uscc  # noqa: E402

TARGET = HERE / "评估打分表-2026.xlsx"
DIMS = dict(DEFAULT_DIMENSIONS)
STATUS = {"SJZTIC-2022-001": "未参评", "SJZTIC-2020-003": "视同合格", "SJZTIC-2023-001": "缓评"}
LEFT_OUT = {"SJZTIC-2018-002"}  # revoked in 2024 (Art. 38(七)) in the sample 台账
# quality of each participating center: share of the maximum in each dimension, before expert bias
QUALITY = {
    "SJZTIC-2017-001": 0.78, "SJZTIC-2017-002": 0.905, "SJZTIC-2018-001": 0.885, "SJZTIC-2023-002": 0.74,
    "SJZTIC-2019-001": 0.70, "SJZTIC-2019-002": 0.545, "SJZTIC-2020-001": 0.76, "SJZTIC-2020-002": 0.565,
    "SJZTIC-2021-001": 0.85, "SJZTIC-2021-002": 0.67, "SJZTIC-2022-002": 0.64, "SJZTIC-2023-003": 0.80,
}
EXACT_85 = "SJZTIC-2021-001"


def id_number(first17: str) -> str:
    """A made-up resident ID number with a correct GB 11643 check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(ch) * w for ch, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


SUN_ID = id_number("13010519750612301")
# expert_id, name, id_number, unit, unit USCC, region, field, category, bias
EXPERTS = [
    ("ZJ001", "王建华", id_number("11010819680304251"), "北京理工大学", make_uscc("12100000400010398"),
     "省外", "智能制造", "同行专家", 0.00),
    ("ZJ002", "刘志远", id_number("13010219800921131"), "华芯传感研究院", "91130102AY4CL12THW",
     "省内", "电子信息", "同行专家", 0.02),
    ("ZJ003", "陈静", "", "河北 科技大学", "", "省内", "生物医药", "同行专家", -0.01),
    ("ZJ004", "赵敏", id_number("12010319720118202"), "天津市科学技术发展战略研究院", "",
     "省外", "科技管理", "管理专家", -0.02),
    ("ZJ005", "孙立军", SUN_ID, "河北工业大学", make_uscc("12130000401702614"), "省内", "新材料", "同行专家", 0.01),
    ("ZJ006", "周红梅", id_number("37010219760825422"), "山东省科学技术厅科技评估中心", "",
     "省外", "科技评估", "管理专家", 0.00),
    ("ZJ007", "吴刚", "", "石家庄康瑞医药有限公司", "", "省内", "药物制剂", "同行专家", 0.015),
    ("ZJ008", "郑晓东", id_number("11010819790330171"), "中国农业大学", make_uscc("12100000400001889"),
     "省外", "食品科学", "同行专家", -0.015),
    ("ZJ009", "何丽", "", "河北省科学技术情报研究院", "", "省内", "科技管理", "管理专家", 0.005),
]
DECLARED_ROW = {("ZJ008", "SJZTIC-2019-001"): "曾参与该中心依托单位的项目合作"}
DECLARATIONS = [
    ("ZJ003", "SJZTIC-2017-001", "本人所在单位河北科技大学为该中心共建单位"),
    ("ZJ005", "SJZTIC-2019-002", "本人受聘为该中心技术指导委员会委员"),
]
OUTLIER = ("ZJ004", "SJZTIC-2020-001", -0.22)
FORMULA_EXPERT = "ZJ009"


def load_centers() -> list[dict]:
    data = json.loads((HERE / "sample_centers.json").read_text(encoding="utf-8"))
    return [c for c in data["centers"] if c["approved_year"] <= 2023 and c["center_id"] not in LEFT_OUT]


def personnel(centers: list[dict]) -> list[tuple[str, str, str, str]]:
    """(center_id, name, id_number, unit): the director and one engineer of each center, plus 孙立军."""
    rng = random.Random(33)
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    family = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    rows = []
    for i, c in enumerate(centers):
        rows.append((c["center_id"], c["director"], id_number(f"130102{1965 + i:04d}0{(i % 9) + 1}1{i:02d}31"),
                     c["lead_name"]))
        name = rng.choice(family) + rng.choice(given) + rng.choice(given)
        rows.append((c["center_id"], name, "", c["lead_name"]))
    rows.append(("SJZTIC-2019-002", "孙立军", SUN_ID, "河北工业大学能源与环境工程学院"))
    return rows


def expert_scores(rng: random.Random, quality: float, bias: float) -> list[float]:
    """Five dimension scores in half points around ``quality`` (share of each maximum)."""
    out = []
    for maximum in DIMS.values():
        share = quality + bias + rng.uniform(-0.045, 0.045)
        value = round(maximum * share * 2) / 2
        out.append(min(max(value, 0.0), float(maximum)))
    return out


def hit_exactly(rows: list[list[float]], target_total: int) -> None:
    """Shift half points until the mean total of ``rows`` is exactly ``target_total``."""
    need = Fraction(target_total * len(rows)) - sum(Fraction(v).limit_denominator(2) for r in rows for v in r)
    step = Fraction(1, 2) if need > 0 else Fraction(-1, 2)
    i = 0
    while need:
        r, d = rows[i % len(rows)], (i // len(rows)) % len(DIMS)
        maximum = list(DIMS.values())[d]
        if 0 <= r[d] + float(step) <= maximum:
            r[d] += float(step)
            need -= step
        i += 1


def main() -> None:
    centers = load_centers()
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        blank = Path(tmp) / "blank.xlsx"
        write_evaluation_template(blank)
        wb = load_workbook(blank)

    ws = wb["中心名单"]
    for r, c in enumerate(centers, start=4):
        values = [c["center_id"], c["name"], c["lead_name"], c["lead_uscc"], "；".join(c["partners"]),
                  "；".join(c["partner_usccs"]), c["district"], STATUS.get(c["center_id"], "参评")]
        for col, v in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=v or None)

    ws = wb["中心人员"]
    for r, row in enumerate(personnel(centers), start=4):
        for col, v in enumerate(row, start=1):
            ws.cell(row=r, column=col, value=v or None)

    ws = wb["专家名单"]
    for r, e in enumerate(EXPERTS, start=4):
        for col, v in enumerate(e[:8], start=1):
            ws.cell(row=r, column=col, value=v or None)

    ws = wb["专家打分"]
    r = 4
    for c in centers:
        cid = c["center_id"]
        if STATUS.get(cid, "参评") != "参评":
            continue
        rows = [expert_scores(rng, QUALITY[cid] + (OUTLIER[2] if (e[0], cid) == OUTLIER[:2] else 0.0), e[8])
                for e in EXPERTS]
        if cid == EXACT_85:
            hit_exactly(rows, 85)
        for e, dims in zip(EXPERTS, rows, strict=True):
            ws.cell(row=r, column=1, value=cid)
            ws.cell(row=r, column=2, value=e[0])
            for col, v in enumerate(dims, start=3):
                ws.cell(row=r, column=col, value=int(v) if float(v).is_integer() else v)
            if e[0] == FORMULA_EXPERT:
                ws.cell(row=r, column=8, value=f"=SUM(C{r}:G{r})")
            else:
                total = sum(Fraction(v).limit_denominator(2) for v in dims)
                ws.cell(row=r, column=8, value=int(total) if total.denominator == 1 else float(total))
            declared = (e[0], cid) in DECLARED_ROW
            ws.cell(row=r, column=9, value="是" if declared else "否")
            if declared:
                ws.cell(row=r, column=10, value=DECLARED_ROW[(e[0], cid)])
            r += 1

    ws = wb["利益关系申报"]
    for r, d in enumerate(DECLARATIONS, start=4):
        for col, v in enumerate(d, start=1):
            ws.cell(row=r, column=col, value=v)

    fixed = datetime(2026, 3, 31, 9, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "tic 示例"
    wb.properties.lastModifiedBy = "tic 示例"
    wb.save(TARGET)
    print(f"wrote {TARGET.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
