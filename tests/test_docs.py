"""Every command has help and appears in the README (sqlite-utils' test_docs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli.main import COMMANDS, cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help_and_is_in_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "用法：" in result.output
    assert f"tic {name}" in README, f"`tic {name}` is not documented in README.md"


def test_readme_quick_start_is_two_commands():
    start = README.index("## 快速开始")
    block = README[README.index("```", start) + 3: README.index("```", README.index("```", start) + 3)]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert lines == ["python -m pip install . && sjz-tic demo --out 演示周期",
                     'python -m pip install ".[test]" && python -m pytest']
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in ci


def test_both_command_names_are_installed():
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    scripts = pyproject["project"]["scripts"]
    assert scripts["tic"] == scripts["sjz-tic"] == "toolkit.cli.main:main"
