"""Letter titles broken between words (GB/T 9704-2012 §7.3.3), not where Word runs out of line."""

from __future__ import annotations

import io

import docx

from toolkit.adapters.letter_plan import letter_title
from toolkit.core.titles import TITLE_WIDTH, balanced, name_parts, text_width


def test_a_title_that_fits_stays_on_one_line() -> None:
    assert balanced(["关于认定", "石家庄市", "甲", "技术创新中心", "的批复"]) == "关于认定石家庄市甲技术创新中心的批复"


def test_long_titles_break_between_words_evenly_the_longer_line_first() -> None:
    title = letter_title("approval", {"center_name": "石家庄市智能仓储物流装备技术创新中心"})
    assert title == "关于认定石家庄市智能仓储物流装备\n技术创新中心的批复"
    notice = letter_title("approval_notice", {"cycle_year": 2026})
    assert notice == "关于认定2026年度石家庄市\n技术创新中心的通知"
    for kind in ("rectification", "revocation", "reward", "retire", "reminder"):
        text = letter_title(kind, {"center_name": "石家庄市工业固废资源化技术创新中心", "report_year": 2025})
        lines = text.split("\n")
        assert all(text_width(x) <= TITLE_WIDTH for x in lines), text
        assert "技术创新中心" in "".join(lines) and not any(x.endswith(("技术创新", "创新")) for x in lines), text


def test_a_word_longer_than_the_line_is_broken_between_characters() -> None:
    name = "石家庄市" + "超" * 30 + "技术创新中心"
    text = letter_title("approval", {"center_name": name})
    assert text.replace("\n", "") == f"关于认定{name}的批复"
    assert all(text_width(x) <= TITLE_WIDTH for x in text.split("\n")) and text.count("\n") >= 2


def test_name_parts() -> None:
    assert name_parts("石家庄市生物制剂技术创新中心") == ["石家庄市", "生物制剂", "技术创新中心"]
    assert name_parts("某某研究院") == ["某某研究院"]


def test_the_rendered_letter_breaks_its_title_there(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_letter_templates import context, template
    from toolkit.adapters.letters import render_letter

    ctx = context("approval", center_name="石家庄市智能仓储物流装备技术创新中心")
    ctx["title"] = letter_title("approval", ctx)
    data = render_letter(template("approval"), ctx)
    d = docx.Document(io.BytesIO(data))
    (title,) = [p for p in d.paragraphs if p.style.name in ("公文-标题", "TicTitle")]
    assert title.text == "关于认定石家庄市智能仓储物流装备\n技术创新中心的批复"


def test_a_very_long_name_is_broken_at_once_into_the_fewest_even_lines() -> None:
    """Every combination of cuts between a long name's characters was tried: a 94-character name took over 280 s,
    and tic letters hung holding the ledger's lock."""
    import math
    import time

    from toolkit.core.titles import TITLE_WIDTH, balanced, name_parts, text_width

    name = "石家庄市" + "中药现代化与经典名方" * 30 + "A技术创新中心"
    start = time.perf_counter()
    lines = balanced(["关于撤销", *name_parts(name), "资格的通知"]).split("\n")
    assert time.perf_counter() - start < 1
    total = text_width("关于撤销" + name + "资格的通知")
    assert "".join(lines) == "关于撤销" + name + "资格的通知"
    assert all(text_width(x) <= TITLE_WIDTH for x in lines) and len(lines) == math.ceil(total / 19)
