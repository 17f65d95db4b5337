"""A second reading of the text lines that hold names and titles on scanned pages.

The page OCR reads a rare character wrongly now and then (岷 as 眠) or drops it (涪), with full
confidence, so low confidence cannot be the trigger. For the few lines that hold a value, the
line is cut from the page image (with two margins) and read again by RapidOCR's recogniser alone
(~0.05 s a crop). Where that reading differs from the page OCR in Chinese characters, Tesseract
reads the same crop (~0.3 s) as a witness, and an edit is adopted only where Tesseract reads the
re-read's characters in the same context and not the page OCR's: two readings against one.
Nothing is compared with declared data. Only Chinese characters are changed; the words keep their
boxes and confidences.

Measured on all 463 text lines of the scanned samples (2026-11-29, brightest-channel crops): a
re-read differs from the page OCR on 69 lines (and is often the worse reading, so it is never
taken alone); an edit was adopted on 9 lines, 8 closer to the source text, 1 further (叁 read as
参 by both engines, on an amount line, which is not re-read). Only value lines are re-read, and
Tesseract runs only when a re-read differs in Chinese characters.

The second margin is read only when the first crop's Chinese characters differ from the page
OCR's (two readings alike are taken as read). On the 48 value lines of the scanned samples
(2026-11-30) the first crop differed on 6, and every edit adopted with both margins always read
(6 lines, one of them, 涪, found only at the second margin) is adopted this way too, for 42 fewer
recogniser calls (~1.4 s of ~5.5 s of re-reading over the 30 pages).
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from extractors.text import LineIndex, is_cjk
from pipeline.content import PageContent
from pipeline.model import BBox, Line, Word
from pipeline.preprocess import to_gray

log = logging.getLogger(__name__)

#: crop margins around the line, in line heights, for the re-reads (RapidOCR's recogniser scales
#: the crop to 48 px high, so the margin changes the glyph size it sees; a rare character read
#: right at one margin may be dropped or misread at another, hence two) and for the witness
#: (Tesseract); chosen on the scanned samples, where these margins read the most characters right
PADS = (0.5, 0.25)
WITNESS_PAD = 0.2
#: context characters on each side of an edit that the witness must read the same way
CONTEXT = 2
#: at most this many lines are re-read per call (cost bound)
MAX_LINES = 24

_BRACKETS = str.maketrans(
    {"（": "(", "）": ")", "〈": "(", "〉": ")", "〔": "(", "〕": ")", "[": "(", "]": ")"}
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(_BRACKETS)


@dataclass(frozen=True)
class Edit:
    """Replace ``old[i1:i2]`` of a line's compact text by ``new`` (Chinese characters only)."""

    i1: int
    i2: int
    old: str
    new: str


def _all_cjk(s: str) -> bool:
    return all(is_cjk(c) for c in s)


@dataclass(frozen=True)
class _Candidate:
    edit: Edit
    new_ctx: str  # the re-read's characters with their context
    old_ctx: str  # the page OCR's characters in the same context


def candidate_edits(old: str, new: str, context: int = CONTEXT) -> list[_Candidate]:
    """Edits turning ``old`` (page OCR) into ``new`` (the re-read) that touch Chinese characters
    only, each with ``context`` characters around it (compact texts)."""
    a, b = _norm(old), _norm(new)
    if len(a) != len(old):
        return []  # normalisation changed positions: give up rather than misplace an edit
    out: list[_Candidate] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal" or not _all_cjk(a[i1:i2]) or not _all_cjk(b[j1:j2]):
            continue
        left, right = b[max(0, j1 - context) : j1], b[j2 : j2 + context]
        new_ctx = left + b[j1:j2] + right
        if len(new_ctx) >= 3:
            out.append(_Candidate(Edit(i1, i2, old[i1:i2], b[j1:j2]), new_ctx, left + a[i1:i2] + right))
    return out


def supported_edits(old: str, new: str, witness: str, context: int = CONTEXT) -> list[Edit]:
    """The :func:`candidate_edits` that ``witness`` (a third reading) supports: it contains the
    re-read's characters in their context, and not the page OCR's.

    >>> supported_edits("城热力公司", "涪城热力公司", "涪城热力公司")
    [Edit(i1=0, i2=0, old='', new='涪')]
    >>> supported_edits("眠江燃气", "岷江燃气", "嵌江燃气")
    []
    """
    return _supported(candidate_edits(old, new, context), witness)


def _supported(cands: list[_Candidate], witness: str) -> list[Edit]:
    w = _norm(witness)
    out: list[Edit] = []
    for c in cands:
        if c.new_ctx not in w:
            continue
        if c.old_ctx not in c.new_ctx and c.old_ctx in w:
            continue  # the witness reads the page OCR's version somewhere too
        if c.edit not in out:
            out.append(c.edit)

    def clash(a: Edit, b: Edit) -> bool:
        return a != b and ((a.i1 < b.i2 and b.i1 < a.i2) or (a.i1 == b.i1 and (a.i1 == a.i2 or b.i1 == b.i2)))

    # two re-reads proposing different changes at one place: neither is taken
    return [e for e in out if not any(clash(e, o) for o in out)]


def apply_edits(li: LineIndex, edits: list[Edit]) -> LineIndex:
    """``li`` with ``edits`` applied to its words (each character stays in its word; an inserted
    one joins the word of the character before it, or of the first character)."""
    if not edits or not li.text:
        return li
    chars = list(li.text)
    owner = list(li.owner)
    for e in sorted(edits, key=lambda e: e.i1, reverse=True):
        if e.i1 < e.i2:
            o = owner[e.i1]
        elif e.i1 > 0:
            o = owner[e.i1 - 1]
        else:
            o = owner[0]
        chars[e.i1 : e.i2] = list(e.new)
        owner[e.i1 : e.i2] = [o] * len(e.new)
    texts: dict[int, str] = {}
    for c, o in zip(chars, owner, strict=True):
        texts[o] = texts.get(o, "") + c
    words = [
        Word(text=texts[i], bbox=w.bbox, confidence=w.confidence, block=w.block, line=w.line)
        for i, w in enumerate(li.line.words)
        if texts.get(i)
    ]
    return LineIndex.of(Line(words=words)) if words else li


def line_crop(
    img: np.ndarray,
    bbox: BBox,
    pad: float = PADS[0],
    *,
    pad_x: float | None = None,
    pad_y: float | None = None,
    min_height: int = 8,
) -> np.ndarray | None:
    """The line ``bbox`` (page fractions) cut from ``img`` with ``pad`` line heights around it
    (``pad_x`` / ``pad_y`` for different margins left/right and above/below); None when the cut is
    narrower than 8 or lower than ``min_height`` pixels, or ``img`` is not a uint8 image. The
    licence line re-reads (``licence_reread``) cut their lines here too."""
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or img.size == 0:
        return None
    h_img, w_img = img.shape[:2]
    x0, y0, x1, y1 = bbox[0] * w_img, bbox[1] * h_img, bbox[2] * w_img, bbox[3] * h_img
    line_px = max(1.0, y1 - y0)
    mx = (pad if pad_x is None else pad_x) * line_px
    my = (pad if pad_y is None else pad_y) * line_px
    a, b = int(max(0, x0 - mx)), int(min(w_img, x1 + mx))
    c, d = int(max(0, y0 - my)), int(min(h_img, y1 + my))
    if b - a < 8 or d - c < min_height:
        return None
    crop = img[c:d, a:b]
    return crop if crop.dtype == np.uint8 else None


@lru_cache(maxsize=1)
def _engines() -> tuple[Any, Any] | None:
    """(RapidOCR engine, Tesseract single-line engine), or None when either is unavailable."""
    from pipeline.ocr.base import OcrOptions, get_engine

    try:
        rapid = get_engine(OcrOptions(engine="rapidocr"))
        tess = get_engine(OcrOptions(engine="tesseract", psm=7))
    except Exception as e:  # an engine not installed: no second reading
        log.info("line re-read unavailable: %s", type(e).__name__)
        return None
    if not hasattr(rapid, "recognize_line"):
        return None
    return rapid, tess


def _witness(tess: Any, crop: np.ndarray) -> str:
    """Tesseract's reading of the crop. Its confidence is not used: on rare characters it is low
    even when right (涪 at 0.0-0.7), and agreeing with another engine on one particular character
    by chance is unlikely."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    return "".join(w.text for w in tess.recognize(gray))


def reread_lines(
    page: PageContent, lines: list[LineIndex], wanted: Iterable[int]
) -> dict[int, tuple[LineIndex, str]]:
    """Re-read lines ``wanted`` of an OCR page: ``{line number: (patched line, note)}`` for the
    lines where an edit was adopted (nothing for text-layer pages or without both engines)."""
    if page.info.text_source != "ocr":
        return {}
    todo = sorted({n for n in wanted if 0 <= n < len(lines)})[:MAX_LINES]
    if not todo:
        return {}
    try:
        img = page.get_image()
    except Exception:  # a page that cannot be rendered: nothing to re-read
        return {}
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or img.size == 0:
        return {}
    engines = _engines()
    if engines is None:
        return {}
    rapid, tess = engines
    # the brightest channel, as for the page OCR: red or blue seal ink over the text drops out
    # (on the colour crop both engines read 中 under a seal as 电)
    bright = to_gray(img[..., :3], "max") if img.ndim == 3 else img
    out: dict[int, tuple[LineIndex, str]] = {}
    for n in todo:
        li = lines[n]
        crops = [line_crop(bright, li.line.bbox, pad) for pad in PADS]
        tight = line_crop(bright, li.line.bbox, WITNESS_PAD)
        if tight is None or any(c is None for c in crops):
            continue
        try:
            cands: list[_Candidate] = []
            for crop in crops:
                text, _conf = rapid.recognize_line(crop)
                cands.extend(candidate_edits(li.text, _norm(text)))
                if not cands:
                    break  # the crop reads the page OCR's Chinese characters: taken as read
            if not cands:
                continue  # the same Chinese characters: no witness needed
            witness = _witness(tess, tight)
        except Exception as e:  # an OCR failure leaves the first reading in place
            log.info("line re-read failed: %s", type(e).__name__)
            continue
        edits = _supported(cands, witness)
        if not edits:
            continue
        desc = ", ".join(f"{e.old or '∅'}→{e.new or '∅'}" for e in edits)
        out[n] = (
            apply_edits(li, edits),
            f"characters re-read ({desc}): line crop read again, Tesseract agrees",
        )
    return out
