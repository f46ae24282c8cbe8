"""Reading cell values as the clerks type them.

Every ``parse_*`` function takes what a spreadsheet cell holds (``None``, str,
int, float, bool, date or datetime) and returns the value as its type, or
raises :class:`ValueProblem` whose message says in Chinese what was expected.
An empty cell is never parsed: callers check :func:`is_blank` first and report
DATA.REQUIRED where the value is needed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_EPOCH_1904 = date(1904, 1, 1)  # serial 0 of the 1904 date system (workbookPr date1904)


class ValueProblem(ValueError):
    """A value that cannot be read as its type; ``str(exc)`` is a Chinese phrase."""


def nfkc(text: str) -> str:
    """Full-width digits, letters and punctuation to their ordinary forms."""
    return unicodedata.normalize("NFKC", text)


def compact(text: str) -> str:
    """NFKC without any white space: ``re.sub(r"\\s+", "", nfkc(text))`` in two C loops (``str.split``
    drops exactly what ``\\s`` matches)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def is_blank(value: object) -> bool:
    """True for an empty cell: None, or text that is only white space."""
    return value is None or (isinstance(value, str) and not value.strip())


FLOAT_DIGITS = ".15g"
"""A number cell as Excel shows it: 15 significant digits (a SUM cached as 1999.9999999999998 is 2000)."""

EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
"""Excel's error values (a formula that failed): never a value of any field."""


def not_an_error(value: object) -> None:
    """Raise :class:`ValueProblem` for an Excel error value (#N/A …): it fills a cell but says nothing."""
    if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
        raise ValueProblem("是 Excel 错误值（公式出错或引用的数据不存在），请改正")


def clean_text(value: object) -> str:
    """A cell as one line of text: stripped, inner line breaks kept as spaces."""
    if value is None:
        return ""
    if type(value) is str and "\n" not in value and "\r" not in value:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = " ".join(part.strip() for part in text.split("\n") if part.strip())
    return text.strip()


# ---------------------------------------------------------------- numbers

@dataclass(frozen=True, slots=True)
class Amount:
    """A number as read, with the unit conversion applied (``unit`` is the unit seen, if any)."""

    value: Decimal
    unit: str | None = None  # "元" or "亿元" when converted to 万元; "万元" when merely stripped


_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 1,500 or 12,345.6: commas between thousands only
_UNIT_FACTORS = {"万元": Decimal(1), "元": Decimal("0.0001"), "亿元": Decimal(10000), "万": Decimal(1), "亿": Decimal(10000)}
_OTHER_UNITS = ("平方米", "㎡", "m2", "m²", "人", "件", "个", "项", "月", "个月", "家", "名", "次", "%")


def _to_decimal(value: int | float) -> Decimal:
    if isinstance(value, bool):
        raise ValueProblem("应为数字")
    if isinstance(value, int):
        return Decimal(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueProblem("应为数字")
    return Decimal(format(value, FLOAT_DIGITS))


_UNITS_LONGEST_FIRST = tuple(name for name in sorted(_OTHER_UNITS, key=len, reverse=True) if name != "%")


def parse_amount(value: object, money: bool = False) -> Amount:
    """A number typed as a number or as text ("2,000", "2000万元", "２０００", " 2000 ").

    With ``money=True`` the units 万元/元/亿元 are recognised and converted to 万元.
    Other units that belong to the field (平方米, 人, 件, 月 …) are stripped.
    """
    kind = type(value)
    if kind is float or kind is int or (isinstance(value, int | float) and not isinstance(value, bool)):
        return Amount(_to_decimal(value))  # type: ignore[arg-type]
    if isinstance(value, Decimal):
        return Amount(value)
    if not isinstance(value, str):
        raise ValueProblem("应为数字")
    text = nfkc(value).strip().replace(" ", "").replace("，", ",")
    unit = None
    if money:
        for name in ("万元", "亿元", "元", "万", "亿"):
            if text.endswith(name):
                unit, text = name, text[: -len(name)]
                break
    if unit is None:
        for name in _UNITS_LONGEST_FIRST:
            if text.endswith(name):
                text = text[: -len(name)]
                break
    number = _number(text)
    if unit is not None:
        number = number * _UNIT_FACTORS[unit]
        unit = {"万": "万元", "亿": "亿元"}.get(unit, unit)
    return Amount(number, unit)


def _number(text: str) -> Decimal:
    """A number written plainly; a comma only between groups of three digits ("1,5" or "2,50" is not 15 or 250:
    it may be a decimal comma)."""
    if "," in text:
        if not _GROUPED_RE.match(text):
            raise ValueProblem("应为数字（逗号只能用作千位分隔符）")
        text = text.replace(",", "")
    if not _NUM_RE.match(text):
        raise ValueProblem("应为数字")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex already guards
        raise ValueProblem("应为数字") from None


def parse_score(value: object) -> Decimal:
    """An expert's score: a number, or text in 分 ("12分", "１２.５"); another unit (件, 人 …) is not a score."""
    if isinstance(value, str):
        text = nfkc(value).strip().replace(" ", "").replace("，", ",")
        return _number(text[:-1] if text.endswith("分") else text)
    return parse_amount(value).value


def parse_number(value: object) -> Decimal:
    """A plain number (units of the field stripped)."""
    return parse_amount(value).value


def parse_integer(value: object) -> int:
    """A whole number ("15", "15人", 15.0)."""
    kind = type(value)
    if kind is int:
        return value  # type: ignore[return-value]
    if kind is float and value.is_integer():  # type: ignore[union-attr]  # finite and whole: exact
        return int(value)  # type: ignore[arg-type]
    number = parse_number(value)
    if number != number.to_integral_value():
        raise ValueProblem("应为整数")
    return int(number)


def parse_percent(value: object) -> Decimal:
    """A share in percent (0-100): "60%", 60, or a fraction in (0, 1] such as 0.6 (Excel percent cells)."""
    if isinstance(value, str):
        text = nfkc(value).strip().replace(" ", "")
        if text.endswith("%"):
            number = parse_number(text[:-1])
            return number
        number = parse_number(text)
    else:
        number = parse_number(value)
    if 0 < number <= 1:
        return number * 100
    return number


# ------------------------------------------------------------------ dates

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


_TIME = re.compile(r"(?<=[\d日])(?:T|\s*)\d{1,2}:\d{2}(?::\d{2})?$")


def _serial_date(value: int | float, epoch: date) -> date:
    """A number in a date cell: an Excel serial number counted from ``epoch``, or a date typed as digits."""
    if 19000101 <= value <= 21001231 and float(value).is_integer():  # 20210305 typed as a number
        return parse_date(str(int(value)))
    if 1800 <= value <= 2100:  # 2021, 1966.03: a year (and month), not the 1905 of that serial number
        raise ValueProblem("只有年份（或年月），应为完整日期（如 2021-03-05）")
    if 180001 <= value <= 210012 and float(value).is_integer() and 1 <= value % 100 <= 12:  # 196603
        raise ValueProblem("只有年月，应为完整日期（如 2021-03-05）")
    if not 1 <= value < 2958466:
        raise ValueProblem("应为日期")
    return epoch + timedelta(days=int(value))


def date_1904(value: object) -> object:
    """A value of a date cell in a workbook of the 1904 date system (old Mac Excel): a serial number becomes
    the date it stands for there (:func:`parse_date` counts serial numbers in the 1900 system, as Excel and
    WPS on Windows write them; 2021-03-05 is 42798 in 1904 and would read as 2017-03-04). A cell formatted as
    a date already comes as a date from the reader; anything else is returned as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _serial_date(value, EXCEL_EPOCH_1904)
        except ValueProblem:  # not a serial number: parse_date says what is wrong with it
            return value
    return value


def parse_date(value: object) -> date:
    """A date: a real Excel date, an Excel serial number, or text in the usual Chinese spellings."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial_date(value, EXCEL_EPOCH)
    if not isinstance(value, str):
        raise ValueProblem("应为日期")
    text = nfkc(value).strip()
    text = _TIME.sub("", text).replace(" ", "")  # "2018-3-15 9:30" → "2018-3-15" (the day's digits kept)
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueProblem("不是有效日期") from None
    raise ValueProblem("应为日期（如 2021-03-05）")


# -------------------------------------------------------------- yes / no

_YES = {"是", "√", "✓", "✔", "有", "y", "yes", "true", "对", "已签订", "已建", "已建有"}
_NO = {"否", "×", "✗", "✘", "x", "无", "n", "no", "false", "未签订", "未建"}


def parse_bool(value: object) -> bool:
    """是/否, also √/×, ✓/✗, 有/无, Y/N; an empty cell is *missing*, not 否 (callers check first)."""
    if isinstance(value, bool):
        return value
    text = nfkc(str(value)).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueProblem("应为“是”或“否”")


_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=256)
def _choice_table(choices: tuple[str, ...]) -> dict[str, str]:
    return {_SPACES.sub("", nfkc(c)): c for c in choices}


def parse_choice(value: object, choices: tuple[str, ...] | list[str], aliases: dict[str, str] | None = None) -> str:
    """One of ``choices`` (after NFKC and white-space removal, and the given aliases)."""
    text = _SPACES.sub("", nfkc(str(value)))
    norm = _choice_table(tuple(choices))
    if text in norm:
        return norm[text]
    if aliases and text in aliases:
        return aliases[text]
    raise ValueProblem("应为" + "、".join(f"“{c}”" for c in choices) + "之一")


CREDIT_GOOD = "无不良记录"
CREDIT_BAD = "有不良记录"
_CREDIT_ALIASES = {"无": CREDIT_GOOD, "良好": CREDIT_GOOD, "有": CREDIT_BAD, "否": CREDIT_GOOD}


def parse_credit(value: object) -> str:
    """无不良记录 / 有不良记录 (also 无 / 有)."""
    return parse_choice(value, (CREDIT_GOOD, CREDIT_BAD), _CREDIT_ALIASES)


# ------------------------------------------------------------------ lists

_LIST_SPLIT = re.compile(r"[；;、，,\n\r]+")


def parse_list(value: object) -> list[str]:
    """Items separated by "；", ";", "、", "，", "," or a line break; empty items dropped."""
    if value is None:
        return []
    if isinstance(value, float) and value.is_integer():  # a number cell read as a float: "12", not "12.0"
        value = int(value)
    return [item.strip() for item in _LIST_SPLIT.split(str(value)) if item.strip()]


# ----------------------------------------------------------------- phones

_MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3})?[2-9]\d{6,7}(转\d{1,6})?$")
_BRACKETS = re.compile(r"[()（）]")


def is_phone(value: object) -> bool:
    """A mainland mobile (11 digits, 1[3-9]…) or landline (area code 0xx(x), 7-8 digits, optional 转ext)."""
    text = nfkc(clean_text(value)).replace(" ", "").replace("-", "").replace("—", "")
    if "(" in text or ")" in text or "（" in text or "）" in text:
        text = _BRACKETS.sub("", text)
    return bool(_MOBILE.match(text) or _LANDLINE.match(text))
