"""Processing one upload through the store, as plain functions the Prefect flow wraps as tasks.

Uploads are never modified. A result lives at ``results/<sha256>/<pipeline_version>/`` and is
written last, after the page images, so its presence means the run is complete."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from pipeline.errors import ObjectExistsError, ObjectNotFoundError, StoreError
from pipeline.model import ExtractionResult
from pipeline.options import PipelineOptions
from pipeline.runner import ExtractionOutcome, extract_bytes
from pipeline.store import ObjectStore
from pipeline.store.keys import (
    PAGE_IMAGE_FORMATS,
    declared_key,
    page_image_key,
    parse_upload_key,
    result_key,
    upload_key,
)
from pipeline.version import PIPELINE_VERSION
from pipeline.yamlio import load_yaml


class Upload(BaseModel):
    """An upload fetched from the store, with what its submission declares about it."""

    model_config = ConfigDict(frozen=True)

    key: str
    submission_id: str | None
    file_name: str
    data: bytes
    declared_category: str | None = None
    declared: dict[str, Any] | None = None


class ProcessSummary(BaseModel):
    """What processing one upload did (printed by the CLI, returned by the flow)."""

    key: str
    sha256: str
    result_key: str
    reused: bool
    status: str
    doc_type: str
    pages: int
    text_sources: list[str]
    fields: dict[str, list[Any]]
    errors: list[str]
    seconds: float = 0.0


def fetch_upload(store: ObjectStore, key: str) -> Upload:
    """Read an upload and the declared data of its submission (when present)."""
    parsed = parse_upload_key(key)
    if parsed is None:
        raise StoreError(
            f"不是上传文件的键 not an upload key (expected uploads/<submission>/<file>): {key!r}"
        )
    submission_id, file_name = parsed
    data = store.get_bytes(key)
    declared = load_declared(store, submission_id)
    return Upload(
        key=key,
        submission_id=submission_id,
        file_name=file_name,
        data=data,
        declared_category=declared_category_of(declared, file_name),
        declared=declared,
    )


def load_declared(store: ObjectStore, submission_id: str) -> dict[str, Any] | None:
    """The submission's ``declared.yaml`` as a mapping, or None when absent or unreadable."""
    key = declared_key(submission_id)
    if not store.exists(key):
        return None
    try:
        loaded = load_yaml(store.get_bytes(key))
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None


def declared_category_of(declared: dict[str, Any] | None, file_name: str) -> str | None:
    """The category the applicant gave ``file_name`` in ``materials``, if any."""
    for item in (declared or {}).get("materials") or []:
        if isinstance(item, dict) and item.get("file") == file_name:
            category = item.get("category")
            return str(category) if category else None
    return None


def existing_result(
    store: ObjectStore, sha256: str, version: str = PIPELINE_VERSION
) -> ExtractionResult | None:
    """The stored result for this content and pipeline version, or None."""
    key = result_key(sha256, version)
    if not store.exists(key):
        return None
    return ExtractionResult.model_validate_json(store.get_bytes(key))


def extract_upload(upload: Upload, options: PipelineOptions | None = None) -> ExtractionOutcome:
    """Run the pipeline on an upload, with page images for the reviewer UI."""
    allow = None
    known_names: tuple[str, ...] = ()
    if upload.declared is not None:
        from extractors.sensitive import AllowList

        allow = AllowList.from_declared(upload.declared)
        applicant = upload.declared.get("applicant")
        if isinstance(applicant, dict) and applicant.get("name"):
            known_names = (str(applicant["name"]),)
    return extract_bytes(
        upload.data,
        upload.file_name,
        options,
        declared_category=upload.declared_category,
        allow=allow,
        known_names=known_names,
        with_page_images=True,
    )


def save_outcome(store: ObjectStore, outcome: ExtractionOutcome, *, overwrite: bool = False) -> str:
    """Write page images, then the result; returns the result's key."""
    result = outcome.result
    sha, version = result.document.sha256, result.pipeline_version
    for n, jpeg in sorted(outcome.page_images.items()):
        store.put_bytes(page_image_key(sha, version, n), jpeg, content_type="image/jpeg", overwrite=True)
    key = result_key(sha, version)
    store.put_bytes(
        key, result.to_json(indent=1).encode(), content_type="application/json", overwrite=overwrite
    )
    return key


def stored_page_image(store: ObjectStore, sha256: str, pipeline_version: str, n: int) -> bytes | None:
    """The stored image of page ``n`` (JPEG; PNG in earlier results), or None (text-layer pages
    have none: render them with ``page_reader.vector_page_png``)."""
    for fmt in PAGE_IMAGE_FORMATS:
        try:
            return store.get_bytes(page_image_key(sha256, pipeline_version, n, fmt))
        except ObjectNotFoundError:
            continue
    return None


def put_upload(store: ObjectStore, submission_id: str, file_name: str, data: bytes) -> tuple[str, bool]:
    """Store an upload; returns (key, created). Identical bytes already there are not an error;
    different bytes under the same key are, because uploads are immutable."""
    key = upload_key(submission_id, file_name)
    try:
        store.put_bytes(key, data, overwrite=False)
        return key, True
    except ObjectExistsError:
        if store.get_bytes(key) == data:
            return key, False
        raise ObjectExistsError(
            f"上传文件不可修改 {key} already holds different content; uploads are immutable — "
            "upload the new version under a new file name"
        ) from None


def summarize(key: str, result: ExtractionResult, *, reused: bool, seconds: float = 0.0) -> ProcessSummary:
    """A compact view of a result for printing."""
    fields: dict[str, list[Any]] = {}
    for f in result.fields:
        fields.setdefault(f.name, []).append(f.value)
    return ProcessSummary(
        key=key,
        sha256=result.document.sha256,
        result_key=result_key(result.document.sha256, result.pipeline_version),
        reused=reused,
        status=result.status,
        doc_type=result.document.doc_type,
        pages=result.document.pages,
        text_sources=[p.text_source for p in result.pages],
        fields=fields,
        errors=[f"{e.code}: {e.message}" for e in result.errors],
        seconds=round(seconds, 2),
    )
