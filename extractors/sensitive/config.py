"""Screening configuration: the YAML files of ``config/sensitive/`` validated by pydantic at load.

``screening.yaml`` (thresholds, negation cues, OCR tolerance), ``classification.yaml`` (markings),
``keywords.yaml`` (keyword lists per category) and ``patterns.yaml`` (pattern recognizers).
Each file opens with a header saying where its content comes from.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.yamlio import load_yaml

Severity = Literal["high", "medium", "low"]

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "config" / "sensitive"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cue(_Strict):
    """A negation cue: ``cue`` at most ``max_gap`` characters before (or after) the term."""

    cue: str = Field(min_length=1)
    max_gap: int = Field(ge=0, le=40)


class Negation(_Strict):
    clause_breaks: str
    pre: list[Cue]
    post: list[Cue]


class OcrTolerance(_Strict):
    star_variants: str
    star_lookalikes: str = ""
    confusion_min_len: int = Field(ge=2)
    wildcard_min_len: int = Field(ge=3)
    fuzzy_penalty: float = Field(gt=0.0, le=1.0)
    confusions: dict[str, list[str]]

    @field_validator("confusions")
    @classmethod
    def _single_chars(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for k, alts in v.items():
            if len(k) != 1 or any(len(a) != 1 or a == k for a in alts):
                raise ValueError(f"confusion entries must be single, different characters: {k!r}")
        return v


class Screening(_Strict):
    version: int
    min_score: float = Field(ge=0.0, le=1.0)
    finding_threshold: float = Field(ge=0.0, le=1.0)
    header_footer_band: float = Field(gt=0.0, lt=0.5)
    context_window: int = Field(ge=1, le=100)
    context_display: int = Field(ge=0, le=200)
    context_boost: float = Field(ge=0.0, le=1.0)
    min_score_with_context: float = Field(ge=0.0, le=1.0)
    header_footer_boost: float = Field(ge=0.0, le=1.0)
    standalone_boost: float = Field(ge=0.0, le=1.0)
    negation: Negation
    ocr: OcrTolerance


class ContextWords(_Strict):
    raise_: list[str] = Field(default_factory=list, alias="raise")
    lower: list[str] = Field(default_factory=list)


class Mark(_Strict):
    name: str
    score: float = Field(ge=0.0, le=1.0)
    terms: list[str] = Field(min_length=1)
    standalone_only: bool = False


class ClassificationScores(_Strict):
    star: float
    star_period: float
    label: float


class Classification(_Strict):
    version: int
    rule: str
    category: str
    severity: Severity
    levels: list[str]
    labels: list[str]
    label_values: list[str]
    period_units: list[str]
    period_words: list[str]
    chinese_numerals: list[str]
    scores: ClassificationScores
    marks: list[Mark]
    context: ContextWords
    exclusions: list[str]


class KeywordList(_Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    category: str
    severity: Severity
    score: float = Field(ge=0.0, le=1.0)
    source: str = Field(min_length=4)
    terms: list[str] = Field(min_length=1)
    context: ContextWords = ContextWords()

    @property
    def rule(self) -> str:
        return f"keyword.{self.id}"


class Keywords(_Strict):
    version: int
    lists: list[KeywordList]

    @model_validator(mode="after")
    def _unique_ids(self) -> Keywords:
        ids = [kl.id for kl in self.lists]
        if len(ids) != len(set(ids)):
            raise ValueError("keyword list ids must be unique")
        return self


class PatternSpec(_Strict):
    rule: str
    recognizer: str
    category: str
    severity: Severity
    regex: str
    score: float = Field(ge=0.0, le=1.0)
    pass_score: float | None = Field(default=None, ge=0.0, le=1.0)
    fail_score: float | None = Field(default=None, ge=0.0, le=1.0)
    context: list[str] = Field(default_factory=list)
    lower: list[str] = Field(default_factory=list)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        rx = re.compile(v)
        if "value" not in rx.groupindex:
            raise ValueError("pattern regex needs a named group 'value'")
        return v


class Patterns(_Strict):
    version: int
    recognizers: list[PatternSpec]


class SensitiveConfig(_Strict):
    """The whole screening configuration."""

    screening: Screening
    classification: Classification
    keywords: Keywords
    patterns: Patterns
    source_dir: str = ""


def _read(path: Path) -> object:
    with path.open(encoding="utf-8") as fh:
        return load_yaml(fh)


def load_config_uncached(path: str | Path | None = None) -> SensitiveConfig:
    """Read and validate the four YAML files of ``path`` (default ``config/sensitive/``)."""
    d = Path(path) if path is not None else DEFAULT_DIR
    return SensitiveConfig.model_validate(
        {
            "screening": _read(d / "screening.yaml"),
            "classification": _read(d / "classification.yaml"),
            "keywords": _read(d / "keywords.yaml"),
            "patterns": _read(d / "patterns.yaml"),
            "source_dir": str(d),
        }
    )


@lru_cache(maxsize=8)
def _load_cached(path: str) -> SensitiveConfig:
    return load_config_uncached(path)


def load_config(path: str | Path | None = None) -> SensitiveConfig:
    """The validated screening configuration (cached per directory)."""
    return _load_cached(str(Path(path).resolve()) if path is not None else str(DEFAULT_DIR))
