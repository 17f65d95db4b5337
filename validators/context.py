"""What the rules see: the declared data, the extraction results and the campaign config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipeline.model import ExtractedField, ExtractionResult
from validators.config import CampaignConfig, RegionTable
from validators.declared import Declared
from validators.model import EvidenceRef


@dataclass
class ReviewContext:
    declared: Declared
    results: list[ExtractionResult]
    config: CampaignConfig
    regions: RegionTable
    # Submission ids of the same applicant known to the store or folder set (including this one).
    applicant_submissions: list[str] = field(default_factory=list)

    @property
    def reference_date(self) -> date:
        return self.config.reference_date or self.declared.submitted_at

    def doc_type(self, result: ExtractionResult) -> str:
        """The content type, or the declared category when the content could not be classified."""
        t = result.document.doc_type
        if t in ("unknown", "other") or result.status == "failure":
            return self.declared.category_of(result.document.name) or t
        return t

    def docs(self, *types: str) -> list[ExtractionResult]:
        return [r for r in self.results if self.doc_type(r) in types]

    def unreadable(self, *types: str) -> list[ExtractionResult]:
        """Documents of ``types`` (all when none given) that could not be read at all."""
        return [r for r in self.results if r.status == "failure" and (not types or self.doc_type(r) in types)]

    @staticmethod
    def fields(result: ExtractionResult, name: str) -> list[ExtractedField]:
        return sorted((f for f in result.fields if f.name == name), key=lambda f: -f.confidence)


def ref(result: ExtractionResult, f: ExtractedField | None = None, **kw: object) -> EvidenceRef:
    """An evidence reference to ``result`` (and to field ``f`` with its page and box)."""
    if f is None:
        return EvidenceRef(document=result.document.name, sha256=result.document.sha256, **kw)  # type: ignore[arg-type]
    return EvidenceRef(
        document=result.document.name,
        sha256=result.document.sha256,
        page=f.page,
        bbox=f.bbox,
        field=f.name,
        value=f.value,
    )
