"""Amount parsing: figures, 大写 capital numerals, 万/亿 units, 角/分, and text that is no amount."""

from __future__ import annotations

import pytest

from extractors.amounts import capital_to_number, find_amounts, parse_amount


@pytest.mark.parametrize(
    ("text", "value", "form"),
    [
        ("¥1,234,567.00", 1234567.0, "figures"),
        ("￥1234567元", 1234567.0, "figures"),
        ("人民币 1,234,567 元", 1234567.0, "figures"),
        ("1,286,400.00元", 1286400.0, "figures"),
        ("12.5万元", 125000.0, "figures"),
        ("3亿元", 300000000.0, "figures"),
        ("RMB 5,000", 5000.0, "figures"),
        ("(小写:¥1,286, 400.00)", 1286400.0, "figures"),  # a figure wrapped at the line end
        ("¥ 868,000.00", 868000.0, "figures"),
        ("人民币壹佰贰拾叁万肆仟伍佰陆拾柒元整", 1234567.0, "capital"),
        ("壹仟零伍拾万元", 10500000.0, "capital"),
        ("叁拾万元整", 300000.0, "capital"),
        ("壹佰贰拾捌万陆仟肆佰元整", 1286400.0, "capital"),
        ("陆拾万零捌佰元整", 600800.0, "capital"),
        ("壹万零壹元", 10001.0, "capital"),
        ("伍元叁角贰分", 5.32, "capital"),
        ("壹佰元零伍分", 100.05, "capital"),
        ("拾元整", 10.0, "capital"),
        ("壹亿零伍佰万元整", 105000000.0, "capital"),
        ("贰拾亿元", 2000000000.0, "capital"),
        ("壹万亿元", 1e12, "capital"),
        ("人民币贰佰叁拾肆万伍仟元正", 2345000.0, "capital"),
        ("(小写:Y3,560,000.00)", 3560000.0, "figures"),  # OCR reads ¥ as Y
        ("参佰伍拾陆万元整", 3560000.0, "capital"),  # OCR reads 叁 as 参
    ],
)
def test_amount_forms(text: str, value: float, form: str) -> None:
    got = parse_amount(text)
    assert got is not None
    assert got.value == pytest.approx(value)
    assert got.form == form


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("壹佰贰拾叁万肆仟伍佰陆拾柒", 1234567),
        ("拾", 10),
        ("拾伍", 15),
        ("壹仟零伍", 1005),
        ("壹仟零伍拾万", 10500000),
        ("伍万零叁佰", 50300),
        ("壹亿零伍佰万", 105000000),
        ("壹亿零壹", 100000001),
        ("三十万", 300000),
        ("伍伍", None),  # two digits without a unit
        ("佰拾", None),  # units without digits
        ("拾佰", None),  # ascending units
        ("壹佰佰", None),
        ("", None),
        ("万", None),
    ],
)
def test_capital_numerals(numeral: str, value: int | None) -> None:
    assert capital_to_number(numeral) == value


def test_both_forms_in_one_sentence() -> None:
    text = "本合同总金额为人民币(大写)壹佰贰拾捌万陆仟肆佰元整(小写:¥1,286,400.00),该金额已包含税费"
    found = find_amounts(text)
    assert [(a.form, a.value) for a in found] == [("capital", 1286400.0), ("figures", 1286400.0)]
    for a in found:
        assert text[a.span[0] : a.span[1]] == a.raw


@pytest.mark.parametrize(
    "text",
    [
        "第1页共8页",
        "2022年3月15日",
        "百分之三十",
        "一元复始",
        "编号 123456",
        "",
        "元",
        "整",
        "¥",
        "abc 12,3 xyz",
    ],
)
def test_no_amount(text: str) -> None:
    assert find_amounts(text) == []
