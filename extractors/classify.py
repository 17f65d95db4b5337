"""Document-type classifier: weighted title/keyword evidence from ``config/doc_types.yaml``.

Matching runs on compact text (whitespace removed, OCR spaces between characters do not matter)
and tolerates one wrong character in keywords of four or more characters. A title found near the
top of page 0 (by word bboxes) weighs more. Negative keywords are masked out of the text before the
type's titles are searched and cost a penalty (食品经营许可证 is not a 营业执照). Every decision
carries its reasons; no document text is logged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from extractors.text import compact, fuzzy_find
from pipeline.content import DocumentContent
from pipeline.yamlio import load_yaml

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "doc_types.yaml"
FUZZY_MIN_LEN = 4


class TypeEvidence(BaseModel):
    """Evidence for one document type."""

    model_config = ConfigDict(extra="forbid")
    titles: dict[str, float] = Field(default_factory=dict)
    keywords: dict[str, float] = Field(default_factory=dict)
    negatives: list[str] = Field(default_factory=list)


class DocTypesConfig(BaseModel):
    """The whole ``doc_types.yaml``."""

    model_config = ConfigDict(extra="forbid")
    min_score: float = 2.0
    top_fraction: float = Field(0.25, gt=0, le=1)
    top_multiplier: float = 2.0
    negative_penalty: float = 3.0
    types: dict[str, TypeEvidence]


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_PATH) -> DocTypesConfig:
    """Load and validate the classifier config."""
    return DocTypesConfig.model_validate(load_yaml(path.read_text(encoding="utf-8")))


class Classification(NamedTuple):
    """The chosen type, a confidence in 0..1 and the evidence behind it (unpacks as a tuple)."""

    doc_type: str
    confidence: float
    reasons: list[str]


def _found(keyword: str, text: str) -> bool:
    return bool(fuzzy_find(keyword, text, 1 if len(keyword) >= FUZZY_MIN_LEN else 0))


def _mask(text: str, words: list[str]) -> str:
    for w in words:
        for m in reversed(fuzzy_find(w, text, 1 if len(w) >= FUZZY_MIN_LEN else 0)):
            text = text[: m.start] + "□" * (m.end - m.start) + text[m.end :]
    return text


def _texts(doc: DocumentContent, top_fraction: float) -> tuple[str, str]:
    """(compact text of the whole document, compact text of the top of page 0)."""
    full = "".join(compact(p.text) for p in doc.pages)
    top = ""
    if doc.pages:
        top = "".join(
            compact(ln.text) for ln in doc.pages[0].lines if ln.bbox[3] <= top_fraction or ln.bbox[1] < 0.05
        )
    return full, top


def _score(ev: TypeEvidence, full: str, top: str, cfg: DocTypesConfig) -> tuple[float, list[str]]:
    reasons: list[str] = []
    score = 0.0
    negatives = [n for n in ev.negatives if _found(n, full)]
    for n in negatives:
        score -= cfg.negative_penalty
        reasons.append(f"negative keyword {n} (-{cfg.negative_penalty:g})")
    full_m, top_m = _mask(full, negatives), _mask(top, negatives)
    best_title, best_reason = 0.0, ""
    for title, w in ev.titles.items():
        if _found(title, top_m):
            s, where = w * cfg.top_multiplier, "near the top"
        elif _found(title, full_m):
            s, where = w, "in the body"
        else:
            continue
        if s > best_title:
            best_title, best_reason = s, f"title {title} {where} (+{s:g})"
    if best_title:
        score += best_title
        reasons.append(best_reason)
    for kw, w in ev.keywords.items():
        if _found(kw, full_m):
            score += w
            reasons.append(f"keyword {kw} (+{w:g})")
    return score, reasons


def classify(doc: DocumentContent, config: DocTypesConfig | None = None) -> Classification:
    """Classify ``doc``: the best-scoring type, or ``other`` below ``min_score``."""
    cfg = config or load_config()
    full, top = _texts(doc, cfg.top_fraction)
    if not full:
        return Classification("other", 0.0, ["no text"])
    scored = sorted(
        ((name, *_score(ev, full, top, cfg)) for name, ev in cfg.types.items()),
        key=lambda t: t[1],
        reverse=True,
    )
    name, best, reasons = scored[0]
    second = scored[1][1] if len(scored) > 1 else 0.0
    if best < cfg.min_score:
        why = [f"best score {best:g} ({name}) below {cfg.min_score:g}", *reasons]
        return Classification("other", round(min(0.9, 0.5 + 0.1 * (cfg.min_score - best)), 3), why)
    margin = (best - max(second, 0.0)) / best
    strength = min(1.0, best / (3 * cfg.min_score))
    confidence = round(min(0.99, (0.4 + 0.6 * margin) * (0.5 + 0.5 * strength)), 3)
    if second > 0:
        reasons = [*reasons, f"runner-up {scored[1][0]} scored {second:g} vs {best:g}"]
    return Classification(name, confidence, reasons)
