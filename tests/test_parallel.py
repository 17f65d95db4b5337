"""Several documents read at once on threads share one OCR process pool: a document with fewer
pages must not replace the pool under another one's queued pages (which then came back cancelled
and were reported unreadable)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.runner import extract_bytes


def scan(pages: int, tag: str) -> bytes:
    """A TIFF of ``pages`` small scanned-looking pages (each with one line of text)."""
    font = ImageFont.truetype(io.BytesIO(pymupdf.Font("china-s").buffer), 40)
    frames = []
    for n in range(pages):
        img = Image.new("L", (1000, 300), 255)
        ImageDraw.Draw(img).text((40, 120), f"第{n + 1}页 福州闽信科技有限公司 {tag}", font=font, fill=0)
        frames.append(img)
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def test_documents_read_at_once_share_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_OCR_WORKERS", "2")
    counts = (1, 4, 1, 4, 1, 4, 1, 4)  # pool sizes asked for used to differ: 1 vs 2
    docs = [scan(n, chr(65 + i)) for i, n in enumerate(counts)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: extract_bytes(d[1], f"doc-{d[0]}.tif").result, enumerate(docs)))
    for n, r in enumerate(results):
        assert not r.errors, (n, [e.code for e in r.errors])
        assert [p.text_source for p in r.pages] == ["ocr"] * r.document.pages
        assert r.document.pages == counts[n]
