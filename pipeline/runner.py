"""Orchestration-free runner: bytes in, ``ExtractionResult`` out. The CLI's ``extract`` and the
Prefect flows both call this; a failure on one page or one step becomes an error item."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2

from pipeline.config_hash import config_hash
from pipeline.content import DocumentContent, PageContent
from pipeline.errors import EvidenceError, InputError, PageReadError
from pipeline.loading import LoadedDocument, load_document, sha256_of, sniff_media_type
from pipeline.model import DocumentInfo, ErrorItem, ExtractionResult, PageInfo
from pipeline.options import PipelineOptions
from pipeline.page_reader import OcrJob, page_image, plan_page

log = logging.getLogger(__name__)

PAGE_IMAGE_JPEG_QUALITY = 88
"""Stored OCR page images: scans and photos, where JPEG at this quality keeps small print legible
in the reviewer's crops at a quarter of PNG's size and ~1/40 of its encoding time."""


@dataclass
class ExtractionOutcome:
    """A result plus, when asked for, the page images (PNG) matching its boxes."""

    result: ExtractionResult
    page_images: dict[int, bytes] = field(default_factory=dict)
    content: DocumentContent | None = None  # the read pages (words, images), for tools and tests


@contextmanager
def _timed(timings: dict[str, float], key: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[key] = round(timings.get(key, 0.0) + time.perf_counter() - t0, 4)


def extract_path(path: str | Path, options: PipelineOptions | None = None, **kw: Any) -> ExtractionOutcome:
    """Extract one file from disk (see ``extract_bytes``)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        result = ExtractionResult(document=DocumentInfo(name=p.name, sha256=""), status="failure")
        result.errors.append(
            ErrorItem(code="unreadable_file", message=f"无法读取文件 cannot read the file: {exc.strerror}")
        )
        return ExtractionOutcome(result)
    return extract_bytes(data, p.name, options, **kw)


def extract_bytes(
    data: bytes,
    name: str,
    options: PipelineOptions | None = None,
    *,
    declared_category: str | None = None,
    allow: Any = None,
    known_names: tuple[str, ...] = (),
    with_page_images: bool = False,
    on_page: Callable[[int, int], None] | None = None,
) -> ExtractionOutcome:
    """Load, read every page, classify, extract fields and screen for sensitive content.

    Never raises for a bad document: every problem is an item in ``result.errors`` and the
    status says ``success``, ``partial_success`` or ``failure``."""
    options = options or PipelineOptions()
    timings: dict[str, float] = {}
    info = DocumentInfo(
        name=name,
        sha256=sha256_of(data),
        media_type=sniff_media_type(data),
        size_bytes=len(data),
        declared_category=declared_category,
    )
    result = ExtractionResult(document=info, timings=timings, config_hash=config_hash(options))
    try:
        with _timed(timings, "load_s"):
            loaded = load_document(data, name, options.limits)
    except InputError as exc:
        result.errors.append(exc.to_item())
        result.status = "failure"
        return ExtractionOutcome(result)
    outcome = ExtractionOutcome(result)
    try:
        info.pages = loaded.page_count
        info.notes.extend(loaded.notes)
        with _timed(timings, "read_s"):
            content = read_pages(loaded, options, result.errors, on_page=on_page)
        content.declared_category = declared_category
        if loaded.media_type == "application/pdf":
            content.source_pdf = data
        outcome.content = content
        result.pages = [p.info for p in content.pages]
        with _timed(timings, "analyze_s"):
            analyze(content, result, options, allow=allow, known_names=known_names)
        if with_page_images:
            with _timed(timings, "page_images_s"):
                try:
                    outcome.page_images = render_page_images(loaded, content, options)
                except Exception as exc:  # the result matters more than its thumbnails
                    result.errors.append(
                        ErrorItem(
                            code="page_images_failed", message=f"页面图像生成失败 ({type(exc).__name__})"
                        )
                    )
    finally:
        loaded.close()
    if result.errors:
        readable = any(p.text_source != "none" for p in result.pages)
        result.status = "partial_success" if readable else "failure"
    return outcome


def read_pages(
    loaded: LoadedDocument,
    options: PipelineOptions,
    errors: list[ErrorItem],
    *,
    on_page: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> DocumentContent:
    """Read every page; OCR pages run in worker processes, a few at a time so that rendered
    images never pile up. A page that fails becomes an error item and is left out."""
    from pipeline.parallel import default_workers, ocr_pages

    workers = workers or default_workers()
    content = DocumentContent(name=loaded.name, sha256=loaded.sha256, media_type=loaded.media_type)
    pages: dict[int, PageContent] = {}
    jobs: list[OcrJob] = []
    done = 0

    def record_error(i: int, exc: Exception) -> None:
        if isinstance(exc, EvidenceError):
            item = exc.to_item()
            item.page = i
        else:
            # a page we cannot read must not stop the others
            log.warning("page %d of %s unreadable: %s", i, loaded.sha256[:12], type(exc).__name__)
            item = PageReadError(
                f"第 {i + 1} 页无法读取 page {i + 1} could not be read ({type(exc).__name__})", page=i
            ).to_item()
        errors.append(item)
        # the page stays in the result, empty, so every page of the upload is accounted for
        info = PageInfo(index=i, text_source="none", reason=f"{item.code}: {item.message}")
        pages[i] = PageContent(index=i, info=info, words=[])

    def progress() -> None:
        nonlocal done
        done += 1
        if on_page is not None:
            on_page(done, loaded.page_count)

    def flush() -> None:
        for job, out in ocr_pages(jobs, options.ocr, workers):
            if isinstance(out, PageContent):
                pages[job.index] = out
            else:
                record_error(job.index, out)
            progress()
        jobs.clear()

    for i in range(loaded.page_count):
        try:
            planned = plan_page(loaded, i, options)
        except Exception as exc:
            record_error(i, exc)
            progress()
            continue
        if isinstance(planned, PageContent):
            pages[i] = planned
            progress()
        else:
            jobs.append(planned)
            if len(jobs) >= 2 * workers:
                flush()
    flush()
    content.pages = [pages[i] for i in sorted(pages)]
    return content


def read_document(path: str | Path, options: PipelineOptions | None = None) -> DocumentContent:
    """Load and read a file's pages without extracting (for benchmarks and tools).

    The document stays open (until garbage-collected) so text-layer pages can still render their
    image. Raises ``InputError`` when the file cannot be loaded; page errors are dropped."""
    options = options or PipelineOptions()
    data = Path(path).read_bytes()
    loaded = load_document(data, Path(path).name, options.limits)
    content = read_pages(loaded, options, [])
    if loaded.media_type == "application/pdf":
        content.source_pdf = data
    return content


# Fields naming organisations: candidates for reading a seal's ring text.
ORGANISATION_FIELDS = frozenset(
    {
        "company_name",
        "party_a",
        "party_b",
        "issuer",
        "client",
        "testing_organization",
        "owner",
        "partner_vendor",
        "registration_authority",
    }
)


def analyze(
    content: DocumentContent,
    result: ExtractionResult,
    options: PipelineOptions | None = None,
    *,
    allow: Any = None,
    known_names: tuple[str, ...] = (),
) -> None:
    """Classify, extract fields, find seals and compatibility entries, and screen ``content``
    into ``result``; each step fails on its own."""
    from extractors.classify import classify
    from extractors.compat_entries import find_entries
    from extractors.registry import run_extractors
    from extractors.seal_fields import authority_candidates, fields_from_seals
    from extractors.seals import detect_seals
    from extractors.seals import load_config as load_seal_config
    from extractors.sensitive import screen_document

    options = options or PipelineOptions()

    def step(code: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except EvidenceError as exc:
            result.errors.append(exc.to_item())
        except Exception as exc:  # an extractor bug must not lose the rest of the result
            log.exception("step %s failed on %s", code, content.sha256[:12])
            result.errors.append(
                ErrorItem(
                    code=f"{code}_failed", message=f"步骤失败 step {code} failed ({type(exc).__name__})"
                )
            )

    def do_classify() -> None:
        doc_type, confidence, _reasons = classify(content)
        result.document.doc_type = doc_type  # type: ignore[assignment]
        result.document.doc_type_confidence = round(confidence, 3)
        declared = content.declared_category
        if declared and declared != doc_type and doc_type not in ("unknown", "other"):
            result.document.notes.append(
                f"申报类别与内容不符 declared category {declared!r} but the content reads as {doc_type!r}"
            )

    def do_extract() -> None:
        result.fields.extend(run_extractors(content, result.document.doc_type))

    def do_seals() -> None:
        names: list[str] = list(known_names)
        for f in result.fields:
            if f.name in ORGANISATION_FIELDS:
                names.extend(str(v) for v in (f.value if isinstance(f.value, list) else [f.value]) if v)
        if result.document.doc_type == "business_license":
            names += authority_candidates(result.fields, load_seal_config().owner.authority_names)
        candidates = list(dict.fromkeys(names))
        for i in options.seals.pages(len(content.pages)):
            page = content.pages[i]
            result.seals.extend(
                detect_seals(page, read_text=options.seals.read_text, candidates=candidates or None)
            )

    def do_seal_fields() -> None:
        result.fields.extend(fields_from_seals(result.document.doc_type, result.seals, result.fields))

    def do_compat() -> None:
        result.compatibility.extend(find_entries(content, result.document.doc_type))

    def do_screen() -> None:
        result.sensitive.extend(screen_document(content, allow))

    step("classify", do_classify)
    step("extract", do_extract)
    step("seals", do_seals)
    step("seal_fields", do_seal_fields)
    step("compatibility", do_compat)
    step("sensitive", do_screen)


def render_page_images(
    loaded: LoadedDocument, content: DocumentContent, options: PipelineOptions
) -> dict[int, bytes]:
    """JPEG images of the pages read by OCR (after orientation and deskew, so they match the
    boxes), scaled to the configured long side. Pages read from a PDF's text layer are skipped:
    a plain rendering of the upload matches their boxes, so readers render them on demand
    (``page_reader.vector_page_png``) instead of every page paying ~50 ms of PNG encoding here."""
    out: dict[int, bytes] = {}
    long_side = options.reading.page_image_long_side
    for page in content.pages:
        if page.region_renderer is not None or page.info.text_source == "text_layer":
            continue
        img = page_image(loaded, page)
        h, w = img.shape[:2]
        scale = min(1.0, long_side / max(h, w))
        if scale < 1.0:
            img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, PAGE_IMAGE_JPEG_QUALITY])
        if ok:
            out[page.index] = buf.tobytes()
    return out
