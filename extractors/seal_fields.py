"""Fields read from seals rather than from printed text: a business licence's registration
authority is often printed only on the ring of the authority's seal."""

from __future__ import annotations

import re

from pipeline.model import ExtractedField, Seal

_CITY = re.compile(
    r"^(?:.{2,6}?(?:省|自治区))?(?P<city>[^省市]{2,6}?(?:市|自治州|地区|盟))"
)
# Only a ring text matched to a known name is trusted as a field; raw ring OCR is too noisy.
MATCHED_NOTE = "ring text matched to candidate"


def authority_candidates(fields: list[ExtractedField], suffixes: list[str]) -> list[str]:
    """Likely registration-authority names for a licence: the city of its address plus each
    authority suffix, e.g. 福州市 → 福州市市场监督管理局. District-level names are left out: they
    share most characters with the city-level one, so neither would win a fuzzy match."""
    names: list[str] = []
    for f in fields:
        if f.name != "address" or not isinstance(f.value, str):
            continue
        m = _CITY.match(f.value)
        if not m:
            continue
        names += [m["city"] + s for s in suffixes]
    return list(dict.fromkeys(names))

AUTHORITY_NOTE = "owner:authority"


def fields_from_seals(doc_type: str, seals: list[Seal], fields: list[ExtractedField]) -> list[ExtractedField]:
    """Fields to add from ``seals``; nothing when the printed text already gave the field."""
    if doc_type != "business_license" or any(f.name == "registration_authority" for f in fields):
        return []
    authority = [
        s
        for s in seals
        if s.text and AUTHORITY_NOTE in s.notes and any(n.startswith(MATCHED_NOTE) for n in s.notes)
    ]
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
