"""Sensitivity levels per document and per submission, and the input of ``sensitive.none_found``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from extractors.sensitive.config import load_config
from pipeline.model import SensitiveHit

Level = Literal["none", "low", "medium", "high"]
Outcome = Literal["pass", "needs_review", "fail"]
RULE_ID = "sensitive.none_found"
_RANK: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3}


def _threshold(threshold: float | None) -> float:
    return load_config().screening.finding_threshold if threshold is None else threshold


def sensitivity_level(hits: Iterable[SensitiveHit], threshold: float | None = None) -> Level:
    """Highest severity among hits scoring at least the finding threshold (``screening.yaml``);
    hits below it (e.g. a failed checksum) are shown to the reviewer but do not raise the level."""
    t = _threshold(threshold)
    best = "none"
    for h in hits:
        if h.score >= t and _RANK[h.severity] > _RANK[best]:
            best = h.severity
    return best  # type: ignore[return-value]


class SensitivitySummary(BaseModel):
    """What the review needs: level, whether formal review is held, counts, rule outcome."""

    model_config = ConfigDict(extra="forbid")

    level: Level
    held: bool = Field(description="a high-severity hit holds the submission until a reviewer clears it")
    findings: int
    below_threshold: int
    by_category: dict[str, int]
    by_rule: dict[str, int]
    outcome: Outcome
    message: str


def summarize(hits: Iterable[SensitiveHit], threshold: float | None = None) -> SensitivitySummary:
    """Summary of one document's (or a whole submission's) hits."""
    t = _threshold(threshold)
    hs = list(hits)
    strong = [h for h in hs if h.score >= t]
    level = sensitivity_level(hs, t)
    held = level == "high"
    by_cat = Counter(h.category for h in strong)
    by_rule = Counter(h.rule for h in strong)
    if held:
        outcome: Outcome = "fail"
        n_high = sum(1 for h in strong if h.severity == "high")
        msg = f"发现高危敏感/涉密内容 {n_high} 处，暂停形式审查，待审核人员处理（{RULE_ID}）"
    elif strong:
        outcome = "needs_review"
        msg = f"发现疑似敏感内容 {len(strong)} 处，请人工核实（{RULE_ID}）"
    else:
        outcome = "pass"
        msg = f"未发现敏感或涉密内容（{RULE_ID}）"
        if hs:
            msg = f"未发现敏感或涉密内容；另有 {len(hs)} 处低分疑似项可供查看（{RULE_ID}）"
    return SensitivitySummary(
        level=level,
        held=held,
        findings=len(strong),
        below_threshold=len(hs) - len(strong),
        by_category=dict(by_cat),
        by_rule=dict(by_rule),
        outcome=outcome,
        message=msg,
    )


def summarize_submission(
    hits_by_document: Mapping[str, Iterable[SensitiveHit]], threshold: float | None = None
) -> SensitivitySummary:
    """Summary over all documents of a submission (the submission's sensitivity level)."""
    return summarize([h for hs in hits_by_document.values() for h in hs], threshold)
