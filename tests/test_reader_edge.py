"""Odd but valid (or damaged) sheet XML: the fast reader (calamine, in slices, in worker processes) gives
byte for byte the JSON of the reference reader (openpyxl). Each workbook is written in tmp_path and its
sheet XML then rewritten in the zip as other programs write it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import good_row, write_intake
from toolkit.adapters.table import _formulas_without_value, _numbered
from toolkit.core.findings import json_value
from toolkit.core.uscc import make_uscc, normalise_uscc
from toolkit.core.values import parse_list
from toolkit.intake import (
    WorkerDied,
    _CheckState,
    _results,
    validate_file,
    write_reports_json,
)

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> Path:
    """Rewrite the first worksheet's XML inside the workbook's zip."""
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            zout.writestr(name, change(data) if name == SHEET else data)
    return path


def set_cell(ref: str, xml: bytes) -> Callable[[bytes], bytes]:
    """Replace the cell ``ref`` (which must exist) by raw ``xml``."""

    def change(data: bytes) -> bytes:
        out, n = re.subn(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', xml, data, count=1)
        assert n == 1, ref
        return out

    return change


def prefixed(prefix: bytes) -> Callable[[bytes], bytes]:
    """Every element of the main namespace written with ``prefix:`` (``<x:c r="K5"><x:f>…``)."""

    def change(data: bytes) -> bytes:
        data = re.sub(rb"<(/?)([A-Za-z]\w*)(?=[\s/>])", rb"<\1" + prefix + rb":\2", data)
        return data.replace(b'xmlns="' + MAIN_NS + b'"', b"xmlns:" + prefix + b'="' + MAIN_NS + b'"')

    return change


def without_r(rows: bool = True, cells: bool = True) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        if rows:
            data = re.sub(rb'<row r="\d+"', b"<row", data)
        if cells:
            data = re.sub(rb'<c r="[A-Z]+\d+"', b"<c", data)
        return data

    return change


# (name, environment, keep_rows, workers); the first is the reference
RUNS = [
    ("reference", {"TIC_READER": "openpyxl", "TIC_SCHEMA_ENGINE": "jsonschema"}, True, None),
    ("calamine", {"TIC_READER": "calamine"}, True, None),
    ("calamine-slices", {"TIC_READER": "calamine", "TIC_SLICE_BYTES": "1500"}, True, None),
    ("stream-openpyxl", {"TIC_READER": "openpyxl"}, False, 1),
    ("stream-1", {"TIC_READER": "calamine", "TIC_SLICE_BYTES": "1500"}, False, 1),
    ("stream-2", {"TIC_READER": "calamine", "TIC_SLICE_BYTES": "700"}, False, 2),
]


def json_texts(path: Path, config, monkeypatch, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The ``--json`` text of ``path`` under every reader configuration."""
    out: dict[str, str] = {}
    for name, env, keep_rows, workers in RUNS:
        with monkeypatch.context() as m:
            for key in ("TIC_READER", "TIC_SCHEMA_ENGINE", "TIC_SLICE_BYTES"):
                m.delenv(key, raising=False)
            for key, value in env.items():
                m.setenv(key, value)
            report = validate_file(path, config, keep_rows=keep_rows, workers=workers)
            if name == "stream-2" and report.fatal is None:
                assert report.workers == 2  # the worker pool really ran
            dest = tmp_path / f"{name}.json"
            write_reports_json([report], str(dest))
            if hasattr(report, "close"):
                report.close()
        out[name] = dest.read_text(encoding="utf-8")
    return out


def assert_same(texts: dict[str, str]) -> dict:
    ref = texts["reference"]
    for name, text in texts.items():
        assert text == ref, f"{name} differs from the reference reader"
    return json.loads(ref)


def many_rows(n: int) -> list[dict]:
    rows = [good_row(seq=i + 1, center_name=f"石家庄市第{i + 1}号技术创新中心",
                     lead_uscc=make_uscc(f"91130102MA{i:07d}")) for i in range(n)]
    rows[n - 1]["center_name"] = rows[2]["center_name"]  # a duplicate far apart: both rows named
    return rows


# ----------------------------------------------------------------- 1. rows and cells without r=

@pytest.mark.parametrize(("rows", "cells"), [(True, True), (True, False), (False, True)])
def test_rows_without_r_keep_their_excel_row_numbers(tmp_path, config, monkeypatch, rows, cells):
    path = rewrite_sheet(write_intake(tmp_path / "a.xlsx", many_rows(30)), without_r(rows, cells))
    report = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    assert [r["row"] for r in report["rows"]] == list(range(4, 34))  # two title rows, the header on row 3
    dup = [f["message"] for r in report["rows"] for f in r["findings"] if f["rule"] == "DATA.DUPLICATE"]
    assert any("第33行" in m for m in dup) and any("第6行" in m for m in dup)


def test_row_without_r_counts_from_the_previous_row_even_with_a_gap(tmp_path, config, monkeypatch):
    # rows 8 and 9 left empty: the row elements lose their r=, the cells keep theirs (as some tools write)
    rows = many_rows(12)
    for i in (4, 5):
        rows[i] = {}
    path = rewrite_sheet(write_intake(tmp_path / "a.xlsx", rows), without_r(rows=True, cells=False))
    report = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    assert len(report["rows"]) == 10


def test_numbered_gives_each_slice_its_starting_row():
    body = b'<row><c t="s"><v>0</v></c><c r="C9"><v>1</v></c><c/></row><row r="12"><c><v>2</v></c></row><row/>'
    out, nxt = _numbered(body, 7)
    assert out == (b'<row r="7"><c r="A7" t="s"><v>0</v></c><c r="C7"><v>1</v></c><c r="D7"/></row>'
                   b'<row r="12"><c r="A12"><v>2</v></c></row><row r="13"/>')
    assert nxt == 14
    plain = b'<row r="5"><c r="A5"><v>1</v></c></row>'
    assert _numbered(plain, 1) == (plain, 6)


# ----------------------------------------------------------------- 4. formulas with a namespace prefix

@pytest.mark.parametrize("prefix", [b"x", b"ss"])
def test_formula_without_value_found_under_any_prefix(prefix):
    data = (b'<P:row r="5"><P:c r="J5"><P:v>1</P:v></P:c><P:c r="K5" s="1"><P:f>SUM(A1:A2)</P:f></P:c>'
            b'<P:c r="L5"><P:f>1+1</P:f><P:v>2</P:v></P:c></P:row>').replace(b"P:", prefix + b":")
    assert _formulas_without_value(data) == {"K5"}


def test_prefixed_sheet_with_uncomputed_formula(tmp_path, config, monkeypatch):
    path = write_intake(tmp_path / "a.xlsx", [good_row(sales="=1000*5"), good_row(seq=2, center_name="另一中心")])
    rewrite_sheet(path, prefixed(b"x"))
    assert b"<x:c " in zipfile.ZipFile(path).read(SHEET)
    report = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    formula = [f for f in report["rows"][0]["findings"] if f["rule"] == "DATA.FORMULA"]
    assert formula and formula[0]["cell"].endswith("4")


# ----------------------------------------------------------------- 5. error cells

def test_error_cells_read_as_their_text(tmp_path, config, monkeypatch):
    path = write_intake(tmp_path / "a.xlsx", [good_row(), good_row(seq=2, center_name="另一中心")])
    wb_cols = {"sales": "K", "rd_spend": "L"}
    rewrite_sheet(path, set_cell(f"{wb_cols['sales']}4", b'<c r="K4" t="e"><v>#N/A</v></c>'))
    rewrite_sheet(path, set_cell("L5", b'<c r="L5" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    report = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    first = {f["cell"]: f for f in report["rows"][0]["findings"]}
    second = {f["cell"]: f for f in report["rows"][1]["findings"]}
    assert first["K4"]["rule"] == "DATA.TYPE" and first["K4"]["value"] == "#N/A"
    assert second["L5"]["rule"] == "DATA.TYPE" and second["L5"]["value"] == "#DIV/0!"
    assert not any(f["rule"] == "DATA.REQUIRED" for r in report["rows"] for f in r["findings"])


# ----------------------------------------------------------------- 6, 7. whole numbers read as floats

def test_whole_numbers_print_as_integers_in_every_engine(tmp_path, config, monkeypatch):
    path = write_intake(tmp_path / "a.xlsx", [
        good_row(lead_uscc=12345, sales=23500000, phone=12345),
        good_row(seq=2, center_name="另一中心", sales=1.5, rd_spend=0),
    ])
    report = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    assert report["rows"][0]["lead_uscc"] == "12345"
    values = [f.get("value") for r in report["rows"] for f in r["findings"]]
    assert "12345" in values and 23500000 in values  # calamine reads both as floats
    assert not any(isinstance(v, str) and v.endswith(".0") for v in values)


def test_whole_number_floats_in_the_core():
    assert normalise_uscc(12345.0) == "12345"
    assert normalise_uscc(1.5) == "1.5"
    assert parse_list(12.0) == ["12"]
    assert json_value(23500000.0) == 23500000 and type(json_value(23500000.0)) is int
    assert json_value(2.5) == 2.5
    assert json_value(True) is True


# ----------------------------------------------------------------- 8. a damaged slice

def test_corrupt_late_slice_gives_the_reference_sentence(tmp_path, config, monkeypatch):
    path = write_intake(tmp_path / "a.xlsx", many_rows(30))
    rewrite_sheet(path, lambda d: d.replace(b'<c r="B30"', b'<c r="B30"><<broken', 1))
    texts = json_texts(path, config, monkeypatch, tmp_path)
    report = assert_same(texts)
    [finding] = report["file_findings"]
    assert finding["rule"] == "FILE.UNREADABLE" and "内部 XML 格式错误" in finding["message"]
    assert not re.search(r"[A-Za-z]{4,}", finding["message"].replace("Excel", "").replace("xlsx", ""))


# ----------------------------------------------------------------- 2. a worker that dies

class _Fatal:
    """A part whose unpickling ends the worker process at once (as SIGKILL or the OOM killer would)."""

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os._exit, (9,))


def _children() -> set[int]:
    me = str(os.getpid())
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:  # noqa: PTH123
                    stat = fh.read()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                out.add(int(entry))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_dead_worker_stops_the_pool_instead_of_hanging(tmp_path, config):
    from toolkit.adapters.table import open_table_stream
    from toolkit.intake import intake_columns

    path = write_intake(tmp_path / "a.xlsx", many_rows(5))
    stream = open_table_stream(path, intake_columns(), engine="calamine")
    parts = list(stream.parts)
    stream.close()
    state = _CheckState(config=config, existing_names=frozenset(), missing_columns=frozenset(),
                        layout=stream.layout, slices=stream.slices, no_value=frozenset())
    before = _children()
    with pytest.raises(WorkerDied):
        for _ in _results(iter([*parts, _Fatal(), *parts, *parts, *parts]), state, 2):
            pass
    assert _children() <= before  # every worker ended and was reaped


# ----------------------------------------------------------------- 3. no room in the temporary folder

@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE")
def test_full_temporary_folder_is_one_sentence_and_status_2(tmp_path, config_file):
    import resource

    path = write_intake(tmp_path / "a.xlsx", many_rows(600))
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    def small_files() -> None:  # a write past 32 KB fails as on a full disk (EFBIG)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))

    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=str(Path(__file__).parents[1]), TIC_WORKERS="1",
               PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "validate", str(path), "--config", str(config_file), "--no-copy", "-q"],
        env=env, capture_output=True, text=True, timeout=60, preexec_fn=small_files, check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "临时文件夹空间不足" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp.iterdir()) == []



def test_renumbered_shared_strings_read_as_the_whole_table(tmp_path, config, monkeypatch):
    """A slice's string cells renumbered against only the entries it uses (the usual slice) give the rows
    of the slice read against the whole table (every index as written, unused entries blank); a slice
    that names an entry the table lacks, or spells its cells another way, keeps its indices."""
    from bench.generate import write_xlsx
    from toolkit.adapters.table import SheetSlices, _SheetXml, sheet_xml_members

    path = tmp_path / "strings.xlsx"
    # later rows reuse early strings: each slice uses indices spread over the whole table
    rows = [[f"甲{i}", f"乙{i % 7}", i, f"丙{i // 3} & <x>", "是" if i % 2 else "否", f"甲{i // 2}"] for i in range(300)]
    write_xlsx(path, [("表", rows)])  # shared strings, as Excel and WPS write them
    member = sheet_xml_members(path)["表"]
    with _SheetXml(path, member) as xml:
        slices = SheetSlices.of(path, member, "表", xml)
        whole = b"".join(xml.bodies(1 << 20))
    ends = [m.end() for m in re.finditer(rb"</row>", whole)][19::20]  # slices of 20 rows
    bodies = [whole[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    assert len(bodies) == 15 and b't="s"' in bodies[-1]
    renumbered = [slices.rows(body) for body in bodies]
    assert all(slices._renumbered(body) is not None for body in bodies)
    monkeypatch.setattr(SheetSlices, "_renumbered", lambda self, body: None)
    assert renumbered == [slices.rows(body) for body in bodies]
    monkeypatch.undo()
    cells = [v for rows in renumbered for _, values in rows for v in values]
    assert "丙99 & <x>" in cells and "甲149" in cells and 299 in cells
    # an index beyond the table, and a single-quoted spelling: the indices are kept as written
    beyond = bodies[-1].replace(b't="s"><v>', b't="s"><v>9999', 1)
    quoted = bodies[-1].replace(b't="s"', b"t='s'", 1)
    assert slices._renumbered(beyond) is None and slices._renumbered(quoted) is None
    assert slices.rows(quoted) == renumbered[-1]


@pytest.mark.parametrize("sst", [
    b'<?xml version="1.0"?><sst count="3"><si><t>a</t></si><si><t></t></si><si><r><t>b</t></r></si></sst>',
    b'<sst><si><t>a</t></si><si/><si><t>c</t></si></sst>',  # an empty entry written <si/>
    b'<sst><si><t>a</t></si><si xml:space="preserve"><t> b</t></si><si><t>c</t></si></sst>',
    b'<x:sst xmlns:x="s"><x:si><x:t>a</x:t></x:si><x:si><x:t>b</x:t></x:si></x:sst>',
    b'<sst><si><t>&lt;si&gt;</t></si><si><t>\xe4\xb8\xad</t></si></sst>',
])
def test_entry_offsets_match_the_expression_on_every_spelling(sst):
    """Where each shared-string entry starts: the split of plain <si> entries gives what the regular
    expression finds, and any other spelling falls back to the expression."""
    from toolkit.adapters.table import _SI, _entry_offsets

    expected = [m.start() for m in _SI.finditer(sst)]
    assert list(_entry_offsets(sst, _SI.search(sst))) == expected
    assert len(expected) >= 2


def test_column_letters_are_openpyxls_for_every_column():
    from openpyxl.utils import get_column_letter as openpyxl_letters

    from toolkit.adapters.table import get_column_letter

    assert [get_column_letter(i) for i in range(1, 18279)] == [openpyxl_letters(i) for i in range(1, 18279)]
    for bad in (0, -1, 18279):
        with pytest.raises(ValueError):
            get_column_letter(bad)


def test_validating_with_calamine_does_not_import_openpyxl(tmp_path, config_file):
    """The calamine path (the usual one) reads, checks and reports without openpyxl (~80 ms of start-up)."""
    path = write_intake(tmp_path / "申报.xlsx", [good_row(), good_row(center_name="石家庄市乙技术创新中心")])
    code = ("import sys\n"
            "from toolkit.cli.main import cli\n"
            "try:\n"
            "    cli(['validate', sys.argv[1], '--config', sys.argv[2], '--no-copy', '--json', sys.argv[3], '-q'])\n"
            "except SystemExit as exc:\n"
            "    assert exc.code in (0, 1), exc.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openpyxl'))\n")
    done = subprocess.run([sys.executable, "-c", code, str(path), str(config_file), str(tmp_path / "r.json")],
                          capture_output=True, text=True, encoding="utf-8", env={**os.environ, "TIC_READER": "auto"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert len(json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["rows"]) == 2


def _json_of(report, tmp_path: Path, name: str) -> str:  # type: ignore[no-untyped-def]
    dest = tmp_path / f"{name}.json"
    write_reports_json([report], str(dest))
    if hasattr(report, "close"):
        report.close()
    data = json.loads(dest.read_text(encoding="utf-8"))
    del data["source"]  # the file's name and digest
    return json.dumps(data, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("stray", [b"XFD1048576", b"AN1048576", b"XFD9", b"A1048576"])
def test_a_stray_value_far_away_is_read_in_parts_not_as_one_huge_block(tmp_path, config, monkeypatch, stray):
    """calamine allocates every cell between the first and the last: one value at XFD1048576 asked for
    549 GB and aborted the process. The slice is read in blocks of whole rows instead: the same report as
    the file without the stray value, in one process and in the worker pool, in a few seconds."""
    import time

    rows = many_rows(12)
    plain = write_intake(tmp_path / "plain.xlsx", rows)
    stray_file = write_intake(tmp_path / "stray.xlsx", rows)
    cell = b'<c r="' + stray + b'" t="inlineStr"><is><t>x</t></is></c>'
    row = b'<row r="' + re.sub(rb"[A-Z]", b"", stray) + b'">' + cell + b"</row>"
    if stray == b"XFD9":  # in a row of the form, beyond its last column
        rewrite_sheet(stray_file, lambda d: d.replace(b'</c></row><row r="10"', b"</c>" + cell + b'</row><row r="10"', 1))
    else:
        rewrite_sheet(stray_file, lambda d: d.replace(b"</sheetData>", row + b"</sheetData>", 1))
    monkeypatch.setenv("TIC_READER", "calamine")
    start = time.monotonic()
    for workers, slice_bytes in ((1, None), (2, "700")):
        if slice_bytes:
            monkeypatch.setenv("TIC_SLICE_BYTES", slice_bytes)
        expected = _json_of(validate_file(plain, config, keep_rows=False, workers=workers), tmp_path, "plain")
        got = _json_of(validate_file(stray_file, config, keep_rows=False, workers=workers), tmp_path, "stray")
        assert got == expected
    assert time.monotonic() - start < 30


def test_one_row_naming_cells_far_apart_is_one_sentence_and_the_batch_goes_on(tmp_path, config_file):
    """A row whose own cells name rows a million apart cannot be read in parts: the file gets one sentence
    naming the cell to delete (status 2) and the good file of the same run is still checked."""
    good = write_intake(tmp_path / "好.xlsx", many_rows(3))
    bad = write_intake(tmp_path / "坏.xlsx", many_rows(3))
    rewrite_sheet(bad, lambda d: d.replace(b"</c></row>", b'</c><c r="XFD1048576"><v>1</v></c></row>', 1))
    done = subprocess.run([sys.executable, "-m", "toolkit", "validate", str(bad), str(good), "--config", str(config_file),
                           "--no-copy", "--json", str(tmp_path / "r.json")],
                          capture_output=True, text=True, encoding="utf-8", env={**os.environ, "TIC_READER": "calamine"})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "单元格 XFD1048576 与同一行其他内容相距太远" in done.stdout + done.stderr
    reports = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [r["summary"]["rows"] for r in reports["reports"] if r["source"]["file"].endswith("好.xlsx")] == [3]


def test_an_application_below_the_notes_block_is_reported_not_lost(tmp_path, config, monkeypatch):
    """Rows under 填表说明 are not read as applications (the notes' own lines are not rows), but one that
    looks like an application (three or more of the form's cells filled) is named in a warning, in every
    reader and with the notes in an earlier slice than the row."""
    from openpyxl import load_workbook

    path = write_intake(tmp_path / "notes.xlsx", many_rows(4))
    wb = load_workbook(path)
    ws = wb.active
    ws.append(["填表说明：1. 金额单位为万元。"])
    ws.append(["2. 日期按年-月-日填写。", "（续）"])
    pasted = [c.value for c in ws[5]]
    ws.append(pasted)
    for _ in range(8):  # lines of the notes with one or two cells, in later slices too: never named
        ws.append(["3. 其他说明", "（续）", "见附件"])
    wb.save(path)
    data = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    assert [r["row"] for r in data["rows"]] == [4, 5, 6, 7]
    notes = [f for f in data["file_findings"] if "填表说明" in f["message"]]
    assert [f["message"] for f in notes] == ["第10行位于“填表说明”之后，未作为申报读取；如是申报，请移到填表说明之前后重新提交"]
    assert notes[0]["severity"] == "warning"


def test_a_second_sheet_with_the_form_is_named_not_silently_left_out(tmp_path, config, monkeypatch):
    from openpyxl import load_workbook

    path = write_intake(tmp_path / "two.xlsx", many_rows(3))
    wb = load_workbook(path)
    wb.copy_worksheet(wb["申报汇总"]).title = "申报汇总（续）"
    wb.save(path)
    data = assert_same(json_texts(path, config, monkeypatch, tmp_path))
    assert data["source"]["sheet"] == "申报汇总" and len(data["rows"]) == 3
    named = [f["message"] for f in data["file_findings"] if "也有" in f["message"]]
    assert named == ["工作表“申报汇总（续）”也有申报汇总表的表头，未读取（只校验“申报汇总”）；如其中也是申报，请并入“申报汇总”后重新提交"]
