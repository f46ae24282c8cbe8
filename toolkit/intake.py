"""Validate intake workbooks: reader + rules + report (the library behind ``tic validate``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.adapters.schema_check import field_specs, intake_check
from toolkit.adapters.table import Column, Table, read_table
from toolkit.core.config import Config
from toolkit.core.divisions import Divisions
from toolkit.core.findings import Finding, Severity, exit_status
from toolkit.core.intake import FieldSpec, IntakeContext, RowResult, check_rows, summarise
from toolkit.errors import InputFileError
from toolkit.resources import load_schema

SCHEMA_VERSION = 1


def intake_columns(specs: list[FieldSpec] | None = None) -> list[Column]:
    specs = specs or field_specs("intake")
    return [Column(s.key, s.header, s.aliases, required=s.required == "always") for s in specs]


def divisions_for(config: Config) -> Divisions:
    return Divisions.from_data(load_schema("divisions"), config.intake.extra_divisions)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:  # noqa: PTH123
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class IntakeReport:
    """The validation of one intake workbook; ``to_dict()`` is report.md's JSON."""

    path: Path
    config: Config
    rows: list[RowResult] = field(default_factory=list)
    file_findings: list[Finding] = field(default_factory=list)
    table: Table | None = None
    sha256: str | None = None
    fatal: InputFileError | None = None
    report: str = "intake"

    @property
    def status(self) -> int:
        if self.fatal is not None:
            return 2
        return max(exit_status(self.file_findings), max((exit_status(r.findings) for r in self.rows), default=0))

    @property
    def summary(self) -> dict[str, int]:
        return summarise(self.rows, self.file_findings)

    def to_dict(self) -> dict[str, Any]:
        source: dict[str, Any] = {"file": self.path.name, "sha256": self.sha256}
        if self.table is not None:
            source["sheet"] = self.table.sheet
            source["header_row"] = self.table.header_row
        return {
            "report": self.report,
            "schema_version": SCHEMA_VERSION,
            "tool_version": __version__,
            "reference_date": self.config.reference_date.isoformat(),
            "source": source,
            "summary": self.summary,
            "rows": [r.to_dict() for r in self.rows],
            "file_findings": [f.to_dict() for f in self.file_findings],
        }


def header_findings(
    table: Table, specs: list[FieldSpec], form_version: str, rows: list[RowResult] | None = None
) -> list[Finding]:
    """DATA.HEADER: missing required columns (error), unknown columns, an older template version (warnings).

    A column required only for some rows (企业, 共建) is an error only when a row needs it.
    """
    out: list[Finding] = []
    by_key = {s.key: s for s in specs}
    needed = {f.field for r in rows or () for f in r.findings if f.rule == "DATA.HEADER"}
    for col in table.missing_columns:
        spec = by_key[col.key]
        if spec.required == "never" or (spec.required != "always" and spec.key not in needed):
            continue
        severity = "error"
        out.append(Finding.of(
            "DATA.HEADER",
            f"工作表“{table.sheet}”缺少“{spec.label}”列（第{table.header_row}行表头），无法核验{spec.blocks or '该项'}",
            severity=severity, field=spec.key, sheet=table.sheet,
        ))
    for cell, header in table.unknown_headers:
        out.append(Finding.of("DATA.HEADER", f"未识别的列“{header}”（{cell}），该列内容已保留但不参与校验",
                              severity="warning", cell=cell, sheet=table.sheet))
    if table.template_version and table.template_version != form_version:
        out.append(Finding.of(
            "DATA.HEADER",
            f"该工作簿来自旧版模板（{table.template_version}），当前模板为 {form_version}，请改用新模板（tic template）",
            severity="warning", sheet=table.sheet,
        ))
    return out


def unreadable_finding(exc: InputFileError) -> Finding:
    return Finding.of("FILE.UNREADABLE", str(exc), reason=exc.reason)


def validate_file(path: Path | str, config: Config, existing_names: frozenset[str] = frozenset()) -> IntakeReport:
    """Read and check one intake workbook. Never raises for a bad file: the report carries it (status 2)."""
    path = Path(path)
    report = IntakeReport(path=path, config=config)
    specs = field_specs("intake")
    form = load_schema("intake")["x-form"]
    try:
        table = read_table(path, intake_columns(specs), sheet_names=(form["sheet"],), form_name="申报汇总表")
    except InputFileError as exc:
        report.fatal = exc
        report.file_findings.append(unreadable_finding(exc))
        return report
    report.table = table
    report.sha256 = sha256_of(path)
    ctx = IntakeContext(
        fields=specs,
        reference_date=config.reference_date,
        key_fields=config.key_fields,
        divisions=divisions_for(config),
        check=intake_check(config),
        missing_columns=frozenset(c.key for c in table.missing_columns),
        existing_names=existing_names,
    )
    report.rows = check_rows(table.rows, ctx)
    report.file_findings = header_findings(table, specs, form["version"], report.rows)
    return report


def count_by_severity(findings: list[Finding]) -> tuple[int, int]:
    return (sum(f.severity is Severity.ERROR for f in findings), sum(f.severity is Severity.WARNING for f in findings))


def annotate_report(report: IntakeReport, out_dir: Path | None = None) -> Path:
    """Write ``<name>.校验结果.xlsx`` for a validated workbook (beside it, or in ``out_dir``)."""
    from toolkit.adapters.annotate import AnnotatedRow, annotated_name, write_annotated

    assert report.table is not None, "only a readable workbook can be annotated"
    target = (out_dir or report.path.parent) / annotated_name(report.path)
    s = report.summary
    lines = [
        f"申报汇总表校验结果：{report.path.name}",
        f"基准日期 {report.config.reference_date.isoformat()}；共 {s['rows']} 行：符合 {s['eligible']}，"
        f"待核实 {s['review']}，不符合 {s['ineligible']}；错误 {s['errors']} 处，警告 {s['warnings']} 处。",
        "红色为错误（不符合条件），黄色为警告（需人工核实）；点击“单元格”列可跳转到原表对应位置，原单元格批注中有说明。",
    ]
    rows = [AnnotatedRow(r.row, r.verdict, r.findings, r.center_name or "") for r in report.rows]
    return write_annotated(
        report.path, target, sheet=report.table.sheet, header_row=report.table.header_row, rows=rows,
        file_findings=report.file_findings, summary_lines=lines,
    )


def terminal_lines(report: IntakeReport, quiet: bool = False) -> list[str]:
    """The Chinese summary ``tic validate`` prints for one file."""
    name = report.path.name
    if report.fatal is not None:
        return [f"【无法读取】{report.fatal}"]
    s = report.summary
    t = report.table
    lines: list[str] = []
    if not quiet:
        lines.append(
            f"{name}（工作表“{t.sheet}”，表头在第{t.header_row}行）共 {s['rows']} 行："  # type: ignore[union-attr]
            f"符合 {s['eligible']}，待核实 {s['review']}，不符合 {s['ineligible']}。"
        )
    for f in report.file_findings:
        lines.append(f"  {name}：{f.sentence()}")
    for r in report.rows:
        if r.verdict.value == "eligible":
            continue
        lines.append(f"  第{r.row}行 {r.center_name or '（未填中心名称）'}【{r.verdict.zh}】")
        for f in r.findings:
            where = f"{f.cell} " if f.cell else ""
            lines.append(f"    - {where}{f.sentence()}")
    return lines
