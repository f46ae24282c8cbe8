"""Console output survives a Windows GBK code page (cp936), as the clerks' cmd.exe has it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_output_is_printable_in_gbk(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "toolkit", "demo", "--out", str(tmp_path / "演示")],
                          capture_output=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode("gbk", "replace")
    text = proc.stdout.decode("gbk")  # strict: every character the clerk sees exists in GBK
    assert "到哪里看结果" in text and "?" not in text.replace("？", "")
    assert b"Traceback" not in proc.stderr


def test_errors_are_one_line_in_gbk(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "PYTHONPATH": str(ROOT)}
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    (tmp_path / "tic.toml").write_text("[cycle]\nyear = 2026\nreference_date = 2026-03-31\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "toolkit", "validate", str(bad)], capture_output=True, env=env,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    out = proc.stdout.decode("gbk") + proc.stderr.decode("gbk")
    assert "坏文件.xlsx" in out and "Traceback" not in out
