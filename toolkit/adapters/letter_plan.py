"""Which letters a cycle calls for, and what each one says — read from the ledger tables.

For ``config.year`` (see ``shared/spec/letters.md``):

    dispositions  reward → reward, rectify → rectification, revoke → revocation, retire → retire
    registrations approval (one per center) + approval_notice (one for the batch)
    changes       change (one per approved Art. 30 change recorded in the cycle)
    reminders     reminder, for running centers whose report for year-1 is missing while
                  the reference date is before its deadline (after it, A38.1 revokes)

Each :class:`PlannedLetter` carries the template context (every field but ``doc_number``,
which the register allocates). :data:`LETTER_FIELDS` is the set of fields the data gives
each kind: ``tic letters check`` compares a template against it. A letter whose required
facts are missing from the ledger is not planned; a :class:`PlanProblem` says what to add.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from toolkit.core.config import Config
from toolkit.core.dates import format_zh
from toolkit.core.disposition import EVENT_RULES, CenterState, format_total, judged_since, report_due
from toolkit.core.findings import rule_info
from toolkit.core.titles import CITY, SUFFIX, balanced, name_parts
from toolkit.core.values import clean_text

KINDS = ("approval", "approval_notice", "rectification", "revocation", "reward", "retire", "change", "reminder")
KIND_ZH = {
    "approval": "认定批复",
    "approval_notice": "认定通知",
    "rectification": "整改通知",
    "revocation": "撤销通知",
    "reward": "奖励通知",
    "retire": "不再保留通知",
    "change": "变更批复",
    "reminder": "催报通知",
}
KIND_OF_OUTCOME = {"reward": "reward", "rectify": "rectification", "revoke": "revocation", "retire": "retire"}
CHANGE_FIELD_ZH = {"name": "名称", "reg_place": "注册地", "director": "中心主任", "other": "其他重大事项"}
EN_PREFIX = "Shi Jiazhuang Technology Innovation Center of"
CHINESE_NUMERALS = "一二三四五六七八九十"

COMMON_FIELDS = frozenset({"doc_number", "issuer", "printer", "letter_date", "copy_to_text", "cycle_year", "title",
                           "doc_title"})
CENTER_FIELDS = frozenset({
    "center_id", "center_name", "center_name_en", "name_en_clause", "lead_name", "partners_text",
    "district", "district_bureau", "key_field", "rd_direction", "director",
})
LETTER_FIELDS: dict[str, frozenset[str]] = {
    "approval": COMMON_FIELDS | CENTER_FIELDS,
    "approval_notice": COMMON_FIELDS | {"centers", "count"},
    "rectification": COMMON_FIELDS | CENTER_FIELDS
    | {"evaluation_year", "total", "score_text", "grade", "weak_text", "plan_due", "reeval_year"},
    "revocation": COMMON_FIELDS | CENTER_FIELDS | {"reasons", "articles_text", "effective_date"},
    "reward": COMMON_FIELDS | CENTER_FIELDS | {"evaluation_year", "total", "score_text", "grade"},
    "retire": COMMON_FIELDS | CENTER_FIELDS | {"retire_fact", "end_date"},
    "change": COMMON_FIELDS | CENTER_FIELDS
    | {"subject_name", "change_field", "change_text", "old_value", "new_value", "effective_date"},
    "reminder": COMMON_FIELDS | CENTER_FIELDS | {"report_year", "deadline", "deadline_text", "as_of"},
}
# the loop rows of the list fields (documented for template authors)
ROW_FIELDS = {"centers": ("seq", "district", "name", "lead"), "reasons": ("number", "fact", "article", "title", "rule")}
# facts a letter must state (letters.md): key -> 中文 label for the problem sentence
REQUIRED = {
    "approval": {"center_name_en": "英文名称关键词", "director": "中心主任", "rd_direction": "研发方向",
                 "key_field": "重点领域"},
}


@dataclass(frozen=True)
class PlannedLetter:
    """One letter the cycle calls for; ``context`` lacks only ``doc_number``."""

    kind: str
    center_id: str | None
    cycle_year: int
    subject: str
    center_name: str | None
    district: str | None
    context: dict[str, Any]
    districts: tuple[str, ...] = ()  # every district the letter goes to (the notice: all of its centers')

    @property
    def key(self) -> tuple[str, str | None, int, str]:
        return (self.kind, self.center_id, self.cycle_year, self.subject)


@dataclass(frozen=True)
class PlanProblem:
    """A letter the cycle calls for that cannot be written: the ledger lacks a fact it must state."""

    kind: str
    center_id: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "center_id": self.center_id, "message": self.message}


@dataclass
class LetterPlan:
    letters: list[PlannedLetter] = field(default_factory=list)
    problems: list[PlanProblem] = field(default_factory=list)


# ------------------------------------------------------------------ small helpers


def district_bureau(district: str | None) -> str:
    """The 归口管理部门 of a district, in the regulation's words (Art. 6)."""
    district = clean_text(district)
    return f"{district}科技行政管理部门" if district else "归口管理部门"


def english_name(name_en: str | None) -> str:
    """The Art. 39 English name from its keyword (a full name is kept as it is)."""
    text = clean_text(name_en)
    if not text:
        return ""
    if text.lower().startswith("shi jiazhuang technology innovation center"):
        return text
    return f"{EN_PREFIX} {text}"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (item numbers of a letter)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    tens, units = divmod(n, 10)
    return (CHINESE_NUMERALS[tens - 1] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[units - 1] if units else "")


def join_articles(articles: list[str]) -> str:
    """第三十八条第（二）项、第三十八条第（三）项 → 第三十八条第（二）项、第（三）项."""
    out: list[str] = []
    last_article = None
    for art in dict.fromkeys(articles):
        m = re.fullmatch(r"(第[^条]+条)(第（[^）]+）项)?", art)
        if m and m.group(2) and m.group(1) == last_article:
            out.append(m.group(2))
        else:
            out.append(art)
        last_article = m.group(1) if m else None
    return "、".join(out)


def _score_text(value: Fraction) -> str:
    """A dimension's mean as the letter prints it: whole, else to two decimals cut (never rounded up, so a score
    below 60 % of the maximum never reads as the 60 % itself: 17.96, not 18.0)."""
    if value.denominator == 1:
        return str(value.numerator)
    hundredths = math.floor(value * 100)
    return f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")


def weak_dimensions_text(dimensions: Mapping[str, Any], maxima: Mapping[str, int]) -> str | None:
    """The sentence naming the dimensions scored below 60% of their maximum (else the weakest one)."""
    scored: list[tuple[str, Fraction, int]] = []
    for name, maximum in maxima.items():
        value = dimensions.get(name)
        if value is None or not maximum:
            continue
        scored.append((name, Fraction(str(value)), int(maximum)))
    if not scored:
        return None
    weak = [s for s in scored if 5 * s[1] < 3 * s[2]]  # below 60%, compared exactly
    if weak:
        listed = "、".join(f"{n}（{_score_text(v)}分，满分{m}分）" for n, v, m in weak)
        return f"其中，{listed}得分低于该项满分的60%，是需要重点整改的方面。"
    n, v, m = min(scored, key=lambda s: (s[1] / s[2], list(maxima).index(s[0])))
    return f"各评估维度中得分率最低的是{n}（{_score_text(v)}分，满分{m}分），是需要重点整改的方面。"


def _fact(text: str) -> str:
    return clean_text(text).rstrip("。；;，, ")


_REASON_HINTS = {
    "A38.1.NO-REPORT": ("年度报告",),
    "A38.2.ABSENT": ("不参加", "中途退出"),
    "A38.2.TWICE": ("不合格",),
}


def pair_reasons(rules: list[str], reasons: list[str], event_counts: Mapping[str, int]) -> list[tuple[str, str]]:
    """Pair each stated reason with the rule it comes from.

    The disposition lists reasons grouped by rule in the order of ``rules`` (one per
    rule, one per event for the event rules), so the groups follow from the number of
    events of each rule; a stored disposition that does not add up is matched by wording.
    """
    if not rules:
        return []
    counts = [event_counts.get(r, 1) if r in EVENT_RULES else 1 for r in rules]
    if sum(counts) == len(reasons):
        pairs: list[tuple[str, str]] = []
        i = 0
        for rule, n in zip(rules, counts, strict=True):
            pairs.extend((rule, r) for r in reasons[i : i + n])
            i += n
        return pairs
    if len(rules) == len(reasons):
        return list(zip(rules, reasons, strict=True))
    pairs = []
    for reason in reasons:
        match = next((r for r in rules if rule_info(r)["title"] in reason), None)
        if match is None:
            match = next((r for r in rules if any(h in reason for h in _REASON_HINTS.get(r, ()))), None)
        pairs.append((match or rules[-1], reason))
    for rule in rules:  # every rule is cited, even one whose reason text was lost
        if all(p[0] != rule for p in pairs):
            pairs.append((rule, rule_info(rule)["title"]))
    return pairs


# ------------------------------------------------------------------ the plan


def letter_title(kind: str, ctx: dict[str, Any]) -> str:
    """The letter's title (标题), its lines broken between words (:func:`toolkit.core.titles.balanced`):
    the templates print it as ``{{ title }}``, a line break where it has ``\n``."""
    name = name_parts(str(ctx.get("center_name") or ""))
    segments = {
        "approval": ["关于认定", *name, "的批复"],
        "approval_notice": ["关于认定", f"{ctx.get('cycle_year')}年度", CITY, SUFFIX, "的通知"],
        "rectification": ["关于", *name, "限期整改", "的通知"],
        "revocation": ["关于撤销", *name, "资格的通知"],
        "reward": ["关于对", *name, "给予绩效奖励", "的通知"],
        "retire": ["关于不再保留", *name, "的通知"],
        "change": ["关于同意", *name_parts(str(ctx.get("subject_name") or "")), "变更", str(ctx.get("change_field") or ""),
                   "的批复"],
        "reminder": ["关于尽快报送", *name, f"{ctx.get('report_year')}年度报告", "的通知"],
    }[kind]
    return balanced(segments)


class _Planner:
    def __init__(self, conn: sqlite3.Connection, config: Config, evaluation: Mapping[str, Any] | None,
                 center_ids: Collection[str] | None) -> None:
        self.conn = conn
        self.config = config
        self.year = config.year
        self.letter_date = config.letter_date
        self.only = {c.strip().upper() for c in center_ids} if center_ids else None
        self.plan = LetterPlan()
        self.evaluation = evaluation
        self._centers: dict[str, sqlite3.Row] = {}

    # -- rows

    def center(self, center_id: str) -> sqlite3.Row | None:
        if center_id not in self._centers:
            row = self.conn.execute("SELECT * FROM centers WHERE center_id = ?", (center_id,)).fetchone()
            if row is None:
                return None
            self._centers[center_id] = row
        return self._centers[center_id]

    def wanted(self, center_id: str | None) -> bool:
        return self.only is None or center_id is None or center_id in self.only

    # -- contexts

    def common(self, copy_to: list[str]) -> dict[str, Any]:
        letters = self.config.letters
        parts = [c for c in (clean_text(x) for x in copy_to) if c]
        return {
            "issuer": letters.issuer,
            "printer": f"{letters.issuer}办公室",
            "letter_date": format_zh(self.letter_date),
            "copy_to_text": "，".join(dict.fromkeys(parts)),
            "cycle_year": self.year,
        }

    def center_context(self, row: sqlite3.Row) -> dict[str, Any]:
        try:
            partners = [clean_text(p) for p in json.loads(row["partners"] or "[]") if clean_text(p)]
        except (ValueError, TypeError):
            partners = [clean_text(row["partners"])] if clean_text(row["partners"]) else []
        district = clean_text(row["district"])
        en = english_name(row["name_en"])
        ctx = self.common(([district_bureau(district)] if district else []) + list(self.config.letters.copy_to))
        ctx.update({
            "center_id": row["center_id"],
            "center_name": clean_text(row["name"]),
            "center_name_en": en,
            "name_en_clause": f"（{en}）" if en else "",
            "lead_name": clean_text(row["lead_name"]),
            "partners_text": "、".join(partners) or "无",
            "district": district,
            "district_bureau": district_bureau(district),
            "key_field": clean_text(row["key_field"]),
            "rd_direction": clean_text(row["rd_direction"]),
            "director": clean_text(row["director"]),
        })
        return ctx

    def add(self, kind: str, row: sqlite3.Row, context: dict[str, Any], subject: str = "") -> None:
        missing = [label for key, label in REQUIRED.get(kind, {}).items() if not context.get(key)]
        if missing:
            self.problem(kind, row["center_id"], f"{row['center_id']} {row['name']}：台账中缺少{'、'.join(missing)}，"
                         f"无法生成{KIND_ZH[kind]}（letters.md 要求写明），请补全台账后重新运行。")
            return
        context["title"] = letter_title(kind, context)
        context["doc_title"] = context["title"].replace("\n", "")  # the document properties' title: one line
        district = context.get("district") or None
        self.plan.letters.append(PlannedLetter(
            kind, row["center_id"], self.year, subject, context["center_name"], district, context,
            (district,) if district else (),
        ))

    def problem(self, kind: str, center_id: str | None, message: str) -> None:
        self.plan.problems.append(PlanProblem(kind, center_id, message))

    # -- the kinds

    def registrations(self, kinds: Collection[str]) -> None:
        rows = self.conn.execute(
            "SELECT c.* FROM registrations r JOIN centers c ON c.center_id = r.center_id"
            " WHERE r.cycle_year = ? ORDER BY c.center_id", (self.year,)).fetchall()
        if "approval" in kinds:
            for row in rows:
                if self.wanted(row["center_id"]):
                    self.add("approval", row, self.center_context(row))
        if "approval_notice" in kinds and rows and self.only is None:
            centers = [
                {"seq": i, "district": clean_text(r["district"]) or "—", "name": clean_text(r["name"]),
                 "lead": clean_text(r["lead_name"])}
                for i, r in enumerate(rows, start=1)
            ]
            ctx = self.common(list(self.config.letters.copy_to))
            ctx.update({"centers": centers, "count": len(centers)})
            ctx["title"] = letter_title("approval_notice", ctx)
            ctx["doc_title"] = ctx["title"].replace("\n", "")
            districts = tuple(dict.fromkeys(c["district"] for c in centers if c["district"] != "—"))
            self.plan.letters.append(PlannedLetter("approval_notice", None, self.year, "", None, None, ctx, districts))

    def dispositions(self, kinds: Collection[str]) -> None:
        rows = self.conn.execute(
            "SELECT * FROM dispositions WHERE cycle_year = ? AND outcome <> 'none' ORDER BY center_id",
            (self.year,)).fetchall()
        by_kind: dict[str, list[sqlite3.Row]] = {}
        for d in rows:
            by_kind.setdefault(KIND_OF_OUTCOME[d["outcome"]], []).append(d)
        for kind in ("rectification", "revocation", "reward", "retire"):
            if kind not in kinds:
                continue
            for d in by_kind.get(kind, []):
                if not self.wanted(d["center_id"]):
                    continue
                row = self.center(d["center_id"])
                if row is None:
                    self.problem(kind, d["center_id"], f"处置记录中的{d['center_id']}不在台账的中心表中，未生成{KIND_ZH[kind]}。")
                    continue
                getattr(self, kind)(row, d)

    def _evaluation(self, kind: str, row: sqlite3.Row) -> dict[str, Any] | None:
        ev = self.conn.execute("SELECT * FROM evaluations WHERE center_id = ? AND year = ?",
                               (row["center_id"], self.year)).fetchone()
        if ev is None or not ev["grade"]:
            self.problem(kind, row["center_id"], f"{row['center_id']} {row['name']}：台账中没有{self.year}年绩效评估的等级，"
                         f"无法生成{KIND_ZH[kind]}，请先用 tic evaluate --record 登记评估结果。")
            return None
        # a grade imported from the 台账 has no total: the letter then states the grade alone
        total = format_total(ev["total"]) if ev["total"] is not None else None
        return {"evaluation_year": self.year, "total": total or "", "grade": ev["grade"],
                "score_text": f"评估总分为{total}分，" if total else ""}

    def reward(self, row: sqlite3.Row, d: sqlite3.Row) -> None:
        facts = self._evaluation("reward", row)
        if facts is not None:
            self.add("reward", row, {**self.center_context(row), **facts})

    def rectification(self, row: sqlite3.Row, d: sqlite3.Row) -> None:
        facts = self._evaluation("rectification", row)
        if facts is None:
            return
        weak = None
        entry = self._dimension_entry(row["center_id"])
        if entry is not None:
            weak = weak_dimensions_text(entry[0], entry[1])
        if weak is None:
            self.problem("rectification", row["center_id"],
                         f"{row['center_id']} {row['name']}：整改通知须写明得分低于满分60%的评估维度，但找不到该中心"
                         f"{self.year}年各维度得分；请用 --evaluation 指定本年度评估结果 JSON（tic evaluate --json 生成）。")
            return
        plan_due = self.letter_date + timedelta(days=self.config.letters.rectification_plan_days)
        self.add("rectification", row, {
            **self.center_context(row), **facts, "weak_text": weak, "plan_due": format_zh(plan_due),
            "reeval_year": self.year + 1,
        })

    def _dimension_entry(self, center_id: str) -> tuple[dict[str, Any], dict[str, int]] | None:
        """The center's dimension scores (exact when recorded so) and maxima, in the configured order of the
        dimensions (Art. 34): from the given evaluation report, else as recorded in the ledger — the same
        letter either way."""
        report = self.evaluation
        for entry in (report or {}).get("centers") or []:
            if entry.get("center_id") == center_id and isinstance(entry.get("dimensions"), dict):
                maxima = (report.get("settings") or {}).get("dimensions") or self.config.evaluation.dimensions
                scores = entry.get("dimensions_exact") or entry["dimensions"]
                return scores, self._in_order({str(k): int(v) for k, v in maxima.items()})
        ev = self.conn.execute("SELECT dimensions FROM evaluations WHERE center_id = ? AND year = ?",
                               (center_id, self.year)).fetchone()
        if ev is not None and ev["dimensions"]:
            stored = json.loads(ev["dimensions"])
            maxima = stored.get("maxima") or self.config.evaluation.dimensions
            return stored["scores"], self._in_order({str(k): int(v) for k, v in maxima.items()})
        return None

    def _in_order(self, maxima: dict[str, int]) -> dict[str, int]:
        """``maxima`` in the order of the configured dimensions, any other after them (a ledger of the first
        release stored them sorted by code point)."""
        order = list(self.config.evaluation.dimensions)
        return dict(sorted(maxima.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order))))

    def revocation(self, row: sqlite3.Row, d: sqlite3.Row) -> None:
        rules = list(json.loads(d["rules"]))
        reasons = [str(r) for r in json.loads(d["reasons"])]
        counts = self._event_counts(row["center_id"])
        pairs = pair_reasons(rules, reasons, counts)
        items = [
            {"number": f"（{chinese_number(i)}）", "fact": _fact(reason), "article": rule_info(rule)["article"],
             "title": rule_info(rule)["title"], "rule": rule}
            for i, (rule, reason) in enumerate(pairs, start=1)
        ]
        if not items:
            self.problem("revocation", row["center_id"], f"{row['center_id']} {row['name']}：撤销处置没有记录任何理由，未生成撤销通知。")
            return
        effective = self.letter_date + timedelta(days=self.config.letters.revocation_effective_days)
        self.add("revocation", row, {
            **self.center_context(row), "reasons": items,
            "articles_text": join_articles([i["article"] for i in items]), "effective_date": format_zh(effective),
        })

    # the events tic decide judged in this cycle (core.disposition.event_in_cycle): in the cycle's year up to the
    # reference date, or after the previous cycle's reference date
    _IN_CYCLE = "((occurred_on BETWEEN ? AND ?) OR (occurred_on > ? AND occurred_on <= ?))"

    def _cycle_window(self) -> tuple[str, str, str, str]:
        previous = None
        try:
            row = self.conn.execute("SELECT reference_date FROM cycles WHERE cycle_year = ?", (self.year - 1,)).fetchone()
            previous = date.fromisoformat(row[0]) if row is not None else None
        except sqlite3.OperationalError:  # a ledger before v3 (no cycles): a year before, as decide took it
            previous = None
        since = judged_since(self.config, previous).isoformat()
        end = self.config.reference_date.isoformat()
        return date(self.year, 1, 1).isoformat(), end, since, end

    def _event_counts(self, center_id: str) -> dict[str, int]:
        return {r[0]: r[1] for r in self.conn.execute(
            f"SELECT rule, count(*) FROM events WHERE center_id = ? AND {self._IN_CYCLE} GROUP BY rule",
            (center_id, *self._cycle_window()))}

    def retire(self, row: sqlite3.Row, d: sqlite3.Row) -> None:
        events = self.conn.execute(
            f"SELECT * FROM events WHERE center_id = ? AND rule = 'A28.RETIRE' AND {self._IN_CYCLE}"
            " ORDER BY occurred_on, id", (row["center_id"], *self._cycle_window())).fetchall()
        lead = clean_text(row["lead_name"])
        facts = []
        for ev in events:
            text = (f"{lead}在相同领域、相同研发方向的技术创新中心已于{format_zh(date.fromisoformat(ev['occurred_on']))}"
                    "被认定或晋升为国家级或省级技术创新中心")
            if clean_text(ev["description"]):
                text += f"（{_fact(ev['description'])}）"
            facts.append(text)
        if not facts:
            facts = [_fact(r) for r in json.loads(d["reasons"])] or [
                f"{lead}在相同领域、相同研发方向已有国家级或省级技术创新中心"]
        end_date = self.letter_date + timedelta(days=self.config.letters.revocation_effective_days)
        self.add("retire", row, {**self.center_context(row), "retire_fact": "；".join(facts),
                                 "end_date": format_zh(end_date)})

    def changes(self) -> None:
        for ch in self.conn.execute("SELECT * FROM changes WHERE cycle_year = ? ORDER BY center_id, effective_on, id",
                                    (self.year,)).fetchall():
            if not self.wanted(ch["center_id"]):
                continue
            row = self.center(ch["center_id"])
            if row is None:
                continue
            ctx = self.center_context(row)
            what = CHANGE_FIELD_ZH[ch["field"]]  # the note (--note: the approving document …) stays in the ledger
            old, new = clean_text(ch["old_value"]), clean_text(ch["new_value"])
            if not old and ch["field"] != "other":
                self.problem("change", row["center_id"],
                             f"{row['center_id']} {row['name']}：变更批复须写明{what}由什么变更为什么，但台账中没有变更前的"
                             f"{what}，未生成；请运行 tic ledger change {row['center_id']} --field {ch['field']} "
                             f"--to “{new}” --date {ch['effective_on']} --from “变更前的{what}” 补登后重新运行。")
                continue
            subject_name = old if ch["field"] == "name" and old else ctx["center_name"]
            ctx.update({
                "subject_name": subject_name,
                "change_field": what,
                # other: --to says what the matter is (依托单位由甲公司变更为乙公司), unless --from gave the before
                "change_text": f"由“{old}”变更为“{new}”" if old else f"变更（{_fact(new)}）",
                "old_value": old,
                "new_value": new,
                "effective_date": format_zh(date.fromisoformat(ch["effective_on"])),
            })
            approved = date.fromisoformat(ch["effective_on"])
            if approved > self.letter_date:  # the 批复 is dated the day it approves (--date), never before it
                ctx["letter_date"] = format_zh(approved)
            self.add("change", row, ctx, subject=str(ch["id"]))

    def reminders(self) -> None:
        report_year = self.year - 1
        deadline = self.config.annual.deadline(report_year)
        if self.config.reference_date > deadline:  # past it: a report not received is Art. 38(一), not a reminder
            return
        # on the deadline day itself (the default reference date, 31 March, is the default deadline) the report is
        # still on time if sent that day: the reminder says so
        on_the_day = self.config.reference_date == deadline
        deadline_text = f"今日（{format_zh(deadline)}）内" if on_the_day else f"{format_zh(deadline)}前"
        rows = self.conn.execute(
            "SELECT c.* FROM centers c LEFT JOIN annual_reports a ON a.center_id = c.center_id AND a.year = ?"
            " WHERE c.status = '运行' AND (a.center_id IS NULL OR a.submitted_on IS NULL) ORDER BY c.center_id",
            (report_year,)).fetchall()
        for row in rows:
            if not self.wanted(row["center_id"]):
                continue
            if not report_due_row(row, report_year):
                continue
            self.add("reminder", row, {
                **self.center_context(row), "report_year": report_year, "deadline": format_zh(deadline),
                "deadline_text": deadline_text, "as_of": format_zh(self.config.reference_date),
            })


def report_due_row(row: sqlite3.Row, report_year: int) -> bool:
    """Whether a ledger center owes the report for ``report_year`` (approved in that year or before)."""
    return report_due(CenterState(row["center_id"], row["name"], row["status"], row["status_cycle"],
                                  row["approved_year"]), report_year)


def plan_letters(
    conn: sqlite3.Connection,
    config: Config,
    kinds: Collection[str] | None = None,
    *,
    evaluation: Mapping[str, Any] | None = None,
    center_ids: Collection[str] | None = None,
) -> LetterPlan:
    """Every letter ``config.year`` calls for (of ``kinds``; all when None), in a stable order.

    ``evaluation`` is the cycle's evaluation report (report.md), needed for the weakest
    dimensions of a rectification notice; ``center_ids`` limits the plan to those centers
    (the batch notice is then left out).
    """
    wanted = set(kinds or KINDS)
    planner = _Planner(conn, config, evaluation, center_ids)
    planner.registrations(wanted)
    planner.dispositions(wanted)
    if "change" in wanted:
        planner.changes()
    if "reminder" in wanted:
        planner.reminders()
    order = {k: i for i, k in enumerate(KINDS)}
    planner.plan.letters.sort(key=lambda p: (order[p.kind], p.center_id or "", p.subject))
    return planner.plan
