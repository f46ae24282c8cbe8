"""The Word templates of the letters: GB/T 9704 layout, fields that survive editing, safe rendering."""

from __future__ import annotations

import importlib.util
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner
from lxml import etree

from toolkit.adapters.letter_plan import KINDS, LETTER_FIELDS, letter_title
from toolkit.adapters.letters import check_template, render_letter, template_fields
from toolkit.cli.letters import letters_cmd
from toolkit.errors import TemplateError
from toolkit.resources import templates_dir

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NAME = "石家庄市A&B<C>{{ x }}/D技术创新中心"
LEAD = '河北"甲"&乙<丙>/有限公司'
SAMPLE: dict[str, Any] = {
    "doc_number": "石科字〔2026〕7号", "issuer": "石家庄市科学技术局", "printer": "石家庄市科学技术局办公室",
    "letter_date": "2026年3月5日", "copy_to_text": "长安区科技行政管理部门", "cycle_year": 2026,
    "center_id": "SJZTIC-2020-003", "center_name": NAME,
    "center_name_en": "Shi Jiazhuang Technology Innovation Center of A&B <C>", "name_en_clause": "（A&B）",
    "lead_name": LEAD, "partners_text": "甲&乙", "district": "长安区", "district_bureau": "长安区科技行政管理部门",
    "key_field": "先进装备制造", "rd_direction": "工业机器人", "director": "王五",
    "evaluation_year": 2026, "total": "55.5", "score_text": "评估总分为55.5分，", "grade": "不合格",
    "weak_text": "其中，研发产出（14.5分，满分30分）得分低于该项满分的60%，是需要重点整改的方面。",
    "plan_due": "2026年4月4日", "reeval_year": 2027,
    "reasons": [
        {"number": "（一）", "fact": "2025年、2026年绩效评估连续两年不合格", "article": "第三十八条第（二）项",
         "title": "连续两年评估不合格", "rule": "A38.2.TWICE"},
        {"number": "（二）", "fact": "2026年1月10日，提供虚假材料", "article": "第三十八条第（三）项",
         "title": "严重弄虚作假，提供虚假材料和不真实数据", "rule": "A38.3"},
    ],
    "articles_text": "第三十八条第（二）项、第（三）项", "effective_date": "2026年3月5日",
    "retire_fact": "依托单位的技术创新中心已被认定为省级技术创新中心", "end_date": "2026年3月5日",
    "subject_name": NAME, "change_field": "中心主任", "change_text": "由“张三”变更为“李四”",
    "old_value": "张三", "new_value": "李四",
    "report_year": 2025, "deadline": "2026年3月31日", "deadline_text": "2026年3月31日前", "as_of": "2026年3月5日",
    "centers": [{"seq": 1, "district": "长安区", "name": NAME, "lead": LEAD},
                {"seq": 2, "district": "新华区", "name": "石家庄市乙技术创新中心", "lead": "乙公司"}],
    "count": 2,
}
ARTICLES = {
    "approval": ["第三十九条", "第二十九条", "第三十一条", "第三十条", "第二十四条"],
    "approval_notice": ["第十一条", "第二十九条", "第三十九条"],
    "rectification": ["第三十七条"],
    "revocation": ["第三十八条第（二）项", "第三十八条第（三）项"],
    "reward": ["第三十六条"],
    "retire": ["第二十八条"],
    "change": ["第三十条"],
    "reminder": ["第二十九条", "第三十八条第（一）项"],
}


def context(kind: str, **changes: Any) -> dict[str, Any]:
    ctx = {k: SAMPLE[k] for k in LETTER_FIELDS[kind] if k not in ("title", "doc_title")}
    ctx.update(changes)
    ctx.setdefault("title", letter_title(kind, ctx))
    ctx.setdefault("doc_title", ctx["title"].replace("\n", ""))
    return ctx


def template(kind: str) -> bytes:
    return (templates_dir() / f"{kind}.docx").read_bytes()


def text_of(data: bytes) -> str:
    """All the text of a .docx: body paragraphs, table cells and footers."""
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    for section in d.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read(name))


def replace_in_part(data: bytes, name: str, old: str, new: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == name:
                text = blob.decode("utf-8")
                assert old in text
                blob = text.replace(old, new, 1).encode("utf-8")
            dst.writestr(info, blob)
    return out.getvalue()


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders_reopens_and_says_what_it_must(kind: str) -> None:
    out = render_letter(template(kind), context(kind), name=f"{kind}.docx")
    text = text_of(out)
    assert "石科字〔2026〕7号" in text
    assert "石家庄市科学技术局文件" in text
    assert NAME in text  # "&", "<", "{{" and "/" print as themselves
    for article in ARTICLES[kind]:
        assert article in text, article
    assert "印发" in text and "抄送：长安区科技行政管理部门。" in text  # the 版记 survived: nothing truncated


def test_approval_states_english_name_lead_partners_director_direction() -> None:
    text = text_of(render_letter(template("approval"), context("approval")))
    for value in ("Shi Jiazhuang Technology Innovation Center of A&B <C>", LEAD, "甲&乙", "王五", "工业机器人"):
        assert value in text


def test_notice_lists_every_center_in_its_table() -> None:
    out = render_letter(template("approval_notice"), context("approval_notice"))
    table = docx.Document(io.BytesIO(out)).tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows == [["序号", "县（市、区）", "中心名称", "依托单位"], ["1", "长安区", NAME, LEAD],
                    ["2", "新华区", "石家庄市乙技术创新中心", "乙公司"]]


def test_revocation_cites_every_reason_with_article_and_facts() -> None:
    text = text_of(render_letter(template("revocation"), context("revocation")))
    assert "（一）2025年、2026年绩效评估连续两年不合格，属于《办法》第三十八条第（二）项规定的“连续两年评估不合格”情形。" in text
    assert "（二）2026年1月10日，提供虚假材料，属于《办法》第三十八条第（三）项" in text
    assert "自2026年3月5日起生效" in text and "不得再使用" in text


def test_no_copy_to_leaves_out_the_line_but_keeps_the_printing_line() -> None:
    text = text_of(render_letter(template("reward"), context("reward", copy_to_text="")))
    assert "抄送" not in text
    assert "石家庄市科学技术局办公室\t2026年3月5日印发" in text


def test_rendering_is_reproducible() -> None:
    first = render_letter(template("reward"), context("reward"))
    assert render_letter(template("reward"), context("reward")) == first


def test_missing_field_is_an_error_naming_it_not_a_blank() -> None:
    ctx = context("reward")
    del ctx["director"]  # not used by the reward letter: fine
    render_letter(template("reward"), ctx)
    del ctx["grade"]
    with pytest.raises(TemplateError, match="grade"):
        render_letter(template("reward"), ctx, name="reward.docx")


def test_template_code_cannot_escape_the_sandbox() -> None:
    evil = replace_in_part(template("reward"), "word/document.xml", "{{ grade }}", "{{ cycler.__init__.__globals__ }}")
    with pytest.raises(TemplateError, match="不允许"):
        render_letter(evil, context("reward"))


@pytest.mark.parametrize("kind", KINDS)
def test_layout_follows_gb_t_9704(kind: str) -> None:
    data = template(kind)
    doc = part(data, "word/document.xml")
    sect = doc.find(f"{W}body/{W}sectPr")
    size, mar = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
    assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("11906", "16838")  # A4
    assert [mar.get(f"{W}{k}") for k in ("top", "bottom", "left", "right")] == ["2098", "1984", "1587", "1474"]
    styles = part(data, "word/styles.xml")
    fonts = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "仿宋_GB2312" and fonts.get(f"{W}hint") == "eastAsia"
    lang = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert lang.get(f"{W}eastAsia") == "zh-CN"
    spacing = styles.find(f"{W}docDefaults/{W}pPrDefault/{W}pPr/{W}spacing")
    assert (spacing.get(f"{W}line"), spacing.get(f"{W}lineRule")) == ("578", "exact")  # 28.9 pt: 22 lines
    by_id = {s.get(f"{W}styleId"): s for s in styles.findall(f"{W}style")}
    mark = by_id["TicMark"]
    assert mark.find(f"{W}rPr/{W}color").get(f"{W}val") == "FF0000"
    assert mark.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "方正小标宋简体"
    assert mark.find(f"{W}pPr/{W}jc").get(f"{W}val") == "center"
    rule = by_id["TicDocNo"].find(f"{W}pPr/{W}pBdr/{W}bottom")
    assert rule.get(f"{W}color") == "FF0000" and rule.get(f"{W}space") == "11"  # red rule 4 mm below
    title = by_id["TicTitle"]
    assert title.find(f"{W}rPr/{W}sz").get(f"{W}val") == "44"  # 2号 = 22 pt
    assert title.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "方正小标宋简体"
    assert by_id["TicKai"].find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "楷体_GB2312"
    assert by_id["TicH1"].find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "黑体"
    footer = part(data, "word/footer1.xml")
    assert "PAGE" in "".join(footer.itertext())
    assert by_id["Footer"].find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "宋体"
    assert by_id["Footer"].find(f"{W}rPr/{W}sz").get(f"{W}val") == "28"  # 4号
    settings = part(data, "word/settings.xml")
    assert settings.find(f"{W}themeFontLang").get(f"{W}eastAsia") == "zh-CN"


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_sits_in_one_run_that_spell_checking_leaves_alone(kind: str) -> None:
    doc = part(template(kind), "word/document.xml")
    tags = 0
    for r in doc.iter(f"{W}r"):
        text = "".join(t.text or "" for t in r.iter(f"{W}t"))
        assert text.count("{{") == text.count("}}") and text.count("{%") == text.count("%}"), text
        if "{{" in text or "{%" in text:
            tags += 1
            assert r.find(f"{W}rPr/{W}noProof") is not None, text
    assert tags > 5


@pytest.mark.parametrize("kind", KINDS)
def test_bundled_templates_use_only_fields_the_data_gives(kind: str) -> None:
    missing, unused = check_template(templates_dir() / f"{kind}.docx")
    assert missing == []
    assert "doc_number" not in unused and "letter_date" not in unused


def test_templates_are_what_the_build_script_makes() -> None:
    spec = importlib.util.spec_from_file_location("_build_templates", templates_dir() / "_build_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for kind in KINDS:
        assert module.build(kind) == template(kind), f"templates/{kind}.docx is stale: run the build script"


def test_check_catches_a_misspelt_field(tmp_path: Path) -> None:
    bad = tmp_path / "revocation.docx"
    bad.write_bytes(replace_in_part(template("revocation"), "word/document.xml", "{{ effective_date }}",
                                    "{{ efective_date }}"))
    missing, unused = check_template(bad)
    assert missing == ["efective_date"]
    assert "effective_date" not in unused  # still used in the other sentence
    assert "efective_date" in template_fields(bad.read_bytes())
    result = CliRunner().invoke(letters_cmd, ["check", str(bad)])
    assert result.exit_code == 1
    assert "efective_date" in result.output


def test_check_cli_passes_a_good_template_and_needs_a_kind_for_odd_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(letters_cmd, ["check", str(templates_dir() / "reward.docx")])
    assert result.exit_code == 0, result.output
    assert "模板用到的字段数据都能提供" in result.output
    odd = tmp_path / "我的奖励通知.docx"
    odd.write_bytes(template("reward"))
    assert CliRunner().invoke(letters_cmd, ["check", str(odd)]).exit_code == 2
    assert CliRunner().invoke(letters_cmd, ["check", str(odd), "--kind", "reward"]).exit_code == 0
    # checked against the revocation data, the reward template needs evaluation facts that data lacks
    result = CliRunner().invoke(letters_cmd, ["check", str(odd), "--kind", "revocation"])
    assert result.exit_code == 1 and re.search(r"evaluation_year|total|grade", result.output)


def test_control_characters_from_excel_cells_are_dropped_not_truncating() -> None:
    text = text_of(render_letter(template("reward"), context("reward", center_name="石家庄市A\x01B\x0bC技术创新中心")))
    assert "石家庄市ABC技术创新中心评估总分为55.5分" in text and "印发" in text


def test_a_template_that_is_not_a_word_file_is_one_chinese_sentence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from toolkit.cli.main import cli
    from toolkit.resources import samples_dir

    (tmp_path / "approval.docx").write_bytes((samples_dir() / "中心台账.xlsx").read_bytes())
    (tmp_path / "revocation.docx").write_bytes(b"not a zip at all")
    for name, why in (("approval.docx", "这是一个 Excel 工作簿，只是扩展名为 .docx"),
                      ("revocation.docx", "不是压缩包格式")):
        result = CliRunner().invoke(cli, ["letters", "check", str(tmp_path / name)])
        assert result.exit_code == 2 and why in result.output, result.output
        assert "BytesIO" not in result.output and "is not" not in result.output and "zip file" not in result.output
