"""Shared text helpers for extractors: normalisation, approximate keyword search, labels on lines.

OCR text of Chinese documents carries spaces between characters and the odd wrong character, so
searches run on *compact* text (whitespace removed) and may tolerate a few edits. A
:class:`LineIndex` maps every character of a line's compact text back to the word it came from, so
a match can be turned into words and a bbox.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.model import BBox, Line, Word, clamp_bbox, union_bbox

_WS = re.compile(r"\s+")
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）"})
_FULL_TO_HALF = str.maketrans({"（": "(", "）": ")"})


def compact(text: str) -> str:
    """``text`` without any whitespace."""
    return _WS.sub("", text)


def nfkc(text: str) -> str:
    """NFKC normalisation (full-width Latin/digits to half-width, ideographic space to space)."""
    return unicodedata.normalize("NFKC", text)


def full_width_parens(text: str) -> str:
    """Parentheses as full-width （ ） (the form used in Chinese names)."""
    return text.translate(_HALF_TO_FULL)


def half_width_parens(text: str) -> str:
    """Parentheses as half-width ( )."""
    return text.translate(_FULL_TO_HALF)


def normalize_name(text: str) -> str:
    """A printed name for storage/comparison: no whitespace, full-width parentheses.

    >>> normalize_name('科沃电子 (杭州) 有限公司')
    '科沃电子（杭州）有限公司'
    """
    return full_width_parens(compact(text))


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph."""
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


# --- approximate search -----------------------------------------------------------------------


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two short strings.

    >>> edit_distance("飞腾入息技术有限公司", "飞腾信息技术有限公司")
    1
    """
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class Match:
    """An occurrence of a keyword in a text: ``text[start:end]`` with ``errors`` edits."""

    start: int
    end: int
    errors: int
    keyword: str


def _sellers(pattern: str, text: str, max_errors: int, offset: int) -> list[Match]:
    """All (end-position) approximate occurrences of ``pattern`` in ``text`` (Levenshtein)."""
    m = len(pattern)
    col: list[tuple[int, int]] = [(i, 0) for i in range(m + 1)]  # (cost, start) per pattern prefix
    found: list[Match] = []
    for j, ch in enumerate(text):
        new: list[tuple[int, int]] = [(0, j + 1)]
        for i in range(1, m + 1):
            sub = (col[i - 1][0] + (pattern[i - 1] != ch), col[i - 1][1])
            dele = (new[i - 1][0] + 1, new[i - 1][1])
            ins = (col[i][0] + 1, col[i][1])
            new.append(min(sub, dele, ins))
        col = new
        cost, start = col[m]
        if cost <= max_errors:
            found.append(Match(offset + start, offset + j + 1, cost, pattern))
    return found


def _best_non_overlapping(matches: Iterable[Match], m: int) -> list[Match]:
    ranked = sorted(set(matches), key=lambda x: (x.errors, abs((x.end - x.start) - m), x.start))
    chosen: list[Match] = []
    for mt in ranked:
        if all(mt.end <= c.start or mt.start >= c.end for c in chosen):
            chosen.append(mt)
    return sorted(chosen, key=lambda x: x.start)


def fuzzy_find(keyword: str, text: str, max_errors: int = 0) -> list[Match]:
    """Non-overlapping occurrences of ``keyword`` in ``text`` with at most ``max_errors`` edits.

    Exact occurrences are found with ``str.find``; approximate ones only around exact occurrences
    of one of ``max_errors + 1`` pieces of the keyword (pigeonhole), so the search stays cheap.

    >>> [(m.start, m.errors) for m in fuzzy_find('统一社会信用代码', 'xx统一社会信甩代码9', 1)]
    [(2, 1)]
    """
    m = len(keyword)
    if m == 0:
        return []
    exact: list[Match] = []
    pos = text.find(keyword)
    while pos >= 0:
        exact.append(Match(pos, pos + m, 0, keyword))
        pos = text.find(keyword, pos + m)
    k = min(max_errors, m // 3)
    if k == 0:
        return exact
    pieces = k + 1
    size = m // pieces
    windows: set[tuple[int, int]] = set()
    for p in range(pieces):
        piece = keyword[p * size : (p + 1) * size if p < pieces - 1 else m]
        start = text.find(piece)
        while start >= 0:
            lo = max(0, start - p * size - k - 1)
            hi = min(len(text), lo + m + 2 * k + 2)
            windows.add((lo, hi))
            start = text.find(piece, start + 1)
    found = list(exact)
    for lo, hi in windows:
        found.extend(_sellers(keyword, text[lo:hi], k, lo))
    return _best_non_overlapping(found, m)


def find_any(keywords: Sequence[str], text: str, max_errors: int = 0, min_len_fuzzy: int = 4) -> list[Match]:
    """Occurrences of any keyword; keywords shorter than ``min_len_fuzzy`` must match exactly."""
    out: list[Match] = []
    for kw in keywords:
        out.extend(fuzzy_find(kw, text, max_errors if len(kw) >= min_len_fuzzy else 0))
    return _best_non_overlapping(out, 0)


# --- lines -------------------------------------------------------------------------------------


@dataclass
class LineIndex:
    """A line's compact text with, for each character, the index of the word it came from."""

    line: Line
    text: str
    owner: list[int]

    @classmethod
    def of(cls, line: Line) -> LineIndex:
        """Index ``line``."""
        text = ""
        owner: list[int] = []
        for i, w in enumerate(line.words):
            t = compact(w.text)
            text += t
            owner.extend([i] * len(t))
        return cls(line, text, owner)

    def words_for(self, start: int, end: int) -> list[Word]:
        """Words that contributed characters to ``text[start:end]``."""
        idx = sorted(set(self.owner[start:end]))
        return [self.line.words[i] for i in idx]

    def bbox_for(self, start: int, end: int) -> BBox | None:
        """Bbox of the characters ``text[start:end]``, cut proportionally inside partial words."""
        if start >= end:
            return None
        boxes: list[BBox] = []
        for wi in sorted(set(self.owner[start:end])):
            w = self.line.words[wi]
            chars = [k for k, o in enumerate(self.owner) if o == wi]
            n = len(chars)
            a = max(start, chars[0]) - chars[0]
            b = min(end, chars[-1] + 1) - chars[0]
            x0, y0, x1, y1 = w.bbox
            width = x1 - x0
            boxes.append((x0 + width * a / n, y0, x0 + width * b / n, y1))
        return clamp_bbox(*union_bbox(boxes))

    def confidence_for(self, start: int, end: int) -> float:
        """Mean OCR confidence of the words behind ``text[start:end]``."""
        words = self.words_for(start, end)
        return sum(w.confidence for w in words) / len(words) if words else 0.0


@dataclass(frozen=True)
class LabelHit:
    """A label found on a line: which field, where (line number, compact-text span), how well."""

    field: str
    line_no: int
    start: int
    end: int
    errors: int


def find_labels(
    lines: Sequence[LineIndex],
    labels: Mapping[str, Sequence[str]],
    max_errors: int = 1,
    min_len_fuzzy: int = 4,
) -> list[LabelHit]:
    """Every label occurrence on ``lines``; ``labels`` maps a field name to its label variants.

    Overlapping hits of different fields are resolved in favour of fewer errors, then the longer
    label."""
    hits: list[LabelHit] = []
    for ln_no, li in enumerate(lines):
        cands: list[tuple[Match, str]] = []
        for name, variants in labels.items():
            for v in variants:
                k = max_errors if len(v) >= min_len_fuzzy else 0
                cands.extend((m, name) for m in fuzzy_find(v, li.text, k))
        cands.sort(key=lambda c: (c[0].errors, -(c[0].end - c[0].start), c[0].start))
        taken: list[Match] = []
        for m, name in cands:
            if all(m.end <= t.start or m.start >= t.end for t in taken):
                taken.append(m)
                hits.append(LabelHit(name, ln_no, m.start, m.end, m.errors))
    return sorted(hits, key=lambda h: (h.line_no, h.start))
