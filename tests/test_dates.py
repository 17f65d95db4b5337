"""Date and date-range parsing."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.dates import end_of_month, find_dates, find_ranges, parse_date, parse_range


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2021年3月5日", "2021-03-05", "day"),
        ("2021 年 3 月 5 日", "2021-03-05", "day"),
        ("成立日期：2021年03月05日", "2021-03-05", "day"),
        ("2021-03-05", "2021-03-05", "day"),
        ("2021.3.5", "2021-03-05", "day"),
        ("2021/03/05", "2021-03-05", "day"),
        ("２０２１年３月５日", "2021-03-05", "day"),
        ("二〇二一年三月五日", "2021-03-05", "day"),
        ("二零二一年三月五日", "2021-03-05", "day"),
        ("二〇二一年十二月三十一日", "2021-12-31", "day"),
        ("二〇〇一年九月五日", "2001-09-05", "day"),
        ("二〇〇一年七月十一日", "2001-07-11", "day"),
        ("二O一二年五月二十日", "2012-05-20", "day"),
        ("二〇二一年十月", "2021-10-01", "month"),
        ("2021年03月", "2021-03-01", "month"),
        ("2024-02-29", "2024-02-29", "day"),
        ("二〇二四年二月二十九日", "2024-02-29", "day"),
    ],
)
def test_parse_date(text: str, iso: str, precision: str) -> None:
    got = parse_date(text)
    assert got is not None
    assert got.iso == iso
    assert got.precision == precision


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29",
        "2023年2月29日",
        "二〇二三年二月二十九日",
        "2021年13月1日",
        "2021-04-31",
        "1850年1月1日",
        "电话 20210305",
        "no date here",
        "",
    ],
)
def test_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_month_precision_end() -> None:
    got = parse_date("2024年02月")
    assert got is not None and got.precision == "month"
    assert got.last_day == date(2024, 2, 29)
    assert end_of_month(date(2023, 2, 1)) == date(2023, 2, 28)
    assert end_of_month(date(2021, 12, 31)) == date(2021, 12, 31)


def test_find_dates_spans() -> None:
    text = "成立日期 2016年08月16日，发证日期 2022-01-05"
    got = find_dates(text)
    assert [d.iso for d in got] == ["2016-08-16", "2022-01-05"]
    for d in got:
        assert text[d.span[0] : d.span[1]] == d.raw


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2016年08月16日至2036年08月15日", "2016-08-16", "2036-08-15"),
        ("2016年08月16日 至 2036年08月15日", "2016-08-16", "2036-08-15"),
        ("2020年1月1日—2020年12月31日", "2020-01-01", "2020-12-31"),
        ("2021.3.5~2022.3.4", "2021-03-05", "2022-03-04"),
        ("2021-03-05 - 2022-03-04", "2021-03-05", "2022-03-04"),
        ("2021/03/05到2022/03/04", "2021-03-05", "2022-03-04"),
        ("二〇二一年三月五日至二〇二二年三月四日", "2021-03-05", "2022-03-04"),
    ],
)
def test_ranges(text: str, start: str, end: str) -> None:
    got = parse_range(text)
    assert got is not None and got.start is not None and got.end is not None
    assert (got.start.iso, got.end.iso) == (start, end)
    assert not got.open_end and got.notes == []


@pytest.mark.parametrize("tail", ["长期", "永久", "无固定期限", "******", "＊＊＊＊"])
def test_open_ended_ranges(tail: str) -> None:
    got = parse_range(f"营业期限 2010年04月30日 至 {tail}")
    assert got is not None and got.start is not None
    assert got.start.iso == "2010-04-30"
    assert got.end is None and got.open_end
    assert got.notes and "no end date" in got.notes[0]


def test_range_end_before_start_is_noted() -> None:
    got = parse_range("2022年1月1日至2021年1月1日")
    assert got is not None and got.notes == ["end before start"]


def test_two_ranges() -> None:
    got = find_ranges("2020.1.1-2020.12.31；2021.1.1-长期")
    assert len(got) == 2
    assert got[1].open_end
