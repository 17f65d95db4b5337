"""Money amounts as printed on Chinese contracts: figures and 大写 (financial capital numerals).

Forms: ``¥1,234,567.00``, ``￥1234567元``, ``人民币 1,234,567 元``, ``1,286,400.00元``, ``12.5万元``,
``人民币壹佰贰拾叁万肆仟伍佰陆拾柒元整``, ``壹仟零伍拾万元``, ``叁拾万元整``, ``伍元叁角贰分``.
Every value is a float in yuan.

A bare number is never an amount: figures need a currency mark before them (¥ ￥ 人民币 RMB CNY)
or a unit after them (元 / 万元 / 亿元). The 大写 converter is written here rather than wrapping
``jionlp.parse_money``: jionlp rejects ``人民币…元整`` and ``¥1,234.00`` and costs seconds to import,
while capital numerals need a digit table and three unit levels.

>>> parse_amount('¥1,234,567.00').value
1234567.0
>>> parse_amount('人民币壹佰贰拾叁万肆仟伍佰陆拾柒元整').value
1234567.0
>>> parse_amount('12.5万元').value
125000.0
>>> capital_to_number('壹仟零伍拾万')
10500000
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

AmountForm = Literal["figures", "capital"]

_DIGITS = {
    "零": 0, "〇": 0, "○": 0,
    "壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "参": 3, "肆": 4, "伍": 5,
    "陆": 6, "陸": 6, "柒": 7, "捌": 8, "玖": 9,
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_SMALL_UNITS = {"拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}
_WAN = "万萬"
_YI = "亿億"
_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + _WAN + _YI

_CAPITAL_RE = re.compile(
    rf"(?P<int>[{_NUMERAL_CHARS}]+)?\s*(?P<yuan>[元圆])"
    rf"(?:\s*(?P<jiao>[{''.join(_DIGITS)}])\s*角)?(?:\s*零)?(?:\s*(?P<fen>[{''.join(_DIGITS)}])\s*分)?"
    r"(?:\s*[整正])?"
)
#: 大写 with a 万/亿 unit and 元 (叁拾万元整): caught by _CAPITAL_RE since 万 is a numeral char.

#: ¥ is often read as Y by OCR: accepted only right before a figure with thousands separators.
_CURRENCY_PREFIX = r"(?:[¥￥]|人民币|RMB|CNY|Y(?=\d{1,3},\d{3}))"
_NUMBER = r"(?:\d{1,3}(?:\s*,\s*\d{3})+|\d+)(?:\s*\.\s*\d+)?"
_FIGURES_RE = re.compile(
    rf"(?P<prefix>{_CURRENCY_PREFIX})?\s*[:：]?\s*(?P<num>{_NUMBER})\s*(?P<unit>万|亿)?\s*(?P<yuan>元)?"
)


@dataclass(frozen=True)
class Amount:
    """An amount found in a text: value in yuan, the printed form and its character span."""

    value: float
    form: AmountForm
    raw: str
    span: tuple[int, int]


def _fold(text: str) -> str:
    """Full-width digits/punctuation to half-width, one character for one (spans stay valid)."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 and ch not in "￥" else ch)
    return "".join(out)


def _section(s: str) -> int | None:
    """Value of a numeral below 一万 (仟/佰/拾 units, 零 as a placeholder), or None if malformed."""
    if not s:
        return 0
    total = 0
    digit: int | None = None
    last_unit = 10_000
    for ch in s:
        if ch in _DIGITS:
            if digit is not None and digit != 0 and _DIGITS[ch] != 0:
                return None  # two digits in a row (伍伍): not a numeral
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            if unit >= last_unit:
                return None  # units must descend (佰…拾), never repeat
            if digit is None:
                if unit != 10 or total:
                    return None  # only a leading 拾 may omit its 壹
                digit = 1
            if digit == 0:
                return None
            total += digit * unit
            last_unit = unit
            digit = None
        else:
            return None
    if digit:
        total += digit
    return total


def capital_to_number(s: str) -> int | None:
    """Integer value of a Chinese numeral with 万 / 亿 levels (壹亿零伍佰万, 壹仟零伍拾万, 拾万).

    Returns None for anything that is not a well-formed numeral.

    >>> [capital_to_number(x) for x in ('壹佰贰拾叁万肆仟伍佰陆拾柒', '拾万', '壹亿零伍佰万', '伍伍')]
    [1234567, 100000, 105000000, None]
    """
    s = re.sub(r"\s+", "", s)
    if not s:
        return None
    for ch in _YI:
        if ch in s:
            hi, lo = s.split(ch, 1)
            a = capital_to_number(hi) if hi else None
            b = capital_to_number(lo) if lo.strip("零〇○") else 0
            if a is None or b is None or b >= 100_000_000:
                return None
            return a * 100_000_000 + b
    for ch in _WAN:
        if ch in s:
            hi, lo = s.split(ch, 1)
            a = _section(hi) if hi else None
            b = _section(lo) if lo.strip("零〇○") else 0
            if a is None or b is None or a == 0:
                return None
            return a * 10_000 + b
    if not any(c in _SMALL_UNITS or c in _DIGITS for c in s):
        return None
    return _section(s)


def _capitals(text: str) -> list[Amount]:
    out: list[Amount] = []
    for m in _CAPITAL_RE.finditer(text):
        int_part = m.group("int")
        if not int_part and not (m.group("jiao") or m.group("fen")):
            continue
        if int_part and not any(c in int_part for c in "壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億"):
            continue  # 小写 numerals (一二三) before 元 are too often ordinary words
        value = capital_to_number(int_part) if int_part else 0
        if value is None:
            continue
        yuan = float(value)
        if m.group("jiao"):
            yuan += _DIGITS[m.group("jiao")] / 10
        if m.group("fen"):
            yuan += _DIGITS[m.group("fen")] / 100
        out.append(Amount(round(yuan, 2), "capital", m.group().strip(), (m.start(), m.end())))
    return out


def _figures(text: str) -> list[Amount]:
    folded = _fold(text)
    out: list[Amount] = []
    for m in _FIGURES_RE.finditer(folded):
        if not (m.group("prefix") or m.group("yuan")):
            continue
        start = m.start("num") if not m.group("prefix") else m.start()
        if start > 0 and (folded[start - 1].isdigit() or folded[start - 1] == "."):
            continue
        num = re.sub(r"[\s,]", "", m.group("num"))
        try:
            value = float(num)
        except ValueError:
            continue
        if m.group("unit") == "万":
            value *= 10_000
        elif m.group("unit") == "亿":
            value *= 100_000_000
        end = m.end()
        while end > start and folded[end - 1].isspace():
            end -= 1
        out.append(Amount(round(value, 2), "figures", text[start:end], (start, end)))
    return out


def find_amounts(text: str) -> list[Amount]:
    """Every amount in ``text`` (figures and 大写), in order of position."""
    found = _figures(text) + _capitals(text)
    return sorted(found, key=lambda a: a.span)


def parse_amount(text: str) -> Amount | None:
    """The first amount in ``text``, or None."""
    found = find_amounts(text)
    return found[0] if found else None
