"""Loading and bad input: every hostile or broken upload is a typed error, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import pymupdf
import pytest
from PIL import Image

from pipeline.errors import (
    BrokenDocumentError,
    DecompressionBombError,
    EmptyFileError,
    EncryptedPdfError,
    FileTooLargeError,
    TooManyPagesError,
    UnsupportedFormatError,
)
from pipeline.loading import load_document, sniff_media_type
from pipeline.options import Limits, PipelineOptions, ReadingOptions
from pipeline.runner import extract_bytes

LIMITS = Limits()


def make_pdf(
    pages: int = 1, text: str = "营业执照 统一社会信用代码 91350100M000100Y43", **save: object
) -> bytes:
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page()
        page.insert_text((72, 100), f"{text} 第{i + 1}页", fontname="china-s", fontsize=14)
    return doc.tobytes(**save)


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), frames: int = 1, **save: object) -> bytes:
    imgs = [Image.new("RGB", size, (255, 255 - 40 * i, 255)) for i in range(frames)]
    buf = io.BytesIO()
    if frames > 1:
        imgs[0].save(buf, format=fmt, save_all=True, append_images=imgs[1:], **save)
    else:
        imgs[0].save(buf, format=fmt, **save)
    return buf.getvalue()


def png_with_header_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"junk before%PDF-1.4", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
        (b"II*\x00" + b"\0" * 20, "image/tiff"),
        (b"MM\x00*" + b"\0" * 20, "image/tiff"),
        (b"BM" + b"\0" * 40, "image/bmp"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"PK\x03\x04 a docx is a zip", None),
        (b"GIF89a", None),
        ("营业执照".encode(), None),
    ],
)
def test_sniff_by_content(data: bytes, expected: str | None) -> None:
    assert sniff_media_type(data) == expected


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyFileError),
        (b"hello, this is plain text pretending to be a pdf", UnsupportedFormatError),
        (b"PK\x03\x04" + b"\0" * 100, UnsupportedFormatError),
        (b"%PDF-1.7\n this is not really a pdf at all", BrokenDocumentError),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, BrokenDocumentError),
        (b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\0" * 30, BrokenDocumentError),
    ],
)
def test_bad_input_is_a_typed_error(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        load_document(data, "upload.pdf", LIMITS)
    assert info.value.code  # type: ignore[attr-defined]
    assert info.value.message  # type: ignore[attr-defined]


def test_encrypted_pdf() -> None:
    data = make_pdf(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    with pytest.raises(EncryptedPdfError, match="password"):
        load_document(data, "enc.pdf", LIMITS)


def test_owner_password_only_pdf_is_readable() -> None:
    data = make_pdf(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", permissions=0)
    doc = load_document(data, "perm.pdf", LIMITS)
    assert doc.page_count == 1


def test_truncated_pdf_is_repaired_or_refused() -> None:
    data = make_pdf(pages=3)
    cut = data[: len(data) // 2]
    try:
        doc = load_document(cut, "cut.pdf", LIMITS)
    except BrokenDocumentError:
        return
    assert doc.notes and "repaired" in doc.notes[0]


def test_too_many_pages_pdf_and_tiff() -> None:
    limits = Limits(max_pages=2)
    with pytest.raises(TooManyPagesError, match="3"):
        load_document(make_pdf(pages=3), "long.pdf", limits)
    with pytest.raises(TooManyPagesError):
        load_document(image_bytes("TIFF", frames=3), "long.tif", limits)


def test_file_too_large() -> None:
    with pytest.raises(FileTooLargeError):
        load_document(make_pdf(), "big.pdf", Limits(max_bytes=100))


def test_decompression_bomb_by_header_and_by_limit() -> None:
    with pytest.raises(DecompressionBombError):
        load_document(png_with_header_size(100_000, 100_000), "bomb.png", LIMITS)
    with pytest.raises(DecompressionBombError, match="pixels"):
        load_document(image_bytes("PNG", size=(2000, 1000)), "big.png", Limits(max_pixels=1_000_000))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP"])
def test_single_image_formats(fmt: str) -> None:
    doc = load_document(image_bytes(fmt), f"x.{fmt.lower()}", LIMITS)
    assert doc.page_count == 1
    assert doc.frame_array(0).shape == (48, 64, 3)


def test_multipage_tiff() -> None:
    doc = load_document(image_bytes("TIFF", frames=3), "scan.tif", LIMITS)
    assert doc.media_type == "image/tiff"
    assert doc.page_count == 3
    # frames are distinct pages, not the first one three times
    assert doc.frame_array(0)[0, 0].tolist() != doc.frame_array(2)[0, 0].tolist()


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (80, 40), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    doc = load_document(buf.getvalue(), "photo.jpg", LIMITS)
    assert doc.frame_array(0).shape[:2] == (80, 40)


def test_extract_never_raises_and_keeps_the_upload_untouched() -> None:
    data = make_pdf(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="pw2")
    before = bytes(data)
    result = extract_bytes(data, "enc.pdf").result
    assert data == before
    assert result.status == "failure"
    assert [e.code for e in result.errors] == ["encrypted_pdf"]
    assert result.document.sha256 and len(result.document.sha256) == 64
    assert result.document.media_type == "application/pdf"


def test_text_layer_pdf_reads_without_ocr() -> None:
    opts = PipelineOptions(reading=ReadingOptions(min_text_chars=5))
    result = extract_bytes(make_pdf(pages=2), "lic.pdf", opts).result
    assert result.status == "success", result.errors
    assert [p.text_source for p in result.pages] == ["text_layer", "text_layer"]
    assert all(p.engine == "text_layer" for p in result.pages)
    assert result.schema_ == "evidence.extraction/1"
    dumped = result.to_json()
    assert '"schema":"evidence.extraction/1"' in dumped
