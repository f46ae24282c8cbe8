"""Findings: one rule broken (or to be looked at) in one place.

A :class:`Finding` is data; its ``to_dict()`` is the JSON of
``shared/spec/report.md``. The article and default severity of a rule come
from the rule catalogue ``schemas/rules.json`` so that they are written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from toolkit.resources import load_schema


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ZH = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    REVIEW = "review"
    INELIGIBLE = "ineligible"

    @property
    def zh(self) -> str:
        return {"eligible": "符合", "review": "待核实", "ineligible": "不符合"}[self.value]


def rule_info(rule: str) -> dict[str, Any]:
    """Catalogue entry of a rule id: ``{"article", "severity", "title"}``."""
    try:
        return load_schema("rules")["rules"][rule]
    except KeyError:
        raise KeyError(f"unknown rule id {rule!r}: add it to schemas/rules.json") from None


def json_value(value: Any) -> Any:
    """A cell value as JSON can carry it (dates as ISO text, exact numbers as int/float)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction | Decimal):
        as_float = float(value)
        return int(as_float) if as_float.is_integer() else as_float
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        # a whole number prints as one whatever the reader (calamine gives 23500000.0, openpyxl 23500000)
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@dataclass(frozen=True, slots=True, eq=True)
class Finding:
    """One broken rule at one place. ``extra`` carries report-specific keys (``expert_id`` …)."""

    rule: str
    severity: Severity
    message: str
    article: str | None = None
    field: str | None = None
    cell: str | None = None
    value: Any = None
    sheet: str | None = None
    row: int | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(
        cls,
        rule: str,
        message: str,
        *,
        severity: Severity | str | None = None,
        **kwargs: Any,
    ) -> Finding:
        """Build a finding whose article and default severity come from the catalogue."""
        info = rule_info(rule)
        extra = kwargs.pop("extra", None) or {}
        known = {k: kwargs.pop(k) for k in ("field", "cell", "value", "sheet", "row", "article") if k in kwargs}
        if kwargs:
            extra = {**extra, **kwargs}
        return cls(
            rule=rule,
            severity=Severity(severity or info["severity"]),
            message=message,
            article=known.pop("article", None) or info.get("article"),
            extra=tuple(sorted(extra.items())),
            **known,
        )

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "severity": self.severity.value}
        if self.article:
            out["article"] = self.article
        for key in ("sheet", "field", "cell"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.value is not None:
            out["value"] = json_value(self.value)
        for key, value in self.extra:
            out[key] = json_value(value)
        out["message"] = self.message
        return out

    def sentence(self) -> str:
        """The message with its article, as one sentence for a comment or the terminal."""
        text = self.message.rstrip("。")
        if self.article and self.article not in text:
            text += f"（{self.article}）"
        return text + "。"


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    """Any error → ineligible; else any warning → review; else eligible (rules.md)."""
    worst = Verdict.ELIGIBLE
    for f in findings:
        if f.severity is Severity.ERROR:
            return Verdict.INELIGIBLE
        if f.severity is Severity.WARNING:
            worst = Verdict.REVIEW
    return worst


def exit_status(findings: Iterable[Finding]) -> int:
    """0 when nothing blocking, 1 when any finding is an error (report.md)."""
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0


@dataclass
class FindingList:
    """An ordered, de-duplicated collection of findings (convenience for checkers)."""

    items: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        if not any(f.to_dict() == finding.to_dict() for f in self.items):
            self.items.append(finding)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def summarise_verdicts(rows: Iterable[Any], file_findings: Iterable[Finding] = ()) -> dict[str, int]:
    """The ``summary`` of a row report (report.md): rows per verdict, errors and warnings.

    ``rows`` are objects with ``verdict`` and ``findings`` (intake rows, annual report rows).
    """
    counts = {v: 0 for v in Verdict}
    errors = warnings = n = 0
    for r in rows:
        n += 1
        counts[r.verdict] += 1
        for f in r.findings:
            errors += f.severity is Severity.ERROR
            warnings += f.severity is Severity.WARNING
    for f in file_findings:
        errors += f.severity is Severity.ERROR
        warnings += f.severity is Severity.WARNING
    return {"rows": n, "eligible": counts[Verdict.ELIGIBLE], "review": counts[Verdict.REVIEW],
            "ineligible": counts[Verdict.INELIGIBLE], "errors": errors, "warnings": warnings}
