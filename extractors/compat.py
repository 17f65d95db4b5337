"""信创 compatibility entries: product mentions (CPU, OS, database, middleware) mapped to catalogue ids.

Two entry points:

* :func:`normalize_product` — a declared free-text form ("银河麒麟V10", "Kunpeng920", "达梦DM8",
  "飞腾") to a :class:`ProductMatch`: canonical id, family, version, category, level
  (``exact`` = one version/model, ``family`` = any version of the family) and score;
* :func:`find_compat_entries` — every product mention on every page of a document as a
  :class:`~pipeline.model.CompatEntry` with page, bbox (union of the words covering the mention),
  name as printed, vendor and version.

Matching runs on a *normalised view* of the text (NFKC, case-folded, whitespace and hyphens
removed, each character mapped back to its word), so letter-spaced OCR ("银 河 麒 麟") and names
split across adjacent words match. Aliases are found with a first-character index (exact) and a
half-alias index (one wrong character in long names, ``settings.max_errors``). A family or brand
name is then extended by a version token found just after it (descriptor words such as 操作系统
skipped). Overlapping candidates resolve to the longest, most specific one. Weak aliases (麒麟,
DM, BES, …) need a version, a category context word nearby or a table header above; a name
followed by a company suffix (麒麟软件有限公司) is a vendor, not a product. No document text is
logged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from extractors.catalogue import Catalogue, Category, load_catalogue, normalize_text
from pipeline.content import DocumentContent, PageContent
from pipeline.model import BBox, CompatEntry, Line, Word, clamp_bbox, union_bbox

Level = Literal["exact", "family"]
Kind = Literal["product", "family", "group"]
_KIND_RANK: dict[str, int] = {"product": 2, "family": 1, "group": 0}
_SP = re.compile(r"\(?(sp\d{1,2})\)?")
_UNKNOWN_VERSION = re.compile(r"v\d{1,3}(?:\.\d{1,3}){0,2}|\d{1,3}\.\d{1,3}(?:lts)?")
_COMPANY_LOOKAHEAD = 10


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductMatch:
    """A product named in free text, resolved against the catalogue.

    ``canonical`` is a product id when ``level == "exact"``, else a family id. ``accepted`` lists
    every product id the text is compatible with (for a brand name with a version, e.g. 银河麒麟V10,
    both the server and desktop editions; for a family-level name, all products of the family);
    ``families`` the family ids covered. A version the catalogue does not know (统信UOS V23) gives a
    family-level match with ``version`` set and no accepted product.
    """

    canonical: str
    family: str
    category: Category
    level: Level
    score: float
    version: str | None
    vendor: str
    name: str
    accepted: tuple[str, ...] = ()
    families: tuple[str, ...] = ()

    def accepts(self, canonical: str, version: str | None = None) -> bool:
        """Whether a found entry (``canonical`` [+ ``version``]) backs this declared product.

        A product id backs it when accepted; a family-level entry (family id) only backs a
        family-level declaration without a version."""
        if canonical in self.accepted:
            return True
        if canonical in self.families:
            if self.version is None:
                return True
            return version is not None and _norm_version(version) == _norm_version(self.version)
        return False


def _norm_version(v: str) -> str:
    return normalize_text(v).removeprefix("v")


# --- the matcher (built once per catalogue) ---------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """One normalised alias and what it names."""

    norm: str
    kind: Kind
    target: str
    weak: bool
    latin_start: bool
    latin_end: bool
    digit_end: bool


@dataclass
class _Matcher:
    """Indexes over the catalogue's normalised aliases, version tokens and context words."""

    cat: Catalogue
    # first character -> alias length -> alias -> key (lookups by slice, longest first)
    first: dict[str, dict[int, dict[str, _Key]]] = field(default_factory=dict)
    # first character -> half length -> half -> (key, offset of the half in the alias)
    halves: dict[str, dict[int, dict[str, list[tuple[_Key, int]]]]] = field(default_factory=dict)
    tokens: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    descriptors: list[str] = field(default_factory=list)
    desc_first: dict[str, list[str]] = field(default_factory=dict)
    context: dict[str, list[str]] = field(default_factory=dict)
    generic: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)

    def norm(self, s: str) -> str:
        return normalize_text(s, self.cat.settings.drop_chars)

    def category_of(self, kind: Kind, target: str) -> Category:
        if kind == "product":
            return self.cat.products[target].category
        if kind == "family":
            return self.cat.families[target].category
        return self.cat.families[self.cat.groups[target].default].category


def _is_latin(c: str) -> bool:
    return c.isascii() and c.isalpha()


@lru_cache(maxsize=8)
def _matcher_for(cat: Catalogue) -> _Matcher:
    """The matcher of a catalogue (catalogues hash by identity and are themselves cached)."""
    return _build(cat)


def _matcher(cat: Catalogue | None = None) -> _Matcher:
    return _matcher_for(cat if cat is not None else load_catalogue())


def _build(cat: Catalogue) -> _Matcher:
    m = _Matcher(cat)
    s = cat.settings
    keys: dict[str, _Key] = {}

    def add(alias: str, kind: Kind, target: str, weak: bool) -> None:
        n = m.norm(alias)
        if not n:
            return
        key = _Key(n, kind, target, weak, _is_latin(n[0]), _is_latin(n[-1]), n[-1].isdigit())
        old = keys.get(n)
        # Same alias twice: the more specific target wins, a strong listing beats a weak one.
        if old is None or (_KIND_RANK[kind], not weak) > (_KIND_RANK[old.kind], not old.weak):
            keys[n] = key

    for g in cat.groups.values():
        for a in (*g.names, *g.aliases):
            add(a, "group", g.id, False)
        for a in g.weak_aliases:
            add(a, "group", g.id, True)
    for f in cat.families.values():
        for a in (*f.names, *f.aliases):
            add(a, "family", f.id, False)
        for a in f.weak_aliases:
            add(a, "family", f.id, True)
    for p in cat.products.values():
        for a in (*p.names, *p.aliases):
            add(a, "product", p.id, False)

    m.descriptors = sorted({m.norm(d) for d in s.descriptors}, key=len, reverse=True)
    for d in m.descriptors:
        m.desc_first.setdefault(d[0], []).append(d)
    for key in sorted(keys.values(), key=lambda k: -len(k.norm)):
        m.first.setdefault(key.norm[0], {}).setdefault(len(key.norm), {})[key.norm] = key
        if not key.weak and len(key.norm) >= s.fuzzy_min_len and s.max_errors > 0:
            half = len(key.norm) // 2
            for part, off in ((key.norm[:half], 0), (key.norm[half:], half)):
                # A half made of descriptor words (服务器操作系统) anchors nothing specific; an error
                # in the other half is then caught by the brand name + version route.
                if _strip_descriptors(m, part) == "" or any(part in d for d in m.descriptors):
                    continue
                m.halves.setdefault(part[0], {}).setdefault(len(part), {}).setdefault(part, []).append(
                    (key, off)
                )

    # Version tokens per family and per group: normalised token -> product ids.
    def token_table(families: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        table: dict[str, list[str]] = {}
        for fid in families:
            for p in cat.family_products(fid):
                for t in p.tokens:
                    table.setdefault(m.norm(t), []).append(p.id)
        return sorted(((t, tuple(ids)) for t, ids in table.items()), key=lambda x: -len(x[0]))

    for fid in cat.families:
        m.tokens[fid] = token_table([fid])
    for g in cat.groups.values():
        # The default family first so that its product comes first for a shared token.
        order = [g.default, *[f for f in g.families if f != g.default]]
        m.tokens[g.id] = token_table(order)

    m.context = {c: [m.norm(w) for w in ws] for c, ws in s.context.items()}
    m.generic = [m.norm(w) for w in s.generic_context]
    m.companies = [m.norm(w) for w in s.company_suffixes]
    return m


# --- the normalised view ----------------------------------------------------------------------


@dataclass
class _View:
    """Normalised text with, per character, its word, its position in the word and line."""

    text: str
    word: list[int]
    char: list[int]
    line: list[int]
    spaced: list[bool]  # a word boundary or whitespace precedes this character
    words: list[Word]
    lines: list[Line]
    wraps: set[int] = field(default_factory=set)  # positions where a wrapped line continues


WRAP_MARGIN = 0.06
"""A line ending within this page fraction of the rightmost line end may wrap onto the next."""


def _soft_wrap(prev: Line, nxt: Line, right: float) -> bool:
    """Whether ``nxt`` continues ``prev`` (a paragraph line running to the right margin)."""
    x0, y0, x1, y1 = prev.bbox
    h = max(1e-4, y1 - y0)
    nx0, ny0, _, _ = nxt.bbox
    return (
        x1 >= right - WRAP_MARGIN
        and -0.2 * h <= ny0 - y1 < 1.2 * h
        and nx0 <= x0 + 2 * h
        and not prev.text.rstrip().endswith(("。", "；", ";", "：", ":"))
    )


def _view(lines: Sequence[Line], drop: str) -> _View:
    chars: list[str] = []
    word: list[int] = []
    cidx: list[int] = []
    line_no: list[int] = []
    spaced: list[bool] = []
    words: list[Word] = []
    wraps: set[int] = set()
    right = max((ln.bbox[2] for ln in lines if ln.words), default=1.0)
    for li, ln in enumerate(lines):
        if not ln.words:
            continue
        if chars:
            if li > 0 and _soft_wrap(lines[li - 1], ln, right):
                wraps.add(len(chars))  # joined: a mention may continue on this line
            else:
                chars.append("\n")
                word.append(-1)
                cidx.append(-1)
                line_no.append(li)
                spaced.append(True)
        for w in ln.words:
            wi = len(words)
            words.append(w)
            gap = True
            for ci, c in enumerate(w.text):
                for n in unicodedata.normalize("NFKC", c).casefold():
                    if n.isspace():
                        gap = True
                        continue
                    if n in drop:
                        continue
                    chars.append(n)
                    word.append(wi)
                    cidx.append(ci)
                    line_no.append(li)
                    spaced.append(gap)
                    gap = False
    return _View("".join(chars), word, cidx, line_no, spaced, words, list(lines), wraps)


# --- candidate search -------------------------------------------------------------------------


@dataclass
class _Hit:
    """A candidate mention: ``view.text[start:end]``."""

    start: int
    end: int
    key: _Key
    errors: int
    anchor_end: int
    products: tuple[str, ...] = ()
    version: str | None = None
    score: float = 0.0


def _boundary_ok(v: _View, key: _Key, i: int, j: int) -> bool:
    t = v.text
    if key.latin_start and i > 0 and not v.spaced[i] and t[i - 1].isascii() and t[i - 1].isalnum():
        return False
    if j < len(t) and not v.spaced[j]:
        nxt = t[j]
        if key.latin_end and _is_latin(nxt):
            if not (nxt == "v" and j + 1 < len(t) and t[j + 1].isdigit()):
                return False
        if key.digit_end and nxt.isdigit():
            return False
    return True


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` when it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if limit == 1:
        return _within_one(a, b)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _within_one(a: str, b: str) -> int:
    """0, 1 or 2 (= more than one edit) for strings whose lengths differ by at most one."""
    if a == b:
        return 0
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return 1 if a[i + 1 :] == b[i + 1 :] else 2
    if len(a) > len(b):
        return 1 if a[i + 1 :] == b[i:] else 2
    return 1 if a[i:] == b[i + 1 :] else 2


def _raw_hits(m: _Matcher, v: _View) -> list[_Hit]:
    t = v.text
    hits: dict[tuple[int, int, str], _Hit] = {}
    k = m.cat.settings.max_errors
    for i, c in enumerate(t):
        by_len = m.first.get(c)
        if by_len:
            for length, table in by_len.items():
                key = table.get(t[i : i + length])
                if key is not None and _boundary_ok(v, key, i, i + length):
                    hits.setdefault((i, i + length, key.norm), _Hit(i, i + length, key, 0, i + length))
        if not k:
            continue
        half_by_len = m.halves.get(c)
        if not half_by_len:
            continue
        for length, halves in half_by_len.items():
            for hkey, off in halves.get(t[i : i + length], ()):
                _fuzzy_at(v, hkey, off, i, k, hits)
    return list(hits.values())


def _fuzzy_at(v: _View, key: _Key, off: int, i: int, k: int, hits: dict[tuple[int, int, str], _Hit]) -> None:
    """Approximate occurrences of ``key`` whose half at ``off`` matched exactly at ``i``."""
    t = v.text
    n = len(t)
    L = len(key.norm)
    # The exact half fixes one end; the other end moves by the number of edits.
    if off == 0:
        spans = [(i, i + L + d) for d in range(-k, k + 1)]
    else:
        e1 = i + L - off
        spans = [(e1 - L - d, e1) for d in range(-k, k + 1)]
    for s0, s1 in spans:
        if s0 < 0 or s1 > n or s1 <= s0:
            continue
        seg = t[s0:s1]
        if "\n" in seg or key.norm in seg:
            continue  # across lines, or the exact occurrence (already a hit)
        if len(seg) != L and (seg[0] != key.norm[0] or seg[-1] != key.norm[-1]):
            continue  # a missing or extra character only inside the name, never at its ends
        if [c for c in seg if c.isdigit()] != [c for c in key.norm if c.isdigit()]:
            continue  # a model or version number is never "almost" right
        e = _edit_distance(key.norm, seg, k)
        if 0 < e <= k and _boundary_ok(v, key, s0, s1):
            hits.setdefault((s0, s1, key.norm), _Hit(s0, s1, key, e, s1))


def _extend_version(m: _Matcher, v: _View, hit: _Hit, anchor_starts: set[int]) -> None:
    """Find the version after a family/group name; set products, version and the new end."""
    t = v.text
    s = m.cat.settings
    if hit.key.kind == "product":
        p = m.cat.products[hit.key.target]
        hit.products = (p.id,)
        hit.version = p.version
        _take_sp(t, hit)
        return
    if hit.key.kind == "family":
        only = m.cat.family_products(hit.key.target)
        if len(only) == 1 and only[0].version is None:  # GaussDB, 普元EOS: no versions to find
            hit.products = (only[0].id,)
            return
    table = m.tokens.get(hit.key.target, [])
    pos = hit.end
    other = 0
    depth = 0
    while pos < len(t) and other <= s.version_gap:
        c = t[pos]
        if c in s.separators:
            break
        if pos != hit.end and pos in anchor_starts and depth == 0:
            break
        for tok, ids in table:
            end = pos + len(tok)
            if t.startswith(tok, pos) and not (
                tok[-1].isdigit() and end < len(t) and t[end].isdigit() and end not in v.wraps
            ):
                if tok[0].isdigit() and pos > 0 and t[pos - 1].isdigit():
                    continue
                hit.end = end
                hit.products = ids
                hit.version = m.cat.products[ids[0]].version
                _take_sp(t, hit)
                return
        unknown = _UNKNOWN_VERSION.match(t, pos)
        if unknown and table and (pos == hit.end or t[pos - 1] in "v" or not t[pos - 1].isdigit()):
            found = unknown.group(0)
            if found.startswith("v") or "." in found:
                hit.end = unknown.end()
                hit.version = found.upper()
                _take_sp(t, hit)
                return
        desc = next((d for d in m.desc_first.get(c, ()) if t.startswith(d, pos)), None)
        if desc is not None:
            depth += desc.count("(") + desc.count("（") - desc.count(")") - desc.count("）")
            pos += len(desc)
            continue
        pos += 1
        other += 1


def _take_sp(t: str, hit: _Hit) -> None:
    sp = _SP.match(t, hit.end)
    if sp and hit.version is not None:
        hit.end = sp.end()
        hit.version = f"{hit.version} {sp.group(1).upper()}"


# --- scoring ----------------------------------------------------------------------------------


def _line_span(v: _View, i: int) -> tuple[int, int]:
    a = v.text.rfind("\n", 0, i) + 1
    b = v.text.find("\n", i)
    return a, (len(v.text) if b < 0 else b)


def _has_any(text: str, words: Iterable[str]) -> bool:
    return any(w and w in text for w in words)


def _header_context(m: _Matcher, v: _View, hit: _Hit, category: str) -> bool:
    """A category word on one of the lines above whose x-range overlaps the mention (table header)."""
    s = m.cat.settings
    li = v.line[hit.start]
    words = [v.words[w] for w in set(v.word[hit.start : hit.end]) if w >= 0]
    if not words:
        return False
    x0 = min(w.bbox[0] for w in words)
    x1 = max(w.bbox[2] for w in words)
    for ln in v.lines[max(0, li - s.header_lines) : li]:
        for w in ln.words:
            wn = m.norm(w.text)
            # A header cell: the word is (about) the context word itself, above the mention.
            if any(c in wn and len(wn) <= len(c) + 2 for c in m.context.get(category, [])) and (
                w.bbox[0] <= x1 and w.bbox[2] >= x0
            ):
                return True
    return False


def _score(m: _Matcher, v: _View, hit: _Hit, *, declared: bool, category: str | None) -> float:
    s = m.cat.settings
    cat = category or m.category_of(hit.key.kind, hit.key.target)
    score = s.strong_score if (declared or not hit.key.weak) else s.weak_score
    if hit.version is not None:
        score += s.version_boost
    a, b = _line_span(v, hit.start)
    w = s.context_window
    around = v.text[max(a, hit.start - w) : hit.start] + "\x00" + v.text[hit.end : min(b, hit.end + w)]
    if not declared:
        if _has_any(around, m.context.get(cat, [])) or (
            hit.key.weak and hit.version is None and _header_context(m, v, hit, cat)
        ):
            score += s.context_boost
        elif _has_any(around, m.generic):
            score += s.generic_boost
        after = v.text[hit.end : min(b, hit.end + _COMPANY_LOOKAHEAD)]
        cut = next((k for k, ch in enumerate(after) if ch in s.separators), len(after))
        if hit.version is None and _has_any(after[:cut], m.companies):
            score -= s.company_penalty
    score -= s.fuzzy_penalty * hit.errors
    return round(max(0.0, min(1.0, score)), 3)


# --- resolution -------------------------------------------------------------------------------


def _family_of(m: _Matcher, hit: _Hit) -> str:
    if hit.products:
        return m.cat.products[hit.products[0]].family
    if hit.key.kind == "group":
        return m.cat.groups[hit.key.target].default
    return hit.key.target


def _families_of(m: _Matcher, hit: _Hit) -> tuple[str, ...]:
    if hit.key.kind == "group":
        return tuple(m.cat.groups[hit.key.target].families)
    return (_family_of(m, hit),)


def _select(m: _Matcher, v: _View, hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits: longest span first, then fewest errors, then most specific anchor."""
    ranked = sorted(
        hits,
        key=lambda h: (
            -(h.end - h.start),
            h.errors,
            -(h.anchor_end - h.start),
            -_KIND_RANK[h.key.kind],
            h.key.weak,
            h.start,
        ),
    )
    chosen: list[_Hit] = []
    for h in ranked:
        if all(h.end <= c.start or h.start >= c.end for c in chosen):
            chosen.append(h)
    chosen.sort(key=lambda h: h.start)
    # Merge neighbours naming the same family (东方通 + TongWeb V7.0, 达梦数据库 + DM8).
    merged: list[_Hit] = []
    for h in chosen:
        if merged and _mergeable(m, v, merged[-1], h):
            merged[-1] = _merge(m, merged[-1], h)
        else:
            merged.append(h)
    return merged


def _strip_descriptors(m: _Matcher, text: str) -> str | None:
    """``text`` with leading descriptor words removed until none applies (None: none at all)."""
    out = text
    while out:
        d = next((d for d in m.desc_first.get(out[0], ()) if out.startswith(d)), None)
        if d is None:
            break
        out = out[len(d) :]
    return None if out == text and text else out


def _mergeable(m: _Matcher, v: _View, a: _Hit, b: _Hit) -> bool:
    if not set(_families_of(m, a)) & set(_families_of(m, b)):
        return False
    if a.products and b.products and set(a.products).isdisjoint(b.products):
        return False
    gap = v.text[a.end : b.start]
    return not gap or _strip_descriptors(m, gap) == ""


def _merge(m: _Matcher, a: _Hit, b: _Hit) -> _Hit:
    spec = max((a, b), key=lambda h: (bool(h.products), _KIND_RANK[h.key.kind], not h.key.weak))
    return _Hit(
        a.start,
        b.end,
        spec.key,
        max(a.errors, b.errors),
        spec.anchor_end,
        spec.products or a.products or b.products,
        spec.version or a.version or b.version,
    )


def _find(m: _Matcher, v: _View, *, declared: bool, category: str | None = None) -> list[_Hit]:
    """Resolved, scored mentions in ``v`` (declared text: every alias counts as strong)."""
    hits = _raw_hits(m, v)
    if category is not None:
        hits = [h for h in hits if m.category_of(h.key.kind, h.key.target) == category]
    starts = {h.start for h in hits}
    for h in hits:
        _extend_version(m, v, h, starts)
    out: list[_Hit] = []
    for h in _select(m, v, hits):
        h.score = _score(m, v, h, declared=declared, category=category)
        if declared or h.score >= m.cat.settings.min_score:
            out.append(h)
    return out


def _to_match(m: _Matcher, h: _Hit, printed: str) -> ProductMatch:
    fam = _family_of(m, h)
    f = m.cat.families[fam]
    families = _families_of(m, h)
    if h.products:
        canonical, level, accepted = h.products[0], "exact", h.products
    elif h.version is not None:  # a version the catalogue does not know
        canonical, level, accepted = fam, "family", ()
    else:
        canonical, level = fam, "family"
        accepted = tuple(p for fid in families for p in m.cat.families[fid].products)
    lvl: Level = "exact" if level == "exact" else "family"
    return ProductMatch(
        canonical=canonical,
        family=fam,
        category=f.category,
        level=lvl,
        score=h.score,
        version=h.version,
        vendor=f.vendor.zh,
        name=printed,
        accepted=tuple(accepted),
        families=families,
    )


def _text_view(text: str, drop: str) -> _View:
    return _view([Line(words=[Word(text=text, bbox=(0.0, 0.0, 1.0, 1.0))])], drop)


def normalize_products(
    text: str, category: str | None = None, catalogue: Catalogue | None = None
) -> list[ProductMatch]:
    """Every product named in a declared free-text value, in text order.

    >>> [p.canonical for p in normalize_products("飞腾、鲲鹏920")]
    ['phytium', 'kunpeng-920']
    """
    m = _matcher(catalogue)
    v = _text_view(text, m.cat.settings.drop_chars)
    return [_to_match(m, h, _printed(v, h)) for h in _find(m, v, declared=True, category=category)]


def normalize_product(
    text: str, category: str | None = None, catalogue: Catalogue | None = None
) -> ProductMatch | None:
    """The product a declared free-text value names (the longest, most specific mention), or None.

    ``category`` (cpu | os | database | middleware) restricts the candidates.

    >>> p = normalize_product("麒麟 V10 SP1")
    >>> (p.canonical, p.level, p.version)
    ('kylin-server-v10', 'exact', 'V10 SP1')
    >>> normalize_product("飞腾").level
    'family'
    """
    found = normalize_products(text, category, catalogue)
    if not found:
        return None
    return max(found, key=lambda p: (len(p.name), p.level == "exact", p.score))


# --- documents --------------------------------------------------------------------------------


def _printed(v: _View, h: _Hit) -> str:
    """The mention as printed: the covered characters of each word, joined like a line."""
    parts: list[tuple[int, int, int]] = []  # (word, first char, last char)
    for k in range(h.start, h.end):
        wi = v.word[k]
        if wi < 0:
            continue
        if parts and parts[-1][0] == wi:
            parts[-1] = (wi, parts[-1][1], v.char[k])
        else:
            parts.append((wi, v.char[k], v.char[k]))
    out = ""
    for wi, a, b in parts:
        piece = v.words[wi].text[a : b + 1].strip()
        if out and out[-1].isascii() and out[-1].isalnum() and piece[:1].isascii() and piece[:1].isalnum():
            out += " "
        out += piece
    return unicodedata.normalize("NFKC", out)


def _char_weight(c: str) -> float:
    """Relative printed width: full-width (CJK) characters 1, others about half."""
    return 1.0 if unicodedata.east_asian_width(c) in ("W", "F") else 0.55


def _bbox(v: _View, h: _Hit) -> BBox | None:
    """Union of the boxes of the words covering the mention, each cut horizontally to the
    covered characters (by their relative widths) when only part of the word is covered."""
    spans: dict[int, tuple[int, int]] = {}
    for k in range(h.start, h.end):
        wi = v.word[k]
        if wi >= 0:
            a, b = spans.get(wi, (v.char[k], v.char[k]))
            spans[wi] = (min(a, v.char[k]), max(b, v.char[k]))
    if not spans:
        return None
    boxes: list[BBox] = []
    for wi, (a, b) in spans.items():
        w = v.words[wi]
        x0, y0, x1, y1 = w.bbox
        weights = [_char_weight(c) for c in w.text]
        total = sum(weights) or 1.0
        left = sum(weights[:a]) / total
        right = sum(weights[: b + 1]) / total
        boxes.append((x0 + (x1 - x0) * left, y0, x0 + (x1 - x0) * right, y1))
    return clamp_bbox(*union_bbox(boxes))


def page_compat_entries(page: PageContent, catalogue: Catalogue | None = None) -> list[CompatEntry]:
    """Product mentions on one page."""
    m = _matcher(catalogue)
    v = _view(page.lines, m.cat.settings.drop_chars)
    out: list[CompatEntry] = []
    for h in _find(m, v, declared=False):
        pm = _to_match(m, h, _printed(v, h))
        conf = h.score
        words = {v.word[k] for k in range(h.start, h.end) if v.word[k] >= 0}
        if words:
            conf = round(min(conf, min(v.words[i].confidence for i in words) * 0.5 + 0.5), 3)
        out.append(
            CompatEntry(
                category=pm.category,
                canonical=pm.canonical,
                name=pm.name,
                vendor=pm.vendor,
                version=pm.version,
                page=page.index,
                bbox=_bbox(v, h),
                confidence=conf,
            )
        )
    return out


def find_compat_entries(doc: DocumentContent, catalogue: Catalogue | None = None) -> list[CompatEntry]:
    """Every product mention on every page of ``doc`` (page order, then reading order)."""
    out: list[CompatEntry] = []
    for page in doc.pages:
        out.extend(page_compat_entries(page, catalogue))
    return out
