"""Extractor dispatch by document type: doc_type -> ``"module:function"``.

Add a type by adding an entry to :data:`EXTRACTORS`; modules are imported on first use, so an
extractor's start-up cost is paid only by documents of its type. Exceptions are not caught here:
the caller turns them into an error item for the document.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from pipeline.content import DocumentContent
from pipeline.model import ExtractedField

Extractor = Callable[[DocumentContent], list[ExtractedField]]

EXTRACTORS: dict[str, str] = {
    "business_license": "extractors.business_license:extract_business_license",
    "contract": "extractors.contract:extract_contract",
    "application_proof": "extractors.letters:extract_application_proof",
    "authorization_letter": "extractors.letters:extract_authorization_letter",
    "commitment_letter": "extractors.letters:extract_commitment_letter",
    "disclosure_commitment": "extractors.letters:extract_disclosure_commitment",
    "test_report": "extractors.test_report:extract_test_report",
    "compat_certificate": "extractors.certificates:extract_compat_certificate",
    "patent_certificate": "extractors.certificates:extract_patent_certificate",
    "software_copyright": "extractors.certificates:extract_software_copyright",
    "honor_certificate": "extractors.certificates:extract_honor_certificate",
}


@cache
def get_extractor(doc_type: str) -> Extractor | None:
    """The extractor for ``doc_type``, or None when the type has none."""
    target = EXTRACTORS.get(doc_type)
    if target is None:
        return None
    module, _, name = target.partition(":")
    fn: Extractor = getattr(importlib.import_module(module), name)
    return fn


def run_extractors(doc: DocumentContent, doc_type: str) -> list[ExtractedField]:
    """The fields of ``doc`` for its ``doc_type``; ``[]`` for types without an extractor."""
    extractor = get_extractor(doc_type)
    return extractor(doc) if extractor is not None else []
