"""Organisation-name comparison: exact after normalisation, similarity only for needs_review."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Literal

from extractors.text import nfkc
from extractors.text import normalize_name as _printed_name

NameVerdict = Literal["same", "similar", "different"]


def normalize_name(name: str) -> str:
    """NFKC, no whitespace, one parenthesis width. 有限公司 vs 有限责任公司 stay different."""
    return _printed_name(nfkc(name))


def similarity(a: str, b: str) -> float:
    """Character-level similarity of two normalised names in 0..1."""
    return SequenceMatcher(None, normalize_name(a), normalize_name(b)).ratio()


def compare_names(found: str, expected: str, review_threshold: float) -> tuple[NameVerdict, float]:
    """``same`` only on exact normalised equality; ``similar`` at or above the threshold."""
    if normalize_name(found) == normalize_name(expected):
        return "same", 1.0
    score = similarity(found, expected)
    return ("similar" if score >= review_threshold else "different"), round(score, 3)
