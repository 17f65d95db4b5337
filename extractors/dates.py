"""Dates and date ranges as printed on Chinese documents.

Handles ``2021年3月5日`` (also with OCR spaces), ``2021-03-05``, ``2021.3.5``, ``2021/03/05``,
Chinese numerals (``二〇二一年三月五日``, ``二零二一年十二月三十一日``), month precision
(``2021年03月``), ranges joined by 至 / 到 / — / ~ / - and open ends (长期, 永久, 无固定期限, ******).
Only real calendar dates are returned (2023-02-29 is rejected, 2024-02-29 accepted).

Chinese numerals are converted here rather than through ``jionlp.parse_time``: jionlp reads an
OCR'd ``二O一二`` as 1912 and prints tracebacks for impossible dates, and date numerals need only
a digit table.

>>> parse_date('2021 年 3 月 5 日').iso
'2021-03-05'
>>> parse_date('二〇二一年十二月三十一日').iso
'2021-12-31'
>>> r = parse_range('2016年08月16日至长期')
>>> (r.start.iso, r.end, r.open_end)
('2016-08-16', None, True)
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Precision = Literal["day", "month"]

MIN_YEAR = 1900
MAX_YEAR = 2100

_CN_DIGITS = {
    "〇": 0, "零": 0, "○": 0, "O": 0, "o": 0, "Ｏ": 0, "D": 0, "0": 0,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_YEAR_CHARS = "〇零○OoＯD0一二三四五六七八九"
_CN_SMALL_CHARS = "一二三四五六七八九十廿卅"

_ARABIC = (
    r"(?P<y>(?:19|20)\d{2})\s*"
    r"(?:[^\d\s年月日.\-/]?\s*年\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})(?:\s*日|(?!\s*\d)))?"
    r"|(?P<sep>[-./])\s*(?P<m2>\d{1,2})\s*(?P=sep)\s*(?P<d2>\d{1,2})(?!\d))"
)
_CHINESE = (
    rf"(?P<cy>[{_CN_YEAR_CHARS}](?:\s*[{_CN_YEAR_CHARS}]){{3}})\s*年\s*"
    rf"(?P<cm>[{_CN_SMALL_CHARS}]{{1,2}})\s*月(?:\s*(?P<cd>[{_CN_SMALL_CHARS}]{{1,3}})\s*日)?"
)
DATE_RE = re.compile(rf"(?<!\d)(?:{_ARABIC}|{_CHINESE})")

OPEN_END_WORDS = ("长期", "永久", "无固定期限", "不约定期限", "永久存续")
_OPEN_END = r"(?P<open>" + "|".join(OPEN_END_WORDS) + r"|[*＊※]{2,})"
_CONNECTOR = r"\s*(?:至|到|起至|—+|–|-|－|~|～|〜)\s*"


@dataclass(frozen=True)
class ParsedDate:
    """A calendar date as read, with its precision and where it was found.

    For month precision ``value`` is the first of the month; :attr:`last_day` gives the end."""

    value: date
    precision: Precision
    raw: str
    span: tuple[int, int] = (0, 0)

    @property
    def iso(self) -> str:
        """``YYYY-MM-DD`` (first of the month for month precision)."""
        return self.value.isoformat()

    @property
    def last_day(self) -> date:
        """The last day the printed date covers (the month's end for month precision)."""
        return end_of_month(self.value) if self.precision == "month" else self.value


@dataclass(frozen=True)
class DateRange:
    """A period ``start``–``end``; ``end`` is None with ``open_end`` for 长期 and the like."""

    start: ParsedDate | None
    end: ParsedDate | None
    raw: str
    span: tuple[int, int]
    open_end: bool = False
    notes: list[str] = field(default_factory=list)


def end_of_month(d: date) -> date:
    """The last day of ``d``'s month.

    >>> end_of_month(date(2024, 2, 10))
    datetime.date(2024, 2, 29)
    """
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _fold(text: str) -> str:
    """Full-width digits and punctuation to half-width, one character for one (spans stay valid)."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def cn_small_number(s: str) -> int | None:
    """Value of a Chinese numeral 1..39 as used for months and days (十二, 二十九, 三十一, 廿五).

    >>> [cn_small_number(x) for x in ('五', '十', '十二', '二十', '三十一', '廿五', '十十')]
    [5, 10, 12, 20, 31, 25, None]
    """
    s = s.replace("廿", "二十").replace("卅", "三十")
    m = re.fullmatch(r"([一二三])?十([一二三四五六七八九])?|([一二三四五六七八九])", s)
    if not m:
        return None
    if m.group(3):
        return _CN_DIGITS[m.group(3)]
    tens = _CN_DIGITS[m.group(1)] if m.group(1) else 1
    ones = _CN_DIGITS[m.group(2)] if m.group(2) else 0
    return tens * 10 + ones


def _make(y: int, m: int, d: int | None) -> tuple[date, Precision] | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return (date(y, m, d), "day") if d is not None else (date(y, m, 1), "month")
    except ValueError:
        return None


def _from_match(mt: re.Match[str]) -> tuple[date, Precision] | None:
    g = mt.groupdict()
    if g["y"]:
        y = int(g["y"])
        if g["m"]:
            return _make(y, int(g["m"]), int(g["d"]) if g["d"] else None)
        return _make(y, int(g["m2"]), int(g["d2"]))
    year = "".join(str(_CN_DIGITS[c]) for c in g["cy"] if not c.isspace())
    month = cn_small_number(g["cm"])
    day = cn_small_number(g["cd"]) if g["cd"] else None
    if month is None or (g["cd"] and day is None):
        return None
    return _make(int(year), month, day)


def find_dates(text: str) -> list[ParsedDate]:
    """Every valid date in ``text`` with its character span, in order."""
    folded = _fold(text)
    out: list[ParsedDate] = []
    for mt in DATE_RE.finditer(folded):
        got = _from_match(mt)
        if got:
            out.append(ParsedDate(got[0], got[1], text[mt.start() : mt.end()], (mt.start(), mt.end())))
    return out


def parse_date(text: str) -> ParsedDate | None:
    """The first valid date in ``text``, or None."""
    found = find_dates(text)
    return found[0] if found else None


def find_ranges(text: str) -> list[DateRange]:
    """Every ``date <connector> date|open-end`` range in ``text``."""
    folded = _fold(text)
    dates = find_dates(text)
    out: list[DateRange] = []
    i = 0
    while i < len(dates):
        d1 = dates[i]
        conn = re.compile(_CONNECTOR).match(folded, d1.span[1])
        if conn:
            after = conn.end()
            nxt = dates[i + 1] if i + 1 < len(dates) else None
            if nxt and nxt.span[0] == after:
                span = (d1.span[0], nxt.span[1])
                notes = [] if nxt.last_day >= d1.value else ["end before start"]
                out.append(DateRange(d1, nxt, text[span[0] : span[1]], span, notes=notes))
                i += 2
                continue
            op = re.compile(_OPEN_END).match(folded, after)
            if op:
                span = (d1.span[0], op.end())
                note = f"open-ended ({text[op.start() : op.end()]}): no end date"
                out.append(DateRange(d1, None, text[span[0] : span[1]], span, open_end=True, notes=[note]))
        i += 1
    return out


def parse_range(text: str) -> DateRange | None:
    """The first range in ``text``, or None."""
    found = find_ranges(text)
    return found[0] if found else None
