"""Per-page reading: trust the text layer or rasterise, preprocess and OCR, and record why."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np
import pymupdf

from pipeline.content import PageContent
from pipeline.loading import LoadedDocument
from pipeline.model import BBox, PageInfo
from pipeline.ocr.base import OcrEngine, wants_binarized
from pipeline.options import PipelineOptions
from pipeline.preprocess import PageGeometry, PreprocessOptions, as_bgr, ocr_gray, prepare_gray
from pipeline.text_layer import ocr_reason, read_text_layer

# Resolution at which text-layer pages are rendered on demand (seal detection, page images).
TEXT_PAGE_IMAGE_DPI = 200


_MIN_CHROMA = 0.25  # max - min of a paint colour's RGB components (0..1): red, pink, blue inks


def _saturated(colour: object) -> bool:
    if not isinstance(colour, (tuple, list)) or len(colour) != 3:
        return False  # none, grey (1 component) or CMYK-less-likely cases are treated as ink-less
    return max(colour) - min(colour) >= _MIN_CHROMA


def page_may_show_stamp(page: pymupdf.Page) -> bool:
    """Whether a PDF page paints anything a seal could be: a raster image, an annotation or form
    field (e-seal appearances), or a vector path stroked or filled in a saturated colour. Black
    text and grey rules alone cannot be a red, pink or blue stamp. A few milliseconds; True when
    the page cannot be inspected (the caller then looks at its pixels)."""
    try:
        # get_images lists the page's image resources without building a text page
        if page.get_images(full=False) or page.first_annot is not None or page.first_widget is not None:
            return True
        return any(_saturated(d.get("color")) or _saturated(d.get("fill")) for d in page.get_drawings())
    except Exception:
        return True


def render_pdf_region(page: pymupdf.Page, clip: BBox | None, long_side: int, max_pixels: int) -> np.ndarray:
    """Rasterise the region ``clip`` (fractions of the page; None = the whole page) as BGR with its
    longer side about ``long_side`` pixels, never more than ``max_pixels`` pixels."""
    r = page.rect
    rect = r
    if clip is not None:
        x0, y0, x1, y1 = clip
        w, h = r.width, r.height
        rect = pymupdf.Rect(r.x0 + x0 * w, r.y0 + y0 * h, r.x0 + x1 * w, r.y0 + y1 * h)
    w_pt, h_pt = max(rect.width, 1e-3), max(rect.height, 1e-3)
    zoom = max(1, long_side) / max(w_pt, h_pt)
    zoom = min(zoom, math.sqrt(max_pixels / (w_pt * h_pt)))
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=rect, colorspace=pymupdf.csRGB, alpha=False)
    arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)


def render_pdf_page(page: pymupdf.Page, dpi: int, max_pixels: int) -> tuple[np.ndarray, int]:
    """Rasterise ``page`` as BGR at ``dpi``, lowered so the image stays under ``max_pixels``."""
    w_in, h_in = page.rect.width / 72.0, page.rect.height / 72.0
    area_in = max(w_in * h_in, 1e-6)
    dpi = min(dpi, int(math.sqrt(max_pixels / area_in)))
    dpi = max(dpi, 36)
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False)
    arr = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, pix.n)
    return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR), dpi


@dataclass
class OcrJob:
    """A page that must be OCRed: its rasterised image and why (picklable, for worker processes)."""

    index: int
    image: np.ndarray
    reason: str


def read_page(doc: LoadedDocument, index: int, options: PipelineOptions, engine: OcrEngine) -> PageContent:
    """Read page ``index`` of ``doc``. Raises an ``EvidenceError`` subclass on a page-level failure."""
    planned = plan_page(doc, index, options)
    if isinstance(planned, PageContent):
        return planned
    return ocr_image(planned.image, index=index, reason=planned.reason, engine=engine)


def plan_page(doc: LoadedDocument, index: int, options: PipelineOptions) -> PageContent | OcrJob:
    """A text-layer page is read here; any other page becomes an ``OcrJob``."""
    if doc.pdf is not None:
        page = doc.pdf[index]
        layer = read_text_layer(page)
        reason = ocr_reason(layer, options.reading)
        if reason is None:
            info = PageInfo(
                index=index,
                text_source="text_layer",
                reason=f"text layer with {layer.char_count} characters",
                engine="text_layer",
                width=round(page.rect.width, 2),
                height=round(page.rect.height, 2),
                char_count=layer.char_count,
            )
            pdf = doc.pdf
            max_pixels = options.limits.max_pixels

            def render() -> np.ndarray:
                return render_pdf_page(pdf[index], TEXT_PAGE_IMAGE_DPI, max_pixels)[0]

            def render_region(clip: BBox | None, long_side: int) -> np.ndarray:
                return render_pdf_region(pdf[index], clip, long_side, max_pixels)

            def may_show_stamp() -> bool:
                return page_may_show_stamp(pdf[index])

            return PageContent(
                index=index,
                info=info,
                words=layer.words,
                image_loader=render,
                region_renderer=render_region,
                may_show_stamp=may_show_stamp,
            )
        image, dpi = render_pdf_page(page, options.reading.dpi, options.limits.max_pixels)
        if dpi < options.reading.dpi:
            reason += f"; rendered at {dpi} dpi to stay under the pixel limit"
    else:
        image = doc.frame_array(index)
        reason = "image page"
    return OcrJob(index=index, image=image, reason=reason)


def ocr_image(image: np.ndarray, *, index: int, reason: str, engine: OcrEngine) -> PageContent:
    """Preprocess and OCR one BGR page image."""
    page, geometry = ocr_gray_image(ocr_gray(image), index=index, reason=reason, engine=engine)
    return with_upright_image(page, image, geometry)


def ocr_gray_image(
    gray: np.ndarray, *, index: int, reason: str, engine: OcrEngine
) -> tuple[PageContent, PageGeometry]:
    """Preprocess and OCR a page from its :func:`~pipeline.preprocess.ocr_gray` alone (what an OCR
    worker gets): the page without its image, and the geometry that turns the colour page upright
    the way the OCR saw it (:func:`with_upright_image`)."""
    grayscale = PreprocessOptions(binarize="none")
    prepared = prepare_gray(gray, options=None if wants_binarized(engine) else grayscale)
    words = engine.recognize(prepared.ocr_image)
    confs = [w.confidence for w in words]
    h, w = prepared.ocr_image.shape[:2]
    g = prepared.geometry
    info = PageInfo(
        index=index,
        text_source="ocr",
        reason=reason,
        engine=engine.name,
        width=float(w),
        height=float(h),
        rotation=g.rotation,
        skew_deg=round(float(g.skew_deg), 2),
        mean_confidence=round(sum(confs) / len(confs), 3) if confs else 0.0,
        char_count=sum(len(x.text) for x in words),
    )
    return PageContent(index=index, info=info, words=words), g


def with_upright_image(page: PageContent, image: np.ndarray, geometry: PageGeometry) -> PageContent:
    """``page`` with its colour image: ``image`` (the page as rendered) turned by ``geometry``."""
    return dataclasses.replace(page, image=geometry.apply(as_bgr(image)))


def vector_page_png(pdf: bytes, n: int, long_side: int = 1600, max_pixels: int = 120_000_000) -> bytes | None:
    """PNG of page ``n`` of the PDF ``pdf`` with its long side about ``long_side`` pixels, for a
    page read from its text layer (whose boxes are fractions of the unrotated page, so a plain
    rendering matches them). Such pages get no stored image at extraction time (rendering and PNG
    encoding cost more than reading the page); the UI and the report render them on demand.
    None when the bytes are not a readable PDF or have no page ``n``."""
    try:
        with pymupdf.open(stream=pdf, filetype="pdf") as doc:
            if doc.needs_pass or not 0 <= n < doc.page_count:
                return None
            image = render_pdf_region(doc[n], None, long_side, max_pixels)
    except Exception:  # hostile or damaged bytes: no image, never a crash of the caller
        return None
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    return buf.tobytes() if ok else None


def page_image(doc: LoadedDocument, content: PageContent) -> np.ndarray:
    """The page as the reviewer sees it, matching the boxes in ``content`` (BGR)."""
    image = content.get_image()
    return image if image is not None else doc.frame_array(content.index)
