"""Table reading: the PDF's vector ruling on the born-digital samples (checked against
pdfplumber), ruled-line geometry (+ OCR) on a scan,
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


def test_vector_environment_table_matches_truth() -> None:
    from pipeline.runner import read_document

    found = _env_truth("born_digital", ".pdf")
    if found is None:
        pytest.skip("no born-digital test report")
    path, truth = found
    doc = read_document(path)
    doc.source_pdf = path.read_bytes()
    pages = sorted({c["page"] for c in truth["compatibility"]})
    tables = find_tables(doc, pages)
    assert tables and tables[0].method == "pdf_ruling"
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
def test_vector_ruling_decides_whether_a_table_is_read(grid: bool, rows: int) -> None:
    from extractors.tables import pdf_page_ruling

    doc = _vector_doc(grid)
    ruling = pdf_page_ruling(doc, 0)
    assert ruling is not None and ruling.table_images == 0
    assert ruling.may_hold_vector_table is grid
    tables = find_tables(doc)
    assert sum(len(t.rows) for t in tables) == rows
    if grid:
        assert tables[0].method == "pdf_ruling"
        assert [c.text for c in tables[0].rows[1]] == ["CPU1", "V1"]
        assert tables[0].rows[1][0].words and tables[0].rows[1][0].words[0].text == "CPU1"
    assert find_tables(doc) == tables  # computed once per document


def _plumber_texts(doc: DocumentContent) -> list[list[list[str]]]:
    from extractors.tables import _opened_plumber, pdf_tables

    assert doc.source_pdf is not None
    opened = _opened_plumber(doc)
    return [t.texts() for p in doc.pages for t in pdf_tables(doc.source_pdf, p, opened=opened)]


def test_vector_tables_read_as_pdfplumber_does_on_the_sample_reports() -> None:
    """The environment tables of every born-digital test report, cell for cell as pdfplumber."""
    from pipeline.runner import read_document

    checked = 0
    for t in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        if truth.get("variant") != "born_digital":
            continue
        for name, doc_truth in truth["documents"].items():
            if doc_truth["doc_type"] != "test_report" or not (t.parent / name).exists():
                continue
            doc = read_document(t.parent / name)
            doc.source_pdf = (t.parent / name).read_bytes()
            ours = [tb.texts() for tb in find_tables(doc, reocr=False)]
            assert ours and ours == _plumber_texts(doc)
            checked += 1
    if not checked:
        pytest.skip("no born-digital test report")


def test_cells_spanning_rows_are_one_cell(real_samples: Path) -> None:
    """A real Chinese table whose first column spans rows (公路技术等级 / 高速公路 …): one cell each,
    as pdfplumber reads it."""
    from pipeline.runner import read_document

    path = real_samples / "pdfs" / "pdfplumber__issue-336-example.pdf"
    if not path.exists():
        pytest.skip("issue-336 example absent")
    doc = read_document(path)
    doc.source_pdf = path.read_bytes()
    for page in doc.pages:
        page.image_loader = None
    ours = [t.texts() for t in find_tables(doc, reocr=False)]
    assert ours == _plumber_texts(doc)
    assert ["公路技术等级", "车道数", "用地指标基准值", "编制条件"] in ours[0]
    assert any(row[0] == "高速公路" for row in ours[0])


def test_page_frame_is_not_a_table() -> None:
    """A page border drawn twice (a frame) around paragraphs makes a grid but no table."""
    import pymupdf

    from extractors.tables import pdf_page_ruling
    from pipeline.text_layer import read_text_layer

    pdf = pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    for inset in (20, 26):
        page.draw_rect(pymupdf.Rect(inset, inset, 595 - inset, 842 - inset))
    page.draw_line((26, 120), (569, 120))
    for n, y in enumerate(range(160, 400, 24)):
        page.insert_text((60, y), f"第{n}段 正文 text {n}", fontname="china-s", fontsize=11)
    data = pdf.tobytes()
    words = read_text_layer(pymupdf.open(stream=data, filetype="pdf")[0]).words
    info = PageInfo(index=0, text_source="text_layer", reason="test", width=595, height=842)
    doc = DocumentContent(name="f.pdf", sha256="0" * 64, media_type="application/pdf", source_pdf=data)
    doc.pages = [PageContent(index=0, info=info, words=words)]
    ruling = pdf_page_ruling(doc, 0)
    assert ruling is not None and ruling.may_hold_vector_table
    assert find_tables(doc) == []


def test_unreadable_drawings_fall_back_to_pdfplumber() -> None:
    """When PyMuPDF cannot read the page's drawings the page is still read (pdfplumber), and a
    PDF neither can read yields no table rather than an error."""
    doc = _vector_doc(True)
    doc.cache["pdf_ruling"] = {0: None}  # as pdf_page_ruling leaves it when PyMuPDF fails
    tables = find_tables(doc)
    assert tables and tables[0].method == "pdfplumber"
    assert [c.text for c in tables[0].rows[1]] == ["CPU1", "V1"]
    broken = _vector_doc(True)
    broken.source_pdf = b"%PDF-1.4 not really"
    broken.cache["pdf_ruling"] = {0: None}
    assert find_tables(broken) == []


@pytest.mark.parametrize(("width_pt", "rendered"), [(90, False), (400, True)])
def test_only_images_that_could_show_a_table_are_rendered(width_pt: int, rendered: bool) -> None:
    """A seal-sized picture on a text page is not rendered to look for ruling; a wide one is."""
    import io

    import pymupdf
    from PIL import Image

    from pipeline.text_layer import read_text_layer

    buf = io.BytesIO()
    Image.new("RGB", (200, 200), (200, 30, 30)).save(buf, format="PNG")
    pdf = pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    page.insert_text((72, 80), "测试报告", fontname="china-s", fontsize=12)
    page.insert_image(
        pymupdf.Rect(100, 300, 100 + width_pt, 390), stream=buf.getvalue(), keep_proportion=False
    )
    data = pdf.tobytes()
    words = read_text_layer(pymupdf.open(stream=data, filetype="pdf")[0]).words
    info = PageInfo(index=0, text_source="text_layer", reason="test", width=595, height=842)
    doc = DocumentContent(name="i.pdf", sha256="0" * 64, media_type="application/pdf", source_pdf=data)
    calls: list[int] = []

    def loader() -> np.ndarray:
        calls.append(1)
        return np.full((842, 595, 3), 255, np.uint8)

    doc.pages = [PageContent(index=0, info=info, words=words, image_loader=loader)]
    assert find_tables(doc) == []
    assert bool(calls) is rendered


@pytest.mark.parametrize(
    ("source", "engine", "helps"),
    [("ocr", "tesseract-5.3", True), ("ocr", "rapidocr", False), ("text_layer", None, False)],
)
def test_region_reread_only_where_page_segmentation_garbles(
    source: str, engine: str | None, helps: bool
) -> None:
    from extractors.tables import region_reread_helps

    info = PageInfo(index=0, text_source=source, reason="test", engine=engine)  # type: ignore[arg-type]
    assert region_reread_helps(PageContent(0, info, [])) is helps
