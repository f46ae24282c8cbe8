"""The JSON Schema side of validation: jsonschema is the engine of record.

Builds a Draft 2020-12 validator from ``schemas/<form>.schema.json`` with the
cycle's config values filled in (``{"x-config": "key_fields"}``), and turns each
``ValidationError`` into a :class:`toolkit.core.intake.Violation` using the
custom keywords ``x-rule`` and ``x-message`` (and ``field`` when the finding
belongs on another cell than the derived value).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
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


def intake_check(config: Config) -> JsonSchemaCheck:
    return JsonSchemaCheck(form_schema("intake", config))
