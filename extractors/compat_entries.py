"""Which compatibility finder runs on which document type."""

from __future__ import annotations

from pipeline.content import DocumentContent
from pipeline.model import CompatEntry

# Only evidence documents back declared products; elsewhere product names are just mentions.
COMPAT_DOC_TYPES = frozenset({"compat_certificate", "test_report"})


def find_entries(doc: DocumentContent, doc_type: str) -> list[CompatEntry]:
    """Compatibility entries of an evidence document: the test environment table of a test
    report, the partner product of a certificate; [] for other types."""
    if doc_type == "test_report":
        from extractors.test_report import extract_test_environment

        return extract_test_environment(doc)
    if doc_type == "compat_certificate":
        from extractors.certificates import extract_certificate_compat

        return extract_certificate_compat(doc)
    return []
