"""Every rule of rules.md part A and the DATA rules, with boundary tables (below / on / above)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest

from tests.conftest import good_row
from toolkit.core.uscc import make_uscc
from toolkit.intake import validate_file


def rules_of(report, row_index: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.rule for f in report.rows[row_index].findings]


def check(intake_file, config, **changes):  # type: ignore[no-untyped-def]
    report = validate_file(intake_file([good_row(**changes)]), config)
    assert report.fatal is None
    return report


def test_good_row_is_eligible(intake_file, config):
    report = check(intake_file, config)
    assert rules_of(report) == []
    assert report.rows[0].verdict.value == "eligible"
    assert report.rows[0].row == 4  # two title rows, header on row 3


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("sales", 1999.99, "A10.2.SALES"),
        ("sales", 2000, None),
        ("sales", 2000.01, None),
        ("rd_spend", 99.99, "A10.2.RD-SPEND"),
        ("rd_spend", 100, None),
        ("fixed_staff", 14, "A10.4.STAFF"),
        ("fixed_staff", 15, None),
        ("fixed_staff", 16, None),
        ("rd_space", 499.9, "A10.6.SPACE"),
        ("rd_space", 500, None),
        ("equipment", 199.99, "A10.6.EQUIPMENT"),
        ("equipment", 200, None),
        ("director_months", 7.9, "A16.DIRECTOR-MONTHS"),
        ("director_months", 8, None),
        ("ip_count", 0, "A10.3.IP"),
        ("ip_count", 1, None),
    ],
    ids=lambda v: str(v),
)
def test_numeric_thresholds_are_inclusive(intake_file, config, field, value, rule):
    report = check(intake_file, config, **{field: value})
    assert rules_of(report) == ([rule] if rule else [])


@pytest.mark.parametrize(
    ("birth", "rule"),
    [
        (datetime(1965, 3, 31), "A16.DIRECTOR-AGE"),  # 61 on the reference date
        (datetime(1966, 3, 31), None),  # 60 today: the birthday counts as completed
        (datetime(1966, 4, 1), None),  # 59
    ],
    ids=["61", "60-on-birthday", "59"],
)
def test_director_age_in_zhousui(intake_file, config, birth, rule):
    assert rules_of(check(intake_file, config, director_birth=birth)) == ([rule] if rule else [])


@pytest.mark.parametrize(
    ("reg_date", "ref", "rule"),
    [
        (datetime(2023, 3, 31), date(2026, 3, 31), None),  # exactly three years
        (datetime(2023, 4, 1), date(2026, 3, 31), "A10.1.YEARS"),  # one day short
        (datetime(2020, 2, 29), date(2023, 2, 28), None),  # month-end rule
        (datetime(2020, 2, 29), date(2023, 2, 27), "A10.1.YEARS"),
    ],
    ids=["on", "one-day-short", "feb29-month-end", "feb29-short"],
)
def test_registered_three_years(intake_file, config, reg_date, ref, rule):
    from dataclasses import replace

    cfg = replace(config, reference_date=ref)
    report = validate_file(intake_file([good_row(reg_date=reg_date)]), cfg)
    assert rules_of(report) == ([rule] if rule else [])


def test_years_completed_is_the_anniversary_rule_for_every_pair_of_days():
    """Whole years by (month, day) against the rule it stands for (the anniversary made with add_years and
    compared): every start day of 1999-2001 (2000 a leap year) and 1900 (not one), on every day of 2023,
    2024 and 2100, and either side of 29 February."""
    from toolkit.core.dates import add_years, years_completed

    def reference(start: date, on: date) -> int:
        years = on.year - start.year
        return years - 1 if add_years(start, years) > on else years

    def days(first: date, last: date) -> list[date]:
        return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]

    starts = days(date(1999, 1, 1), date(2001, 12, 31)) + days(date(1900, 2, 20), date(1900, 3, 5))
    ons = [*days(date(2023, 1, 1), date(2024, 12, 31))[::3], *days(date(2024, 2, 26), date(2024, 3, 2)),
           *days(date(2023, 2, 26), date(2023, 3, 2)), *days(date(2100, 2, 26), date(2100, 3, 2)),
           date(2000, 2, 28), date(2000, 2, 29), date(1999, 6, 1)]
    mismatches = [(s, o) for s in starts for o in ons if years_completed(s, o) != reference(s, o)]
    assert mismatches == []
    assert years_completed(date(2020, 2, 29), date(2023, 2, 28)) == 3  # the month-end rule
    assert years_completed(date(2020, 2, 29), date(2024, 2, 28)) == 3  # a leap year: the 29th exists


@pytest.mark.parametrize(
    ("place", "rule"),
    [
        ("河北省石家庄市长安区中山路1号", None),
        ("石家庄市桥西区自强路2号", None),
        ("长安区建设北大街3号", None),
        ("鹿泉市上庄镇", None),  # former name on an old licence
        ("石家庄长安区中山东路1号", None),  # "石家庄" without 市
        ("河北石家庄市长安区", None),  # "河北" without 省
        ("河北省石家庄高新技术产业开发区", None),
        ("石家庄高新区黄河大道136号", None),
        ("河北省邢台市桥西区中华大街8号", "A10.1.CITY"),  # Xingtai's 桥西区 is not Shijiazhuang's
        ("北京市海淀区", "A10.1.CITY"),
    ],
)
def test_registered_in_the_city(intake_file, config, place, rule):
    assert rules_of(check(intake_file, config, reg_place=place)) == ([rule] if rule else [])


def test_uscc_check_character_and_region(intake_file, config):
    good = make_uscc("91130102MA0ABCDE1")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert rules_of(check(intake_file, config, lead_uscc=bad)) == ["DATA.USCC"]
    province = make_uscc("91130000MA0ABCDE1")
    assert rules_of(check(intake_file, config, lead_uscc=province)) == []
    elsewhere = make_uscc("91110108MA0ABCDE1")
    report = check(intake_file, config, lead_uscc=elsewhere)
    assert rules_of(report) == ["A10.1.USCC-REGION"]
    assert report.rows[0].verdict.value == "review"


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"rd_org": "否"}, "A10.2.RD-ORG"),
        ({"key_field": "人工智能"}, "A10.3.FIELD"),
        ({"rd_direction": None}, "A10.3.DIRECTION"),
        ({"rd_direction": "无"}, "A10.3.DIRECTION"),
        ({"leader_credit": "有不良记录"}, "A10.4.LEADER-CREDIT"),
        ({"lead_credit": "有"}, "A10.1.CREDIT"),
        ({"center_name": "智能装备工程中心"}, "A10.7.NAME"),
        ({"center_name": "石家庄市技术创新中心"}, "A10.7.NAME"),  # no field name
        ({"center_name": "石家庄市 技术创新中心"}, "A10.7.NAME"),  # a space is not a field name
        ({"center_name": "石家庄市\u3000技术创新中心"}, "A10.7.NAME"),
        ({"director_other": "是"}, "A16.DIRECTOR-OTHER"),
        ({"higher_tic": "√"}, "A28.HIGHER-TIC"),
        ({"sales": None}, "DATA.REQUIRED"),
        ({"sales": "两千万"}, "DATA.TYPE"),
        ({"sales": "2,5"}, "DATA.TYPE"),  # a decimal comma is not read as 25 (1,500 is 1500)
        ({"reg_date": "2021-02-30"}, "DATA.TYPE"),
        ({"rd_org": "不清楚"}, "DATA.TYPE"),
        ({"phone": "12345"}, "DATA.PHONE"),
    ],
    ids=lambda v: str(v),
)
def test_single_rules(intake_file, config, changes, rule):
    assert rules_of(check(intake_file, config, **changes)) == [rule]


def test_required_value_message_names_what_it_blocks(intake_file, config):
    report = check(intake_file, config, sales=None)
    (f,) = report.rows[0].findings
    assert f.message == "缺少上年度销售收入，无法核验第十条第（二）项"
    assert f.cell == "K4"


def test_enterprise_fields_not_required_of_a_university(intake_file, config):
    partners = f"{make_uscc('91130104MA0PART01')}；{make_uscc('91130108MA0PART02')}"
    row = good_row(lead_type="高等院校", rd_org=None, sales=None, rd_spend=None, partners="甲公司；乙公司",
                   partner_usccs=partners, city_partner_enterprises=2, agreement="是", share_conditions="60%",
                   share_staff=0.6, share_projects=60, share_outcomes="50%", partner_credit="无")
    report = validate_file(intake_file([row]), config)
    assert rules_of(report) == []


@pytest.mark.parametrize(
    ("usccs", "declared", "expected"),
    [
        ([("91130104MA0PART01"), ("91130108MA0PART02")], 2, []),
        ([("91130104MA0PART01"), ("91110108MA0PART02")], 2, ["A10.2.PARTNERS", "A10.2.PARTNERS"]),
        ([("91130104MA0PART01"), ("12130000MA0PART02")], 1, ["A10.2.PARTNERS"]),
        # the same enterprise written twice is one co-builder, not two
        ([("91130104MA0PART01"), ("91130104MA0PART01")], 2, ["A10.2.PARTNERS", "A10.2.PARTNERS"]),
    ],
    ids=["two-city-enterprises", "one-in-beijing-declared-two", "one-is-not-an-enterprise", "one-written-twice"],
)
def test_non_enterprise_partners(intake_file, config, usccs, declared, expected):
    codes = "；".join(make_uscc(c) for c in usccs)
    row = good_row(lead_type="科研院所", rd_org=None, sales=None, rd_spend=None, partners="甲；乙",
                   partner_usccs=codes, city_partner_enterprises=declared, agreement="是", share_conditions=60,
                   share_staff=60, share_projects=60, share_outcomes=60, partner_credit="无不良记录")
    report = validate_file(intake_file([row]), config)
    assert rules_of(report) == expected
    severities = [f.severity.value for f in report.rows[0].findings]
    if expected == ["A10.2.PARTNERS", "A10.2.PARTNERS"]:
        assert sorted(severities) == ["error", "warning"]


@pytest.mark.parametrize(("share", "rule"), [("49.9%", "A10.8.LEAD-SHARE"), ("50%", None), (0.5, None), (50, None)])
def test_lead_share_with_partners(intake_file, config, share, rule):
    row = good_row(partners="河北科技大学", partner_usccs=make_uscc("12130000401702013"), agreement="是",
                   share_conditions=share, share_staff=70, share_projects=70, share_outcomes=70, partner_credit="无")
    assert rules_of(validate_file(intake_file([row]), config)) == ([rule] if rule else [])


def test_partner_list_lengths_and_credit(intake_file, config):
    row = good_row(partners="甲；乙", partner_usccs=make_uscc("91130104MA0PART01"), agreement="是",
                   share_conditions=60, share_staff=60, share_projects=60, share_outcomes=60,
                   partner_credit="无不良记录；有不良记录")
    report = validate_file(intake_file([row]), config)
    assert sorted(rules_of(report)) == ["A10.1.CREDIT", "DATA.LIST-LENGTH"]
    credit = next(f for f in report.rows[0].findings if f.rule == "A10.1.CREDIT")
    assert "乙" in credit.message


def test_units_are_converted_and_reported(intake_file, config):
    report = check(intake_file, config, sales="2.6亿元")
    assert rules_of(report) == ["DATA.UNIT"]
    assert "26000万元" in report.rows[0].findings[0].message
    assert rules_of(check(intake_file, config, sales=35_000_000)) == ["DATA.UNIT"]
    assert rules_of(check(intake_file, config, sales="1500万元")) == ["A10.2.SALES"]


def test_duplicates_within_a_workbook(intake_file, config):
    a = good_row()
    b = good_row(seq=2, center_name="石家庄市另一个技术创新中心")  # same lead + same key field
    c = good_row(seq=3, lead_uscc=make_uscc("91130104MA0TEXT01"), key_field="新材料")  # same name as a
    report = validate_file(intake_file([a, b, c]), config)
    assert [rules_of(report, i).count("DATA.DUPLICATE") for i in range(3)] == [2, 1, 1]


def test_existing_center_name_in_ledger(intake_file, config):
    path = intake_file([good_row()])
    report = validate_file(path, config, existing_names=frozenset({"石家庄市智能装备技术创新中心"}))
    assert rules_of(report) == ["A10.7.NAME"]


def test_verdicts_follow_severity(intake_file, config):
    rows = [good_row(), good_row(seq=2, center_name="石家庄市乙技术创新中心", lead_uscc=make_uscc("91130104MA0B00002"),
                                 phone="999"),
            good_row(seq=3, center_name="石家庄市丙技术创新中心", lead_uscc=make_uscc("91130104MA0C00003"), sales=10)]
    report = validate_file(intake_file(rows), config)
    assert [r.verdict.value for r in report.rows] == ["eligible", "review", "ineligible"]
    assert report.summary == {"rows": 3, "eligible": 1, "review": 1, "ineligible": 1, "errors": 1, "warnings": 1}
    assert report.status == 1


def test_key_fields_and_min_ip_come_from_config(intake_file, config):
    from dataclasses import replace

    cfg = replace(config, key_fields=("人工智能",), intake=replace(config.intake, min_ip=10))
    report = validate_file(intake_file([good_row(key_field="人工智能", ip_count=9)]), cfg)
    assert rules_of(report) == ["A10.3.IP"]
    assert report.rows[0].findings[0].message == "自主知识产权9件，少于10件"


def test_existing_center_name_matches_across_spaces_and_bracket_width(intake_file, config):
    path = intake_file([good_row(center_name="石家庄市智能装备 技术创新中心")])
    report = validate_file(path, config, existing_names=frozenset({"石家庄市智能装备技术创新中心"}))
    assert rules_of(report) == ["A10.7.NAME"]


def test_a_text_date_with_a_time_keeps_its_day(intake_file, config):
    report = check(intake_file, config, reg_date="2023-3-31 9:30")
    assert report.rows[0].values["reg_date"].isoformat() == "2023-03-31"
    assert rules_of(report) == []


# ---------------------------------------------------------------- the compiled value reader

_CELLS = [None, "", "  ", " 长安区 ", "甲\n乙", "a\r\nb", 0, 1, 15, -3, 0.0, 1.0, 0.6, 12.5, 1999.99, 2000.0,
          1500000.0, 2500000, 1000000.0, 1000000, 999999.99, float("nan"), float("inf"), True, False, "是", "否", "√", "x", "有", "无",
          "无不良记录", "有不良记录", "良好", "企业", "高等院校", "其他", "科研院所", "先进装备制造", "人工智能",
          "2,000", "2000万元", "25.2亿元", "3000000元", "500平方米", "60%", "0.6", "120%", "-5%", "15人",
          "约五十人", "１２３", "2021-03-05", "2021年3月5日", "20210305", "2021-02-30", "2018-3-15 9:30", 44219,
          44219.5, 20210305, datetime(2015, 6, 1), datetime(2021, 2, 28, 13, 30), date(2000, 2, 29),
          "91130102MA0ABCDE1X", "河北科技大学；乙公司", "91130102MA0ABCDE1X、91130104MA0ABCDE2Y", "13812345678",
          "0311-8765432", "0311-13516", 13812345678.0, "石家庄市甲技术创新中心", "河北省保定市竞秀区石清路13号",
          "=SUM(A1:A3)", "<b>&amp;</b>", "{{ x }}"]


def _varied_rows(config, count: int, seed: int):  # type: ignore[no-untyped-def]
    """Rows of the form with one to five cells replaced by what clerks type (any type in any column)."""
    import random

    from bench import generate
    from toolkit.adapters.schema_check import field_specs
    from toolkit.adapters.table import RawRow

    keys = [s.key for s in field_specs("intake")]
    rnd = random.Random(seed)
    bases = [*generate.intake_rows(200, seed=seed), *generate.intake_rows(200, seed=seed, mix="stress"), good_row()]
    for n in range(count):
        values = {k: v for k, v in rnd.choice(bases).items() if k in keys}
        for key in rnd.sample(keys, rnd.randint(0, 5)):
            values[key] = rnd.choice(_CELLS)
        formulas = {rnd.choice(keys)} if n % 50 == 0 else set()
        yield RawRow(row=n + 4, values=values, cells={k: f"X{n + 4}" for k in keys}, formula_missing=formulas)


def _context(config, engine: str = "compiled"):  # type: ignore[no-untyped-def]
    from toolkit.adapters.schema_check import field_specs, intake_check
    from toolkit.core.intake import IntakeContext
    from toolkit.intake import divisions_for

    return IntakeContext(fields=field_specs("intake"), reference_date=config.reference_date,
                         key_fields=config.key_fields, divisions=divisions_for(config),
                         check=intake_check(config, engine), existing_names=frozenset({"石家庄市甲技术创新中心"}))


def test_compiled_value_reader_gives_the_reference_values_and_findings(config):
    """check_row reads a row's values with a function generated from the form's fields; on 4,000 rows of
    every kind of cell in every column it gives the values (same types) and findings of the plain loop."""
    from toolkit.core.intake import check_row

    ctx = _context(config)
    seen_rules: set[str] = set()
    for raw in _varied_rows(config, 4000, seed=9):
        fast = check_row(raw, ctx)
        slow = check_row(raw, ctx, reference=True)
        assert fast.values == slow.values, raw.values
        assert [type(v) for v in fast.values.values()] == [type(v) for v in slow.values.values()]
        assert [f.to_dict() for f in fast.findings] == [f.to_dict() for f in slow.findings], raw.values
        seen_rules.update(f.rule for f in slow.findings)
    # the rows exercise what the reader reports itself, and the rules after it
    assert {"DATA.TYPE", "DATA.UNIT", "DATA.REQUIRED", "DATA.FORMULA", "A10.2.SALES", "A10.7.NAME"} <= seen_rules


def test_place_lookup_by_length_is_the_longest_first_scan(config):
    """Divisions.place finds the division by one lookup per name length; on thousands of addresses built
    from every name, alias and prefix (and near misses) it answers as the plain longest-first scan."""
    import random

    from toolkit.core.divisions import _norm
    from toolkit.intake import divisions_for

    divisions = divisions_for(config)

    def scan(text: str) -> str | None:
        raw = _norm(text)
        for s in (raw, divisions._strip_prefixes(raw)):
            for name, official in divisions._candidates():
                if s.startswith(name):
                    return official
        return None

    rnd = random.Random(5)
    names = [n for n, _ in divisions._candidates()]
    heads = ["", "河北省", "河北", "石家庄市", "石家庄", "河北省石家庄市", "河北石家庄", "河北省保定市", " 河北省 ", "ｼ"]
    tails = ["", "中山东路1号", "区", "高新区", "市", " 1号", "县城"]
    for _ in range(5000):
        name = rnd.choice(names)
        cut = name[: rnd.randint(1, len(name))] if rnd.random() < 0.2 else name
        text = rnd.choice(heads) + cut + rnd.choice(tails)
        assert divisions.place(text) == scan(text), text
    assert divisions.place("河北省石家庄市长安区中山东路1号") == "长安区"
    assert divisions.place("河北省邢台市桥西区中华大街1号") is None


def test_fast_uscc_check_answers_as_the_reference():
    """The row check's USCC test (bytes.translate) gives uscc_problem's answer on valid, altered and
    malformed codes; normalise_uscc's shortcut for plain codes gives its full answer."""
    import random

    from toolkit.core.intake import _uscc_problem
    from toolkit.core.uscc import ALPHABET, make_uscc, normalise_uscc, uscc_problem

    rnd = random.Random(3)
    alphabet = ALPHABET + "IOSVZ-abc １"
    for _ in range(5000):
        code = make_uscc("9113" + "".join(rnd.choice("0123456789") for _ in range(4))
                         + "".join(rnd.choice(ALPHABET) for _ in range(9)))
        if rnd.random() < 0.5:
            i = rnd.randrange(len(code))
            code = code[:i] + rnd.choice(alphabet) + code[i + 1:]
        if rnd.random() < 0.1:
            code = code[: rnd.randint(0, 19)]
        assert _uscc_problem(code) == uscc_problem(code), code
        assert normalise_uscc(code) == "".join(
            ch for ch in unicodedata.normalize("NFKC", code).upper() if not ch.isspace() and ch != "-")


def test_compact_drops_exactly_the_white_space_of_the_expression():
    """compact (str.split) removes what re's \\s matches, for every code point, after NFKC."""
    import re
    import sys

    from toolkit.core.values import compact

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if re.match(r"\s", chr(c)) or chr(c).isspace())
    for text in (spaces, f"石家庄市{spaces}甲　技术\u3000创新中心 ", "Ａ Ｂ\tＣ\n", "", "x"):
        assert compact(text) == re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_a_value_that_cannot_be_read_names_what_it_blocks(intake_file, config):
    """rules.md: DATA.REQUIRED and DATA.TYPE both name what they block, in the compiled and the plain reader."""
    from toolkit.core.intake import check_row

    report = check(intake_file, config, fixed_staff="约五十人")
    (f,) = report.rows[0].findings
    assert (f.rule, f.message) == ("DATA.TYPE", "固定人员数“约五十人”应为数字，无法核验第十条第（四）项")
    raw = report.table.rows[0]
    slow = check_row(raw, _context(config), reference=True)
    assert [x.message for x in slow.findings] == [f.message]
