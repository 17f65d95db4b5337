"""Seal detection bench: recall, precision, ring-text accuracy and seconds per page.

Sets:
- ``real``: ../shared/real-samples/seals/ (truth.json gives a ``count`` per image, no boxes, so a
  page's matches are min(found, count)); ring text is compared where the truth has a text;
- ``licenses``: ../shared/real-samples/licenses/ (no seal truth: only the number found and time);
- ``samples``: sample_docs/submissions/*/truth.json seals (boxes; IoU >= 0.3 is a match), when the
  generated samples exist; PDF pages are rendered at 200 dpi;
- ``synth``: synthetic 200-dpi A4 pages made here (red ring seals with a company name, stamped
  over black text, some overlapping, plus red title lines and red tables that must not count);
- ``grey``: the pages of ``samples`` (all of them, seal-free ones included, with their truth boxes)
  and the images of ``real`` (truth counts) turned into photocopies by ``photocopy`` (luma
  greyscale, levels, gamma, noise, blur, JPEG; seeded per page), scored as the colour sets. Its
  ``grey-free`` line counts detections on the seal-free pages alone. ``grey-lic``: the 20 licences
  as photocopies; truth is what the colour pass finds on the colour original (boxes), so ``found``
  minus ``matched`` are detections with no colour seal under them (false, or a seal the colour pass
  misses: check with -v). Each grey line also gives the seconds per page of the grey pass alone
  (``grey_s/page``: detection time minus the time with ``grey`` off) and what the colour pass finds
  on the same grey pages (``colour-only``). ``grey-synth``: 2 x --n synthetic pages (seeds 2000+)
  as photocopies.

Ring text counts as correct when the reported text equals the truth after removing non-CJK
characters; the candidate list for samples is every seal text of the submission plus distractors.

Usage: python bench/seals.py [--set real|licenses|samples|synth|grey|all] [--no-text] [--n 12]
(``all`` is the colour sets; ``grey`` runs grey, grey-free and grey-lic)
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from extractors.seal_text import cjk_only  # noqa: E402
from extractors.seals import detect_seals_in_image, load_config  # noqa: E402
from pipeline.model import Seal  # noqa: E402

REAL = ROOT.parent / "shared" / "real-samples"

# ----------------------------------------------------------------------------- synthetic pages

_FONT_BUF: bytes | None = None
CITIES = ["福州", "泉州", "杭州", "成都", "绵阳", "佛山", "南京", "厦门", "武汉", "长沙", "济南", "西安"]
WORDS = ["闽信", "岚海", "清源", "岷江", "启明", "鹏程", "华信", "中科", "天元", "瑞达", "博远", "恒通"]
TRADES = ["科技", "信息技术", "软件", "数据", "网络", "智能科技", "电子", "水务", "燃气"]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司"]
FILLER = "本合同双方经友好协商就项目实施达成如下协议甲方委托乙方完成系统建设与部署工作验收合格后支付款项"


def font(size: int) -> ImageFont.FreeTypeFont:
    """The CJK font bundled with PyMuPDF at ``size`` pixels."""
    global _FONT_BUF
    if _FONT_BUF is None:
        import pymupdf

        _FONT_BUF = bytes(pymupdf.Font("china-s").buffer)
    return ImageFont.truetype(io.BytesIO(_FONT_BUF), size)


def company_name(rng: random.Random) -> str:
    """A plausible fictional company name."""
    return rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(TRADES) + rng.choice(SUFFIXES)


def seal_image(text: str, diameter: int, rng: random.Random, *, bottom: str = "") -> Image.Image:
    """An L mask (ink 255) of a round seal: ring, ``text`` clockwise along the upper arc, a star."""
    ss = 2
    w = diameter * ss
    m = Image.new("L", (w, w), 0)
    dr = ImageDraw.Draw(m)
    c, big_r = w / 2, w / 2 - 2
    rw = max(3, int(w * 0.035))
    dr.ellipse([c - big_r, c - big_r, c + big_r, c + big_r], outline=255, width=rw)
    n = len(text)
    span = min(290.0, max(190.0, 23.0 * n))
    fs = int(min(w * 0.15, 1.0 * (big_r - rw - w * 0.08) * math.radians(span) / n))
    rt = big_r - rw - fs * 0.65
    f = font(fs)
    for i, ch in enumerate(text):
        a = -span / 2 + span * (i + 0.5) / n
        tile = Image.new("L", (int(fs * 1.4), int(fs * 1.4)), 0)
        td = ImageDraw.Draw(tile)
        x0, y0, x1, y1 = td.textbbox((0, 0), ch, font=f)
        td.text(
            ((tile.width - (x1 - x0)) / 2 - x0, (tile.height - (y1 - y0)) / 2 - y0),
            ch,
            font=f,
            fill=255,
            stroke_width=max(1, fs // 24),
            stroke_fill=255,
        )
        tile = tile.resize((int(tile.width * 0.8), tile.height)).rotate(
            -a, resample=Image.Resampling.BICUBIC, expand=True
        )
        x = c + rt * math.sin(math.radians(a)) - tile.width / 2
        y = c - rt * math.cos(math.radians(a)) - tile.height / 2
        m.paste(255, (int(x), int(y)), tile)
    sr = w * 0.16
    pts = [
        (
            c + (sr if k % 2 == 0 else sr * 0.382) * math.cos(-math.pi / 2 + k * math.pi / 5),
            c + (sr if k % 2 == 0 else sr * 0.382) * math.sin(-math.pi / 2 + k * math.pi / 5),
        )
        for k in range(10)
    ]
    dr.polygon(pts, fill=255)
    if bottom:
        bf = font(int(w * 0.075))
        tw = dr.textlength(bottom, font=bf)
        dr.text((c - tw / 2, c + big_r * 0.4), bottom, font=bf, fill=255)
    m = m.resize((diameter, diameter), Image.Resampling.LANCZOS)
    arr = np.asarray(m, np.float32) / 255.0
    tex = np.clip(
        0.85
        + 0.12
        * np.asarray(
            Image.fromarray(
                np.array([[rng.gauss(0, 1) for _ in range(16)] for _ in range(16)], np.float32)
            ).resize((diameter, diameter), Image.Resampling.BICUBIC)
        ),
        0.5,
        1.0,
    )
    return Image.fromarray(np.clip(arr * tex * 255, 0, 255).astype(np.uint8))


def stamp(
    page: np.ndarray,
    mask: Image.Image,
    cx: int,
    cy: int,
    ink: tuple[int, int, int],
    angle: float,
    opacity: float = 0.85,
) -> tuple[int, int, int, int]:
    """Multiply-blend ``mask`` in colour ``ink`` (RGB) onto ``page`` (RGB array) centred at (cx, cy)."""
    m = mask.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    a = np.asarray(m, np.float32)[..., None] / 255.0 * opacity
    h, w = a.shape[:2]
    x0, y0 = cx - w // 2, cy - h // 2
    H, W = page.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + w), min(H, y0 + h)
    if xa >= xb or ya >= yb:
        return (0, 0, 0, 0)
    sub = page[ya:yb, xa:xb].astype(np.float32)
    aa = a[ya - y0 : yb - y0, xa - x0 : xb - x0]
    col = np.array(ink, np.float32)[None, None, :] / 255.0
    page[ya:yb, xa:xb] = np.clip(sub * (1 - aa + aa * col), 0, 255).astype(np.uint8)
    r = mask.width // 2
    return (cx - r, cy - r, cx + r, cy + r)


@dataclass
class SynthPage:
    """A synthetic page (BGR) with its seals' truth boxes (pixels) and texts."""

    image: np.ndarray
    seals: list[tuple[tuple[int, int, int, int], str]] = field(default_factory=list)
    distractors: list[str] = field(default_factory=list)


def synth_page(
    seed: int,
    *,
    n_seals: int = 1,
    overlap: bool = False,
    red_title: bool = False,
    red_table: bool = False,
    grey: bool = False,
    degrade: bool = True,
    size: tuple[int, int] = (1654, 2339),
) -> SynthPage:
    """A 200-dpi A4 page of black text with ``n_seals`` red company seals stamped over it."""
    rng = random.Random(seed)
    W, H = size
    img = Image.new("RGB", (W, H), (250, 250, 247))
    dr = ImageDraw.Draw(img)
    body = font(34)
    y = 260
    if red_title:
        tf = font(96)
        title = "关于开展信创解决方案征集工作的通知"
        tw = dr.textlength(title, font=tf)
        dr.text(((W - tw) / 2, 120), title, font=tf, fill=(210, 30, 35))
        dr.line([(120, 250), (W - 120, 250)], fill=(210, 30, 35), width=6)
        y = 300
    while y < H - 200:
        line = "".join(rng.choice(FILLER) for _ in range(rng.randint(20, 38)))
        dr.text((150, y), line, font=body, fill=(20, 20, 20))
        y += 58
    if red_table:
        tx0, ty0, cw, ch = 150, 1500, 270, 70
        for r in range(6):
            dr.line([(tx0, ty0 + r * ch), (tx0 + 5 * cw, ty0 + r * ch)], fill=(205, 35, 40), width=3)
        for c in range(6):
            dr.line([(tx0 + c * cw, ty0), (tx0 + c * cw, ty0 + 5 * ch)], fill=(205, 35, 40), width=3)
    page = np.asarray(img).copy()
    out = SynthPage(page)
    names = [company_name(rng) for _ in range(n_seals + 3)]
    out.distractors = names[n_seals:]
    placed: list[tuple[int, int]] = []
    for i in range(n_seals):
        d = rng.randint(280, 340)
        if overlap and placed:
            px, py = placed[-1]
            cx, cy = px + int(d * rng.uniform(0.55, 0.75)), py + int(d * rng.uniform(-0.2, 0.2))
        else:
            cx, cy = rng.randint(300, W - 300), rng.randint(400 + i * 600, 700 + i * 600)
        placed.append((cx, cy))
        ink = (rng.randint(195, 230), rng.randint(20, 50), rng.randint(30, 60))
        if grey:
            ink = (110, 110, 110)
        m = seal_image(names[i], d, rng)
        box = stamp(page, m, cx, cy, ink, rng.uniform(-15, 15), rng.uniform(0.75, 0.92))
        out.seals.append((box, names[i]))
    if degrade:
        pim = Image.fromarray(page)
        if rng.random() < 0.5:
            pim = pim.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9)))
        arr = np.asarray(pim).astype(np.int16) + np.random.default_rng(seed).normal(0, 6, page.shape).astype(
            np.int16
        )
        buf = io.BytesIO()
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=rng.randint(60, 85))
        page = np.asarray(Image.open(buf).convert("RGB")).copy()
    out.image = cv2.cvtColor(page, cv2.COLOR_RGB2BGR)
    return out


# ----------------------------------------------------------------------------- scoring


@dataclass
class Tally:
    """Counts for one set."""

    truth: int = 0
    found: int = 0
    matched: int = 0
    text_total: int = 0
    text_ok: int = 0
    pages: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        rec = self.matched / self.truth if self.truth else float("nan")
        prec = self.matched / self.found if self.found else float("nan")
        txt = (
            f"{self.text_ok}/{self.text_total} ({self.text_ok / self.text_total:.0%})"
            if self.text_total
            else "-"
        )
        spp = self.seconds / self.pages if self.pages else 0.0
        return (
            f"{name:9s} pages={self.pages:3d} truth={self.truth:3d} found={self.found:3d} "
            f"recall={rec:.1%} precision={prec:.1%} text={txt} s/page={spp:.2f}"
        )


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def score_boxes(t: Tally, found: list[Seal], truth: Sequence[tuple[tuple[float, ...], str | None]]) -> None:
    """Greedy IoU matching (>= 0.3) of found seals to truth boxes (fractions); texts compared."""
    t.truth += len(truth)
    t.found += len(found)
    used: set[int] = set()
    for tb, ttext in truth:
        best, bi = 0.0, -1
        for i, s in enumerate(found):
            if i not in used and (v := _iou(s.bbox, tb)) > best:
                best, bi = v, i
        if bi >= 0 and best >= 0.3:
            used.add(bi)
            t.matched += 1
        if ttext:
            t.text_total += 1
            if bi >= 0 and best >= 0.3 and cjk_only(found[bi].text or "") == cjk_only(ttext):
                t.text_ok += 1


def load_image(path: Path) -> np.ndarray:
    """An image file as upright BGR (EXIF orientation applied)."""
    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    return cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR)


def bench_real(read_text: bool) -> Tally:
    t = Tally()
    folder = REAL / "seals"
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    for name, tr in truth.items():
        img = load_image(folder / name)
        t0 = time.perf_counter()
        found = detect_seals_in_image(img, read_text=read_text)
        t.seconds += time.perf_counter() - t0
        t.pages += 1
        t.truth += tr["count"]
        t.found += len(found)
        t.matched += min(len(found), tr["count"])
        texts = [cjk_only(s.text or "") for s in found]
        for tt in tr["texts"]:
            if tt and read_text and len(cjk_only(tt)) >= 4:
                t.text_total += 1
                t.text_ok += int(cjk_only(tt) in texts)
        t.notes.append(f"{name}: {len(found)}/{tr['count']}")
    return t


def bench_licenses(read_text: bool) -> Tally:
    t = Tally()
    for p in sorted((REAL / "licenses").glob("*.jpg")):
        img = load_image(p)
        t0 = time.perf_counter()
        found = detect_seals_in_image(img, read_text=read_text)
        t.seconds += time.perf_counter() - t0
        t.pages += 1
        t.found += len(found)
        t.notes.append(f"{p.name}: {len(found)} " + " ".join(f"{s.shape}/{s.color}" for s in found))
    return t


def synth_mix(seed: int, k: int) -> Any:
    """Synthetic page ``k`` of a set: one seal, two, two overlapping, or none with red title and
    table distractors, in turn."""
    kind = k % 4
    return synth_page(
        seed,
        n_seals=1 if kind == 0 else 2 if kind in (1, 2) else 0,
        overlap=kind == 2,
        red_title=kind == 3 or k % 5 == 0,
        red_table=kind == 3,
    )


def bench_synth(n: int, read_text: bool) -> Tally:
    t = Tally()
    for k in range(n):
        sp = synth_mix(1000 + k, k)
        H, W = sp.image.shape[:2]
        cands = [s[1] for s in sp.seals] + sp.distractors
        t0 = time.perf_counter()
        found = detect_seals_in_image(sp.image, read_text=read_text, candidates=cands)
        t.seconds += time.perf_counter() - t0
        t.pages += 1
        truth = [
            ((b[0] / W, b[1] / H, b[2] / W, b[3] / H), txt if read_text else None) for b, txt in sp.seals
        ]
        score_boxes(t, found, truth)
    return t


def bench_samples(read_text: bool) -> Tally | None:
    subs = sorted(p for p in (ROOT / "sample_docs" / "submissions").glob("*") if p.is_dir())
    if not subs:
        return None
    import pymupdf

    t = Tally()
    for sub in subs:
        tf = sub / "truth.json"
        if not tf.exists():
            continue
        truth: dict[str, Any] = json.loads(tf.read_text(encoding="utf-8"))
        docs: dict[str, Any] = truth.get("documents", truth)
        names = sorted(
            {
                s["text"]
                for d in docs.values()
                if isinstance(d, dict)
                for s in d.get("seals", [])
                if s.get("text")
            }
        )
        for fname, d in docs.items():
            if not isinstance(d, dict) or not (sub / fname).exists():
                continue
            pages = _render(sub / fname, pymupdf)
            for pno, img in enumerate(pages):
                tr = [
                    (tuple(s["bbox"]), s.get("text") if read_text else None)
                    for s in d.get("seals", [])
                    if s.get("page") == pno
                ]
                t0 = time.perf_counter()
                found = detect_seals_in_image(
                    img, pno, read_text=read_text, candidates=[*names, "国家工业信息安全发展研究中心"]
                )
                t.seconds += time.perf_counter() - t0
                t.pages += 1
                score_boxes(t, found, tr)
    return t


def _render(path: Path, pymupdf: Any) -> list[np.ndarray]:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        out = []
        with pymupdf.open(path) as doc:
            for page in doc:
                pix = page.get_pixmap(dpi=200)
                arr = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)
                out.append(cv2.cvtColor(arr, cv2.COLOR_RGB2BGR if pix.n == 3 else cv2.COLOR_RGBA2BGR))
        return out
    if suffix in (".jpg", ".jpeg", ".png", ".tif", ".tiff"):
        im = Image.open(path)
        frames = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(
                cv2.cvtColor(np.asarray(ImageOps.exif_transpose(im).convert("RGB")), cv2.COLOR_RGB2BGR)
            )
        return frames
    return []


# ----------------------------------------------------------------------------- grey (photocopy) sets


def photocopy(bgr: np.ndarray, seed: int) -> np.ndarray:
    """A page as a greyscale photocopy/scan would give it (BGR with three equal channels).

    Luma greyscale (``cv2.COLOR_BGR2GRAY``); levels: the 0.5th percentile becomes black and
    0.88-0.97 x the 90th percentile (the paper) white, clipped; gamma 0.8-1.3; Gaussian noise of
    sigma 3-7; on every second page a blur of sigma 0.5-0.9; JPEG quality 60-85. All random choices
    come from ``seed``."""
    rng = np.random.default_rng(seed)
    g = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    white = float(np.percentile(g, 90)) * rng.uniform(0.88, 0.97)
    black = float(np.percentile(g, 0.5))
    g = np.clip((g - black) / max(1.0, white - black), 0.0, 1.0) ** rng.uniform(0.8, 1.3)
    g = np.clip(g * 255.0 + rng.normal(0.0, rng.uniform(3.0, 7.0), g.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        g = cv2.GaussianBlur(g, (0, 0), rng.uniform(0.5, 0.9))
    buf = io.BytesIO()
    Image.fromarray(g).save(buf, "JPEG", quality=int(rng.integers(60, 86)))
    g = np.asarray(Image.open(buf).convert("L"))
    return cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)


def _seed(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


@dataclass
class GreyTally(Tally):
    """A grey set's counts, plus the time of the grey pass alone and the colour pass's finds."""

    colour_found: int = 0
    colour_seconds: float = 0.0

    def line(self, name: str) -> str:
        extra = (self.seconds - self.colour_seconds) / self.pages if self.pages else 0.0
        return f"{super().line(name)} grey_s/page={extra:.2f} colour-only found={self.colour_found}"


def _grey_detect(
    t: GreyTally,
    img: np.ndarray,
    page: int = 0,
    *,
    read_text: bool = False,
    candidates: list[str] | None = None,
) -> list[Seal]:
    """Seals on a grey page (timed), with the colour-only detection timed and counted beside it."""
    cfg = load_config()
    off = cfg.model_copy(update={"grey": None})
    t0 = time.perf_counter()
    colour = detect_seals_in_image(img, page, read_text=False, config=off)
    t1 = time.perf_counter()
    found = detect_seals_in_image(img, page, read_text=read_text, candidates=candidates, config=cfg)
    t2 = time.perf_counter()
    t.colour_seconds += t1 - t0
    t.seconds += t2 - t1
    t.colour_found += len(colour)
    t.pages += 1
    return found


def _sample_pages() -> list[tuple[str, int, np.ndarray, list[tuple[tuple[float, ...], str | None]]]]:
    """(name, page number, page image, truth boxes with ring texts) of every sample page."""
    import pymupdf

    out = []
    for sub in sorted(p for p in (ROOT / "sample_docs" / "submissions").glob("*") if p.is_dir()):
        tf = sub / "truth.json"
        if not tf.exists():
            continue
        truth: dict[str, Any] = json.loads(tf.read_text(encoding="utf-8"))
        docs: dict[str, Any] = truth.get("documents", truth)
        for fname, d in docs.items():
            if not isinstance(d, dict) or not (sub / fname).exists():
                continue
            for pno, img in enumerate(_render(sub / fname, pymupdf)):
                tr: list[tuple[tuple[float, ...], str | None]] = [
                    (tuple(s["bbox"]), s.get("text")) for s in d.get("seals", []) if s.get("page") == pno
                ]
                out.append((f"{sub.name}/{fname}#{pno}", pno, img, tr))
    return out


def bench_grey(read_text: bool = False) -> tuple[GreyTally, GreyTally]:
    """The ``grey`` set (photocopied samples and real seal images) and its seal-free pages; with
    ``read_text`` the ring text of the samples' seals is read and scored too."""
    t, free = GreyTally(), GreyTally()
    pages = _sample_pages()
    names = sorted({text for *_, tr in pages for _, text in tr if text})
    for name, pno, img, tr in pages:
        grey = photocopy(img, _seed(name))
        sub = GreyTally()
        found = _grey_detect(
            sub, grey, pno, read_text=read_text, candidates=[*names, "国家工业信息安全发展研究中心"]
        )
        score_boxes(sub, found, tr if read_text else [(box, None) for box, _ in tr])
        t.notes.append(f"{name}: {sub.matched}/{len(tr)} found {len(found)}")
        for tt in (t, free) if not tr else (t,):
            tt.truth += sub.truth
            tt.found += sub.found
            tt.matched += sub.matched
            tt.pages += sub.pages
            tt.seconds += sub.seconds
            tt.colour_seconds += sub.colour_seconds
            tt.colour_found += sub.colour_found
            tt.text_total += sub.text_total
            tt.text_ok += sub.text_ok
    if REAL.is_dir():
        folder = REAL / "seals"
        truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        for name, trr in truth.items():
            found = _grey_detect(t, photocopy(load_image(folder / name), _seed(name)))
            t.truth += trr["count"]
            t.found += len(found)
            t.matched += min(len(found), trr["count"])
            t.notes.append(f"{name}: {len(found)}/{trr['count']} " + " ".join(s.shape for s in found))
    return t, free


def bench_grey_synth(n: int) -> GreyTally:
    """The synthetic pages of ``synth`` (seeds 2000+) as photocopies: seals over dense text, two
    overlapping, red titles and red tables (grey after the copy) that must not count."""
    t = GreyTally()
    for k in range(n):
        sp = synth_mix(2000 + k, k)
        H, W = sp.image.shape[:2]
        found = _grey_detect(t, photocopy(sp.image, 2000 + k))
        score_boxes(t, found, [((b[0] / W, b[1] / H, b[2] / W, b[3] / H), None) for b, _ in sp.seals])
        t.notes.append(f"synth {2000 + k}: {len(sp.seals)} seals, found {len(found)}")
    return t


def bench_grey_licences() -> GreyTally:
    """The 20 licences as photocopies; truth boxes are the colour pass's seals on the originals."""
    t = GreyTally()
    cfg_off = load_config().model_copy(update={"grey": None})
    for p in sorted((REAL / "licenses").glob("*.jpg")):
        img = load_image(p)
        colour = detect_seals_in_image(img, read_text=False, config=cfg_off)
        found = _grey_detect(t, photocopy(img, _seed(p.name)))
        score_boxes(t, found, [(s.bbox, None) for s in colour])
        t.notes.append(
            f"{p.name}: colour {len(colour)}, grey {len(found)} "
            + " ".join(f"{s.shape}@{','.join(f'{v:.2f}' for v in s.bbox)}" for s in found)
        )
    return t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="all", choices=["real", "licenses", "samples", "synth", "grey", "all"])
    ap.add_argument("--no-text", action="store_true", help="detection only (no ring OCR)")
    ap.add_argument("--n", type=int, default=12, help="number of synthetic pages")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    rt = not args.no_text
    sets = ["real", "licenses", "samples", "synth"] if args.set == "all" else [args.set]
    if args.set == "grey":
        grey, free = bench_grey(read_text=rt)
        lines: list[tuple[str, Tally]] = [
            ("grey", grey),
            ("grey-free", free),
            ("grey-synth", bench_grey_synth(2 * args.n)),
        ]
        if REAL.is_dir():
            lines.append(("grey-lic", bench_grey_licences()))
        for name, tally in lines:
            print(tally.line(name))
            if args.verbose:
                for n in tally.notes:
                    print("   ", n)
        return 0
    for s in sets:
        if s in ("real", "licenses") and not REAL.is_dir():
            print(f"{s:9s} skipped: {REAL} is absent")
            continue
        if s == "real":
            t = bench_real(rt)
        elif s == "licenses":
            t = bench_licenses(rt)
        elif s == "synth":
            t = bench_synth(args.n, rt)
        else:
            got = bench_samples(rt)
            if got is None:
                print("samples   skipped: sample_docs/submissions is empty")
                continue
            t = got
        print(t.line(s))
        if args.verbose:
            for n in t.notes:
                print("   ", n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
