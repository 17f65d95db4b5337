"""Several documents read at once on threads share one OCR process pool: a document with fewer
pages must not replace the pool under another one's queued pages (which then came back cancelled
and were reported unreadable)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


_OWNER_SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from pipeline import parallel

if __name__ == "__main__":
    pool = parallel._get_pool(2)
    pids = {{pool.submit(os.getpid).result() for _ in range(8)}}
    print(" ".join(str(p) for p in sorted(pids)), os.getpid(), flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    from pipeline.parallel import owner_gone

    return not owner_gone(pid)


def test_ocr_workers_exit_when_their_process_is_killed(tmp_path: Path) -> None:
    """A flow run killed mid-document (SIGKILL: no cleanup runs) must not leave its OCR worker
    processes and their fork server behind: each held ~500 MB on the scanned samples."""
    import signal
    import subprocess
    import sys
    import time

    root = str(Path(__file__).resolve().parents[1])
    script = tmp_path / "owner.py"
    script.write_text(_OWNER_SCRIPT.format(root=root), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        workers = [int(p) for p in line[:-1]]
        assert workers and all(_alive(p) for p in workers)
        with open(f"/proc/{workers[0]}/stat", encoding="ascii") as fh:
            server = int(fh.read().rsplit(")", 1)[1].split()[1])  # the fork server
        assert server != proc.pid and _alive(server)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(p) for p in [*workers, server]):
        time.sleep(0.2)
    assert not [p for p in [*workers, server] if _alive(p)]


def test_owner_gone_for_live_and_ended_processes() -> None:
    import os
    import subprocess
    import sys

    from pipeline.parallel import owner_gone

    assert not owner_gone(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    assert owner_gone(child.pid)


def test_worker_pages_match_pages_read_in_process() -> None:
    """An OCR worker gets the page's grayscale and sends back words and geometry, not the colour
    page: the parent turns its own copy. The result must be the page read in one process:
    the same words, and the same upright colour image (a red mark where it was)."""
    import cv2
    import numpy as np

    from pipeline.ocr.base import OcrOptions
    from pipeline.page_reader import OcrJob
    from pipeline.parallel import ocr_pages, run_job

    font = ImageFont.truetype(io.BytesIO(pymupdf.Font("china-s").buffer), 40)
    page = Image.new("RGB", (1400, 1000), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    for n in range(8):
        draw.text(
            (80, 80 + 105 * n), f"第{n + 1}行 福州闽信科技有限公司 合同编号 HT-{n}", font=font, fill=(0, 0, 0)
        )
    img = np.array(page)[:, :, ::-1].copy()
    cv2.circle(img, (1200, 800), 90, (0, 0, 230), 8)  # a red stamp ring
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0)
    turned = cv2.rotate(cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255)), cv2.ROTATE_180)
    job = OcrJob(index=0, image=turned, reason="test")
    options = OcrOptions()
    [(_, pooled)] = list(ocr_pages([job], options, workers=1))
    inline = run_job(job, options)
    assert not isinstance(pooled, Exception)
    assert [wd.text for wd in pooled.words] == [wd.text for wd in inline.words] and pooled.words
    assert pooled.info == inline.info and pooled.info.rotation == 180
    assert pooled.image is not None and inline.image is not None
    assert np.array_equal(pooled.image, inline.image)
    red = (pooled.image[:, :, 2] > 150) & (pooled.image[:, :, 1] < 100)
    _ys, xs = np.nonzero(red)
    assert xs.mean() > pooled.image.shape[1] / 2  # turned upright: the ring is back on the right
