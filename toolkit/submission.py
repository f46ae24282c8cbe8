"""Districts send validated workbooks upward (``tic submit``); the city collects them (``tic collect``)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from toolkit import __version__
from toolkit.adapters.atomic import write_with
from toolkit.adapters.blank import stamp_template
from toolkit.adapters.safety import is_lock_file, open_workbook
from toolkit.adapters.schema_check import field_specs
from toolkit.adapters.stamp import STAMP_SHEET, Stamp, data_hash, read_stamp, row_hash, write_stamp
from toolkit.adapters.xlstyle import TOP, WRAP_TOP, fit_row_height, literal, print_wide
from toolkit.core.config import Config
from toolkit.core.findings import Finding, Severity, Verdict
from toolkit.core.intake import RowResult
from toolkit.core.values import compact, is_blank, nfkc, parse_bool
from toolkit.cycle import NOTE_NAME
from toolkit.errors import InputFileError, OutputError, TicError
from toolkit.intake import IntakeReport, divisions_for, validate_file
from toolkit.resources import load_schema

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FONT = Font(name="宋体", size=10, bold=True, color="FFFFFF")
BODY_FONT = Font(name="宋体", size=10)
CODE_FONT = Font(name="Arial", size=10)
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
VERDICT_FILL = {Verdict.ELIGIBLE: PatternFill("solid", fgColor="C6EFCE"),
                Verdict.REVIEW: PatternFill("solid", fgColor="FFEB9C"),
                Verdict.INELIGIBLE: PatternFill("solid", fgColor="FFC7CE")}
STAMP_ZH = {"valid": "有效", "modified": "校验后被修改", "missing": "未经区县校验报送", "stale": "标记已过期"}


def form_keys() -> list[str]:
    return [s.key for s in field_specs("intake")]


def submission_name(district: str, year: int) -> str:
    return f"{safe_part(district)}-{year}-申报汇总.xlsx"


def safe_part(text: str) -> str:
    """A piece of a Windows file name: no \\ / : * ? \" < > |, control characters or dots at the ends."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", nfkc(text)).strip(" .")
    return cleaned[:60] or "未命名"


# ------------------------------------------------------------------------------------------ submit


@dataclass
class SubmitResult:
    report: IntakeReport
    district: str
    target: Path | None = None
    refused: str | None = None
    replaced: str | None = None  # the stamp time of an earlier submission this one replaced

    @property
    def status(self) -> int:
        if self.report.fatal is not None:
            return 2
        if self.refused:
            return 1
        return self.report.status


def _ledger_names(config: Config, problems: list[str] | None = None) -> frozenset[str]:
    """The ledger's center names for A10.7.NAME, as ``tic validate`` checks them (none without a ledger)."""
    from toolkit.adapters.ledger_names import existing_center_names

    found: list[str] = []
    names = existing_center_names(config, found)
    if problems is not None:
        problems.extend(found)
    return names


def _sheets_of(path: Path) -> set[str]:
    from toolkit.adapters.safety import sheet_xml_members

    try:
        return set(sheet_xml_members(path))
    except InputFileError:
        return set()


def submit_file(path: Path | str, district: str, config: Config, out_dir: Path | str,
                allow_errors: bool = False) -> SubmitResult:
    """Validate like ``tic validate``, then write the stamped submission workbook into ``out_dir``."""
    path, out_dir = Path(path), Path(out_dir)
    name = divisions_for(config).district(district)
    if name is None:
        raise TicError(f"“{district}”不是石家庄市的县（市、区），请用 --district 写明区县名称（如 长安区、高新区）。")
    target = out_dir / submission_name(name, config.year)
    if target.exists() and path.exists() and target.resolve() == path.resolve():
        raise TicError(f"报送文件将写入“{target}”，它就是要报送的原文件，为免覆盖原文件未做任何处理；"
                       "请用 --out 指定另一个文件夹（如 01-区县报送）。")
    problems: list[str] = []
    if target.exists() and STAMP_SHEET not in _sheets_of(target):  # a workbook of the clerk's, not a submission
        raise TicError(f"“{target}”已存在，且不是 tic submit 生成的报送文件，为免覆盖未做任何处理；"
                       "请用 --out 指定另一个文件夹，或先把该文件移走。")
    report = validate_file(path, config, existing_names=_ledger_names(config, problems))
    for line in problems:
        report.file_findings.append(Finding.of("A10.7.NAME", line, severity="warning"))
    result = SubmitResult(report=report, district=name)
    if report.fatal is not None:
        return result
    divisions = divisions_for(config)
    stated = [divisions.district(str(v)) or str(v) for r in report.rows if (v := r.values.get("district"))]
    if stated and name not in stated:
        result.refused = (
            f"“{path.name}”各行填写的县（市、区）为{'、'.join(sorted(set(stated)))}，与 --district 指定的{name}不一致，"
            f"未生成报送文件（否则会替换{name}的报送）；请核对后用正确的 --district 重新报送。")
        return result
    errors = sum(r.verdict is Verdict.INELIGIBLE for r in report.rows)
    file_errors = [f for f in report.file_findings if f.severity is Severity.ERROR]
    if (errors or file_errors) and not allow_errors:
        result.refused = (
            f"“{path.name}”有 {errors} 行不符合条件"
            + (f"、{len(file_errors)} 处表格错误" if file_errors else "")
            + "，未生成报送文件；请修改后重新校验，或确认无误后加 --allow-errors 报送（不符合的行会标明）。"
        )
        return result
    others = set(stated) - {name}
    if others:
        report.file_findings.append(Finding.of(
            "DATA.STAMP", f"表中有其他县（市、区）的申报（{'、'.join(sorted(others))}），报送单位为{name}，请核实",
            severity="warning"))
    if target.exists():
        result.replaced = _stamp_time(target) or "时间不详"
    write_submission(report, name, config, target)
    result.target = target
    return result


def _stamp_time(path: Path) -> str | None:
    try:
        wb = open_workbook(path, read_only=True)
    except InputFileError:
        return None
    try:
        stamp = read_stamp(wb)
    finally:
        wb.close()
    return stamp.stamped_at if stamp else None


def write_submission(report: IntakeReport, district: str, config: Config, target: Path) -> None:
    specs = field_specs("intake")
    form = load_schema("intake")["x-form"]
    keys = [s.key for s in specs]
    types = {s.key: s.type for s in specs}
    wb = Workbook()
    ws = wb.active
    ws.title = form["sheet"]
    ncol = len(specs) + 2
    headers = [s.header for s in specs] + ["区县校验结论", "区县校验问题"]
    widths = [s.width for s in specs] + [14, 50]
    # printed and stamped by the district: three A3 pages across, 序号/县/中心名称 on each, the title centred
    # on the first page, the stamp line in the repeated columns, the rest of that line on the first page
    pages = print_wide(ws, widths, header_row=3, repeat=3, pages_wide=3, title=f"{form['title'].format(year=config.year)}"
                       f"（{district}报送）", title_font=Font(name="黑体", size=16, bold=True))
    ws["A2"] = f"推荐单位（盖章）：{district}"
    ws.cell(row=2, column=pages.repeat + 1, value=f"基准日期：{config.reference_date.isoformat()}    "
                                                  f"来源文件：{report.path.name}    已经 tic {__version__} 校验")
    for i, h in enumerate(headers, start=1):
        c = ws.cell(row=3, column=i, value=h)
        c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BOX
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = widths[i - 1]
    ws.row_dimensions[3].height = 48
    raw_by_row = {r.row: r for r in report.table.rows}  # type: ignore[union-attr]
    hashes: dict[int, str] = {}
    for n, result in enumerate(report.rows, start=4):
        raw = raw_by_row[result.row]
        values = {k: raw.values.get(k) for k in keys}
        texts: list[tuple[object, float]] = []
        for i, key in enumerate(keys, start=1):
            v = values[key]
            c = literal(ws.cell(row=n, column=i), v)
            code = types[key] in ("uscc", "uscc_list", "phone")
            # the font fit_row_height measures (as the problems column); codes in a Latin font (narrow digits)
            c.border, c.font = BOX, CODE_FONT if code else BODY_FONT
            c.alignment = TOP
            if isinstance(v, datetime):
                c.number_format = "yyyy-mm-dd"
            elif isinstance(v, str):
                c.number_format = "@"
                if types[key] != "uscc":  # a long name wraps in its column (it was cut off on the stamped paper)
                    c.alignment = WRAP_TOP
                    texts.append((v, widths[i - 1]))
        recommend = _recommend(values.get("recommend"))
        verdict = result.verdict.zh + ("（不推荐）" if recommend is False else "")
        vc = ws.cell(row=n, column=len(keys) + 1, value=verdict)
        vc.fill = VERDICT_FILL[result.verdict]
        vc.border = BOX
        vc.alignment = TOP
        text = "；".join(f"{f.cell or ''} {f.message}（{f.article}）" if f.article else f"{f.cell or ''} {f.message}"
                         for f in result.findings)
        problems = ws.cell(row=n, column=len(keys) + 2, value=text or None)
        problems.alignment, problems.font = WRAP_TOP, BODY_FONT
        fit_row_height(ws, n, [*texts, (text, widths[-1])])
        hashes[n] = row_hash(keys, values)
    ws.freeze_panes = "D4"
    ws.auto_filter.ref = f"A3:{get_column_letter(ncol)}{max(3, 3 + len(report.rows))}"
    stamp = Stamp(
        tool_version=__version__, schema_version=form["version"], year=config.year,
        reference_date=config.reference_date.isoformat(), district=district,
        stamped_at=datetime.now().replace(microsecond=0).isoformat(sep=" "), rows=len(report.rows),
        sha256=data_hash(hashes[k] for k in sorted(hashes)), row_hashes=hashes,
    )
    write_stamp(wb, stamp)
    stamp_template(wb, form["version"])
    write_with(target, wb.save)


def _recommend(value: Any) -> bool | None:
    if is_blank(value):
        return None
    try:
        return parse_bool(value)
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------- collect


@dataclass
class CollectedFile:
    path: Path
    rel: str
    report: IntakeReport
    district: str | None = None
    stamp: Stamp | None = None
    stamp_state: str = "missing"
    stamp_findings: list[Finding] = field(default_factory=list)
    replaced_by: str | None = None

    @property
    def status(self) -> int:
        return self.report.status

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.rel, "district": self.district, "stamp": self.stamp_state,
                               "rows": len(self.report.rows), "status": self.status}
        if self.stamp is not None:
            out["stamped_at"] = self.stamp.stamped_at
        if self.replaced_by:
            out["replaced_by"] = self.replaced_by
        return out


@dataclass
class CollectReport:
    folder: Path
    config: Config
    files: list[CollectedFile] = field(default_factory=list)
    file_findings: list[Finding] = field(default_factory=list)
    kept_decisions: int = 0
    orphan_decisions: int = 0  # decisions kept for applications not in this collection

    @property
    def active(self) -> list[CollectedFile]:
        return [f for f in self.files if f.replaced_by is None and f.report.fatal is None]

    @property
    def rows(self) -> list[RowResult]:
        return [r for f in self.active for r in f.report.rows]

    @property
    def status(self) -> int:
        worst = max((f.status for f in self.files if f.replaced_by is None), default=0)
        if any(f.severity is Severity.ERROR for f in self.file_findings):
            worst = max(worst, 1)
        return worst

    @property
    def summary(self) -> dict[str, int]:
        rows = self.rows
        return {
            "files": len(self.files), "used": len(self.active),
            "unreadable": sum(f.report.fatal is not None for f in self.files),
            "rows": len(rows),
            "eligible": sum(r.verdict is Verdict.ELIGIBLE for r in rows),
            "review": sum(r.verdict is Verdict.REVIEW for r in rows),
            "ineligible": sum(r.verdict is Verdict.INELIGIBLE for r in rows),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": "collect",
            "schema_version": 1,
            "tool_version": __version__,
            "reference_date": self.config.reference_date.isoformat(),
            "year": self.config.year,
            "source": {"folder": self.folder.name},
            "summary": self.summary,
            "files": [f.to_dict() for f in self.files],
            "rows": [r.to_dict() for r in self.rows],
            "file_findings": [f.to_dict() for f in self.file_findings],
        }


def find_workbooks(folder: Path, exclude: set[Path] = frozenset()) -> tuple[list[Path], list[Path], list[Path]]:
    """(workbooks, lock files, other files) under ``folder``, sorted by relative path; outputs in ``exclude``
    left out, and the toolkit's own side files (JSON reports, annotated copies) not counted as others."""
    found, locks, others = [], [], []
    for p in sorted(folder.rglob("*"), key=lambda q: q.relative_to(folder).as_posix()):
        if not p.is_file() or p.resolve() in exclude:
            continue
        if p.name.startswith(".~tic-"):
            continue
        if is_lock_file(p):
            locks.append(p)
            continue
        if p.suffix.lower() in (".xlsx", ".xlsm") and ".校验结果." not in p.name:
            found.append(p)
        elif p.suffix.lower() in (".xls", ".csv", ".et", ".ods"):
            found.append(p)  # reported as unreadable with the reason, never silently skipped
        elif (".校验结果." not in p.name and not (p.suffix.lower() == ".json" and p.with_suffix(".xlsx").exists())
              and not (p.name == NOTE_NAME and p.parent == folder)):  # the cycle folder's own note
            others.append(p)
    return found, locks, others


def _check_stamp(item: CollectedFile, config: Config, keys: list[str]) -> None:
    report = item.report
    try:
        wb = open_workbook(item.path, read_only=True)
    except InputFileError:
        return
    try:
        stamp = read_stamp(wb)
    finally:
        wb.close()
    item.stamp = stamp
    name = item.rel
    if stamp is None:
        item.stamp_state = "missing"
        item.stamp_findings.append(Finding.of(
            "DATA.STAMP", f"“{name}”没有报送标记（未经区县 tic submit 校验后报送），已按市局配置重新校验",
            severity="warning", file=name))
        return
    form_version = load_schema("intake")["x-form"]["version"]
    stale = []
    if stamp.year != config.year:
        stale.append(f"周期年度为{stamp.year}")
    if stamp.reference_date != config.reference_date.isoformat():
        stale.append(f"基准日期为{stamp.reference_date}")
    if stamp.schema_version != form_version:
        stale.append(f"表格版本为{stamp.schema_version}")
    ordered = sorted(report.table.rows, key=lambda r: r.row)  # type: ignore[union-attr]
    current = [(r.row, row_hash(keys, {k: r.values.get(k) for k in keys})) for r in ordered]
    stamped = [(n, h) for n, h in sorted(stamp.row_hashes.items())]
    changed, removed = _row_changes(stamped, current)
    if changed or removed or data_hash(h for _, h in current) != stamp.sha256:
        item.stamp_state = "modified"
        parts = []
        if changed:
            parts.append("、".join(f"第{n}行" for n in changed[:20]) + ("等" if len(changed) > 20 else "")
                         + "与报送时不一致")
        if removed:
            parts.append("删除了报送时的" + "、".join(f"第{n}行" for n in removed[:20]))
        item.stamp_findings.append(Finding.of(
            "DATA.STAMP", f"“{name}”在区县校验（{stamp.stamped_at}）后被修改：{'；'.join(parts) or '数据与报送时不一致'}",
            severity="warning", file=name, rows=changed, removed_rows=removed))
        for r in report.rows:
            if r.row in changed:
                r.findings.append(Finding.of("DATA.STAMP", "该行在区县校验后被修改，请核实", severity="warning"))
    elif stale:
        item.stamp_state = "stale"
        item.stamp_findings.append(Finding.of(
            "DATA.STAMP", f"“{name}”的报送标记不是本周期的（{'，'.join(stale)}），已按市局配置重新校验",
            severity="warning", file=name))
    else:
        item.stamp_state = "valid"
    if stale and item.stamp_state == "modified":
        item.stamp_findings.append(Finding.of(
            "DATA.STAMP", f"“{name}”的报送标记不是本周期的（{'，'.join(stale)}）", severity="warning", file=name))


def _row_changes(stamped: list[tuple[int, str]], current: list[tuple[int, str]]) -> tuple[list[int], list[int]]:
    """(current rows changed or added, stamped rows removed), matching rows by content in order, so an
    inserted blank row or a moved block does not blame the rows after it."""
    from difflib import SequenceMatcher

    a = [h for _, h in stamped]
    b = [h for _, h in current]
    changed: list[int] = []
    removed: list[int] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("replace", "insert"):
            changed.extend(current[j][0] for j in range(j1, j2))
        if op == "delete" or (op == "replace" and i2 - i1 > j2 - j1):
            removed.extend(stamped[i][0] for i in range(i1 + (j2 - j1 if op == "replace" else 0), i2))
    return changed, removed


def _district_of(item: CollectedFile, config: Config) -> str | None:
    if item.stamp is not None:
        return item.stamp.district
    divisions = divisions_for(config)
    counts: dict[str, int] = defaultdict(int)
    for r in item.report.rows:
        if r.values.get("district"):
            counts[r.values["district"]] += 1
    if counts:
        return max(sorted(counts), key=lambda k: counts[k])
    return divisions.district(item.path.stem.split("-")[0])


def _cross_duplicates(files: list[CollectedFile]) -> None:
    """DATA.DUPLICATE across districts (same lead USCC + key field, or same center name), on every row."""
    groups: dict[tuple[str, str], list[tuple[CollectedFile, RowResult]]] = defaultdict(list)
    for f in files:
        for r in f.report.rows:
            name = r.values.get("center_name")
            if name:
                groups[("name", re.sub(r"\s+", "", nfkc(name)))].append((f, r))
            if r.values.get("lead_uscc") and r.values.get("key_field"):
                groups[("lead", f"{r.values['lead_uscc']}|{r.values['key_field']}")].append((f, r))
    for (kind, _), members in groups.items():
        if len({id(f) for f, _ in members}) < 2:
            continue
        for f, r in members:
            others = "、".join(f"{o.district or o.rel}“{o.rel}”第{x.row}行" for o, x in members if o is not f)
            if not others:
                continue
            if kind == "name":
                msg, fld = f"中心名称“{r.values['center_name']}”与{others}重复", "center_name"
            else:
                msg = f"依托单位（{r.values['lead_uscc']}）在重点领域“{r.values['key_field']}”与{others}重复申报"
                fld = "lead_uscc"
            r.findings.append(Finding.of("DATA.DUPLICATE", msg, field=fld, cell=r.cells.get(fld)))


def collect_folder(folder: Path | str, config: Config, out_file: Path | str | None = None) -> CollectReport:
    """Check every district workbook under ``folder`` and merge them (never modifies anything in ``folder``)."""
    folder = Path(folder)
    if folder.is_file():
        raise TicError(f"“{folder}”是一个文件而不是文件夹，请指定存放各区县报送文件的文件夹（如 01-区县报送）。")
    if not folder.is_dir():
        raise TicError(f"找不到文件夹“{folder}”。")
    report = CollectReport(folder=folder, config=config)
    exclude = {Path(out_file).resolve()} if out_file else set()
    paths, locks, others = find_workbooks(folder, exclude)
    for other in others:
        report.file_findings.append(Finding.of(
            "DATA.STAMP", f"“{other.relative_to(folder).as_posix()}”不是 Excel 工作簿，未汇总", severity="warning"))
    for lock in locks:
        report.file_findings.append(Finding.of(
            "DATA.STAMP", f"“{lock.relative_to(folder).as_posix()}”是 Excel 的临时锁文件，说明对应工作簿正被打开，"
            "汇总读取的是已保存的内容", severity="warning"))
    keys = form_keys()
    problems: list[str] = []
    names = _ledger_names(config, problems)
    for line in problems:
        report.file_findings.append(Finding.of("A10.7.NAME", line, severity="warning"))
    for p in paths:
        rel = p.relative_to(folder).as_posix()
        ir = validate_file(p, config, existing_names=names)
        item = CollectedFile(path=p, rel=rel, report=ir)
        for r in ir.rows:
            r.file = rel
        if ir.fatal is not None:
            report.file_findings.append(Finding.of("FILE.UNREADABLE", str(ir.fatal), file=rel, reason=ir.fatal.reason))
        else:
            _check_stamp(item, config, keys)
            item.district = _district_of(item, config)
            divisions = divisions_for(config)
            for r in ir.rows:
                own = r.values.get("district")
                own_name = divisions.district(own) if isinstance(own, str) and own.strip() else None
                if item.district and own_name and own_name != item.district:  # said, never silently relabelled
                    r.findings.append(Finding.of(
                        "DATA.STAMP", f"该行县（市、区）为{own_name}，与报送单位{item.district}不一致，按{item.district}"
                        "报送汇总，请核实", severity="warning", field="district", cell=r.cells.get("district")))
                r.district = item.district
        report.files.append(item)
    # a second submission of the same district replaces the older one
    by_district: dict[str, list[CollectedFile]] = defaultdict(list)
    for item in report.files:
        if item.report.fatal is None and item.district:
            by_district[item.district].append(item)
    for district, items in by_district.items():
        if len(items) < 2:
            continue
        ordered = sorted(items, key=lambda i: ((i.stamp.stamped_at if i.stamp else ""), i.rel))
        newest = ordered[-1]
        kept = {compact(r.center_name) for r in newest.report.rows if r.center_name}
        for old in ordered[:-1]:
            old.replaced_by = newest.rel
            gone = list(dict.fromkeys(r.center_name for r in old.report.rows
                                      if r.center_name and compact(r.center_name) not in kept))
            dropped = (f"；较新的文件中已没有{len(gone)}项此前报送的申报：{'、'.join(gone[:10])}"
                       + ("等" if len(gone) > 10 else "") + "，请向该区县核实") if gone else ""
            report.file_findings.append(Finding.of(
                "DATA.STAMP", f"{district}报送了多份文件，采用较新的“{newest.rel}”"
                f"（报送时间{newest.stamp.stamped_at if newest.stamp else '未知'}），“{old.rel}”已被替代，不再汇总"
                + dropped, severity="warning", file=old.rel))
    for item in report.active:
        report.file_findings.extend(item.stamp_findings)
        for f in item.report.file_findings:
            report.file_findings.append(Finding.of(f.rule, f"“{item.rel}”：{f.message}", severity=f.severity,
                                                   cell=f.cell, sheet=f.sheet, file=item.rel))
    _cross_duplicates(report.active)
    if out_file is not None:
        from toolkit.adapters.city_workbook import read_decisions, write_city_workbook

        decisions = read_decisions(Path(out_file))
        report.kept_decisions = write_city_workbook(report, Path(out_file), decisions)
    return report


def collect_lines(report: CollectReport) -> list[str]:
    """The Chinese summary ``tic collect`` prints."""
    s = report.summary
    lines = [f"共找到 {s['files']} 个文件，汇总 {s['used']} 个；申报 {s['rows']} 项：符合 {s['eligible']}，"
             f"待核实 {s['review']}，不符合 {s['ineligible']}。"]
    for item in report.files:
        if item.report.fatal is not None:
            lines.append(f"  【无法读取】{item.report.fatal}")
        elif item.replaced_by:
            lines.append(f"  【已替代】{item.rel}（{item.district}，由“{item.replaced_by}”替代）")
        else:
            ss = item.report.summary
            lines.append(f"  {item.district or '（区县不明）'}：{item.rel}，{ss['rows']} 行（符合 {ss['eligible']}，"
                         f"待核实 {ss['review']}，不符合 {ss['ineligible']}），报送标记：{STAMP_ZH[item.stamp_state]}")
    for f in report.file_findings:
        if f.rule != "FILE.UNREADABLE":
            lines.append(f"  提示：{f.sentence()}")
    if report.orphan_decisions:
        lines.append(f"  注意：有{report.orphan_decisions}条已填写的“批准建设”意见对应的申报不在本次汇总中"
                     "（报送文件被移走或改名？），已保留在汇总工作簿的“未汇总的意见”表中，文件放回后会自动恢复。")
    dups = [(r, f) for r in report.rows for f in r.findings if f.rule == "DATA.DUPLICATE"]
    for r, f in dups:
        lines.append(f"  重复申报：{r.district}“{r.file}”第{r.row}行：{f.message}")
    return lines


__all__ = ["CollectReport", "SubmitResult", "collect_folder", "collect_lines", "submit_file", "OutputError"]
