"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: 1 registering-authority code, 1 kind, 6 division code,
9 organisation code, 1 check character computed over the first 17.
"""

from __future__ import annotations

from toolkit.core.values import nfkc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_uscc(value: object) -> str:
    """Upper-case, NFKC, no white space or hyphens (a whole number read as a float loses its ``.0``)."""
    if type(value) is str and value.isascii() and value.isalnum():  # the usual code: nothing to remove
        return value.upper()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(ch for ch in nfkc(str(value or "")).upper() if not ch.isspace() and ch != "-")


def check_char(first17: str) -> str:
    """The check character for the first 17 characters."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when ``code`` (normalised) is a valid USCC; otherwise a Chinese phrase saying why not."""
    if len(code) != 18:
        return f"应为18位，实为{len(code)}位"
    bad = [ch for ch in code if ch not in ALPHABET]
    if bad:
        return f"含有不允许的字符“{bad[0]}”"
    if not code[2:8].isdigit():
        return "第3至8位应为行政区划代码（数字）"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"校验位应为“{expected}”，实为“{code[17]}”"
    return None


def make_uscc(first17: str) -> str:
    """Complete 17 characters with their check character (for tests and sample data)."""
    return first17 + check_char(first17)
