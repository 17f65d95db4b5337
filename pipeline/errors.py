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
