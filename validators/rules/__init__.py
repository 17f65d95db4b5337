"""Rule registry. A rule is a function over a ``ReviewContext`` returning a ``Verdict``; the
registry attaches its stable id, Chinese title and severity (DESIGN.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from validators.context import ReviewContext
from validators.model import EvidenceRef, Finding, Outcome, Severity


@dataclass
class Verdict:
    outcome: Outcome
    message: str
    evidence: list[EvidenceRef] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    severity: Severity | None = None  # overrides the rule's default (e.g. info for a note)


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    severity: Severity
    check: Callable[[ReviewContext], Verdict]

    def run(self, ctx: ReviewContext) -> Finding:
        v = self.check(ctx)
        return Finding(
            rule=self.id,
            title=self.title,
            outcome=v.outcome,
            severity=v.severity or self.severity,
            message=v.message,
            evidence=v.evidence,
            details=v.details,
        )


REGISTRY: dict[str, RuleSpec] = {}


def rule(
    rule_id: str, title: str, severity: Severity = "error"
) -> Callable[[Callable[[ReviewContext], Verdict]], Callable[[ReviewContext], Verdict]]:
    """Register a rule function under its stable id."""

    def deco(fn: Callable[[ReviewContext], Verdict]) -> Callable[[ReviewContext], Verdict]:
        REGISTRY[rule_id] = RuleSpec(rule_id, title, severity, fn)
        return fn

    return deco


def parse_iso(value: object) -> date | None:
    """A field's ISO date (``YYYY-MM-DD``; ``YYYY-MM`` means the 1st), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
