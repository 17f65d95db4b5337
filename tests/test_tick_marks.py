"""Marked options on page images: pages drawn and rendered with PyMuPDF (check boxes ticked, ticked over
the border or filled, an option circled, the others struck through, a bare tick), option boxes as a text-layer
word box or as a line-box engine reports them (box glyph swallowed into the word); junk input."""

from __future__ import annotations

import cv2
import numpy as np
import pymupdf
import pytest

from extractors.tick_marks import find_box, ink_mask, marked_option
from pipeline.model import BBox

OPTIONS = ("自愿", "经审批后", "不愿")
FONT = "china-s"
SIZE = 14.0
W, H = 595.0, 842.0


def _pt(x: float, y: float) -> pymupdf.Point:
    return pymupdf.Point(x, y)


def _render(
    mark: str | None, style: str, swallow: bool, marks: tuple[str, ...] = ()
) -> tuple[np.ndarray, dict[str, BBox]]:
    """A page with the three options on one row; returns the 200 dpi image (BGR, a little grey
    like a scan) and each option's text box in page fractions."""
    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    page.insert_text((120, 200), "在不涉及商业机密的情况下,我单位", fontname=FONT, fontsize=SIZE)
    closing = "公开本材料供主办单位和承办单位用于学习交流分享。"
    page.insert_text((80, 300), closing, fontname=FONT, fontsize=SIZE)
    chosen = {mark, *marks} - {None}
    boxes: dict[str, BBox] = {}
    x = 130.0
    y = 250.0
    for opt in OPTIONS:
        box = pymupdf.Rect(x, y - SIZE * 0.9, x + SIZE * 0.9, y)
        text_x = x + SIZE * 1.3
        text_w = SIZE * len(opt)
        if style in ("tick", "big_tick", "filled", "none"):
            page.draw_rect(box, color=(0, 0, 0), width=0.8)
        if opt in chosen:
            if style == "tick":
                pts = [_pt(box.x0 + 2.5, box.y0 + 6.5), _pt(box.x0 + 5, box.y1 - 2.5)]
                pts.append(_pt(box.x1 - 2, box.y0 + 2.5))
                page.draw_polyline(pts, color=(0, 0, 0), width=1.2)
            elif style == "filled":
                page.draw_rect(box, color=(0, 0, 0), fill=(0, 0, 0))
            elif style == "circle":
                page.draw_oval(pymupdf.Rect(text_x - 6, y - SIZE - 6, text_x + text_w + 6, y + 6), width=1.0)
            elif style == "big_tick":  # runs over the box border, well above it
                pts = [_pt(box.x0 - 1, box.y0 + 4), _pt(box.x0 + 5, box.y1 + 1)]
                pts.append(_pt(box.x1 + 6, box.y0 - 8))
                page.draw_polyline(pts, color=(0, 0, 0), width=1.6)
            elif style == "bare_tick":
                pts = [_pt(box.x0 + 1, box.y0 + 6), _pt(box.x0 + 4, box.y1), _pt(box.x1, box.y0)]
                page.draw_polyline(pts, color=(0, 0, 0), width=1.4)
        if style == "strike" and opt not in chosen:
            page.draw_line((text_x - 3, y - SIZE * 0.4), (text_x + text_w + 3, y - SIZE * 0.4), width=1.0)
        page.insert_text((text_x, y), opt, fontname=FONT, fontsize=SIZE)
        x0 = box.x0 if swallow else text_x
        boxes[opt] = (x0 / W, (y - SIZE * 1.05) / H, (text_x + text_w) / W, (y + SIZE * 0.2) / H)
        x += 150.0
    pix = page.get_pixmap(dpi=200)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    return np.clip(bgr.astype(np.int16) * 0.85 + 20, 0, 255).astype(np.uint8), boxes


@pytest.mark.parametrize("swallow", [True, False], ids=["line-box", "word-box"])
@pytest.mark.parametrize("style", ["tick", "big_tick", "filled", "circle", "strike", "bare_tick"])
@pytest.mark.parametrize("choice", OPTIONS)
def test_marked_option(choice: str, style: str, swallow: bool) -> None:
    if style == "bare_tick" and swallow:
        pytest.skip("a bare tick read into the option's word box is not told apart from the text")
    img, boxes = _render(choice, style, swallow)
    got, note = marked_option(img, boxes)
    assert got == choice, note


def test_boxes_found_in_front_of_each_option() -> None:
    img, boxes = _render("经审批后", "tick", swallow=True)
    ink = ink_mask(img)
    assert ink is not None
    found = {k: find_box(ink, bb) for k, bb in boxes.items()}
    assert all(b is not None for b in found.values())
    assert found["经审批后"].fill > 0.1 > max(found["自愿"].fill, found["不愿"].fill)  # type: ignore[union-attr]


@pytest.mark.parametrize("swallow", [True, False])
def test_nothing_marked_or_two_marked_gives_none(swallow: bool) -> None:
    img, boxes = _render(None, "none", swallow)
    assert marked_option(img, boxes)[0] is None
    img, boxes = _render(None, "tick", swallow, marks=("自愿", "不愿"))
    assert marked_option(img, boxes)[0] is None
    img, boxes = _render(None, "circle", swallow, marks=("自愿", "不愿"))
    assert marked_option(img, boxes)[0] is None


def test_junk_never_raises() -> None:
    boxes = {"a": (0.1, 0.1, 0.2, 0.12), "b": (0.3, 0.1, 0.4, 0.12)}
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)
    for img in (
        noise,
        np.full((300, 200, 3), 255, np.uint8),
        np.zeros((0, 0), np.uint8),
        np.zeros((5, 5), np.float32),
        noise[:, :, 0],
    ):
        got, note = marked_option(img, boxes)
        assert got is None or got in boxes
        assert isinstance(note, str)
    img, _ = _render("自愿", "tick", True)
    assert marked_option(img, {"a": (0.1, 0.1, 0.2, 0.12)})[0] is None
    assert marked_option(img, {"a": (0.99, 0.99, 1.0, 1.0), "b": (0.0, 0.0, 0.0, 0.0)})[0] is None
