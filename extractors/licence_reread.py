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

``reread_line`` reads one line again: the crop under a box, scaled to a few heights and given as
colour, red channel (a red seal over black print fades away) and sharpened grey, through RapidOCR's
recognition model alone (no detection, ~0.02 s a read). Small or stamped-over print read at several
scales errs differently, so the readings can be voted on (credit codes, dates under a watermark).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from extractors.line_reread import line_crop
from pipeline.content import PageContent
from pipeline.errors import EvidenceError
from pipeline.model import BBox, Word
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


# --- re-reading one line of the page -----------------------------------------------------------

LINE_ENGINE = "rapidocr"
"""Engine whose recognition model reads a single-line crop (no detection pass, ~0.02 s a read)."""
LINE_HEIGHTS = (32, 48, 64)
"""Crop heights (pixels) the line is scaled to: RapidOCR's recogniser works at 48 px; small print
read at several scales errs differently, which is what a vote between readings needs."""


@dataclass(frozen=True)
class LineReading:
    """One reading of a line crop: its text, the recogniser's score (the mean of its characters'
    scores), the crop variant (``colour@48px``) and, when the engine gives them, the score of
    each character of ``text``."""

    text: str
    confidence: float
    variant: str
    chars: tuple[float, ...] = ()

    def span_confidence(self, start: int, end: int) -> float:
        """The mean score of ``text[start:end]`` (the line score when there are no character
        scores): the confidence of a value alone, without a label remnant or trailing text that
        the crop also holds (a handwritten note after a name drags the line score down)."""
        if len(self.chars) != len(self.text):
            return self.confidence
        part = self.chars[max(0, start) : max(0, end)]
        return sum(part) / len(part) if part else 0.0


def _line_variants(crop: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The crop as is, its red channel (a red seal fades away in it) and an unsharp-masked grey."""
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    blur = cv2.GaussianBlur(gray, (0, 0), 2)
    sharp = cv2.addWeighted(gray, 1.8, blur, -0.8, 0)
    return [
        ("colour", crop),
        ("red", cv2.cvtColor(np.ascontiguousarray(crop[:, :, 2]), cv2.COLOR_GRAY2BGR)),
        ("sharp", cv2.cvtColor(sharp, cv2.COLOR_GRAY2BGR)),
    ]


def reread_line(
    page: PageContent,
    bbox: BBox,
    *,
    heights: Sequence[int] = LINE_HEIGHTS,
    colours: bool = True,
    pad_x: float = 0.5,
) -> list[LineReading]:
    """The text line under ``bbox`` read again, cropped (``pad_x`` line heights left and right,
    a quarter above and below) and scaled to each of ``heights`` (and, with ``colours``, as
    colour, red channel and sharpened grey): several cheap readings to vote on, with per-character
    scores when the engine gives them. Empty when the line engine is not installed or the page has
    no image."""
    ocr = _engine(LINE_ENGINE)
    recognize_line = getattr(ocr, "recognize_line", None)
    recognize_chars = getattr(ocr, "recognize_line_chars", None)
    if recognize_line is None:
        return []
    try:
        image = page.get_image()
    except Exception:  # a page that cannot be rendered has nothing to re-read
        return []
    if image is None or getattr(image, "ndim", 0) not in (2, 3):
        return []
    crop = line_crop(image, bbox, pad_x=pad_x, pad_y=0.25, min_height=4)
    if crop is None:
        return []
    out: list[LineReading] = []
    for height in heights:
        scale = height / crop.shape[0]
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        scaled = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interp)
        variants = _line_variants(scaled) if colours else _line_variants(scaled)[:1]
        for name, img in variants:
            try:
                if recognize_chars is not None:
                    chars = recognize_chars(img)
                    text = "".join(c for c, _ in chars)
                    scores = tuple(float(p) for _, p in chars)
                    conf = sum(scores) / len(scores) if scores else 0.0
                else:
                    text, conf = recognize_line(img)
                    scores = ()
            except EvidenceError:
                continue
            if text:
                out.append(LineReading(text, float(conf), f"{name}@{height}px", scores))
    return out
