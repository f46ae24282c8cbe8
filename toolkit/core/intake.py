"""Intake: an application row of the 申报汇总表 checked against Art. 10, 16, 28 and 39.

The form's fields (headers, types, when required) come from ``schemas/intake.schema.json``
(``x-fields``); its thresholds are checked by a schema validator that is *injected*
(:class:`SchemaCheck`), so this module stays free of jsonschema. What JSON Schema
cannot say — parsing the clerks' spellings, derived values (years registered, the
director's 周岁, enterprises among the co-builders), check characters, list
lengths, duplicates — is done here, in plain Python.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from operator import mul
from typing import Any, Protocol

from toolkit.core.dates import age_on, years_completed
from toolkit.core.divisions import Divisions
from toolkit.core.findings import Finding, Severity, Verdict, rule_info, summarise_verdicts, verdict_of
from toolkit.core.uscc import ALPHABET, WEIGHTS, normalise_uscc, uscc_problem
from toolkit.core.values import (
    FLOAT_DIGITS,
    ValueProblem,
    clean_text,
    compact,
    is_phone,
    not_an_error,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_credit,
    parse_date,
    parse_integer,
    parse_list,
    parse_percent,
)

ENTERPRISE = "企业"
MONEY_AS_YUAN = Decimal(1_000_000)


@dataclass(frozen=True)
class FieldSpec:
    """One column of the form, as ``x-fields`` of the schema describes it."""

    key: str
    header: str
    type: str
    required: str = "never"  # always | enterprise | non_enterprise | partners | never
    aliases: tuple[str, ...] = ()
    unit: str | None = None
    money: bool = False
    choices: tuple[str, ...] = ()
    blocks: str | None = None
    empty_rule: str | None = None
    width: int = 14
    prompt: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FieldSpec:
        return cls(
            key=d["key"],
            header=d["header"],
            type=d["type"],
            required=d.get("required", "never"),
            aliases=tuple(d.get("aliases", ())),
            unit=d.get("unit"),
            money=bool(d.get("money", False)),
            choices=tuple(d.get("choices", ())),
            blocks=d.get("blocks"),
            empty_rule=d.get("empty_rule"),
            width=int(d.get("width", 14)),
            prompt=d.get("prompt"),
        )

    @property
    def label(self) -> str:
        """The header without its unit: "上年度销售收入（万元）" → "上年度销售收入"."""
        return re.sub(r"[（(][^（）()]*[）)]$", "", self.header) if self.unit else self.header

    def required_for(self, lead_type: str | None, has_partners: bool) -> bool | None:
        """True/False, or None when it depends on a value that is missing (lead_type)."""
        if self.required == "always":
            return True
        if self.required == "partners":
            return has_partners
        if self.required in ("enterprise", "non_enterprise"):
            if lead_type is None:
                return None
            return (lead_type == ENTERPRISE) == (self.required == "enterprise")
        return False


@dataclass(frozen=True)
class Violation:
    """A threshold the schema validator found broken, before it becomes a :class:`Finding`."""

    rule: str
    field: str  # the key of the field the finding sits on
    template: str  # x-message, with {value}, {minimum} … placeholders
    value: Any
    limits: Mapping[str, Any]
    item: int | None = None  # index into a list field


class SchemaCheck(Protocol):
    def __call__(self, instance: Mapping[str, Any]) -> Iterable[Violation]: ...


class RawRowLike(Protocol):
    row: int
    values: dict[str, Any]
    cells: Mapping[str, str]
    formula_missing: set[str]


@dataclass
class IntakeContext:
    fields: Sequence[FieldSpec]
    reference_date: date
    key_fields: tuple[str, ...]
    divisions: Divisions
    check: SchemaCheck
    missing_columns: frozenset[str] = frozenset()
    existing_names: frozenset[str] = frozenset()

    def spec(self, key: str) -> FieldSpec:
        return self._by_key[key]

    def __post_init__(self) -> None:
        # Everything check_row would otherwise work out again for every row (measured: ~2x faster rows).
        self._by_key = {f.key: f for f in self.fields}
        self._pos = {f.key: i for i, f in enumerate(self.fields)}
        self._labels = {f.key: f.label for f in self.fields}
        self._parsers = [(f, f.key, f.type == _NUMBER, _value_parser(f, self),
                          bool(f.money or f.type in ("number", "percent"))) for f in self.fields]
        # the keys required of a row, by (lead is an enterprise: True/False/None when not given, partners)
        self._required = {
            (lead, partners): frozenset(f.key for f in self.fields if f.required_for(
                None if lead is None else ENTERPRISE if lead else "其他", partners))
            for lead in (None, True, False) for partners in (False, True)}
        self._limit_texts: dict[tuple[tuple[str, type, Any], ...], dict[str, str]] = {}
        self._districts: dict[tuple[type, Any], str | None] = {}
        self._places: dict[str, str | None] = {}
        self._existing_keys = frozenset(name_key(n) for n in self.existing_names)
        self._read_values = compile_value_reader(self)

    def district(self, raw: Any) -> str | None:
        """``divisions.district`` remembered per cell value (a batch repeats a dozen spellings)."""
        key = (type(raw), raw)
        try:
            return self._districts[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: not remembered
            return self.divisions.district(raw)
        if len(self._districts) > _MEMO_LIMIT:
            self._districts.clear()
        name = self._districts[key] = self.divisions.district(raw)
        return name

    def place(self, text: str) -> str | None:
        """``divisions.place`` remembered per 注册地 text."""
        try:
            return self._places[text]
        except KeyError:
            pass
        if len(self._places) > _MEMO_LIMIT:
            self._places.clear()
        name = self._places[text] = self.divisions.place(text)
        return name


@dataclass
class RowResult:
    row: int
    values: dict[str, Any]
    findings: list[Finding]
    cells: Mapping[str, str] = field(default_factory=dict)
    district: str | None = None
    file: str | None = None

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)

    @property
    def center_name(self) -> str | None:
        return self.values.get("center_name")

    @property
    def lead_uscc(self) -> str | None:
        return self.values.get("lead_uscc")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"row": self.row}
        if self.file is not None:
            out["file"] = self.file
        if self.district is not None:
            out["district"] = self.district
        out["center_name"] = self.center_name
        out["lead_uscc"] = self.lead_uscc
        out["verdict"] = self.verdict.value
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


def fmt(value: Any) -> str:
    """A value as a clerk reads it in a message: 1500, 1999.99, 2021-03-05, 是/否."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "、".join(fmt(v) for v in value)
    return clean_text(value)


# ------------------------------------------------------------------ parsing


_MEMO_LIMIT = 50_000
_NUMBER = "number"
_PERCENT = "percent"
_YUAN_UNITS = ("元", "亿元")
_BLOCKING = ("DATA.TYPE", "DATA.REQUIRED", "DATA.FORMULA", "DATA.USCC")
_PAST_DATES = ("reg_date", "director_birth")
_PARTNER_KEYS = ("agreement", "share_conditions", "share_staff", "share_projects", "share_outcomes")
_FINDING_INFO: dict[tuple[str, str | None], tuple[Severity, str | None]] = {}


def _finding(rule: str, message: str, key: str | None, cell: str | None, value: Any, severity: str | None) -> Finding:
    """``Finding.of`` with the catalogue lookup remembered per (rule, severity): the same finding, faster."""
    info = _FINDING_INFO.get((rule, severity))
    if info is None:
        entry = rule_info(rule)
        info = _FINDING_INFO[(rule, severity)] = (Severity(severity or entry["severity"]), entry.get("article"))
    return Finding(rule=rule, severity=info[0], message=message, article=info[1], field=key, cell=cell, value=value)


_MEMO_TYPES = frozenset({"bool", "choice", "choice_config", "credit", "division"})
_MEMO_PER_FIELD = 4096


def _remembered(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parse`` remembering its answer (or its problem) per cell value: for fields of a few spellings
    (是/否, 企业, 无不良记录, the district …), whose values are immutable. Keyed by type and value, so
    1, 1.0 and True stay apart; 0.0 and -0.0 (equal, printed differently) are never remembered."""
    memo: dict[tuple[type, Any], tuple[bool, Any]] = {}

    def parse_remembered(raw: Any) -> Any:
        key = (type(raw), raw)
        try:
            hit = memo.get(key)
        except TypeError:  # unhashable
            return parse(raw)
        if hit is not None:
            if hit[0]:
                return hit[1]
            raise ValueProblem(hit[1])
        keep = len(memo) < _MEMO_PER_FIELD and not (type(raw) is float and raw == 0)
        try:
            value = parse(raw)
        except ValueProblem as exc:
            if keep and type(exc) is ValueProblem:
                memo[key] = (False, str(exc))
            raise
        if keep:
            memo[key] = (True, value)
        return value

    return parse_remembered


def _value_parser(spec: FieldSpec, ctx: IntakeContext) -> Callable[[Any], Any]:
    """The parser of one field, chosen once (numbers return their :class:`Amount`); an Excel error value
    (#N/A …) is a problem for every field, not text or a number to read."""
    plain = _plain_parser(spec, ctx)

    def parse(raw: Any) -> Any:
        not_an_error(raw)
        return plain(raw)

    return _remembered(parse) if spec.type in _MEMO_TYPES else parse


def _plain_parser(spec: FieldSpec, ctx: IntakeContext) -> Callable[[Any], Any]:
    t = spec.type
    if t in ("text", "phone"):
        return clean_text
    if t == "integer":
        return parse_integer
    if t == _NUMBER:
        money = spec.money
        return lambda raw: parse_amount(raw, money=money)
    if t == "percent":
        return parse_percent
    if t == "date":
        return parse_date
    if t == "bool":
        return parse_bool
    if t == "credit":
        return parse_credit
    if t == "credit_list":
        return lambda raw: [parse_credit(x) for x in parse_list(raw)]
    if t == "choice":
        choices = spec.choices
        return lambda raw: parse_choice(raw, choices)
    if t == "choice_config":
        return lambda raw: compact(clean_text(raw))
    if t == "list":
        return parse_list
    if t == "uscc":
        return normalise_uscc
    if t == "uscc_list":
        return lambda raw: [normalise_uscc(x) for x in parse_list(raw)]
    if t == "division":
        def division(raw: Any) -> str:
            name = ctx.district(raw)
            if name is None:
                raise ValueProblem("不是石家庄市的县（市、区）")
            return name
        return division
    raise ValueError(f"unknown field type {t!r} in the schema")  # a schema bug, not a user error


_USCC_VALUES = bytes(ALPHABET.index(chr(c)) if chr(c) in ALPHABET else 255 for c in range(256))
_USCC_WEIGHTS = bytes(WEIGHTS)


def _uscc_problem(code: str) -> str | None:
    """:func:`uscc_problem`, with the usual valid code recognised in a few C loops (~3x faster: the
    characters' values by one ``bytes.translate``); any code this does not find valid gets
    :func:`uscc_problem`'s own answer."""
    if len(code) == 18 and code.isascii() and code[2:8].isdigit():
        values = code.encode().translate(_USCC_VALUES)
        if 255 not in values and values[17] == (31 - sum(map(mul, values[:17], _USCC_WEIGHTS)) % 31) % 31:
            return None
    return uscc_problem(code)


def check_row(raw: RawRowLike, ctx: IntakeContext, *, reference: bool = False) -> RowResult:
    """Every rule of rules.md part A and the row-level DATA rules for one row.

    The values are read by the form's compiled reader (:func:`compile_value_reader`, ~3x faster);
    ``reference=True`` reads them with the plain loop it is compiled from (:func:`read_values`): the same
    values and findings (``tests/test_intake_rules.py`` checks both on thousands of varied rows)."""
    findings: list[Finding] = []
    cells = raw.cells  # read only (the reader's cells are made when asked for)
    labels = ctx._labels

    def add(rule: str, message: str, key: str | None, value: Any = None, severity: str | None = None) -> None:
        findings.append(_finding(rule, message, key, cells.get(key) if key else None, value, severity))

    # 1. parse every present, non-empty value
    formula_missing = raw.formula_missing
    if reference:
        values = read_values(raw, ctx, add)
    else:
        values = ctx._read_values(raw.values.get, formula_missing, add)

    # a date after the reference date cannot be a registration or a birth (a serial typed wrong, 2438-04-11)
    for key in _PAST_DATES:
        when = values.get(key)
        if when is not None and when > ctx.reference_date:
            typed = raw.values.get(key)
            shown = fmt(when) if isinstance(typed, date) else f"“{clean_text(typed)}”（读作{fmt(when)}）"
            add("DATA.TYPE", f"{labels[key]}{shown}晚于基准日期{ctx.reference_date.isoformat()}，请核实", key, when)
            del values[key]

    lead_type = values.get("lead_type")
    partners = values.get("partners", [])
    partner_usccs = values.get("partner_usccs", [])
    has_partners = bool(partners or partner_usccs)

    # 2. required values, formulas without a cached value
    reported = {f.field for f in findings}
    if formula_missing or ctx.missing_columns:
        for spec in ctx.fields:
            need = spec.required_for(lead_type, has_partners)
            if spec.key in formula_missing:
                add("DATA.FORMULA",
                    f"{spec.label}是公式但没有计算结果（文件由程序生成、未在 Excel 中打开保存），"
                    "请在 Excel 中打开、保存后重新提交", spec.key, None, "error" if need else "warning")
                continue
            if spec.key in ctx.missing_columns:
                if need:
                    add("DATA.HEADER", f"表格缺少“{spec.label}”列，无法核验{spec.blocks or '该项'}", spec.key)
                continue
            if need and spec.key not in values and spec.key not in reported:
                if spec.empty_rule:
                    add(spec.empty_rule, f"{spec.label}未填写", spec.key)
                else:
                    add("DATA.REQUIRED", f"缺少{spec.label}，无法核验{spec.blocks or '该项'}", spec.key)
    else:  # the same loop for the usual row: only fields that can be required and are empty
        required = ctx._required[None if lead_type is None else lead_type == ENTERPRISE, has_partners]
        empty = required.difference(values)
        for key in sorted(empty, key=ctx._pos.__getitem__) if empty else ():
            if key in reported:
                continue
            spec = ctx._by_key[key]
            if spec.empty_rule:
                add(spec.empty_rule, f"{labels[key]}未填写", key)
            else:
                add("DATA.REQUIRED", f"缺少{labels[key]}，无法核验{spec.blocks or '该项'}", key)

    # 3. identity codes and lists
    lead_problem = _uscc_problem(values["lead_uscc"]) if "lead_uscc" in values else None
    if lead_problem:
        add("DATA.USCC", f"依托单位统一社会信用代码“{values['lead_uscc']}”{lead_problem}", "lead_uscc", values["lead_uscc"])
    valid_partner_usccs = []
    for code in partner_usccs:
        problem = _uscc_problem(code)
        if problem:
            add("DATA.USCC", f"共建单位统一社会信用代码“{code}”{problem}", "partner_usccs", code)
        else:
            valid_partner_usccs.append(code)
    if partners and "partner_usccs" in values and len(partners) != len(partner_usccs):
        add("DATA.LIST-LENGTH", f"共建单位名称{len(partners)}个，统一社会信用代码{len(partner_usccs)}个，个数不一致",
            "partner_usccs")
    credits = values.get("partner_credit", [])
    if credits and partners and len(credits) not in (1, len(partners)):
        add("DATA.LIST-LENGTH", f"共建单位{len(partners)}个，信用记录{len(credits)}个，个数不一致", "partner_credit")
    if "phone" in values and not is_phone(values["phone"]):
        add("DATA.PHONE", f"联系电话“{values['phone']}”既不是手机号码也不是固定电话号码", "phone", values["phone"], "warning")

    # 4. derived values for the schema
    instance, city = _instance(values, ctx, lead_problem is None, valid_partner_usccs, has_partners)
    if city is not None:
        declared = values.get("city_partner_enterprises")
        if declared is not None and declared != city:
            add("A10.2.PARTNERS",
                f"填报的市内共建企业数为{declared}家，按共建单位信用代码核对为{city}家，请核实",
                "city_partner_enterprises", declared, "warning")

    # 5. thresholds from the schema
    violations = ctx.check(instance)
    if not isinstance(violations, list):
        violations = list(violations)
    if violations:
        blocked = {f.field for f in findings if f.rule in _BLOCKING}
        params = {
            "reference_date": ctx.reference_date.isoformat(),
            "reg_place": fmt(values.get("reg_place", "")),
            "reg_date": fmt(values.get("reg_date", "")),
            "lead_type": values.get("lead_type", ""),
        }
        for v in violations:
            if v.field in blocked:
                continue
            item_name = ""
            if v.item is not None and v.field == "partner_credit":
                item_name = partners[v.item] if v.item < len(partners) else f"第{v.item + 1}个"
            message = v.template.format(value=fmt(v.value), item_name=item_name, **_limit_texts(v.limits, ctx), **params)
            shown = v.value if (v.item is not None or v.field not in values) else values[v.field]
            add(v.rule, message, v.field, shown)

    # 6. name already used by a center in the ledger
    name = values.get("center_name")
    if name and ctx._existing_keys and name_key(name) in ctx._existing_keys:
        add("A10.7.NAME", f"中心名称“{name}”与台账中已有的技术创新中心重名", "center_name", name)

    return RowResult(row=raw.row, values=values, findings=_order(findings, ctx), cells=cells)


def _instance(values: dict[str, Any], ctx: IntakeContext, lead_valid: bool, valid_partner_usccs: list[str],
              has_partners: bool) -> tuple[dict[str, Any], int | None]:
    """What the schema checks: the row's values and the values derived from them; with the number of
    enterprises of the city among the co-builders when the lead is not an enterprise (else None)."""
    instance: dict[str, Any] = dict(values)
    instance["has_partners"] = has_partners
    if "reg_place" in values:
        instance["reg_in_city"] = ctx.place(values["reg_place"]) is not None
    if lead_valid and "lead_uscc" in values:
        instance["lead_uscc_region"] = values["lead_uscc"][2:6]
    if "reg_date" in values:
        instance["reg_years"] = years_completed(values["reg_date"], ctx.reference_date)
    if "director_birth" in values:
        instance["director_age"] = age_on(values["director_birth"], ctx.reference_date)
    credits = values.get("partner_credit")
    partners = values.get("partners")
    if credits and partners and len(credits) == 1 and len(partners) > 1:
        instance["partner_credit"] = credits * len(partners)
    city = None
    lead_type = values.get("lead_type")
    if lead_type and lead_type != ENTERPRISE:
        # each enterprise once: the same code written twice is still one co-builder (Art. 10(二): 2家以上企业)
        city = len({c for c in valid_partner_usccs if c.startswith("91") and c[2:6] == "1301"})
        instance["city_partner_count"] = city
    if not has_partners:
        for key in _PARTNER_KEYS:
            instance.pop(key, None)
    return instance, city


def read_values(raw: RawRowLike, ctx: IntakeContext, add: Callable[..., None]) -> dict[str, Any]:
    """Every present, non-empty value of the row parsed as its field's type; a value that cannot be read is
    reported (DATA.TYPE), units converted or doubtful are reported (DATA.UNIT) through ``add``. The
    reference of :func:`compile_value_reader`."""
    values: dict[str, Any] = {}
    labels = ctx._labels
    raw_values = raw.values
    formula_missing = raw.formula_missing
    for spec, key, is_number, parse, unit_check in ctx._parsers:
        rv = raw_values.get(key)  # an absent column reads as an empty cell
        if rv is None or (isinstance(rv, str) and not rv.strip()) or (formula_missing and key in formula_missing):
            continue
        try:
            if is_number:
                amount = parse(rv)
                value, unit = amount.value, amount.unit
            else:
                value, unit = parse(rv), None
        except ValueProblem as exc:
            add("DATA.TYPE", f"{labels[key]}“{clean_text(rv)}”{exc}{_blocked(spec)}", key, rv)
            continue
        if not value and isinstance(value, str | list):  # "" or []
            continue
        values[key] = value
        if unit_check:
            if unit in _YUAN_UNITS:
                add("DATA.UNIT", f"{labels[key]}按“{unit}”填写（“{clean_text(rv)}”），已换算为{fmt(value)}万元，请核实",
                    key, rv, "warning")
            elif spec.money and unit is None and isinstance(value, Decimal) and value >= MONEY_AS_YUAN:
                add("DATA.UNIT", f"{labels[key]}为{fmt(value)}万元，疑似按“元”填写，请核实单位", key, rv, "warning")
            if spec.type == _PERCENT and isinstance(value, Decimal) and not 0 <= value <= 100:
                add("DATA.UNIT", f"{labels[key]}为{fmt(value)}%，不在0至100之间，请核实", key, rv, "warning")
    return values


_FLOAT_INF = float("inf")
_TEXT_TYPES = ("text", "phone")


def _field_code(i: int, spec: FieldSpec) -> list[str]:
    """The lines of :func:`compile_value_reader`'s function for one field: the usual cell types of the
    field read inline, any other value through the field's own parser ``P{i}``, the findings
    :func:`read_values` makes, with its messages (the field's label is ``L{i}``)."""
    key = repr(spec.key)
    t = spec.type
    out = [f" v = get({key})",
           f" if v is not None and (type(v) is not str or v.strip()) and not (fm and {key} in fm):"]
    if t in _TEXT_TYPES and not spec.money:  # one line of text, no '#' (an Excel error value): itself, stripped
        return out + ["  if type(v) is str and '\\n' not in v and '\\r' not in v and '#' not in v:",
                      f"   values[{key}] = v.strip()",
                      "  else:",
                      "   try:",
                      f"    x = P{i}(v)",
                      "   except ValueProblem as exc:",
                      f"    add('DATA.TYPE', L{i} + '“' + clean_text(v) + '”' + str(exc) + B{i}, {key}, v)",
                      "   else:",
                      "    if x:",
                      f"     values[{key}] = x"]
    out.append("  try:")
    if t == "integer":
        out.append(f"   x = v if type(v) is int else int(v) if type(v) is float and v.is_integer() else P{i}(v)")
    elif t == _NUMBER:
        out += ["   if type(v) is float and v == v and v != INF and v != -INF:",
                "    x, unit = Decimal(format(v, DIGITS)), None",
                "   else:",
                f"    a = P{i}(v)",
                "    x, unit = a.value, a.unit"]
    elif t == "date":
        out.append(f"   x = v.date() if type(v) is datetime else v if type(v) is date else P{i}(v)")
    else:
        out.append(f"   x = P{i}(v)")
    out += ["  except ValueProblem as exc:",
            f"   add('DATA.TYPE', L{i} + '“' + clean_text(v) + '”' + str(exc) + B{i}, {key}, v)",
            "  else:"]
    if t == _NUMBER:
        out += [f"   values[{key}] = x",
                "   if unit in YUAN:",
                f"    add('DATA.UNIT', L{i} + '按“' + unit + '”填写（“' + clean_text(v) + '”），已换算为' + fmt(x)"
                f" + '万元，请核实', {key}, v, 'warning')"]
        if spec.money:
            out += ["   elif unit is None and x >= MONEY_AS_YUAN:",
                    f"    add('DATA.UNIT', L{i} + '为' + fmt(x) + '万元，疑似按“元”填写，请核实单位', {key}, v, 'warning')"]
        return out
    out += ["   if x or not isinstance(x, (str, list)):",
            f"    values[{key}] = x"]
    if spec.money:
        out += ["    if isinstance(x, Decimal) and x >= MONEY_AS_YUAN:",
                f"     add('DATA.UNIT', L{i} + '为' + fmt(x) + '万元，疑似按“元”填写，请核实单位', {key}, v, 'warning')"]
    if t == _PERCENT:
        out += ["    if isinstance(x, Decimal) and not 0 <= x <= 100:",
                f"     add('DATA.UNIT', L{i} + '为' + fmt(x) + '%，不在0至100之间，请核实', {key}, v, 'warning')"]
    return out


def _blocked(spec: FieldSpec) -> str:
    """What a value that cannot be read blocks, as DATA.REQUIRED names it (rules.md: both name it)."""
    return f"，无法核验{spec.blocks}" if spec.blocks else ""


def compile_value_reader(ctx: IntakeContext) -> Callable[[Callable[[str], Any], set[str], Callable[..., None]],
                                                          dict[str, Any]]:
    """:func:`read_values` as one function generated from the form's fields: no loop, no call per field
    for the usual cell types (text, whole and decimal numbers, dates), every other value through the
    field's own parser. Called as ``read(raw.values.get, raw.formula_missing, add)``."""
    lines = ["def read(get, fm, add):", " values = {}"]
    namespace: dict[str, Any] = {"ValueProblem": ValueProblem, "Decimal": Decimal, "INF": _FLOAT_INF,
                                 "YUAN": _YUAN_UNITS, "MONEY_AS_YUAN": MONEY_AS_YUAN, "datetime": datetime,
                                 "date": date, "clean_text": clean_text, "fmt": fmt, "DIGITS": FLOAT_DIGITS}
    for i, (spec, _key, _is_number, parse, _unit_check) in enumerate(ctx._parsers):
        namespace[f"P{i}"] = parse
        namespace[f"L{i}"] = spec.label
        namespace[f"B{i}"] = _blocked(spec)
        lines += _field_code(i, spec)
    lines.append(" return values")
    exec(compile("\n".join(lines), "<value reader>", "exec"), namespace)  # noqa: S102 - from our own schema
    return namespace["read"]  # type: ignore[no-any-return]


def name_key(name: str) -> str:
    """A center name for comparing: NFKC (one width of brackets), no white space."""
    return compact(name)


def _limit_texts(limits: Mapping[str, Any], ctx: IntakeContext) -> Mapping[str, str]:
    """``{name: fmt(limit)}`` of a threshold's limits (a handful per schema: remembered)."""
    key = tuple((k, type(x), x) for k, x in limits.items())
    try:
        return ctx._limit_texts[key]
    except KeyError:
        pass
    except TypeError:  # unhashable limit
        return {k: fmt(x) for k, x in limits.items()}
    if len(ctx._limit_texts) > 1000:
        ctx._limit_texts.clear()
    texts = ctx._limit_texts[key] = {k: fmt(x) for k, x in limits.items()}  # type: ignore[index]
    return texts


def _order(findings: list[Finding], ctx: IntakeContext) -> list[Finding]:
    """Findings in the order of the form's columns (the order a clerk reads them), without repeats."""
    if not findings:
        return findings
    pos = ctx._pos
    if len(findings) > 1:
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for f in findings:
            key = (f.rule, f.field, f.cell, f.message)
            if key not in seen:
                seen.add(key)
                unique.append(f)
        findings = unique
    return sorted(findings, key=lambda f: pos.get(f.field or "", -1))


def _dup_keys(result: RowResult) -> list[tuple[str, str]]:
    keys = []
    name = result.values.get("center_name")
    if name:
        keys.append(("name", compact(name)))
    uscc = result.values.get("lead_uscc")
    field_ = result.values.get("key_field")
    if uscc and field_:
        keys.append(("lead", f"{uscc}|{field_}"))
    return keys


def mark_duplicates(results: Sequence[RowResult], where: Callable[[RowResult], str] | None = None) -> None:
    """DATA.DUPLICATE on every row involved: same center name, or same lead USCC + key field."""
    groups: dict[tuple[str, str], list[RowResult]] = defaultdict(list)
    for r in results:
        for key in _dup_keys(r):
            groups[key].append(r)
    describe = where or (lambda r: f"第{r.row}行")
    for (kind, _), members in groups.items():
        if len(members) < 2:
            continue
        for r in members:
            others = "、".join(describe(o) for o in members if o is not r)
            if kind == "name":
                msg = f"中心名称“{r.values['center_name']}”与{others}重复"
                fld = "center_name"
            else:
                msg = f"依托单位（{r.values['lead_uscc']}）在重点领域“{r.values['key_field']}”与{others}重复申报"
                fld = "lead_uscc"
            finding = Finding.of("DATA.DUPLICATE", msg, field=fld, cell=r.cells.get(fld))
            if not any(f.rule == finding.rule and f.message == msg for f in r.findings):
                r.findings.append(finding)


def check_rows(rows: Iterable[RawRowLike], ctx: IntakeContext) -> list[RowResult]:
    """Check every row and mark duplicates within the batch."""
    results = [check_row(r, ctx) for r in rows]
    mark_duplicates(results)
    return results


def summarise(results: Sequence[RowResult], file_findings: Sequence[Finding] = ()) -> dict[str, int]:
    return summarise_verdicts(results, file_findings)
