"""Official letters in bulk: render the Word templates from the ledger, number them, write them safely.

:func:`issue_letters` is what ``tic letters``, the monthly batch and the Excel buttons call:

1. plan the cycle's letters from the ledger (:mod:`toolkit.adapters.letter_plan`);
2. check every template against the data before anything is numbered (a field the
   data lacks stops the run with a :class:`~toolkit.errors.TemplateError` naming it);
3. inside the ledger's one write transaction, for each letter: a letter already issued
   for the same (kind, center, cycle, subject) is kept — same number, same file,
   ``new: false`` (restored byte for byte if its file is missing and the data is
   unchanged) —, otherwise the next 发文字号 is allocated, the letter rendered and
   written as a new file (never over an existing one) and recorded; ``reissue`` gives
   a new number and marks the old letter superseded;
4. after the commit: PDFs (LibreOffice), ``manifest.xlsx`` and per-district zips.

Files written before a failed commit are removed again, so the ledger and the folder agree.

Rendering: docxtpl in a :class:`~jinja2.sandbox.SandboxedEnvironment` with autoescape and
:class:`~jinja2.StrictUndefined` — values are data ("&", "<", "{{" print as themselves),
a template cannot run code, a missing field is an error, never a blank. Each template
is prepared once per run (:mod:`toolkit.adapters.fastdocx`: docxtpl's patching and the
Jinja compilation done once, the fixed package members serialised and deflated once);
each letter then costs its rendering and one zip, the same bytes as a new ``DocxTemplate``
per letter (:func:`render_letter`) would give. The output zip is written with fixed
timestamps so the same data always gives the same bytes (and SHA-256). Numbers and file
names are decided in plan order in this process; a large run renders in two forked
worker processes (:func:`pool_workers`), then records and writes in plan order.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import re
import sys
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from toolkit import __version__
from toolkit.adapters.atomic import write_bytes, write_with
from toolkit.adapters.fastdocx import PreparedTemplate
from toolkit.adapters.ledger import now_text, open_ledger
from toolkit.adapters.letter_plan import (
    KIND_ZH,
    KINDS,
    LETTER_FIELDS,
    PlannedLetter,
    PlanProblem,
    plan_letters,
)
from toolkit.adapters.letter_register import (
    LetterKey,
    LetterRecord,
    current_letter,
    format_doc_number,
    letters_of_cycle,
    next_seq,
    record_letter,
    recorded_files,
    sequence_gaps,
)
from toolkit.adapters.pdf import MISSING, convert_to_pdf, find_soffice
from toolkit.adapters.xlstyle import defuse_formulas, print_fit
from toolkit.core.config import Config
from toolkit.core.dates import format_zh
from toolkit.errors import InputFileError, OutputError, TemplateError, TicError, os_reason
from toolkit.resources import templates_dir

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FOLDER = "按区县打包"
MANIFEST = "manifest.xlsx"
STAGING = ".tic-印发中"
"""Folder (in the output folder) where a run's new letters wait until the ledger has recorded their numbers: a run
killed before that (power cut, kill, Ctrl+C) leaves no letter in the output folder whose number the ledger never
gave (the next run would give it again); one killed after it leaves them here and the next run moves them in."""
NAME_PART_MAX = 30  # characters of a center name in a file name
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}

Progress = Callable[[str, int, int], None]  # (phase "docx" | "pdf", done, total)


# ------------------------------------------------------------------ rendering


class LetterEnvironment(SandboxedEnvironment):
    """The sandboxed, autoescaping, strict Jinja environment of the letters.

    It keeps the compiled XML of each template for the run: every letter of a kind
    has the same template source, so it is compiled once instead of once per letter.
    """

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:  # noqa: A002
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            if len(self._compiled) < 64:
                self._compiled[source] = compiled
        return compiled


def _missing_field(exc: UndefinedError) -> str:
    text = str(exc)
    m = re.search(r"'([^']+)' is undefined", text) or re.search(r"has no attribute '([^']+)'", text)
    return m.group(1) if m else text


def _template_error(name: str, exc: Exception) -> TemplateError:
    if isinstance(exc, UndefinedError):
        return TemplateError(f"公文模板“{name}”使用了数据中没有的字段“{_missing_field(exc)}”，未生成该公文；"
                             "请检查模板中的字段名（可运行 tic letters check 检查）。")
    if isinstance(exc, SecurityError):
        return TemplateError(f"公文模板“{name}”含有不允许的代码（{exc}），已拒绝生成。")
    if isinstance(exc, TemplateSyntaxError):
        return TemplateError(f"公文模板“{name}”中的字段写法有误（{exc.message}），请检查 {{{{ }}}} 和 {{% %}} 是否成对。")
    return TemplateError(f"公文模板“{name}”无法生成公文：{exc}。")


def normalise_docx(data: bytes) -> bytes:
    """The same .docx with fixed member timestamps: identical content gives identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """A context value without the control characters XML cannot carry (they come from Excel cells)."""
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    if isinstance(value, Mapping):
        return {k: xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(v) for v in value]
    return value


@contextlib.contextmanager
def _rendering(name: str) -> Iterator[None]:
    """Any failure of filling template ``name`` as one :class:`TemplateError` sentence."""
    try:
        yield
    except JinjaTemplateError as exc:
        raise _template_error(name, exc) from None
    except (zipfile.BadZipFile, KeyError) as exc:
        raise TemplateError(f"公文模板“{name}”不是有效的 Word 文件（.docx）或已损坏（{_not_docx(exc)}）。") from None
    except TicError:
        raise
    except Exception as exc:  # an expression in the template failed (e.g. division by zero)
        raise TemplateError(f"公文模板“{name}”无法生成公文：{type(exc).__name__}: {exc}。") from None


def render_letter(template: bytes, context: Mapping[str, Any], *, name: str = "模板",
                  env: LetterEnvironment | None = None) -> bytes:
    """Fill one letter from ``template`` (.docx bytes); raises :class:`TemplateError` naming a missing field.

    Plain docxtpl (a new ``DocxTemplate``, render, save, fixed timestamps): the reference
    that :class:`LetterRenderer`'s prepared template reproduces byte for byte.
    """
    with _rendering(name):
        doc = DocxTemplate(io.BytesIO(template))
        doc.render(xml_safe(context), jinja_env=env or LetterEnvironment())
        buf = io.BytesIO()
        doc.save(buf)
    return normalise_docx(buf.getvalue())


class LetterRenderer:
    """Fills the letters of one template for a run: docxtpl's work on the template done once.

    The template is prepared on the first letter (:class:`~toolkit.adapters.fastdocx.PreparedTemplate`:
    patched and compiled once, the fixed package members serialised and deflated once); each
    letter then gives the same bytes as :func:`render_letter`. A template the prepared path
    does not support (fields in core properties or footnotes) is filled by :func:`render_letter`.
    """

    def __init__(self, template: bytes, *, name: str = "模板", env: LetterEnvironment | None = None) -> None:
        self.template = template
        self.name = name
        self.env = env or LetterEnvironment()
        self._prepared: PreparedTemplate | None = None
        self._plain = False

    def prepare(self) -> None:
        """Prepare the template now (else on the first letter).

        A template that cannot be prepared (not a .docx, a syntax error …) is left to
        :func:`render_letter`, which then raises its error exactly as without preparing.
        """
        if self._prepared is None and not self._plain:
            try:
                prepared: PreparedTemplate | None = PreparedTemplate(self.template, self.env, FIXED_ZIP_TIME)
            except Exception:  # render_letter reports it
                prepared = None
            if prepared is not None and prepared.supported:
                self._prepared = prepared
            else:
                self._plain = True

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The letter for ``context`` (.docx bytes); a :class:`TemplateError` as :func:`render_letter` raises."""
        self.prepare()
        if self._prepared is None:
            return render_letter(self.template, context, name=self.name, env=self.env)
        with _rendering(self.name):
            return self._prepared.render(xml_safe(context))


def template_fields(template: bytes, *, name: str = "模板") -> set[str]:
    """The fields a template uses (loop variables excluded)."""
    try:
        doc = DocxTemplate(io.BytesIO(template))
        return set(doc.get_undeclared_template_variables(jinja_env=LetterEnvironment()))
    except JinjaTemplateError as exc:
        raise _template_error(name, exc) from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateError(f"“{name}”不是有效的 Word 文件（.docx）或已损坏（{_not_docx(exc)}），"
                            "请用 Word 打开后另存为 .docx 再试。") from None


def _not_docx(exc: BaseException) -> str:
    """Why a file is not a Word document, in Chinese (python-docx and zipfile say it in English)."""
    text = str(exc)
    if isinstance(exc, zipfile.BadZipFile):
        return "不是压缩包格式，可能是旧版 .doc、文本文件或文件已损坏"
    if "spreadsheetml" in text:
        return "这是一个 Excel 工作簿，只是扩展名为 .docx"
    if "presentationml" in text:
        return "这是一个 PowerPoint 演示文稿，只是扩展名为 .docx"
    if isinstance(exc, KeyError):
        return "缺少 Word 文档的内容部分"
    return "内容类型不是 Word 文档"


def kind_of_template(path: Path) -> str | None:
    """The kind a template file is for, from its name (``revocation.docx`` → revocation)."""
    stem = path.stem.lower()
    return stem if stem in KINDS else None


def check_template(path: Path | str, kind: str | None = None) -> tuple[list[str], list[str]]:
    """``(missing_in_data, unused_data_fields)`` of a template for ``kind`` (from the file name when None).

    ``missing_in_data``: fields the template uses that the data of that kind does not
    provide (each would stop the run); ``unused_data_fields``: what the data offers that
    the template does not print.
    """
    path = Path(path)
    kind = kind or kind_of_template(path)
    if kind is None:
        raise TemplateError(f"无法从文件名“{path.name}”判断公文类别，请用 --kind 指定（{'、'.join(KINDS)}）。")
    if kind not in LETTER_FIELDS:
        raise TemplateError(f"未知的公文类别“{kind}”，可用的类别为：{'、'.join(KINDS)}。")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"无法读取公文模板“{path}”：{os_reason(exc)}。", reason="unreadable") from None
    used = template_fields(data, name=path.name)
    provided = LETTER_FIELDS[kind]
    return sorted(used - provided), sorted(provided - used)


def load_template(kind: str, template_dir: Path | None = None) -> tuple[Path, bytes]:
    """The template of ``kind``: ``<template_dir>/<kind>.docx`` when present, else the bundled one."""
    candidates = [Path(template_dir) / f"{kind}.docx"] if template_dir else []
    candidates.append(templates_dir() / f"{kind}.docx")
    for path in candidates:
        if path.is_file():
            try:
                return path, path.read_bytes()
            except OSError as exc:
                raise TemplateError(f"无法读取公文模板“{path}”：{os_reason(exc)}。") from None
    raise TemplateError(f"找不到“{KIND_ZH.get(kind, kind)}”的公文模板 {kind}.docx（已查找：{'、'.join(map(str, candidates))}）。")


# ------------------------------------------------------------------ file names


def safe_component(text: str) -> str:
    """Text made safe as (part of) a Windows file name: no \\ / : * ? " < > |, control characters or ``..``."""
    text = unicodedata.normalize("NFC", str(text))
    text = _FORBIDDEN.sub("", text)
    text = " ".join(text.split())
    while ".." in text:
        text = text.replace("..", ".")
    return text.strip(" .")


def shorten(text: str, limit: int = NAME_PART_MAX) -> str:
    """Keep a long name readable within ``limit`` characters: the head, “…”, the tail."""
    if len(text) <= limit:
        return text
    tail = min(len("技术创新中心") + 4, limit // 2)
    return text[: limit - tail - 1] + "…" + text[-tail:]


def letter_file_stem(kind: str, center_id: str | None, center_name: str | None, cycle_year: int,
                     extra: str = "") -> str:
    """``撤销通知-SJZTIC-2019-002-石家庄市…技术创新中心`` (the notice: ``认定通知-2026年度``)."""
    parts = [KIND_ZH[kind]]
    if center_id is None:
        parts.append(f"{cycle_year}年度")
    else:
        parts.append(safe_component(center_id)[:40])
        if extra:
            parts.append(shorten(safe_component(extra), 12))
        if center_name:
            parts.append(shorten(safe_component(center_name)))
    stem = "-".join(p for p in parts if p) or "公文"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    return stem


def unique_file_name(out_dir: Path, stem: str, suffix: str, taken: set[str]) -> str:
    """``stem + suffix``, or ``stem-2 + suffix`` … — never a name on disk or already recorded."""
    n = 1
    while True:
        name = f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}"
        if name.lower() not in taken and not (out_dir / name).exists():
            return name
        n += 1


def write_new(target: Path, data: bytes) -> None:
    """Write a letter atomically; an existing file is never overwritten."""
    if target.exists():
        raise OutputError(f"文件“{target}”已存在，未覆盖（已印发的公文不会被覆盖）。")
    write_bytes(target, data)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ the report


@dataclass
class LetterEntry:
    """One letter of a run (report.md § Letters written)."""

    kind: str
    center_id: str | None
    center_name: str | None
    districts: tuple[str, ...]
    doc_number: str
    file: str
    sha256: str
    new: bool
    issued_at: str
    supersedes: str | None = None  # the 文号 this re-issue replaces
    restored: bool = False  # an issued letter whose missing file was written again, byte for byte
    pdf: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "center_id": self.center_id,
            "center_name": self.center_name,
            "district": self.districts[0] if len(self.districts) == 1 and self.center_id else None,
            "doc_number": self.doc_number,
            "file": self.file,
            "sha256": self.sha256,
            "new": self.new,
            "issued_at": self.issued_at,
        }
        if self.supersedes:
            out["supersedes"] = self.supersedes
        if self.restored:
            out["restored"] = True
        if self.pdf:
            out["pdf"] = self.pdf
        return out


@dataclass
class LettersReport:
    """The result of :func:`issue_letters`; ``to_dict()`` is report.md's "letters" report."""

    year: int
    letter_date: str
    out_dir: Path
    letters: list[LetterEntry] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)
    manifest: str | None = None
    zips: list[str] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    after_notice: tuple[str, list[str]] | None = None  # the 认定通知's number, centers registered after it
    doc_prefix: str = ""
    doc_year: int = 0
    recovered: list[str] = field(default_factory=list)  # letters an interrupted run recorded, moved in now

    @property
    def new(self) -> list[LetterEntry]:
        return [e for e in self.letters if e.new]

    @property
    def exit_status(self) -> int:
        """0 when every letter the cycle calls for exists; 1 when some could not be written."""
        return 1 if self.problems else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": "letters",
            "schema_version": 1,
            "tool_version": __version__,
            "year": self.year,
            "letter_date": self.letter_date,
            "summary": {
                "letters": len(self.letters),
                "new": len(self.new),
                "existing": len(self.letters) - len(self.new),
                "reissued": sum(1 for e in self.letters if e.supersedes),
                "problems": len(self.problems),
            },
            "letters": [e.to_dict() for e in self.letters],
            "problems": [p.to_dict() for p in self.problems],
            "manifest": self.manifest,
            "zips": list(self.zips),
        }

    def summary_lines(self) -> list[str]:
        """The Chinese summary ``tic letters`` prints."""
        new = self.new
        lines = [f"{self.year}年度公文：共{len(self.letters)}件，本次新印发{len(new)}件，"
                 f"已印发（未重复发文）{len(self.letters) - len(new)}件；输出文件夹：{self.out_dir}"]
        counts: dict[str, int] = {}
        for e in new:
            counts[e.kind] = counts.get(e.kind, 0) + 1
        if counts:
            lines.append("  新印发：" + "，".join(f"{KIND_ZH[k]}{n}件" for k, n in counts.items()))
            lines.append(f"  文号：{new[0].doc_number} 至 {new[-1].doc_number}" if len(new) > 1
                         else f"  文号：{new[0].doc_number}")
            lines.append(f"  成文日期：{self.letter_date}（配置文件 [letters] 的 letter_date；未填写时为基准日期）")
        for e in self.letters:
            if e.supersedes:
                lines.append(f"  重新印发：{e.doc_number}（代替 {e.supersedes}）{e.file}")
            if e.restored:
                lines.append(f"  已补写缺失的文件：{e.file}（{e.doc_number}）")
        if self.recovered:
            lines.append(f"  上次运行中断（公文已登记、尚未放入输出文件夹）的{len(self.recovered)}件已放入输出文件夹。")
        if self.after_notice and self.after_notice[1]:
            number, late = self.after_notice
            shown = "、".join(late[:10]) + (f"等{len(late)}个" if len(late) > 10 else "")
            lines.append(f"提示：认定通知（{number}）印发后又登记了{shown}，未列入该通知（各自的认定批复已生成）；"
                         "如需列入，可运行 tic letters --kind approval_notice --reissue 重新印发（原通知记为作废）。")
        if self.gaps:
            shown = "、".join(str(g) for g in self.gaps[:10]) + ("等" if len(self.gaps) > 10 else "")
            lines.append(f"提示：{format_doc_number(self.doc_prefix, self.doc_year, 1)[:-2]}…号中第{shown}号"
                         "不在台账中（可能是手工编号），本工具不会使用这些号。")
        for p in self.problems:
            lines.append(f"未生成：{p.message}")
        if self.manifest:
            lines.append(f"清单：{self.out_dir / self.manifest}")
        for z in self.zips:
            lines.append(f"打包：{self.out_dir / z}")
        return lines


# ------------------------------------------------------------------ issue_letters


def _load_evaluation(evaluation: Path | str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if evaluation is None or isinstance(evaluation, Mapping):
        return dict(evaluation) if evaluation is not None else None
    path = Path(evaluation)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputFileError(path, f"无法读取评估结果“{path}”：{os_reason(exc)}。") from None
    except ValueError:
        raise InputFileError(path, f"“{path}”不是有效的 JSON 文件（应为 tic evaluate --json 生成的评估结果）。",
                             reason="not-json") from None
    if not isinstance(data, dict) or data.get("report") != "evaluation":
        raise InputFileError(path, f"“{path}”不是评估结果（应为 tic evaluate --json 生成的 JSON）。", reason="no-form")
    return data


def _evaluation_from_ledger(conn: Any, config: Config) -> dict[str, Any] | None:
    """The evaluation report the ledger's evaluations of the cycle were recorded from, when it is a JSON file."""
    for (source,) in conn.execute("SELECT DISTINCT source FROM evaluations WHERE year = ? AND source IS NOT NULL",
                                  (config.year,)):
        path = Path(source)
        for candidate in (path, config.base_dir / path.name):
            if candidate.suffix.lower() == ".json" and candidate.is_file():
                try:
                    data = json.loads(candidate.read_text(encoding="utf-8-sig"))
                except (OSError, ValueError):
                    continue
                if isinstance(data, dict) and data.get("report") == "evaluation" and data.get("year", config.year) == config.year:
                    return data
    return None


def _check_kinds(kinds: Collection[str] | None) -> list[str] | None:
    if not kinds:
        return None
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise TemplateError(f"未知的公文类别“{'、'.join(unknown)}”，可用的类别为：{'、'.join(KINDS)}。")
    return list(dict.fromkeys(kinds))


def issue_letters(
    config: Config,
    out_dir: Path | str,
    kinds: Collection[str] | None = None,
    pdf: bool = False,
    zip_by_district: bool = False,
    reissue: bool = False,
    ledger_path: Path | None = None,
    *,
    center_ids: Collection[str] | None = None,
    evaluation: Path | str | Mapping[str, Any] | None = None,
    template_dir: Path | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> LettersReport:
    """Issue every letter ``config.year`` calls for (see the module docstring); returns what was done.

    ``center_ids`` limits the run to those centers (with ``reissue``: re-issue only theirs);
    ``evaluation`` is the cycle's evaluation report (path or dict) for the rectification
    notices' weakest dimensions (default: the JSON the evaluations were recorded from, if
    it lies in the cycle folder); ``template_dir`` holds edited templates (``<kind>.docx``);
    ``workers`` is how many worker processes render (None: two for a large run where the
    platform forks, see :func:`pool_workers`; 0 or 1: none) — the letters are the same bytes.
    """
    wanted = _check_kinds(kinds)
    out_dir = Path(out_dir)
    if pdf and find_soffice() is None:
        raise OutputError(MISSING)
    eval_report = _load_evaluation(evaluation)
    prefix, doc_year = config.letters.prefix, config.letter_date.year
    report = LettersReport(config.year, format_zh(config.letter_date), out_dir, doc_prefix=prefix, doc_year=doc_year)
    env = LetterEnvironment()
    templates: dict[str, tuple[Path, bytes]] = {}
    renderers: dict[str, LetterRenderer] = {}
    written: list[Path] = []
    manifest_rows: list[dict[str, Any]] = []
    db = Path(ledger_path or config.ledger_path)
    issuer: _Issuer | None = None
    kept_staged: set[str] | None = None  # what was staged before this run's letters (recorded, not moved in)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建输出文件夹“{out_dir}”：{os_reason(exc)}。") from None
    try:
        with open_ledger(config, command="letters", path=db, create=False) as led:
            conn = led.conn
            if eval_report is None:
                eval_report = _evaluation_from_ledger(conn, config)
            if center_ids:
                known = {r[0] for r in conn.execute("SELECT center_id FROM centers")}
                unknown = sorted({c.strip().upper() for c in center_ids} - known)
                if unknown:
                    raise TicError(f"台账中没有中心编号{'、'.join(unknown)}，未生成任何公文；"
                                   "请用 tic ledger show 核对编号（如 SJZTIC-2020-001）后重试。")
            report.recovered = _recover_staged(conn, out_dir, report)
            stage = out_dir / STAGING
            kept_staged = {p.name for p in stage.iterdir()} if stage.is_dir() else set()
            plan = plan_letters(conn, config, wanted, evaluation=eval_report, center_ids=center_ids)
            for problem in plan.problems:  # a letter issued before needs no facts now: it is kept as it is
                issued = None if reissue or problem.center_id is None else current_letter(
                    conn, LetterKey(problem.kind, problem.center_id, config.year))
                if issued is None:
                    report.problems.append(problem)
                elif (out_dir / issued.file).is_file():
                    report.letters.append(_entry_of_record(conn, issued))
                else:  # issued before, elsewhere: say where it is missing rather than list a file that is not there
                    report.problems.append(PlanProblem(
                        problem.kind, problem.center_id,
                        f"{issued.doc_number}（{KIND_ZH[problem.kind]}，{problem.center_id}）已于{issued.issued_at[:10]}印发，"
                        f"但文件“{issued.file}”不在输出文件夹“{out_dir}”中，且按现在的台账无法重新生成；"
                        "请到当时的输出文件夹查找，或补全台账后用 --reissue 重新印发。"))
            for kind in dict.fromkeys(p.kind for p in plan.letters):
                templates[kind] = load_template(kind, template_dir)
                path, data = templates[kind]
                missing = sorted(template_fields(data, name=path.name) - LETTER_FIELDS[kind])
                if missing:
                    raise TemplateError(f"公文模板“{path}”使用了数据中没有的字段“{'、'.join(missing)}”，"
                                        "未生成任何公文；请改正模板（可运行 tic letters check 检查）。")
                renderers[kind] = LetterRenderer(data, name=path.name, env=env)
            audits: list[tuple[str, str]] = []
            total = len(plan.letters)
            issued_before = len(report.letters)

            def done(entry: LetterEntry) -> None:
                report.letters.append(entry)
                if entry.new:
                    audits.append(("印发公文", f"{entry.doc_number} {KIND_ZH[entry.kind]} "
                                   f"{entry.center_id or '（通知）'} {entry.file}"
                                   + (f"，代替 {entry.supersedes}" if entry.supersedes else "")))
                if progress is not None:
                    progress("docx", len(report.letters) - issued_before, total)

            issuer = _Issuer(conn, renderers, out_dir, prefix, doc_year, now_text(), reissue, written, report,
                             workers)
            issuer.issue(plan.letters, done)
            order = {k: i for i, k in enumerate(KINDS)}
            report.letters.sort(key=lambda e: (order[e.kind], e.center_id or ""))
            report.gaps = sequence_gaps(conn, prefix, doc_year)
            notice = current_letter(conn, LetterKey("approval_notice", None, config.year))
            if notice is not None:  # centers registered after the notice was issued are not in its list
                report.after_notice = (notice.doc_number, [r[0] for r in conn.execute(
                    "SELECT center_id FROM registrations WHERE cycle_year = ? AND registered_at > ? ORDER BY center_id",
                    (config.year, notice.issued_at))])
            if audits:  # nothing issued: the ledger stays as it was (and its backups, see backup_ledger)
                led.audit_many(audits)
            manifest_rows = _manifest_rows(conn, config.year, out_dir, report)
    except BaseException:
        for path in written:
            try:
                path.unlink()
            except OSError:
                pass
        # nothing of this run is recorded (rolled back): every file it staged goes, half-written ones too; what an
        # earlier run recorded and could not move in stays
        if kept_staged is None:
            _remove_staging(out_dir, issuer.staged if issuer is not None else [])
        else:
            _remove_staging(out_dir, None, keep=kept_staged)
        raise
    _move_staged(issuer.staged if issuer is not None else [], out_dir, report)  # recorded: now they may be seen

    if pdf:
        _make_pdfs(report, out_dir, progress)
        by_file = {e.file: e for e in report.letters}
        for row in manifest_rows:
            if row["file"] in by_file:
                row["pdf"] = by_file[row["file"]].pdf
            elif (out_dir / (Path(row["file"]).stem + ".pdf")).is_file():
                row["pdf"] = Path(row["file"]).stem + ".pdf"
    try:
        write_manifest(out_dir / MANIFEST, manifest_rows)
    except OutputError as exc:  # the letters are issued and recorded: said with them, not instead of them
        report.problems.append(PlanProblem("manifest", None, f"发文清单未能更新：{exc}"))
    else:
        report.manifest = MANIFEST
    if zip_by_district:
        report.zips = write_district_zips(out_dir, report.letters)
    return report


@dataclass
class _Job:
    """One planned letter, decided before anything is rendered: kept as issued, restored, or new."""

    item: PlannedLetter
    key: LetterKey
    existing: LetterRecord | None  # the letter in force for the key before this one
    doc_number: str | None = None  # the number the letter to render carries (None: nothing to render)
    seq: int | None = None  # a new letter: its sequence number (None: an issued letter kept or restored)
    file: str | None = None  # a new letter: its file name


class _Issuer:
    """Issues the planned letters of a run inside the ledger's write transaction.

    The letters are decided in plan order in this process — kept, restored, or a new
    letter with the next number and its file name —, then rendered (in order, in
    this process or a pool of worker processes: the numbers are already given), then
    recorded and written in plan order. A key met twice in a run is issued after the
    letters before it are recorded, so it finds its letter as a re-run would.
    """

    def __init__(self, conn: Any, renderers: Mapping[str, LetterRenderer], out_dir: Path, prefix: str,
                 doc_year: int, issued_at: str, reissue: bool, written: list[Path], report: LettersReport,
                 workers: int) -> None:
        self.conn, self.renderers, self.out_dir = conn, renderers, out_dir
        self.prefix, self.doc_year, self.issued_at, self.reissue = prefix, doc_year, issued_at, reissue
        self.written, self.report, self.workers = written, report, workers
        self.taken = {f.lower() for f in recorded_files(conn)}
        self.staged: list[str] = []  # new letters written to the staging folder, moved in after the commit
        self.current: dict[LetterKey, LetterRecord] = {}
        self.seq = next_seq(conn, prefix, doc_year)

    def issue(self, items: list[PlannedLetter], done: Callable[[LetterEntry], None]) -> None:
        """Issue ``items`` in order; ``done`` gets each letter's entry in that order."""
        for year in sorted({item.cycle_year for item in items}):  # the letters in force: one query a cycle
            for rec in letters_of_cycle(self.conn, year):
                if rec.superseded_by is None:
                    self.current[rec.key] = rec
        batch: list[_Job] = []
        pending: set[LetterKey] = set()
        for item in items:
            key = LetterKey(*item.key)
            if key in pending:
                self._finish(batch, done)
                batch, pending = [], set()
            batch.append(self._decide(item, key))
            pending.add(key)
        self._finish(batch, done)

    def _decide(self, item: PlannedLetter, key: LetterKey) -> _Job:
        existing = self.current.get(key)
        if existing is not None and not self.reissue:
            missing = not (self.out_dir / existing.file).exists()
            return _Job(item, key, existing, existing.doc_number if missing else None)
        extra = item.context.get("change_field", "") if item.kind == "change" else ""
        stem = letter_file_stem(item.kind, item.center_id, item.center_name, item.cycle_year, extra)
        name = unique_file_name(self.out_dir, stem, ".docx", self.taken)
        self.taken.add(name.lower())
        seq, self.seq = self.seq, self.seq + 1
        return _Job(item, key, existing, format_doc_number(self.prefix, self.doc_year, seq), seq, name)

    def _finish(self, batch: list[_Job], done: Callable[[LetterEntry], None]) -> None:
        todo = [(job.item.kind, {**job.item.context, "doc_number": job.doc_number})
                for job in batch if job.doc_number is not None]
        with contextlib.closing(_render_all(self.renderers, todo, self.workers)) as contents:
            for job in batch:
                done(self._record(job, next(contents) if job.doc_number is not None else None))

    def _record(self, job: _Job, content: bytes | None) -> LetterEntry:
        item, existing = job.item, job.existing
        if job.seq is None:
            assert existing is not None
            entry = LetterEntry(item.kind, item.center_id, item.center_name, item.districts, existing.doc_number,
                                existing.file, existing.sha256, False, existing.issued_at)
            if content is None:
                return entry
            if sha256_of(content) == existing.sha256:
                target = self.out_dir / existing.file
                write_new(target, content)
                self.written.append(target)
                entry.restored = True
            else:
                self.report.problems.append(PlanProblem(item.kind, item.center_id, (
                    f"{existing.doc_number}（{KIND_ZH[item.kind]}，{item.center_id or '全体'}）已于{existing.issued_at[:10]}"
                    f"印发，文件“{existing.file}”不在输出文件夹中，且按现有台账数据生成的内容与当时不同，未重新生成；"
                    "请找回原文件，或加 --reissue 重新印发。")))
            return entry
        assert content is not None and job.file is not None
        digest = sha256_of(content)
        record = record_letter(self.conn, job.key, prefix=self.prefix, doc_year=self.doc_year, seq=job.seq,
                               file=job.file, sha256=digest, issued_at=self.issued_at, supersedes=existing)
        self.current[job.key] = record
        write_new(self.out_dir / STAGING / job.file, content)
        self.staged.append(job.file)
        return LetterEntry(item.kind, item.center_id, item.center_name, item.districts, record.doc_number, job.file,
                           digest, True, self.issued_at, supersedes=existing.doc_number if existing is not None else None)


def _remove_staging(out_dir: Path, names: Collection[str] | None = None, keep: Collection[str] = ()) -> None:
    """The staged files ``names`` (all but ``keep`` when None), then the staging folder if nothing is left in it (a
    letter an earlier run recorded and could not move in stays, see :func:`_recover_staged`)."""
    stage = out_dir / STAGING
    if not stage.is_dir():
        return
    for path in list(stage.iterdir()):
        if (path.name in names) if names is not None else (path.name not in keep):
            with contextlib.suppress(OSError):
                path.unlink()
    with contextlib.suppress(OSError):
        stage.rmdir()  # only when empty


def _recover_staged(conn: Any, out_dir: Path, report: LettersReport) -> list[str]:
    """What a run killed between its commit and moving its letters in left in the staging folder: the letters
    the ledger recorded (same name, same content) are moved in; the rest (never recorded) and half-written
    temporary files are removed. A recorded letter that cannot be moved in (a file of that name is there, the
    folder is held) stays staged and is named: never deleted. Runs under the ledger's lock."""
    stage = out_dir / STAGING
    for tmp in out_dir.glob(".~tic-*"):  # an atomic write cut short (the rename never happened)
        with contextlib.suppress(OSError):
            tmp.unlink()
    if not stage.is_dir():
        return []
    recorded = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT file, sha256, doc_number FROM letters WHERE superseded_by IS NULL")}
    moved: list[str] = []
    kept = False
    for path in sorted(stage.iterdir()):
        target = out_dir / path.name
        try:
            mine = recorded.get(path.name)
            if mine is None or mine[0] != sha256_of(path.read_bytes()):
                path.unlink()  # never recorded (the run's transaction was rolled back): its number was not given
                continue
            if target.exists():
                raise FileExistsError(path.name)
            os.replace(path, target)
            moved.append(path.name)
        except OSError as exc:
            kept = True
            number = recorded[path.name][1] if path.name in recorded else path.name
            report.problems.append(PlanProblem("letter", None, (
                f"{number}（{path.name}）已印发并登记，但未能放入输出文件夹（{os_reason(exc) if not isinstance(exc, FileExistsError) else '已有同名的其他文件'}），"
                f"仍暂存在“{stage}”中；请核对输出文件夹中的同名文件后再次运行 tic letters。")))
    if not kept:
        _remove_staging(out_dir)
    return moved


def _move_staged(staged: list[str], out_dir: Path, report: LettersReport) -> None:
    """The run's new letters, recorded, moved from the staging folder into the output folder."""
    stage = out_dir / STAGING
    left = False
    for name in staged:
        target = out_dir / name
        try:
            if target.exists():  # the name was free when given: a file put there since is never replaced
                raise FileExistsError(name)
            os.replace(stage / name, target)
        except OSError as exc:
            left = True
            entry = next((e for e in report.letters if e.file == name), None)
            number = f"{entry.doc_number}（{name}）" if entry else name
            report.problems.append(PlanProblem(entry.kind if entry else "letter", entry.center_id if entry else None,
                                               f"{number}已印发并登记，但未能放入输出文件夹（{os_reason(exc)}），"
                                               f"暂存在“{stage}”中；再次运行 tic letters 时会自动放入。"))
    if not left:
        _remove_staging(out_dir, staged)


# ------------------------------------------------------------------ rendering in worker processes

POOL_FROM = 200  # letters to render from which a run (workers=None) renders in worker processes
POOL_WORKERS = 2
POOL_CHUNK = 32
_pool_renderers: Mapping[str, LetterRenderer] = {}  # what a forked worker renders with


def pool_workers(letters: int, workers: int | None = None) -> int:
    """How many worker processes render ``letters`` letters (0: render in this process).

    ``workers`` None decides by the size of the run; a pool is used only where worker
    processes are forked (Linux: they share the prepared templates, start in
    milliseconds) and this process runs no other thread.
    """
    if workers is None:
        workers = POOL_WORKERS if letters >= POOL_FROM else 0
    if workers < 2 or letters < 2 or not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(workers, len(os.sched_getaffinity(0)), letters)


def _quiet_worker() -> None:
    """A forked worker leaves stopping to the main process: Ctrl+C (sent to the whole console group) is ignored
    here, SIGTERM (the pool's own terminate) ends it at once, without a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _render_in_worker(job: tuple[str, dict[str, Any]]) -> bytes:
    kind, context = job
    return _pool_renderers[kind].render(context)


def _render_all(renderers: Mapping[str, LetterRenderer], todo: list[tuple[str, dict[str, Any]]],
                workers: int | None) -> Iterator[bytes]:
    """The letters of ``todo`` ((kind, context) pairs) rendered, in order."""
    n = pool_workers(len(todo), workers)
    if n == 0:
        for kind, context in todo:
            yield renderers[kind].render(context)
        return
    global _pool_renderers
    for kind in {kind for kind, _ in todo}:
        renderers[kind].prepare()  # once, before the fork: every worker inherits it
    _pool_renderers = renderers
    try:
        with multiprocessing.get_context("fork").Pool(n, initializer=_quiet_worker) as pool:
            yield from pool.imap(_render_in_worker, todo, chunksize=POOL_CHUNK)
    finally:
        _pool_renderers = {}


def _entry_of_record(conn: Any, rec: LetterRecord) -> LetterEntry:
    row = conn.execute("SELECT name, district FROM centers WHERE center_id = ?", (rec.center_id,)).fetchone()
    name, district = (row[0], row[1]) if row is not None else (None, None)
    return LetterEntry(rec.kind, rec.center_id, name, (district,) if district else (), rec.doc_number, rec.file,
                       rec.sha256, False, rec.issued_at)


def _manifest_rows(conn: Any, year: int, out_dir: Path, report: LettersReport) -> list[dict[str, Any]]:
    """Every letter of the cycle whose file is in ``out_dir`` (earlier runs too), superseded ones marked."""
    names = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT center_id, name, district FROM centers")}
    by_file = {e.file: e for e in report.letters}
    rows = []
    for rec in letters_of_cycle(conn, year):
        if rec.file not in by_file and not (out_dir / rec.file).is_file():
            continue
        name, district = names.get(rec.center_id, (None, None)) if rec.center_id else ("（批量通知）", None)
        entry = by_file.get(rec.file)
        rows.append({
            "kind": rec.kind, "center_id": rec.center_id, "center_name": name, "district": district,
            "doc_number": rec.doc_number, "file": rec.file, "sha256": rec.sha256, "issued_at": rec.issued_at,
            "new": bool(entry and entry.new and entry.doc_number == rec.doc_number),
            "superseded": rec.superseded_by is not None, "pdf": None,
        })
    return rows


MANIFEST_HEADERS = ("类别", "中心编号", "中心名称", "县（市、区）", "发文字号", "文件", "PDF", "SHA-256", "印发时间",
                    "本次新发", "状态")


def write_manifest(path: Path, rows: list[dict[str, Any]]) -> None:
    """``manifest.xlsx``: one row per letter (kind, center, 文号, file, checksum, time), written atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "公文清单"
    ws.append(list(MANIFEST_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([KIND_ZH.get(r["kind"], r["kind"]), r["center_id"] or "", r["center_name"] or "", r["district"] or "",
                   r["doc_number"], r["file"], r["pdf"] or "", r["sha256"], r["issued_at"].replace("T", " "),
                   "是" if r["new"] else "否", "已作废（已重新印发）" if r["superseded"] else "有效"])
    for col, width in zip("ABCDEFGHIJK", (14, 18, 40, 24, 22, 60, 60, 66, 20, 10, 20), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:K{max(1, len(rows) + 1)}"
    print_fit(ws, 1, pages_wide=2)
    defuse_formulas(wb)  # center names are data, never formulas
    write_with(path, lambda tmp: wb.save(tmp))


def _make_pdfs(report: LettersReport, out_dir: Path, progress: Progress | None) -> None:
    todo = []
    for e in report.letters:
        pdf_name = Path(e.file).stem + ".pdf"
        if (out_dir / pdf_name).is_file():
            e.pdf = pdf_name
        elif (out_dir / e.file).is_file():
            todo.append(e)
    if not todo:
        return
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("pdf", done, len(todo))

    pdfs = convert_to_pdf([out_dir / e.file for e in todo], progress=tick)
    for e, p in zip(todo, pdfs, strict=True):
        e.pdf = p.name


def write_district_zips(out_dir: Path, letters: list[LetterEntry]) -> list[str]:
    """One zip per district with its letters (and PDFs) for sending out; a batch notice goes into each."""
    groups: dict[str, list[LetterEntry]] = {}
    notices = [e for e in letters if e.center_id is None]
    for e in letters:
        if e.center_id is None:
            continue
        groups.setdefault(e.districts[0] if e.districts else "未注明区县", []).append(e)
    for n in notices:
        for d in n.districts:
            groups.setdefault(d, [])
    names = []
    for district, entries in sorted(groups.items()):
        members = [n for n in notices if district in n.districts or not n.districts] + entries
        zip_name = f"{ZIP_FOLDER}/{safe_component(district) or '未注明区县'}.zip"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for e in members:
                for fname in filter(None, (e.file, e.pdf)):
                    source = out_dir / fname
                    if source.is_file():
                        info = zipfile.ZipInfo(fname, date_time=FIXED_ZIP_TIME)
                        info.compress_type = zipfile.ZIP_DEFLATED  # names stored as UTF-8 (flag 0x800)
                        zf.writestr(info, source.read_bytes())
        write_bytes(out_dir / zip_name, buf.getvalue())
        names.append(zip_name)
    return names
