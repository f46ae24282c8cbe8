"""The compiled threshold checker gives exactly jsonschema's violations (jsonschema is the engine of record)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from toolkit.adapters.schema_check import CompiledCheck, JsonSchemaCheck, Unsupported, form_schema


def random_instance(rnd: random.Random) -> dict:
    inst: dict = {}

    def maybe(key, *choices):  # type: ignore[no-untyped-def]
        if rnd.random() < 0.85:
            inst[key] = rnd.choice(choices)

    maybe("center_name", "石家庄市甲技术创新中心", "甲中心", "石家庄市技术创新中心", "石家庄市乙技术创新中心 ")
    maybe("reg_in_city", True, False)
    maybe("lead_uscc_region", "1301", "1300", "1000", "1101")
    maybe("reg_years", 0, 2, 3, 10)
    maybe("lead_credit", "无不良记录", "有不良记录")
    maybe("partner_credit", [], ["无不良记录"], ["无不良记录", "有不良记录"], ["有不良记录"] * 3)
    maybe("key_field", "新材料", "人工智能", "节能环保")
    maybe("rd_direction", "无", "工业机器人", "/", "暂无", "x")
    maybe("ip_count", 0, 1, 5)
    maybe("fixed_staff", 14, 15, 16)
    maybe("leader_credit", "无不良记录", "有不良记录")
    maybe("rd_space", Decimal("499.99"), Decimal(500), 501)
    maybe("equipment", Decimal("199.9"), 200, Decimal("200.1"))
    maybe("director_age", 59, 60, 61)
    maybe("director_other", True, False)
    maybe("director_months", Decimal("7.5"), 8, 12)
    maybe("higher_tic", True, False)
    maybe("lead_type", "企业", "高等院校", "科研院所", "其他")
    maybe("rd_org", True, False)
    maybe("sales", Decimal("1999.99"), 2000, Decimal("2000.01"))
    maybe("rd_spend", 99, 100, Decimal("100.5"))
    maybe("city_partner_count", 0, 1, 2, 3)
    maybe("has_partners", True, False)
    maybe("agreement", True, False)
    for k in ("share_conditions", "share_staff", "share_projects", "share_outcomes"):
        maybe(k, Decimal("49.9"), 50, Decimal(70))
    return inst


def key(v) -> tuple:  # type: ignore[no-untyped-def]
    return (v.rule, v.field, v.item, repr(v.value), v.template, tuple(sorted(v.limits.items())))


def test_compiled_equals_jsonschema_on_random_rows(config):
    schema = form_schema("intake", config)
    reference, fast = JsonSchemaCheck(schema), CompiledCheck(schema)
    rnd = random.Random(20260331)
    seen_rules: set[str] = set()
    for _ in range(3000):
        inst = random_instance(rnd)
        expected = sorted(key(v) for v in reference(inst))
        got = sorted(key(v) for v in fast(inst))
        assert got == expected, inst
        seen_rules.update(v[0] for v in got)
    assert len(seen_rules) >= 18  # the random rows reach (almost) every threshold


def test_unknown_keyword_falls_back_to_jsonschema():
    with pytest.raises(Unsupported):
        CompiledCheck({"type": "object", "properties": {"a": {"multipleOf": 3, "x-rule": "A10.4.STAFF"}}})
