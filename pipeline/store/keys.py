"""Object keys: validation (every key is hostile) and the store layout of DESIGN.md §7.

```
uploads/<submission_id>/<file>                       immutable, as uploaded
uploads/<submission_id>/declared.yaml
results/<sha256>/<pipeline_version>/extraction.json   never overwritten by another version
results/<sha256>/<pipeline_version>/pages/<n>.png     page images for the reviewer UI
reviews/<submission_id>/<timestamp>.json
```

A key is a ``/``-separated path of non-empty segments. ``validate_key`` is the single gate every
store method passes a key through; the layout helpers build keys from validated pieces so that a
caller never concatenates strings by hand.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from pipeline.errors import UnsafeKeyError

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 255

#: Segments starting with this are reserved for the stores' own bookkeeping (temporary files).
RESERVED_SEGMENT_PREFIX = ".evidence-"

UPLOADS = "uploads"
RESULTS = "results"
REVIEWS = "reviews"
DECLARED_FILE_NAME = "declared.yaml"
EXTRACTION_FILE_NAME = "extraction.json"

# Unicode categories refused anywhere in a key: control (Cc), format (Cf: bidi overrides, zero-width
# characters, BOM), surrogates (Cs), line and paragraph separators (Zl, Zp).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_SUBMISSION_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_VERSION_RE = re.compile(r"\d{1,6}\.\d{1,6}\.\d{1,6}[0-9A-Za-z.+-]{0,40}")
_REVIEW_TS_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_REVIEW_TS_RE = re.compile(r"\d{8}T\d{6}\.\d{6}Z")


def _shown(key: object) -> str:
    """A log-safe, bounded rendering of a hostile key (repr escapes control characters)."""
    text = repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


def _unsafe(key: object, reason_zh: str, reason_en: str) -> UnsafeKeyError:
    return UnsafeKeyError(f"不安全的对象键 unsafe object key {_shown(key)}: {reason_zh} {reason_en}")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe object key, else raise ``UnsafeKeyError``.

    Refused: non-strings, empty keys, absolute paths, backslashes, NUL/control/format characters,
    empty segments (``a//b``, trailing ``/``), ``.`` and ``..`` segments, segments with leading or
    trailing whitespace, segments starting with ``.evidence-`` (reserved), keys over 1024 bytes
    and segments over 255 bytes of UTF-8. Any other Unicode, Chinese included, is allowed.
    """
    if not isinstance(key, str):
        raise _unsafe(key, "键必须是字符串", "key must be a string")
    if not key:
        raise _unsafe(key, "键为空", "key is empty")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise _unsafe(key, "含无效字符", "contains unencodable characters (lone surrogates)") from None
    if size > MAX_KEY_BYTES:
        raise _unsafe(key, "键过长", f"key is {size} bytes of UTF-8, the limit is {MAX_KEY_BYTES}")
    if key.startswith("/"):
        raise _unsafe(key, "不能是绝对路径", "absolute paths are not allowed; use a relative key")
    if "\\" in key:
        raise _unsafe(key, "含反斜杠", "backslashes are not allowed; separate segments with '/'")
    for ch in key:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            raise _unsafe(
                key, "含控制字符", f"contains control or format character U+{ord(ch):04X}; rename the file"
            )
    for segment in key.split("/"):
        if not segment:
            raise _unsafe(key, "含空路径段", "empty segment ('//' or a leading/trailing '/')")
        if segment in (".", ".."):
            raise _unsafe(key, "含 . 或 .. 路径段", f"segment {segment!r} is not allowed")
        if segment != segment.strip():
            raise _unsafe(
                key, "路径段首尾有空白", f"segment {_shown(segment)} has leading/trailing whitespace"
            )
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise _unsafe(key, "路径段过长", f"a segment is over {MAX_SEGMENT_BYTES} bytes of UTF-8")
        if segment.startswith(RESERVED_SEGMENT_PREFIX):
            raise _unsafe(
                key, "使用了保留名称", f"segments starting with {RESERVED_SEGMENT_PREFIX!r} are reserved"
            )
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is ``""`` or a safe key optionally followed by one ``/``.

    A prefix matches keys by plain string comparison, as in S3 (``uploads/S-1`` also matches
    ``uploads/S-10/…``; end it with ``/`` to stay inside one folder)."""
    if not isinstance(prefix, str):
        raise _unsafe(prefix, "前缀必须是字符串", "prefix must be a string")
    if prefix == "":
        return prefix
    validate_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def validate_file_name(file_name: str) -> str:
    """Return ``file_name`` if it is one safe key segment (no ``/``)."""
    if isinstance(file_name, str) and "/" in file_name:
        raise _unsafe(file_name, "文件名不能含 /", "a file name must not contain '/'")
    return validate_key(file_name)


def validate_submission_id(submission_id: str) -> str:
    """Return ``submission_id`` if it is 1–128 of ``A-Z a-z 0-9 . _ -`` starting with a letter/digit."""
    if not isinstance(submission_id, str) or not _SUBMISSION_ID_RE.fullmatch(submission_id):
        raise UnsafeKeyError(
            f"无效的申报编号 invalid submission id {_shown(submission_id)}: use 1-128 characters of "
            "A-Z a-z 0-9 . _ - starting with a letter or digit, e.g. S-2023-0001"
        )
    return submission_id


def validate_sha256(sha256: str) -> str:
    """Return the lower-case form of a 64-hex-digit SHA-256 digest."""
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
        raise UnsafeKeyError(
            f"无效的 SHA-256 invalid sha256 {_shown(sha256)}: expected 64 hexadecimal characters"
        )
    return sha256.lower()


def validate_version(version: str) -> str:
    """Return ``version`` if it looks like a pipeline version (``0.1.0``, ``0.2.0rc1``, ``1.0.0+local``)."""
    if not isinstance(version, str) or not _VERSION_RE.fullmatch(version):
        raise UnsafeKeyError(
            f"无效的流水线版本 invalid pipeline version {_shown(version)}: expected e.g. 0.1.0"
        )
    return version


def _page_number(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise UnsafeKeyError(f"无效的页码 invalid page index {n!r}: expected an integer >= 0 (0-based)")
    return n


# ---------------------------------------------------------------------------------------- layout


def submission_prefix(submission_id: str) -> str:
    """``uploads/<submission_id>/``: the prefix listing one submission's uploads."""
    return f"{UPLOADS}/{validate_submission_id(submission_id)}/"


def upload_key(submission_id: str, file_name: str) -> str:
    """``uploads/<submission_id>/<file_name>``; ``declared.yaml`` is reserved (use ``declared_key``)."""
    validate_file_name(file_name)
    if file_name == DECLARED_FILE_NAME:
        raise UnsafeKeyError(
            f"保留文件名 reserved file name {file_name!r}: it holds the declared data; "
            "use declared_key() for it, or rename the upload"
        )
    return validate_key(submission_prefix(submission_id) + file_name)


def declared_key(submission_id: str) -> str:
    """``uploads/<submission_id>/declared.yaml``: the submission's declared data."""
    return submission_prefix(submission_id) + DECLARED_FILE_NAME


def results_prefix(sha256: str, pipeline_version: str | None = None) -> str:
    """``results/<sha256>/`` or ``results/<sha256>/<pipeline_version>/``."""
    prefix = f"{RESULTS}/{validate_sha256(sha256)}/"
    if pipeline_version is not None:
        prefix += f"{validate_version(pipeline_version)}/"
    return prefix


def result_key(sha256: str, pipeline_version: str) -> str:
    """``results/<sha256>/<pipeline_version>/extraction.json`` (sha256 is lower-cased)."""
    return results_prefix(sha256, pipeline_version) + EXTRACTION_FILE_NAME


PAGE_IMAGE_FORMATS = ("jpg", "png")
"""Stored page images: JPEG (OCR pages are photos and scans: ~4 ms to encode where PNG took
~170 ms, and a quarter of the size); ``png`` is what earlier results stored."""


def page_image_key(sha256: str, pipeline_version: str, n: int, fmt: str = "jpg") -> str:
    """``results/<sha256>/<pipeline_version>/pages/<n>.<fmt>`` for the 0-based page ``n``."""
    if fmt not in PAGE_IMAGE_FORMATS:
        raise UnsafeKeyError(f"无效的图像格式 invalid page image format {fmt!r}: use {PAGE_IMAGE_FORMATS}")
    return results_prefix(sha256, pipeline_version) + f"pages/{_page_number(n)}.{fmt}"


def review_key(submission_id: str, timestamp: datetime) -> str:
    """``reviews/<submission_id>/<timestamp>.json`` with the timestamp in UTC as
    ``YYYYMMDDTHHMMSS.ffffffZ`` (fixed width, so key order is time order). ``timestamp`` must be
    timezone-aware."""
    if not isinstance(timestamp, datetime) or timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise UnsafeKeyError(
            f"审查时间必须带时区 review timestamp must be a timezone-aware datetime, got {timestamp!r}"
        )
    stamp = timestamp.astimezone(UTC).strftime(_REVIEW_TS_FORMAT)
    return f"{REVIEWS}/{validate_submission_id(submission_id)}/{stamp}.json"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """``(submission_id, file_name)`` for a well-formed ``uploads/<id>/<file>`` key, else ``None``.

    Never raises: unsafe or foreign keys (e.g. from a webhook) give ``None``. The declared data
    ``uploads/<id>/declared.yaml`` parses too; tell it apart with ``is_declared_key``."""
    try:
        validate_key(key)
    except UnsafeKeyError:
        return None
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != UPLOADS or not _SUBMISSION_ID_RE.fullmatch(parts[1]):
        return None
    return parts[1], parts[2]


def is_declared_key(key: str) -> bool:
    """True if ``key`` is some submission's ``uploads/<id>/declared.yaml``."""
    parsed = parse_upload_key(key)
    return parsed is not None and parsed[1] == DECLARED_FILE_NAME


def parse_review_key(key: str) -> tuple[str, datetime] | None:
    """``(submission_id, timestamp)`` for a key made by ``review_key``, else ``None``."""
    try:
        validate_key(key)
    except UnsafeKeyError:
        return None
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != REVIEWS or not _SUBMISSION_ID_RE.fullmatch(parts[1]):
        return None
    stem = parts[2].removesuffix(".json")
    if stem == parts[2] or not _REVIEW_TS_RE.fullmatch(stem):
        return None
    return parts[1], datetime.strptime(stem, _REVIEW_TS_FORMAT).replace(tzinfo=UTC)
