"""Text-layer reading with PyMuPDF: words with boxes, NFKC-normalised, and a verdict on whether the
layer can be trusted or the page must be OCRed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pymupdf

from pipeline.model import Word, clamp_bbox
from pipeline.options import ReadingOptions

# A label and its value are often one PDF "word" (名称：福州…); split after these so that
# extractors see the label and the value as separate words with their own boxes.
_SPLIT_AFTER = frozenset(":：")


def normalize_text(text: str) -> str:
    """NFKC: CJK compatibility ideographs from embedded fonts become the unified ones."""
    return unicodedata.normalize("NFKC", text)


def _is_garbage_char(ch: str) -> bool:
    if ch == "\ufffd":
        return True
    cat = unicodedata.category(ch)
    return cat in ("Co", "Cs", "Cn") or (cat == "Cc" and ch not in "\t\n\r")


@dataclass
class TextLayer:
    """The words of a page's text layer and what is known about the page's images."""

    words: list[Word]
    char_count: int
    garbage_ratio: float
    image_coverage: float


Char = tuple[str, float, float, float, float]
"""A character and its box (x0, y0, x1, y1) in unrotated page points."""


def text_lines(page: pymupdf.Page) -> list[list[Char]]:
    """The page's text lines as MuPDF groups them, whitespace included. Plain tuples: a
    ``pymupdf.Rect`` per character costs more than the rest of the page's reading."""
    raw = page.get_text("rawdict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP)
    return [
        [(ch["c"], *ch["bbox"]) for span in line.get("spans", []) for ch in span.get("chars", [])]
        for block in raw.get("blocks", [])
        if block.get("type") == 0
        for line in block.get("lines", [])
    ]


def read_text_layer(page: pymupdf.Page) -> TextLayer:
    """Words of ``page`` in reading order, with boxes as fractions of the (rotated) page."""
    matrix = page.rotation_matrix
    rotated = page.rotation != 0
    pw, ph = page.rect.width, page.rect.height
    words: list[Word] = []
    total = garbage = 0
    for line_id, chars in enumerate(text_lines(page), 1):
        token: list[Char] = []

        def flush(token: list[Char] = token, line_no: int = line_id) -> None:
            if not token:
                return
            text = normalize_text("".join(t[0] for t in token)).strip()
            if text:
                x0, y0 = min(t[1] for t in token), min(t[2] for t in token)
                x1, y1 = max(t[3] for t in token), max(t[4] for t in token)
                if rotated:
                    x0, y0, x1, y1 = pymupdf.Rect(x0, y0, x1, y1) * matrix
                words.append(
                    Word(
                        text=text,
                        bbox=clamp_bbox(x0 / pw, y0 / ph, x1 / pw, y1 / ph),
                        confidence=1.0,
                        block=0,
                        line=line_no,
                    )
                )
            token.clear()

        for ch in chars:
            c = ch[0]
            if c.isspace():
                flush()
                continue
            total += 1
            garbage += _is_garbage_char(c)
            token.append(ch)
            if c in _SPLIT_AFTER:
                flush()
        flush()
    words = _drop_overprinted(words)
    return TextLayer(
        words=words,
        char_count=sum(len(w.text) for w in words),
        garbage_ratio=(garbage / total) if total else 0.0,
        image_coverage=_image_coverage(page),
    )


def _drop_overprinted(words: list[Word]) -> list[Word]:
    """Drop copies of a word drawn again at (almost) the same place: fake bold and overprinting."""
    kept: list[Word] = []
    seen: dict[str, list[Word]] = {}
    for w in words:
        dupes = seen.setdefault(w.text, [])
        if any(_iou(w.bbox, d.bbox) > 0.7 for d in dupes):
            continue
        dupes.append(w)
        kept.append(w)
    return kept


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _image_coverage(page: pymupdf.Page) -> float:
    """Largest share of the page covered by one image (a scan is one full-page image)."""
    area = abs(page.rect)
    if area <= 0:
        return 0.0
    best = 0.0
    try:
        infos = page.get_image_info()
    except Exception:  # broken image streams: treat as no image, the text verdict still holds
        return 0.0
    for info in infos:
        r = pymupdf.Rect(info["bbox"]) & page.rect
        if not r.is_empty:
            best = max(best, abs(r) / area)
    return best


def ocr_reason(layer: TextLayer, options: ReadingOptions) -> str | None:
    """Why the page must be OCRed, or None when its text layer is usable."""
    if layer.char_count == 0:
        return "no text layer"
    if layer.garbage_ratio > options.max_garbage_ratio:
        return f"text layer is garbage ({layer.garbage_ratio:.0%} unreadable characters)"
    if layer.char_count < options.min_text_chars and layer.image_coverage >= options.image_coverage_for_scan:
        return (
            f"text layer has only {layer.char_count} characters over an image covering "
            f"{layer.image_coverage:.0%} of the page"
        )
    return None
