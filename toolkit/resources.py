"""Locate the bundled schemas, templates and sample workbooks.

In an installed wheel they live inside the package (``toolkit/schemas`` …);
in a source checkout or an editable install they are the top-level folders.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


def _folder(name: str) -> Path:
    inside = _PKG / name
    if inside.is_dir():
        return inside
    return _PKG.parent / name


def schemas_dir() -> Path:
    """Folder of the JSON schemas."""
    return _folder("schemas")


def templates_dir() -> Path:
    """Folder of the Word templates."""
    return _folder("templates")


def samples_dir() -> Path:
    """Folder of the bundled sample workbooks and sample cycle."""
    return _folder("sample_workbooks")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load ``schemas/<name>.schema.json`` (or ``<name>.json``) as a dict (cached; do not mutate)."""
    for candidate in (f"{name}.schema.json", f"{name}.json"):
        path = schemas_dir() / candidate
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    raise FileNotFoundError(f"schema {name!r} not found in {schemas_dir()}")
