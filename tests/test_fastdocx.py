"""The prepared-template path of the letters gives what plain docxtpl gives, for every kind and hostile data."""

from __future__ import annotations

import io
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docxtpl import DocxTemplate

from tests.test_letter_templates import SAMPLE, context, replace_in_part, template
from tests.test_letters import EVALUATION, build_ledger, make_config
from toolkit.adapters.fastdocx import PreparedTemplate
from toolkit.adapters.letter_plan import KINDS
from toolkit.adapters.letters import (
    FIXED_ZIP_TIME,
    LetterEnvironment,
    LetterRenderer,
    issue_letters,
    pool_workers,
    render_letter,
)
from toolkit.errors import TemplateError

HOSTILE = '石家庄市A&B<C>"D"\'E\'{{ x }}{% if 1 %}F{% endif %}{# c #}]]><!--/技术创新中心'
HOSTILE_CONTEXT: dict[str, Any] = {
    **SAMPLE,
    "center_name": HOSTILE, "subject_name": HOSTILE, "lead_name": '河北"甲"&乙<丙>{{ lead }}有限公司',
    "center_name_en": "Shi Jiazhuang Technology Innovation Center of A&B <C> {{ 7*7 }}",
    "director": "王&五\n(代)", "rd_direction": "工业机器人\t&lt;不是实体&gt;", "partners_text": "甲&乙{%- raw %}",
    "reasons": [{**r, "fact": r["fact"] + "&<>{{ }}"} for r in SAMPLE["reasons"]],
    "centers": [{**c, "name": HOSTILE} for c in SAMPLE["centers"]],
}


def document_text(data: bytes) -> list[str]:
    """Paragraphs, table cells, headers and footers of a .docx, as python-docx reads them."""
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    for section in d.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return parts


def members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def plain_docxtpl(data: bytes, ctx: dict[str, Any]) -> bytes:
    doc = DocxTemplate(io.BytesIO(data))
    doc.render(ctx, jinja_env=LetterEnvironment())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def hostile(kind: str) -> dict[str, Any]:
    return context(kind, **{k: v for k, v in HOSTILE_CONTEXT.items() if k in context(kind)})


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_the_same_document_as_plain_docxtpl(kind: str) -> None:
    ctx = hostile(kind)
    fast = LetterRenderer(template(kind), name=f"{kind}.docx").render(ctx)
    plain = plain_docxtpl(template(kind), ctx)
    assert document_text(fast) == document_text(plain)
    assert members(fast) == members(plain)
    assert fast == render_letter(template(kind), ctx)  # and the very bytes of the plain path, normalised
    text = "\n".join(document_text(fast))
    assert HOSTILE in text or '河北"甲"&乙<丙>{{ lead }}有限公司' in text  # data prints as itself


def test_one_renderer_many_letters_each_as_if_alone() -> None:
    renderer = LetterRenderer(template("revocation"), name="revocation.docx")
    contexts = [hostile("revocation"), context("revocation"),
                context("revocation", center_name="石家庄市A\x01B\x0bC技术创新中心", doc_number="石科字〔2026〕8号")]
    for ctx in contexts + contexts[::-1]:
        assert renderer.render(ctx) == render_letter(template("revocation"), ctx)


def test_fields_in_a_footer_and_a_table_row_loop() -> None:
    data = replace_in_part(template("approval_notice"), "word/footer1.xml", "</w:p>",
                           '<w:r><w:t xml:space="preserve">{{ doc_number }}&amp;{{ count }}</w:t></w:r></w:p>')
    ctx = hostile("approval_notice")
    prepared = PreparedTemplate(data, LetterEnvironment(), FIXED_ZIP_TIME)
    assert prepared.supported and [p.name for p in prepared._parts] == ["word/document.xml", "word/footer1.xml"]
    fast = LetterRenderer(data).render(ctx)
    assert fast == render_letter(data, ctx)
    assert document_text(fast) == document_text(plain_docxtpl(data, ctx))
    assert "- 1 -石科字〔2026〕7号&2" in document_text(fast)  # the footer, page number and fields


def test_fields_in_the_core_properties_are_rendered_per_letter_as_docxtpl_does() -> None:
    """The letter's title in its document properties (Word's 属性, a PDF's title): each letter its own, the same
    bytes as plain docxtpl, a name with & and < printed as itself."""
    data = replace_in_part(template("reward"), "docProps/core.xml", "</cp:coreProperties>",
                           "<dc:subject>{{ center_id }}</dc:subject></cp:coreProperties>")
    prepared = PreparedTemplate(data, LetterEnvironment())
    assert prepared.supported and prepared.core_name == "docProps/core.xml"
    renderer = LetterRenderer(data)
    for ctx in (context("reward"), hostile("reward")):
        fast = renderer.render(ctx)
        assert fast == render_letter(data, ctx)
        core = docx.Document(io.BytesIO(fast)).core_properties
        assert core.subject == ctx["center_id"] and core.title == ctx["doc_title"]
    assert "&" in hostile("reward")["doc_title"] or "<" in hostile("reward")["doc_title"]


def test_errors_are_the_same_sentences() -> None:
    ctx = context("reward")
    del ctx["grade"]
    with pytest.raises(TemplateError, match="grade") as fast:
        LetterRenderer(template("reward"), name="reward.docx").render(ctx)
    with pytest.raises(TemplateError) as plain:
        render_letter(template("reward"), ctx, name="reward.docx")
    assert str(fast.value) == str(plain.value)
    evil = replace_in_part(template("reward"), "word/document.xml", "{{ grade }}", "{{ cycler.__init__.__globals__ }}")
    with pytest.raises(TemplateError, match="不允许"):
        LetterRenderer(evil).render(context("reward"))
    broken = replace_in_part(template("reward"), "word/document.xml", "{{ grade }}", "{{ grade ")
    with pytest.raises(TemplateError, match="成对"):
        LetterRenderer(broken).render(context("reward"))


@pytest.mark.skipif(pool_workers(10, 2) == 0, reason="worker processes are forked only on Linux")
def test_a_pool_of_workers_writes_the_same_letters_and_numbers(tmp_path: Path) -> None:
    assert pool_workers(9, 2) == 2  # the run below does fork its workers
    runs = {}
    for workers in (0, 2):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        config = make_config(folder)
        build_ledger(config)
        report = issue_letters(config, folder / "out", evaluation=EVALUATION, workers=workers)
        assert report.exit_status == 0 and len(report.new) == 9
        with sqlite3.connect(folder / "ledger.sqlite") as conn:
            rows = conn.execute("SELECT kind, center_id, doc_number, file, sha256 FROM letters ORDER BY id").fetchall()
        conn.close()
        files = {p.name: p.read_bytes() for p in (folder / "out").glob("*.docx")}
        runs[workers] = (rows, files, [e.to_dict() | {"issued_at": None} for e in report.letters])
        shutil.rmtree(folder / "台账备份", ignore_errors=True)
    assert runs[0] == runs[2]


@pytest.mark.skipif(pool_workers(10, 2) == 0, reason="worker processes are forked only on Linux")
def test_a_failure_in_a_worker_rolls_back_numbers_and_files(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    build_ledger(config)
    custom = tmp_path / "模板"
    custom.mkdir()
    (custom / "approval.docx").write_bytes(replace_in_part(
        template("approval"), "word/document.xml", "{{ director }}",
        "{{ director }}{% if center_id[-1] == '6' %}{{ 1 // 0 }}{% endif %}"))  # fails for the second center
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        issue_letters(config, tmp_path / "out", template_dir=custom, evaluation=EVALUATION, workers=2)
    with sqlite3.connect(tmp_path / "ledger.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM letters").fetchone() == (0,)
    conn.close()
    assert not list((tmp_path / "out").glob("*.docx"))
