"""Letter titles broken into lines as GB/T 9704-2012 §7.3.3 asks: 回行时，要做到词意完整，排列对称，长短适宜.

Word breaks a Chinese line after any character: "关于认定石家庄市智能仓储物流装备技术创新 / 中心的批复" cuts
技术创新中心 in two. A title is therefore given as its words (segments) and broken only between them, into
as few lines as fit the type area, as even as possible, the longer line first. Pure: no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

TITLE_WIDTH = 19.5
"""Characters of 2号 type (22 pt) on a 156 mm line: 20.1, less a little for the font's own spacing."""

CITY = "石家庄市"
SUFFIX = "技术创新中心"


def text_width(text: str) -> float:
    """Width in characters of 2号 type: a Chinese character or full-width sign 1, a digit or Latin letter ½."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def name_parts(name: str) -> list[str]:
    """A center's name as words: 石家庄市 / the field / 技术创新中心 (a name of another shape stays whole)."""
    if name.startswith(CITY) and name.endswith(SUFFIX) and len(name) > len(CITY) + len(SUFFIX):
        return [CITY, name[len(CITY):-len(SUFFIX)], SUFFIX]
    return [name] if name else []


def _lines(segments: Sequence[str], cuts: Sequence[int]) -> list[str]:
    bounds = [0, *cuts, len(segments)]
    return ["".join(segments[a:b]) for a, b in itertools.pairwise(bounds)]


def balanced(segments: Sequence[str], width: float = TITLE_WIDTH) -> str:
    """The title of ``segments`` with ``\\n`` where its lines break: one line when it fits; otherwise the
    fewest lines that fit, broken between segments so that the lines are as even as possible (ties: the
    longer line first). A segment wider than a line is broken between its own characters."""
    parts = [s for s in segments if s]
    if text_width("".join(parts)) <= width:
        return "".join(parts)
    if any(text_width(s) > width for s in parts):
        parts = [ch for s in parts for ch in s]  # a word longer than the line: any character may end a line
    for count in range(2, len(parts) + 1):
        best: tuple[float, float, list[str]] | None = None
        for cuts in itertools.combinations(range(1, len(parts)), count - 1):
            lines = _lines(parts, cuts)
            widths = [text_width(x) for x in lines]
            if max(widths) > width:
                continue
            # as even as possible; then the longer lines first (a pyramid upside down, as 公文 set titles)
            key = (max(widths) - min(widths), -widths[0])
            if best is None or key < best[:2]:
                best = (*key, lines)
        if best is not None:
            return "\n".join(best[2])
    return "".join(parts)  # cannot happen: one character always fits
