"""Reviewing a whole submission: from a folder (CLI) or from the store (flow)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from pipeline.model import ExtractionResult
from pipeline.options import PipelineOptions
from pipeline.page_reader import vector_page_png
from pipeline.processing import existing_result, stored_page_image
from pipeline.store import ObjectStore
from pipeline.store.keys import review_key, submission_prefix
from validators.declared import Declared, DeclaredDataError, load_declared_file, parse_declared
from validators.model import ReviewResult
from validators.names import normalize_name
from validators.report_html import render_report
from validators.review import review

NOT_DOCUMENTS = {"declared.yaml", "truth.json"}


@dataclass
class SubmissionReview:
    review: ReviewResult
    results: list[ExtractionResult]
    page_images: dict[tuple[str, int], bytes] = field(default_factory=dict)
    # The uploaded PDF bytes by sha256, to render text-layer pages (which have no stored image).
    sources: dict[str, bytes] = field(default_factory=dict, repr=False)

    def html(self) -> str:
        return render_report(self.review, page_lookup(self.page_images.get, self.sources.get))


def document_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name not in NOT_DOCUMENTS and not p.name.startswith(".")
    )


def same_applicant(a: Declared, b: Declared) -> bool:
    if a.applicant.uscc and b.applicant.uscc:
        return a.applicant.uscc.strip().upper() == b.applicant.uscc.strip().upper()
    return normalize_name(a.applicant.name) == normalize_name(b.applicant.name)


def sibling_submissions(folder: Path, declared: Declared) -> list[str]:
    """Submission ids of the same applicant among ``folder``'s sibling submission folders."""
    ids: list[str] = []
    for other in sorted(folder.resolve().parent.glob("*/declared.yaml")):
        try:
            d = load_declared_file(other)
        except DeclaredDataError:
            continue
        if same_applicant(d, declared):
            ids.append(d.submission_id)
    return ids


def review_folder(folder: Path, options: PipelineOptions | None = None) -> SubmissionReview:
    """Extract every document of a submission folder and review it."""
    from extractors.sensitive import AllowList
    from pipeline.runner import extract_path

    declared = load_declared_file(folder / "declared.yaml")
    allow = AllowList.from_declared(declared.model_dump(mode="json"))
    results: list[ExtractionResult] = []
    images: dict[tuple[str, int], bytes] = {}
    sources: dict[str, bytes] = {}
    for path in document_files(folder):
        outcome = extract_path(
            path,
            options,
            declared_category=declared.category_of(path.name),
            allow=allow,
            known_names=(declared.applicant.name,),
            with_page_images=True,
        )
        results.append(outcome.result)
        sha = outcome.result.document.sha256
        for n, png in outcome.page_images.items():
            images[(sha, n)] = png
        if outcome.result.document.media_type == "application/pdf":
            sources[sha] = path.read_bytes()
    result = review(declared, results, applicant_submissions=sibling_submissions(folder, declared))
    return SubmissionReview(result, results, images, sources)


def page_lookup(
    stored: Callable[[tuple[str, int]], bytes | None], source: Callable[[str], bytes | None]
) -> Callable[[str, int], bytes | None]:
    """The page image for ``(sha256, page)``: the stored one (OCR pages), else the page rendered
    from the uploaded PDF (text-layer pages), else None. Each page is fetched or rendered once."""
    source_once = cache(source)

    @cache
    def page(sha: str, n: int) -> bytes | None:
        png = stored((sha, n))
        if png is not None:
            return png
        pdf = source_once(sha)
        return vector_page_png(pdf, n) if pdf else None

    return page


def store_submissions_of(store: ObjectStore, declared: Declared) -> list[str]:
    """Submission ids in the store whose declared applicant is the same."""
    ids: list[str] = []
    for info in store.list("uploads/"):
        if not info.key.endswith("/declared.yaml"):
            continue
        try:
            d = parse_declared(store.get_bytes(info.key), info.key)
        except DeclaredDataError:
            continue
        if same_applicant(d, declared):
            ids.append(d.submission_id)
    return ids


def review_in_store(store: ObjectStore, submission_id: str) -> tuple[ReviewResult, str, list[str]]:
    """Review a submission from its stored results; writes JSON and HTML under ``reviews/``.

    Returns the review, its JSON key and the upload keys that have no result yet (reviewed as
    unreadable until processed)."""
    prefix = submission_prefix(submission_id)
    declared = parse_declared(store.get_bytes(f"{prefix}declared.yaml"), f"{prefix}declared.yaml")
    results: list[ExtractionResult] = []
    pending: list[str] = []
    upload_of: dict[str, str] = {}
    from pipeline.loading import sha256_of

    for info in store.list(prefix):
        if info.key.endswith("/declared.yaml"):
            continue
        data = store.get_bytes(info.key)
        sha = sha256_of(data)
        previous = existing_result(store, sha)
        if previous is None:
            pending.append(info.key)
            continue
        upload_of[sha] = info.key
        # the same bytes may be uploaded under another name: report it under this one
        previous.document.name = info.key.rsplit("/", 1)[-1]
        results.append(previous)
    result = review(declared, results, applicant_submissions=store_submissions_of(store, declared))

    def stored(page: tuple[str, int]) -> bytes | None:
        return stored_page_image(store, page[0], result.pipeline_version, page[1])

    def source(sha: str) -> bytes | None:
        key = upload_of.get(sha)
        return store.get_bytes(key) if key else None

    page = page_lookup(stored, source)

    now = datetime.now(UTC)
    key = review_key(submission_id, now)
    store.put_bytes(key, result.to_json(indent=1).encode(), content_type="application/json")
    html_key = key.removesuffix(".json") + ".html"
    store.put_bytes(html_key, render_report(result, page).encode(), content_type="text/html; charset=utf-8")
    return result, key, pending
