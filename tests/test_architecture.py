"""The core is the regulation as code: it imports no I/O library (house-style.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FORBIDDEN = ["openpyxl", "click", "jsonschema", "docxtpl", "docx", "sqlite3", "xlwings", "lxml"]


def test_core_imports_no_io_library():
    core = Path(__file__).resolve().parents[1] / "toolkit" / "core"
    modules = sorted(f"toolkit.core.{p.stem}" for p in core.glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        f"for m in {modules!r}: __import__(m)\n"
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=core.parents[1])
    assert out.stdout.strip() == "", f"the core imported {out.stdout.strip()}"
    assert len(modules) >= 6
