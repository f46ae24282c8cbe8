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


EXHAUSTIVE_PARTS = 16
"""Up to this many words every way to cut them is tried (a title of a few words: the exact rule below); a title
broken between its characters (a name wider than a line) is cut by :func:`_even_lines` in polynomial time."""


def _even_lines(parts: Sequence[str], width: float) -> list[str]:
    """The fewest lines that fit, with the widest line as narrow as possible (the lines as even as the parts
    allow), the longer line first where two cuts are as good: dynamic programming, O(lines × parts²)."""
    prefix = [0.0]
    for part in parts:
        prefix.append(prefix[-1] + text_width(part))
    n = len(parts)
    # the fewest lines: fill each line as far as it goes
    count, start = 0, 0
    while start < n:
        end = start + 1
        while end < n and prefix[end + 1] - prefix[start] <= width:
            end += 1
        count, start = count + 1, end
    inf = float("inf")
    # widest[j][i]: the narrowest possible widest line when the first i parts make j lines
    widest = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    widest[0][0] = 0.0
    for j in range(1, count + 1):
        for i in range(1, n + 1):
            for k in range(i - 1, -1, -1):  # the last line holds parts k..i-1
                line = prefix[i] - prefix[k]
                if line > width:
                    break
                cost = max(widest[j - 1][k], line)
                if cost < widest[j][i]:  # the first found is the shortest last line: the longer lines first
                    widest[j][i], back[j][i] = cost, k
    cuts, i = [], n
    for j in range(count, 0, -1):
        k = back[j][i]
        cuts.append((k, i))
        i = k
    return ["".join(parts[a:b]) for a, b in reversed(cuts)]


def balanced(segments: Sequence[str], width: float = TITLE_WIDTH) -> str:
    """The title of ``segments`` with ``\\n`` where its lines break: one line when it fits; otherwise the
    fewest lines that fit, broken between segments so that the lines are as even as possible (ties: the
    longer line first). A segment wider than a line is broken between its own characters."""
    parts = [s for s in segments if s]
    if text_width("".join(parts)) <= width:
        return "".join(parts)
    if any(text_width(s) > width for s in parts):
        parts = [ch for s in parts for ch in s]  # a word longer than the line: any character may end a line
    if len(parts) > EXHAUSTIVE_PARTS:  # every way to cut grows exponentially with the parts: a long name hung
        return "\n".join(_even_lines(parts, width))
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
