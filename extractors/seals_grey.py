"""Grey seals: stamps on photocopied or greyscale-scanned pages, where no colour is left.

The colour masks of ``extractors.seals`` find nothing on such a page. This pass runs only when they
found no candidate and the page image carries essentially no chroma (``is_achromatic``: a strided
sample of the working image, so a colour page pays next to nothing and its results cannot change).
It looks for seal-shaped structures in the binarised ink; parameters are in the ``grey:`` section of
``config/seals.yaml``.

1. ink: an adaptive (local mean) threshold of the lightly blurred grey page, specks dropped;
2. structure: ink components shorter than a ring arc (printed characters, the seal's own text) are
   set aside; what is left holds seal rings (with the characters and lines they touch), frames,
   rules, big title characters and emblems; a small closing bridges breaks in a ring;
3. candidates: (a) every hole of the structure of seal size: an ellipse fitted to its hull is the
   ring's inner edge (round and oval seals), its outer edge found along each direction; a
   rectangular hole whose frame is the whole component (no table grid around it) with a few big
   characters inside is a square/rectangular stamp; (b) circles fitted by RANSAC to the outlines
   of the structure components and of groups of nearby pieces: rings whose inside a text line or a
   signature cuts in two, rings touching the lines of a grid cell, faint rings broken into arcs,
   overlapping seals (several circles per outline);
4. each ring is verified: the structure covers a band along it in most directions and the ink lies
   on the fitted outline itself (a circle through dense text does not); the paper just outside is
   not crossed all round; its inside holds some ink (text, star) but is not solid and the ring is
   thin (a letter O, an emblem, a button are thick or filled); the ring is darker than the paper
   around it and the inside is mostly that paper;
5. a seal larger than ``max_page_frac`` of the page is kept only on a crop of that one seal.

Candidates are returned in working-image pixels as ``extractors.seals._Cand`` with colour ``grey``;
the caller (``extractors.seals.detect_seals_in_image``) suppresses duplicates and builds the
``Seal`` results as for colour seals (ring text is read from red ink, so grey seals get none).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from extractors.ellipse import band_hits, ellipse_points

if TYPE_CHECKING:
    from extractors.seals import SealConfig, ShapeName, _Cand


class GreyConfig(BaseModel):
    """The ``grey:`` section of ``config/seals.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool
    # achromatic page test
    sample_step: int = Field(ge=1, le=16)
    chroma_min: int = Field(ge=1, le=255)
    max_chroma_frac: float = Field(ge=0.0, le=1.0)
    # ink
    blur_px: int = Field(ge=0, le=15)
    block_frac: float = Field(gt=0.0, le=0.5)
    threshold_c: float = Field(ge=0.0, le=255.0)
    min_speck_px: int = Field(ge=0)
    # seal size (diameter / bbox short side) relative to the page's short side
    min_frac: float = Field(gt=0.0, lt=1.0)
    max_frac: float = Field(gt=0.0, le=1.5)
    min_px: int = Field(ge=8)
    part_min_frac: float = Field(gt=0.0, le=1.0)  # x the minimum seal diameter
    close_frac: float = Field(ge=0.0, lt=0.1)
    min_hole_frac: float = Field(gt=0.0, le=1.0)  # x the minimum seal diameter
    max_page_frac: float = Field(gt=0.0, le=1.5)
    max_crop_outside_ink: float = Field(ge=0.0, le=1.0)
    ransac_points: int = Field(ge=50)
    ransac_iterations: int = Field(ge=10)
    ransac_tolerance: float = Field(gt=0.0, lt=0.5)
    ransac_min_share: float = Field(gt=0.0, le=2.0)
    ransac_max_circles: int = Field(ge=1)
    group_gap_frac: float = Field(ge=0.0, le=2.0)
    group_min_d_factor: float = Field(ge=1.0)
    min_ring_contrast: float = Field(ge=0.0, le=255.0)
    max_core_darkening: float = Field(ge=0.0, le=255.0)
    # ring verification
    ring_band: float = Field(gt=0.0, lt=0.5)
    min_ring_coverage: float = Field(ge=0.0, le=1.0)
    min_fill: float = Field(ge=0.0, le=1.0)
    max_fill: float = Field(ge=0.0, le=1.0)
    outside_band: tuple[float, float]
    max_outside_coverage: float = Field(ge=0.0, le=1.0)
    solid_band: tuple[float, float]
    thin_band: tuple[float, float]
    min_thin_coverage: float = Field(ge=0.0, le=1.0)
    max_solid_share: float = Field(ge=0.0, le=1.0)
    min_band_contrast: float = Field(ge=0.0)
    max_aspect_round: float = Field(ge=1.0)
    max_aspect_oval: float = Field(ge=1.0)
    edge_band: float = Field(gt=0.0, lt=0.5)
    max_ring_width: float = Field(gt=0.0, le=1.0)
    ellipse_fit_min: float = Field(gt=0.0, le=1.0)
    ellipse_fit_max: float = Field(ge=1.0)
    # square / rectangular stamps
    min_rect_fit: float = Field(gt=0.0, le=1.0)
    max_aspect_square: float = Field(ge=1.0)
    max_aspect_rect: float = Field(ge=1.0)
    max_frame_growth: float = Field(ge=1.0)
    max_square_fill: float = Field(ge=0.0, le=1.0)
    min_char_frac: float = Field(ge=0.0, le=1.0)
    min_char_parts: int = Field(ge=1)
    max_inner_pieces: int = Field(ge=1)
    max_inner_line_frac: float = Field(ge=0.0, le=1.0)
    max_rect_frac: float = Field(gt=0.0, le=1.5)
    # confidence = base + gain x coverage (x fit quality)
    conf_base: float = Field(ge=0.0, le=1.0)
    conf_gain: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> GreyConfig:
        if self.min_frac >= self.max_frac:
            raise ValueError("grey min_frac must be below max_frac")
        if self.min_fill >= self.max_fill:
            raise ValueError("grey min_fill must be below max_fill")
        if not 1.0 < self.outside_band[0] < self.outside_band[1]:
            raise ValueError("grey outside_band must be (a, b) with 1 < a < b")
        return self


# ----------------------------------------------------------------------------- page test


def is_achromatic(bgr: np.ndarray, cfg: GreyConfig) -> bool:
    """Whether a BGR page carries essentially no colour: at most ``max_chroma_frac`` of a strided
    sample of its pixels have chroma (max - min channel) of ``chroma_min`` or more."""
    if bgr.ndim != 3 or bgr.shape[2] < 3:
        return True
    s = bgr[:: cfg.sample_step, :: cfg.sample_step, :3]
    if s.size == 0:
        return False
    chroma = cv2.subtract(s.max(axis=2), s.min(axis=2))
    return float(np.count_nonzero(chroma >= cfg.chroma_min)) <= cfg.max_chroma_frac * chroma.size


# ----------------------------------------------------------------------------- masks


def grey_ink(gray: np.ndarray, cfg: GreyConfig) -> np.ndarray:
    """255 where the grey page carries ink: darker than its neighbourhood's mean by ``threshold_c``."""
    short = min(gray.shape[:2])
    src = cv2.GaussianBlur(gray, (cfg.blur_px | 1, cfg.blur_px | 1), 0) if cfg.blur_px > 1 else gray
    block = max(3, round(cfg.block_frac * short)) | 1
    ink = cv2.adaptiveThreshold(
        src, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, cfg.threshold_c
    )
    if cfg.min_speck_px > 1:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        if n > 1:
            keep = stats[:, cv2.CC_STAT_AREA] >= cfg.min_speck_px
            keep[0] = False
            ink = np.where(keep[labels], 255, 0).astype(np.uint8)
    return ink


def _structure(ink: np.ndarray, part_min: float) -> np.ndarray:
    """The ink components at least ``part_min`` pixels wide or high (rings, lines, frames, big
    characters), without the printed text."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    big = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) >= part_min
    big[0] = False
    return np.where(big[labels], 255, 0).astype(np.uint8)


# ----------------------------------------------------------------------------- verification


def _band_density(
    ink: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    lo: float,
    hi: float,
) -> float:
    """Ink share of the samples between ``lo`` and ``hi`` x the ellipse radius (inside the image)."""
    h, w = ink.shape[:2]
    x, y = ellipse_points(centre, axes, angle, np.linspace(lo, hi, 6), 192)
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    if not ok.any():
        return 0.0
    v = ink[np.clip(np.round(y).astype(int), 0, h - 1), np.clip(np.round(x).astype(int), 0, w - 1)] > 0
    return float(v[ok].mean())


def _inner_fill(
    ink: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], angle: float
) -> float:
    """Ink fraction of the ellipse's inner part (0.8 x its radii)."""
    h, w = ink.shape[:2]
    cx, cy = centre
    a, b = 0.8 * axes[0] / 2, 0.8 * axes[1] / 2
    r = max(a, b)
    x0, y0, x1, y1 = (
        max(0, int(cx - r)),
        max(0, int(cy - r)),
        min(w, int(cx + r) + 1),
        min(h, int(cy + r) + 1),
    )
    if x1 <= x0 or y1 <= y0 or a < 1 or b < 1:
        return 0.0
    region = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.ellipse(region, ((cx - x0, cy - y0), (2 * a, 2 * b), angle), 255, -1)
    inside = region > 0
    total = int(np.count_nonzero(inside))
    if total == 0:
        return 0.0
    return float(np.count_nonzero(inside & (ink[y0:y1, x0:x1] > 0))) / total


def _verify_ring(
    struct_dil: np.ndarray,
    ink: np.ndarray,
    ink_dil: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    cfg: GreyConfig,
) -> float | None:
    """Ring coverage of a verified seal ring, or None."""
    cov = float(band_hits(struct_dil, centre, axes, angle, 1.0 - cfg.ring_band, 1.03).mean())
    if cov < cfg.min_ring_coverage:
        return None
    # the ring runs along the fitted outline itself (a circle through dense text does not)
    lo, hi = cfg.thin_band
    if float(band_hits(ink_dil, centre, axes, angle, lo, hi).mean()) < cfg.min_thin_coverage:
        return None
    out = float(band_hits(struct_dil, centre, axes, angle, *cfg.outside_band).mean())
    if out > cfg.max_outside_coverage:
        return None
    fill = _inner_fill(ink, centre, axes, angle)
    if not cfg.min_fill <= fill <= cfg.max_fill:
        return None
    # the ring is a line of ink on paper: its band is much denser than the paper just outside
    # (a circle inside a QR code or a dense texture is not)
    band = _band_density(ink, centre, axes, angle, *cfg.thin_band)
    if band < cfg.min_band_contrast * max(0.01, _band_density(ink, centre, axes, angle, *cfg.outside_band)):
        return None
    # a seal's ring is thin: just inside it lies paper or its text, not more of the same stroke
    # (the thick outline of a big letter O, an emblem, a button)
    lo, hi = cfg.solid_band
    if float(band_hits(ink, centre, axes, angle, lo, hi, solid=True).mean()) > cfg.max_solid_share:
        return None
    return cov


# ----------------------------------------------------------------------------- candidates


def grey_candidates(work: np.ndarray, cfg: SealConfig) -> list[_Cand]:
    """Seal candidates (working-image pixels, colour ``grey``) on an achromatic page image."""
    from extractors.seals import _Cand

    g = cfg.grey
    if g is None or not g.enabled:
        return []
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY) if work.ndim == 3 else work
    H, W = gray.shape[:2]
    short = min(H, W)
    min_d = max(float(g.min_px), g.min_frac * short)
    max_d = g.max_frac * short
    if short < min_d:
        return []
    ink = grey_ink(gray, g)
    if not ink.any():
        return []
    struct = _structure(ink, g.part_min_frac * min_d)
    if not struct.any():
        return []
    k = max(3, round(g.close_frac * short))
    closed = cv2.morphologyEx(struct, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    cdil = cv2.dilate(closed, np.ones((3, 3), np.uint8))
    idil = cv2.dilate(ink, np.ones((3, 3), np.uint8))
    contours, hier = cv2.findContours(closed, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hier is None:
        return []
    found: list[_Cand] = []
    for i, cnt in enumerate(contours):
        parent = int(hier[0][i][3])
        if parent < 0:  # an outer boundary; the inside of a ring or frame is a hole
            continue
        _, _, w, h = cv2.boundingRect(cnt)
        if min(w, h) < g.min_hole_frac * min_d or max(w, h) > max_d:
            continue
        hull = cv2.convexHull(cnt)
        if len(hull) < 5 or cv2.contourArea(hull) < 1:
            continue
        cand = _ring_from_hole(hull, closed, cdil, ink, idil, g, min_d, max_d, short)
        if cand is None:
            cand = _frame_from_hole(hull, contours[parent], ink, g, min_d, short)
        if cand is not None and _ink_on_paper(gray, cand, g):
            found.append(cand)
    # rings whose inside is cut by a text line or a signature, or whose ring touches a frame: a
    # circle fitted (RANSAC) to the outline of each big structure component
    rng = np.random.default_rng(0)
    point_sets = [
        (cnt.reshape(-1, 2).astype(np.float64), min_d)
        for cnt in contours  # outer outlines and holes (a ring touching the lines of a grid cell)
        if len(cnt) >= 20 and min(cv2.boundingRect(cnt)[2:]) >= 0.9 * min_d
    ]
    # pieces of a broken ring: small circles through nearby characters are too easily found
    group_min = g.group_min_d_factor * min_d
    point_sets += [(pts, group_min) for pts in _group_outlines(closed, g, group_min)]
    for pts, least in point_sets:
        for (cx, cy), r in _ransac_circles(pts, least / 2, max_d / 2, g, rng):
            if any(math.dist((cx, cy), c.centre) < 0.3 * r for c in found):
                continue
            cov = _verify_ring(cdil, ink, idil, (cx, cy), (2 * r, 2 * r), 0.0, g)
            if cov is None:
                continue
            if 2 * r > g.max_page_frac * short and not _is_crop_of(ink, (cx, cy), 2 * r, g):
                continue
            cand = _Cand(
                (cx - r, cy - r, cx + r, cy + r),
                "round",
                "grey",
                min(1.0, g.conf_base + g.conf_gain * cov),
                (cx, cy),
                (2 * r, 2 * r),
                0.0,
                ["ring", "grey", "fitted"],
            )
            if _ink_on_paper(gray, cand, g):
                found.append(cand)
    return found


def _group_outlines(closed: np.ndarray, g: GreyConfig, min_d: float) -> list[np.ndarray]:
    """Outline points of groups of structure pieces lying close together (a faint ring broken
    into arcs over dense text), one array per group of two or more pieces of seal size."""
    k = max(3, round(g.group_gap_frac * min_d)) | 1
    near = cv2.dilate(closed, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(near, connectivity=8)
    out: list[np.ndarray] = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        if min(w, h) < 0.9 * min_d:
            continue
        part = np.where(labels[y : y + h, x : x + w] == i, closed[y : y + h, x : x + w], 0).astype(np.uint8)
        cnts, _ = cv2.findContours(part, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        if len(cnts) < 2:
            continue  # one piece: its outline is tried on its own
        out.append(
            np.vstack([c.reshape(-1, 2) for c in cnts]).astype(np.float64) + np.array([x, y], np.float64)
        )
    return out


def _ransac_circles(
    pts: np.ndarray, r_min: float, r_max: float, g: GreyConfig, rng: np.random.Generator
) -> list[tuple[tuple[float, float], float]]:
    """Up to ``ransac_max_circles`` circles (centre, radius) that many outline points lie on,
    best first; each one's points are removed before the next is sought."""
    out: list[tuple[tuple[float, float], float]] = []
    per_point = 1.0  # outline pixels per kept point
    if len(pts) > g.ransac_points:
        per_point = len(pts) / g.ransac_points
        pts = pts[np.linspace(0, len(pts) - 1, g.ransac_points).astype(int)]
    for _ in range(g.ransac_max_circles):
        n = len(pts)
        if n < 20:
            break
        tri = pts[rng.integers(0, n, (g.ransac_iterations, 3))]
        (ax, ay), (bx, by), (qx, qy) = (tri[:, k].T for k in range(3))
        d = 2 * (ax * (by - qy) + bx * (qy - ay) + qx * (ay - by))
        ok = np.abs(d) > 1e-6
        d = np.where(ok, d, 1.0)
        a2, b2, q2 = ax**2 + ay**2, bx**2 + by**2, qx**2 + qy**2
        ux = (a2 * (by - qy) + b2 * (qy - ay) + q2 * (ay - by)) / d
        uy = (a2 * (qx - bx) + b2 * (ax - qx) + q2 * (bx - ax)) / d
        rr = np.hypot(ax - ux, ay - uy)
        ok &= (rr >= r_min) & (rr <= r_max)
        if not ok.any():
            break
        ux, uy, rr = ux[ok], uy[ok], rr[ok]
        dist = np.abs(np.hypot(pts[None, :, 0] - ux[:, None], pts[None, :, 1] - uy[:, None]) - rr[:, None])
        inl = dist <= np.maximum(2.0, g.ransac_tolerance * rr)[:, None]
        # share of the circle's perimeter on the outline (a chain outline has ~1 point per pixel)
        score = inl.sum(axis=1) * per_point / (2 * math.pi * rr)
        best = int(np.argmax(score))
        if score[best] < g.ransac_min_share:
            break
        sel = inl[best]
        (cx, cy), r = _fit_circle(pts[sel])
        if not r_min <= r <= r_max:
            break
        out.append(((cx, cy), r))
        pts = pts[~sel]
    return out


def _fit_circle(pts: np.ndarray) -> tuple[tuple[float, float], float]:
    """Least-squares (Kasa) circle through points."""
    x, y = pts[:, 0], pts[:, 1]
    a = np.column_stack([x, y, np.ones_like(x)])
    sol, *_ = np.linalg.lstsq(a, x**2 + y**2, rcond=None)
    cx, cy = sol[0] / 2, sol[1] / 2
    return (float(cx), float(cy)), float(math.sqrt(max(0.0, sol[2] + cx**2 + cy**2)))


def _ink_on_paper(gray: np.ndarray, c: _Cand, g: GreyConfig) -> bool:
    """Whether the candidate is dark ink on light paper: the paper just outside it is clearly
    lighter than its ring and its inside is mostly that paper (a grey button on a black screen, a
    solid emblem, a photo are not)."""
    h, w = gray.shape[:2]

    def levels(lo: float, hi: float) -> np.ndarray:
        x, y = ellipse_points(c.centre, c.axes, c.angle, np.linspace(lo, hi, 8), 96)
        v = gray[np.clip(np.round(y).astype(int), 0, h - 1), np.clip(np.round(x).astype(int), 0, w - 1)]
        inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        return np.asarray(np.where(inside, v, -1), np.int16)  # n directions x len(scales)

    ring, outside, core = levels(0.86, 1.04), levels(1.08, 1.3), levels(0.1, 0.75)
    ring_min = np.where(ring >= 0, ring, 999).min(axis=1)
    ring_min = ring_min[ring_min < 999]
    outside, core = outside[outside >= 0], core[core >= 0]
    if ring_min.size == 0 or outside.size == 0 or core.size == 0:
        return False
    paper = float(np.median(outside))
    return (
        paper - float(np.median(ring_min)) >= g.min_ring_contrast
        and paper - float(np.median(core)) <= g.max_core_darkening
    )


def _ring_from_hole(
    hull: np.ndarray,
    closed: np.ndarray,
    cdil: np.ndarray,
    ink: np.ndarray,
    idil: np.ndarray,
    g: GreyConfig,
    min_d: float,
    max_d: float,
    short: int,
) -> _Cand | None:
    """A round/oval seal whose ring's inner edge is this hole's hull, or None."""
    from extractors.seals import _Cand

    hull_area = float(cv2.contourArea(hull))
    (cx, cy), (a, b), ang = cv2.fitEllipse(hull)
    if min(a, b) < 4 or max(a, b) / min(a, b) > g.max_aspect_oval:
        return None
    fit = hull_area / (math.pi * a * b / 4.0)
    if not g.ellipse_fit_min <= fit <= g.ellipse_fit_max:
        return None
    # the hole's edge is the ring's inner edge all round (a table cell's is not an ellipse)
    inner_cov = float(band_hits(cdil, (cx, cy), (a, b), ang, 0.97, 1.0 + g.edge_band).mean())
    if inner_cov < g.min_ring_coverage:
        return None
    # the ring's outer edge: along each direction, where the ink that starts at the hole edge ends
    scales = np.linspace(1.0, 1.0 + g.max_ring_width, 25)
    xs, ys = ellipse_points((cx, cy), (a, b), ang, scales, 96)
    hh, ww = closed.shape[:2]
    on = (
        closed[np.clip(np.round(ys).astype(int), 0, hh - 1), np.clip(np.round(xs).astype(int), 0, ww - 1)] > 0
    )
    on &= (xs >= 0) & (xs < ww) & (ys >= 0) & (ys < hh)
    off = ~on
    first_off = np.where(off.any(axis=1), off.argmax(axis=1), len(scales))
    ring = first_off[on[:, 0] | on[:, 1]]
    if ring.size < 0.5 * len(first_off):
        return None
    outer = float(scales[min(len(scales) - 1, int(np.median(ring)))])
    ea, eb = a * outer, b * outer
    if min(ea, eb) < min_d or max(ea, eb) > max_d:
        return None
    cov = _verify_ring(cdil, ink, idil, (cx, cy), (ea, eb), ang, g)
    if cov is None:
        return None
    if max(ea, eb) > g.max_page_frac * short and not _is_crop_of(ink, (cx, cy), max(ea, eb), g):
        return None
    bx = _ellipse_box((cx, cy), (ea, eb), ang)
    shape: ShapeName = "round" if max(ea, eb) / min(ea, eb) <= g.max_aspect_round else "oval"
    fit_q = max(0.0, 1.0 - abs(1.0 - fit) * 3.0)
    conf = g.conf_base + g.conf_gain * cov * inner_cov * (0.6 + 0.4 * fit_q)
    return _Cand(bx, shape, "grey", min(1.0, conf), (cx, cy), (ea, eb), ang, ["ring", "grey"])


def _ellipse_box(
    centre: tuple[float, float], axes: tuple[float, float], angle: float
) -> tuple[float, float, float, float]:
    """The axis-aligned bounding box of an ellipse (full axis lengths, angle in degrees)."""
    a, b = axes[0] / 2, axes[1] / 2
    t = math.radians(angle)
    hx = math.hypot(a * math.cos(t), b * math.sin(t))
    hy = math.hypot(a * math.sin(t), b * math.cos(t))
    return (centre[0] - hx, centre[1] - hy, centre[0] + hx, centre[1] + hy)


def _is_crop_of(ink: np.ndarray, centre: tuple[float, float], d: float, g: GreyConfig) -> bool:
    """Whether the image is a crop of this one (big) seal: little ink lies outside its circle."""
    h, w = ink.shape[:2]
    yy, xx = np.ogrid[:h, :w]
    outside = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 > (0.55 * d) ** 2
    total = int(np.count_nonzero(ink))
    return total > 0 and int(np.count_nonzero((ink > 0) & outside)) <= g.max_crop_outside_ink * total


def _frame_from_hole(
    hull: np.ndarray,
    parent: np.ndarray,
    ink: np.ndarray,
    g: GreyConfig,
    min_d: float,
    short: int,
) -> _Cand | None:
    """A square/rectangular stamp whose frame's inside is this hole, or None: the hole is a
    rectangle, the frame around it is all the component there is (no table grid around it), and
    the inside holds a few big characters, no grid lines."""
    from extractors.seals import _Cand

    rect = cv2.minAreaRect(hull)
    rw, rh = rect[1]
    if min(rw, rh) < g.min_hole_frac * min_d or max(rw, rh) > g.max_rect_frac * short:
        return None
    aspect = max(rw, rh) / max(1.0, min(rw, rh))
    fit = float(cv2.contourArea(hull)) / max(1.0, rw * rh)
    if aspect > g.max_aspect_rect or fit < g.min_rect_fit:
        return None
    prect = cv2.minAreaRect(parent)
    pw, ph = sorted(prect[1])
    hw, hh = sorted((rw, rh))
    if pw > g.max_frame_growth * hw or ph > g.max_frame_growth * hh:
        return None  # a cell of a table, or a frame with more around it
    if not _stamp_inside(_upright(ink, rect), 0.04, g):
        return None
    box = cv2.boundingRect(cv2.boxPoints(prect).astype(np.float32))
    bx = (float(box[0]), float(box[1]), float(box[0] + box[2]), float(box[1] + box[3]))
    shape: ShapeName = "square" if aspect <= g.max_aspect_square else "rectangle"
    conf = g.conf_base + g.conf_gain * min(1.0, fit / 0.95)
    (pcx, pcy), (pw_, ph_), pang = prect
    return _Cand(bx, shape, "grey", min(1.0, conf), (pcx, pcy), (pw_, ph_), pang, ["frame", "grey"])


def _upright(mask: np.ndarray, rect: tuple[Sequence[float], Sequence[float], float]) -> np.ndarray:
    """The content of a (rotated) rectangle, upright."""
    (cx, cy), (rw, rh), ang = rect
    m = cv2.getRotationMatrix2D((cx, cy), ang, 1.0)
    m[0, 2] += rw / 2 - cx
    m[1, 2] += rh / 2 - cy
    return cv2.warpAffine(mask, m, (max(1, round(rw)), max(1, round(rh))), flags=cv2.INTER_NEAREST)


def _stamp_inside(inner: np.ndarray, trim: float, g: GreyConfig) -> bool:
    """Whether the upright inside of a frame (``trim`` x its short side cut off each edge) looks
    like a stamp's: some ink but not solid, no long grid lines, at least ``min_char_parts`` parts
    of character size (not a box around small print, not one framed character such as 国)."""
    t = max(1, round(trim * min(inner.shape[:2])))
    if inner.shape[0] > 2 * t + 4 and inner.shape[1] > 2 * t + 4:
        inner = inner[t:-t, t:-t]
    fill = float(np.count_nonzero(inner)) / max(1, inner.size)
    if not g.min_fill <= fill <= g.max_square_fill or _inner_lines(inner) > g.max_inner_line_frac:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(inner, connectivity=8)
    least = g.min_char_frac * min(inner.shape[:2])
    pieces = [j for j in range(1, n) if stats[j, cv2.CC_STAT_AREA] >= 8]
    if len(pieces) > g.max_inner_pieces:
        return False  # the modules of a QR code, a block of small print
    return sum(1 for j in pieces if stats[j, cv2.CC_STAT_HEIGHT] >= least) >= g.min_char_parts


def _inner_lines(inner: np.ndarray) -> float:
    """Share of an upright crop covered by long straight lines (a table's grid): lines along its
    long side longer than 0.8 of it, and across (when it is not a long strip, where characters
    reach across) longer than 0.8 of the short side."""
    if inner.size == 0:
        return 0.0
    ih, iw = inner.shape[:2]
    check_across = max(ih, iw) < 2 * min(ih, iw)
    lines = np.zeros(inner.shape[:2], bool)
    if iw >= ih or check_across:
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, int(iw * 0.8)), 1))
        lines |= cv2.morphologyEx(inner, cv2.MORPH_OPEN, k) > 0
    if ih >= iw or check_across:
        k = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, int(ih * 0.8))))
        lines |= cv2.morphologyEx(inner, cv2.MORPH_OPEN, k) > 0
    return float(np.count_nonzero(lines)) / inner.size
