"""Review result (`evidence.review/1`, DESIGN.md §7): findings with outcomes and evidence."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.model import BBox, ErrorItem
from pipeline.version import PIPELINE_VERSION, SCHEMA_REVIEW

Outcome = Literal["pass", "fail", "needs_review", "not_applicable"]
Severity = Literal["error", "warning", "info"]
Status = Literal["pass", "needs_review", "fail", "held"]


class EvidenceRef(BaseModel):
    """Where a finding's evidence is: the UI highlights ``bbox`` on ``page`` of ``document``."""

    model_config = ConfigDict(extra="forbid")

    document: str | None = None
    sha256: str | None = None
    page: int | None = None
    bbox: BBox | None = None
    field: str | None = None
    value: Any = None


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str
    title: str
    outcome: Outcome
    severity: Severity
    message: str
    evidence: list[EvidenceRef] = Field(default_factory=list)
    details: list[str] = Field(default_factory=list)


class DocumentSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    sha256: str
    doc_type: str
    declared_category: str | None = None
    pages: int = 0
    status: str = "success"
    errors: list[ErrorItem] = Field(default_factory=list)


class ReviewResult(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: str = Field(default=SCHEMA_REVIEW, alias="schema")
    pipeline_version: str = PIPELINE_VERSION
    submission: str
    applicant: str | None = None
    solution: str | None = None
    reference_date: date
    status: Status
    findings: list[Finding]
    documents: list[DocumentSummary]
    sensitivity: str = "none"

    def to_json(self, *, indent: int | None = None) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)

    def finding(self, rule: str) -> Finding:
        return next(f for f in self.findings if f.rule == rule)
