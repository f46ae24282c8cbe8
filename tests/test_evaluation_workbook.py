"""The scoring workbook template, reading it back, the results workbook and evaluate_file."""

from __future__ import annotations

import hashlib
import re
import shutil
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from toolkit.adapters.config_file import load_config
from toolkit.adapters.evaluation_workbook import (
    TEMPLATE_VERSION,
    evaluate_file,
    read_evaluation_workbook,
    results_path,
    write_evaluation_template,
    write_results_workbook,
)
from toolkit.core.config import Config, EvaluationConfig
from toolkit.core.evaluation import evaluate
from toolkit.core.uscc import make_uscc
from toolkit.errors import InputFileError
from toolkit.resources import samples_dir

CONFIG = Config(year=2026, reference_date=date(2026, 3, 31))
LEAD_USCC = make_uscc("91130104MA0A00001")
EXPERTS = [("ZJ01", "王建华", "", "北京理工大学", "", "省外", "智能制造", "同行专家"),
           ("ZJ02", "刘志远", "", "华芯研究院", LEAD_USCC, "省内", "电子信息", "同行专家"),
           ("ZJ03", "陈静", "", "河北科技大学", "", "省内", "生物医药", "同行专家"),
           ("ZJ04", "赵敏", "", "天津科技评估中心", "", "省外", "科技管理", "管理专家"),
           ("ZJ05", "孙立军", "13010519750612301X", "河北工业大学", "", "省内", "新材料", "同行专家"),
           ("ZJ06", "周红梅", "", "山东科技评估中心", "", "省外", "科技评估", "管理专家")]
ROSTER = [("C1", "石家庄市甲技术创新中心", "河北华芯智能传感科技有限公司", LEAD_USCC, "河北科技大学", "", "长安区", "参评"),
          ("C2", "石家庄市乙技术创新中心", "石家庄康瑞药业股份有限公司", "", "", "", "桥西区", "参评"),
          ("C3", "石家庄市丙技术创新中心", "石家庄绿源环保科技有限公司", "", "", "", "鹿泉区", "缓评")]
GOOD = (12, 16, 24, 16, 12)


def fill(path: Path, *, roster=ROSTER, experts=EXPERTS, scores=None, personnel=(), declarations=(),  # noqa: ANN001
         totals: str = "number") -> Path:
    """A workbook from the template, filled in; ``totals``: number, formula (template's), or none."""
    write_evaluation_template(path)
    wb = load_workbook(path)
    for sheet, rows in (("中心名单", roster), ("专家名单", experts), ("中心人员", personnel), ("利益关系申报", declarations)):
        for r, values in enumerate(rows, start=4):
            for c, v in enumerate(values, start=1):
                wb[sheet].cell(row=r, column=c, value=v or None)
    ws = wb["专家打分"]
    if scores is None:
        scores = [(cid, e[0], GOOD, "否") for cid in ("C1", "C2") for e in experts]
    for r, (cid, eid, dims, recuse) in enumerate(scores, start=4):
        ws.cell(row=r, column=1, value=cid)
        ws.cell(row=r, column=2, value=eid)
        for c, v in enumerate(dims, start=3):
            ws.cell(row=r, column=c, value=v)
        if totals == "number":
            ws.cell(row=r, column=8, value=sum(v for v in dims if isinstance(v, int | float)))
        elif totals == "none":
            ws.cell(row=r, column=8, value=None)
        ws.cell(row=r, column=9, value=recuse)
    wb.save(path)
    return path


def cache_formula_values(path: Path, values: dict[int, float]) -> None:
    """Give the 合计 formulas of some rows a cached value, as Excel does when it saves."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                text = data.decode("utf-8")
                for row, value in values.items():
                    text = re.sub(rf'(<c r="H{row}"[^>]*><f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\g<1><v>{value}</v>", text)
                data = text.encode("utf-8")
            dst.writestr(item, data)
    tmp.replace(path)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ the template

def test_template_sheets_stamp_validations_and_formulas(tmp_path: Path) -> None:
    path = write_evaluation_template(tmp_path / "打分表.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["中心名单", "中心人员", "专家名单", "专家打分", "利益关系申报", "填表说明"]
    assert wb.defined_names["TIC_TEMPLATE"].attr_text == f'"{TEMPLATE_VERSION}"' == '"evaluation/1"'
    ws = wb["专家打分"]
    assert ws.freeze_panes == "C4" and ws["H4"].value == '=IF(COUNT(C4:G4)=0,"",SUM(C4:G4))'
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$3:$3"
    dvs = {(dv.type, dv.formula1, dv.formula2, str(dv.sqref)) for dv in ws.data_validations.dataValidation}
    assert ("decimal", "0", "15", "C4:C1003") in dvs and ("decimal", "0", "30", "E4:E1003") in dvs
    assert ("list", '"是,否"', None, "I4:I1003") in dvs
    roster_lists = {dv.formula1 for dv in wb["中心名单"].data_validations.dataValidation if dv.type == "list"}
    assert roster_lists == {'"参评,未参评,中途退出,缓评,视同合格"'}
    expert_lists = {dv.formula1 for dv in wb["专家名单"].data_validations.dataValidation if dv.type == "list"}
    assert expert_lists == {'"省内,省外"', '"同行专家,管理专家"'}
    assert all(dv.prompt for dv in ws.data_validations.dataValidation)


def test_template_follows_configured_dimensions(tmp_path: Path) -> None:
    config = Config(year=2027, reference_date=date(2027, 3, 31),
                    evaluation=EvaluationConfig(dimensions={"组织管理": 20, "研发产出": 50, "转化应用": 30}))
    ws = load_workbook(write_evaluation_template(tmp_path / "t.xlsx", config))["专家打分"]
    assert [ws.cell(row=3, column=c).value for c in range(3, 7)] == ["*组织管理\n（20分）", "*研发产出\n（50分）",
                                                                    "*转化应用\n（30分）", "合计"]
    assert ws["F4"].value == '=IF(COUNT(C4:E4)=0,"",SUM(C4:E4))'


def test_empty_template_reads_as_nothing(tmp_path: Path) -> None:
    data = read_evaluation_workbook(write_evaluation_template(tmp_path / "t.xlsx"))
    assert (data.centers, data.experts, data.scores, data.read_findings) == ([], [], [], [])


# ------------------------------------------------------------------ reading

def test_read_and_evaluate_a_filled_template(tmp_path: Path) -> None:
    path = fill(tmp_path / "评估.xlsx", personnel=[("C2", "孙立军", "13010519750612301x", "别的单位")],
                declarations=[("ZJ03", "C1", "共建单位人员")])
    data = read_evaluation_workbook(path)
    assert [c.center_id for c in data.centers] == ["C1", "C2", "C3"]
    assert data.centers[0].partners == ("河北科技大学",) and data.scores[0].cells["组织管理"] == "C4"
    result = evaluate(data, CONFIG)
    c1, c2, c3 = result.centers
    assert [(e.expert_id, e.rule, e.matched_by) for e in c1.exclusions] == [
        ("ZJ02", "A33.LEAD", "uscc"), ("ZJ03", "A33.PARTNER", "normalised_name"), ("ZJ03", "A33.DECLARED", "declared_sheet")]
    assert [(e.expert_id, e.rule, e.matched_by) for e in c2.exclusions] == [("ZJ05", "A33.SELF", "id_number")]
    assert (c1.valid_experts, c1.grade, c2.valid_experts, c2.grade, c3.grade) == (4, None, 5, "合格", None)
    assert result.source.file == "评估.xlsx" and result.source.sha256 == sha(path)


def test_formula_total_without_cached_value_is_recomputed(tmp_path: Path) -> None:
    path = fill(tmp_path / "f.xlsx", totals="formula")
    data = read_evaluation_workbook(path)
    assert all(s.total_formula_missing for s in data.scores)
    result = evaluate(data, CONFIG)
    assert [f.rule for f in result.file_findings] == ["DATA.FORMULA"]
    assert "12个合计公式" in result.file_findings[0].message
    assert result.centers[1].grade == "合格"
    assert not [f for f in result.all_findings() if f.rule.startswith("SCORE.") or f.rule == "DATA.TYPE"]


def test_formula_total_with_cached_value_is_checked(tmp_path: Path) -> None:
    path = fill(tmp_path / "f.xlsx", totals="formula")
    cache_formula_values(path, {r: 80 for r in range(4, 16)} | {15: 79.5})
    data = read_evaluation_workbook(path)
    assert not any(s.total_formula_missing for s in data.scores) and data.scores[0].total == 80
    result = evaluate(data, CONFIG)
    c2 = result.centers[1]
    assert [(f.rule, f.cell) for f in c2.findings if f.severity.value == "error"] == [("SCORE.TOTAL", "H15")]
    assert c2.grade is None and not [f for f in result.file_findings if f.rule == "DATA.FORMULA"]


def test_headers_in_another_order_with_title_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["2026年度绩效评估参评中心"])
    ws.append(["参评状态", "中心名称", "中心编号", "依托单位名称"])
    ws.append(["参评", "石家庄市甲技术创新中心", "C1", "甲公司"])
    ex = wb.create_sheet("专家")
    ex.append(["专家编号", "专家姓名", "省内外", "工作单位"])
    for i in range(1, 6):
        ex.append([f"E{i}", f"专家{i}", "省内" if i % 2 else "省外", f"单位{i}"])
    sc = wb.create_sheet("打分")
    sc.append(["专家编号", "中心编号", "开放协作(15分)", "转化应用（20分）", "研发产出", "研发条件", "组织管理", "总分"])
    for i in range(1, 6):
        sc.append([f"E{i}", "C1", 12, 16, 24, 16, 12, 80])
    wb.save(tmp_path / "x.xlsx")
    data = read_evaluation_workbook(tmp_path / "x.xlsx")
    assert data.sheets["roster"] == "名单" and data.scores[0].scores["开放协作"] == 12
    result = evaluate(data, CONFIG)
    assert result.centers[0].grade == "合格"
    # no 中心人员 sheet: a warning; no 专家类别 column: the panel mix is checked on 省内/省外 only
    assert [(f.rule, f.severity.value) for f in result.file_findings] == [("DATA.HEADER", "warning")]
    assert "中心人员" in result.file_findings[0].message


def test_missing_dimension_column_withholds_every_grade(tmp_path: Path) -> None:
    path = fill(tmp_path / "m.xlsx")
    wb = load_workbook(path)
    wb["专家打分"]["G3"] = "备用"
    wb.save(path)
    result = evaluate(read_evaluation_workbook(path), CONFIG)
    assert any(f.rule == "DATA.HEADER" and f.severity.value == "error" and "开放协作" in f.message
               for f in result.file_findings)
    assert all(c.grade is None for c in result.centers) and result.exit_status == 1


def test_id_number_stored_as_a_number_is_not_used(tmp_path: Path) -> None:
    experts = [*EXPERTS[:4], ("ZJ05", "孙立军", 130105197506123010, "河北工业大学", "", "省内", "", "同行专家"), EXPERTS[5]]
    path = fill(tmp_path / "n.xlsx", experts=experts, personnel=[("C2", "孙立军", "130105197506123010", "别处")])
    result = evaluate(read_evaluation_workbook(path), CONFIG)
    assert any(f.rule == "DATA.TYPE" and "存成了数字" in f.message for f in result.file_findings)
    assert result.centers[1].exclusions == []


def test_missing_personnel_sheet_is_a_warning(tmp_path: Path) -> None:
    path = fill(tmp_path / "p.xlsx")
    wb = load_workbook(path)
    del wb["中心人员"]
    wb.save(path)
    result = evaluate(read_evaluation_workbook(path), CONFIG)
    assert any(f.rule == "DATA.HEADER" and "中心人员" in f.message and f.severity.value == "warning"
               for f in result.file_findings)
    assert result.centers[1].grade == "合格"


def test_not_a_workbook(tmp_path: Path) -> None:
    bad = tmp_path / "坏.xlsx"
    bad.write_text("中心编号,专家编号\n", encoding="utf-8")
    with pytest.raises(InputFileError):
        read_evaluation_workbook(bad)


# ------------------------------------------------------------------ results workbook and evaluate_file

@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sample")
    src = folder / "评估打分表-2026.xlsx"
    shutil.copy(samples_dir() / "评估打分表-2026.xlsx", src)
    return src, folder / "out"


def test_sample_workbook_grades_and_recusal_paths(sample: tuple[Path, Path]) -> None:
    src, out = sample
    before = sha(src)
    result = evaluate_file(src, load_config(samples_dir() / "tic.toml"), out_dir=out)
    assert sha(src) == before
    grades = {c.center.center_id: c.grade for c in result.centers}
    assert grades["SJZTIC-2017-002"] == grades["SJZTIC-2018-001"] == grades["SJZTIC-2021-001"] == "优秀"
    assert grades["SJZTIC-2019-002"] == grades["SJZTIC-2020-002"] == "不合格"
    assert grades["SJZTIC-2020-003"] == "合格" and grades["SJZTIC-2022-001"] is None and grades["SJZTIC-2023-001"] is None
    assert sorted(g for g in grades.values() if g).count("合格") == 8
    paths = {(e.expert_id, e.center_id, e.rule, e.matched_by) for c in result.centers for e in c.exclusions}
    assert {("ZJ002", "SJZTIC-2017-001", "A33.LEAD", "uscc"),
            ("ZJ003", "SJZTIC-2023-003", "A33.PARTNER", "normalised_name"),
            ("ZJ005", "SJZTIC-2019-002", "A33.SELF", "id_number"),
            ("ZJ008", "SJZTIC-2019-001", "A33.DECLARED", "declared_row")} <= paths
    kangrui = next(c for c in result.centers if c.center.center_id == "SJZTIC-2017-002")
    assert kangrui.valid_experts == 9  # ZJ007 of 石家庄康瑞医药有限公司 is not the lead 石家庄康瑞药业股份有限公司
    assert next(c for c in result.centers if c.center.center_id == "SJZTIC-2021-001").total == 85
    assert result.exit_status == 0 and results_path(src, out).is_file()


def test_results_workbook_content(sample: tuple[Path, Path]) -> None:
    src, out = sample
    wb = load_workbook(results_path(src, out))
    assert wb.sheetnames == ["评估结果", "回避明细", "专家评分矩阵", "问题清单", "统计图表"]
    ws = wb["评估结果"]
    header = [ws.cell(row=3, column=c).value for c in range(1, ws.max_column + 1)]
    assert header[:6] == ["排名", "中心编号", "中心名称", "参评状态", "有效专家", "回避专家"] and header[-3:] == ["总分", "等级", "备注"]
    rows = {ws.cell(row=r, column=2).value: r for r in range(4, ws.max_row + 1)}
    r = rows["SJZTIC-2021-001"]
    assert (ws.cell(row=r, column=1).value, ws.cell(row=r, column=12).value, ws.cell(row=r, column=13).value) == (3, 85.0, "优秀")
    assert ws.cell(row=r, column=13).fill.fgColor.rgb.endswith("C6EFCE")
    assert ws.cell(row=rows["SJZTIC-2019-002"], column=13).fill.fgColor.rgb.endswith("FFC7CE")
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1 and ws.print_title_rows == "$3:$3"
    rec = wb["回避明细"]
    lines = [[rec.cell(row=r, column=c).value for c in (2, 5, 9, 10)] for r in range(4, rec.max_row + 1)]
    assert ["ZJ002", "SJZTIC-2017-001", "自动发现（未申报）", "统一社会信用代码"] in lines
    assert ["ZJ005", "SJZTIC-2019-002", "已申请回避", "证件号码"] in lines
    matrix = wb["专家评分矩阵"]
    r = next(r for r in range(4, matrix.max_row + 1) if matrix.cell(row=r, column=1).value == "SJZTIC-2017-001")
    assert matrix.cell(row=r, column=4).fill.fgColor.rgb.endswith("D9D9D9")  # ZJ002 excluded
    assert matrix.cell(row=r, column=3).fill.fill_type is None
    problems = wb["问题清单"]
    assert {problems.cell(row=r, column=3).value for r in range(4, problems.max_row + 1)} >= {
        "A33.UNDECLARED", "SCORE.OUTLIER", "DATA.FORMULA", "A33.LEAD"}
    assert len(wb["统计图表"]._charts) == 2
    text = " ".join(str(c.value) for s in wb.worksheets for row in s.iter_rows() for c in row if c.value)
    assert "13010519750612301" not in text and "3015" in text  # ID numbers masked, last four kept


def test_results_for_ungraded_and_empty(tmp_path: Path) -> None:
    path = fill(tmp_path / "e.xlsx", scores=[])
    result = evaluate(read_evaluation_workbook(path), CONFIG)
    target = write_results_workbook(result, tmp_path / "e.评估结果.xlsx")
    wb = load_workbook(target)
    assert wb["回避明细"]["A4"].value == "本次评估没有需要回避的评分。"
    assert [wb["评估结果"].cell(row=r, column=13).value for r in (4, 5, 6)] == ["未定级"] * 3


def test_speed_500_centers_end_to_end(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "中心名单"
    ws.append(["中心编号", "中心名称", "依托单位名称", "依托单位统一社会信用代码", "共建单位名称", "参评状态"])
    for i in range(500):
        ws.append([f"C{i:03d}", f"石家庄市{i}技术创新中心", f"公司{i}", make_uscc(f"91130100MA{i:07d}"), "河北科技大学", "参评"])
    people = wb.create_sheet("中心人员")
    people.append(["中心编号", "姓名", "证件号码", "所在单位"])
    for i in range(500):
        people.append([f"C{i:03d}", f"人员{i}", f"1301021980{i:08d}", f"公司{i}"])
    ex = wb.create_sheet("专家名单")
    ex.append(["专家编号", "姓名", "工作单位", "省内/省外", "专家类别"])
    for j in range(9):
        ex.append([f"E{j}", f"专家{j}", f"单位{j}", "省内" if j % 2 else "省外", "管理专家" if j % 3 == 0 else "同行专家"])
    sc = wb.create_sheet("专家打分")
    sc.append(["中心编号", "专家编号", "组织管理", "研发条件", "研发产出", "转化应用", "开放协作", "合计", "申请回避"])
    for i in range(500):
        for j in range(9):
            dims = [12, 16, 24 - (i + j) % 5, 16, 12]
            sc.append([f"C{i:03d}", f"E{j}", *dims, sum(dims), "否"])
    src = tmp_path / "big.xlsx"
    wb.save(src)
    start = time.perf_counter()
    result = evaluate_file(src, CONFIG, out_dir=tmp_path)
    elapsed = time.perf_counter() - start
    assert result.summary()["graded"] == 500 and results_path(src, tmp_path).is_file()
    assert elapsed < 10.0, f"{elapsed:.2f}s"


def test_the_blank_notes_state_the_configured_maxima_and_grade_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The notes said 合计100分 and 85/60 whatever the cycle's configuration graded with."""
    from datetime import date

    from openpyxl import load_workbook

    from toolkit.adapters.evaluation_workbook import write_evaluation_template
    from toolkit.core.config import config_from_dict

    config = config_from_dict({"cycle": {"year": 2026, "reference_date": date(2026, 3, 31)},
                               "evaluation": {"dimensions": {"组织管理": 20, "研发条件": 20, "研发产出": 30,
                                                             "转化应用": 20, "开放协作": 30},
                                              "excellent": 90, "passing": 65, "aggregation": "trimmed"}})
    wb = load_workbook(write_evaluation_template(tmp_path / "打分表.xlsx", config))
    text = "\n".join(str(c.value) for row in wb["填表说明"].iter_rows() for c in row if c.value)
    assert "合计120分" in text and "总分≥90分为优秀，65分≤总分<90分为合格，<65分为不合格" in text
    assert "去掉一个最高分和一个最低分" in text and "100分" not in text and "85" not in text
