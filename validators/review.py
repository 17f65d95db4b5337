"""Run every rule over a submission and decide its status (DESIGN.md §3, §7 `evidence.review/1`)."""

from __future__ import annotations

import logging

from pipeline.model import ExtractionResult
from validators import rules as _rules
from validators.config import CampaignConfig, RegionTable, load_campaign, load_regions
from validators.context import ReviewContext
from validators.declared import Declared
from validators.model import DocumentSummary, Finding, ReviewResult, Status
from validators.rules import REGISTRY
from validators.rules import documents as _documents  # noqa: F401  (registers rules)
from validators.rules import form as _form  # noqa: F401
from validators.rules import identity as _identity  # noqa: F401
from validators.rules import materials as _materials  # noqa: F401

log = logging.getLogger(__name__)

# The checklist order a reviewer sees (DESIGN.md §3).
RULE_ORDER = (
    "materials.required_present",
    "materials.listed_in_commitment",
    "identity.uscc_valid",
    "identity.uscc_matches_declared",
    "identity.name_matches_declared",
    "identity.region_matches",
    "license.valid_on_date",
    "seal.required",
    "seal.name_matches",
    "deployment.within_two_years",
    "contract.party_is_applicant",
    "compat.declared_backed",
    "form.length_limits",
    "form.max_solutions",
    "form.counts_backed",
    "sensitive.none_found",
)
assert set(RULE_ORDER) == set(REGISTRY), set(RULE_ORDER) ^ set(REGISTRY)
del _rules


def decide_status(findings: list[Finding]) -> Status:
    """held: a high-severity sensitive hit; fail: an error-severity rule failed;
    needs_review: anything a human must look at (including warnings that failed); else pass."""
    for f in findings:
        if f.rule == "sensitive.none_found" and f.outcome == "fail":
            return "held"
    if any(f.outcome == "fail" and f.severity == "error" for f in findings):
        return "fail"
    if any(f.outcome == "needs_review" or f.outcome == "fail" for f in findings):
        return "needs_review"
    return "pass"


def review(
    declared: Declared,
    results: list[ExtractionResult],
    *,
    config: CampaignConfig | None = None,
    regions: RegionTable | None = None,
    applicant_submissions: list[str] | None = None,
) -> ReviewResult:
    """The complete checklist for one submission: every rule appears exactly once."""
    ctx = ReviewContext(
        declared=declared,
        results=results,
        config=config or load_campaign(),
        regions=regions or load_regions(),
        applicant_submissions=applicant_submissions or [],
    )
    findings: list[Finding] = []
    for rule_id in RULE_ORDER:
        spec = REGISTRY[rule_id]
        try:
            findings.append(spec.run(ctx))
        except Exception as exc:  # a rule bug must not hide the other rules
            log.exception("rule %s failed", rule_id)
            findings.append(
                Finding(
                    rule=rule_id,
                    title=spec.title,
                    outcome="needs_review",
                    severity=spec.severity,
                    message=f"规则执行出错，请人工核对 (rule error: {type(exc).__name__})",
                )
            )
    levels = [h.severity for r in results for h in r.sensitive]
    sensitivity = (
        "high" if "high" in levels else "medium" if "medium" in levels else "low" if levels else "none"
    )
    return ReviewResult(
        submission=declared.submission_id,
        applicant=declared.applicant.name,
        solution=declared.solution.name,
        reference_date=ctx.reference_date,
        status=decide_status(findings),
        findings=findings,
        documents=[
            DocumentSummary(
                name=r.document.name,
                sha256=r.document.sha256,
                doc_type=ctx.doc_type(r),
                declared_category=declared.category_of(r.document.name),
                pages=r.document.pages,
                status=r.status,
                errors=r.errors,
            )
            for r in results
        ],
        sensitivity=sensitivity,
    )
