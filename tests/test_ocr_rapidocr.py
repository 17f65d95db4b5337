"""RapidOCR engine: reads a rendered Chinese page, converts lines into words, refuses junk cleanly.

Skipped when rapidocr-onnxruntime is not installed (it is an optional extra)."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from pipeline.errors import OcrEngineUnavailableError, OcrError
from pipeline.model import Word
from pipeline.ocr.base import OcrOptions, available_engines, get_engine

pytest.importorskip("rapidocr_onnxruntime")

from pipeline.ocr.rapidocr import RapidOcrEngine, words_from_result

LINES = [
    ("名称 深圳市南方源芯电气有限公司", 60),
    ("统一社会信用代码 91440300312067220D", 110),
    ("法定代表人 常国强", 160),
    ("成立日期 2014年09月04日", 210),
]
PAGE_W, PAGE_H = 595, 260  # a strip of an A4 page keeps the test quick


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    e = get_engine(OcrOptions(engine="rapidocr"))
    assert isinstance(e, RapidOcrEngine)
    return e


@pytest.fixture(scope="module")
def page_image() -> np.ndarray:
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    for text, y in LINES:
        page.insert_text((60, y), text, fontname="china-s", fontsize=14)
    pix = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY, alpha=False)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width).copy()
    doc.close()
    return img


@pytest.fixture(scope="module")
def page_words(engine: RapidOcrEngine, page_image: np.ndarray) -> list[Word]:
    return engine.recognize(page_image)


def _compact(words: list[Word]) -> str:
    return "".join(w.text for w in words).replace(" ", "")


def test_registered_and_named(engine: RapidOcrEngine) -> None:
    assert "rapidocr" in available_engines()
    assert engine.name.startswith("rapidocr ")
    assert engine.wants_binarized is False


def test_reads_known_strings(page_words: list[Word]) -> None:
    text = _compact(page_words)
    for expected in ("深圳市南方源芯电气有限公司", "91440300312067220D", "常国强", "法定代表人", "2014"):
        assert expected in text


def test_words_have_sane_boxes_and_lines(page_words: list[Word]) -> None:
    assert page_words
    for w in page_words:
        x0, y0, x1, y1 = w.bbox
        assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
        assert 0.0 < w.confidence <= 1.0
        assert w.text == w.text.strip() and w.text
        assert y1 - y0 < 0.15  # one text line, not a page-sized box
    code = next(w for w in page_words if "91440300312067220D" in w.text)
    # printed with its baseline at y = 110 pt, right of the label that starts at x = 60 pt
    assert abs(code.bbox[3] - 110 / PAGE_H) < 0.03
    assert code.bbox[0] > 60 / PAGE_W
    name = next(w for w in page_words if "常国强" in w.text)
    assert name.bbox[1] > code.bbox[3]  # the next line down
    # words of one detected line share (block, line); different lines differ
    by_line: dict[tuple[int, int], list[Word]] = {}
    for w in page_words:
        by_line.setdefault((w.block, w.line), []).append(w)
    assert len(by_line) >= len(LINES)


def test_accepts_colour_and_gray(engine: RapidOcrEngine, page_image: np.ndarray) -> None:
    bgr = np.repeat(page_image[:, :, None], 3, axis=2)
    assert "常国强" in _compact(engine.recognize(bgr))


@pytest.mark.parametrize(
    "image",
    [
        np.full((800, 600), 255, np.uint8),  # blank page
        np.zeros((800, 600, 3), np.uint8),  # black page
        np.full((1, 1), 255, np.uint8),  # tiny
        np.full((3, 400), 0, np.uint8),  # a sliver
        np.full((12, 3000, 3), 40, np.uint8),  # a long dark strip (RapidOCR would upscale it a lot)
        np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8),  # noise
    ],
)
def test_junk_input_gives_no_words_or_typed_error(engine: RapidOcrEngine, image: np.ndarray) -> None:
    try:
        words = engine.recognize(image)
    except OcrError:
        return
    assert isinstance(words, list)
    assert all(isinstance(w, Word) for w in words)


@pytest.mark.parametrize(
    "image",
    [np.zeros((0, 0), np.uint8), np.zeros((10, 10), np.float32), np.zeros((10, 10, 2), np.uint8)],
)
def test_invalid_input_is_a_typed_error(engine: RapidOcrEngine, image: np.ndarray) -> None:
    with pytest.raises(OcrError):
        engine.recognize(image)


def test_words_from_result_splits_at_spaces() -> None:
    quad = [[100, 50], [500, 50], [500, 80], [100, 80]]
    words = words_from_result(
        [[quad, "ABC DEF", 0.9], [quad, "名称：深圳市", 0.8], [quad, "  ", 0.9], [quad, "x", float("nan")]],
        width=1000,
        height=1000,
    )
    assert [w.text for w in words] == ["ABC", "DEF", "名称:深圳市"]  # NFKC: full-width colon
    a, b, c = words
    assert a.bbox == (0.1, 0.05, 0.2714, 0.08)
    assert b.bbox[0] > a.bbox[2] and b.bbox[2] == 0.5
    assert (a.block, a.line) == (b.block, b.line) != (c.block, c.line)
    assert c.confidence == 0.8


def test_min_word_confidence_filters() -> None:
    quad = [[0, 0], [10, 0], [10, 10], [0, 10]]
    words = words_from_result([[quad, "a", 0.4], [quad, "b", 0.9]], width=10, height=10, min_confidence=0.5)
    assert [w.text for w in words] == ["b"]


def test_missing_package_is_engine_unavailable_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    import pipeline.ocr.rapidocr as mod

    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> object:
        if name == "rapidocr_onnxruntime":
            raise ImportError("No module named 'rapidocr_onnxruntime'")
        return real_import(name, package)

    monkeypatch.setattr(mod.importlib, "import_module", fake_import)
    engine = RapidOcrEngine(threads=7)  # a configuration no other test has cached
    with pytest.raises(OcrEngineUnavailableError, match="pip install --no-deps rapidocr-onnxruntime"):
        engine.recognize(np.full((100, 100), 255, np.uint8))


def test_recognize_line_reads_one_line_without_detection(
    engine: RapidOcrEngine, page_image: np.ndarray
) -> None:
    # the first line of the page, cropped as a seal ring strip would be (a single text line)
    scale = page_image.shape[1] / PAGE_W
    top, bottom = int((60 - 18) * scale), int((60 + 6) * scale)
    text, conf = engine.recognize_line(page_image[top:bottom])
    assert "南方源芯电气有限公司" in text.replace(" ", "")
    assert 0.5 < conf <= 1.0


@pytest.mark.parametrize("shape", [(0, 0), (4, 300), (300, 4)])
def test_recognize_line_on_slivers_reads_nothing(engine: RapidOcrEngine, shape: tuple[int, int]) -> None:
    if 0 in shape:
        with pytest.raises(OcrError):
            engine.recognize_line(np.zeros(shape, np.uint8))
    else:
        assert engine.recognize_line(np.full(shape, 255, np.uint8)) == ("", 0.0)


def test_direction_classifier_tells_upright_from_turned(page_image: np.ndarray) -> None:
    from pipeline.ocr.rapidocr import upside_down_score
    from pipeline.preprocess import normalize_background, orientation_lines

    lines = orientation_lines(normalize_background(page_image))
    assert len(lines) >= 3
    assert upside_down_score(lines) < -0.3
    assert upside_down_score([np.ascontiguousarray(line[::-1, ::-1]) for line in lines]) > 0.3
    assert upside_down_score([]) == 0.0
    assert upside_down_score([np.full((40, 400), 255, np.uint8)]) == 0.0  # no ink: nothing to judge
