"""prepare_page on pages rendered with PyMuPDF (real CJK font), then turned, skewed and soiled."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytest

from pipeline.errors import PageReadError
from pipeline.preprocess import (
    PreparedPage,
    PreprocessOptions,
    binarize,
    normalize_background,
    ocr_gray,
    prepare_gray,
    prepare_page,
    to_gray,
)

CODE = "91350100M000100Y43"
COMPANY = "上海华东电子科技有限公司"  # 闽 (国/六/关) and 创 (和创) are misread by chi_sim, see report
LINES = [
    ("统一社会信用代码 ", CODE),
    ("名    称 ", COMPANY),
    ("类    型 ", "有限责任公司（自然人投资或控股）"),
    ("住    所 ", "福建省福州市鼓楼区软件大道八十九号"),
    ("法定代表人 ", "张三"),
    ("成立日期 ", "2015年03月18日"),
    ("经营范围 ", "计算机软硬件开发、技术服务、系统集成"),
    ("登记机关 ", "福州市市场监督管理局"),
]


def render_page(dpi: int = 150) -> tuple[np.ndarray, dict[str, tuple[float, float, float, float]]]:
    """An upright A5-landscape page of licence-like Chinese text as BGR pixels, and where the
    credit code and the company name were drawn (fractions of the page)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=420)
    boxes: dict[str, tuple[float, float, float, float]] = {}
    y = 70.0
    for label, value in LINES:
        page.insert_text((50, y), label, fontname="china-s", fontsize=15)
        x = 50 + pymupdf.get_text_length(label, fontname="china-s", fontsize=15)
        page.insert_text((x, y), value, fontname="china-s", fontsize=15)
        width = pymupdf.get_text_length(value, fontname="china-s", fontsize=15)
        boxes[value] = (x / 595, (y - 13) / 420, (x + width) / 595, (y + 2) / 420)
        y += 40
    pix = page.get_pixmap(dpi=dpi)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), boxes


def turn(img: np.ndarray, clockwise: int, skew_deg: float) -> np.ndarray:
    """Rotate by ``clockwise`` (multiple of 90) and then by ``skew_deg`` (clockwise), white fill."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    if clockwise:
        img = cv2.rotate(img, codes[clockwise])
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -skew_deg, 1.0)
    return cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255))


def soil(img: np.ndarray, seed: int = 0) -> np.ndarray:
    """Phone-photo lighting (a dark corner gradient), a faint grey watermark, sensor noise."""
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.55 + 0.45 * (1 - (xx / w + yy / h) / 2)
    out = img.astype(np.float32) * shade[:, :, None]
    mark = np.zeros((h, w), np.uint8)
    cv2.putText(mark, "SAMPLE COPY", (w // 6, h // 2), cv2.FONT_HERSHEY_SIMPLEX, w / 400, 255, 6)
    out = np.where(mark[:, :, None] > 0, np.minimum(out, 215 * shade[:, :, None]), out)
    out += np.random.default_rng(seed).normal(0, 8, out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return render_page()[0]


@pytest.mark.parametrize(
    ("clockwise", "skew"),
    [(0, 0.0), (0, 3.0), (90, -2.5), (180, 4.0), (270, 1.5)],
)
def test_recovers_rotation_and_skew(page: np.ndarray, clockwise: int, skew: float) -> None:
    prepared = prepare_page(soil(turn(page, clockwise, skew)))
    assert prepared.rotation == (360 - clockwise) % 360
    assert prepared.skew_deg == pytest.approx(-skew, abs=0.3)


@pytest.mark.parametrize(("clockwise", "skew", "shrink"), [(0, 0.0, 1.0), (90, -2.5, 1.0), (180, 4.0, 0.6)])
def test_geometry_from_the_gray_turns_the_colour_page_as_the_ocr_saw_it(
    page: np.ndarray, clockwise: int, skew: float, shrink: float
) -> None:
    """An OCR worker gets the grayscale only; the colour page, turned by the geometry it sends
    back, must show its ink exactly where the OCR image has it (and be what prepare_page gives)."""
    colour = cv2.resize(
        soil(turn(page, clockwise, skew)), None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA
    )
    gray = prepare_gray(ocr_gray(colour), options=PreprocessOptions(min_long_side=2000))
    whole = prepare_page(colour, options=PreprocessOptions(min_long_side=2000))
    assert np.array_equal(gray.ocr_image, whole.ocr_image)
    assert (gray.geometry.rotation, gray.geometry.skew_deg) == (whole.rotation, whole.skew_deg)
    assert gray.geometry.scale > 1  # resized too (the page is smaller than min_long_side)
    upright = gray.geometry.apply(colour)
    assert np.array_equal(upright, whole.upright) and upright.shape[:2] == gray.ocr_image.shape
    ink_ocr = gray.ocr_image < 128
    ink_colour = binarize(normalize_background(to_gray(upright, "max")), "otsu") < 128
    overlap = (ink_ocr & ink_colour).sum() / max(1, (ink_ocr | ink_colour).sum())
    assert overlap > 0.9, overlap


def test_outputs_share_geometry_and_pickle(page: np.ndarray) -> None:
    prepared = prepare_page(turn(page, 0, 2.0), detect_orientation=False)
    assert prepared.ocr_image.dtype == np.uint8 and prepared.ocr_image.ndim == 2
    assert prepared.upright.dtype == np.uint8 and prepared.upright.shape[2] == 3
    assert prepared.ocr_image.shape == prepared.upright.shape[:2]
    assert set(np.unique(prepared.ocr_image)) <= {0, 255}
    clone = pickle.loads(pickle.dumps(prepared))
    assert isinstance(clone, PreparedPage)
    assert np.array_equal(clone.ocr_image, prepared.ocr_image)


def test_without_orientation_detection_never_turns(page: np.ndarray) -> None:
    prepared = prepare_page(turn(page, 90, 0.0), detect_orientation=False)
    assert prepared.rotation == 0


def test_small_images_are_upscaled_and_geometry_kept(page: np.ndarray) -> None:
    small = cv2.resize(page, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    prepared = prepare_page(small, detect_orientation=False, options=PreprocessOptions(min_long_side=2000))
    assert prepared.scale > 1
    assert max(prepared.ocr_image.shape) == pytest.approx(2000, abs=2)
    h, w = prepared.upright.shape[:2]
    assert w / h == pytest.approx(small.shape[1] / small.shape[0], rel=0.01)


def test_background_normalisation_removes_shading(page: np.ndarray) -> None:
    gray = cv2.cvtColor(soil(page), cv2.COLOR_BGR2GRAY)
    norm = normalize_background(gray)
    blank = (slice(0, 40), slice(0, 40)), (slice(-40, None), slice(-40, None))  # bright and dark corner
    raw_gap = abs(float(gray[blank[0]].mean()) - float(gray[blank[1]].mean()))
    norm_gap = abs(float(norm[blank[0]].mean()) - float(norm[blank[1]].mean()))
    assert raw_gap > 60 and norm_gap < 15


def test_a4_at_300_dpi_is_fast() -> None:
    a4 = np.full((3508, 2480, 3), 255, np.uint8)
    tile, _ = render_page(dpi=300)
    a4[200 : 200 + tile.shape[0], :] = cv2.resize(tile, (2480, tile.shape[0]))
    prepare_page(a4, detect_orientation=False)  # warm-up (OpenCV initialisation)
    start = time.perf_counter()
    prepare_page(a4, detect_orientation=False)
    assert time.perf_counter() - start < 1.5


@pytest.mark.parametrize(
    "bad", [np.zeros((0, 0, 3), np.uint8), np.zeros((4, 4), np.uint8), np.ones((50, 50))]
)
def test_unusable_images_raise_page_read_error(bad: np.ndarray) -> None:
    with pytest.raises(PageReadError):
        prepare_page(bad)


def test_blank_page_is_left_alone() -> None:
    prepared = prepare_page(np.full((600, 400, 3), 255, np.uint8))
    assert (prepared.rotation, prepared.skew_deg) == (0, 0.0)


@pytest.mark.real_samples
def test_real_licence_rotated_in_pixels_is_turned_upright(real_samples: Path) -> None:
    img = cv2.imread(str(real_samples / "licenses" / "lic_0370.jpg"))
    assert img is not None
    prepared = prepare_page(img)
    assert prepared.rotation == 90
    assert abs(prepared.skew_deg) < 1.0
