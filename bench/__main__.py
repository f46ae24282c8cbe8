"""``python -m bench``: tic against what a user would pick instead, in the same run, on the same files.

    python -m bench                       # intake 1k/10k/100k, evaluation 500×9, ledger 2,000×10,
                                          # 1,000 letters (+ PDF); writes bench/RESULTS.md
    python -m bench --quick               # CI size (< 1 min): small files, results in the work folder
    python -m bench --sizes 1000,10000 --skip letters,pdf --work /tmp/b --results /tmp/b/R.md

Every program runs as a subprocess, as a user runs it (interpreter start-up counted for everyone);
times are wall-clock seconds, the best of three runs for inputs up to 10,000 rows and one run above.
See :mod:`bench.runner` for the two memory figures and :mod:`bench.generate` for the inputs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import generate
from bench.runner import ROOT, Measure, best_of, machine, python_env, run, soffice

PY = sys.executable
SHEET = "申报汇总"
CALAMINE_READ = (
    "import sys, python_calamine as pc\n"
    "wb = pc.CalamineWorkbook.from_path(sys.argv[1])\n"
    "print(sum(1 for _ in wb.get_sheet_by_name(sys.argv[2]).iter_rows()))\n"
)
OPENPYXL_READ = (
    "import sys, openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)\n"
    "print(sum(1 for _ in wb[sys.argv[2]].iter_rows(values_only=True)))\n"
    "wb.close()\n"
)
CONFIG = """[cycle]
year = 2026
reference_date = 2026-06-30

[ledger]
path = "{ledger}"
"""


@dataclass
class Target:
    """One target of issue 9 with its measured figure."""

    name: str
    goal: str
    measured: str
    passed: bool | None  # None: not measured


@dataclass
class Results:
    machine: dict[str, str]
    command: str
    tables: list[tuple[str, list[str], list[list[str]], str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, title: str, header: list[str], rows: list[list[str]], note: str = "") -> None:
        self.tables.append((title, header, rows, note))
        print(f"\n{title}")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))

    def target(self, name: str, goal: str, measured: str, passed: bool | None) -> None:
        self.targets.append(Target(name, goal, measured, passed))
        verdict = "—" if passed is None else "PASS" if passed else "FAIL"
        print(f"  [{verdict}] {name}: {measured} (target: {goal})")


def secs(m: Measure | None) -> str:
    return "—" if m is None else f"{m.seconds:.2f}"


def mem(m: Measure | None) -> str:
    if m is None:
        return "—"
    pss = f"{m.peak_pss_mb:.0f}" if m.peak_pss_mb else "—"
    return f"{m.peak_rss_mb:.0f} / {pss}"


def rate(n: int, m: Measure | None) -> str:
    return "—" if m is None or not m.seconds else f"{n / m.seconds:,.0f}"


def tic(*args: str | Path) -> list[str]:
    return [PY, "-m", "toolkit", *map(str, args)]


def write_config(folder: Path, ledger: str = "tic-ledger.sqlite") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tic.toml"
    path.write_text(CONFIG.format(ledger=ledger), encoding="utf-8")
    return path


def head_json(path: Path, key: str) -> dict[str, Any]:
    """The flat object ``key`` near the top of a (large) JSON report, without parsing the whole report in this
    process (its memory would be inherited by every command started after it)."""
    with open(path, "rb") as fh:  # noqa: PTH123
        head = fh.read(1 << 16).decode("utf-8", "ignore")
    m = re.search(r'"' + re.escape(key) + r'": (\{[^{}]*\})', head)
    if m is None:
        raise RuntimeError(f"no {key!r} at the top of {path}")
    return json.loads(m.group(1))


def frictionless_installed() -> bool:
    return importlib.util.find_spec("frictionless") is not None


def table_schema(path: Path) -> Path:
    """A Frictionless Table Schema of the intake form holding the same thresholds as ours (types, required
    columns, minimums, enumerations, the name pattern): what a user of frictionless would write."""
    from toolkit.adapters.schema_check import field_specs
    from toolkit.core.config import DEFAULT_KEY_FIELDS

    specs = {s.key: s for s in field_specs("intake")}

    def f(key: str, kind: str = "string", **constraints: Any) -> dict[str, Any]:
        d: dict[str, Any] = {"name": specs[key].header, "type": kind}
        if kind in ("number", "integer"):
            d["groupChar"] = ","
        if key.startswith("share_"):
            d["bareNumber"] = False  # "60%"
        if constraints:
            d["constraints"] = constraints
        return d

    uscc = "[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
    fields = [
        f("seq", "integer"), f("district", required=True), f("center_name", required=True, pattern="石家庄市.+技术创新中心"),
        f("center_name_en"), f("lead_name", required=True), f("lead_uscc", required=True, pattern=uscc),
        f("lead_type", required=True, enum=["企业", "高等院校", "科研院所", "其他"]), f("reg_place", required=True),
        f("reg_date", "date", required=True), f("rd_org", enum=["是", "√"]), f("sales", "number", minimum=2000),
        f("rd_spend", "number", minimum=100), f("partners"), f("partner_usccs"),
        f("city_partner_enterprises", "integer", minimum=2), f("agreement", enum=["是", "√"]),
        f("share_conditions", "number", minimum=50), f("share_staff", "number", minimum=50),
        f("share_projects", "number", minimum=50), f("share_outcomes", "number", minimum=50),
        f("key_field", required=True, enum=list(DEFAULT_KEY_FIELDS)), f("rd_direction", required=True, minLength=2),
        f("ip_count", "integer", required=True, minimum=1), f("fixed_staff", "integer", required=True, minimum=15),
        f("tech_leader", required=True), f("leader_credit", required=True, enum=["无不良记录", "无"]),
        f("lead_credit", required=True, enum=["无不良记录", "无"]), f("partner_credit"),
        f("rd_space", "number", required=True, minimum=500), f("equipment", "number", required=True, minimum=200),
        f("director", required=True), f("director_birth", "date", required=True),
        f("director_other", required=True, enum=["否", "×"]), f("director_months", "number", required=True, minimum=8),
        f("higher_tic", required=True, enum=["否", "×"]), f("contact"),
        f("phone", pattern="(1[3-9][0-9]{9})|(0[0-9]{2,3}-?[2-9][0-9]{6,7})"), f("recommend"), f("remarks"),
    ]
    path.write_text(json.dumps({"fields": fields}, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- intake


def bench_intake(res: Results, work: Path, sizes: list[int], quick: bool, repeat: int | None = None) -> None:
    folder = work / "intake"
    shutil.rmtree(folder, ignore_errors=True)
    config = write_config(folder)
    schema = table_schema(folder / "intake.tableschema.json") if frictionless_installed() else None
    if schema is None:
        res.notes.append("frictionless is not installed (`pip install -e .[bench]`): that comparison was skipped.")
        print("  note: frictionless not installed; skipping that comparison (pip install -e .[bench])")
    rows: list[list[str]] = []
    largest: dict[str, Measure | None] = {}
    mixes = [("realistic", n) for n in sizes] + [("stress", max(sizes))]
    for mix, n in mixes:
        path = folder / f"{mix}-{n}.xlsx"
        t = time.perf_counter()
        generate.make_intake(path, n, mix=mix)
        print(f"\n  generated {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
        runs = repeat or (3 if n <= 10_000 else 1)
        fast_runs = repeat or 3  # tic and calamine: seconds a run, the best of three at every size
        out = folder / f"{mix}-{n}.json"
        ours = best_of(fast_runs, "tic validate",
                       tic("validate", path, "--no-copy", "--json", out, "-q", "--config", config), cwd=folder,
                       memory_apart=True)
        summary = head_json(out, "summary")
        assert summary["rows"] == n, f"tic validate read {summary['rows']} rows of {n}"
        cal = best_of(fast_runs, "python-calamine", [PY, "-c", CALAMINE_READ, str(path), SHEET], cwd=folder,
                      memory_apart=True)
        opx = best_of(runs, "openpyxl", [PY, "-c", OPENPYXL_READ, str(path), SHEET], cwd=folder)
        fri = None
        if schema is not None:
            report = folder / f"{mix}-{n}.frictionless.json"  # relative paths: frictionless refuses absolute ones
            fri = best_of(runs, "frictionless", [PY, "-m", "frictionless", "validate", path.name, "--schema",
                                                   schema.name, "--header-rows", "3", "--sheet", SHEET, "--limit-errors",
                                                   "1000000000", "--json"], cwd=folder, stdout=report)
            checked = re.search(rb'"rows": (\d+)', report.read_bytes()[:1 << 16])
            assert checked and int(checked.group(1)) == n, f"frictionless did not read all {n} rows: {report}"
        label = f"{n:,} rows ({mix})"
        for m in (ours, cal, opx, fri):
            if m is None:
                continue
            ratio = "1" if m is ours else f"{m.seconds / ours.seconds:.2f}"
            rows.append([label, m.label, secs(m), rate(n, m), mem(m), ratio])
        print(f"  {label}: ours {ours.seconds:.2f} s ({summary['eligible']} eligible, {summary['review']} review, "
              f"{summary['ineligible']} ineligible), calamine {cal.seconds:.2f} s, openpyxl {opx.seconds:.2f} s, "
              f"frictionless {secs(fri)} s")
        if n == max(sizes):
            largest[mix] = ours
            largest[mix + "-cal"] = cal
            largest[mix + "-fri"] = fri
    res.table("Intake validation (`tic validate --no-copy --json`) and the alternatives", [
        "input", "program", "seconds", "rows/s", "peak MB (RSS max process / PSS whole tree)", "time ÷ tic"], rows,
        "python-calamine and openpyxl only read the rows (no checks): the floor of any validator. frictionless "
        "validates against a Table Schema with the same thresholds (`--limit-errors` raised so that it reads every "
        "row).")
    n = max(sizes)
    for mix in ("realistic", "stress"):
        ours, cal, fri = largest.get(mix), largest.get(mix + "-cal"), largest.get(mix + "-fri")
        if ours is None or cal is None:
            continue
        tag = f"{n:,} rows, {mix} mix"
        if fri is not None:
            res.target(f"intake {tag}: ≥ 10× faster than frictionless", "≥ 10×",
                       f"{fri.seconds / ours.seconds:.1f}× ({fri.seconds:.1f} s vs {ours.seconds:.2f} s)",
                       None if quick else fri.seconds / ours.seconds >= 10)
        res.target(f"intake {tag}: ≤ 2× the python-calamine raw read", "≤ 2×",
                   f"{ours.seconds / cal.seconds:.2f}× ({ours.seconds:.2f} s vs {cal.seconds:.2f} s)",
                   None if quick else ours.seconds / cal.seconds <= 2)
        res.target(f"intake {tag}: peak memory < 400 MB", "< 400 MB",
                   f"{ours.peak_rss_mb:.0f} MB largest process, {ours.memory_mb:.0f} MB whole tree (PSS)",
                   None if quick else ours.memory_mb < 400)


# ---------------------------------------------------------------------------------------------- evaluation


def bench_evaluation(res: Results, work: Path, centers: int, experts: int) -> None:
    folder = work / "evaluation"
    shutil.rmtree(folder, ignore_errors=True)
    config = write_config(folder)
    path = generate.make_evaluation(folder / f"评估打分表-{centers}x{experts}.xlsx", centers, experts)
    m = best_of(3, "tic evaluate", tic("evaluate", path, "--json", folder / "evaluation.json", "-q", "--config", config,
                                       "--out", folder / "out"), cwd=folder)
    data = json.loads((folder / "evaluation.json").read_text(encoding="utf-8"))
    graded = sum(1 for c in data.get("centers", []) if c.get("grade"))
    res.table("Evaluation (`tic evaluate`, results workbook included)", ["input", "seconds", "peak MB", "centers graded"],
              [[f"{centers} centers × {experts} experts", secs(m), mem(m), str(graded)]])
    res.target(f"evaluation of {centers} × {experts} under 2 s", "< 2 s", f"{m.seconds:.2f} s", m.seconds < 2)


# ---------------------------------------------------------------------------------------------- ledger / decide


def bench_decide(res: Results, work: Path, centers: int, years: int) -> None:
    folder = work / "ledger"
    shutil.rmtree(folder, ignore_errors=True)
    config = write_config(folder)
    path = generate.make_ledger(folder / f"中心台账-{centers}x{years}.xlsx", centers, years)
    imp = run("tic ledger import", tic("ledger", "import", path, "--config", config), cwd=folder)
    m = best_of(3, "tic decide", tic("decide", "--config", config, "--json", folder / "decide.json"), cwd=folder)
    data = json.loads((folder / "decide.json").read_text(encoding="utf-8"))
    outcomes: dict[str, int] = {}
    for c in data.get("centers", []):
        outcomes[c.get("outcome", "?")] = outcomes.get(c.get("outcome", "?"), 0) + 1
    res.table("Ledger (`tic ledger import`, then `tic decide`)", ["step", "input", "seconds", "peak MB", "result"], [
        ["import", f"{centers} centers × {years} years", secs(imp), mem(imp), ""],
        ["decide", f"{centers} centers × {years} years", secs(m), mem(m),
         ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))],
    ])
    res.target(f"decide over {centers} × {years} under 2 s", "< 2 s", f"{m.seconds:.2f} s", m.seconds < 2)


# ---------------------------------------------------------------------------------------------- letters

PLAIN_LOOP = r'''
import io, json, sys, time
from pathlib import Path
from docxtpl import DocxTemplate
from toolkit.adapters.config_file import load_config
from toolkit.adapters.ledger import open_ledger
from toolkit.adapters.letter_plan import plan_letters
from toolkit.adapters.letter_register import LetterKey, current_letter
from toolkit.adapters.letters import load_template

config = load_config(Path(sys.argv[1]))
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
evaluation = json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))
with open_ledger(config, command="bench", write=False) as led:
    plan = plan_letters(led.conn, config, evaluation=evaluation)
    jobs = []
    for item in plan.letters:
        rec = current_letter(led.conn, LetterKey(*item.key))
        if rec is not None:
            jobs.append((item, rec.doc_number, rec.file))
paths = {kind: load_template(kind)[0] for kind in {item.kind for item, _, _ in jobs}}
start = time.perf_counter()
for item, number, name in jobs:  # the plain loop: one DocxTemplate per letter
    doc = DocxTemplate(paths[item.kind])
    doc.render({**item.context, "doc_number": number})
    doc.save(out / name)
print(json.dumps({"letters": len(jobs), "seconds": time.perf_counter() - start}))
'''


def docx_text(path: Path) -> list[str]:
    """The paragraphs' text of a letter (body, tables, headers and footers)."""
    import docx

    doc = docx.Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    for s in doc.sections:
        parts.extend(p.text for p in s.header.paragraphs)
        parts.extend(p.text for p in s.footer.paragraphs)
    return parts


def bench_letters(res: Results, work: Path, count: int, pdf: bool) -> None:
    if importlib.util.find_spec("toolkit.adapters.letters") is None:
        res.notes.append("The letters module is not there yet: the letters benchmark was skipped.")
        return
    folder = work / "letters"
    shutil.rmtree(folder, ignore_errors=True)
    config = write_config(folder)
    ledger = generate.make_ledger(folder / f"中心台账-{count}.xlsx", count, 10, outcomes="letters")
    run("tic ledger import", tic("ledger", "import", ledger, "--config", config), cwd=folder)
    run("tic decide", tic("decide", "--config", config), cwd=folder)
    evaluation = folder / "evaluation.json"
    evaluation.write_text(json.dumps(generate.evaluation_report(count), ensure_ascii=False), encoding="utf-8")
    fresh = folder / "ledger-before-letters.sqlite"
    shutil.copy2(folder / "tic-ledger.sqlite", fresh)

    ours = run("tic letters", tic("letters", "--out", folder / "out", "--evaluation", evaluation, "-q",
                                  "--config", config), cwd=folder)
    letters = sorted((folder / "out").glob("*.docx"))
    n = len(letters)
    loop_out = folder / "plain"
    plain = run("docxtpl loop", [PY, "-c", PLAIN_LOOP, str(config), str(loop_out), str(evaluation)], cwd=folder,
                stdout=folder / "plain.json")
    inner = json.loads((folder / "plain.json").read_text())
    same = checked = 0
    for path in letters[:: max(1, n // 25)]:
        other = loop_out / path.name
        if other.is_file():
            checked += 1
            same += docx_text(path) == docx_text(other)
    rows = [["tic letters (plan, number, render, record)", str(n), secs(ours), rate(n, ours), mem(ours), "1"],
            ["docxtpl, one DocxTemplate per letter (whole process)", str(inner["letters"]), secs(plain), rate(n, plain),
             mem(plain), f"{plain.seconds / ours.seconds:.2f}"],
            ["docxtpl loop alone (render + save, timed inside)", str(inner["letters"]), f"{inner['seconds']:.2f}",
             f"{inner['letters'] / inner['seconds']:,.0f}" if inner["seconds"] else "—", "",
             f"{inner['seconds'] / ours.seconds:.2f}"]]
    speedup = inner["seconds"] / ours.seconds if ours.seconds else 0
    res.target(f"letters: ≥ 4× faster than the plain docxtpl loop ({n} letters)", "≥ 4×",
               f"{speedup:.2f}× ({ours.seconds:.2f} s vs the loop's {inner['seconds']:.2f} s of rendering alone)",
               speedup >= 4)
    res.target("letters: output identical in content to the plain loop", "identical",
               f"{same} of {checked} sampled letters have the same text", checked > 0 and same == checked)
    if pdf:
        exe = soffice()
        if exe is None:
            res.notes.append("LibreOffice (soffice) is not installed: the PDF comparison was skipped.")
        else:
            pdf_folder = folder / "pdf"
            pdf_config = write_config(pdf_folder, ledger=str(pdf_folder / "tic-ledger.sqlite").replace("\\", "/"))
            shutil.copy2(fresh, pdf_folder / "tic-ledger.sqlite")
            with_pdf = run("tic letters --pdf", tic("letters", "--pdf", "--out", pdf_folder / "out", "--evaluation",
                                                    evaluation, "-q", "--config", pdf_config), cwd=pdf_folder)
            ours_pdf = max(0.0, with_pdf.seconds - ours.seconds)
            made = len(list((pdf_folder / "out").glob("*.pdf")))
            lo_out = folder / "lo-pdf"
            lo_out.mkdir(exist_ok=True)
            profile = (folder / "lo-profile").resolve().as_uri()
            env = python_env()
            try:
                from toolkit.adapters.pdf import fonts_conf

                conf = folder / "fonts.conf"
                conf.write_text(fonts_conf(), encoding="utf-8")
                env["FONTCONFIG_FILE"] = str(conf)
            except ImportError:
                pass
            lo_seconds, calls, lo_rss = 0.0, 0, 0.0
            while calls < 20:  # one instance converts only ~250 files per call (LibreOffice 7.4): call again
                todo = [p for p in letters if not (lo_out / (p.stem + ".pdf")).is_file()]
                if not todo:
                    break
                m = run("LibreOffice batch", [exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                                              "pdf", "--outdir", str(lo_out), *map(str, todo)], cwd=folder, env=env,
                        timeout=7200)
                lo_seconds, calls, lo_rss = lo_seconds + m.seconds, calls + 1, max(lo_rss, m.peak_rss_mb)
            lo = Measure("LibreOffice batch", lo_seconds, lo_rss, None, 0, note=f"{calls} calls")
            lo_made = len(list(lo_out.glob("*.pdf")))
            rows += [["tic letters --pdf, the PDF part (total − docx run)", str(made), f"{ours_pdf:.2f}",
                      f"{made / ours_pdf:,.1f}" if ours_pdf else "—", mem(with_pdf), ""],
                     [f"LibreOffice batch of the same .docx files ({lo.note}, one instance)", str(lo_made), secs(lo),
                      rate(lo_made, lo), mem(lo), ""]]
            ratio = ours_pdf / lo.seconds if lo.seconds else 0
            res.target("PDF: no slower than 1.2× LibreOffice's own batch", "≤ 1.2×",
                       f"{ratio:.2f}× ({ours_pdf:.1f} s for {made} PDFs vs {lo.seconds:.1f} s for {lo_made})",
                       ratio <= 1.2 and made >= lo_made)
    res.table("Letters (`tic letters`) and the plain docxtpl loop", [
        "program", "letters", "seconds", "letters/s", "peak MB", "time ÷ tic"], rows,
        f"{checked} letters sampled: {same} have the same text in both outputs.")


# ---------------------------------------------------------------------------------------------- report


ANALYSIS = """## Why a target fails, and what would fix it

The one target not met is the 2× of python-calamine's raw read (the stress mix, with ~2.9 findings a row, is
further off: its extra time is making the findings — messages, JSON and terminal lines). Measured on the
realistic 100,000-row file, CPU per row in one process (`/usr/bin/time` with `TIC_WORKERS=1`: 9.5 s, user 9.1 s;
the parts below timed one by one over the file's 25 slices):

| work | CPU per row |
|---|---|
| main process: decompressing the sheet, cutting it into slices of whole rows, checking every row and cell has its `r=` | ~6 µs |
| each slice made a small workbook: its string cells renumbered against only the shared strings it uses, zipped | ~14 µs |
| the extent of each slice's cells (one expression over the slice): a stray value at XFD1048576 made calamine allocate 549 GB and abort the process; a slice spanning more than 4,000,000 cells is read in parts | ~6 µs |
| python-calamine reading the slices, error cells, rows assembled (its own whole-file read: ~20 µs a row, one process, all in memory) | ~17 µs |
| rows of the form built from the cells | ~3 µs |
| the rules (`check_row`): the 39 values read by a function generated from the form's fields, 注册地, dates, thresholds, USCC, phone, findings | ~28 µs |
| JSON and terminal text of the row, duplicate index, results back to the main process, the report | ~9 µs |

About 90 µs of CPU a row. Two workers and the main process share the machine's two cores. Two times
calamine's read (~4.1 s) would need the whole at ~65 µs a row: reading in slices (which keeps memory flat and
lets two processes share the work) already costs ~45 µs, so the rules, the JSON and the report would have to
fit in ~20 µs.

Tried and measured, not kept:
- the slices' string cells handed to calamine as text cells holding their index (`t="s"` → `t="str"`, one C
  replace, no shared strings in the slice's workbook) and the entries they name decoded at once (one join,
  one decode, one split; XML white space trimmed as calamine trims it): calamine 71 → 58 ms a slice, but the
  decoding 41 ms — 3.43 → 3.52 s for all slices, no gain;
- a regular-expression cell reader instead of calamine: finding the cells alone takes 34-41 ms of a 4 MB slice
  (113,000 cells) before any value is converted or string decoded: no better than calamine, and it would have
  to cover every spelling of the sheet XML that calamine reads;
- compiling `toolkit/core` with mypyc (no gain: the time is in C calls — dict, str, Decimal — and in the
  generated reader); slices of 8 MB (the process tree at 450-500 MB, target < 400 MB); three workers on two
  cores (no faster); a separate "clean row" check (the full check made fast for every row instead).

Kept this round: shared-string offsets by one split, one count and one accumulate (0.21 → 0.14 s before the
workers start); whole years by (month, day) (0.58 → 0.13 µs a call, two a row); formula and error-cell scans
that start with one memchr pass (6.5 → 0.14 ms and 2.4 → 0.14 ms a slice); `validate` without importing
openpyxl on the calamine path (~70 ms of start-up). Against the session's start, alternating on the same file:
5.50-5.75 s → 5.22-5.43 s before the safety check of the slices' extent was added (~0.3 s of CPU).

What would close the gap: more cores (the pool takes one worker per core, up to 4, and the work splits evenly:
an estimated ~3.5 s on four, not measured here), or the rules and the slice reading compiled to native code
(a Rust or C extension: the regulation written a second time, in another language, and wheels to build for
the clerks' Windows PCs), which we do not choose.

Letters (now passing): each template is prepared once per run (`toolkit/adapters/fastdocx.py`: docxtpl's
`patch_xml` of the body, headers and footers and the Jinja compilation done once; every unchanged zip member
serialised and deflated once), so a letter costs its rendering, docxtpl's post-processing (`resolve_listing`,
`fix_tables`), one serialisation of `word/document.xml` and one zip: ~0.4 ms instead of ~6 ms, giving the same
bytes as before. Numbers and file names are given in plan order in the main process; a run of 200 letters or more
renders in two forked worker processes while the main process records and writes (atomic writes, ~0.3 ms a file,
are now the largest part of the main process's time). Of the ~1 s, ~0.3 s is interpreter start-up and imports.
"""


def write_results(res: Results, path: Path) -> None:
    lines = ["# Benchmarks", "",
             f"Generated by `{res.command}` on {time.strftime('%Y-%m-%d %H:%M')} — every program in the same run, "
             "on the same generated files, as a subprocess started the way a user starts it.", "",
             "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in res.machine.items()]
    lines += ["", "## Targets (issue 9)", "", "| target | measured | result |", "|---|---|---|"]
    for t in res.targets:
        verdict = "not judged (quick run)" if t.passed is None else "**PASS**" if t.passed else "**FAIL**"
        lines.append(f"| {t.name} ({t.goal}) | {t.measured} | {verdict} |")
    for title, header, rows, note in res.tables:
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        if note:
            lines += ["", note]
    lines += ["", "## How it was measured", "",
              "- Inputs come from `bench/generate.py` (deterministic). The *realistic* intake mix: ~72 % of the "
              "applications eligible, ~16 % to review, ~12 % ineligible, 15 % jointly built, varied numbers and "
              "dates (5 % typed as text), a few duplicates. The *stress* mix: nearly every row breaks two or three "
              "rules (~2.9 findings a row). Workbooks are written as Excel and WPS write them (shared strings).",
              "- Seconds: wall clock, interpreter start-up included for every program; tic and python-calamine: "
              "the best of three runs at every size, timed without sampling their memory (sampling reads "
              "`/proc/*/smaps_rollup` 20 times a second and takes CPU from a program that keeps both cores "
              "busy), their memory from one more, sampled run; openpyxl and frictionless: the best of three runs "
              "up to 10,000 rows, one run above.",
              "- Peak MB: the largest resident set of any one process of the run (`ru_maxrss`) / the largest sum of "
              "proportional set sizes over the whole process tree, sampled every 50 ms (shared pages counted once: "
              "what worker processes really cost).",
              "- `tic validate --no-copy` streams: the sheet is read in slices of ~4 MB of XML, each slice checked "
              "in one of a pool of worker processes (one per core) and the rows' JSON spilled to a temporary file, "
              "so memory holds a few slices and the duplicate index, not the file."]
    lines += [f"- {n}" for n in res.notes]
    if any(t.passed is False for t in res.targets):
        lines += ["", ANALYSIS.rstrip()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=None, help="intake rows, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--quick", action="store_true", help="CI size: small inputs, no PASS/FAIL on the ratios")
    parser.add_argument("--repeat", type=int, default=None, help="runs per program (default: best of 3 up to "
                        "10,000 rows, 1 above)")
    parser.add_argument("--skip", default="", help="comma-separated: intake,evaluation,decide,letters,pdf")
    parser.add_argument("--work", default=None, help="folder for the generated files (default: a temporary one)")
    parser.add_argument("--results", default=None, help="where to write the results (default bench/RESULTS.md; "
                        "with --quick: RESULTS.md in the work folder)")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else (
        [500, 2000] if quick else [1_000, 10_000, 100_000])
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="tic-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results_path = Path(args.results) if args.results else (work / "RESULTS.md" if quick else ROOT / "bench" / "RESULTS.md")
    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    res = Results(machine=machine(), command=command.strip())
    print(f"work folder: {work}")
    for k, v in res.machine.items():
        print(f"  {k}: {v}")
    started = time.perf_counter()
    try:
        if "intake" not in skip:
            bench_intake(res, work, sizes, quick, args.repeat)
        if "evaluation" not in skip:
            bench_evaluation(res, work, *((50, 9) if quick else (500, 9)))
        if "decide" not in skip:
            bench_decide(res, work, *((200, 10) if quick else (2000, 10)))
        if "letters" not in skip:
            bench_letters(res, work, 30 if quick else 1000, pdf="pdf" not in skip)
    finally:
        write_results(res, results_path)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{len(res.targets)} targets, {sum(1 for t in res.targets if t.passed is False)} failed; "
          f"{time.perf_counter() - started:.0f} s; results in {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
