"""Build the Word templates of the official letters (run by a developer; the .docx files are committed).

    /work/venv/bin/python templates/_build_templates.py [OUT_DIR]

One ``<kind>.docx`` per kind of ``shared/spec/letters.md``, laid out to GB/T 9704-2012
(党政机关公文格式): A4, margins 37/35/28/26 mm, 22 lines of 28 characters, a red
发文机关标志, the 发文字号 and a red rule, the title in 2号小标宋, the body in 3号仿宋
on a fixed 28.9 pt line, 成文日期 on the right, the 版记 (抄送/印发 between rules) at
the bottom of the last page and page numbers "- 1 -" in 4号宋体.

The package is written as raw OOXML (no python-docx default template: that one
carries a Japanese font theme and 800 KB of styles that every letter would
re-parse). East Asian fonts are set as East Asian fonts (``w:eastAsia`` with
``w:hint="eastAsia"``), the document language is zh-CN, and the font table gives
Word an ``altName`` fallback (仿宋_GB2312 → 仿宋 …) for PCs without the GB fonts.

Every ``{{ field }}`` sits alone in one run marked ``w:noProof`` so that Word's
spell checker never splits it: a clerk may reword the letter in Word and the
fields keep working. The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)

# Fonts (names as the bureau's PCs have them) and their fallbacks for Word (altName).
XBS = "方正小标宋简体"  # 小标宋
FS = "仿宋_GB2312"
HT = "黑体"
KT = "楷体_GB2312"
ST = "宋体"
RED = "FF0000"

# Page geometry in twentieths of a point (twips): A4, GB/T 9704 margins.
PAGE_W, PAGE_H = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1587, 1474  # 37, 35, 28, 26 mm
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 8845 = 156 mm
LINE = 578  # 28.9 pt: 22 lines in the 225 mm type area
CHAR = 320  # one 3号 character (16 pt)
# 28 characters a line (GB/T 9704 §5.2.2): the 156 mm line holds 27.6 characters of 16 pt, so every character is
# set 0.25 pt closer (15.75 pt: 28.08 a line), in Word, WPS and LibreOffice alike (a character grid, Word's way,
# LibreOffice 7.4 lays out at half that density)
CHAR_SPACING = -5  # twentieths of a point
CHAR4 = 280  # one 4号 character (14 pt)
RECORD_W = TEXT_W  # 版记 rules as wide as the type area

TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")


# --------------------------------------------------------------------------- XML pieces


def fonts(name: str, latin: str | None = None) -> str:
    latin = latin or name
    return f'<w:rFonts w:ascii="{latin}" w:eastAsia="{name}" w:hAnsi="{latin}" w:cs="{latin}" w:hint="eastAsia"/>'


def size(half_points: int) -> str:
    return f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'


def run(text: str, rstyle: str | None = None, rpr: str = "") -> str:
    """One run; a template tag gets ``w:noProof`` so spell checking never splits it."""
    props = ""
    if rstyle:
        props += f'<w:rStyle w:val="{rstyle}"/>'
    props += rpr
    if TAG.fullmatch(text):
        props += "<w:noProof/>"
    rpr_xml = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr_xml}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def runs(text: str, rstyle: str | None = None, rpr: str = "") -> str:
    """Split text at template tags: each ``{{ }}`` / ``{% %}`` becomes a run of its own."""
    return "".join(run(part, rstyle, rpr) for part in TAG.split(text) if part)


def para(content: str, style: str | None = None, ppr: str = "") -> str:
    style_xml = f'<w:pStyle w:val="{style}"/>' if style else ""
    props = style_xml + ppr
    return f"<w:p>{'<w:pPr>' + props + '</w:pPr>' if props else ''}{content}</w:p>"


def body(text: str) -> str:
    """A body paragraph (3号仿宋, first line indented two characters)."""
    return para(runs(text), "TicBody")


def lead(heading: str, text: str) -> str:
    """A body paragraph opening with a 楷体 level-2 heading such as “（一）按时报送年度报告。”."""
    return para(runs(heading, "TicKai") + runs(text), "TicBody")


def h1(text: str) -> str:
    """A level-1 heading “一、…” in 黑体."""
    return para(runs(text), "TicH1")


def blank(style: str = "TicBody") -> str:
    return para("", style)


def tag_para(tag: str) -> str:
    """A paragraph holding only a docxtpl paragraph tag ({%p … %}); docxtpl removes it."""
    return para(run(tag))


# --------------------------------------------------------------------------- layout blocks


def head(title: str, addressee: str) -> str:
    """发文机关标志, 发文字号 with the red rule, title, 主送机关."""
    return "".join(
        [
            para(runs("{{ issuer }}") + run("文件"), "TicMark"),
            blank("TicPlain"),
            blank("TicPlain"),
            para(runs("{{ doc_number }}"), "TicDocNo"),
            blank("TicPlain"),
            blank("TicPlain"),
            para(runs(title), "TicTitle"),
            blank("TicPlain"),
            para(runs(addressee), "TicAddressee"),
        ]
    )


def signature() -> str:
    """发文机关署名 centred over the 成文日期, which stands four characters from the right."""
    return "".join(
        [
            blank(),
            blank(),
            para(runs("{{ issuer }}"), "TicSign"),
            para(runs("{{ letter_date }}"), "TicDate"),
        ]
    )


def record() -> str:
    """版记: 抄送 and 印发 between rules, floated to the bottom of the last page."""
    thick, thin = 8, 4
    tbl_pr = (
        "<w:tblPr>"
        '<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:vertAnchor="margin" w:horzAnchor="page"'
        f' w:tblpX="{MARGIN_LEFT}" w:tblpYSpec="bottom"/>'
        '<w:tblOverlap w:val="never"/>'
        f'<w:tblW w:w="{RECORD_W}" w:type="dxa"/>'
        '<w:jc w:val="center"/>'
        "<w:tblBorders>"
        f'<w:top w:val="single" w:sz="{thick}" w:space="0" w:color="000000"/>'
        '<w:left w:val="nil"/>'
        f'<w:bottom w:val="single" w:sz="{thick}" w:space="0" w:color="000000"/>'
        '<w:right w:val="nil"/>'
        f'<w:insideH w:val="single" w:sz="{thin}" w:space="0" w:color="000000"/>'
        '<w:insideV w:val="nil"/>'
        "</w:tblBorders>"
        '<w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
        ' w:noHBand="1" w:noVBand="1"/>'
        "</w:tblPr>"
    )
    grid = f'<w:tblGrid><w:gridCol w:w="{RECORD_W}"/></w:tblGrid>'

    def row(content: str) -> str:
        cell_pr = f'<w:tcPr><w:tcW w:w="{RECORD_W}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
        return f'<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc>{cell_pr}{content}</w:tc></w:tr>'

    inner = RECORD_W - CHAR4
    printed = para(
        runs("{{ printer }}") + "<w:r><w:tab/></w:r>" + runs("{{ letter_date }}") + run("印发"),
        "TicRecord",
        f'<w:tabs><w:tab w:val="right" w:pos="{inner}"/></w:tabs>',
    )
    rows = [
        row(para(run("{%tr if copy_to_text %}"), "TicRecord")),
        row(para(run("抄送：") + runs("{{ copy_to_text }}") + run("。"), "TicRecord")),
        row(para(run("{%tr endif %}"), "TicRecord")),
        row(printed),
    ]
    return f"<w:tbl>{tbl_pr}{grid}{''.join(rows)}</w:tbl>" + para("", "TicEnd")


def centers_table() -> str:
    """The approval notice's list of centers: one docxtpl row loop over ``centers``."""
    widths = [600, 2400, 3300, 2545]  # the district column holds 石家庄高新技术产业开发区
    assert sum(widths) == TEXT_W
    border = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(side) for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    tbl_pr = (
        f'<w:tblPr><w:tblW w:w="{TEXT_W}" w:type="dxa"/><w:jc w:val="center"/>'
        f"<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>"
        '<w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
        ' w:noHBand="1" w:noVBand="1"/></w:tblPr>'
    )
    grid = "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths) + "</w:tblGrid>"

    def cell(width: int, content: str, span: int = 1) -> str:
        span_xml = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
        return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span_xml}<w:vAlign w:val="center"/></w:tcPr>{content}</w:tc>'

    def row(cells: list[str], header: bool = False) -> str:
        tr_pr = "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + "</w:trPr>"
        return f"<w:tr>{tr_pr}{''.join(cells)}</w:tr>"

    heads = ["序号", "县（市、区）", "中心名称", "依托单位"]
    fields = ["{{ c.seq }}", "{{ c.district }}", "{{ c.name }}", "{{ c.lead }}"]
    aligns = ["TicCellCenter", "TicCellCenter", "TicCell", "TicCell"]
    rows = [
        row([cell(w, para(runs(h), "TicCellHead")) for w, h in zip(widths, heads, strict=True)], header=True),
        row([cell(TEXT_W, para(run("{%tr for c in centers %}"), "TicCell"), span=4)]),
        row([cell(w, para(runs(f), s)) for w, f, s in zip(widths, fields, aligns, strict=True)]),
        row([cell(TEXT_W, para(run("{%tr endfor %}"), "TicCell"), span=4)]),
    ]
    return f"<w:tbl>{tbl_pr}{grid}{''.join(rows)}</w:tbl>"


MEASURES = "《石家庄市技术创新中心建设与运行管理办法》（以下简称《办法》）"

DUTIES = [
    ("（一）按时报送年度报告。", "中心实行年度报告制度，每年须上报年度报告，经归口管理部门审核后报我局备案（《办法》第二十九条）。"),
    ("（二）接受绩效评估。", "中心实行绩效考核制度，每三年为一个评估周期，须按要求接受评估，准确、真实地提供评估材料（《办法》第三十一条）。"),
    (
        "（三）重大事项变更须经批准。",
        "中心运行期间需变更名称、注册地、中心主任或其他重大事项的，应提出书面申请并提供佐证材料，"
        "经归口管理部门审核后报我局审核批准（《办法》第三十条）。",
    ),
    (
        "（四）规范标注中心名称。",
        "在中心完成的论文、专著、软件、数据库等科研成果，除标注依托单位名称外，均应标注中心名称（《办法》第二十四条）。",
    ),
]


# --------------------------------------------------------------------------- the letters


def approval() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body(
            "你单位报送的石家庄市技术创新中心认定申请材料收悉。根据" + MEASURES + "，经{{ district_bureau }}审核推荐、"
            "市科学技术局形式审查、专家评审和社会公示，公示期间无异议，现批复如下："
        ),
        h1("一、同意认定"),
        body(
            "同意认定{{ center_name }}为石家庄市技术创新中心，纳入市技术创新中心管理序列，中心编号为{{ center_id }}。"
            "按照《办法》第三十九条，中心中文名称为“{{ center_name }}”，英文名称为“{{ center_name_en }}”。"
        ),
        h1("二、中心基本情况"),
        body("依托单位：{{ lead_name }}"),
        body("共建单位：{{ partners_text }}"),
        body("中心主任：{{ director }}"),
        body("所属领域：{{ key_field }}"),
        body("研发方向：{{ rd_direction }}"),
        h1("三、有关要求"),
        body("请你单位按照《办法》要求，切实履行依托单位职责，为中心建设和运行提供必要的场地、人员、经费和仪器设备等条件保障，并做好以下工作："),
        *(lead(h, t) for h, t in DUTIES),
        body("此复。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def approval_notice() -> str:
    parts = [
        head("{{ title }}", "各县（市、区）科技行政管理部门，各有关单位："),
        body(
            "根据" + MEASURES + "第十一条，经归口管理部门审核推荐、市科学技术局形式审查、专家评审和社会公示，"
            "公示期间无异议，现认定以下{{ count }}家技术创新中心为{{ cycle_year }}年度石家庄市技术创新中心，"
            "纳入市技术创新中心管理序列。名单如下："
        ),
        centers_table(),
        body("各中心的中文名称和英文名称按照《办法》第三十九条命名，以我局对各中心的认定批复为准。"),
        body("请各归口管理部门加强对技术创新中心建设的指导和服务；请各依托单位切实履行职责，做好以下工作："),
        *(lead(h, t) for h, t in DUTIES),
        body("特此通知。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def rectification() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body(
            "根据" + MEASURES + "第三十一条至第三十五条，我局组织开展了{{ evaluation_year }}年度石家庄市技术创新中心绩效评估。"
            "经专家评估，{{ center_name }}{{ score_text }}评估结果为“{{ grade }}”。{{ weak_text }}"
        ),
        body(
            "根据《办法》第三十七条，评估为“不合格”等级的技术创新中心，限期一年进行整改，参加第二年技术创新中心绩效评估。"
            "现将有关事项通知如下："
        ),
        h1("一、制定整改方案"),
        body(
            "请你单位认真分析存在的问题，制定整改方案，明确整改目标、措施和时限，"
            "于{{ plan_due }}前经{{ district_bureau }}审核后报我局。"
        ),
        h1("二、限期一年整改"),
        body("整改期限为一年。我局将于{{ reeval_year }}年组织对{{ center_name }}进行绩效评估。"),
        h1("三、有关要求"),
        body(
            "根据《办法》第三十八条第（二）项，连续两年评估不合格的，撤销其技术创新中心资格。"
            "请你单位高度重视，切实抓好整改落实。"
        ),
        body("特此通知。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def revocation() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body(
            "根据" + MEASURES + "第三十八条，市科学技术局对技术创新中心实行动态管理。"
            "经核实，{{ center_name }}（中心编号：{{ center_id }}）存在以下情形："
        ),
        tag_para("{%p for r in reasons %}"),
        para(runs("{{ r.number }}", "TicKai") + runs("{{ r.fact }}，属于《办法》{{ r.article }}规定的“{{ r.title }}”情形。"),
             "TicBody"),
        tag_para("{%p endfor %}"),
        body(
            "依据《办法》{{ articles_text }}的规定，经研究，决定撤销{{ center_name }}的石家庄市技术创新中心资格，"
            "自{{ effective_date }}起生效。"
        ),
        body(
            "自{{ effective_date }}起，不得再使用“{{ center_name }}”{{ name_en_clause }}名称开展活动，"
            "不得在科研成果、宣传材料中标注该名称。"
        ),
        body("特此通知。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def reward() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body(
            "根据" + MEASURES + "第三十一条至第三十五条，我局组织开展了{{ evaluation_year }}年度石家庄市技术创新中心绩效评估。"
            "经专家评估，{{ center_name }}{{ score_text }}评估结果为“{{ grade }}”。"
        ),
        body("根据《办法》第三十六条，对评估为“优秀”等级的市级技术创新中心，按照相关政策给予奖励。现将有关事项通知如下："),
        h1("一、奖励经费的使用"),
        body(
            "绩效奖励经费使用须符合相关规定，单独核算、专款专用。经费可用于仪器设备的研制、购置、更新和改造，"
            "以及其它与技术创新中心发展相关的工作。"
        ),
        h1("二、有关要求"),
        body("希望你单位再接再厉，进一步加强中心建设和运行管理，在关键核心技术研发和科技成果转化中发挥更大作用。"),
        body("特此通知。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def retire() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body("经核实，{{ retire_fact }}。"),
        body(
            "根据" + MEASURES + "第二十八条，同一依托单位在相同领域、相同研发方向已被认定或晋升为国家级、省级技术创新中心的，"
            "不再设立或保留市级技术创新中心。经研究，决定不再保留{{ center_name }}，"
            "其石家庄市技术创新中心资格自{{ end_date }}起终止。"
        ),
        body("自{{ end_date }}起，请不再使用“{{ center_name }}”名称，并依托国家级、省级技术创新中心继续做好相关领域的研发工作。"),
        body("特此通知。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def change() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body(
            "你单位关于{{ subject_name }}变更{{ change_field }}的申请及佐证材料收悉。根据" + MEASURES + "第三十条，"
            "经{{ district_bureau }}审核，现批复如下："
        ),
        body("一、同意{{ subject_name }}的{{ change_field }}{{ change_text }}，自{{ effective_date }}起生效。"),
        body("二、变更后，中心名称为“{{ center_name }}”，中心编号{{ center_id }}不变。请你单位在年度报告中如实反映变更情况。"),
        body("此复。"),
        signature(),
        record(),
    ]
    return "".join(parts)


def reminder() -> str:
    parts = [
        head("{{ title }}", "{{ lead_name }}："),
        body(
            "根据" + MEASURES + "第二十九条，技术创新中心实行年度报告制度，每年须上报年度报告，"
            "经归口管理部门审核后报市科学技术局备案。截至{{ as_of }}，我局尚未收到{{ center_name }}{{ report_year }}年度报告。"
        ),
        body("请你单位于{{ deadline_text }}将{{ report_year }}年度报告及相关统计报表经{{ district_bureau }}审核后报我局。"),
        body("根据《办法》第三十八条第（一）项，不能按时报送年度报告及相关统计报表的，撤销其技术创新中心资格。请你单位高度重视，按时报送。"),
        body("特此通知。"),
        signature(),
        record(),
    ]
    return "".join(parts)


KINDS = {
    "approval": ("认定批复", approval),
    "approval_notice": ("认定通知", approval_notice),
    "rectification": ("整改通知", rectification),
    "revocation": ("撤销通知", revocation),
    "reward": ("奖励通知", reward),
    "retire": ("不再保留通知", retire),
    "change": ("变更批复", change),
    "reminder": ("催报通知", reminder),
}


# --------------------------------------------------------------------------- package parts


def styles_xml() -> str:
    def pstyle(sid: str, name: str, ppr: str = "", rpr: str = "", based: str = "Normal", nxt: str | None = None) -> str:
        nxt_xml = f'<w:next w:val="{nxt}"/>' if nxt else ""
        return (
            f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{sid}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="{based}"/>{nxt_xml}<w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>'
        )

    def cstyle(sid: str, name: str, rpr: str) -> str:
        return (
            f'<w:style w:type="character" w:customStyle="1" w:styleId="{sid}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="DefaultParagraphFont"/><w:qFormat/><w:rPr>{rpr}</w:rPr></w:style>'
        )

    first_line = f'<w:ind w:firstLineChars="200" w:firstLine="{2 * CHAR}"/>'
    no_grid = '<w:snapToGrid w:val="0"/>'
    styles = [
        '<w:docDefaults><w:rPrDefault><w:rPr>'
        + fonts(FS, "Times New Roman")
        + f'<w:spacing w:val="{CHAR_SPACING}"/><w:kern w:val="2"/>'
        + size(32)
        + '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
        # overflowPunct on, as Word has it by default: LibreOffice 7.4 reads the value inverted, and hanging
        # punctuation in its justified lines is dropped from the PDF (a ；at a line's end vanished)
        '<w:pPrDefault><w:pPr><w:overflowPunct w:val="1"/>'
        f'<w:spacing w:before="0" w:after="0" w:line="{LINE}" w:lineRule="exact"/>'
        '<w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults>',
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
        '<w:pPr><w:widowControl w:val="0"/></w:pPr><w:rPr>' + fonts(FS, "Times New Roman") + size(32)
        + "</w:rPr></w:style>",
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/>'
        '<w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>',
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        # 发文机关标志: red 小标宋, centred, 35 mm below the top of the type area.
        pstyle(
            "TicMark", "公文-发文机关标志",
            no_grid + '<w:spacing w:before="1928" w:line="960" w:lineRule="exact"/><w:jc w:val="center"/>',
            fonts(XBS) + f'<w:color w:val="{RED}"/><w:spacing w:val="-6"/><w:w w:val="96"/>' + size(80),
            nxt="TicPlain",
        ),
        pstyle("TicPlain", "公文-空行", "", ""),
        # 发文字号 with the red rule 4 mm below it (a bottom border of the paragraph).
        pstyle(
            "TicDocNo", "公文-发文字号",
            f'<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="11" w:color="{RED}"/></w:pBdr><w:jc w:val="center"/>',
            "",
        ),
        pstyle(
            "TicTitle", "公文-标题",
            no_grid + f'<w:spacing w:line="{LINE + 120}" w:lineRule="exact"/><w:jc w:val="center"/>',
            fonts(XBS) + size(44),
            nxt="TicAddressee",
        ),
        pstyle("TicAddressee", "公文-主送机关", '<w:jc w:val="left"/>', "", nxt="TicBody"),
        pstyle("TicBody", "公文-正文", first_line, ""),
        pstyle("TicH1", "公文-一级标题", first_line + '<w:outlineLvl w:val="0"/>', fonts(HT), nxt="TicBody"),
        pstyle("TicSign", "公文-发文机关署名", f'<w:ind w:right="{4 * CHAR - 3 * CHAR // 2}"/><w:jc w:val="right"/>', ""),
        pstyle("TicDate", "公文-成文日期", f'<w:ind w:right="{4 * CHAR}"/><w:jc w:val="right"/>', ""),
        pstyle(
            "TicRecord", "公文-版记",
            no_grid + f'<w:spacing w:line="480" w:lineRule="exact"/><w:ind w:left="{CHAR4}" w:right="{CHAR4}"/><w:jc w:val="left"/>',
            size(28),
        ),
        pstyle("TicEnd", "公文-版记后", no_grid + '<w:spacing w:line="20" w:lineRule="exact"/>', size(2)),
        pstyle(
            "TicCell", "公文-表格",
            no_grid + '<w:spacing w:line="400" w:lineRule="exact"/><w:jc w:val="left"/>',
            size(28),
        ),
        pstyle("TicCellCenter", "公文-表格居中", '<w:jc w:val="center"/>', "", based="TicCell"),
        pstyle("TicCellHead", "公文-表头", '<w:jc w:val="center"/>', fonts(HT), based="TicCell"),
        pstyle(
            "Footer", "footer",
            no_grid + '<w:spacing w:line="240" w:lineRule="auto"/>',
            fonts(ST) + size(28),
        ),
        cstyle("TicKai", "公文-楷体", fonts(KT)),
        cstyle("TicHei", "公文-黑体", fonts(HT)),
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="{W}" xmlns:r="{R}">'
        + "".join(styles)
        + "</w:styles>"
    )


def settings_xml() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings xmlns:w="{W}" xmlns:r="{R}">'
        '<w:zoom w:percent="100"/>'
        '<w:proofState w:spelling="clean" w:grammar="clean"/>'
        f'<w:defaultTabStop w:val="{CHAR * 2}"/>'
        "<w:evenAndOddHeaders/>"
        '<w:drawingGridVerticalSpacing w:val="289"/>'
        '<w:characterSpacingControl w:val="compressPunctuation"/>'
        "<w:compat><w:useFELayout/>"
        '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
        "</w:compat>"
        '<w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"/>'
        '<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>'
        "</w:settings>"
    )


def font_table_xml() -> str:
    entries = [
        (FS, "仿宋", "02010609030101010101", "modern", "fixed"),
        (XBS, "宋体", "02000000000000000000", "script", "variable"),
        (HT, "SimHei", "02010609060101010101", "modern", "fixed"),
        (KT, "楷体", "02010609030101010101", "modern", "fixed"),
        (ST, "SimSun", "02010600030101010101", "auto", "variable"),
    ]
    fonts_xml = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:panose1 w:val="{panose}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        for name, alt, panose, family, pitch in entries
    )
    fonts_xml += (
        '<w:font w:name="Times New Roman"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/>'
        '<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>'
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:fonts xmlns:w="{W}" xmlns:r="{R}">{fonts_xml}</w:fonts>'


def footer_xml(odd: bool) -> str:
    """Page number “- 1 -” in 4号宋体: odd pages on the right, even pages on the left, one character in."""
    jc, ind = ("right", f'<w:ind w:right="{CHAR4}"/>') if odd else ("left", f'<w:ind w:left="{CHAR4}"/>')
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        "<w:r><w:t>1</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    content = run("- ") + field + run(" -")
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:ftr xmlns:w="{W}" xmlns:r="{R}">'
        + para(content, "Footer", f'{ind}<w:jc w:val="{jc}"/>')
        + "</w:ftr>"
    )


def document_xml(body_xml: str) -> str:
    sect = (
        '<w:sectPr><w:footerReference w:type="default" r:id="rIdFooterOdd"/>'
        '<w:footerReference w:type="even" r:id="rIdFooterEven"/>'
        f'<w:pgSz w:w="{PAGE_W}" w:h="{PAGE_H}"/>'
        f'<w:pgMar w:top="{MARGIN_TOP}" w:right="{MARGIN_RIGHT}" w:bottom="{MARGIN_BOTTOM}" w:left="{MARGIN_LEFT}"'
        ' w:header="851" w:footer="1247" w:gutter="0"/>'
        '<w:pgNumType w:fmt="decimal" w:start="1"/><w:cols w:space="425"/>'
        f'<w:docGrid w:type="lines" w:linePitch="{LINE}"/></w:sectPr>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{W}" xmlns:r="{R}">'
        f"<w:body>{body_xml}{sect}</w:body></w:document>"
    )


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/fontTable.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/>'
    '<Override PartName="/word/footer1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/word/footer2.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)

PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
    ' Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"'
    ' Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"'
    ' Target="docProps/app.xml"/>'
    "</Relationships>"
)

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
DOCUMENT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rIdStyles" Type="{REL}styles" Target="styles.xml"/>'
    f'<Relationship Id="rIdSettings" Type="{REL}settings" Target="settings.xml"/>'
    f'<Relationship Id="rIdFonts" Type="{REL}fontTable" Target="fontTable.xml"/>'
    f'<Relationship Id="rIdFooterOdd" Type="{REL}footer" Target="footer1.xml"/>'
    f'<Relationship Id="rIdFooterEven" Type="{REL}footer" Target="footer2.xml"/>'
    "</Relationships>"
)


def core_xml(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>石家庄市科学技术局</dc:creator>"
        "<cp:lastModifiedBy>tic</cp:lastModifiedBy><cp:revision>1</cp:revision><dc:language>zh-CN</dc:language>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:modified>'
        "</cp:coreProperties>"
    )


APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>tic</Application><DocSecurity>0</DocSecurity></Properties>"
)


def build(kind: str) -> bytes:
    """The template of one kind as .docx bytes (reproducible)."""
    _label, make = KINDS[kind]
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": PACKAGE_RELS,
        # the letter's own title in its document properties (Word's 属性, a PDF's title); |safe: python-docx
        # escapes it when it writes the XML, the sandbox's autoescaping would escape it a second time
        "docProps/core.xml": core_xml("{{ doc_title|safe }}"),
        "docProps/app.xml": APP_XML,
        "word/document.xml": document_xml(make()),
        "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/styles.xml": styles_xml(),
        "word/settings.xml": settings_xml(),
        "word/fontTable.xml": font_table_xml(),
        "word/footer1.xml": footer_xml(odd=True),
        "word/footer2.xml": footer_xml(odd=False),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    from lxml import etree  # checked here only: every part must be well-formed XML

    for kind in KINDS:
        data = build(kind)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                etree.fromstring(zf.read(name))
        (out / f"{kind}.docx").write_bytes(data)
        print(f"{out / (kind + '.docx')}  {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
