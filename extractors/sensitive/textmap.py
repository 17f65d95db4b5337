"""The matching view of a page: compact text with a char→word index, so every hit maps back to boxes.

The view is built line by line in reading order. Every character is NFKC-normalised; whitespace and
line breaks are dropped (so ``机 密 ★ 1 年`` and a term split over two lines still match), except that
one space is kept between two ASCII letters/digits that were separated (``root password``).
Two strings of equal length are kept: ``orig`` (what was read, for display) and ``norm`` (lower-case,
every star look-alike mapped to ``★``) which all matchers run on.

Box of a span: for each word it touches, the part of the word box proportional to the characters
covered (words are horizontal text; CJK characters are nearly monospaced); the hit box is the union
of those parts over all lines it touches (a hit split over two lines gets the union of both lines).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from pipeline.model import BBox, Word, clamp_bbox, union_bbox


@dataclass(frozen=True)
class CharRef:
    """Where one view character came from: word index, char index in the word text, word length."""

    word: int
    pos: int
    length: int


@dataclass
class PageText:
    """Matching view of one page (or of one plain text)."""

    orig: str
    norm: str
    refs: list[CharRef | None]
    line_of: list[int]
    line_spans: list[tuple[int, int]]
    words: list[Word] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.norm)

    def bbox(self, start: int, end: int) -> BBox | None:
        """Union of the (partial) word boxes covered by ``[start, end)``, or None without boxes."""
        if not self.words:
            return None
        spans: dict[int, list[int]] = {}
        lengths: dict[int, int] = {}
        for ref in self.refs[start:end]:
            if ref is None:
                continue
            spans.setdefault(ref.word, []).append(ref.pos)
            lengths[ref.word] = ref.length
        boxes: list[BBox] = []
        for wi, positions in spans.items():
            x0, y0, x1, y1 = self.words[wi].bbox
            n = max(lengths[wi], 1)
            a, b = min(positions), max(positions) + 1
            if (y1 - y0) > 2.0 * (x1 - x0) and n > 1:  # vertical text: split along y
                boxes.append((x0, y0 + (y1 - y0) * a / n, x1, y0 + (y1 - y0) * b / n))
            else:
                boxes.append((x0 + (x1 - x0) * a / n, y0, x0 + (x1 - x0) * b / n, y1))
        if not boxes:
            return None
        return clamp_bbox(*union_bbox(boxes))

    def word_boxes(self, start: int, end: int) -> list[BBox]:
        """Full boxes of the words covered by ``[start, end)`` (for header/footer tests)."""
        seen: list[int] = []
        for ref in self.refs[start:end]:
            if ref is not None and ref.word not in seen:
                seen.append(ref.word)
        return [self.words[i].bbox for i in seen] if self.words else []


def _is_ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


class _Builder:
    def __init__(self, star_variants: str) -> None:
        self.stars = set(star_variants)
        self.orig: list[str] = []
        self.norm: list[str] = []
        self.refs: list[CharRef | None] = []
        self.line_of: list[int] = []
        self.line_spans: list[tuple[int, int]] = []
        self._gap = False

    def _norm_char(self, c: str) -> str:
        if c in self.stars:
            return "★"
        low = c.lower()
        return low if len(low) == 1 else c

    def _chars(self, text: str) -> list[tuple[int, str]]:
        """(position in ``text``, NFKC character) pairs; one NFKC call when lengths agree."""
        whole = unicodedata.normalize("NFKC", text)
        if len(whole) == len(text):
            return list(enumerate(whole))
        return [(pos, c) for pos, raw in enumerate(text) for c in unicodedata.normalize("NFKC", raw)]

    def add_word(self, text: str, word: int | None, line: int) -> None:
        n = len(text)
        orig, norm, refs, line_of = self.orig, self.norm, self.refs, self.line_of
        for pos, c in self._chars(text):
            if c.isspace():
                self._gap = True
                continue
            if self._gap and orig and _is_ascii_alnum(orig[-1]) and _is_ascii_alnum(c):
                orig.append(" ")
                norm.append(" ")
                refs.append(None)
                line_of.append(line)
            self._gap = False
            orig.append(c)
            norm.append(self._norm_char(c) if not ("\u4e00" <= c <= "\u9fff") else c)
            refs.append(CharRef(word, pos, n) if word is not None else None)
            line_of.append(line)
        self._gap = True

    def end_line(self, start: int) -> None:
        self.line_spans.append((start, len(self.orig)))
        self._gap = True


def build_page_text(lines: list[list[Word]], star_variants: str) -> PageText:
    """Matching view of a page's lines (each a list of words in reading order)."""
    b = _Builder(star_variants)
    words: list[Word] = []
    for li, line in enumerate(lines):
        start = len(b.orig)
        for w in line:
            words.append(w)
            b.add_word(w.text, len(words) - 1, li)
        b.end_line(start)
    return PageText("".join(b.orig), "".join(b.norm), b.refs, b.line_of, b.line_spans, words)


def build_plain_text(text: str, star_variants: str) -> PageText:
    """Matching view of a plain text (no boxes); lines are split on newlines."""
    b = _Builder(star_variants)
    for li, line in enumerate(text.splitlines()):
        start = len(b.orig)
        b.add_word(line, None, li)
        b.end_line(start)
    return PageText("".join(b.orig), "".join(b.norm), b.refs, b.line_of, b.line_spans, [])
