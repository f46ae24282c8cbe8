"""The JSON Schema side of validation: jsonschema is the engine of record.

Builds a Draft 2020-12 validator from ``schemas/<form>.schema.json`` with the
cycle's config values filled in (``{"x-config": "key_fields"}``), and turns each
``ValidationError`` into a :class:`toolkit.core.intake.Violation` using the
custom keywords ``x-rule`` and ``x-message`` (and ``field`` when the finding
belongs on another cell than the derived value).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from toolkit.core.annual import AnnualLimits
from toolkit.core.config import Config
from toolkit.core.intake import FieldSpec, Violation
from toolkit.resources import load_schema

_LIMIT_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "const", "enum", "minLength")


def _config_value(config: Config, name: str) -> Any:
    if name == "key_fields":
        return list(config.key_fields)
    if name == "min_ip":
        return config.intake.min_ip
    raise KeyError(f"unknown x-config value {name!r} in schema")


def _substitute(node: Any, config: Config) -> Any:
    if isinstance(node, dict):
        if set(node) == {"x-config"}:
            return _config_value(config, node["x-config"])
        return {k: _substitute(v, config) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, config) for v in node]
    return node


def form_schema(name: str, config: Config) -> dict[str, Any]:
    """The schema of a form with the cycle's config values in place."""
    return _substitute(copy.deepcopy(load_schema(name)), config)


def rule_limits(schema: Any) -> dict[str, float]:
    """Each rule's threshold in a form's schema (the cycle's config values in place): A10.2.SALES → 2000."""
    found: dict[str, float] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "x-rule" in node:
                for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                    if isinstance(node.get(key), int | float):
                        found.setdefault(node["x-rule"], node[key])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return found


def annual_limits(config: Config) -> AnnualLimits:
    """Part B's thresholds: Art. 16's from the intake schema with the cycle's config (the same article, checked
    on the application and on every annual report), Art. 15's the annual form's own."""
    limits = rule_limits(form_schema("intake", config))
    return AnnualLimits(max_age=int(limits["A16.DIRECTOR-AGE"]), min_months=limits["A16.DIRECTOR-MONTHS"])


def field_specs(name: str) -> list[FieldSpec]:
    return [FieldSpec.from_dict(d) for d in load_schema(name)["x-fields"]]


class JsonSchemaCheck:
    """Callable turning a normalised row into the thresholds it breaks."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        from jsonschema import Draft202012Validator  # imported when used: the compiled check needs none of it

        Draft202012Validator.check_schema(schema)
        self.validator = Draft202012Validator(schema)

    def __call__(self, instance: Mapping[str, Any]) -> Iterable[Violation]:
        for error in self.validator.iter_errors(instance):
            sub = error.schema if isinstance(error.schema, dict) else {}
            rule = sub.get("x-rule")
            if rule is None:
                # a type error on a derived value would be a bug in the toolkit, never a user's fault
                raise AssertionError(f"schema error without x-rule at {list(error.absolute_path)}: {error.message}")
            path = list(error.absolute_path)
            key = sub.get("field") or (str(path[0]) if path else "")
            item = path[1] if len(path) > 1 and isinstance(path[1], int) else None
            limits = {k: sub[k] for k in _LIMIT_KEYWORDS if k in sub and not isinstance(sub[k], list | dict)}
            yield Violation(rule=rule, field=key, template=sub.get("x-message", rule), value=error.instance,
                            limits=limits, item=item)


class Unsupported(Exception):
    """The schema uses a keyword the compiled checker does not implement: use jsonschema."""


_Pred = Callable[[Any], bool]


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool)


def _is_integer(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float | Decimal) and v == int(v))


def _is_string(v: Any) -> bool:
    return isinstance(v, str)


def _is_array(v: Any) -> bool:
    return isinstance(v, list | tuple)


def _is_boolean(v: Any) -> bool:
    return isinstance(v, bool)


_TYPES: dict[str, _Pred] = {"number": _is_number, "integer": _is_integer, "string": _is_string, "array": _is_array,
                            "boolean": _is_boolean}


def _is_type(kind: str) -> _Pred:
    try:
        return _TYPES[kind]
    except KeyError:
        raise Unsupported(kind) from None


def _same(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema sees it: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _const(c: Any) -> _Pred:
    if isinstance(c, str):  # a text equals only a text: no bool/number subtleties
        return lambda v: v == c if type(v) is str else _same(v, c)
    return lambda v: _same(v, c)


def _enum(values: list[Any]) -> _Pred:
    e = tuple(values)
    texts = frozenset(x for x in e if isinstance(x, str))
    return lambda v: v in texts if type(v) is str else any(_same(v, c) for c in e)


def _keyword_checks(sub: Mapping[str, Any]) -> list[_Pred]:
    """One predicate per keyword of a leaf subschema (each failing keyword is one error, as in jsonschema)."""
    checks: list[_Pred] = []
    for key, value in sub.items():
        if key.startswith("x-") or key in ("field", "title", "description", "$comment"):
            continue
        if key == "type":
            checks.append(_is_type(value))
        elif key == "const":
            checks.append(_const(value))
        elif key == "enum":
            checks.append(_enum(value))
        elif key == "minimum":
            checks.append(lambda v, m=value: not _is_number(v) or v >= m)
        elif key == "maximum":
            checks.append(lambda v, m=value: not _is_number(v) or v <= m)
        elif key == "minLength":
            checks.append(lambda v, m=value: not isinstance(v, str) or len(v) >= m)
        elif key == "pattern":
            rx = re.compile(value)
            checks.append(lambda v, r=rx: not isinstance(v, str) or r.search(v) is not None)
        elif key == "not":
            inner = _keyword_checks(value)
            checks.append(lambda v, i=inner: not all(c(v) for c in i))
        elif key == "items":
            continue  # handled by the caller, per item
        else:
            raise Unsupported(key)
    return checks


class _Leaf:
    """One property's subschema, compiled: its checks and what a violation of it reports."""

    __slots__ = ("checks", "field", "item_leaf", "key", "limits", "rule", "sub", "template")

    def __init__(self, key: str, sub: Mapping[str, Any]) -> None:
        self.key = key
        self.sub = sub
        self.checks = _keyword_checks(sub)
        items = sub.get("items")
        self.item_leaf = _Leaf(key, items) if items is not None else None
        # what every violation of this leaf reports, worked out once
        self.rule = sub.get("x-rule")
        self.field = sub.get("field") or key
        self.template = sub.get("x-message", self.rule)
        self.limits = {k: sub[k] for k in _LIMIT_KEYWORDS if k in sub and not isinstance(sub[k], list | dict)}

    def violation(self, value: Any, item: int | None) -> Violation:
        if self.rule is None:
            raise KeyError("x-rule")
        return Violation(rule=self.rule, field=self.field, template=self.template, value=value, limits=self.limits,
                         item=item)

    def run(self, value: Any, out: list[Violation]) -> None:
        for check in self.checks:
            if not check(value):
                out.append(self.violation(value, None))
        leaf = self.item_leaf
        if leaf is not None and isinstance(value, list | tuple):
            for index, item in enumerate(value):
                for check in leaf.checks:
                    if not check(item):
                        out.append(leaf.violation(item, index))


class CompiledCheck:
    """The same findings as :class:`JsonSchemaCheck` from plain Python predicates compiled once from the
    schema (about 15x faster). Only the keyword subset our form schemas use is compiled; a schema using any
    other keyword raises :class:`Unsupported` and the caller falls back to jsonschema, the engine of record.
    ``tests/test_schema_check.py`` checks both give the same violations on thousands of rows."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        allowed = {"$schema", "$id", "title", "description", "type", "properties", "allOf"}
        for key in schema:
            if not key.startswith("x-") and key not in allowed:
                raise Unsupported(key)
        self.props = self._props(schema.get("properties", {}))
        self.conditionals = []
        self._conditions: list[tuple[tuple[str, ...], list[tuple[str, Any]], list[_Leaf]]] = []
        for part in schema.get("allOf", []):
            if set(part) - {"if", "then"}:
                raise Unsupported(",".join(part))
            cond = part["if"]
            if set(cond) - {"properties", "required"}:
                raise Unsupported(",".join(cond))
            required = tuple(cond.get("required", ()))
            tests = [(k, _keyword_checks(v)) for k, v in cond.get("properties", {}).items()]
            then = part["then"]
            if set(then) - {"properties"}:
                raise Unsupported(",".join(then))
            props = self._props(then["properties"])
            self.conditionals.append((required, tests, props))
            self._conditions.append((required, list(cond.get("properties", {}).items()), props))
        self._fn = self._generate()

    @staticmethod
    def _props(props: Mapping[str, Any]) -> list[_Leaf]:
        return [_Leaf(key, sub) for key, sub in props.items()]

    def __call__(self, instance: Mapping[str, Any]) -> list[Violation]:
        return self._fn(instance)

    def _generate(self) -> Callable[[Mapping[str, Any]], list[Violation]]:
        """The whole schema as one generated Python function (no call per keyword: ~3x faster than a list of
        predicates). Same checks, same order of violations as the predicates (``_run_predicates``)."""
        consts: dict[str, Any] = {"_same": _same, "_NUMT": (int, float, Decimal), "_SEQ": (list, tuple),
                                  "_FAST_NUM": frozenset({int, float, Decimal}), "_ABSENT": object()}
        lines = ["def check(instance):", " out = []", " append = out.append", " get = instance.get"]

        def leaves(props: list[_Leaf], pad: str) -> None:
            for leaf in props:
                name = f"L{len(consts)}"
                consts[name] = leaf
                lines.append(f"{pad}v = get({leaf.key!r}, _ABSENT)")
                lines.append(f"{pad}if v is not _ABSENT:")
                for expr in _keyword_exprs(leaf.sub, "v", consts):
                    lines.append(f"{pad} if not ({expr}): append({name}.violation(v, None))")
                if leaf.item_leaf is not None:
                    iname = f"L{len(consts)}"
                    consts[iname] = leaf.item_leaf
                    exprs = _keyword_exprs(leaf.item_leaf.sub, "item", consts)
                    if exprs:
                        lines.append(f"{pad} if isinstance(v, _SEQ):")
                        lines.append(f"{pad}  for index, item in enumerate(v):")
                        for expr in exprs:
                            lines.append(f"{pad}   if not ({expr}): append({iname}.violation(item, index))")

        leaves(self.props, " ")
        for required, tests, props in self._conditions:
            cond = " and ".join(f"{k!r} in instance" for k in required) or "True"
            lines.append(f" ok = {cond}")
            for key, sub in tests:
                exprs = _keyword_exprs(sub, "v", consts)
                lines.append(f" if ok and {key!r} in instance:")
                lines.append(f"  v = instance[{key!r}]")
                lines.append(f"  ok = {' and '.join(f'({e})' for e in exprs) or 'True'}")
            lines.append(" if ok:")
            leaves(props, "  ")
        lines.append(" return out")
        namespace = dict(consts)
        exec(compile("\n".join(lines), "<compiled schema>", "exec"), namespace)  # noqa: S102 - our own schema
        return namespace["check"]

    def _run_predicates(self, instance: Mapping[str, Any]) -> list[Violation]:
        """The predicates one by one (the reference of the generated function; used by the tests)."""
        out: list[Violation] = []
        for leaf in self.props:
            if leaf.key in instance:
                leaf.run(instance[leaf.key], out)
        for required, tests, props in self.conditionals:
            if all(k in instance for k in required) and all(
                all(c(instance[k]) for c in checks) for k, checks in tests if k in instance
            ):
                for leaf in props:
                    if leaf.key in instance:
                        leaf.run(instance[leaf.key], out)
        return out


def _keyword_exprs(sub: Mapping[str, Any], var: str, consts: dict[str, Any]) -> list[str]:
    """:func:`_keyword_checks` as Python expressions on ``var`` (true when the keyword holds), in the same
    order; constants go into ``consts``."""

    def const(value: Any) -> str:
        name = f"C{len(consts)}"
        consts[name] = value
        return name

    # the usual types first (one set lookup), then the general test: the same answer, ~2x faster
    number = f"(type({var}) in _FAST_NUM or (isinstance({var}, _NUMT) and not isinstance({var}, bool)))"
    exprs: list[str] = []
    for key, value in sub.items():
        if key.startswith("x-") or key in ("field", "title", "description", "$comment", "items"):
            continue
        if key == "type":
            exprs.append({
                "number": number,
                "integer": f"(type({var}) is int or (isinstance({var}, int) and not isinstance({var}, bool)) or "
                           f"(isinstance({var}, (float, Decimal)) and {var} == int({var})))",
                "string": f"isinstance({var}, str)",
                "array": f"isinstance({var}, _SEQ)",
                "boolean": f"isinstance({var}, bool)",
            }[value])
            consts["Decimal"] = Decimal
        elif key == "const":
            c = const(value)
            if isinstance(value, str):
                exprs.append(f"({var} == {c} if type({var}) is str else _same({var}, {c}))")
            elif isinstance(value, bool):  # true and false are singletons: identity is JSON equality
                exprs.append(f"({var} is {c} if type({var}) is bool else _same({var}, {c}))")
            else:
                exprs.append(f"_same({var}, {c})")
        elif key == "enum":
            texts = const(frozenset(x for x in value if isinstance(x, str)))
            every = const(tuple(value))
            exprs.append(f"({var} in {texts} if type({var}) is str else any(_same({var}, c) for c in {every}))")
        elif key == "minimum":
            c = const(value)
            exprs.append(f"({var} >= {c} if type({var}) in _FAST_NUM else (not {number} or {var} >= {c}))")
        elif key == "maximum":
            c = const(value)
            exprs.append(f"({var} <= {c} if type({var}) in _FAST_NUM else (not {number} or {var} <= {c}))")
        elif key == "minLength":
            exprs.append(f"(not isinstance({var}, str) or len({var}) >= {const(value)})")
        elif key == "pattern":
            exprs.append(f"(not isinstance({var}, str) or {const(re.compile(value))}.search({var}) is not None)")
        elif key == "not":
            inner = _keyword_exprs(value, var, consts)
            exprs.append(f"not ({' and '.join(f'({e})' for e in inner) or 'True'})")
        else:
            raise Unsupported(key)
    return exprs


def intake_check(config: Config, engine: str = "auto") -> JsonSchemaCheck | CompiledCheck:
    """The threshold checker of the intake form: compiled (fast) unless ``engine="jsonschema"``."""
    schema = form_schema("intake", config)
    if engine == "auto":
        engine = os.environ.get("TIC_SCHEMA_ENGINE", "compiled")
    if engine == "compiled":
        try:
            return CompiledCheck(schema)
        except Unsupported:
            pass
    return JsonSchemaCheck(schema)
