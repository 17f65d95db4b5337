"""Which of a few printed options is marked on a page image: a ticked or filled check box in
front of it, the option circled, the other options struck through, or a tick in front of it.

Works on the page image alone, from the options' text boxes (page fractions). OCR engines that
return line boxes (RapidOCR) swallow the box glyph into the option's word, so the box is looked
for both left of the text and over the start of the word. Everything is decided relative to the
other options of the same question: one option must stand out clearly, otherwise nothing is
reported. Cost: a few small crops per question (milliseconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.model import BBox

#: a marked box holds at least this share of ink inside its border, and twice the next one's
MIN_FILL = 0.06


@dataclass(frozen=True)
class Box:
    """A check box found in front of an option, in page pixels, and the ink share inside it."""

    x0: int
    y0: int
    x1: int
    y1: int
    fill: float


def ink_mask(img: np.ndarray) -> np.ndarray | None:
    """Dark pixels of a page image (threshold halfway between paper and ink, so faint scans work);
    ``None`` when the page has no contrast to judge."""
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or img.size == 0 or img.dtype != np.uint8:
        return None
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 and img.shape[2] == 3 else img
    if gray.ndim != 2 or min(gray.shape) < 8:
        return None
    h, w = gray.shape
    sample = gray[:: max(1, h // 300), :: max(1, w // 300)]
    paper, dark = (float(v) for v in np.percentile(sample, [90, 0.5]))
    if paper - dark < 20:
        return None
    return np.asarray(gray < (paper + dark) / 2)


def _px(bbox: BBox, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    h, w = shape[:2]
    return bbox[0] * w, bbox[1] * h, bbox[2] * w, bbox[3] * h


def _crop(ink: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> tuple[np.ndarray, int, int]:
    h, w = ink.shape
    a, b = int(max(0, x0)), int(min(w, x1))
    c, d = int(max(0, y0)), int(min(h, y1))
    if b - a < 2 or d - c < 2:
        return np.zeros((0, 0), bool), a, c
    return ink[c:d, a:b], a, c


def _side_cover(m: np.ndarray, band: int) -> float:
    """The smallest share of inked positions along the four sides of ``m`` (each side a band)."""
    top = m[:band].any(axis=0).mean()
    bottom = m[-band:].any(axis=0).mean()
    left = m[:, :band].any(axis=1).mean()
    right = m[:, -band:].any(axis=1).mean()
    return float(min(top, bottom, left, right))


def find_box(ink: np.ndarray, bbox: BBox) -> Box | None:
    """The check box in front of the option whose text box is ``bbox``: the leftmost square blob
    about one character high whose four sides are inked, left of the text or over its first
    character (an engine may have read the box as part of the word)."""
    x0, y0, x1, y1 = _px(bbox, ink.shape)
    ch = y1 - y0
    if ch < 4:
        return None
    right = min(x1, x0 + 1.6 * ch)
    region, ox, oy = _crop(ink, x0 - 2.2 * ch, y0 - 0.5 * ch, right, y1 + 0.5 * ch)
    if region.size == 0:
        return None
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(region.astype(np.uint8), connectivity=8)
    found: list[Box] = []
    for k in range(1, n):
        bx, by, bw, bh, _area = (int(v) for v in stats[k])
        if not (0.45 * ch <= bh <= 1.5 * ch and 0.45 * ch <= bw <= 1.5 * ch):
            continue
        if not 0.8 <= bw / bh <= 1.25:
            continue
        m = region[by : by + bh, bx : bx + bw]
        band = max(2, round(0.12 * min(bw, bh)))
        if _side_cover(m, band) < 0.8:
            continue
        inset = max(band + 1, round(0.2 * min(bw, bh)))
        inner = m[inset : bh - inset, inset : bw - inset]
        fill = float(inner.mean()) if inner.size else 0.0
        found.append(Box(ox + bx, oy + by, ox + bx + bw, oy + by + bh, fill))
    if not found:
        return None
    return min(found, key=lambda b: b.x0)


def _text_span(ink: np.ndarray, bbox: BBox, box: Box | None) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = _px(bbox, ink.shape)
    if box is not None and box.x1 > x0:
        x0 = box.x1 + 0.1 * (y1 - y0)  # the word began with the box
    return x0, y0, x1, y1


def struck_through(ink: np.ndarray, bbox: BBox) -> bool:
    """A line drawn across the option text: one ink run, in the middle half of the text's height,
    spanning at least 85 % of the text's inked width."""
    x0, y0, x1, y1 = _text_span(ink, bbox, None)
    ch = y1 - y0
    text, _, _ = _crop(ink, x0 - 0.3 * ch, y0, x1 + 0.3 * ch, y1)
    if text.size == 0:
        return False
    cols = np.nonzero(text.any(axis=0))[0]
    if len(cols) < 2:
        return False
    width = cols[-1] - cols[0] + 1
    if width < 1.5 * ch:  # a single character has strokes as long as itself
        return False
    band = text[int(0.25 * text.shape[0]) : int(0.75 * text.shape[0]) + 1, cols[0] : cols[-1] + 1]
    best = 0
    for row in band:
        padded = np.concatenate(([0], row.astype(np.int8), [0]))
        edges = np.flatnonzero(np.diff(padded))
        if len(edges):
            best = max(best, int((edges[1::2] - edges[::2]).max()))
    return best >= 0.85 * width


def circled(ink: np.ndarray, bbox: BBox) -> bool:
    """A ring drawn around the option text: ink over most of the text's width both just above
    and just below the text line, where the line spacing is otherwise blank."""
    x0, y0, x1, y1 = _text_span(ink, bbox, None)
    ch = y1 - y0
    if ch < 4 or x1 - x0 < ch:
        return False
    above, _, _ = _crop(ink, x0 + 0.15 * ch, y0 - 0.8 * ch, x1 - 0.15 * ch, y0 - 0.05 * ch)
    below, _, _ = _crop(ink, x0 + 0.15 * ch, y1 + 0.05 * ch, x1 - 0.15 * ch, y1 + 0.8 * ch)
    if above.size == 0 or below.size == 0:
        return False
    return bool(above.any(axis=0).mean() >= 0.5 and below.any(axis=0).mean() >= 0.5)


def _box_where_expected(ink: np.ndarray, bbox: BBox, found: list[tuple[Box, BBox]]) -> float | None:
    """Ink share inside the place where an option's box should be, placed like the boxes found in
    front of the other options (median offset and size, in line heights)."""
    rel = []
    for b, obb in found:
        x0, y0, _, y1 = _px(obb, ink.shape)
        ch = y1 - y0
        if ch < 4:
            continue
        rel.append(((b.x0 - x0) / ch, (b.y0 - y0) / ch, (b.x1 - b.x0) / ch, (b.y1 - b.y0) / ch))
    if not rel:
        return None
    dx, dy, bw, bh = (float(np.median([r[i] for r in rel])) for i in range(4))
    x0, y0, _, y1 = _px(bbox, ink.shape)
    ch = y1 - y0
    inset = 0.2 * min(bw, bh) * ch
    m, _, _ = _crop(
        ink,
        x0 + dx * ch + inset,
        y0 + dy * ch + inset,
        x0 + (dx + bw) * ch - inset,
        y0 + (dy + bh) * ch - inset,
    )
    return float(m.mean()) if m.size else None


def ink_before(ink: np.ndarray, bbox: BBox) -> float | None:
    """Share of ink inside the inked area just left of the option text, its outer quarter on each
    side excluded: a tick or a box drawn there without a detectable square outline."""
    x0, y0, _, y1 = _px(bbox, ink.shape)
    ch = max(4.0, y1 - y0)
    region, _, _ = _crop(ink, x0 - 1.5 * ch, y0 - 0.25 * ch, x0 - 0.05 * ch, y1 + 0.25 * ch)
    if region.shape[0] < 3 or region.shape[1] < 3:
        return None
    ys, xs = np.nonzero(region)
    if len(xs) < 4:
        return 0.0
    bx0, bx1, by0, by1 = xs.min(), xs.max(), ys.min(), ys.max()
    w, h = bx1 - bx0 + 1, by1 - by0 + 1
    inner = region[by0 + h // 4 : by1 - h // 4 + 1, bx0 + w // 4 : bx1 - w // 4 + 1]
    return float(inner.mean()) if inner.size else 0.0


def _standout(values: dict[str, float]) -> tuple[str, float, float] | None:
    """The option whose value is at least ``MIN_FILL`` and twice the next one's (plus a margin)."""
    if len(values) < 2:
        return None
    ranked = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    top, second = ranked[0][1], ranked[1][1]
    if top >= MIN_FILL and top >= 2.0 * second + 0.02:
        return ranked[0][0], top, second
    return None


def marked_option(img: np.ndarray, options: dict[str, BBox]) -> tuple[str | None, str]:
    """The one option marked on ``img`` among ``options`` (name -> text bbox as page fractions),
    with a note on the evidence; ``(None, why)`` when no option clearly stands out."""
    if len(options) < 2:
        return None, "fewer than two options located"
    ink = ink_mask(img)
    if ink is None:
        return None, "no page image contrast"
    boxes = {k: find_box(ink, bb) for k, bb in options.items()}
    known = {k: b for k, b in boxes.items() if b is not None}
    if len(known) >= 2:
        fills = {k: b.fill for k, b in known.items()}
        missing = [k for k in options if k not in known]
        if len(missing) == 1:
            # a big tick running over the border merges with the box: look where the box should be
            hidden = _box_where_expected(
                ink, options[missing[0]], [(b, options[k]) for k, b in known.items()]
            )
            if hidden is not None:
                fills[missing[0]] = hidden
        hit = _standout(fills)
        if hit is not None:
            return hit[0], f"check box filled {hit[1]:.2f} vs {hit[2]:.2f}"
        return None, "no check box clearly marked"
    struck = {k for k, bb in options.items() if struck_through(ink, bb)}
    if len(struck) == len(options) - 1:
        (left,) = set(options) - struck
        return left, "the other options struck through"
    rings = [k for k, bb in options.items() if circled(ink, bb)]
    if len(rings) == 1 and not struck:
        return rings[0], "option circled"
    before = {k: v for k, v in ((k, ink_before(ink, bb)) for k, bb in options.items()) if v is not None}
    hit = _standout(before)
    if hit is not None:
        return hit[0], f"ink in front of the option {hit[1]:.2f} vs {hit[2]:.2f}"
    return None, "no check box, tick, strike-through or circle found"
