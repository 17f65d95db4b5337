"""A second OCR reading of a licence page with the other engine, for the business-licence extractor.

Tesseract and RapidOCR fail on different licences: Tesseract misreads some characters of
photographed licences (闽→国) and merges the two columns of a tilted photo, while RapidOCR reads
whole text lines and rarely loses a character but now and then drops a short label. The licence
extractor reads the page's words first and, when a key field is missing or weak, asks this module
for the same page read by the other engine (the whole upright page image, as the runner kept it:
the word boxes of both readings are fractions of the same image). The extractor then votes per
field (see ``extractors.business_license``).

Engines are built once per process through ``pipeline.ocr.base.get_engine``; an engine that is not
installed, or a page without an image, simply yields no second reading.
"""

from __future__ import annotations

import logging
import os
from functools import cache

from pipeline.content import PageContent
from pipeline.errors import EvidenceError
from pipeline.model import Word
from pipeline.ocr.base import OcrEngine, OcrOptions, available_engines, get_engine

log = logging.getLogger(__name__)

#: Engine that re-reads a page first read by the key engine.
OTHER_ENGINE: dict[str, str] = {"tesseract": "rapidocr", "rapidocr": "tesseract"}
REREAD_ENV = "EVIDENCE_LICENCE_REREAD"
"""Set to ``0`` to switch the second reading off (for measuring one engine alone)."""


def engine_family(engine_name: str | None) -> str:
    """``tesseract 5.3.0`` -> ``tesseract``."""
    return (engine_name or "").split(" ")[0].lower()


def reread_enabled() -> bool:
    return os.environ.get(REREAD_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


@cache
def _engine(name: str) -> OcrEngine | None:
    if name not in available_engines():
        return None
    try:
        return get_engine(OcrOptions(engine=name))
    except EvidenceError:
        return None


def other_engine_for(page: PageContent) -> str | None:
    """The engine to re-read ``page`` with, or None (text-layer page, engine not installed)."""
    if page.info.text_source != "ocr":
        return None
    other = OTHER_ENGINE.get(engine_family(page.info.engine))
    if other is None or _engine(other) is None:
        return None
    return other


def reread_page(page: PageContent, engine: str) -> tuple[str, list[Word]] | None:
    """The words of ``page`` read again by ``engine`` (engine name with version, words), or None."""
    ocr = _engine(engine)
    if ocr is None:
        return None
    try:
        image = page.get_image()
    except Exception:  # a page that cannot be rendered has nothing to re-read
        return None
    if image is None or getattr(image, "size", 0) == 0:
        return None
    try:
        words = ocr.recognize(image)
    except EvidenceError as exc:
        log.info("second reading with %s failed: %s", engine, exc.__class__.__name__)
        return None
    return ocr.name, words
