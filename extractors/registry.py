"""Extractor dispatch by document type: a dict of doc_type -> callable.

Add a type by adding an entry to :data:`EXTRACTORS`. Exceptions are not caught here: the caller
turns them into an error item for the document.
"""

from __future__ import annotations

from collections.abc import Callable

from extractors.business_license import extract_business_license
from pipeline.content import DocumentContent
from pipeline.model import ExtractedField

Extractor = Callable[[DocumentContent], list[ExtractedField]]

EXTRACTORS: dict[str, Extractor] = {
    "business_license": extract_business_license,
}


def run_extractors(doc: DocumentContent, doc_type: str) -> list[ExtractedField]:
    """The fields of ``doc`` for its ``doc_type``; ``[]`` for types without an extractor."""
    extractor = EXTRACTORS.get(doc_type)
    return extractor(doc) if extractor is not None else []
