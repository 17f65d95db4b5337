"""Seal (公章/印章) detection on page images, and the ring text of round seals.

Steps (parameters in ``config/seals.yaml``):

1. colour masks on a copy scaled to at most ``work_max_side``: red/pink ink is hue near 0/180
   (both ends of OpenCV's hue circle) with a minimum saturation and redness ``R - max(G, B)``;
   blue (annual-inspection) ink likewise; specks are dropped;
2. a morphological closing joins the ring, the characters and the star into one blob per seal;
3. each external contour is classified: a rectangle/square stamp needs a straight ink frame on all
   four sides and ink inside that is not just long straight lines (a table); a round/oval seal
   needs its convex hull to fit an ellipse and ink all round the outer band (a closed ring); red
   title lines fail both (too wide, no frame, no ring);
4. blobs that fit nothing (overlapping or touching seals, a seal touching red handwriting) are
   searched with Hough circles, each circle verified by its ring coverage;
5. overlapping candidates are reduced (non-maximum suppression); round/oval seals get their ring
   text read (``extractors.seal_text``) and an owner note (``owner:authority`` / ``owner:company``).

Coordinates in results are fractions of the input image. Document text is never logged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from extractors.ellipse import band_hits
from extractors.seal_text import OwnerConfig, RingText, TextConfig, classify_owner, read_ring_text
from extractors.seals_grey import GreyConfig, grey_candidates, is_achromatic
from pipeline.content import PageContent
from pipeline.model import BBox, Seal, clamp_bbox

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "seals.yaml"

ShapeName = Literal["round", "oval", "square", "rectangle", "unknown"]
ColorName = Literal["red", "blue", "grey", "other"]


# ----------------------------------------------------------------------------- configuration


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedRange(_Strict):
    hue_low_max: int = Field(ge=0, le=60)
    hue_high_min: int = Field(ge=100, le=180)
    min_saturation: int = Field(ge=0, le=255)
    min_redness: int = Field(ge=0, le=255)


class BlueRange(_Strict):
    hue_min: int = Field(ge=60, le=180)
    hue_max: int = Field(ge=60, le=180)
    min_saturation: int = Field(ge=0, le=255)
    min_blueness: int = Field(ge=0, le=255)

    @model_validator(mode="after")
    def _ordered(self) -> BlueRange:
        if self.hue_min >= self.hue_max:
            raise ValueError("blue hue_min must be below hue_max")
        return self


class Colors(_Strict):
    red: RedRange
    blue: BlueRange | None = None


class SizeLimits(_Strict):
    min_frac: float = Field(gt=0.0, lt=1.0)
    min_px: int = Field(ge=4)
    max_area_frac: float = Field(gt=0.0, le=1.0)
    big_min_fill: float = Field(ge=0.0, le=1.0)


class ShapeLimits(_Strict):
    max_aspect_round: float = Field(ge=1.0)
    max_aspect_oval: float = Field(ge=1.0)
    max_aspect_square: float = Field(ge=1.0)
    max_aspect_rect: float = Field(ge=1.0)
    min_rect_fit: float = Field(gt=0.0, le=1.0)
    ellipse_fit_min: float = Field(gt=0.0, le=1.0)
    ellipse_fit_max: float = Field(ge=1.0)
    min_ring_coverage: float = Field(ge=0.0, le=1.0)
    min_frame_coverage: float = Field(ge=0.0, le=1.0)
    min_frame_side: float = Field(ge=0.0, le=1.0)
    ring_band: float = Field(gt=0.0, lt=0.5)
    max_round_fill: float = Field(gt=0.0, le=1.0)
    min_fill: float = Field(ge=0.0, lt=1.0)
    min_interior_after_lines: float = Field(ge=0.0, lt=1.0)
    min_confidence: float = Field(ge=0.0, le=1.0)
    max_outside_density: float = Field(ge=0.0, le=1.0)
    max_rect_frac: float = Field(gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ShapeLimits:
        if self.max_aspect_round > self.max_aspect_oval:
            raise ValueError("max_aspect_round must not exceed max_aspect_oval")
        if self.max_aspect_square > self.max_aspect_rect:
            raise ValueError("max_aspect_square must not exceed max_aspect_rect")
        return self


class HoughParams(_Strict):
    enabled: bool = True
    dp: float = Field(gt=0.0, le=4.0)
    param1: float = Field(gt=0.0)
    param2: float = Field(gt=0.0)
    nms_centre_frac: float = Field(gt=0.0, le=2.0)
    max_side: int = Field(ge=64, le=2000)
    max_blob_frac: float = Field(gt=0.0, le=1.0)
    # Faded seals whose ring breaks into separate arcs: nearby leftover pieces are grouped and
    # searched for one circle, accepted with this ring coverage (0 = the pass is off).
    fragments_min_ring_coverage: float = Field(default=0.0, ge=0.0, le=1.0)
    fragments_gap_frac: float = Field(default=0.5, ge=0.0, le=2.0)  # x the minimum seal size
    fragments_min_fill: float = Field(default=0.01, ge=0.0, le=1.0)  # faded text inside the ring
    fragments_max_fill: float = Field(default=0.15, ge=0.0, le=1.0)  # thick strokes: a character
    fragments_max_hue: float = Field(default=10.0, ge=-90.0, le=90.0)  # orange/gold print is above


class SealConfig(_Strict):
    """The validated ``config/seals.yaml``."""

    version: int
    work_max_side: int = Field(ge=200, le=6000)
    colors: Colors
    close_frac: float = Field(gt=0.0, lt=0.1)
    min_speck_px: int = Field(ge=0)
    size: SizeLimits
    shape: ShapeLimits
    hough: HoughParams
    text: TextConfig
    owner: OwnerConfig
    grey: GreyConfig | None = None  # photocopied/greyscale pages: extractors.seals_grey


def load_config_uncached(path: str | Path | None = None) -> SealConfig:
    """Read and validate ``path`` (default ``config/seals.yaml``)."""
    p = Path(path) if path is not None else DEFAULT_CONFIG
    with p.open(encoding="utf-8") as fh:
        return SealConfig.model_validate(yaml.safe_load(fh))


@lru_cache(maxsize=4)
def _load_cached(path: str) -> SealConfig:
    return load_config_uncached(path)


def load_config(path: str | Path | None = None) -> SealConfig:
    """The validated seal configuration (cached per file)."""
    return _load_cached(str(Path(path).resolve()) if path is not None else str(DEFAULT_CONFIG))


# ----------------------------------------------------------------------------- masks


def _as_bgr(image: np.ndarray | None) -> np.ndarray | None:
    """The input as a contiguous uint8 BGR array, or None when it is not an image."""
    if image is None or not isinstance(image, np.ndarray) or image.size == 0:
        return None
    img = image
    if img.dtype != np.uint8:
        if np.issubdtype(img.dtype, np.floating) and float(np.nanmax(img)) <= 1.0:
            img = img * 255.0
        img = np.clip(np.nan_to_num(img), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 1:
        return cv2.cvtColor(img[..., 0], cv2.COLOR_GRAY2BGR)
    if img.ndim == 3 and img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.ndim == 3 and img.shape[2] == 3:
        return np.ascontiguousarray(img)
    return None


def red_mask(bgr: np.ndarray, cfg: RedRange) -> np.ndarray:
    """255 where the pixel is red/pink ink (hue wraps around 0/180, saturated, R well above G, B)."""
    if cfg.min_redness > 0:
        # R - max(G, B) saturates at 0, which is below any positive threshold: the cheap test
        # runs on the whole page, the hue test only where some pixel passed it.
        b, g, r = cv2.split(bgr)
        reddish = cv2.subtract(r, cv2.max(g, b)) >= cfg.min_redness
        return _within_box_of(reddish, bgr, lambda crop: _red_mask_full(crop, cfg))
    return _red_mask_full(bgr, cfg)


def _within_box_of(
    candidates: np.ndarray, bgr: np.ndarray, full_mask: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``full_mask`` computed only inside the bounding box of the ``candidates`` pixels (zero
    elsewhere, where no pixel can pass it)."""
    out = np.zeros(bgr.shape[:2], np.uint8)
    x, y, w, h = cv2.boundingRect(candidates.view(np.uint8))
    if w and h:
        out[y : y + h, x : x + w] = full_mask(bgr[y : y + h, x : x + w])
    return out


def _red_mask_full(bgr: np.ndarray, cfg: RedRange) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h, s = hsv[..., 0], hsv[..., 1]
    b, g, r = (bgr[..., i].astype(np.int16) for i in range(3))
    redness = r - np.maximum(g, b)
    m = ((h <= cfg.hue_low_max) | (h >= cfg.hue_high_min)) & (s >= cfg.min_saturation)
    m &= redness >= cfg.min_redness
    return m.astype(np.uint8) * 255


def blue_mask(bgr: np.ndarray, cfg: BlueRange) -> np.ndarray:
    """255 where the pixel is blue ink (annual-inspection stamps on old licences)."""
    if cfg.min_blueness > 0:  # as in ``red_mask``: the hue test only where B - R passed
        b, _g, r = cv2.split(bgr)
        bluish = cv2.subtract(b, r) >= cfg.min_blueness
        return _within_box_of(bluish, bgr, lambda crop: _blue_mask_full(crop, cfg))
    return _blue_mask_full(bgr, cfg)


def _blue_mask_full(bgr: np.ndarray, cfg: BlueRange) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h, s = hsv[..., 0], hsv[..., 1]
    blueness = bgr[..., 0].astype(np.int16) - bgr[..., 2].astype(np.int16)
    m = (h >= cfg.hue_min) & (h <= cfg.hue_max) & (s >= cfg.min_saturation) & (blueness >= cfg.min_blueness)
    return m.astype(np.uint8) * 255


def _drop_specks(mask: np.ndarray, min_px: int) -> np.ndarray:
    if min_px <= 1:
        return mask
    # components are labelled only inside the box around the ink (a seal is a small part of a page)
    x, y, w, h = cv2.boundingRect(mask)
    if not w or not h:
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask[y : y + h, x : x + w], connectivity=8)
    if n <= 1:
        return mask
    keep = stats[:, cv2.CC_STAT_AREA] >= min_px
    keep[0] = False
    out = np.zeros_like(mask)
    out[y : y + h, x : x + w] = np.where(keep[labels], 255, 0).astype(np.uint8)
    return out


# ----------------------------------------------------------------------------- shape analysis


@dataclass
class _Cand:
    """A seal candidate in working-image pixels."""

    box: tuple[float, float, float, float]
    shape: ShapeName
    color: ColorName
    confidence: float
    centre: tuple[float, float] = (0.0, 0.0)
    axes: tuple[float, float] = (0.0, 0.0)  # full lengths (ellipse) or sides (rectangle)
    angle: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def area(self) -> float:
        return max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1])


def ring_coverage(
    ink: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], angle: float, band: float
) -> float:
    """Fraction of directions in which the outer band of the ellipse carries ink (a ring: ~1)."""
    return float(band_hits(ink, centre, axes, angle, 1.0 - band, 1.03).mean())


def outside_density(ink: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Ink fraction in a frame 10-25 % of the box size around it (in-image part; none: 0).

    A seal stands out from the paper around it; noise and dense red areas do not."""
    h, w = ink.shape[:2]
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    outer = (
        max(0, int(x0 - 0.25 * bw)),
        max(0, int(y0 - 0.25 * bh)),
        min(w, int(x1 + 0.25 * bw)),
        min(h, int(y1 + 0.25 * bh)),
    )
    inner = (
        max(0, int(x0 - 0.1 * bw)),
        max(0, int(y0 - 0.1 * bh)),
        min(w, int(x1 + 0.1 * bw)),
        min(h, int(y1 + 0.1 * bh)),
    )
    a_out = (outer[2] - outer[0]) * (outer[3] - outer[1])
    a_in = (inner[2] - inner[0]) * (inner[3] - inner[1])
    if a_out - a_in <= 0:
        return 0.0
    s_out = int((ink[outer[1] : outer[3], outer[0] : outer[2]] > 0).sum())
    s_in = int((ink[inner[1] : inner[3], inner[0] : inner[2]] > 0).sum())
    return (s_out - s_in) / (a_out - a_in)


def _upright_rect(mask: np.ndarray, rect: tuple[Sequence[float], Sequence[float], float]) -> np.ndarray:
    """The min-area rectangle's content rotated upright (axis-aligned crop)."""
    (cx, cy), (rw, rh), ang = rect
    m = cv2.getRotationMatrix2D((cx, cy), ang, 1.0)
    m[0, 2] += rw / 2 - cx
    m[1, 2] += rh / 2 - cy
    return cv2.warpAffine(mask, m, (max(1, round(rw)), max(1, round(rh))), flags=cv2.INTER_NEAREST)


def frame_stats(upright: np.ndarray, ink: np.ndarray, band_frac: float) -> tuple[float, float, float]:
    """(mean side coverage, weakest side coverage, interior ink left after removing long lines).

    ``upright`` is the dilated mask of an axis-aligned rectangle crop, ``ink`` the raw mask crop."""
    h, w = upright.shape[:2]
    if h < 6 or w < 6:
        return 0.0, 0.0, 0.0
    t = max(2, round(band_frac * min(h, w)))
    on = upright > 0
    sides = [
        on[:t, :].any(axis=0).mean(),
        on[-t:, :].any(axis=0).mean(),
        on[:, :t].any(axis=1).mean(),
        on[:, -t:].any(axis=1).mean(),
    ]
    inner = ink[t:-t, t:-t] if h > 2 * t + 2 and w > 2 * t + 2 else ink[:0, :0]
    if inner.size == 0:
        return float(np.mean(sides)), float(min(sides)), 0.0
    ih, iw = inner.shape
    horiz = cv2.morphologyEx(
        inner, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, iw // 2), 1))
    )
    vert = cv2.morphologyEx(
        inner, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, ih // 2)))
    )
    rest = (inner > 0) & (horiz == 0) & (vert == 0)
    return float(np.mean(sides)), float(min(sides)), float(rest.mean())


def _classify(
    contour: np.ndarray, ink: np.ndarray, dil: np.ndarray, color: ColorName, cfg: SealConfig
) -> _Cand | None:
    """A seal candidate for one blob's contour, or None when it is not a seal shape."""
    sh = cfg.shape
    hull = cv2.convexHull(contour)
    hull_area = float(cv2.contourArea(hull))
    if hull_area < 16 or len(contour) < 5:
        return None
    x, y, w, h = cv2.boundingRect(hull)
    region = np.zeros((h, w), np.uint8)
    cv2.drawContours(region, [hull - np.array([x, y])], -1, 255, -1)
    fill = float(((ink[y : y + h, x : x + w] > 0) & (region > 0)).sum()) / hull_area
    if fill < sh.min_fill:
        return None
    box = (float(x), float(y), float(x + w), float(y + h))

    rect = cv2.minAreaRect(hull)
    rw, rh = rect[1]
    rect_fit = hull_area / max(1.0, rw * rh)
    r_aspect = max(rw, rh) / max(1.0, min(rw, rh))
    if rect_fit >= sh.min_rect_fit and r_aspect <= sh.max_aspect_rect:
        up = _upright_rect(dil, rect)
        up_ink = _upright_rect(ink, rect)
        mean_cov, min_cov, interior = frame_stats(up, up_ink, 0.08)
        if (
            mean_cov >= sh.min_frame_coverage
            and min_cov >= sh.min_frame_side
            and interior >= sh.min_interior_after_lines
        ):
            short = min(ink.shape[:2])
            if max(rw, rh) > sh.max_rect_frac * short and fill < 0.2:
                return None  # a page border or a framed block, not a stamp
            shape: ShapeName = "square" if r_aspect <= sh.max_aspect_square else "rectangle"
            conf = 0.3 + 0.7 * mean_cov * min(1.0, rect_fit / 0.95)
            return _Cand(
                box,
                shape,
                color,
                min(1.0, conf),
                (float(rect[0][0]), float(rect[0][1])),
                (rw, rh),
                rect[2],
                ["frame"],
            )
        # A rectangle that is no stamp: do not try it as an ellipse either.
        return None

    if len(hull) < 5:
        return None
    (ecx, ecy), (ea, eb), eang = cv2.fitEllipse(hull)
    if min(ea, eb) < 4:
        return None
    e_aspect = max(ea, eb) / min(ea, eb)
    ell_fit = hull_area / (math.pi * ea * eb / 4.0)
    if (
        e_aspect <= sh.max_aspect_oval
        and sh.ellipse_fit_min <= ell_fit <= sh.ellipse_fit_max
        and fill <= sh.max_round_fill
    ):
        cov = ring_coverage(dil, (ecx, ecy), (ea, eb), eang, sh.ring_band)
        if cov >= sh.min_ring_coverage:
            shape = "round" if e_aspect <= sh.max_aspect_round else "oval"
            fit_q = max(0.0, 1.0 - abs(1.0 - ell_fit) * 3.0)
            conf = 0.25 + 0.75 * cov * (0.6 + 0.4 * fit_q)
            return _Cand(box, shape, color, min(1.0, conf), (ecx, ecy), (ea, eb), eang, ["ring"])
    return None


def _hough_split(
    box: tuple[int, int, int, int],
    ink: np.ndarray,
    dil: np.ndarray,
    color: ColorName,
    cfg: SealConfig,
    min_size: float,
    min_coverage: float | None = None,
    min_fill: float | None = None,
    max_fill: float | None = None,
) -> list[_Cand]:
    """Round seals inside a blob that fits no single shape (overlapping/touching seals).
    ``min_coverage``, ``min_fill`` and ``max_fill`` override the ring coverage (default 0.75) and
    the share of ink inside the ring (defaults ``shape.min_fill``, ``shape.max_round_fill``) a
    circle needs."""
    x, y, w, h = box
    if min(w, h) < min_size:
        return []
    pad = max(4, int(0.05 * max(w, h)))
    H, W = ink.shape
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(W, x + w + pad), min(H, y + h + pad)
    # Hough is costly: run it on a copy of at most ``hough.max_side`` pixels.
    f = min(1.0, cfg.hough.max_side / max(x1 - x0, y1 - y0))
    roi = dil[y0:y1, x0:x1]
    if f < 1.0:
        roi = cv2.resize(roi, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    roi = cv2.GaussianBlur(roi, (5, 5), 1.5)
    r_lo = max(min_size / 2, 0.3 * min(w, h))
    r_hi = max(r_lo + 2, 0.55 * max(w, h))
    r_min = max(5, int(r_lo * f))
    r_max = max(r_min + 2, int(r_hi * f))
    circles = cv2.HoughCircles(
        roi,
        cv2.HOUGH_GRADIENT,
        dp=cfg.hough.dp,
        minDist=max(4.0, r_min * 0.8),
        param1=cfg.hough.param1,
        param2=cfg.hough.param2,
        minRadius=r_min,
        maxRadius=r_max,
    )
    if circles is None:
        return []
    sh = cfg.shape
    found: list[_Cand] = []
    for cxs, cys, rs in circles[0][:40]:
        cxa, cya, r = float(cxs) / f + x0, float(cys) / f + y0, float(rs) / f
        cov = ring_coverage(dil, (cxa, cya), (2 * r, 2 * r), 0.0, sh.ring_band)
        if cov < (min_coverage if min_coverage is not None else max(sh.min_ring_coverage, 0.75)):
            continue
        # the circle must hold ink inside too (text, star), not just cross the ring of another seal
        yy, xx = np.ogrid[: ink.shape[0], : ink.shape[1]]
        rr = int(r)
        bx0, by0 = max(0, int(cxa) - rr), max(0, int(cya) - rr)
        bx1, by1 = min(W, int(cxa) + rr + 1), min(H, int(cya) + rr + 1)
        sub = ink[by0:by1, bx0:bx1] > 0
        disk = (xx[:, bx0:bx1] - cxa) ** 2 + (yy[by0:by1, :] - cya) ** 2 <= (0.8 * r) ** 2
        inner_fill = float((sub & disk).sum()) / max(1.0, float(disk.sum()))
        if inner_fill < (sh.min_fill if min_fill is None else min_fill):
            continue
        if inner_fill > (sh.max_round_fill if max_fill is None else max_fill):
            continue
        conf = 0.2 + 0.7 * cov
        found.append(
            _Cand(
                (cxa - r, cya - r, cxa + r, cya + r),
                "round",
                color,
                min(1.0, conf),
                (cxa, cya),
                (2 * r, 2 * r),
                0.0,
                ["ring", "split"],
            )
        )
    # keep the best circle per place; among similar coverages the larger (inner text circles and
    # the star's surroundings also look like rings)
    found.sort(key=lambda c: (-round(c.confidence, 1), -c.area))
    kept: list[_Cand] = []
    for c in found:
        r = c.axes[0] / 2
        if all(
            math.dist(c.centre, k.centre) > cfg.hough.nms_centre_frac * max(r, k.axes[0] / 2)
            and _overlap(c, k)[1] < 0.5
            for k in kept
        ):
            kept.append(c)
    return kept


def _overlap(a: _Cand, b: _Cand) -> tuple[float, float]:
    """(IoU, intersection / smaller area) of two candidate boxes."""
    ix = max(0.0, min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]))
    iy = max(0.0, min(a.box[3], b.box[3]) - max(a.box[1], b.box[1]))
    inter = ix * iy
    if inter <= 0:
        return 0.0, 0.0
    union = a.area + b.area - inter
    return inter / max(1e-9, union), inter / max(1e-9, min(a.area, b.area))


def _suppress(cands: list[_Cand]) -> list[_Cand]:
    """Drop candidates that duplicate or sit inside a more confident (or larger) one."""
    cands = sorted(cands, key=lambda c: (-c.confidence, -c.area))
    kept: list[_Cand] = []
    for c in cands:
        dup = False
        for k in kept:
            iou, contain = _overlap(c, k)
            if iou > 0.45 or (contain > 0.8 and c.area <= k.area * 1.2):
                dup = True
                break
        if not dup:
            kept.append(c)
    return kept


def _text_line_members(boxes: Sequence[Sequence[int]], min_size: float) -> set[int]:
    """Indices of blobs that sit in a row of >= 3 similar blobs: characters of a red title line."""
    idx = [i for i, b in enumerate(boxes) if max(b[2], b[3]) >= min_size * 0.5]
    parent = {i: i for i in idx}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a_i, i in enumerate(idx):
        xi, yi, wi, hi = boxes[i]
        for j in idx[a_i + 1 :]:
            xj, yj, wj, hj = boxes[j]
            if not 0.6 <= hi / max(1, hj) <= 1.6:
                continue
            h = max(hi, hj)
            if abs((yi + hi / 2) - (yj + hj / 2)) > 0.3 * h:
                continue
            gap = max(xi, xj) - min(xi + wi, xj + wj)
            if -0.2 * h < gap < 0.8 * h:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in idx:
        groups.setdefault(find(i), []).append(i)
    return {i for g in groups.values() if len(g) >= 3 for i in g}


def _candidates(mask: np.ndarray, color: ColorName, cfg: SealConfig) -> list[_Cand]:
    H, W = mask.shape
    ink = _drop_specks(mask, cfg.min_speck_px)
    if not ink.any():
        return []
    raw_px = int(np.count_nonzero(mask))
    if raw_px > 0.05 * mask.size:
        # Colour noise: "ink" everywhere but almost every ink pixel lies on an edge (no strokes).
        core = int(np.count_nonzero(cv2.erode(mask, np.ones((3, 3), np.uint8))))
        if core < 0.2 * raw_px:
            return []
    short = min(H, W)
    k = max(3, round(cfg.close_frac * short))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, kernel)
    dil = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    # Outer boundaries of every component, also those inside another's hole (a seal inside a
    # licence's printed frame): RETR_CCOMP puts them all on the top level.
    all_contours, hier = cv2.findContours(closed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    contours = [c for i, c in enumerate(all_contours) if hier is not None and hier[0][i][3] < 0]
    min_size = max(float(cfg.size.min_px), cfg.size.min_frac * short)
    boxes = [cv2.boundingRect(c) for c in contours]
    in_line = _text_line_members(boxes, min_size)
    out: list[_Cand] = []
    found: list[_Cand] = []
    leftovers: list[tuple[int, int, int, int]] = []
    for idx, cnt in enumerate(contours):
        x, y, w, h = boxes[idx]
        if idx in in_line:
            continue
        if min(w, h) < min_size * 0.9 and max(w, h) < min_size * 1.5:
            if max(w, h) >= 0.25 * min_size:
                leftovers.append((x, y, w, h))
            continue
        big = w * h > cfg.size.max_area_frac * W * H
        if big and float((ink[y : y + h, x : x + w] > 0).mean()) < cfg.size.big_min_fill:
            continue
        try:
            cand = _classify(cnt, ink, dil, color, cfg)
        except cv2.error:  # degenerate contour
            cand = None
        if cand is not None and min(cand.box[2] - cand.box[0], cand.box[3] - cand.box[1]) >= min_size * 0.9:
            if cand.shape == "oval" and cfg.hough.enabled and not big:
                # two overlapping round seals also make an oval-looking blob
                split = _hough_split((x, y, w, h), ink, dil, color, cfg, min_size)
                if len(split) >= 2:
                    found.extend(split)
                    continue
            found.append(cand)
        else:
            split = []
            if (
                cfg.hough.enabled
                and max(w, h) >= min_size
                and not big
                and min(w, h) <= cfg.hough.max_blob_frac * short
            ):
                split = _hough_split((x, y, w, h), ink, dil, color, cfg, min_size)
            found.extend(split)
            if not split and not big:
                leftovers.append((x, y, w, h))  # an arc of a faded ring, perhaps
    found.extend(_fragment_seals(leftovers, found, ink, dil, color, cfg, min_size))
    # A seal stands out from the paper around it; colour noise and dense red areas do not.
    for c in found:
        if outside_density(closed, c.box) <= cfg.shape.max_outside_density:
            out.append(c)
    return out


def _fragment_seals(
    pieces: list[tuple[int, int, int, int]],
    found: list[_Cand],
    ink: np.ndarray,
    dil: np.ndarray,
    color: ColorName,
    cfg: SealConfig,
    min_size: float,
) -> list[_Cand]:
    """Round seals whose faded ring broke into arcs too far apart to close into one blob (an
    annual-inspection seal in pale pink): pieces too small to be seals, lying close together, are
    grouped, and a group the size and shape of a seal is searched for one circle."""
    hp = cfg.hough
    if hp.fragments_min_ring_coverage <= 0 or len(pieces) < 2 or not hp.enabled:
        return []
    gap = hp.fragments_gap_frac * min_size
    group = list(range(len(pieces)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, (ax, ay, aw, ah) in enumerate(pieces):
        for j in range(i + 1, len(pieces)):
            bx, by, bw, bh = pieces[j]
            if ax - gap <= bx + bw and bx - gap <= ax + aw and ay - gap <= by + bh and by - gap <= ay + ah:
                group[root(i)] = root(j)
    clusters: dict[int, list[tuple[int, int, int, int]]] = {}
    for i, piece in enumerate(pieces):
        clusters.setdefault(root(i), []).append(piece)
    out: list[_Cand] = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        x0 = min(m[0] for m in members)
        y0 = min(m[1] for m in members)
        x1 = max(m[0] + m[2] for m in members)
        y1 = max(m[1] + m[3] for m in members)
        w, h = x1 - x0, y1 - y0
        if min(w, h) < min_size or max(w, h) > 1.5 * min(w, h):
            continue
        if any(_share_of_smaller((x0, y0, x1, y1), c.box) > 0.3 for c in found):
            continue
        need = hp.fragments_min_ring_coverage
        fill = (hp.fragments_min_fill, hp.fragments_max_fill)
        for cand in _hough_split((x0, y0, w, h), ink, dil, color, cfg, min_size, need, *fill):
            cand.notes.append("faded:ring in pieces")
            out.append(cand)
    return out


def _seal_hued(bgr: np.ndarray, c: _Cand, cfg: SealConfig) -> bool:
    """Whether the red-mask ink inside a faded-ring candidate is seal red or pink, not the orange
    or gold of printed titles (big 营业执照 characters: median hue 13-20; faded seals -20 to 0,
    on OpenCV's 0-180 circle with red at 0)."""
    if c.color != "red":
        return True
    x0, y0, x1, y1 = (int(v) for v in c.box)
    crop = bgr[max(0, y0) : y1, max(0, x0) : x1]
    if crop.size == 0:
        return False
    mask = red_mask(crop, cfg.colors.red) > 0
    if not mask.any():
        return False
    hue = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)[..., 0][mask].astype(np.int16)
    signed = np.where(hue > 90, hue - 180, hue)
    return float(np.median(signed)) <= cfg.hough.fragments_max_hue


def _share_of_smaller(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over the smaller box."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


# ----------------------------------------------------------------------------- public API


def _ink_color_notes(
    bgr: np.ndarray, box: tuple[float, float, float, float], color: ColorName, cfg: SealConfig
) -> list[str]:
    """A ``tint:pink`` note for faded/pink red seals."""
    if color != "red":
        return []
    x0, y0, x1, y1 = (int(v) for v in box)
    crop = bgr[max(0, y0) : y1, max(0, x0) : x1]
    if crop.size == 0:
        return []
    m = red_mask(crop, cfg.colors.red) > 0
    if m.sum() < 10:
        return []
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    sat = float(np.median(hsv[..., 1][m]))
    return ["tint:pink"] if sat < 110 else []


def detect_seals_in_image(
    image_bgr: np.ndarray,
    page_index: int = 0,
    *,
    read_text: bool = True,
    candidates: list[str] | None = None,
    config: SealConfig | None = None,
    render_region: Callable[[BBox, int], np.ndarray] | None = None,
) -> list[Seal]:
    """Seals on one page image (BGR, or grayscale/BGRA which are converted); never raises on junk.

    Returns seals in reading order (top to bottom, left to right) with bboxes as page fractions.
    With ``read_text`` the ring text of round/oval seals is read and, when ``candidates`` are given,
    matched to the most similar candidate name. ``render_region`` (a vector page's renderer: region
    in fractions, long side in pixels) renders each seal sharply for its ring text instead of
    cutting it from ``image_bgr``."""
    cfg = config or load_config()
    bgr = _as_bgr(image_bgr)
    if bgr is None or min(bgr.shape[:2]) < 16:
        return []
    H, W = bgr.shape[:2]
    scale = min(1.0, cfg.work_max_side / max(H, W))
    work = (
        cv2.resize(bgr, (max(1, round(W * scale)), max(1, round(H * scale))), interpolation=cv2.INTER_AREA)
        if scale < 1
        else bgr
    )

    cands = _candidates(red_mask(work, cfg.colors.red), "red", cfg)
    if cfg.colors.blue is not None:
        cands += _candidates(blue_mask(work, cfg.colors.blue), "blue", cfg)
    if cfg.grey is not None and cfg.grey.enabled and not cands and is_achromatic(work, cfg.grey):
        cands = grey_candidates(work, cfg)  # no colour on the page: look for grey seals
    cands = [c for c in _suppress(cands) if c.confidence >= cfg.shape.min_confidence]
    cands = [c for c in cands if "faded:ring in pieces" not in c.notes or _seal_hued(work, c, cfg)]
    cands.sort(key=lambda c: (round(c.box[1] / max(1, work.shape[0]) * 10), c.box[0]))

    seals: list[Seal] = []
    wh, ww = work.shape[:2]
    for c in cands:
        notes = [*c.notes, *_ink_color_notes(work, c.box, c.color, cfg)]
        text: str | None = None
        text_conf: float | None = None
        if read_text and cfg.text.enabled and c.shape in ("round", "oval"):
            rt = _read_text(bgr, c, scale, cfg, candidates, render_region)
            text, text_conf = rt.text, rt.confidence
            notes.extend(rt.notes)
            owner = classify_owner(text or rt.raw, cfg.owner)
            if owner is not None:
                notes.append(f"owner:{owner}")
        seals.append(
            Seal(
                page=page_index,
                bbox=clamp_bbox(c.box[0] / ww, c.box[1] / wh, c.box[2] / ww, c.box[3] / wh),
                confidence=round(min(1.0, max(0.0, c.confidence)), 3),
                shape=c.shape,
                color=c.color,
                text=text,
                text_confidence=text_conf,
                notes=notes,
            )
        )
    return seals


def _read_text(
    bgr: np.ndarray,
    c: _Cand,
    scale: float,
    cfg: SealConfig,
    candidates: list[str] | None,
    render_region: Callable[[BBox, int], np.ndarray] | None = None,
) -> RingText:
    """Crop the seal from the full-resolution image (or render it) and read its ring."""
    s = 1.0 / scale
    cx, cy = c.centre[0] * s, c.centre[1] * s
    a, b = c.axes[0] * s, c.axes[1] * s
    half = max(a, b) / 2 * 1.1 + 4
    H, W = bgr.shape[:2]
    x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
    x1, y1 = min(W, int(cx + half) + 1), min(H, int(cy + half) + 1)
    # Normalise the crop size so that the OCR sees characters of a sensible size.
    target = 360.0
    f = target / max(1.0, max(a, b))
    fx = fy = f
    crop: np.ndarray | None = None
    if render_region is not None and x1 > x0 and y1 > y0:
        try:
            crop = render_region((x0 / W, y0 / H, x1 / W, y1 / H), round(max(x1 - x0, y1 - y0) * f))
            fx, fy = crop.shape[1] / (x1 - x0), crop.shape[0] / (y1 - y0)
        except Exception:  # fall back to cutting the seal from the overview image
            crop = None
    if crop is None:
        crop = bgr[y0:y1, x0:x1]
        if abs(f - 1.0) > 0.1:
            crop = cv2.resize(
                crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
            )
        else:
            fx = fy = 1.0
    return read_ring_text(
        crop,
        centre=((cx - x0) * fx, (cy - y0) * fy),
        axes=(a * fx, b * fy),
        angle_deg=c.angle,
        cfg=cfg.text,
        owner_cfg=cfg.owner,
        candidates=candidates,
        color=c.color,
    )


def detect_seals(
    page: PageContent,
    *,
    read_text: bool = True,
    candidates: list[str] | None = None,
    config: SealConfig | None = None,
) -> list[Seal]:
    """Seals on a read page (its upright image, rendered on demand); [] when the page has no image.

    A vector (text-layer) page is rendered straight at the working size, and each seal again,
    sharply, for its ring text: no full-resolution page image is made."""
    cfg = config or load_config()
    render_region = page.region_renderer if page.image is None else None
    if render_region is not None and page.may_show_stamp is not None and not page.may_show_stamp():
        return []  # a vector page painting only black text and grey rules shows no stamp
    image: np.ndarray | None
    try:
        if render_region is not None:
            image = render_region(None, cfg.work_max_side)
        else:
            image = page.get_image()
    except Exception:  # a page that cannot be rendered has no seals to report
        return []
    if image is None:
        return []
    return detect_seals_in_image(
        image,
        page.index,
        read_text=read_text,
        candidates=candidates,
        config=cfg,
        render_region=render_region,
    )
