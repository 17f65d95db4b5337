"""Typed errors. Each carries a stable ``code`` (as in a result's ``errors``), a CLI exit code and a
message that tells the user what to do. A document-level error becomes an ``ErrorItem``; it never
stops a batch."""

from __future__ import annotations

from pipeline.model import ErrorItem


class EvidenceError(Exception):
    """Base of every error the product reports on purpose."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, page: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.page = page

    def to_item(self) -> ErrorItem:
        return ErrorItem(code=self.code, message=self.message, page=self.page)


class InputError(EvidenceError):
    """The upload itself cannot be used; the applicant must upload it again."""

    exit_code = 3


class EmptyFileError(InputError):
    code = "empty_file"


class UnsupportedFormatError(InputError):
    code = "unsupported_format"


class EncryptedPdfError(InputError):
    code = "encrypted_pdf"


class BrokenDocumentError(InputError):
    code = "broken_document"


class TooManyPagesError(InputError):
    code = "too_many_pages"


class FileTooLargeError(InputError):
    code = "file_too_large"


class DecompressionBombError(InputError):
    code = "decompression_bomb"


class PageReadError(EvidenceError):
    """One page could not be read; the rest of the document still is."""

    code = "page_unreadable"
    exit_code = 4


class OcrError(EvidenceError):
    code = "ocr_failed"
    exit_code = 4


class OcrTimeoutError(OcrError):
    code = "ocr_timeout"


class OcrEngineUnavailableError(OcrError):
    code = "ocr_engine_unavailable"
    exit_code = 5


class ConfigError(EvidenceError):
    code = "config_invalid"
    exit_code = 2


class StoreError(EvidenceError):
    code = "store_error"
    exit_code = 6


class ObjectNotFoundError(StoreError):
    code = "object_not_found"


class UnsafeKeyError(StoreError):
    code = "unsafe_key"


class ObjectExistsError(StoreError):
    code = "object_exists"


# Orchestration: the index database, upload events and runs.


class IndexDatabaseError(EvidenceError):
    """The index database cannot be opened, migrated or written."""

    code = "index_error"
    exit_code = 7


class EventPayloadError(EvidenceError):
    """The notification body is not a bucket-notification event we can read (HTTP 400/422)."""

    code = "event_malformed"
    exit_code = 2


class EventKeyError(EvidenceError):
    """The event names an object outside ``uploads/<submission>/<file>`` (HTTP 422)."""

    code = "event_key_outside_uploads"
    exit_code = 2


class RunBusyError(EvidenceError):
    """Another worker holds the run and did not finish within the wait."""

    code = "run_busy"
    exit_code = 8


class RunGaveUpError(EvidenceError):
    """The run failed ``MAX_ATTEMPTS`` times; it is not retried automatically."""

    code = "run_gave_up"
    exit_code = 8
