"""Fields read from seals rather than from printed text: a business licence's registration
authority is often printed only on the ring of the authority's seal."""

from __future__ import annotations

from pipeline.model import ExtractedField, Seal

AUTHORITY_NOTE = "owner:authority"


def fields_from_seals(doc_type: str, seals: list[Seal], fields: list[ExtractedField]) -> list[ExtractedField]:
    """Fields to add from ``seals``; nothing when the printed text already gave the field."""
    if doc_type != "business_license" or any(f.name == "registration_authority" for f in fields):
        return []
    authority = [s for s in seals if s.text and AUTHORITY_NOTE in s.notes]
    if not authority:
        return []
    best = max(authority, key=lambda s: s.text_confidence or 0.0)
    return [
        ExtractedField(
            name="registration_authority",
            value=best.text,
            raw=best.text,
            confidence=round(min(best.confidence, best.text_confidence or 0.0), 3),
            page=best.page,
            bbox=best.bbox,
            engine="seal",
            notes=["read from the ring of the registration authority's seal"],
        )
    ]
