"""Shijiazhuang's administrative divisions (GB/T 2260) and matching 注册地 text against them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from toolkit.core.values import compact


def _norm(text: str) -> str:
    return compact(text)


@dataclass(frozen=True)
class Divisions:
    codes: dict[str, str]  # official name -> 6-digit code
    aliases: dict[str, str]  # alias or former name -> official name
    prefixes: tuple[str, ...] = ("河北省", "石家庄市")

    @classmethod
    def from_data(cls, data: dict[str, Any], extra: dict[str, str] | None = None) -> Divisions:
        codes = dict(data["divisions"])
        codes.update(extra or {})
        return cls(codes=codes, aliases=dict(data.get("aliases", {})), prefixes=tuple(data.get("prefixes", ())))

    @property
    def names(self) -> list[str]:
        return list(self.codes)

    @cached_property
    def _sorted(self) -> tuple[tuple[str, str], ...]:
        pairs = [(n, n) for n in self.codes] + list(self.aliases.items())
        return tuple(sorted(pairs, key=lambda p: len(p[0]), reverse=True))

    def _candidates(self) -> tuple[tuple[str, str], ...]:
        """Names and aliases, longest first (so 石家庄高新技术产业开发区 wins over a shorter prefix)."""
        return self._sorted

    @cached_property
    def _by_length(self) -> tuple[tuple[int, dict[str, str]], ...]:
        """The candidates by length, longest first: the first one a text begins with is found by one
        dictionary lookup per length (a dozen) instead of one comparison per name and alias."""
        tables: dict[int, dict[str, str]] = {}
        for name, official in self._sorted:
            tables.setdefault(len(name), {}).setdefault(name, official)
        return tuple(sorted(tables.items(), reverse=True))

    def district(self, text: object) -> str | None:
        """The official name of a district cell ("长安区", "高新区", "石家庄市长安区", "长安区科技局")."""
        s = _norm(str(text or ""))
        s = self._strip_prefixes(s)
        if s in self.codes:
            return s
        if s in self.aliases:
            return self.aliases[s]
        for name, official in self._candidates():
            if s.startswith(name) and re.fullmatch(r"(科学技术局|科技局|科技和工业信息化局|管委会|科技行政管理部门)?", s[len(name):]):
                return official
        return None

    def _strip_prefixes(self, s: str) -> str:
        """Remove "河北省"/"河北" and then "石家庄市"/"石家庄" (each with or without its 省/市)."""
        for prefix in self.prefixes:
            short = prefix[:-1] if prefix.endswith(("省", "市")) else prefix
            for p in (prefix, short):
                if s.startswith(p):
                    s = s[len(p):]
                    break
        return s

    def place(self, text: object) -> str | None:
        """The division a 注册地 lies in, or None when it is not in Shijiazhuang.

        The text after the optional "河北省" / "石家庄市" prefixes must begin with the division's name:
        "河北省石家庄市长安区…" is 长安区, "河北省邢台市桥西区…" is not 桥西区.
        """
        raw = _norm(str(text or ""))
        for s in (raw, self._strip_prefixes(raw)):  # "石家庄高新区…" matches before "石家庄" is stripped
            for length, table in self._by_length:
                official = table.get(s[:length])
                if official is not None:
                    return official
        return None

    def code(self, name: str) -> str | None:
        return self.codes.get(name)
