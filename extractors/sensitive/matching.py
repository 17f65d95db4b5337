"""spaCy at the core: one ``spacy.blank("zh")`` vocabulary, one PhraseMatcher and one Matcher built
once per configuration (module-level cache) and run once per page.

The page's matching view (``PageText.norm``) becomes a ``Doc`` with one token per character, so a
token index is a character offset. Terms are matched on those character tokens:

* PhraseMatcher — every keyword term, every phrase-form classification mark and every exclusion
  phrase, plus the one-look-alike variants (``screening.yaml`` ``ocr.confusions``) of terms at least
  ``confusion_min_len`` characters long;
* Matcher — the structured markings (``机密★1年``, ``密级：机密``), run only on small windows
  around ``★`` and label characters;
* for terms at least ``wildcard_min_len`` long, one arbitrary CJK character at an interior
  position: each half of such a term is a PhraseMatcher anchor (one half is always exact), and the
  whole window is then compared character by character.

A match is reported as (key, start, end, substitution) where the substitution, if any, says which
character of the canonical term the page had differently.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from extractors.sensitive.config import SensitiveConfig

STAR = "★"
KEY_SEP = "\x1f"


def norm_term(term: str, star_variants: str = "") -> str:
    """Normalise a configured term the way the page view is normalised (NFKC, lower, ★)."""
    out: list[str] = []
    for c in unicodedata.normalize("NFKC", term):
        if c.isspace() and (not out or out[-1] == " "):
            continue
        if c in star_variants:
            out.append(STAR)
            continue
        low = c.lower()
        out.append(" " if c.isspace() else (low if len(low) == 1 else c))
    return "".join(out).strip()


@dataclass(frozen=True)
class TermMatch:
    """One match of a configured term (or structured mark) on the page view."""

    group: str  # e.g. "kw:military", "mark:state_secret", "excl", "cls:star", "cls:label"
    term: str  # the canonical (normalised) term, "" for structured marks
    start: int
    end: int
    substitution: tuple[int, str] | None = None  # (index in term, character found); (0, "") for marks


def _is_cjk(c: str) -> bool:
    return not c.isascii() and c.isalpha()


class PageMatcher:
    """All spaCy matchers of one configuration."""

    def __init__(self, cfg: SensitiveConfig) -> None:
        self.cfg = cfg
        self.nlp: Language = spacy.blank("zh")
        self.vocab = self.nlp.vocab
        stars = cfg.screening.ocr.star_variants
        self.stars = stars
        ocr = cfg.screening.ocr
        self.confusions = {norm_term(k): [norm_term(a) for a in v] for k, v in ocr.confusions.items()}
        self.phrase = PhraseMatcher(self.vocab, attr="ORTH")
        self.matcher = Matcher(self.vocab)
        self._keys: dict[int, tuple[str, str]] = {}
        self._lock = threading.Lock()

        terms: dict[str, set[str]] = {}
        for kl in cfg.keywords.lists:
            terms.setdefault(f"kw:{kl.id}", set()).update(norm_term(t, stars) for t in kl.terms)
        for mark in cfg.classification.marks:
            terms.setdefault(f"mark:{mark.name}", set()).update(norm_term(t, stars) for t in mark.terms)
        terms["excl"] = {norm_term(t, stars) for t in cfg.classification.exclusions}
        for group, ts in terms.items():
            for t in sorted(ts):
                self._add_term(group, t, fuzzy=group != "excl")
        self._add_structured()

    # -- building ---------------------------------------------------------------------------------
    def _doc(self, text: str) -> Doc:
        return Doc(self.vocab, words=list(text), spaces=[False] * len(text))

    def _key(self, group: str, term: str) -> str:
        key = f"{group}{KEY_SEP}{term}"
        self._keys[self.vocab.strings.add(key)] = (group, term)
        return key

    def _add_term(self, group: str, term: str, *, fuzzy: bool) -> None:
        if not term:
            return
        ocr = self.cfg.screening.ocr
        key = self._key(group, term)
        variants = {term}
        if fuzzy and len(term) >= ocr.confusion_min_len:
            for i, c in enumerate(term):
                for alt in self.confusions.get(c, []):
                    variants.add(term[:i] + alt + term[i + 1 :])
        self.phrase.add(key, [self._doc(v) for v in sorted(variants)])
        if fuzzy and len(term) >= ocr.wildcard_min_len and all(_is_cjk(c) for c in term):
            # one arbitrary interior character: then the first or the second half is exact,
            # so the halves are anchors and the full window is compared in ``match``
            half = len(term) // 2
            anchors = [self._doc(term[:half]), self._doc(term[half:])]
            self.phrase.add(self._key("anchor:" + group, term), anchors)

    def _chars(self, word: str) -> list[dict[str, Any]]:
        """Token patterns for ``word`` where each character may also be one of its look-alikes."""
        return [{"ORTH": {"IN": [c, *self.confusions.get(c, [])]}} for c in word]

    def _in(self, words: set[str], pos: int) -> dict[str, Any]:
        """A token that is character ``pos`` of one of ``words`` or a look-alike of it."""
        chars = {w[pos] for w in words}
        return {"ORTH": {"IN": sorted(chars | {a for c in chars for a in self.confusions.get(c, [])})}}

    def _add_structured(self) -> None:
        """Few, general patterns (the Matcher's cost grows with the pattern count); what they match
        is checked against the configured words in ``_check_structured``."""
        cls = self.cfg.classification
        stars = self.stars
        self.levels = {norm_term(lv, stars) for lv in cls.levels}
        self.labels = {norm_term(lb, stars) for lb in cls.labels}
        self.values = {norm_term(v, stars) for v in cls.label_values}
        lv2 = {lv[-2:] for lv in self.levels}
        star: dict[str, Any] = {"ORTH": STAR}
        units = sorted({norm_term(u, stars)[-1] for u in cls.period_units})
        numerals = [norm_term(n, stars) for n in cls.chinese_numerals]
        periods: list[list[dict[str, Any]]] = [
            [],
            [{"IS_DIGIT": True, "OP": "+"}, {"ORTH": "个", "OP": "?"}, {"ORTH": {"IN": units}}],
            [{"ORTH": {"IN": numerals}, "OP": "+"}, {"ORTH": "个", "OP": "?"}, {"ORTH": {"IN": units}}],
        ]
        periods += [[{"ORTH": c} for c in norm_term(w, stars)] for w in cls.period_words]
        head = [self._in(lv2, 0), self._in(lv2, 1), star]
        self.matcher.add(self._key("cls:star", ""), [head + p for p in periods], greedy="LONGEST")
        self.lookalikes = set(self.cfg.screening.ocr.star_lookalikes)
        self.level2 = lv2
        if self.lookalikes:  # an OCR'd star: only with a period after it
            alike = [self._in(lv2, 0), self._in(lv2, 1), {"ORTH": {"IN": sorted(self.lookalikes)}}]
            self.matcher.add(
                self._key("cls:star_ocr", ""), [alike + p for p in periods if p], greedy="LONGEST"
            )
        lb2 = {lb[-2:] for lb in self.labels}
        sep: dict[str, Any] = {"ORTH": {"IN": [":", "为", "是"]}, "OP": "?"}
        label_patterns = []
        for n in sorted({len(v) for v in self.values}):
            vals = {v for v in self.values if len(v) == n}
            label_patterns.append(
                [self._in(lb2, 0), self._in(lb2, 1), sep, *[self._in(vals, i) for i in range(n)]]
            )
        self.matcher.add(self._key("cls:label", ""), label_patterns, greedy="LONGEST")
        self.anchor_chars = {STAR} | {lb[-1] for lb in self.labels}

    @staticmethod
    def _closest(text: str, words: set[str]) -> int:
        """Fewest differing characters between ``text`` and a same-length word of ``words``."""
        return min(
            (sum(a != b for a, b in zip(text, w, strict=True)) for w in words if len(w) == len(text)),
            default=99,
        )

    def _check_structured(self, norm: str, group: str, s: int, e: int) -> tuple[int, int] | None:
        """Start (possibly extended to a longer level / label) and substitution count, or None."""
        if group in ("cls:star", "cls:star_ocr"):
            cut = s + 2
            subs = self._closest(norm[s:cut], {lv[-2:] for lv in self.levels})
            for lv in self.levels:  # 核心商密: extend to the longer level written before
                if len(lv) > 2 and s >= len(lv) - 2 and norm[cut - len(lv) : cut] == lv:
                    s = cut - len(lv)
            return (s, subs) if subs <= 1 else None
        text = norm[s:e]
        body = text[2:].lstrip(":为是")
        subs = self._closest(text[:2], {lb[-2:] for lb in self.labels}) + self._closest(body, self.values)
        if subs > 1:
            return None
        for lb in sorted(self.labels, key=len, reverse=True):
            if len(lb) > 2 and s >= len(lb) - 2 and norm[s - len(lb) + 2 : s + 2] == lb:
                return (s - len(lb) + 2, subs)
        return (s, subs)

    def _structured(self, norm: str) -> list[tuple[int, int, int]]:
        """Run the structured-mark Matcher only on small windows around ★ and label characters."""
        windows: list[list[int]] = []
        for i, c in enumerate(norm):
            if c in self.anchor_chars or (c in self.lookalikes and norm[i - 2 : i] in self.level2):
                lo, hi = max(0, i - 8), min(len(norm), i + 10)
                if windows and lo <= windows[-1][1]:
                    windows[-1][1] = hi
                else:
                    windows.append([lo, hi])
        out: list[tuple[int, int, int]] = []
        for lo, hi in windows:
            out += [(k, s + lo, e + lo) for k, s, e in self.matcher(self._doc(norm[lo:hi]))]
        return out

    def match(self, norm: str) -> list[TermMatch]:
        """Every term / mark match on the normalised page view ``norm``."""
        if not norm:
            return []
        doc = self._doc(norm)
        with self._lock:  # spaCy matchers are not documented as thread-safe
            raw = [*self.phrase(doc), *self._structured(norm)]
        out: list[TermMatch] = []
        seen: set[tuple[str, str, int, int]] = set()
        for key, s, e in raw:
            group, term = self._keys[key]
            if group.startswith("cls:"):
                checked = self._check_structured(norm, group, s, e)
                if checked is None:
                    continue
                s = checked[0]
                fuzzy = checked[1] or group == "cls:star_ocr"
                out.append(
                    TermMatch(
                        "cls:star" if group == "cls:star_ocr" else group, "", s, e, (0, "") if fuzzy else None
                    )
                )
                continue
            if group.startswith("anchor:"):
                group = group[7:]
                half = len(term) // 2
                s = s if norm[s:e] == term[:half] else s - half
                e = s + len(term)
                if s < 0 or e > len(norm):
                    continue
            if (group, term, s, e) in seen:
                continue
            seen.add((group, term, s, e))
            sub: tuple[int, str] | None = None
            if term:
                found = norm[s:e]
                diffs = [i for i, (a, b) in enumerate(zip(term, found, strict=True)) if a != b]
                if len(diffs) > 1:
                    continue
                if diffs:
                    i = diffs[0]
                    if found[i] not in self.confusions.get(term[i], []):
                        interior = 0 < i < len(term) - 1
                        if len(term) < self.cfg.screening.ocr.wildcard_min_len or not interior:
                            continue
                    if not _is_cjk(found[i]):
                        continue
                    sub = (i, found[i])
                if not self._ascii_boundary(norm, s, e, term):
                    continue
            out.append(TermMatch(group, term, s, e, sub))
        return sorted(out, key=lambda m: (m.start, -m.end))

    @staticmethod
    def _ascii_boundary(norm: str, s: int, e: int, term: str) -> bool:
        """ASCII terms (``0day``, ``webshell``) must not sit inside a longer ASCII word."""

        def word(c: str) -> bool:
            return c.isascii() and c.isalnum()

        if word(term[0]) and s > 0 and word(norm[s - 1]):
            return False
        return not (word(term[-1]) and e < len(norm) and word(norm[e]))


_BUILD_LOCK = threading.Lock()
_CACHE: dict[int, tuple[SensitiveConfig, PageMatcher]] = {}


def page_matcher(cfg: SensitiveConfig) -> PageMatcher:
    """The (cached) matchers for ``cfg``; built once, reused for every page."""
    with _BUILD_LOCK:
        hit = _CACHE.get(id(cfg))
        if hit is None or hit[0] is not cfg:
            if len(_CACHE) >= 8:
                _CACHE.clear()
            hit = (cfg, PageMatcher(cfg))
            _CACHE[id(cfg)] = hit
        return hit[1]
