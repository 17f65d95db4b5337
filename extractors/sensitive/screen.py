"""Screening of pages: recognizers → exclusions → negation → position → context → allow-list →
overlap resolution → ``SensitiveHit`` with page, bbox, masked text and context, score, explanation.

Never logs document text: only counts and rule ids.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from dataclasses import dataclass

from extractors.sensitive.allow import AllowList
from extractors.sensitive.config import SensitiveConfig, load_config
from extractors.sensitive.masking import mask_digit_runs, mask_value
from extractors.sensitive.matching import norm_term, page_matcher
from extractors.sensitive.recognizers import Candidate, Recognizer, ScanInput, build_recognizers
from extractors.sensitive.textmap import PageText, build_page_text, build_plain_text
from pipeline.content import DocumentContent, PageContent
from pipeline.model import SensitiveHit

log = logging.getLogger(__name__)

SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass
class _Prepared:
    cfg: SensitiveConfig
    recognizers: list[Recognizer]
    pre_cues: list[tuple[str, int]]
    post_cues: list[tuple[str, int]]
    breaks: set[str]


_PREPARED: dict[int, _Prepared] = {}


def _prepare(cfg: SensitiveConfig) -> _Prepared:
    cached = _PREPARED.get(id(cfg))
    if cached is not None and cached.cfg is cfg:
        return cached
    stars = cfg.screening.ocr.star_variants
    neg = cfg.screening.negation
    prep = _Prepared(
        cfg=cfg,
        recognizers=build_recognizers(cfg),
        pre_cues=[(norm_term(c.cue, stars), c.max_gap) for c in neg.pre],
        post_cues=[(norm_term(c.cue, stars), c.max_gap) for c in neg.post],
        breaks={unicodedata.normalize("NFKC", c) for c in neg.clause_breaks},
    )
    if len(_PREPARED) >= 8:
        _PREPARED.clear()
    _PREPARED[id(cfg)] = prep
    page_matcher(cfg)  # build the spaCy matchers now, not on the first page
    return prep


# -- stages -----------------------------------------------------------------------------------------
def _negated(c: Candidate, norm: str, prep: _Prepared) -> bool:
    for cue, gap in prep.pre_cues:
        lo = max(0, c.start - gap - len(cue))
        window = norm[lo : c.start]
        idx = window.rfind(cue)
        while idx != -1:
            between = window[idx + len(cue) :]
            if len(between) <= gap and not (set(between) & prep.breaks):
                return True
            idx = window.rfind(cue, 0, idx)
    for cue, gap in prep.post_cues:
        window = norm[c.end : c.end + gap + len(cue)]
        idx = window.find(cue)
        if idx != -1 and not (set(window[:idx]) & prep.breaks):
            return True
    return False


def _standalone(c: Candidate, view: PageText) -> bool:
    """The mark is (nearly) the whole line: at most 2 other letters/digits on it."""
    ls, le = view.line_spans[view.line_of[c.start]]
    other = view.orig[ls : c.start] + view.orig[c.end : le]
    return sum(1 for ch in other if unicodedata.category(ch)[0] in "LN") <= 2


def _in_header_footer(c: Candidate, view: PageText, band: float) -> bool:
    boxes = view.word_boxes(c.start, c.end)
    if not boxes:
        return False
    centres = [(b[1] + b[3]) / 2 for b in boxes]
    return all(y <= band for y in centres) or all(y >= 1.0 - band for y in centres)


def _apply_context(c: Candidate, norm: str, cfg: SensitiveConfig) -> None:
    s = cfg.screening
    w = s.context_window
    window = norm[max(0, c.start - w) : c.start] + "\x00" + norm[c.end : c.end + w]
    up = [x for x in c.context_raise if x and x in window]
    down = [x for x in c.context_lower if x and x in window]
    if up:
        c.score = max(c.score + s.context_boost, s.min_score_with_context)
        c.explanation.append(f"语境（context）：「{'」「'.join(up[:3])}」提高 +{s.context_boost:.2f}")
    if down:
        c.score -= s.context_boost
        c.explanation.append(f"语境（context）：「{'」「'.join(down[:3])}」降低 −{s.context_boost:.2f}")


def _merge_classification(cands: list[Candidate]) -> list[Candidate]:
    """Overlapping classification candidates become one: union span, the best candidate's score and
    explanation, plus a note of how many matches were merged."""
    cls = sorted((c for c in cands if c.kind == "classification"), key=lambda c: (c.start, -c.end))
    groups: list[list[Candidate]] = []
    end = -1
    for c in cls:
        if groups and c.start < end:
            groups[-1].append(c)
            end = max(end, c.end)
        else:
            groups.append([c])
            end = c.end
    merged: list[Candidate] = []
    for g in groups:
        best = max(g, key=lambda c: (c.score, c.end - c.start))
        if len(g) > 1:
            best.start, best.end = min(c.start for c in g), max(c.end for c in g)
            best.explanation.append(f"合并重叠匹配（merged）：{len(g)} 个")
        merged.append(best)
    return merged + [c for c in cands if c.kind != "classification"]


def _resolve_overlaps(cands: list[Candidate]) -> list[Candidate]:
    order = sorted(cands, key=lambda c: (-SEVERITY_RANK[c.severity], -c.score, -(c.end - c.start), c.start))
    taken: list[Candidate] = []
    for c in order:
        if all(c.end <= t.start or c.start >= t.end for t in taken):
            taken.append(c)
    return sorted(taken, key=lambda c: c.start)


def _masked_orig(view: PageText, cands: list[Candidate]) -> str:
    chars = list(view.orig)
    for c in cands:
        if c.value_span is not None:
            vs, ve = c.value_span
            masked = mask_value(c.rule, view.orig[vs:ve])
            chars[vs:ve] = list(masked[: ve - vs].ljust(ve - vs, "*"))
    return mask_digit_runs("".join(chars))


def screen_view(
    view: PageText,
    page: int | None,
    allow: AllowList | None = None,
    config: SensitiveConfig | None = None,
    stats: Counter[str] | None = None,
) -> list[tuple[SensitiveHit, Candidate]]:
    """Screen one matching view; returns hits with their (in-memory) candidates."""
    cfg = config or load_config()
    prep = _prepare(cfg)
    st = cfg.screening
    stats = stats if stats is not None else Counter()
    matches = page_matcher(cfg).match(view.norm)
    inp = ScanInput(view, matches)
    raw: list[Candidate] = []
    for rec in prep.recognizers:
        raw += rec.analyze(inp)
    masked = _masked_orig(view, raw)
    excl = [(m.start, m.end) for m in matches if m.group == "excl"]

    kept: list[Candidate] = []
    allowed: list[tuple[int, int]] = []
    for c in raw:
        if c.kind == "classification" and any(s <= c.start and c.end <= e for s, e in excl):
            stats["excluded"] += 1
            continue
        if c.negatable and _negated(c, view.norm, prep):
            stats["negated"] += 1
            continue
        if c.kind == "classification":
            alone = _standalone(c, view)
            edge = _in_header_footer(c, view, st.header_footer_band)
            if c.standalone_only and not (alone or edge):
                continue
            if alone:
                c.score += st.standalone_boost
                c.explanation.append(f"位置（position）：独立成行 +{st.standalone_boost:.2f}")
            if edge:
                c.score += st.header_footer_boost
                c.explanation.append(f"位置（position）：页眉/页脚 +{st.header_footer_boost:.2f}")
        _apply_context(c, view.norm, cfg)
        if c.kind == "pattern" and allow is not None:
            w = st.context_window * 2
            nearby = view.orig[max(0, c.start - w) : c.end + w]
            if allow.allows(c.rule, c.value, nearby):
                stats["allowed"] += 1
                allowed.append((c.start, c.end))
                continue
        c.score = round(min(1.0, max(0.0, c.score)), 4)
        if c.score < st.min_score:
            stats["below_min_score"] += 1
            continue
        kept.append(c)

    # an expected value also covers other readings of the same digits (an ID is also 18 digits)
    kept = [c for c in kept if c.kind != "pattern" or all(c.end <= s or c.start >= e for s, e in allowed)]
    out: list[tuple[SensitiveHit, Candidate]] = []
    d = st.context_display
    for c in _resolve_overlaps(_merge_classification(kept)):
        lo, hi = max(0, c.start - d), min(len(masked), c.end + d)
        context = ("…" if lo > 0 else "") + masked[lo:hi] + ("…" if hi < len(masked) else "")
        explanation = [*c.explanation, f"最终分值（score）：{c.score:.2f}"]
        hit = SensitiveHit(
            rule=c.rule,
            category=c.category,
            severity=c.severity,
            text=masked[c.start : c.end],
            page=page,
            bbox=view.bbox(c.start, c.end),
            context=context,
            score=c.score,
            explanation=explanation,
        )
        stats[c.rule] += 1
        out.append((hit, c))
    return out


def page_view(page: PageContent, config: SensitiveConfig | None = None) -> PageText:
    """Matching view of a read page (its lines in reading order, words with boxes)."""
    cfg = config or load_config()
    return build_page_text([ln.words for ln in page.lines], cfg.screening.ocr.star_variants)


def screen_page(
    page: PageContent, allow: AllowList | None = None, config: SensitiveConfig | None = None
) -> list[SensitiveHit]:
    """Hits on one page (page index and bbox set)."""
    return [h for h, _ in screen_view(page_view(page, config), page.index, allow, config)]


def screen_document(
    doc: DocumentContent, allow: AllowList | None = None, config: SensitiveConfig | None = None
) -> list[SensitiveHit]:
    """Screen every page of ``doc``; a failure on one page is logged and skipped, never raised."""
    cfg = config or load_config()
    stats: Counter[str] = Counter()
    hits: list[SensitiveHit] = []
    for page in doc.pages:
        try:
            hits += [h for h, _ in screen_view(page_view(page, cfg), page.index, allow, cfg, stats)]
        except Exception:  # a bad page must not stop the document
            log.exception("sensitive screening failed on page %d", page.index)
            stats["page_errors"] += 1
    log.info("sensitive screening: %d pages, %d hits, stats=%s", len(doc.pages), len(hits), dict(stats))
    return hits


def screen_text(
    text: str, allow: AllowList | None = None, config: SensitiveConfig | None = None
) -> list[SensitiveHit]:
    """Screen a plain text (``page`` and ``bbox`` are None). Convenience for tests and the bench."""
    cfg = config or load_config()
    view = build_plain_text(text, cfg.screening.ocr.star_variants)
    return [h for h, _ in screen_view(view, None, allow, cfg)]


def screen_text_detailed(
    text: str, allow: AllowList | None = None, config: SensitiveConfig | None = None
) -> list[tuple[SensitiveHit, str]]:
    """Like ``screen_text`` but with each hit's unmasked matched text (in memory only: bench/tests)."""
    cfg = config or load_config()
    view = build_plain_text(text, cfg.screening.ocr.star_variants)
    return [(h, view.orig[c.start : c.end]) for h, c in screen_view(view, None, allow, cfg)]
