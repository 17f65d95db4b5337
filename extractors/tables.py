"""Tables on document pages, as rows of cells with text and page-fraction boxes.

Three readers, tried in this order per page:

* the PDF's own vector ruling on text-layer pages of a PDF (``DocumentContent.source_pdf``): the
  horizontal and vertical strokes it draws (lines and rectangle edges, read with PyMuPDF) make the
  grid, and the PDF's characters (NFKC) whose centres fall in a cell make its text and box. This
  costs milliseconds; ``pdfplumber`` (hundreds of milliseconds a page, most of it font parsing) is
  kept only for PDFs whose drawings PyMuPDF cannot read;
* ruled-line detection on the page image (scans, or text-layer pages where pdfplumber found
  nothing): horizontal and vertical strokes are found by morphological opening, the grid of each
  table is read from them, and the words whose centres fall in a cell make its text. On OCR pages
  the table area is read again with the ruling erased, because Tesseract's page segmentation
  garbles ruled tables (the whole-page words of a table are often noise);
* nothing else: text without ruling is left to the callers' line-based parsing.

:func:`read_region` re-reads any page region with OCR, optionally dropping red (seal) ink, for
values that a seal printed over.

A page that cannot be read as tables yields no tables; nothing here raises for a bad page, and no
cell text is logged.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import io
import itertools
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import cv2
import numpy as np

from pipeline.content import DocumentContent, PageContent
from pipeline.model import BBox, Word, clamp_bbox, join_words, union_bbox

log = logging.getLogger(__name__)

Method = Literal["pdf_ruling", "pdfplumber", "ruled_lines"]

MIN_TABLE_ROWS = 2
MIN_TABLE_COLS = 2
LINE_KERNEL_FRACTION = 30
"""A horizontal (vertical) stroke is at least 1/30 of the page width (height) long."""
MAX_REOCR_TABLES = 4
"""At most this many tables per page are read again with OCR (cost bound)."""


@dataclass
class Cell:
    """One table cell: its text as printed (whitespace between CJK removed), box, and words."""

    text: str
    bbox: BBox
    row: int
    col: int
    words: list[Word] = field(default_factory=list)
    engine: str | None = None


@dataclass
class Table:
    """A table on one page: ``rows[r][c]`` (rows may have different lengths for merged cells)."""

    page: int
    bbox: BBox
    rows: list[list[Cell]]
    method: Method

    def texts(self) -> list[list[str]]:
        """The cell texts row by row."""
        return [[c.text for c in row] for row in self.rows]


def find_tables(
    doc: DocumentContent, pages: Sequence[int] | None = None, *, reocr: bool = True
) -> list[Table]:
    """Every ruled table on the pages of ``doc`` (all pages unless ``pages`` is given)."""
    out: list[Table] = []
    cache: dict[tuple[int, bool], list[Table]] = doc.cache.setdefault("tables", {})
    for page in doc.pages:
        if pages is not None and page.index not in pages:
            continue
        key = (page.index, reocr)
        if key not in cache:
            cache[key] = page_tables(doc, page, reocr=reocr)
        out.extend(cache[key])
    return out


def page_tables(doc: DocumentContent, page: PageContent, *, reocr: bool = True) -> list[Table]:
    """The tables of one page (see the module docstring for the readers used)."""
    tables: list[Table] = []
    if page.info.text_source == "text_layer" and doc.source_pdf:
        ruling = pdf_page_ruling(doc, page.index)
        if ruling is not None and not ruling.may_hold_table:
            return []  # no ruling drawn and no image that could show one: nothing to find
        if ruling is None:
            tables = pdf_tables(doc.source_pdf, page, opened=_opened_plumber(doc))
        elif ruling.may_hold_vector_table:
            tables = vector_tables(page, ruling)
    if not tables:
        try:
            tables = image_tables(page, reocr=reocr and region_reread_helps(page))
        except Exception as exc:  # a bad image must not stop the extraction
            log.warning("ruled-table reading failed on page %d: %s", page.index, type(exc).__name__)
            tables = []
    return tables


def region_reread_helps(page: PageContent) -> bool:
    """Whether reading a region of the page again can find what its page words missed: only on
    pages OCRed by Tesseract, whose page segmentation garbles ruled cells and text crossed by seal
    ink. RapidOCR's line detector keeps cells apart, and the page was read from the brightest
    channel, where red seal ink has already dropped out; on the scanned samples a second reading
    of RapidOCR pages found nothing new and cost about 1.9 s a region."""
    return page.info.text_source == "ocr" and (page.info.engine or "").startswith("tesseract")


# --- what a PDF page draws -----------------------------------------------------------------------


Segment = tuple[float, float, float, float]
"""A straight stroke from (x0, y0) to (x1, y1), in page fractions."""


@dataclass(frozen=True)
class PdfChar:
    """One character of a PDF page's text layer (NFKC), its box in page fractions, and the
    PyMuPDF line it belongs to."""

    text: str
    bbox: BBox
    line: int


@dataclass(frozen=True)
class PageRuling:
    """The straight strokes a PDF page draws as vectors, and how many raster images large enough
    to show a table it paints.

    ``segments`` and ``chars`` are kept only when the page may hold a vector table."""

    horizontal: int
    vertical: int
    table_images: int
    size: tuple[float, float] = (0.0, 0.0)
    segments: tuple[Segment, ...] = ()
    chars: tuple[PdfChar, ...] = ()

    @property
    def may_hold_vector_table(self) -> bool:
        """Enough horizontal and vertical strokes for the smallest ruled table."""
        return self.horizontal >= MIN_TABLE_ROWS + 1 and self.vertical >= MIN_TABLE_COLS + 1

    @property
    def may_hold_table(self) -> bool:
        """A vector table, or an image that may show a ruled table."""
        return self.may_hold_vector_table or self.table_images > 0


_MIN_STROKE_PT = 8.0  # shorter strokes are glyph parts, ticks or underline stubs
_THIN_PT = 2.0  # a filled rectangle thinner than this is drawn as a rule


def pdf_page_ruling(doc: DocumentContent, index: int) -> PageRuling | None:
    """Count the page's vector strokes (lines and rectangle edges) and its images with PyMuPDF,
    which costs a few milliseconds where pdfplumber's full parse costs hundreds; when they may
    make a table, keep the strokes and the page's characters for :func:`vector_tables`. ``None``
    when the PDF cannot be read this way (then the caller reads the page with pdfplumber)."""
    cache: dict[int, PageRuling | None] = doc.cache.setdefault("pdf_ruling", {})
    if index in cache:
        return cache[index]
    import pymupdf

    ruling: PageRuling | None = None
    try:
        with pymupdf.open(stream=doc.source_pdf, filetype="pdf") as pdf:
            page = pdf[index]
            matrix = page.rotation_matrix
            pw, ph = float(page.rect.width), float(page.rect.height)
            segments: list[Segment] = []
            h = v = 0

            def add(p: Any, q: Any) -> None:
                a, b = p * matrix, q * matrix
                if pw > 0 and ph > 0:
                    segments.append((a.x / pw, a.y / ph, b.x / pw, b.y / ph))

            for path in page.get_drawings():
                for item in path.get("items", []):
                    kind = item[0]
                    if kind == "l":
                        p, q = item[1], item[2]
                        if abs(p.y - q.y) < 1 and abs(p.x - q.x) >= _MIN_STROKE_PT:
                            h += 1
                            add(p, q)
                        elif abs(p.x - q.x) < 1 and abs(p.y - q.y) >= _MIN_STROKE_PT:
                            v += 1
                            add(p, q)
                    elif kind in ("re", "qu"):
                        r = item[1].rect if kind == "qu" else item[1]
                        if r.width >= _MIN_STROKE_PT:
                            if r.height < _THIN_PT:
                                h += 1
                                mid = (r.y0 + r.y1) / 2
                                add(pymupdf.Point(r.x0, mid), pymupdf.Point(r.x1, mid))
                            else:
                                h += 2
                                add(r.tl, r.tr)
                                add(r.bl, r.br)
                        if r.height >= _MIN_STROKE_PT:
                            if r.width < _THIN_PT:
                                v += 1
                                mid = (r.x0 + r.x1) / 2
                                add(pymupdf.Point(mid, r.y0), pymupdf.Point(mid, r.y1))
                            else:
                                v += 2
                                add(r.tl, r.bl)
                                add(r.tr, r.br)
            ruling = PageRuling(h, v, _table_sized_images(page), (pw, ph))
            if ruling.may_hold_vector_table:  # keep what vector_tables reads
                ruling = dataclasses.replace(ruling, segments=tuple(segments), chars=_page_chars(page))
    except Exception as exc:  # malformed PDF: let pdfplumber and the image reader try
        log.debug("vector ruling count failed on page %d: %s", index, type(exc).__name__)
        ruling = None
    cache[index] = ruling
    return ruling


MIN_TABLE_IMAGE = (0.3, 0.05)
"""An image narrower (shorter) than this share of the page width (height) cannot show a ruled
table worth reading: logos, seals, signatures and QR codes are skipped without rendering."""


def _table_sized_images(page: Any) -> int:
    """How many images on the page are large enough to show a ruled table."""
    import pymupdf

    pw, ph = float(page.rect.width), float(page.rect.height)
    if pw <= 0 or ph <= 0:
        return 0
    n = 0
    for info in page.get_image_info():
        r = pymupdf.Rect(info["bbox"]) * page.rotation_matrix  # as the page is shown
        if r.width / pw >= MIN_TABLE_IMAGE[0] and r.height / ph >= MIN_TABLE_IMAGE[1]:
            n += 1
    return n


def _page_chars(page: Any) -> tuple[PdfChar, ...]:
    """The characters of a PyMuPDF page (spaces kept: they separate Latin words), NFKC."""
    import pymupdf

    from pipeline.text_layer import text_lines

    rotated = page.rotation != 0
    matrix = page.rotation_matrix
    pw, ph = float(page.rect.width), float(page.rect.height)
    out: list[PdfChar] = []
    for line_no, chars in enumerate(text_lines(page), 1):
        for c, x0, y0, x1, y1 in chars:
            if rotated:
                x0, y0, x1, y1 = pymupdf.Rect(x0, y0, x1, y1) * matrix
            box = (max(0.0, x0 / pw), max(0.0, y0 / ph), min(1.0, x1 / pw), min(1.0, y1 / ph))
            out.append(PdfChar(unicodedata.normalize("NFKC", c), box, line_no))
    return tuple(out)


# --- the PDF's vector ruling --------------------------------------------------------------------

VECTOR_PX_PER_PT = 1.0
"""Scale of the stroke masks the vector grid is read from (1 px per point: A4 is 595 x 842)."""
_VECTOR_STROKE_PX = 2  # wide enough to join strokes that meet within a pixel or so
_SPAN_TOLERANCE_PX = 3  # column edges of a cell continued from the row above may differ this much


@dataclass
class _SpanCell:
    """A grid cell in mask pixels, grown downwards over rows whose separator it lacks."""

    row: int
    col: int
    left: int
    top: int
    right: int
    bottom: int


def _grid_cells(g: Grid, horiz: np.ndarray) -> list[list[_SpanCell]]:
    """The cells of a grid row by row; a cell whose top separator is not drawn (a cell spanning
    rows) is merged into the cell above it, as the PDF shows it."""
    rows: list[list[_SpanCell]] = []
    previous: list[_SpanCell] = []
    for r, (top, bottom) in enumerate(itertools.pairwise(g.ys)):
        row: list[_SpanCell] = []
        current: list[_SpanCell] = []
        for c, (left, right) in enumerate(itertools.pairwise(g.xs_per_row[r])):
            above = next(
                (
                    p
                    for p in previous
                    if abs(p.left - left) <= _SPAN_TOLERANCE_PX and abs(p.right - right) <= _SPAN_TOLERANCE_PX
                ),
                None,
            )
            if above is not None and not _separated(horiz, top, left, right):
                above.bottom = bottom
                current.append(above)
                continue
            cell = _SpanCell(r, c, left, top, right, bottom)
            row.append(cell)
            current.append(cell)
        rows.append(row)
        previous = current
    return rows


def _separated(horiz: np.ndarray, y: int, left: int, right: int) -> bool:
    """Whether a horizontal stroke runs along ``y`` over most of ``left..right``."""
    band = horiz[max(0, y - _VECTOR_STROKE_PX) : y + _VECTOR_STROKE_PX + 1, left + 1 : max(left + 2, right)]
    return band.size > 0 and float((band.max(axis=0) > 0).mean()) >= 0.5


def vector_tables(page: PageContent, ruling: PageRuling) -> list[Table]:
    """Ruled tables drawn as vectors on a text-layer page: the grid from the strokes, each cell's
    text from the PDF characters whose centres fall inside it; ``[]`` when none."""
    pw, ph = ruling.size
    W, H = round(pw * VECTOR_PX_PER_PT), round(ph * VECTOR_PX_PER_PT)
    if W < 16 or H < 16 or W * H > 64_000_000 or not ruling.segments:
        return []
    horiz = np.zeros((H, W), np.uint8)
    vert = np.zeros((H, W), np.uint8)
    for x0, y0, x1, y1 in ruling.segments:
        a, b = (round(x0 * W), round(y0 * H)), (round(x1 * W), round(y1 * H))
        target = horiz if abs(a[1] - b[1]) <= abs(a[0] - b[0]) else vert
        cv2.line(target, a, b, 255, _VECTOR_STROKE_PX)
    out: list[Table] = []
    for g in _grids_from_masks(horiz, vert):
        gx0, gy0, gx1, gy1 = g.box
        gbox = clamp_bbox(gx0 / W, gy0 / H, gx1 / W, gy1 / H)
        chars = _CharsByHeight([ch for ch in ruling.chars if _centre_in(ch.bbox, gbox)])
        rows: list[list[Cell]] = []
        for span_row in _grid_cells(g, horiz):
            cells: list[Cell] = []
            for sc in span_row:
                box = clamp_bbox(sc.left / W, sc.top / H, sc.right / W, sc.bottom / H)
                inside = chars.within(box)
                printed = [ch for ch in inside if not ch.text.isspace()]
                cbox = clamp_bbox(*union_bbox([ch.bbox for ch in printed])) if printed else box
                words = _words_in(page.words, box)
                cells.append(Cell(_chars_text(inside), cbox, sc.row, sc.col, words, page.info.engine))
            if cells:
                rows.append(cells)
        # A page frame or a boxed paragraph has a grid too; a table has text side by side in rows.
        filled = sum(1 for r in rows if sum(1 for c in r if c.text) >= MIN_TABLE_COLS)
        if filled >= MIN_TABLE_ROWS:
            out.append(Table(page.index, gbox, rows, "pdf_ruling"))
    return out


class _CharsByHeight:
    """Characters indexed by the height of their centres, so that each cell of a large table
    looks only at the characters of its own rows."""

    def __init__(self, chars: list[PdfChar]) -> None:
        self._chars = chars
        order = sorted(range(len(chars)), key=lambda i: chars[i].bbox[1] + chars[i].bbox[3])
        self._order = order
        self._keys = [(chars[i].bbox[1] + chars[i].bbox[3]) / 2 for i in order]

    def within(self, box: BBox) -> list[PdfChar]:
        """The characters whose centres fall in ``box``, in page order."""
        lo, hi = bisect.bisect_left(self._keys, box[1]), bisect.bisect_right(self._keys, box[3])
        picked = sorted(self._order[lo:hi])
        return [self._chars[i] for i in picked if _centre_in(self._chars[i].bbox, box)]


def _centre_in(b: BBox, box: BBox) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _chars_text(chars: Sequence[PdfChar]) -> str:
    """A cell's characters as text: runs of the same PDF line split at spaces make words, which
    are joined like a wrapped line (no space between CJK, one between Latin words)."""
    words: list[Word] = []
    run: list[PdfChar] = []

    def flush() -> None:
        if run:
            words.append(Word(text="".join(c.text for c in run), bbox=union_bbox([c.bbox for c in run])))
            run.clear()

    for ch in chars:
        if ch.text.isspace() or (run and ch.line != run[-1].line):
            flush()
        if not ch.text.isspace():
            run.append(ch)
    flush()
    return _cell_text(words)


# --- pdfplumber ---------------------------------------------------------------------------------


def _clean_cell_text(text: str | None) -> str:
    """NFKC, lines joined (no space between CJK, one between Latin words), spaces collapsed."""
    if not text:
        return ""
    parts = [unicodedata.normalize("NFKC", p).strip() for p in text.splitlines()]
    words: list[Word] = []
    for p in parts:
        for tok in p.split():
            words.append(Word(text=tok, bbox=(0.0, 0.0, 0.0, 0.0)))
    return join_words(words)


def _words_in(words: Sequence[Word], box: BBox) -> list[Word]:
    return [w for w in words if _centre_in(w.bbox, box)]


def _opened_plumber(doc: DocumentContent) -> Any:
    """The document opened once with pdfplumber (its font and cmap parsing shared by the pages);
    None when it cannot be opened."""
    if "pdfplumber" not in doc.cache:
        try:
            import pdfplumber

            doc.cache["pdfplumber"] = pdfplumber.open(io.BytesIO(doc.source_pdf or b""))
        except Exception as exc:  # malformed PDFs: pdfplumber/pdfminer raise many kinds
            log.warning("pdfplumber could not open the document: %s", type(exc).__name__)
            doc.cache["pdfplumber"] = None
    return doc.cache["pdfplumber"]


def pdf_tables(pdf: bytes, page: PageContent, *, opened: Any = None) -> list[Table]:
    """Ruled tables of one PDF page read with pdfplumber; ``[]`` when there are none or on error.

    ``opened`` is the document already opened with pdfplumber (see ``_opened_plumber``)."""
    try:
        import pdfplumber
    except ImportError:  # pragma: no cover - pdfplumber is a dependency
        return []
    try:
        with (
            contextlib.nullcontext(opened)
            if opened is not None
            else pdfplumber.open(io.BytesIO(pdf)) as plumber
        ):
            if page.index >= len(plumber.pages):
                return []
            pp = plumber.pages[page.index]
            x_off, y_off = float(pp.bbox[0]), float(pp.bbox[1])
            width, height = float(pp.width), float(pp.height)
            if width <= 0 or height <= 0:
                return []

            def frac(b: Sequence[float]) -> BBox:
                return clamp_bbox(
                    (b[0] - x_off) / width,
                    (b[1] - y_off) / height,
                    (b[2] - x_off) / width,
                    (b[3] - y_off) / height,
                )

            out: list[Table] = []
            for t in pp.find_tables():
                rows: list[list[Cell]] = []
                for r_no, row in enumerate(t.rows):
                    cells: list[Cell] = []
                    for c_no, cb in enumerate(row.cells):
                        if cb is None:
                            continue
                        try:
                            crop = pp.within_bbox(cb)
                            text = _clean_cell_text(crop.extract_text())
                            chars = [c for c in crop.chars if c.get("text", "").strip()]
                        except ValueError:  # a cell outside the page box
                            continue
                        box = (
                            frac(union_bbox([(c["x0"], c["top"], c["x1"], c["bottom"]) for c in chars]))
                            if chars
                            else frac(cb)
                        )
                        words = _words_in(page.words, frac(cb))
                        cells.append(Cell(text, box, r_no, c_no, words, page.info.engine))
                    if cells:
                        rows.append(cells)
                if len(rows) >= MIN_TABLE_ROWS and max(len(r) for r in rows) >= MIN_TABLE_COLS:
                    out.append(Table(page.index, frac(t.bbox), rows, "pdfplumber"))
            pp.close()  # drop the page's parsed objects; the shared document keeps its fonts
            return out
    except Exception as exc:  # malformed PDFs: pdfplumber/pdfminer raise many kinds
        log.warning("pdfplumber table reading failed on page %d: %s", page.index, type(exc).__name__)
        return []


# --- ruled lines on the page image --------------------------------------------------------------


@dataclass
class Grid:
    """One ruled table in pixel coordinates: its box, row separators, and per-row column separators."""

    box: tuple[int, int, int, int]
    ys: list[int]
    xs_per_row: list[list[int]]


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return image


def _ruling_masks(
    gray: np.ndarray, page_size: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Binary masks (255 = ink) of the horizontal and the vertical strokes.

    Stroke lengths are relative to ``page_size`` (width, height; default: the image's own)."""
    w, h = page_size if page_size is not None else (gray.shape[1], gray.shape[0])
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(10, w // LINE_KERNEL_FRACTION), 1))
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(10, h // (LINE_KERNEL_FRACTION * 2))))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, hk)
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, vk)
    # bridge small breaks from scanning
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    return horiz, vert


def _runs(profile: np.ndarray, threshold: float) -> list[int]:
    """Centres of the runs of ``profile >= threshold``."""
    on = profile >= threshold
    out: list[int] = []
    start = None
    for i, v in enumerate(on):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    if start is not None:
        out.append((start + len(on) - 1) // 2)
    return out


def detect_grids(image: np.ndarray) -> list[Grid]:
    """Ruled tables on a page image: each a box with its row and column separators (pixels)."""
    horiz, vert = _ruling_masks(_gray(image))
    return _grids_from_masks(horiz, vert)


def _grids_from_masks(horiz: np.ndarray, vert: np.ndarray) -> list[Grid]:
    """The grids made by masks (255 = stroke) of the horizontal and the vertical strokes."""
    h, w = horiz.shape
    both = cv2.bitwise_or(horiz, vert)
    n, _, stats, _ = cv2.connectedComponentsWithStats(both, connectivity=8)
    grids: list[Grid] = []
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i][:4])
        if bw < w * 0.15 or bh < h * 0.02:
            continue
        hsub = horiz[y : y + bh, x : x + bw]
        vsub = vert[y : y + bh, x : x + bw]
        ys = _runs(hsub.sum(axis=1) / 255.0, 0.5 * bw)
        if len(ys) < MIN_TABLE_ROWS + 1:
            continue
        xs_per_row: list[list[int]] = []
        for top, bottom in itertools.pairwise(ys):
            band = vsub[top:bottom, :]
            if band.shape[0] < 4:
                xs_per_row.append([])
                continue
            xs_per_row.append(_runs(band.sum(axis=0) / 255.0, 0.6 * band.shape[0]))
        if sum(1 for xs in xs_per_row if len(xs) >= MIN_TABLE_COLS + 1) < MIN_TABLE_ROWS:
            continue
        grids.append(
            Grid((x, y, x + bw, y + bh), [y + v for v in ys], [[x + v for v in xs] for xs in xs_per_row])
        )
    grids.sort(key=lambda g: (g.box[1], g.box[0]))
    return grids


@cache
def _line_engine() -> object | None:
    """The OCR engine used to read table areas again (block mode), or None when unavailable."""
    try:
        from pipeline.ocr.base import OcrOptions, get_engine

        return get_engine(OcrOptions(psm=6))
    except Exception as exc:
        log.warning("no OCR engine for table re-reading: %s", type(exc).__name__)
        return None


def _ocr_crop(
    crop: np.ndarray, origin: tuple[int, int], size: tuple[int, int]
) -> tuple[list[Word], str | None]:
    """OCR a grayscale crop; words are returned in page fractions (``size`` = page width, height)."""
    engine = _line_engine()
    if engine is None or crop.size == 0:
        return [], None
    pad = 12
    padded = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    ph, pw = padded.shape[:2]
    try:
        words = engine.recognize(padded)  # type: ignore[attr-defined]
    except Exception as exc:
        log.warning("table re-reading OCR failed: %s", type(exc).__name__)
        return [], None
    ox, oy = origin
    W, H = size
    out: list[Word] = []
    for wd in words:
        x0, y0, x1, y1 = wd.bbox
        box = clamp_bbox(
            (x0 * pw - pad + ox) / W,
            (y0 * ph - pad + oy) / H,
            (x1 * pw - pad + ox) / W,
            (y1 * ph - pad + oy) / H,
        )
        out.append(wd.model_copy(update={"bbox": box, "text": unicodedata.normalize("NFKC", wd.text)}))
    return out, str(engine.name)  # type: ignore[attr-defined]


def _erase_ruling(gray: np.ndarray, page_size: tuple[int, int]) -> np.ndarray:
    horiz, vert = _ruling_masks(gray, page_size)
    mask = cv2.dilate(cv2.bitwise_or(horiz, vert), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    clean = gray.copy()
    clean[mask > 0] = 255
    return clean


def _cell_text(words: list[Word]) -> str:
    """Words of one cell in reading order, joined like a line (wrapped lines concatenated)."""
    if not words:
        return ""
    ws = sorted(words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2)
    lines: list[list[Word]] = []
    for w in ws:
        cy = (w.bbox[1] + w.bbox[3]) / 2
        if lines:
            last = lines[-1]
            ly0 = min(x.bbox[1] for x in last)
            ly1 = max(x.bbox[3] for x in last)
            if ly0 <= cy <= ly1:
                last.append(w)
                continue
        lines.append([w])
    return join_words([w for ln in lines for w in sorted(ln, key=lambda x: x.bbox[0])])


def image_tables(page: PageContent, *, reocr: bool = False) -> list[Table]:
    """Ruled tables found on the page image; cell words are the page's, or OCR'd again if ``reocr``."""
    image = page.get_image()
    if image is None:
        return []
    gray = _gray(image)
    H, W = gray.shape
    grids = detect_grids(gray)
    out: list[Table] = []
    for n, g in enumerate(grids):
        words: Sequence[Word] = page.words
        engine = page.info.engine
        if reocr and n < MAX_REOCR_TABLES:
            x0, y0, x1, y1 = g.box
            clean = _erase_ruling(gray[y0:y1, x0:x1], (W, H))
            got, eng = _ocr_crop(clean, (x0, y0), (W, H))
            if eng is not None:
                words, engine = got, eng
        rows: list[list[Cell]] = []
        for r, (top, bottom) in enumerate(zip(g.ys, g.ys[1:], strict=False)):
            xs = g.xs_per_row[r]
            cells: list[Cell] = []
            for c, (left, right) in enumerate(itertools.pairwise(xs)):
                box = clamp_bbox(left / W, top / H, right / W, bottom / H)
                inside = _words_in(words, box)
                text = _cell_text(inside)
                cbox = clamp_bbox(*union_bbox([w.bbox for w in inside])) if inside else box
                cells.append(Cell(text, cbox, r, c, inside, engine))
            if cells:
                rows.append(cells)
        if len(rows) >= MIN_TABLE_ROWS:
            gx0, gy0, gx1, gy1 = g.box
            out.append(Table(page.index, clamp_bbox(gx0 / W, gy0 / H, gx1 / W, gy1 / H), rows, "ruled_lines"))
    return out


# --- regions ------------------------------------------------------------------------------------


def drop_red(image: np.ndarray) -> np.ndarray:
    """Grayscale copy of a BGR image in which red ink (seals) fades to white.

    The red channel is used as the gray level: red ink is bright in it, black text stays dark, and
    text under a seal keeps its strokes (turning red pixels white would cut them)."""
    if image.ndim != 3:
        return image.copy()
    red = np.ascontiguousarray(image[..., 2])
    _, binary = cv2.threshold(red, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return binary


def read_region(page: PageContent, bbox: BBox, *, without_red: bool = True) -> tuple[list[Word], str | None]:
    """OCR the region ``bbox`` (page fractions) of the page image again, red ink removed by default.

    Returns the words in page fractions and the engine name; ``([], None)`` without an image."""
    image = page.get_image()
    if image is None:
        return [], None
    H, W = image.shape[:2]
    x0, y0, x1, y1 = clamp_bbox(*bbox)
    px0, py0, px1, py1 = int(x0 * W), int(y0 * H), int(x1 * W), int(y1 * H)
    if px1 - px0 < 8 or py1 - py0 < 8:
        return [], None
    crop = image[py0:py1, px0:px1]
    gray = drop_red(crop) if without_red else _gray(crop)
    return _ocr_crop(gray, (px0, py0), (W, H))
