"""Object storage: one ``ObjectStore`` interface, a local folder store and an S3/MinIO store.

Open the configured store with ``open_store()`` (reads ``EVIDENCE_STORE*`` / ``EVIDENCE_S3_*``);
build keys with the layout helpers (``upload_key``, ``result_key`` …), never by hand."""

from pipeline.store.base import DEFAULT_CONTENT_TYPE, ObjectInfo, ObjectStore, guess_content_type
from pipeline.store.keys import (
    DECLARED_FILE_NAME,
    MAX_KEY_BYTES,
    MAX_SEGMENT_BYTES,
    declared_key,
    is_declared_key,
    page_image_key,
    parse_review_key,
    parse_upload_key,
    result_key,
    results_prefix,
    review_key,
    submission_prefix,
    upload_key,
    validate_file_name,
    validate_key,
    validate_prefix,
    validate_sha256,
    validate_submission_id,
    validate_version,
)
from pipeline.store.local import LocalFolderStore
from pipeline.store.s3 import S3Store
from pipeline.store.settings import StoreSettings, open_store

__all__ = [
    "DECLARED_FILE_NAME",
    "DEFAULT_CONTENT_TYPE",
    "MAX_KEY_BYTES",
    "MAX_SEGMENT_BYTES",
    "LocalFolderStore",
    "ObjectInfo",
    "ObjectStore",
    "S3Store",
    "StoreSettings",
    "declared_key",
    "guess_content_type",
    "is_declared_key",
    "open_store",
    "page_image_key",
    "parse_review_key",
    "parse_upload_key",
    "result_key",
    "results_prefix",
    "review_key",
    "submission_prefix",
    "upload_key",
    "validate_file_name",
    "validate_key",
    "validate_prefix",
    "validate_sha256",
    "validate_submission_id",
    "validate_version",
]
