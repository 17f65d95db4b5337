"""Loading: sniff the type by content, enforce limits, open PDFs and images.

Every failure is an ``InputError`` subclass with a message that tells the applicant what to do.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pymupdf
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import (
    BrokenDocumentError,
    DecompressionBombError,
    EmptyFileError,
    EncryptedPdfError,
    FileTooLargeError,
    TooManyPagesError,
    UnsupportedFormatError,
)
from pipeline.options import Limits

# MuPDF prints repair warnings on stderr for every broken file; we record them ourselves.
pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)

MediaType = Literal["application/pdf", "image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp"]
IMAGE_FORMATS: dict[str, MediaType] = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
    "WEBP": "image/webp",
}


def sniff_media_type(data: bytes) -> MediaType | None:
    """The media type from magic bytes, or None. File names and extensions are never trusted."""
    head = data[:1024]
    if b"%PDF-" in head:  # the PDF spec tolerates junk before the header
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head.startswith(b"BM") and len(head) >= 26:
        return "image/bmp"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass
class LoadedDocument:
    """An opened upload. ``pdf`` is set for PDFs, ``frames`` for images (upright, RGB)."""

    name: str
    sha256: str
    media_type: MediaType
    size_bytes: int
    page_count: int
    pdf: pymupdf.Document | None = None
    frames: list[Image.Image] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()
        for f in self.frames:
            f.close()

    def frame_array(self, index: int) -> np.ndarray:
        """Image page ``index`` as a BGR uint8 array."""
        rgb = np.asarray(self.frames[index].convert("RGB"))
        return np.ascontiguousarray(rgb[:, :, ::-1])


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_document(data: bytes, name: str, limits: Limits) -> LoadedDocument:
    """Open ``data`` as a document, or raise an ``InputError`` that says why it cannot be used."""
    if len(data) == 0:
        raise EmptyFileError(f"文件为空 the file {name!r} is empty (0 bytes); upload it again")
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(
            f"文件过大 the file is {len(data):,} bytes, above the limit of {limits.max_bytes:,}; "
            "split or compress it"
        )
    media_type = sniff_media_type(data)
    if media_type is None:
        raise UnsupportedFormatError(
            "不支持的文件格式 not a PDF, PNG, JPEG, TIFF, BMP or WEBP file (checked by content, "
            "not by name); convert it to PDF and upload again"
        )
    digest = sha256_of(data)
    if media_type == "application/pdf":
        return _load_pdf(data, name, digest, limits)
    return _load_image(data, name, digest, media_type, limits)


def _load_pdf(data: bytes, name: str, digest: str, limits: Limits) -> LoadedDocument:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for unreadable files
        raise BrokenDocumentError(
            f"PDF 文件已损坏 the PDF cannot be opened ({type(exc).__name__}); export it again and re-upload"
        ) from exc
    if doc.needs_pass:
        doc.close()
        raise EncryptedPdfError("PDF 已加密 the PDF needs a password; upload an unencrypted copy")
    notes: list[str] = []
    if doc.is_repaired:
        notes.append("PDF structure was broken and repaired while opening")
    if doc.page_count == 0:
        doc.close()
        raise BrokenDocumentError("PDF 没有页面 the PDF has no pages; export it again and re-upload")
    if doc.page_count > limits.max_pages:
        n = doc.page_count
        doc.close()
        raise TooManyPagesError(
            f"页数过多 the PDF has {n} pages, above the limit of {limits.max_pages}; upload only the "
            "pages that are evidence"
        )
    return LoadedDocument(
        name=name,
        sha256=digest,
        media_type="application/pdf",
        size_bytes=len(data),
        page_count=doc.page_count,
        pdf=doc,
        notes=notes,
    )


def _load_image(data: bytes, name: str, digest: str, media_type: MediaType, limits: Limits) -> LoadedDocument:
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below decides; Pillow's global default would warn at 89 Mpx.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            frames: list[Image.Image] = []
            n = getattr(img, "n_frames", 1)
            if n > limits.max_pages:
                raise TooManyPagesError(
                    f"页数过多 the image has {n} pages, above the limit of {limits.max_pages}"
                )
            for i in range(n):
                img.seek(i)
                w, h = img.size
                if w * h > limits.max_pixels:
                    raise DecompressionBombError(
                        f"图像尺寸异常 page {i + 1} is {w}x{h} pixels, above the limit of "
                        f"{limits.max_pixels:,}: a decompression bomb or a needlessly huge scan; "
                        "rescan at 300 dpi"
                    )
                frame = img.copy() if n > 1 else img
                frame.load()  # decode now, so a truncated file fails here and not mid-OCR
                frames.append(ImageOps.exif_transpose(frame) or frame)
    except Image.DecompressionBombError as exc:
        raise DecompressionBombError(
            f"图像尺寸异常 the image is a decompression bomb ({exc}); rescan at 300 dpi"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BrokenDocumentError(
            f"图像文件已损坏 the {media_type} image cannot be decoded ({type(exc).__name__}); upload it again"
        ) from exc
    return LoadedDocument(
        name=name,
        sha256=digest,
        media_type=media_type,
        size_bytes=len(data),
        page_count=len(frames),
        frames=frames,
    )
