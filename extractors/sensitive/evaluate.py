"""Evaluation against a labelled set: precision and recall per category (used by tests and bench)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from extractors.sensitive.config import SensitiveConfig, load_config
from extractors.sensitive.screen import screen_text_detailed
from pipeline.yamlio import load_yaml


class Expected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str
    text: str


class LabelledItem(BaseModel):
    """One labelled passage: the findings it must produce (score ≥ finding threshold)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    source: str = "handwritten"
    subset: str = "clean"
    note: str = ""
    text: str
    expect: list[Expected] = Field(default_factory=list)


def load_labelled(paths: Iterable[Path]) -> list[LabelledItem]:
    """Items of the labelled YAML files (``{items: [...]}``)."""
    items: list[LabelledItem] = []
    for p in paths:
        data: Any = load_yaml(p.read_text(encoding="utf-8"))
        items += [LabelledItem.model_validate(x) for x in data["items"]]
    return items


def compact(text: str, stars: str = "☆*＊") -> str:
    """NFKC, no whitespace, star look-alikes as ★, lower case (for comparing hit and label)."""
    s = "".join(c for c in unicodedata.normalize("NFKC", text) if not c.isspace()).lower()
    return "".join("★" if c in stars else c for c in s)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(items: Iterable[LabelledItem], config: SensitiveConfig | None = None) -> dict[str, Score]:
    """Per-category scores; a hit counts when its score reaches the finding threshold and it matches
    an expected entry of the same category whose text it contains or is contained in."""
    cfg = config or load_config()
    thr = cfg.screening.finding_threshold
    scores: dict[str, Score] = {}
    for it in items:
        preds = [(h, compact(raw)) for h, raw in screen_text_detailed(it.text, config=cfg) if h.score >= thr]
        used: set[int] = set()
        for exp in it.expect:
            sc = scores.setdefault(exp.category, Score())
            want = compact(exp.text)
            found = next(
                (
                    i
                    for i, (h, raw) in enumerate(preds)
                    if i not in used and h.category == exp.category and (want in raw or raw in want)
                ),
                None,
            )
            if found is None:
                sc.fn += 1
                sc.errors.append(f"FN {it.id} {exp.category}")
            else:
                used.add(found)
                sc.tp += 1
        for i, (h, _) in enumerate(preds):
            if i not in used:
                sc = scores.setdefault(h.category, Score())
                sc.fp += 1
                sc.errors.append(f"FP {it.id} {h.rule} {h.text}")
    return scores
