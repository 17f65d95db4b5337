"""Reading the text on a seal's ring: polar unwrap of the ink, Tesseract on one line, candidate match.

A round company seal carries its name along the upper arc, reading clockwise from the left, with
the tops of the characters pointing outwards. Unwrapping the ring band (outer radius at the top,
angle growing clockwise to the right) turns it into one horizontal line of upright characters.
The start angle is put in the middle of the largest empty arc (usually at the bottom), so the text
is not cut; for oval seals the crop is first stretched to a circle.

``candidates`` (names the document mentions) make the result robust: the OCR line is matched to
them by character similarity and the best one is reported. Document text is never logged.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

_CJK = re.compile(r"[\u3400-\u9fff]")


class TextConfig(BaseModel):
    """Ring-text parameters (``text:`` in ``config/seals.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    lang: str = "chi_sim"
    unwrap_height: int = Field(56, ge=16, le=256)
    band_inner: float = Field(0.5, gt=0.0, lt=1.0)
    band_outer: float = Field(0.9, gt=0.0, le=1.0)
    max_ocr_calls: int = Field(3, ge=1, le=8)
    min_ocr_confidence: float = Field(0.45, ge=0.0, le=1.0)
    min_candidate_similarity: float = Field(0.5, ge=0.0, le=1.0)
    min_text_chars: int = Field(2, ge=1)
    stretch: float = Field(1.0, gt=0.3, le=3.0)
    threshold_factor: float = Field(1.0, gt=0.2, le=2.0)
    erode_px: int = Field(0, ge=0, le=9)
    min_candidate_margin: float = Field(0.08, ge=0.0, le=1.0)


class OwnerConfig(BaseModel):
    """Markers telling a registration authority's seal from a company seal (``owner:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    authority_markers: list[str]
    company_markers: list[str]
    authority_names: list[str] = []


@dataclass
class RingText:
    """What was read on one seal."""

    text: str | None = None
    confidence: float | None = None
    raw: str = ""
    notes: list[str] = field(default_factory=list)


def cjk_only(s: str) -> str:
    """The CJK characters of ``s`` (OCR junk, spaces and punctuation removed)."""
    return "".join(_CJK.findall(s))


def similarity(ocr: str, candidate: str) -> float:
    """Character-level similarity of an OCR reading to a candidate name, 0..1.

    The plain ratio is used, and also the ratio against the best window of the OCR text of the
    candidate's length (the ring may carry extra text such as 合同专用章 after the name)."""
    a, b = cjk_only(ocr) or ocr, cjk_only(candidate) or candidate
    if not a or not b:
        return 0.0
    best = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    if len(a) > len(b):
        n = len(b)
        for i in range(len(a) - n + 1):
            r = difflib.SequenceMatcher(None, a[i : i + n], b, autojunk=False).ratio()
            best = max(best, r * 0.97)
    return best


def best_candidate(ocr: str, candidates: list[str]) -> tuple[str | None, float]:
    """The candidate most similar to ``ocr`` and its similarity (ties: the longer name)."""
    best: tuple[str | None, float] = (None, 0.0)
    for c in candidates:
        s = similarity(ocr, c)
        if s > best[1] + 1e-9 or (abs(s - best[1]) < 1e-9 and best[0] is not None and len(c) > len(best[0])):
            best = (c, s)
    return best


def classify_owner(text: str, cfg: OwnerConfig) -> str | None:
    """``"authority"``, ``"company"`` or None, from the ring text (exact markers, then fragments)."""
    t = cjk_only(text)
    if not t:
        return None
    for m in cfg.authority_markers:
        if m in t:
            return "authority"
    for m in cfg.company_markers:
        if m in t:
            return "company"

    # OCR-damaged text: count 2-character fragments of the markers.
    def frag_hits(markers: list[str]) -> int:
        frags = {m[i : i + 2] for m in markers if len(m) >= 3 for i in range(len(m) - 1)}
        return sum(1 for f in frags if f in t)

    ha, hc = frag_hits(cfg.authority_markers), frag_hits(cfg.company_markers)
    if ha > hc and ha >= 1:
        return "authority"
    if hc > ha and hc >= 1:
        return "company"
    return None


InkColor = Literal["red", "blue", "grey", "other"]


def ink_strength(bgr: np.ndarray, color: InkColor = "red") -> np.ndarray:
    """Seal ink strength (0..255) of a BGR crop, as uint8: red/pink ink R - max(G, B), blue ink
    B - max(R, G), and for a grey (photocopied) seal, where no colour sets the stamp apart from
    the print, darkness 255 - max(B, G, R)."""
    b, g, r = (bgr[..., i].astype(np.int16) for i in range(3))
    if color == "blue":
        strength = b - np.maximum(r, g)
    elif color == "grey":
        strength = 255 - np.maximum(np.maximum(b, g), r)
    else:
        strength = r - np.maximum(g, b)
    return np.clip(strength, 0, 255).astype(np.uint8)


def unwrap_ring(
    ink: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    start_deg: float,
    cfg: TextConfig,
    *,
    span_deg: float = 360.0,
    band: tuple[float, float] | None = None,
) -> np.ndarray:
    """Unwrap the text band of a circular seal into a horizontal strip (ink white on black).

    Angles are degrees clockwise from 12 o'clock; the strip starts at ``start_deg`` and covers
    ``span_deg``. Row 0 is the outer edge of the band, so characters whose tops point outwards
    come out upright."""
    r_out, r_in = radius * cfg.band_outer, radius * cfg.band_inner
    if band is not None:
        r_out, r_in = band
    h = cfg.unwrap_height
    r_mid = (r_out + r_in) / 2
    # Keep the aspect at the middle radius: width = arc length scaled like the height.
    scale = h / max(1.0, r_out - r_in)
    w = max(8, int(math.radians(span_deg) * r_mid * scale))
    xs = np.arange(w, dtype=np.float32)
    ys = np.arange(h, dtype=np.float32)
    theta = np.radians(start_deg + xs / w * span_deg)[None, :]
    rr = (r_out - ys / max(1, h - 1) * (r_out - r_in))[:, None]
    map_x = (centre[0] + rr * np.sin(theta)).astype(np.float32)
    map_y = (centre[1] - rr * np.cos(theta)).astype(np.float32)
    strip = cv2.remap(ink, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return _drop_ring_rows(strip)


def _drop_ring_rows(strip: np.ndarray) -> np.ndarray:
    """Blank rows that carry ink almost all the way round: they are the outer or inner ring line."""
    if strip.size == 0:
        return strip
    full = (strip > 60).mean(axis=1) > 0.6
    if full.any():
        strip = strip.copy()
        strip[full] = 0
    return strip


def _empty_runs(empty: np.ndarray) -> list[tuple[int, int]]:
    """Circular runs of True in ``empty`` as (start, length), longest first."""
    w = len(empty)
    if w == 0 or not empty.any():
        return []
    if empty.all():
        return [(0, w)]
    k = int(np.argmin(empty))  # a non-empty column: no run wraps past it
    rolled = np.roll(empty, -k)
    runs: list[tuple[int, int]] = []
    i = 0
    while i < w:
        if rolled[i]:
            j = i
            while j < w and rolled[j]:
                j += 1
            runs.append(((i + k) % w, j - i))
            i = j
        else:
            i += 1
    return sorted(runs, key=lambda r: -r[1])


def text_band(
    ink: np.ndarray, centre: tuple[float, float], radius: float, cfg: TextConfig
) -> tuple[float, float]:
    """(outer, inner) radius of the text band: inside the outer ring line, found on the radial profile."""
    h = 48
    radii = radius * 1.08 - np.arange(h) / max(1, h - 1) * radius * 0.48
    outer = radius * cfg.band_outer
    # The ring: the densest row in the outer half of the profile; the band starts inside it.
    raw = unwrap_ring_raw(ink, centre, radius * 1.08, radius * 0.6, h)
    prof = (raw > 60).mean(axis=1)
    top = prof[: h // 2]
    if top.size and top.max() >= 0.5:
        k = int(np.argmax(top))
        while k < h - 1 and prof[k] >= 0.5 * top.max():
            k += 1
        outer = min(outer, float(radii[min(h - 1, k)]) * 0.99)
    return outer, min(outer * 0.6, radius * cfg.band_inner)


def unwrap_ring_raw(
    ink: np.ndarray, centre: tuple[float, float], r_out: float, r_in: float, h: int
) -> np.ndarray:
    """Polar samples of ``ink`` between two radii (no ring removal), 360 columns."""
    theta = np.radians(np.arange(360, dtype=np.float32))[None, :]
    rr = (r_out - np.arange(h, dtype=np.float32) / max(1, h - 1) * (r_out - r_in))[:, None]
    mx = (centre[0] + rr * np.sin(theta)).astype(np.float32)
    my = (centre[1] - rr * np.cos(theta)).astype(np.float32)
    return cv2.remap(ink, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _gap_start(
    ink: np.ndarray, centre: tuple[float, float], band: tuple[float, float], cfg: TextConfig
) -> list[float]:
    """Start angles for the unwrap: the middle of the emptiest 40-degree arcs of the text band."""
    r_out, r_in = band
    mid = unwrap_ring_raw(ink, centre, r_out - 0.2 * (r_out - r_in), r_in + 0.2 * (r_out - r_in), 16)
    prof = (mid > 60).sum(axis=0).astype(np.float32)
    win = np.ones(41, np.float32)
    circ = np.concatenate([prof[-20:], prof, prof[:20]])
    score = np.convolve(circ, win, mode="valid")[:360]
    order = np.argsort(score, kind="stable")
    starts: list[float] = [float(order[0])]
    for a in order[1:]:
        if all(min(abs(a - b), 360 - abs(a - b)) > 60 for b in starts):
            starts.append(float(a))
            break
    return starts


def _crop_to_ink(strip: np.ndarray) -> np.ndarray:
    """Trim empty columns on both ends; keep a small margin."""
    cols = np.where((strip > 60).sum(axis=0) > 0)[0]
    if cols.size == 0:
        return strip[:, :0]
    m = strip.shape[0] // 4
    return strip[:, max(0, cols[0] - m) : min(strip.shape[1], cols[-1] + m + 1)]


@cache
def _line_engine() -> Any:
    """RapidOCR for unwrapped ring text when it is installed (None otherwise). On the sample seals
    it read 福建皮海水灸集团强每展公司 where Tesseract read 衣建克疙水去时东慑公司."""
    from pipeline.ocr.base import OcrOptions, get_engine, resolve_auto_engine

    if resolve_auto_engine() != "rapidocr":
        return None
    try:
        return get_engine(OcrOptions(engine="rapidocr"))
    except Exception:  # engine present but unusable: Tesseract still reads the ring
        return None


def _ocr_line(strip: np.ndarray, cfg: TextConfig) -> tuple[str, float]:
    """OCR of one line image (ink white on black is inverted to black on white): RapidOCR when
    installed, else (or when it reads nothing) Tesseract in single-line mode."""
    import pytesseract

    img = 255 - strip
    pad = cfg.unwrap_height // 3
    img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    engine = _line_engine()
    if engine is not None:
        try:
            text, conf = engine.recognize_line(img)
        except Exception:  # fall through to Tesseract
            text, conf = "", 0.0
        if cjk_only(text):
            return text, conf
    try:
        data = pytesseract.image_to_data(
            img, lang=cfg.lang, config="--psm 7", output_type=pytesseract.Output.DICT, timeout=20
        )
    except (RuntimeError, pytesseract.TesseractError, OSError):
        return "", 0.0
    text, confs = "", []
    for t, c in zip(data.get("text", []), data.get("conf", []), strict=False):
        t = (t or "").strip()
        try:
            cf = float(c)
        except (TypeError, ValueError):
            continue
        if t and cf >= 0:
            text += t
            confs.extend([cf / 100.0] * max(1, len(cjk_only(t))))
    return text, (float(np.mean(confs)) if confs else 0.0)


def read_ring_text(
    crop_bgr: np.ndarray,
    *,
    centre: tuple[float, float],
    axes: tuple[float, float],
    angle_deg: float,
    cfg: TextConfig,
    owner_cfg: OwnerConfig,
    candidates: list[str] | None = None,
    color: InkColor = "red",
) -> RingText:
    """Read the ring text of a round or oval seal in ``crop_bgr`` (BGR, the seal with a margin).

    ``centre`` and ``axes`` (full lengths) describe the seal's outer ellipse in crop pixels and
    ``angle_deg`` its rotation as given by ``cv2.fitEllipse``; ``color`` is the seal's ink (see
    :func:`ink_strength`)."""
    out = RingText()
    if crop_bgr.size == 0 or min(axes) < 12:
        return out
    ink = ink_strength(crop_bgr, color)
    ink = cv2.normalize(ink, np.zeros_like(ink), 0, 255, cv2.NORM_MINMAX)
    # Oval: rotate the ellipse axes to the image axes and stretch to a circle.
    a, b = axes
    cx, cy = centre
    if abs(a - b) / max(a, b) > 0.08:
        rot = cv2.getRotationMatrix2D((cx, cy), angle_deg, 1.0)
        ink = cv2.warpAffine(ink, rot, (ink.shape[1], ink.shape[0]))
        # after the rotation the first axis (a) lies along x
        sx = max(a, b) / a
        sy = max(a, b) / b
        ink = cv2.resize(ink, None, fx=sx, fy=sy, interpolation=cv2.INTER_LINEAR)
        cx, cy = cx * sx, cy * sy
    radius = max(a, b) / 2.0
    # Binarise softly: Otsu on the ink channel, keep grey levels above it.
    thr, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = np.where(ink >= max(30.0, thr * cfg.threshold_factor), 255, 0).astype(np.uint8)

    tries: list[tuple[str, float, float]] = []  # (text, ocr confidence, start angle)
    band = text_band(ink, (cx, cy), radius, cfg)
    for start in _gap_start(ink, (cx, cy), band, cfg)[: cfg.max_ocr_calls]:
        strip = _crop_to_ink(unwrap_ring(ink, (cx, cy), radius, start, cfg, band=band))
        if strip.shape[1] < cfg.unwrap_height:
            continue
        if cfg.erode_px > 1:
            strip = cv2.erode(strip, np.ones((cfg.erode_px, cfg.erode_px), np.uint8))
        if cfg.stretch != 1.0:
            strip = cv2.resize(strip, None, fx=cfg.stretch, fy=1.0, interpolation=cv2.INTER_LINEAR)
        text, conf = _ocr_line(strip, cfg)
        tries.append((cjk_only(text), conf, start))
        # Stop early when the first reading is good enough (each Tesseract call costs ~0.5 s).
        good = conf >= 0.75 or (candidates and best_candidate(cjk_only(text), candidates)[1] >= 0.75)
        if good:
            break
    tries = [t for t in tries if t[0]]
    if not tries:
        return out
    if candidates:
        scored = []
        for t, conf, _ in tries:
            sims = sorted(((similarity(t, c), c) for c in candidates), reverse=True)
            second = sims[1][0] if len(sims) > 1 else 0.0
            scored.append((sims[0][0], sims[0][0] - second, conf, t, sims[0][1]))
        sim, margin, conf, t, cand = max(scored, key=lambda s: (s[0], s[2]))
        out.raw = t
        if sim >= cfg.min_candidate_similarity and (margin >= cfg.min_candidate_margin or sim >= 0.8):
            out.text, out.confidence = cand, round(sim, 3)
            out.notes.append(f"ring text matched to candidate (similarity {sim:.2f})")
            return out
    t, conf, _ = max(tries, key=lambda s: s[1] * min(1.0, len(s[0]) / 4))
    out.raw = t
    if len(t) >= cfg.min_text_chars and conf >= cfg.min_ocr_confidence:
        out.text, out.confidence = t, round(conf, 3)
        out.notes.append("ring text from OCR")
    return out
