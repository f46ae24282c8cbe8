"""Write the sample district intake workbooks (deterministic; run from the project root).

    python sample_workbooks/_make_intake.py

Each workbook is filled in the messy ways real returned workbooks are (workbooks.md):
title rows, header variants, columns in another order, numbers and dates as text,
full-width digits, √/×, blank rows, a notes block, a hidden column, an extra column,
a formula never computed. The mix of rows is chosen so that each district has
eligible, to-review and ineligible applications, and one company applies in two
districts for the same key field (a cross-district duplicate for ``tic collect``).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from toolkit.core.uscc import make_uscc  # noqa: E402

STD = [
    "序号", "县（市、区）", "拟建中心名称", "英文名称关键词", "依托单位名称", "依托单位统一社会信用代码", "依托单位性质",
    "注册地", "注册日期", "是否建有相对独立的研发机构", "上年度销售收入（万元）", "上年度科技经费投入（万元）",
    "共建单位名称", "共建单位统一社会信用代码", "市内共建企业数", "是否签订共建协议", "依托单位科研条件占比（%）",
    "依托单位研发人员占比（%）", "依托单位科研项目占比（%）", "依托单位科技成果占比（%）", "重点领域", "研发方向",
    "自主知识产权数（件）", "固定人员数（人）", "技术带头人", "技术带头人信用记录", "依托单位信用记录", "共建单位信用记录",
    "研发用房面积（平方米）", "仪器设备原值（万元）", "中心主任", "主任出生日期", "主任是否兼任其他平台负责人",
    "主任每年在中心工作时间（月）", "同领域同方向是否已有国家级或省级技术创新中心", "联系人", "联系电话", "是否推荐", "备注",
]
KEYS = [
    "seq", "district", "center_name", "center_name_en", "lead_name", "lead_uscc", "lead_type", "reg_place", "reg_date",
    "rd_org", "sales", "rd_spend", "partners", "partner_usccs", "city_partner_enterprises", "agreement",
    "share_conditions", "share_staff", "share_projects", "share_outcomes", "key_field", "rd_direction", "ip_count",
    "fixed_staff", "tech_leader", "leader_credit", "lead_credit", "partner_credit", "rd_space", "equipment", "director",
    "director_birth", "director_other", "director_months", "higher_tic", "contact", "phone", "recommend", "remarks",
]
UNI = make_uscc("12130000401702013")  # a university (事业单位)


def ent(code: str, org: str) -> str:
    return make_uscc(f"91{code}{org}")


def base(district: str, code: str, n: int, field: str, topic: str, en: str, company: str, org: str) -> dict:
    return {
        "district": district, "center_name": f"石家庄市{topic}技术创新中心", "center_name_en": en,
        "lead_name": company, "lead_uscc": ent(code, org), "lead_type": "企业",
        "reg_place": f"河北省石家庄市{district}{['中山路', '裕华路', '建设大街', '槐安路', '和平路'][n % 5]}{100 + n * 7}号",
        "reg_date": datetime(2010 + n % 10, 1 + n % 12, 1 + (n * 3) % 27), "rd_org": "是",
        "sales": 3000 + n * 731, "rd_spend": 150 + n * 37, "partners": None, "partner_usccs": None,
        "city_partner_enterprises": None, "agreement": None, "share_conditions": None, "share_staff": None,
        "share_projects": None, "share_outcomes": None, "key_field": field, "rd_direction": f"{topic}关键技术研发与产业化",
        "ip_count": 6 + n % 9, "fixed_staff": 18 + n % 20, "tech_leader": None, "leader_credit": "无不良记录",
        "lead_credit": "无不良记录", "partner_credit": None, "rd_space": 600 + n * 45, "equipment": 260 + n * 33,
        "director": None, "director_birth": datetime(1970 + n % 15, 1 + (n * 5) % 12, 1 + (n * 7) % 27),
        "director_other": "否", "director_months": 10 + n % 3, "higher_tic": "否", "contact": None,
        "phone": f"1{['38', '39', '58', '86', '51'][n % 5]}{31000000 + n * 7919:08d}", "recommend": "是", "remarks": None,
    }


PEOPLE = ["王建军", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周涛", "吴昊", "徐丽", "孙强", "马俊",
          "朱琳", "胡斌", "郭鹏", "何雪", "高峰", "林涛", "罗娟"]


def people(row: dict, n: int) -> None:
    row["tech_leader"] = PEOPLE[n % len(PEOPLE)]
    row["director"] = PEOPLE[(n + 7) % len(PEOPLE)]
    row["contact"] = PEOPLE[(n + 3) % len(PEOPLE)]


def changan() -> list[dict]:
    d, c = "长安区", "130102"
    topics = [
        ("新一代电子信息", "智能物联网终端", "Intelligent IoT Terminals", "河北智联物联网科技有限公司", "MA0CA1010"),
        ("生物医药健康", "靶向抗肿瘤药物", "Targeted Anti-tumor Drugs", "石家庄华康制药有限公司", "MA0CA1021"),
        ("先进装备制造", "智能仓储物流装备", "Intelligent Warehousing Equipment", "河北速通物流装备有限公司", "MA0CA1032"),
        ("新材料", "石墨烯导热膜", "Graphene Thermal Films", "石家庄烯碳新材料有限公司", "MA0CA1043"),
        ("现代食品", "杂粮功能食品", "Functional Grain Foods", "河北五谷坊食品有限公司", "MA0CA1054"),
        ("节能环保", "工业余热回收", "Industrial Waste Heat Recovery", "石家庄热能节能科技有限公司", "MA0CA1065"),
        ("新一代电子信息", "信创软件适配", "Information Innovation Software", "河北信创软件股份有限公司", "MA0CA1076"),
        ("生物医药健康", "体外诊断试剂", "In Vitro Diagnostics", "石家庄博诊生物技术有限公司", "MA0CA1087"),
        ("先进装备制造", "精密减速器", "Precision Reducers", "河北精传动力机械有限公司", "MA0CA1098"),
        ("新材料", "特种工程塑料", "Special Engineering Plastics", "石家庄塑研新材料有限公司", "MA0CA1109"),
        ("节能环保", "污水深度处理", "Advanced Wastewater Treatment", "河北清源水处理技术有限公司", "MA0CA1110"),
        ("现代食品", "速冻调理食品", "Quick-frozen Prepared Foods", "石家庄鲜味坊食品有限公司", "MA0CA1121"),
        ("新一代电子信息", "智慧医疗影像", "Smart Medical Imaging", "河北影联医疗科技有限公司", "MA0CA1132"),
        ("先进装备制造", "高端液压件", "High-end Hydraulic Components", "石家庄恒力液压有限公司", "MA0CA1143"),
        ("新材料", "稀土永磁材料", "Rare Earth Permanent Magnets", "河北磁源新材料有限公司", "MA0CA1154"),
        ("生物医药健康", "高端医用敷料", "Advanced Medical Dressings", "石家庄护康医疗用品有限公司", "MA0CA1165"),
    ]
    rows = []
    for n, (field, topic, en, company, org) in enumerate(topics):
        r = base(d, c, n, field, topic, en, company, org)
        people(r, n)
        rows.append(r)
    # messy spellings of eligible values
    rows[0]["sales"] = "8,650"  # thousands separator
    rows[0]["reg_date"] = "2012/6/18"
    rows[1]["sales"] = "１２０００"  # full-width digits
    rows[1]["rd_org"] = "√"
    rows[2]["reg_date"] = "2015年3月5日"
    rows[2]["rd_spend"] = "360万元"
    rows[3]["director_other"] = "×"
    rows[3]["reg_date"] = "20130721"
    # ineligible rows
    rows[4]["sales"] = 1999.99  # just below 2000 (A10.2.SALES)
    rows[5]["reg_date"] = datetime(2023, 7, 1)  # one day short of three years on 2026-06-30 (A10.1.YEARS)
    rows[6]["director_birth"] = datetime(1965, 6, 30)  # 61 on the reference date (A16.DIRECTOR-AGE)
    rows[7]["fixed_staff"] = "12人"  # A10.4.STAFF
    rows[8]["key_field"] = "人工智能"  # not a key field this year (A10.3.FIELD)
    rows[9]["higher_tic"] = "是"  # A28.HIGHER-TIC
    rows[9]["remarks"] = "已有省级技术创新中心"
    # on the boundaries: eligible
    rows[10]["sales"] = 2000
    rows[10]["rd_spend"] = 100
    rows[10]["fixed_staff"] = 15
    rows[10]["rd_space"] = 500
    rows[10]["director_birth"] = datetime(1966, 6, 30)  # exactly 60 on the reference date 2026-06-30
    rows[10]["reg_date"] = datetime(2023, 6, 30)  # exactly three years on 2026-06-30
    # to review (warnings only)
    rows[11]["sales"] = 23500000  # entered in 元 (DATA.UNIT)
    rows[11]["phone"] = "1381234"  # neither mobile nor landline (DATA.PHONE)
    rows[12]["lead_uscc"] = make_uscc("91130000MA0CA1132")  # province-registered: accepted silently
    rows[12]["phone"] = "0311-8566 1234"
    # a joint build with a university co-builder and good shares, as percent text
    rows[13]["partners"] = "河北科技大学"
    rows[13]["partner_usccs"] = UNI
    rows[13]["agreement"] = "已签订"
    rows[13]["share_conditions"] = "70%"
    rows[13]["share_staff"] = 0.65
    rows[13]["share_projects"] = 60
    rows[13]["share_outcomes"] = "55%"
    rows[13]["partner_credit"] = "无"
    # wrong check character in the USCC (DATA.USCC)
    rows[14]["lead_uscc"] = rows[14]["lead_uscc"][:-1] + ("0" if rows[14]["lead_uscc"][-1] != "0" else "1")
    # joint build where the lead's share is too small (A10.8.LEAD-SHARE) and no agreement
    rows[15]["partners"] = "河北医科大学；石家庄四药有限公司"
    rows[15]["partner_usccs"] = f"{make_uscc('12130000401705016')}；{ent('130104', 'MA0CA2001')}"
    rows[15]["agreement"] = "否"
    rows[15]["share_conditions"] = "45%"
    rows[15]["share_staff"] = "60%"
    rows[15]["share_projects"] = "50%"
    rows[15]["share_outcomes"] = "52%"
    rows[15]["partner_credit"] = "无不良记录"
    return rows


def gaoxin() -> list[dict]:
    d, c = "高新区", "130171"
    topics = [
        ("生物医药健康", "生物制剂", "Biologics", "石药集团恩必普药业有限公司", "MA0GX2010"),
        ("新一代电子信息", "卫星导航芯片", "Satellite Navigation Chips", "河北北斗星芯科技有限公司", "MA0GX2021"),
        ("新材料", "碳化硅衬底", "Silicon Carbide Substrates", "石家庄晶碳半导体材料有限公司", "MA0GX2032"),
        ("先进装备制造", "手术机器人", "Surgical Robots", "河北医工机器人有限公司", "MA0GX2043"),
        ("节能环保", "氢燃料电池", "Hydrogen Fuel Cells", "石家庄氢动新能源科技有限公司", "MA0GX2054"),
        ("生物医药健康", "基因检测", "Genetic Testing", "河北基因谷生物科技有限公司", "MA0GX2065"),
        ("新一代电子信息", "工业视觉检测", "Industrial Machine Vision", "石家庄慧眼智能科技有限公司", "MA0GX2076"),
        ("新材料", "高纯溅射靶材", "High-purity Sputtering Targets", "河北靶材科技有限公司", "MA0GX2087"),
        ("现代食品", "益生菌制剂", "Probiotic Preparations", "石家庄益生元生物科技有限公司", "MA0GX2098"),
        ("先进装备制造", "激光加工装备", "Laser Processing Equipment", "河北光速激光装备有限公司", "MA0GX2109"),
        ("节能环保", "VOCs治理", "VOCs Abatement", "石家庄净气环保设备有限公司", "MA0GX2110"),
        ("生物医药健康", "疫苗佐剂", "Vaccine Adjuvants", "河北免疫生物制品有限公司", "MA0GX2121"),
        ("新一代电子信息", "电力物联网", "Power IoT", "石家庄电网智能科技有限公司", "MA0GX2132"),
        ("新材料", "锂电隔膜", "Lithium Battery Separators", "河北隔膜新能源材料有限公司", "MA0GX2143"),
        ("先进装备制造", "智能检测仪器", "Intelligent Testing Instruments", "石家庄精测仪器有限公司", "MA0GX2154"),
        ("生物医药健康", "中药创新药", "Innovative TCM Drugs", "河北药研院有限公司", "MA0GX2165"),
        ("新一代电子信息", "智能物联网终端", "Intelligent IoT Terminals", "河北智联物联网科技有限公司", "MA0CA1010"),
    ]
    rows = []
    for n, (field, topic, en, company, org) in enumerate(topics):
        r = base(d, c, n + 20, field, topic, en, company, org)
        people(r, n + 5)
        rows.append(r)
    # the last row: the same company as 长安区 row 1, same key field (cross-district duplicate, DATA.DUPLICATE)
    rows[16]["lead_uscc"] = ent("130102", "MA0CA1010")
    rows[16]["center_name"] = "石家庄市物联网终端技术创新中心"
    rows[16]["reg_place"] = "石家庄市长安区中山路100号"
    rows[0]["reg_place"] = "石家庄高新区黄河大道136号"
    rows[1]["reg_place"] = "鹿泉市上庄镇"  # former name still on an old licence
    rows[2]["reg_place"] = "河北省邢台市桥西区中华大街8号"  # not Shijiazhuang (A10.1.CITY)
    rows[3]["lead_type"] = "科研院所"  # a research institute with two city enterprises as co-builders
    rows[3]["lead_name"] = "河北省医疗器械研究所"
    rows[3]["lead_uscc"] = make_uscc("12130100401703019")
    rows[3]["rd_org"] = rows[3]["sales"] = rows[3]["rd_spend"] = None
    rows[3]["partners"] = "石家庄精测仪器有限公司、河北医工装备有限公司"
    rows[3]["partner_usccs"] = f"{ent('130171', 'MA0GX2154')}、{ent('130108', 'MA0GX3001')}"
    rows[3]["city_partner_enterprises"] = 2
    rows[3]["agreement"] = "是"
    for k in ("share_conditions", "share_staff", "share_projects", "share_outcomes"):
        rows[3][k] = "60%"
    rows[3]["partner_credit"] = "无不良记录"
    rows[4]["lead_type"] = "高等院校"  # a university with only one enterprise in the city (A10.2.PARTNERS)
    rows[4]["lead_name"] = "河北科技大学"
    rows[4]["lead_uscc"] = UNI
    rows[4]["rd_org"] = rows[4]["sales"] = rows[4]["rd_spend"] = None
    rows[4]["partners"] = "石家庄氢动新能源科技有限公司；北京氢能科技有限公司"
    rows[4]["partner_usccs"] = f"{ent('130171', 'MA0GX2054')}；{make_uscc('91110108MA0BJ0001')}"
    rows[4]["city_partner_enterprises"] = 2  # declared 2, only 1 is an enterprise in the city
    rows[4]["agreement"] = "是"
    for k in ("share_conditions", "share_staff", "share_projects", "share_outcomes"):
        rows[4][k] = 0.7
    rows[4]["partner_credit"] = "无"
    rows[5]["lead_credit"] = "有不良记录"  # A10.1.CREDIT
    rows[6]["director_months"] = 6  # A16.DIRECTOR-MONTHS
    rows[7]["rd_spend"] = 99.5  # A10.2.RD-SPEND
    rows[8]["equipment"] = "180"  # A10.6.EQUIPMENT
    rows[9]["director_birth"] = "1969.2.29"  # no such day (DATA.TYPE)
    rows[10]["sales"] = "2.6亿元"  # converted to 万元 (DATA.UNIT warning)
    rows[11]["rd_direction"] = "无"  # A10.3.DIRECTION
    rows[12]["ip_count"] = "=2+3"  # a formula nobody computed (DATA.FORMULA)
    rows[13]["rd_org"] = "有"
    rows[13]["reg_date"] = 40179  # an Excel serial number without a date format (2010-01-01)
    rows[14]["center_name"] = "精测仪器工程技术研究中心"  # A10.7.NAME
    rows[15]["phone"] = "0311-8766 5432转801"
    return rows


def write(path: Path, rows: list[dict], *, district: str, order: list[int] | None, messy_headers: dict[str, str],
          extra: str | None, hide: str | None, blank_after: set[int]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "申报汇总"
    cover = wb.create_sheet("封面", 0)
    cover["A1"] = f"{district}科学技术局 2026年度市级技术创新中心推荐材料"
    idx = order or list(range(len(KEYS)))
    headers = [messy_headers.get(KEYS[i], STD[i]) for i in idx]
    if extra:
        headers.append(extra)
    ws.append(["2026年度石家庄市技术创新中心申报汇总表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws["A1"].font = Font(name="黑体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([f"推荐单位（盖章）：{district}科学技术局", None, None, None, "填报日期：2026年3月20日"])
    ws.append(headers)
    for c in ws[3]:
        c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        c.font = Font(bold=True)
    ws.row_dimensions[3].height = 48
    for n, row in enumerate(rows, start=1):
        values = [n if KEYS[i] == "seq" else row.get(KEYS[i]) for i in idx]
        if extra:
            values.append("同意推荐" if row.get("recommend") == "是" else "")
        ws.append(values)
        for cell in ws[ws.max_row]:
            if cell.value is not None and isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd"
        if n in blank_after:
            ws.append([])
    ws.append([])
    ws.append(["填表说明：1. 金额单位为万元；2. 日期格式为年-月-日；3. 多个共建单位用分号分隔。"])
    ws.append(["          4. 信用记录由归口管理部门核实（第六条第（五）项）。"])
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=3, column=i).column_letter].width = 14 if len(h) < 8 else 18
    if hide:
        ws.column_dimensions[hide].hidden = True
    ws.freeze_panes = "D4"
    wb.save(path)


def main() -> None:
    out = HERE / "区县申报"
    out.mkdir(exist_ok=True)
    write(out / "长安区-2026年技术创新中心申报汇总表.xlsx", changan(), district="长安区", order=None,
          messy_headers={"sales": "上年度销售收入\n(万元)", "rd_spend": "*上年度研发经费投入（万元）",
                         "fixed_staff": "★固定人员\n（人）", "lead_uscc": "依托单位 统一社会信用代码",
                         "district": "所属县（市、区）"},
          extra="区科技局审核意见", hide=None, blank_after={5, 11})
    order = list(range(len(KEYS)))
    # 高新区 returns its columns in another order: the identity columns first, money later
    order = [0, 2, 1, 4, 5, 6, 20, 21, 3, *range(7, 20), *range(22, len(KEYS))]
    write(out / "高新区-申报汇总（报市局）.xlsx", gaoxin(), district="高新区", order=order,
          messy_headers={"center_name": "技术创新中心名称", "lead_name": "申报单位", "sales": "上年度营业收入(万元)",
                         "rd_space": "科研用房面积（平方米）", "equipment": "科研仪器设备原值（万元）",
                         "district": "县市区"},
          extra=None, hide="AK", blank_after={8})


if __name__ == "__main__":
    main()
