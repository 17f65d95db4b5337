"""Sampling points on ellipses: the geometry shared by the seal detectors (colour and grey)."""

from __future__ import annotations

import math

import numpy as np


def ellipse_points(
    centre: tuple[float, float], axes: tuple[float, float], angle_deg: float, scales: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sample points (n angles x len(scales)) on scaled copies of an ellipse."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)[:, None]
    a, b = axes[0] / 2.0, axes[1] / 2.0
    phi = math.radians(angle_deg)
    ex = a * np.cos(t) * scales[None, :]
    ey = b * np.sin(t) * scales[None, :]
    x = centre[0] + ex * math.cos(phi) - ey * math.sin(phi)
    y = centre[1] + ex * math.sin(phi) + ey * math.cos(phi)
    return x, y


def band_hits(
    mask: np.ndarray,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle: float,
    lo: float,
    hi: float,
    n: int = 96,
    *,
    solid: bool = False,
) -> np.ndarray:
    """Per direction (n), whether ``mask`` has ink between ``lo`` and ``hi`` x the ellipse radius
    (with ``solid``: ink all the way from ``lo`` to ``hi``)."""
    h, w = mask.shape[:2]
    x, y = ellipse_points(centre, axes, angle, np.linspace(lo, hi, 7), n)
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    xi = np.clip(np.round(x).astype(int), 0, w - 1)
    yi = np.clip(np.round(y).astype(int), 0, h - 1)
    hit = (mask[yi, xi] > 0) & inside
    return np.asarray(hit.all(axis=1) if solid else hit.any(axis=1))
