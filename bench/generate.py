"""Large realistic inputs for the benchmarks, written in the standard forms (deterministic)."""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from toolkit.adapters.schema_check import field_specs
from toolkit.core.config import DEFAULT_KEY_FIELDS
from toolkit.core.uscc import ALPHABET, make_uscc

DISTRICTS = ["长安区", "桥西区", "新华区", "裕华区", "藁城区", "鹿泉区", "栾城区", "正定县", "高新区", "辛集市"]
CODES = {"长安区": "130102", "桥西区": "130104", "新华区": "130105", "裕华区": "130108", "藁城区": "130109",
         "鹿泉区": "130110", "栾城区": "130111", "正定县": "130123", "高新区": "130171", "辛集市": "130181"}
TOPICS = ["智能传感", "生物制药", "高端装备", "新型材料", "功能食品", "节能环保", "工业软件", "医疗器械", "储能电池",
          "精密仪器", "环保装备", "数字农业"]


def intake_row(i: int, rnd: random.Random) -> dict:
    d = DISTRICTS[i % len(DISTRICTS)]
    org = "".join(rnd.choice(ALPHABET) for _ in range(9))
    topic = TOPICS[i % len(TOPICS)]
    row = {
        "seq": i + 1, "district": d, "center_name": f"石家庄市{topic}{i}技术创新中心", "center_name_en": f"Topic {i}",
        "lead_name": f"河北{topic}{i}科技有限公司", "lead_uscc": make_uscc(f"91{CODES[d]}{org}"), "lead_type": "企业",
        "reg_place": f"河北省石家庄市{d}某路{i % 300}号", "reg_date": datetime(2005 + i % 20, 1 + i % 12, 1 + i % 28),
        "rd_org": rnd.choice(["是", "是", "是", "√", "否"]), "sales": rnd.choice([1500, 2000, 3500.5, "8,000", "1.2亿元"]),
        "rd_spend": rnd.choice([80, 100, 250, "300万元"]), "key_field": rnd.choice(DEFAULT_KEY_FIELDS),
        "rd_direction": f"{topic}关键技术", "ip_count": rnd.randint(0, 30), "fixed_staff": rnd.randint(10, 80),
        "tech_leader": "张三", "leader_credit": "无不良记录", "lead_credit": rnd.choice(["无不良记录"] * 9 + ["有不良记录"]),
        "rd_space": rnd.choice([450, 500, 1200]), "equipment": rnd.choice([150, 200, 900]), "director": "李四",
        "director_birth": datetime(1960 + i % 30, 1 + i % 12, 1 + i % 28), "director_other": rnd.choice(["否"] * 9 + ["是"]),
        "director_months": rnd.choice([6, 8, 10, 12]), "higher_tic": rnd.choice(["否"] * 19 + ["是"]),
        "contact": "王五", "phone": rnd.choice(["13812345678", "0311-86012345", "12345"]), "recommend": "是",
    }
    if i % 7 == 0:
        row.update(partners="河北科技大学", partner_usccs=make_uscc("12130000401702013"), agreement="是",
                   share_conditions="60%", share_staff=0.55, share_projects=70, share_outcomes="45%", partner_credit="无")
    return row


def make_intake(path: Path, rows: int, seed: int = 2026) -> Path:
    """An intake workbook of ``rows`` applications in the standard form (write-only mode: fast, small memory)."""
    rnd = random.Random(seed)
    specs = field_specs("intake")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申报汇总")
    ws.append(["2026年度石家庄市技术创新中心申报汇总表"])
    ws.append(["推荐单位（盖章）：测试"])
    ws.append([s.header for s in specs])
    for i in range(rows):
        r = intake_row(i, rnd)
        ws.append([r.get(s.key) for s in specs])
    wb.save(path)
    return path


if __name__ == "__main__":  # pragma: no cover
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"intake-{n}.xlsx")
    make_intake(out, n)
    print(out)
