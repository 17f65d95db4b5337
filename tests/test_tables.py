"""Table reading: pdfplumber on the born-digital samples, ruled-line geometry (+ OCR) on a scan,
and the shared real Chinese-table PDFs (read in place, never raising)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from extractors.tables import detect_grids, drop_red, find_tables, image_tables
from pipeline.content import DocumentContent, PageContent
from pipeline.model import PageInfo

SAMPLES = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"
REAL = ["pymupdf__chinese-tables.pdf", "pdfplumber__issue-336-example.pdf", "pymupdf__test_4699.pdf",
        "pdfplumber__pr-136-example.pdf"]  # fmt: skip


def _env_truth(variant: str, suffix: str) -> tuple[Path, dict] | None:
    for t in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        if truth.get("variant") != variant:
            continue
        for name, doc in truth["documents"].items():
            if doc["doc_type"] == "test_report" and name.endswith(suffix) and (t.parent / name).exists():
                return t.parent / name, doc
    return None


def _grid_image() -> np.ndarray:
    img = np.full((600, 800), 255, np.uint8)
    for y in (100, 200, 300, 400):
        img[y : y + 3, 100:700] = 0
    for x in (100, 300, 700):
        img[100:403, x : x + 3] = 0
    return img


def test_grid_from_ruling() -> None:
    grids = detect_grids(_grid_image())
    assert len(grids) == 1
    g = grids[0]
    assert len(g.ys) == 4
    assert all(len(xs) == 3 for xs in g.xs_per_row)


def test_blank_and_tiny_images() -> None:
    assert detect_grids(np.full((50, 50), 255, np.uint8)) == []
    assert detect_grids(np.zeros((30, 30), np.uint8)) == []
    assert drop_red(np.zeros((5, 5, 3), np.uint8)).shape == (5, 5)


def test_pdfplumber_environment_table_matches_truth() -> None:
    from pipeline.runner import read_document

    found = _env_truth("born_digital", ".pdf")
    if found is None:
        pytest.skip("no born-digital test report")
    path, truth = found
    doc = read_document(path)
    doc.source_pdf = path.read_bytes()
    pages = sorted({c["page"] for c in truth["compatibility"]})
    tables = find_tables(doc, pages)
    assert tables and tables[0].method == "pdfplumber"
    texts = [c.text for t in tables for row in t.rows for c in row]
    for c in truth["compatibility"]:
        assert c["name"] in texts


def test_scanned_environment_table_by_geometry() -> None:
    """The scan's table page only: ruling found on the image, cells read again with OCR."""
    import pymupdf

    found = _env_truth("scanned", ".pdf")
    if found is None:
        pytest.skip("no scanned (image PDF) test report")
    path, truth = found
    page_no = truth["compatibility"][0]["page"]
    with pymupdf.open(path) as pdf:
        pix = pdf[page_no].get_pixmap(dpi=200)
        img = (
            np.frombuffer(pix.samples, np.uint8)
            .reshape(pix.height, pix.width, pix.n)[..., :3][..., ::-1]
            .copy()
        )
    import cv2

    angle = float((truth.get("scan") or {}).get("rotation_deg", [0.0] * (page_no + 1))[page_no])
    tables = []
    for sign in (1.0, -1.0):  # undo the simulated scan rotation (the pipeline deskews likewise)
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), sign * angle, 1.0)
        upright = cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))
        info = PageInfo(index=page_no, text_source="ocr", reason="scan", engine="tesseract")
        page = PageContent(page_no, info, [], image=upright)
        if detect_grids(upright):
            tables = image_tables(page, reocr=True)
            break
    assert tables and tables[0].method == "ruled_lines"
    from extractors.compat import normalize_product
    from extractors.test_report import _table_rows, load_config

    rows = [r for t in tables for r in _table_rows(t, load_config().environment)]
    got = []
    for r in rows:
        match = normalize_product(r.name, r.category)
        got.append((r.category, match.canonical if match else None))
    want = [(c["category"], c["canonical"]) for c in truth["compatibility"]]
    hits = sum(1 for w in want if w in got)
    assert hits >= len(want) - 1  # OCR may lose one row; the categories and products otherwise match


@pytest.mark.parametrize("name", REAL)
def test_real_pdfs_never_raise(real_samples: Path, name: str) -> None:
    path = real_samples / "pdfs" / name
    if not path.exists():
        pytest.skip(f"{name} absent")
    from pipeline.runner import read_document

    doc = read_document(path)
    doc.source_pdf = path.read_bytes()
    for page in doc.pages[:3]:
        page.image_loader = None  # text-layer pages: pdfplumber only (keeps the test fast)
    tables = find_tables(doc, [p.index for p in doc.pages[:3]], reocr=False)
    for t in tables:
        assert all(0 <= v <= 1 for v in t.bbox)


def test_no_pdf_no_image() -> None:
    info = PageInfo(index=0, text_source="ocr", reason="scan")
    doc = DocumentContent("x", "0" * 64, "image/png", [PageContent(0, info, [])])
    assert find_tables(doc) == []


def _vector_doc(grid: bool) -> DocumentContent:
    import pymupdf

    from pipeline.text_layer import read_text_layer

    pdf = pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    page.insert_text((72, 80), "测试环境", fontname="china-s", fontsize=12)
    if grid:
        for y in (100, 130, 160, 190):
            page.draw_line((72, y), (472, y))
        for x in (72, 272, 472):
            page.draw_line((x, 100), (x, 190))
        for r, y in enumerate((120, 150, 180)):
            page.insert_text((80, y), f"CPU{r}", fontsize=10)
            page.insert_text((280, y), f"V{r}", fontsize=10)
    else:
        page.draw_line((72, 90), (472, 90))  # an underline is not a table
    data = pdf.tobytes()
    reopened = pymupdf.open(stream=data, filetype="pdf")
    words = read_text_layer(reopened[0]).words
    info = PageInfo(index=0, text_source="text_layer", reason="test", width=595, height=842)
    doc = DocumentContent(name="t.pdf", sha256="0" * 64, media_type="application/pdf", source_pdf=data)
    doc.pages = [PageContent(index=0, info=info, words=words)]
    return doc


@pytest.mark.parametrize(("grid", "rows"), [(True, 3), (False, 0)])
def test_vector_ruling_decides_whether_pdfplumber_runs(grid: bool, rows: int) -> None:
    from extractors.tables import pdf_page_ruling

    doc = _vector_doc(grid)
    ruling = pdf_page_ruling(doc, 0)
    assert ruling is not None and ruling.images == 0
    assert ruling.may_hold_vector_table is grid
    tables = find_tables(doc)
    assert sum(len(t.rows) for t in tables) == rows
    if grid:
        assert tables[0].method == "pdfplumber"
        assert [c.text for c in tables[0].rows[1]] == ["CPU1", "V1"]
    assert find_tables(doc) == tables  # computed once per document
