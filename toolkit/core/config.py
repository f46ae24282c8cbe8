"""The cycle's configuration as plain dataclasses (parsed from ``tic.toml``).

Every number marked *(config)* in ``shared/spec/rules.md`` has a default here
and can be overridden in the config file. Nothing here reads a file: see
:mod:`toolkit.adapters.config_file` for that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.errors import ConfigError

DEFAULT_KEY_FIELDS = ("新一代电子信息", "生物医药健康", "先进装备制造", "新材料", "现代食品", "节能环保")
DEFAULT_DIMENSIONS = {"组织管理": 15, "研发条件": 20, "研发产出": 30, "转化应用": 20, "开放协作": 15}


@dataclass(frozen=True)
class IntakeConfig:
    min_ip: int = 1  # A10.3.IP: "一定数量"
    extra_divisions: dict[str, str] = field(default_factory=dict)  # name -> code, zones the cycle adds


@dataclass(frozen=True)
class EvaluationConfig:
    dimensions: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DIMENSIONS))
    min_experts: int = 5  # A32.PANEL
    aggregation: str = "mean"  # or "trimmed"
    excellent: int = 85  # 优秀 total >= excellent
    passing: int = 60  # 合格 total >= passing
    excellent_quota: float | None = None  # share of graded centers that may be 优秀 (by rank); None = off
    outlier_points: int = 15  # SCORE.OUTLIER


@dataclass(frozen=True)
class AnnualConfig:
    deadline_month: int = 3  # the report for year Y is due by (Y+1)-month-day
    deadline_day: int = 31

    def deadline(self, report_year: int) -> date:
        return date(report_year + 1, self.deadline_month, self.deadline_day)


@dataclass(frozen=True)
class LedgerConfig:
    path: Path | None = None  # None: tic-ledger.sqlite beside the config
    backups: int = 5
    id_format: str = "SJZTIC-{year}-{seq:03d}"


@dataclass(frozen=True)
class LettersConfig:
    prefix: str = "石科字"
    issuer: str = "石家庄市科学技术局"
    rectification_plan_days: int = 30  # the rectification plan is due this many days after the letter
    revocation_effective_days: int = 0  # a revocation takes effect this many days after the letter
    letter_date: date | None = None  # 成文日期; None: the cycle's reference date
    copy_to: tuple[str, ...] = ()  # 抄送 for every letter (besides the district bureau)


@dataclass(frozen=True)
class Config:
    year: int
    reference_date: date
    key_fields: tuple[str, ...] = DEFAULT_KEY_FIELDS
    intake: IntakeConfig = field(default_factory=IntakeConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    annual: AnnualConfig = field(default_factory=AnnualConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    letters: LettersConfig = field(default_factory=LettersConfig)
    base_dir: Path = field(default_factory=Path)  # folder of the config file: relative paths start here
    source: Path | None = None  # the config file, when read from one

    @property
    def ledger_path(self) -> Path:
        path = self.ledger.path or Path("tic-ledger.sqlite")
        # normpath, not resolve(): "2026年度/../tic-ledger.sqlite" → "tic-ledger.sqlite", without touching the disk
        return Path(os.path.normpath(path if path.is_absolute() else self.base_dir / path))

    @property
    def letter_date(self) -> date:
        return self.letters.letter_date or self.reference_date


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"配置项 [{name}] 应为一个表（[{name}] 段），请检查配置文件。")
    return value


def _take(sec: dict[str, Any], where: str, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    if key not in sec:
        return default
    value = sec[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ConfigError(f"配置项 {where}.{key} 的值 {_toml_text(value)} 类型不正确，应为{_kind_zh(kinds)}。")
    if not isinstance(value, kinds):
        raise ConfigError(f"配置项 {where}.{key} 的值 {_toml_text(value)} 类型不正确，应为{_kind_zh(kinds)}。")
    return value


def _letter_date(sec: dict[str, Any], reference: date) -> date | None:
    value = _take(sec, "letters", "letter_date", date, None)
    if value is not None and value < reference:  # a letter dated before the facts it states were judged
        raise ConfigError(f"配置项 letters.letter_date（成文日期）{value} 早于基准日期 {reference}，请核对。")
    return value


def _kind_zh(kinds: tuple[type, ...]) -> str:
    names = {int: "整数", float: "数字", str: "文字（用英文双引号括起来）", date: "日期（如 2026-03-31）",
             list: "列表（如 [\"甲\", \"乙\"]）", dict: "表（如 {\"石家庄综合保税区\" = \"130173\"}）", bool: "true/false"}
    if set(kinds) == {int, float}:
        return "数字"
    return "或".join(names.get(k, k.__name__) for k in kinds)


def _toml_text(value: object) -> str:
    """A value as the clerk typed it in tic.toml (not Python's repr: datetime.date(2026, 3, 31))."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | int | float):
        return str(value)
    if isinstance(value, str):
        return f"\"{value}\""
    return str(value)


_KNOWN = {
    "cycle": {"year", "reference_date", "key_fields"},
    "intake": {"min_ip", "extra_divisions"},
    "evaluation": {"dimensions", "min_experts", "aggregation", "excellent", "passing", "excellent_quota", "outlier_points"},
    "annual": {"deadline"},
    "ledger": {"path", "backups", "id_format"},
    "letters": {"prefix", "issuer", "rectification_plan_days", "revocation_effective_days", "letter_date", "copy_to"},
    "paths": None,  # free-form, used by the cycle folder
}


def config_from_dict(data: dict[str, Any], base_dir: Path | None = None, source: Path | None = None) -> Config:
    """Build a :class:`Config` from parsed TOML, raising :class:`ConfigError` naming the bad key."""
    for name, value in data.items():
        if name not in _KNOWN:
            raise ConfigError(f"配置文件中有未知的段 [{name}]，可用的段为：{'、'.join(_KNOWN)}。")
        keys = _KNOWN[name]
        if keys is not None and isinstance(value, dict):
            for key in value:
                if key not in keys:
                    raise ConfigError(f"配置项 {name}.{key} 无法识别，[{name}] 段可用的项为：{'、'.join(sorted(keys))}。")
    cycle = _section(data, "cycle")
    if "year" not in cycle:
        raise ConfigError("配置文件缺少 cycle.year（本周期年度，如 2026）。")
    if "reference_date" not in cycle:
        raise ConfigError("配置文件缺少 cycle.reference_date（基准日期，如 2026-03-31）。")
    year = _take(cycle, "cycle", "year", int, None)
    if not 2000 <= year <= 2100:
        raise ConfigError(f"配置项 cycle.year 的值 {year} 不是合理的年度。")
    ref = _take(cycle, "cycle", "reference_date", date, None)
    if ref.year != year:  # 2027-03-31 in the 2026 cycle: the year typed wrong in one of them
        raise ConfigError(f"配置项 cycle.reference_date 的值 {ref} 不在本周期年度 cycle.year = {year} 内，"
                          "请核对两处的年份。")
    key_fields = _take(cycle, "cycle", "key_fields", list, list(DEFAULT_KEY_FIELDS))
    if not key_fields or not all(isinstance(k, str) and k.strip() for k in key_fields):
        raise ConfigError("配置项 cycle.key_fields 应为非空的文字列表（本年度重点领域）。")

    sec = _section(data, "intake")
    extra = _take(sec, "intake", "extra_divisions", dict, {})
    for name, code in extra.items():
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit() and code.startswith("1301")):
            raise ConfigError(f"配置项 intake.extra_divisions 中“{name}”的区划代码 {code!r} 应为以1301开头的6位数字。")
    intake = IntakeConfig(min_ip=_positive(sec, "intake", "min_ip", 1, allow_zero=True), extra_divisions=dict(extra))

    sec = _section(data, "evaluation")
    dims = _take(sec, "evaluation", "dimensions", dict, dict(DEFAULT_DIMENSIONS))
    for name, maximum in dims.items():
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum <= 0:
            raise ConfigError(f"配置项 evaluation.dimensions 中“{name}”的满分 {maximum!r} 应为正整数。")
    aggregation = _take(sec, "evaluation", "aggregation", str, "mean")
    if aggregation not in ("mean", "trimmed"):
        raise ConfigError(f"配置项 evaluation.aggregation 的值 {aggregation!r} 无效，应为 mean（平均）或 trimmed（去掉最高最低分）。")
    excellent = _take(sec, "evaluation", "excellent", (int, float), 85)
    passing = _take(sec, "evaluation", "passing", (int, float), 60)
    if not passing <= excellent:
        raise ConfigError("配置项 evaluation.passing（合格线）不能高于 evaluation.excellent（优秀线）。")
    quota = _take(sec, "evaluation", "excellent_quota", (int, float), None)
    if quota is not None and not 0 < quota <= 1:
        raise ConfigError(f"配置项 evaluation.excellent_quota 的值 {quota!r} 应在 0 到 1 之间（如 0.2 表示20%）。")
    evaluation = EvaluationConfig(
        dimensions=dict(dims),
        min_experts=_positive(sec, "evaluation", "min_experts", 5),
        aggregation=aggregation,
        excellent=excellent,
        passing=passing,
        excellent_quota=quota,
        outlier_points=_positive(sec, "evaluation", "outlier_points", 15),
    )

    sec = _section(data, "annual")
    deadline = _take(sec, "annual", "deadline", (str, date), "03-31")
    if isinstance(deadline, date):  # 2026-03-31 typed without quotes: its month and day (the year is each report's)
        deadline = f"{deadline.month:02d}-{deadline.day:02d}"
    try:
        month, day = (int(x) for x in deadline.split("-"))
        date(2001, month, day)
    except ValueError:
        raise ConfigError(f"配置项 annual.deadline 的值 {deadline!r} 无效，应为“月-日”，如 03-31。") from None
    annual = AnnualConfig(deadline_month=month, deadline_day=day)

    sec = _section(data, "ledger")
    lpath = _take(sec, "ledger", "path", str, None)
    id_format = _take(sec, "ledger", "id_format", str, "SJZTIC-{year}-{seq:03d}")
    try:
        distinct = id_format.format(year=2026, seq=1) != id_format.format(year=2026, seq=2)
    except (KeyError, ValueError, IndexError, TypeError):
        raise ConfigError(f"配置项 ledger.id_format 的值 {id_format!r} 无效，只能使用 {{year}} 和 {{seq}}。") from None
    if not distinct:  # every new center would get the same number: registering could never find a free one
        raise ConfigError(f"配置项 ledger.id_format 的值 {id_format!r} 中没有序号 {{seq}}，每个中心的编号都会相同；"
                          "请写成如 \"SJZTIC-{year}-{seq:03d}\" 的格式。")
    ledger = LedgerConfig(
        path=Path(lpath) if lpath else None,
        backups=_positive(sec, "ledger", "backups", 5, allow_zero=True),
        id_format=id_format,
    )

    sec = _section(data, "letters")
    copy_to = _take(sec, "letters", "copy_to", list, [])
    if not all(isinstance(c, str) and c.strip() for c in copy_to):
        raise ConfigError("配置项 letters.copy_to 的每一项都应为单位名称（用英文双引号括起来，如 [\"市财政局\"]）。")
    prefix = _take(sec, "letters", "prefix", str, "石科字").strip()
    if not prefix or any(ch in prefix for ch in "〔〕[]()（）0123456789"):
        raise ConfigError(f"配置项 letters.prefix 的值 {prefix!r} 应为发文机关代字（如 \"石科字\"），"
                          "年份〔2026〕和序号由工具自动加上。")
    issuer = _take(sec, "letters", "issuer", str, "石家庄市科学技术局").strip()
    if not issuer:
        raise ConfigError("配置项 letters.issuer（发文机关名称，如 \"石家庄市科学技术局\"）不能为空。")
    letters = LettersConfig(
        prefix=prefix,
        issuer=issuer,
        rectification_plan_days=_positive(sec, "letters", "rectification_plan_days", 30),
        revocation_effective_days=_positive(sec, "letters", "revocation_effective_days", 0, allow_zero=True),
        letter_date=_letter_date(sec, ref),
        copy_to=tuple(c.strip() for c in copy_to),
    )
    return Config(
        year=year,
        reference_date=ref,
        key_fields=tuple(k.strip() for k in key_fields),
        intake=intake,
        evaluation=evaluation,
        annual=annual,
        ledger=ledger,
        letters=letters,
        base_dir=base_dir or Path(),
        source=source,
    )


def _positive(sec: dict[str, Any], where: str, key: str, default: int, allow_zero: bool = False) -> int:
    value = _take(sec, where, key, int, default)
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"配置项 {where}.{key} 的值 {value} 应为{'非负' if allow_zero else '正'}整数。")
    return value
