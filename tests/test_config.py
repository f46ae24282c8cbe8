"""The cycle's configuration: a value that would make a command hang or a letter malformed is refused by name."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from toolkit.core.config import config_from_dict
from toolkit.errors import ConfigError


def make(**sections: Any):  # type: ignore[no-untyped-def]
    return config_from_dict({"cycle": {"year": 2026, "reference_date": date(2026, 3, 31)}, **sections})


@pytest.mark.parametrize(("sections", "named"), [
    # no {seq}: every new center got the same number, and registering looked for a free one for ever
    ({"ledger": {"id_format": "SJZTIC-2026"}}, "ledger.id_format"),
    ({"ledger": {"id_format": "SJZTIC-{year}"}}, "ledger.id_format"),
    ({"ledger": {"id_format": "SJZTIC-{yaer}-{seq}"}}, "ledger.id_format"),
    # the number would read 石科字〔2026〕〔2026〕1号, a letter headed "文件" with no issuer, 抄送 "市财政局，3"
    ({"letters": {"prefix": "石科字〔2026〕"}}, "letters.prefix"),
    ({"letters": {"prefix": " "}}, "letters.prefix"),
    ({"letters": {"issuer": ""}}, "letters.issuer"),
    ({"letters": {"copy_to": ["市财政局", 3]}}, "letters.copy_to"),
])
def test_a_value_that_breaks_a_command_or_a_letter_is_refused_by_name(sections: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        make(**sections)


def test_the_defaults_and_good_values_are_taken() -> None:
    config = make(ledger={"id_format": "SJZ-{seq:04d}-{year}"}, letters={"prefix": " 石科字 ", "copy_to": ["市财政局"]})
    assert config.ledger.id_format.format(year=2026, seq=7) == "SJZ-0007-2026"
    assert (config.letters.prefix, config.letters.copy_to) == ("石科字", ("市财政局",))


def test_the_messages_say_what_the_clerk_typed_and_a_date_deadline_is_taken(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from toolkit.adapters.config_file import load_config

    assert make(annual={"deadline": date(2026, 3, 31)}).annual.deadline(2025) == date(2026, 3, 31)
    with pytest.raises(ConfigError, match=r'letters\.prefix 的值 5 类型不正确，应为文字') as caught:
        make(letters={"prefix": 5})
    assert "datetime" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"evaluation\.excellent_quota 的值 \"高\" 类型不正确，应为数字。"):
        make(evaluation={"excellent_quota": "高"})
    path = tmp_path / "tic.toml"
    path.write_text("[cycle]\nyear = 2026\nreference_date = 2026-02-30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="配置项 reference_date 的日期 2026-02-30 不存在"):
        load_config(path)


def test_a_reference_date_of_another_year_or_an_earlier_letter_date_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"cycle\.reference_date 的值 2027-03-31 不在本周期年度"):
        config_from_dict({"cycle": {"year": 2026, "reference_date": date(2027, 3, 31)}})
    with pytest.raises(ConfigError, match=r"letters\.letter_date（成文日期）2025-01-01 早于基准日期"):
        make(letters={"letter_date": date(2025, 1, 1)})
    assert make(letters={"letter_date": date(2026, 4, 10)}).letter_date == date(2026, 4, 10)
