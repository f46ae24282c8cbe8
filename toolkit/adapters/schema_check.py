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

from jsonschema import Draft202012Validator

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


def field_specs(name: str) -> list[FieldSpec]:
    return [FieldSpec.from_dict(d) for d in load_schema(name)["x-fields"]]


class JsonSchemaCheck:
    """Callable turning a normalised row into the thresholds it breaks."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
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


def _is_type(kind: str) -> _Pred:
    if kind == "number":
        return lambda v: isinstance(v, int | float | Decimal) and not isinstance(v, bool)
    if kind == "integer":
        return lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (
            isinstance(v, float | Decimal) and v == int(v))
    if kind == "string":
        return lambda v: isinstance(v, str)
    if kind == "array":
        return lambda v: isinstance(v, list | tuple)
    if kind == "boolean":
        return lambda v: isinstance(v, bool)
    raise Unsupported(kind)


def _same(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema sees it: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return a == b


def _keyword_checks(sub: Mapping[str, Any]) -> list[_Pred]:
    """One predicate per keyword of a leaf subschema (each failing keyword is one error, as in jsonschema)."""
    checks: list[_Pred] = []
    for key, value in sub.items():
        if key.startswith("x-") or key in ("field", "title", "description", "$comment"):
            continue
        if key == "type":
            checks.append(_is_type(value))
        elif key == "const":
            checks.append(lambda v, c=value: _same(v, c))
        elif key == "enum":
            checks.append(lambda v, e=tuple(value): any(_same(v, c) for c in e))
        elif key == "minimum":
            checks.append(lambda v, m=value: not _is_type("number")(v) or v >= m)
        elif key == "maximum":
            checks.append(lambda v, m=value: not _is_type("number")(v) or v <= m)
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
            self.conditionals.append((required, tests, self._props(then["properties"])))

    @staticmethod
    def _props(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], list[_Pred], Any]]:
        out = []
        for key, sub in props.items():
            items = sub.get("items")
            item_checks = (items, _keyword_checks(items)) if items is not None else None
            out.append((key, sub, _keyword_checks(sub), item_checks))
        return out

    def _run(self, props, instance: Mapping[str, Any]) -> Iterable[Violation]:  # type: ignore[no-untyped-def]
        for key, sub, checks, item_checks in props:
            if key not in instance:
                continue
            value = instance[key]
            for check in checks:
                if not check(value):
                    yield _violation(sub, key, value, None)
            if item_checks is not None and isinstance(value, list | tuple):
                isub, ichecks = item_checks
                for index, item in enumerate(value):
                    for check in ichecks:
                        if not check(item):
                            yield _violation(isub, key, item, index)

    def __call__(self, instance: Mapping[str, Any]) -> Iterable[Violation]:
        yield from self._run(self.props, instance)
        for required, tests, props in self.conditionals:
            if all(k in instance for k in required) and all(
                all(c(instance[k]) for c in checks) for k, checks in tests if k in instance
            ):
                yield from self._run(props, instance)


def _violation(sub: Mapping[str, Any], key: str, value: Any, item: int | None) -> Violation:
    limits = {k: sub[k] for k in _LIMIT_KEYWORDS if k in sub and not isinstance(sub[k], list | dict)}
    return Violation(rule=sub["x-rule"], field=sub.get("field") or key, template=sub.get("x-message", sub["x-rule"]),
                     value=value, limits=limits, item=item)


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
