"""Recognizers, in the manner of Microsoft Presidio: one small class each, returning candidates that
explain themselves. Pattern recognizers only override ``validate_result`` (checksum passed → score
up, failed → score down, never hidden by the checksum alone).

A recognizer sees the page's matching view and the spaCy matches computed once for the page.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from extractors.sensitive.checksums import digits, luhn_valid, private_ipv4, resident_id_valid
from extractors.sensitive.config import Classification, KeywordList, PatternSpec, SensitiveConfig, Severity
from extractors.sensitive.matching import TermMatch, norm_term
from extractors.sensitive.textmap import PageText


@dataclass
class Candidate:
    """A hit before context, negation and allow-list processing (offsets into the page view)."""

    rule: str
    category: str
    severity: Severity
    start: int
    end: int
    score: float
    kind: str  # "classification" | "keyword" | "pattern"
    explanation: list[str] = field(default_factory=list)
    value_span: tuple[int, int] | None = None  # part to mask (PII, secrets)
    value: str = ""  # normalised matched value; in memory only, never stored
    negatable: bool = True
    standalone_only: bool = False
    context_raise: list[str] = field(default_factory=list)
    context_lower: list[str] = field(default_factory=list)


@dataclass
class ScanInput:
    """What every recognizer receives for one page."""

    view: PageText
    matches: list[TermMatch]


def _fuzzy_note(m: TermMatch) -> str | None:
    if m.substitution is None:
        return None
    i, found = m.substitution
    return f"OCR 容错（ocr_confusion）：第 {i + 1} 字「{found}」按「{m.term[i]}」匹配"


class Recognizer(ABC):
    """One recognizer: a rule id, a category, a severity and an ``analyze`` method."""

    rule: str
    category: str
    severity: Severity

    @abstractmethod
    def analyze(self, inp: ScanInput) -> list[Candidate]:
        """Candidates found on one page."""


class ClassificationRecognizer(Recognizer):
    """Classification markings (密级标志): ★ forms, 密级：… labels and phrase marks."""

    def __init__(self, cls: Classification, fuzzy_penalty: float, stars: str, lookalikes: str = "") -> None:
        self.cls = cls
        self.rule, self.category, self.severity = cls.rule, cls.category, cls.severity
        self.penalty = fuzzy_penalty
        self.lookalikes = lookalikes
        self.marks = {m.name: m for m in cls.marks}
        self.raise_words = [norm_term(w, stars) for w in cls.context.raise_]
        self.lower_words = [norm_term(w, stars) for w in cls.context.lower]

    def analyze(self, inp: ScanInput) -> list[Candidate]:
        out: list[Candidate] = []
        norm = inp.view.norm
        for m in inp.matches:
            if m.group == "cls:star":
                text = norm[m.start : m.end]
                has_period = text[-1] not in "★" + self.lookalikes
                score = self.cls.scores.star_period if has_period else self.cls.scores.star
                name = "star_period" if has_period else "star"
                notes = [f"模式（pattern）：密级★保密期限 {name}，基础分 {score:.2f}"]
                if m.substitution is not None:
                    score *= self.penalty
                    notes.append("OCR 容错（ocr_confusion）：密级用字或★有一字形近")
                out.append(self._cand(m, score, notes, negatable=False))
            elif m.group == "cls:label":
                score = self.cls.scores.label
                notes = [f"模式（pattern）：密级：… label，基础分 {score:.2f}"]
                if m.substitution is not None:
                    score *= self.penalty
                    notes.append("OCR 容错（ocr_confusion）：一字形近")
                out.append(self._cand(m, score, notes, False))
            elif m.group.startswith("mark:"):
                mark = self.marks[m.group[5:]]
                score = mark.score
                notes = [f"模式（pattern）：{mark.name}「{m.term}」，基础分 {score:.2f}"]
                fz = _fuzzy_note(m)
                if fz:
                    score *= self.penalty
                    notes.append(fz)
                c = self._cand(m, score, notes, True)
                c.standalone_only = mark.standalone_only
                out.append(c)
        return out

    def _cand(self, m: TermMatch, score: float, notes: list[str], negatable: bool) -> Candidate:
        return Candidate(
            rule=self.rule,
            category=self.category,
            severity=self.severity,
            start=m.start,
            end=m.end,
            score=score,
            kind="classification",
            explanation=notes,
            negatable=negatable,
            context_raise=self.raise_words,
            context_lower=self.lower_words,
        )


class KeywordRecognizer(Recognizer):
    """One configured keyword list (``keywords.yaml``), matched by the shared PhraseMatcher."""

    def __init__(self, kl: KeywordList, fuzzy_penalty: float, stars: str) -> None:
        self.kl = kl
        self.rule, self.category, self.severity = kl.rule, kl.category, kl.severity
        self.group = f"kw:{kl.id}"
        self.penalty = fuzzy_penalty
        self.raise_words = [norm_term(w, stars) for w in kl.context.raise_]
        self.lower_words = [norm_term(w, stars) for w in kl.context.lower]

    def analyze(self, inp: ScanInput) -> list[Candidate]:
        out: list[Candidate] = []
        for m in inp.matches:
            if m.group != self.group:
                continue
            score = self.kl.score
            notes = [f"关键词（keyword）：清单 {self.kl.id}「{m.term}」，基础分 {score:.2f}"]
            fz = _fuzzy_note(m)
            if fz:
                score *= self.penalty
                notes.append(fz)
            out.append(
                Candidate(
                    rule=self.rule,
                    category=self.category,
                    severity=self.severity,
                    start=m.start,
                    end=m.end,
                    score=score,
                    kind="keyword",
                    explanation=notes,
                    context_raise=self.raise_words,
                    context_lower=self.lower_words,
                )
            )
        return out


class PatternRecognizer(Recognizer):
    """A regular expression with a ``value`` group; subclasses override only ``validate_result``."""

    check_name: ClassVar[str] = ""
    masks_value: ClassVar[bool] = True

    def __init__(self, spec: PatternSpec, stars: str) -> None:
        self.spec = spec
        self.rule, self.category, self.severity = spec.rule, spec.category, spec.severity
        self.regex = re.compile(spec.regex)
        self.raise_words = [norm_term(w, stars) for w in spec.context]
        self.lower_words = [norm_term(w, stars) for w in spec.lower]

    def validate_result(self, value: str) -> bool | None:
        """Checksum / plausibility of ``value``: True (passed), False (failed) or None (no check)."""
        return None

    def analyze(self, inp: ScanInput) -> list[Candidate]:
        out: list[Candidate] = []
        for m in self.regex.finditer(inp.view.norm):
            value = m.group("value")
            score = self.spec.score
            notes = [f"模式（pattern）：{self.spec.recognizer}，基础分 {score:.2f}"]
            valid = self.validate_result(value)
            if valid is True:
                if self.spec.pass_score is not None:
                    score = max(score, self.spec.pass_score)
                notes.append(f"校验（checksum）：{self.check_name or '格式'} 通过 → {score:.2f}")
            elif valid is False:
                score = self.spec.fail_score if self.spec.fail_score is not None else score * 0.5
                notes.append(f"校验（checksum）：{self.check_name or '格式'} 未通过 → {score:.2f}")
            out.append(
                Candidate(
                    rule=self.rule,
                    category=self.category,
                    severity=self.severity,
                    start=m.start(),
                    end=m.end(),
                    score=score,
                    kind="pattern",
                    explanation=notes,
                    value_span=m.span("value") if self.masks_value else None,
                    value=value,
                    negatable=False,
                    context_raise=self.raise_words,
                    context_lower=self.lower_words,
                )
            )
        return out


class ResidentIdRecognizer(PatternRecognizer):
    check_name = "GB 11643 校验码"

    def validate_result(self, value: str) -> bool | None:
        return resident_id_valid(value)


class BankCardRecognizer(PatternRecognizer):
    check_name = "Luhn"

    def validate_result(self, value: str) -> bool | None:
        return luhn_valid(value)


class MobileRecognizer(PatternRecognizer):
    pass


class LandlineRecognizer(PatternRecognizer):
    check_name = "区号分隔"

    def validate_result(self, value: str) -> bool | None:
        return True if re.search(r"[-－ )]", value) else None


class EmailRecognizer(PatternRecognizer):
    pass


class PassportRecognizer(PatternRecognizer):
    pass


class PrivateIpRecognizer(PatternRecognizer):
    check_name = "RFC 1918 私有地址"
    masks_value = False

    def validate_result(self, value: str) -> bool | None:
        return private_ipv4(value)


class PasswordRecognizer(PatternRecognizer):
    """``密码：xxx`` with a real-looking value; placeholders (``******``, ``请输入…``) fail."""

    check_name = "口令值"
    _PLACEHOLDER = re.compile(r"^(?:[★*•·xX]+|请.*|无|空|略|见.*|\d{1,3}位.*|n/?a|none|null)$")

    def validate_result(self, value: str) -> bool | None:
        if self._PLACEHOLDER.match(value):
            return False
        return any(c.isascii() and c.isalnum() for c in value)


class UnitDesignationRecognizer(PatternRecognizer):
    masks_value = False


PATTERN_RECOGNIZERS: dict[str, type[PatternRecognizer]] = {
    "resident_id": ResidentIdRecognizer,
    "bank_card": BankCardRecognizer,
    "mobile": MobileRecognizer,
    "landline": LandlineRecognizer,
    "email": EmailRecognizer,
    "passport": PassportRecognizer,
    "private_ip": PrivateIpRecognizer,
    "password": PasswordRecognizer,
    "unit_designation": UnitDesignationRecognizer,
}


def build_recognizers(cfg: SensitiveConfig) -> list[Recognizer]:
    """All recognizers declared by ``cfg``."""
    stars = cfg.screening.ocr.star_variants
    penalty = cfg.screening.ocr.fuzzy_penalty
    lookalikes = cfg.screening.ocr.star_lookalikes
    recs: list[Recognizer] = [ClassificationRecognizer(cfg.classification, penalty, stars, lookalikes)]
    recs += [KeywordRecognizer(kl, penalty, stars) for kl in cfg.keywords.lists]
    for spec in cfg.patterns.recognizers:
        try:
            cls = PATTERN_RECOGNIZERS[spec.recognizer]
        except KeyError as exc:
            raise ValueError(f"unknown recognizer {spec.recognizer!r} in patterns.yaml") from exc
        recs.append(cls(spec, stars))
    return recs


def value_digits(c: Candidate) -> str:
    """The candidate's value without separators (for allow-list comparison)."""
    return digits(c.value)
