"""Reviewing a whole submission: from a folder (CLI) or from the store (flow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.model import ExtractionResult
from pipeline.options import PipelineOptions
from pipeline.processing import existing_result
from pipeline.store import ObjectStore
from pipeline.store.keys import page_image_key, review_key, submission_prefix
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

    def html(self) -> str:
        return render_report(self.review, lambda sha, page: self.page_images.get((sha, page)))


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
        for n, png in outcome.page_images.items():
            images[(outcome.result.document.sha256, n)] = png
    result = review(declared, results, applicant_submissions=sibling_submissions(folder, declared))
    return SubmissionReview(result, results, images)


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
    from pipeline.loading import sha256_of

    for info in store.list(prefix):
        if info.key.endswith("/declared.yaml"):
            continue
        data = store.get_bytes(info.key)
        previous = existing_result(store, sha256_of(data))
        if previous is None:
            pending.append(info.key)
            continue
        # the same bytes may be uploaded under another name: report it under this one
        previous.document.name = info.key.rsplit("/", 1)[-1]
        results.append(previous)
    result = review(declared, results, applicant_submissions=store_submissions_of(store, declared))

    def page(sha: str, n: int) -> bytes | None:
        key = page_image_key(sha, result.pipeline_version, n)
        return store.get_bytes(key) if store.exists(key) else None

    now = datetime.now(UTC)
    key = review_key(submission_id, now)
    store.put_bytes(key, result.to_json(indent=1).encode(), content_type="application/json")
    html_key = key.removesuffix(".json") + ".html"
    store.put_bytes(html_key, render_report(result, page).encode(), content_type="text/html; charset=utf-8")
    return result, key, pending
