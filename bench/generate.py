"""Large realistic inputs for the benchmarks, written in the standard forms (deterministic: same seed, same bytes).

* :func:`make_intake` — a 申报汇总表 of any number of rows. Two mixes of rows:

  - ``"realistic"`` (default): what a province-wide batch looks like after the districts' own first
    check: about 72 % of the applications complete and eligible, 16 % with something to look at
    (a unit typed as 元/亿元, an odd phone number, a partner share typed as a fraction …) and 12 %
    failing a condition (sales under 2,000 万元, a director over 60, a bad credit record, a wrong
    check character …); 15 % jointly built with co-builders, 12 % of leads not enterprises, a few
    resubmitted duplicates, numbers and dates as varied as real ones (and 5 % typed as text);
  - ``"stress"``: :func:`intake_row`, the first generator — nearly every row breaks two or three
    rules (93 % ineligible, ~2.9 findings a row), every number from a handful of values.

  Written as Excel and WPS write workbooks (shared strings, dates as styled serial numbers) by a
  small writer of our own (:func:`write_xlsx`, ~10x faster than openpyxl), or with openpyxl's
  write-only mode (inline strings) with ``writer="openpyxl"``.
* :func:`make_evaluation` — the scoring workbook of ``tic evaluate`` (500 centers × 9 experts).
* :func:`make_ledger` — a 中心台账 (workbooks.md §4) of centers with ten years of history, for
  ``tic ledger import`` and ``tic decide``.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from toolkit.adapters.schema_check import field_specs
from toolkit.core.config import DEFAULT_KEY_FIELDS
from toolkit.core.uscc import ALPHABET, make_uscc

DISTRICTS = ["长安区", "桥西区", "新华区", "裕华区", "藁城区", "鹿泉区", "栾城区", "正定县", "高新区", "辛集市"]
CODES = {"长安区": "130102", "桥西区": "130104", "新华区": "130105", "裕华区": "130108", "藁城区": "130109",
         "鹿泉区": "130110", "栾城区": "130111", "正定县": "130123", "高新区": "130171", "辛集市": "130181"}
TOPICS = ["智能传感", "生物制药", "高端装备", "新型材料", "功能食品", "节能环保", "工业软件", "医疗器械", "储能电池",
          "精密仪器", "环保装备", "数字农业"]
ROADS = ["中山东路", "裕华西路", "建设北大街", "槐安东路", "友谊南大街", "黄河大道", "胜利北街", "和平西路", "石清路"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰飞鹏宇浩然晨阳"
UNIVERSITIES = ["河北科技大学", "河北工业大学", "河北师范大学", "石家庄铁道大学", "河北医科大学", "河北经贸大学"]
MIXES = ("realistic", "stress")


def intake_row(i: int, rnd: random.Random) -> dict:
    """One row of the *stress* mix (the first generator): nearly every row breaks two or three rules."""
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


def _person(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))


def _org(rnd: random.Random) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(9))


def _money(rnd: random.Random, low: float, high: float) -> Any:
    """A sum in 万元, sometimes typed as text ("12,345.6", "8000万元") the way clerks do."""
    value = round(rnd.uniform(low, high), rnd.choice((0, 1, 2)))
    value = int(value) if float(value).is_integer() else value
    r = rnd.random()
    if r < 0.03:
        return f"{value:,}"
    if r < 0.05:
        return f"{value}万元"
    return value


def _area(rnd: random.Random) -> Any:
    """研发用房面积 in 平方米, sometimes with its unit typed in."""
    value = rnd.randint(500, 30000)
    return f"{value}平方米" if rnd.random() < 0.04 else value


def _phone(rnd: random.Random) -> str:
    if rnd.random() < 0.7:
        return "1" + rnd.choice("3578") + "".join(rnd.choice("0123456789") for _ in range(9))
    return "0311-8" + "".join(rnd.choice("0123456789") for _ in range(7))


# the problems of the realistic mix: (weight, what it does to the row); errors first, then warnings
_ERRORS: list[tuple[int, str]] = [
    (10, "sales"), (8, "rd_spend"), (8, "staff"), (6, "space"), (6, "equipment"), (8, "director_age"),
    (6, "director_months"), (5, "credit"), (3, "leader_credit"), (4, "director_other"), (3, "higher_tic"),
    (4, "young"), (4, "uscc"), (3, "name"), (3, "field"), (3, "rd_org"), (3, "required"), (3, "ip"),
    (3, "share"), (2, "outside"), (2, "number_text"),
]
_WARNINGS: list[tuple[int, str]] = [(30, "yuan"), (25, "phone"), (10, "share_pct"), (10, "big_sum")]


def _pick(rnd: random.Random, table: list[tuple[int, str]]) -> str:
    total = sum(w for w, _ in table)
    x = rnd.uniform(0, total)
    for w, name in table:
        x -= w
        if x <= 0:
            return name
    return table[-1][1]


def realistic_row(i: int, rnd: random.Random, names: list[str]) -> dict:
    """One row of the *realistic* mix (see the module docstring); ``names`` collects the center names so
    far, for the occasional resubmitted duplicate."""
    d = DISTRICTS[rnd.randrange(len(DISTRICTS))]
    topic = TOPICS[rnd.randrange(len(TOPICS))]
    r = rnd.random()
    lead_type = "企业" if r < 0.88 else "高等院校" if r < 0.94 else "科研院所" if r < 0.98 else "其他"
    company = f"河北{rnd.choice(('华', '冀', '石', '燕', '恒', '瑞', '博', '天', '中', '润'))}{topic}{i}"
    lead_name = f"{company}科技有限公司" if lead_type == "企业" else (
        f"{rnd.choice(UNIVERSITIES)}{topic}研究所{i}" if lead_type != "其他" else f"石家庄{topic}产业促进中心{i}")
    kind = "91" if lead_type == "企业" else "12"
    reg = datetime(rnd.randint(1995, 2021), rnd.randint(1, 12), rnd.randint(1, 28))
    birth = datetime(rnd.randint(1968, 1992), rnd.randint(1, 12), rnd.randint(1, 28))
    row: dict[str, Any] = {
        "seq": i + 1, "district": d, "center_name": f"石家庄市{topic}{i}技术创新中心",
        "center_name_en": f"{topic} {i}", "lead_name": lead_name, "lead_uscc": make_uscc(f"{kind}{CODES[d]}{_org(rnd)}"),
        "lead_type": lead_type,
        "reg_place": f"河北省石家庄市{d}{rnd.choice(ROADS)}{rnd.randint(1, 400)}号",
        "reg_date": reg if rnd.random() > 0.02 else f"{reg.year}年{reg.month}月{reg.day}日",
        "key_field": rnd.choice(DEFAULT_KEY_FIELDS), "rd_direction": f"{topic}{rnd.choice(('关键', '共性', '前沿'))}技术研发",
        "ip_count": rnd.randint(3, 150), "fixed_staff": rnd.randint(15, 400), "tech_leader": _person(rnd),
        "leader_credit": "无不良记录", "lead_credit": "无不良记录" if rnd.random() > 0.05 else "无",
        "rd_space": _area(rnd), "equipment": _money(rnd, 200, 20000), "director": _person(rnd),
        "director_birth": birth, "director_other": "否", "director_months": rnd.choice((8, 9, 10, 10, 11, 12, 12)),
        "higher_tic": "否", "contact": _person(rnd), "phone": _phone(rnd), "recommend": rnd.choice(("是", "是", "√")),
    }
    if lead_type == "企业":
        row.update(rd_org=rnd.choice(("是", "是", "是", "√")), sales=_money(rnd, 2000, 200000),
                   rd_spend=_money(rnd, 100, 8000))
    partner = lead_type != "企业" or rnd.random() < 0.05
    if partner:
        count = rnd.randint(2, 3) if lead_type != "企业" else rnd.randint(1, 2)
        names_ = [f"{rnd.choice(UNIVERSITIES)}"] + [f"石家庄{topic}{i}-{k}制造有限公司" for k in range(1, count + 1)]
        usccs = [make_uscc(f"12130000{_org(rnd)}")] + [make_uscc(f"911301{rnd.choice(('02', '04', '05'))}{_org(rnd)}")
                                                        for _ in range(count)]
        if lead_type == "企业":
            names_, usccs = names_[:count], usccs[:count]
        row.update(partners="；".join(names_), partner_usccs="；".join(usccs), agreement="是",
                   share_conditions=f"{rnd.randint(50, 80)}%", share_staff=rnd.randint(50, 80),
                   share_projects=rnd.randint(50, 80), share_outcomes=rnd.randint(50, 80), partner_credit="无不良记录")
        if lead_type != "企业":
            row["city_partner_enterprises"] = sum(1 for u in usccs if u.startswith("911301"))

    r = rnd.random()
    if r < 0.12:
        _break(row, _pick(rnd, _ERRORS), rnd)
    elif r < 0.28:
        _break(row, _pick(rnd, _WARNINGS), rnd)
    if rnd.random() < 0.004 and names:  # resubmitted by a second district, or the same lead twice
        row["center_name"] = rnd.choice(names)
    names.append(row["center_name"])
    return row


def _break(row: dict, what: str, rnd: random.Random) -> None:
    """Make ``row`` break one rule (or call for a warning) the way real applications do."""
    if what == "sales" and "sales" in row:
        row["sales"] = round(rnd.uniform(300, 1999), 1)
    elif what == "rd_spend" and "rd_spend" in row:
        row["rd_spend"] = rnd.randint(20, 99)
    elif what == "staff":
        row["fixed_staff"] = rnd.randint(3, 14)
    elif what == "space":
        row["rd_space"] = rnd.randint(80, 499)
    elif what == "equipment":
        row["equipment"] = round(rnd.uniform(20, 199), 1)
    elif what == "director_age":
        row["director_birth"] = datetime(rnd.randint(1955, 1964), rnd.randint(1, 12), rnd.randint(1, 28))
    elif what == "director_months":
        row["director_months"] = rnd.randint(2, 7)
    elif what == "credit":
        row["lead_credit"] = "有不良记录"
    elif what == "leader_credit":
        row["leader_credit"] = "有"
    elif what == "director_other":
        row["director_other"] = "是"
    elif what == "higher_tic":
        row["higher_tic"] = "是"
    elif what == "young":
        row["reg_date"] = datetime(2024, rnd.randint(1, 12), rnd.randint(1, 28))
    elif what == "uscc":
        code = row["lead_uscc"]
        row["lead_uscc"] = code[:17] + ("0" if code[17] != "0" else "1")
    elif what == "name":
        row["center_name"] = row["center_name"].replace("技术创新中心", "工程技术研究中心")
    elif what == "field":
        row["key_field"] = "人工智能"
    elif what == "rd_org" and "rd_org" in row:
        row["rd_org"] = "否"
    elif what == "required":
        row["rd_direction" if rnd.random() < 0.5 else "tech_leader"] = None
    elif what == "ip":
        row["ip_count"] = 0
    elif what == "share" and row.get("partners"):
        row["share_outcomes"] = rnd.randint(20, 49)
    elif what == "outside":
        row["reg_place"] = f"河北省保定市竞秀区{rnd.choice(ROADS)}{rnd.randint(1, 99)}号"
    elif what == "number_text":
        row["fixed_staff"] = "约五十人"
    elif what == "yuan" and "sales" in row:
        row["sales"] = f"{rnd.randint(2, 90)}.{rnd.randint(0, 9)}亿元"
    elif what == "phone":
        row["phone"] = "0311-" + "".join(rnd.choice("0123456789") for _ in range(5))
    elif what == "share_pct" and row.get("partners"):
        row["share_staff"] = 0.55
    elif what == "big_sum":
        row["equipment"] = rnd.randint(2_000_000, 9_000_000)
    else:  # the problem does not apply to this row: an odd phone number instead
        row["phone"] = "0311-" + "".join(rnd.choice("0123456789") for _ in range(5))


def intake_rows(rows: int, seed: int = 2026, mix: str = "realistic") -> Iterable[dict]:
    """The rows of :func:`make_intake`, as dicts keyed by field key."""
    if mix not in MIXES:
        raise ValueError(f"mix must be one of {MIXES}")
    rnd = random.Random(seed)
    names: list[str] = []
    for i in range(rows):
        yield intake_row(i, rnd) if mix == "stress" else realistic_row(i, rnd, names)


def make_intake(path: Path, rows: int, seed: int = 2026, *, mix: str = "realistic", writer: str = "excel") -> Path:
    """An intake workbook of ``rows`` applications in the standard form (see the module docstring)."""
    specs = field_specs("intake")
    title = [["2026年度石家庄市技术创新中心申报汇总表"], ["推荐单位（盖章）：测试"], [s.header for s in specs]]
    body = ([r.get(s.key) for s in specs] for r in intake_rows(rows, seed, mix))
    if writer == "excel":
        return write_xlsx(path, [("申报汇总", _chain(title, body))])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申报汇总")
    for values in _chain(title, body):
        ws.append(values)
    wb.save(path)
    return path


def _chain(*parts: Iterable[list[Any]]) -> Iterable[list[Any]]:
    for part in parts:
        yield from part


# ---------------------------------------------------------------------------------------------- writer

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '{sheets}'
       '<Override PartName="/xl/styles.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
       '<Override PartName="/xl/sharedStrings.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
       '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" '
         'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_EPOCH = datetime(1899, 12, 30)
_FIXED_TIME = (2026, 4, 1, 0, 0, 0)


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Iterable[Sequence[Any]]]]) -> Path:
    """A workbook the way Excel and WPS save one: every text in the shared-string table, dates as serial
    numbers with a date style, numbers and booleans as such. Deterministic (fixed member times)."""
    strings: dict[str, int] = {}
    cols = [_letters(i) for i in range(1, 257)]
    parts: list[tuple[str, bytes]] = []
    for n, (_, rows) in enumerate(sheets, start=1):
        out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" '
               f'xmlns:r="{_REL}"><sheetData>']
        for r, values in enumerate(rows, start=1):
            cells = [f'<row r="{r}">']
            for c, v in enumerate(values):
                if v is None or v == "":
                    continue
                ref = f"{cols[c]}{r}"
                if isinstance(v, str):
                    idx = strings.get(v)
                    if idx is None:
                        idx = strings[v] = len(strings)
                    cells.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
                elif isinstance(v, bool):
                    cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
                elif isinstance(v, datetime | date):
                    when = v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)
                    serial = (when - _EPOCH).total_seconds() / 86400
                    cells.append(f'<c r="{ref}" s="1"><v>{int(serial) if serial.is_integer() else serial}</v></c>')
                else:
                    cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            cells.append("</row>")
            out.append("".join(cells))
        out.append("</sheetData></worksheet>")
        parts.append((f"xl/worksheets/sheet{n}.xml", "".join(out).encode()))
    sst = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" count="{len(strings)}" '
           f'uniqueCount="{len(strings)}">']
    sst.extend(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    sst.append("</sst>")
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1))
    book = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            "<sheets>" + "".join(f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
                                 for n, (name, _) in enumerate(sheets, start=1)) + "</sheets></workbook>")
    k = len(sheets)
    book_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 + "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                           for n in range(1, k + 1))
                 + f'<Relationship Id="rId{k + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
                 f'<Relationship Id="rId{k + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
                 "</Relationships>")
    members = [("[Content_Types].xml", _CT.format(sheets=overrides).encode()), ("_rels/.rels", _RELS.encode()),
               ("xl/workbook.xml", book.encode()), ("xl/_rels/workbook.xml.rels", book_rels.encode()),
               ("xl/styles.xml", _STYLES.encode()), ("xl/sharedStrings.xml", "".join(sst).encode()), *parts]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


# ---------------------------------------------------------------------------------------------- evaluation


def _id_number(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(ch) * w for ch, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def make_evaluation(path: Path, centers: int = 500, experts: int = 9, seed: int = 2026) -> Path:
    """The scoring workbook of ``tic evaluate`` (from ``tic template evaluation``): ``centers`` centers, each
    scored by every one of ``experts`` experts (two staff per center on 中心人员, a few declared conflicts)."""
    from openpyxl import load_workbook

    from toolkit.adapters.evaluation_workbook import write_evaluation_template
    from toolkit.core.config import DEFAULT_DIMENSIONS

    rnd = random.Random(seed)
    dims = dict(DEFAULT_DIMENSIONS)
    blank = path.with_name(path.stem + ".blank.xlsx")
    write_evaluation_template(blank)
    wb = load_workbook(blank)
    blank.unlink()
    roster = []
    for i in range(centers):
        d = DISTRICTS[i % len(DISTRICTS)]
        cid = f"SJZTIC-{2016 + i % 8}-{i + 1:04d}"
        lead = f"河北{TOPICS[i % len(TOPICS)]}{i}科技有限公司"
        roster.append((cid, f"石家庄市{TOPICS[i % len(TOPICS)]}{i}技术创新中心", lead,
                       make_uscc(f"91{CODES[d]}{_org(rnd)}"), UNIVERSITIES[i % len(UNIVERSITIES)],
                       make_uscc(f"12130000{_org(rnd)}"), d, "参评"))
    ws = wb["中心名单"]
    for r, row in enumerate(roster, start=4):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=v)
    ws = wb["中心人员"]
    r = 4
    for i, c in enumerate(roster):
        for k in range(2):
            ws.cell(row=r, column=1, value=c[0])
            ws.cell(row=r, column=2, value=_person(rnd))
            ws.cell(row=r, column=3,
                    value=_id_number(f"130102{1965 + (i + k) % 30}{1 + i % 12:02d}{1 + i % 28:02d}{(2 * i + k) % 1000:03d}"))
            ws.cell(row=r, column=4, value=c[2])
            r += 1
    panel = []
    for k in range(experts):
        region = "省外" if k % 2 else "省内"
        unit = UNIVERSITIES[k % len(UNIVERSITIES)] if k < 3 else f"某省科学技术研究院{k}"
        panel.append((f"ZJ{k + 1:03d}", _person(rnd), _id_number(f"110108{1960 + k}0304{100 + k:03d}"), unit, None, region,
                      "科技管理", "同行专家" if k % 3 else "管理专家"))
    ws = wb["专家名单"]
    for r, e in enumerate(panel, start=4):
        for c, v in enumerate(e, start=1):
            ws.cell(row=r, column=c, value=v)
    ws = wb["专家打分"]
    r = 4
    for c in roster:
        quality = rnd.uniform(0.5, 0.95)
        for e in panel:
            values = []
            for maximum in dims.values():
                share = quality + rnd.uniform(-0.05, 0.05)
                values.append(min(max(round(maximum * share * 2) / 2, 0.0), float(maximum)))
            ws.cell(row=r, column=1, value=c[0])
            ws.cell(row=r, column=2, value=e[0])
            for k, v in enumerate(values, start=3):
                ws.cell(row=r, column=k, value=int(v) if float(v).is_integer() else v)
            ws.cell(row=r, column=3 + len(values), value=sum(values))
            ws.cell(row=r, column=4 + len(values), value="否")
            r += 1
    ws = wb["利益关系申报"]
    for r, (e, c) in enumerate(((panel[0][0], roster[5 % centers][0]), (panel[1][0], roster[17 % centers][0])),
                                start=4):
        ws.cell(row=r, column=1, value=e)
        ws.cell(row=r, column=2, value=c)
        ws.cell(row=r, column=3, value="曾参与该中心依托单位的项目合作")
    fixed = datetime(2026, 3, 31, 9, 0, 0)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------- ledger

_LEDGER_FIELDS = ("新一代电子信息", "生物医药健康", "先进装备制造", "新材料", "现代食品", "节能环保")


def ledger_sheets(centers: int, years: int = 10, cycle: int = 2026, outcomes: str | None = "mixed"
                  ) -> list[tuple[str, list[list[Any]]]]:
    """The four sheets of a 中心台账 of ``centers`` centers approved ``years`` years before ``cycle``:
    evaluations every three years (and a re-evaluation after a 不合格), one annual report a year (about 2 %
    late), an event for about 1 % of them. ``outcomes`` adds the cycle's own evaluation: ``"mixed"`` (16 %
    优秀, 10 % 不合格, 4 % 未参评: what ``tic decide`` meets in a real year) or ``"letters"`` (every center
    gets a letter: 40 % 优秀 → reward, 40 % 不合格 → rectification or revocation, 20 % 未参评 → revocation)."""
    first = cycle - years
    rnd = random.Random(cycle + centers)
    grades = ("合格", "合格", "合格", "优秀", "合格", "不合格", "合格", "合格", "合格", "合格", "优秀")
    cs: list[list[Any]] = [["中心编号", "中心名称", "英文名称关键词", "依托单位名称", "依托单位统一社会信用代码",
                            "共建单位名称", "共建单位统一社会信用代码", "县（市、区）", "重点领域", "研发方向",
                            "中心主任", "认定年份", "认定文号", "状态"]]
    ev: list[list[Any]] = [["中心编号", "评估年度", "参评状态", "等级", "是否整改复评"]]
    es: list[list[Any]] = [["中心编号", "条款", "发生日期", "说明", "依据文件"]]
    rs: list[list[Any]] = [["中心编号", "报告年度", "报送日期"]]
    for i in range(centers):
        d = DISTRICTS[i % len(DISTRICTS)]
        cid = ledger_center_id(i, first)
        cs.append([cid, f"石家庄市{TOPICS[i % len(TOPICS)]}第{i + 1}号技术创新中心", f"Center {i + 1}",
                   f"石家庄第{i + 1}科技有限公司", make_uscc(f"91{CODES[d]}MA{i:07d}"), None, None, d,
                   _LEDGER_FIELDS[i % 6], f"方向{i % 97}", _person(rnd), first, f"石科字〔{first}〕{i + 1}号", "运行"])
        prev = None
        for k, year in enumerate(range(first + 1, cycle, 3)):
            grade = grades[(i * 7 + k * 3) % len(grades)]
            ev.append([cid, year, "参评", grade, None])
            if grade == "不合格" and prev != "不合格":
                ev.append([cid, year + 1, "参评", "合格", "是"])
            prev = grade
        r = rnd.random()
        if outcomes == "mixed":
            if r < 0.04:
                ev.append([cid, cycle, "未参评", None, None])
            else:
                ev.append([cid, cycle, "参评", "优秀" if r < 0.2 else "不合格" if r < 0.3 else "合格", None])
        elif outcomes == "letters":
            if r < 0.2:
                ev.append([cid, cycle, "未参评", None, None])
            else:
                ev.append([cid, cycle, "参评", "优秀" if r < 0.6 else "不合格", None])
        for year in range(first, cycle):
            late = (i * 31 + year) % 50 == 0
            rs.append([cid, year, date(year + 1, 4, 15) if late else date(year + 1, 3, 1 + (i + year) % 28)])
        if i % 100 == 7:
            es.append([cid, "第三十八条第（五）项", date(cycle, 2, 1 + i % 27), f"第{i}号事件", "某文件"])
    return [("中心", cs), ("评估记录", ev), ("事件", es), ("年报", rs)]


def ledger_center_id(i: int, first: int) -> str:
    return f"SJZTIC-{first}-{i + 1:04d}"


def make_ledger(path: Path, centers: int = 2000, years: int = 10, cycle: int = 2026,
                outcomes: str | None = "mixed") -> Path:
    """A 中心台账 workbook (workbooks.md §4) for ``tic ledger import`` (see :func:`ledger_sheets`)."""
    return write_xlsx(path, ledger_sheets(centers, years, cycle, outcomes))


def evaluation_report(centers: int, years: int = 10, cycle: int = 2026, seed: int = 2026) -> dict[str, Any]:
    """The dimension scores of the cycle's evaluation for the centers of :func:`ledger_sheets` (what
    ``tic letters --evaluation`` reads for the weakest dimensions of a rectification notice)."""
    from toolkit.core.config import DEFAULT_DIMENSIONS

    rnd = random.Random(seed)
    dims = dict(DEFAULT_DIMENSIONS)
    out = []
    for i in range(centers):
        scores = {name: round(maximum * rnd.uniform(0.4, 0.8) * 2) / 2 for name, maximum in dims.items()}
        out.append({"center_id": ledger_center_id(i, cycle - years), "dimensions": scores})
    return {"report": "evaluation", "schema_version": 1, "settings": {"dimensions": dims}, "centers": out}


if __name__ == "__main__":  # pragma: no cover
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"intake-{n}.xlsx")
    make_intake(out, n, mix=sys.argv[3] if len(sys.argv) > 3 else "realistic")
    print(out)
