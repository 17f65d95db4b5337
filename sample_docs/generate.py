#!/usr/bin/env python
# ruff: noqa: E501  (CJK text counts double width; the data tables read better unwrapped)
"""Generate the sample submissions under ``sample_docs/submissions/``.

Every submission folder holds ``declared.yaml`` (DESIGN.md §7 "Declared data"), the evidence
documents and ``truth.json`` (the ground truth the benchmark and the tests read).

All companies, people, addresses, phone numbers, contract numbers, certificate numbers and
laboratories are fictional.  The 信创 products named in the compatibility material are real
products; the certificates mentioning them are invented and were never issued by those vendors.

Deterministic: all randomness is seeded from fixed strings and PDF metadata/dates are fixed, so
two runs give byte-identical files (compare ``sha256sum``).

    .venv/bin/python sample_docs/generate.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import shutil
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
import yaml
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from stdnum.cn import uscc as stdnum_uscc

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "submissions"

FONT_BUF = pymupdf.Font("china-s").buffer
FONT = pymupdf.Font(fontbuffer=FONT_BUF)
ASC, DESC = 0.90, 0.14  # visual extent of CJK glyphs relative to the font size

BLACK = (0, 0, 0)
GREY = (0.35, 0.35, 0.35)
SEAL_RGB = (214, 32, 38)
SCAN_DPI = 200

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# ----------------------------------------------------------------------------- helpers

def rng_for(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, key)).encode("utf-8")))


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def ymd(date: dt.date, pad: bool = False) -> str:
    if pad:
        return f"{date.year}年{date.month:02d}月{date.day:02d}日"
    return f"{date.year}年{date.month}月{date.day}日"


CN_DIGITS = "〇一二三四五六七八九"


def cn_num(n: int) -> str:
    """1..31 in Chinese numerals as used in dates (十, 十五, 二十一)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def cn_date(date: dt.date) -> str:
    """二〇二二年五月十日"""
    return "".join(CN_DIGITS[int(c)] for c in str(date.year)) + f"年{cn_num(date.month)}月{cn_num(date.day)}日"


UPPER = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]


def _group_upper(g: int) -> str:
    s, zero = "", False
    for pos in (3, 2, 1, 0):
        digit = g // 10**pos % 10
        if digit == 0:
            zero = zero or bool(s)
        else:
            if zero:
                s += "零"
                zero = False
            s += UPPER[digit] + UNITS[pos]
    return s


def rmb_upper(amount: float) -> str:
    """1234567 -> 壹佰贰拾叁万肆仟伍佰陆拾柒元整 (integer yuan only in these samples)."""
    n = round(amount)
    assert abs(amount - n) < 1e-9, "sample amounts are whole yuan"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, pending = "", False
    for gi in range(len(groups) - 1, -1, -1):
        g = groups[gi]
        if g == 0:
            pending = bool(out)
            continue
        s = _group_upper(g)
        if out and (g < 1000 or pending):
            s = "零" + s
        out += s + ["", "万", "亿"][gi]
        pending = False
    return (out or "零") + "元整"


def money(amount: float) -> str:
    return f"¥{amount:,.2f}"


def org_code(base8: str) -> str:
    """GB 11714 organisation code: 8 characters + check character."""
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c, 36) * w for c, w in zip(base8, weights, strict=True))
    c = 11 - total % 11
    return base8 + {10: "X", 11: "0"}.get(c, str(c))


def make_uscc(division: str, base8: str, bad_check: bool = False) -> str:
    body = "91" + division + org_code(base8)
    check = stdnum_uscc.calc_check_digit(body)
    if bad_check:  # planted: a different, wrong check character
        check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 7) % 31]
        assert not stdnum_uscc.is_valid(body + check)
    else:
        assert stdnum_uscc.is_valid(body + check), body + check
    return body + check


def patent_number(year: int, kind: int, serial: int) -> str:
    """ZL 2021 1 0123456.7 (check digit: weights 2..9,2..5 mod 11, 10 -> X)."""
    digits = f"{year}{kind}{serial:07d}"
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    c = sum(int(x) * w for x, w in zip(digits, weights, strict=True)) % 11
    return f"ZL {year} {kind} {serial:07d}.{'X' if c == 10 else c}"


NO_LINE_START = "，。；：、）》」”,.;:)%"


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy line breaking; Latin words and numbers are not split, no line starts with closing punctuation."""
    lines: list[str] = []
    cur = ""
    for tok in re.findall(r"[A-Za-z0-9.\-+/:_@]+|\n|.", text, re.S):
        if tok == "\n":
            lines.append(cur)
            cur = ""
            continue
        if cur and FONT.text_length(cur + tok, fontsize=size) > width and tok not in NO_LINE_START:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur:
        lines.append(cur)
    return lines


# ----------------------------------------------------------------------------- seals

_PIL_FONTS: dict[int, ImageFont.FreeTypeFont] = {}


def pil_font(size: int) -> ImageFont.FreeTypeFont:
    if size not in _PIL_FONTS:
        _PIL_FONTS[size] = ImageFont.truetype(io.BytesIO(FONT_BUF), size)
    return _PIL_FONTS[size]


def _glyph(ch: str, size: int, squeeze: float) -> Image.Image:
    """One character as an L image, condensed horizontally like seal lettering, bold-ish."""
    font = pil_font(size)
    tile = Image.new("L", (int(size * 1.4), int(size * 1.4)), 0)
    dr = ImageDraw.Draw(tile)
    x0, y0, x1, y1 = dr.textbbox((0, 0), ch, font=font)
    dr.text(((tile.width - (x1 - x0)) / 2 - x0, (tile.height - (y1 - y0)) / 2 - y0), ch, font=font, fill=255,
            stroke_width=max(1, size // 45), stroke_fill=255)
    return tile.resize((max(1, int(tile.width * squeeze)), tile.height), Image.LANCZOS)


def _star(dr: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.382
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    dr.polygon(pts, fill=255)


def seal_mask(text: str, bottom: str = "", px: int = 300, seed: str = "") -> Image.Image:
    """Ink mask (L) of a round seal: ring, name along the upper arc, star, optional bottom line."""
    W = px * 3  # supersampled
    mask = Image.new("L", (W, W), 0)
    dr = ImageDraw.Draw(mask)
    c = W / 2
    R = W / 2 - W * 0.01
    rw = int(W * 0.032)
    dr.ellipse([c - R, c - R, c + R, c + R], outline=255, width=rw)
    n = len(text)
    span = min(285.0, max(200.0, 22.0 * n))
    rt = R - rw - W * 0.08
    fs = int(min(W * 0.14, 0.95 * rt * math.radians(span) / n))
    rt = R - rw - W * 0.018 - fs * 0.55
    for i, ch in enumerate(text):
        a = -span / 2 + span * (i + 0.5) / n  # degrees clockwise from 12 o'clock
        g = _glyph(ch, fs, 0.72).rotate(-a, resample=Image.BICUBIC, expand=True)
        x = c + rt * math.sin(math.radians(a)) - g.width / 2
        y = c - rt * math.cos(math.radians(a)) - g.height / 2
        mask.paste(255, (int(x), int(y)), g)
    _star(dr, c, c - (W * 0.02 if bottom else 0), W * 0.165)
    if bottom:
        bs = int(W * 0.075)
        glyphs = [_glyph(ch, bs, 0.85) for ch in bottom]
        step = bs * 0.92
        x = c - step * len(glyphs) / 2
        for g in glyphs:
            mask.paste(255, (int(x + step / 2 - g.width / 2), int(c + R * 0.36)), g)
            x += step
    mask = mask.resize((px, px), Image.LANCZOS)
    # ink texture: uneven pressure and blotchy voids, quantised so the PNG stays small
    rng = rng_for("seal", text, bottom, seed)
    low = np.array(Image.fromarray(rng.normal(0, 1, (12, 12)).astype(np.float32)).resize((px, px), Image.BICUBIC))
    mid = np.array(Image.fromarray(rng.normal(0, 1, (60, 60)).astype(np.float32)).resize((px, px), Image.BICUBIC))
    tex = np.clip(0.9 + 0.08 * low, 0.6, 1.0)
    tex[mid > 1.5] *= 0.45
    arr = np.asarray(mask, dtype=np.float32) / 255.0 * tex
    out = Image.fromarray(np.clip(arr * 255, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.5))
    return out


def seal_png(text: str, bottom: str, angle: float, seed: str, opacity: float = 0.88) -> tuple[bytes, float]:
    """RGBA PNG of the seal rotated by ``angle``; returns (png, scale of the rotated canvas vs the seal)."""
    m = seal_mask(text, bottom, seed=seed)
    px = m.width
    alpha = m.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=0)
    alpha = alpha.point(lambda v: int(min(255, round(v / 32) * 32) * opacity))  # few levels: small PNG
    rgba = Image.new("RGBA", alpha.size, (*SEAL_RGB, 0))
    rgba.putalpha(alpha)
    buf = io.BytesIO()
    rgba.save(buf, "PNG", optimize=True)
    return buf.getvalue(), rgba.width / px


# ----------------------------------------------------------------------------- document builder

@dataclass
class Built:
    name: str
    doc_type: str
    pdf: bytes
    pages: int
    fields: dict[str, Any]
    seals: list[dict[str, Any]]
    compatibility: list[dict[str, Any]]
    sensitive: list[dict[str, Any]]
    planted: list[str]
    page_sizes: list[tuple[float, float]] = field(default_factory=list)


class DocBuilder:
    def __init__(self, name: str, doc_type: str, fields: dict[str, Any], date: dt.date, title: str):
        self.name, self.doc_type, self.fields, self.date, self.title = name, doc_type, fields, date, title
        self.doc = pymupdf.open()
        self.rng = rng_for("doc", name, title)
        self.seals: list[dict[str, Any]] = []
        self.compat: list[dict[str, Any]] = []
        self.sensitive: list[dict[str, Any]] = []
        self.planted: list[str] = []
        self.page: pymupdf.Page
        self.pno = -1

    # pages and geometry
    def new_page(self, landscape: bool = False, bg: tuple[float, float, float] | None = None) -> pymupdf.Page:
        w, h = (842.0, 595.0) if landscape else (595.0, 842.0)
        self.page = self.doc.new_page(width=w, height=h)
        if bg:
            self.page.draw_rect(self.page.rect, color=None, fill=bg, width=0)
        self.page.insert_font(fontname="cjk", fontbuffer=FONT_BUF)
        self.pno += 1
        return self.page

    @property
    def W(self) -> float:
        return self.page.rect.width

    @property
    def H(self) -> float:
        return self.page.rect.height

    def frac(self, r: pymupdf.Rect | tuple[float, float, float, float]) -> list[float]:
        x0, y0, x1, y1 = r
        return [round(x0 / self.W, 4), round(y0 / self.H, 4), round(x1 / self.W, 4), round(y1 / self.H, 4)]

    # text
    def text(self, x: float, y: float, s: str, size: float = 12, color=BLACK, bold: bool = False,
             align: str = "left") -> pymupdf.Rect:
        """Write ``s`` with its baseline at ``y``; returns the visual box."""
        w = FONT.text_length(s, fontsize=size)
        if align == "center":
            x -= w / 2
        elif align == "right":
            x -= w
        kw: dict[str, Any] = {"fontname": "cjk", "fontsize": size, "color": color}
        if bold:
            kw.update(render_mode=2, border_width=0.04, fill=color)
        self.page.insert_text((x, y), s, **kw)
        return pymupdf.Rect(x, y - size * ASC, x + w, y + size * DESC)

    def para(self, x: float, y: float, width: float, s: str, size: float = 12, leading: float = 1.75,
             indent: bool = True) -> float:
        """Paragraph with first-line indent of two characters; returns the baseline after it."""
        if indent:
            s = "\u3000\u3000" + s
        for line in wrap(s, width, size):
            self.text(x, y, line, size)
            y += size * leading
        return y

    def hline(self, x0: float, x1: float, y: float, width: float = 0.8, color=BLACK) -> None:
        self.page.draw_line((x0, y), (x1, y), color=color, width=width)

    def table(self, x: float, y: float, widths: list[float], rows: list[list[str]], size: float = 10.5,
              row_h: float = 24, header: bool = True) -> list[pymupdf.Rect]:
        """Ruled table; returns the row rectangles."""
        total = sum(widths)
        rects = []
        for i, row in enumerate(rows):
            top = y + i * row_h
            rects.append(pymupdf.Rect(x, top, x + total, top + row_h))
            if header and i == 0:
                self.page.draw_rect(rects[-1], color=None, fill=(0.92, 0.92, 0.92), width=0)
            cx = x
            for w, cell in zip(widths, row, strict=True):
                lines = wrap(cell, w - 8, size)
                if len(lines) == 1:
                    self.text(cx + 5, top + row_h / 2 + size * 0.38, cell, size, bold=header and i == 0)
                else:
                    yy = top + row_h / 2 - (len(lines) - 1) * size * 0.6 + size * 0.38
                    for ln in lines:
                        self.text(cx + 5, yy, ln, size)
                        yy += size * 1.2
                cx += w
        bottom = y + len(rows) * row_h
        for i in range(len(rows) + 1):
            self.hline(x, x + total, y + i * row_h, 0.7 if 0 < i < len(rows) else 1.2)
        cx = x
        for i in range(len(widths) + 1):
            self.page.draw_line((cx, y), (cx, bottom), color=BLACK, width=0.7 if 0 < i < len(widths) else 1.2)
            if i < len(widths):
                cx += widths[i]
        return rects

    # seals, signatures, checkboxes
    def seal(self, cx: float, cy: float, text: str, owner: str, bottom: str = "", diameter: float = 118,
             opacity: float = 0.88) -> None:
        angle = float(self.rng.uniform(-14, 14))
        png, scale = seal_png(text, bottom, angle, seed=f"{self.name}:{self.pno}:{text}", opacity=opacity)
        half = diameter * scale / 2
        self.page.insert_image(pymupdf.Rect(cx - half, cy - half, cx + half, cy + half), stream=png, overlay=True)
        r = diameter / 2
        self.seals.append({"page": self.pno, "bbox": self.frac((cx - r, cy - r, cx + r, cy + r)), "text": text,
                           "shape": "round", "owner": owner})

    def signature(self, x: float, y: float, w: float = 60) -> None:
        """A handwritten-looking scribble (blue-black ink) with its centre line at y."""
        rng = self.rng
        k1, k2, k3 = rng.uniform(3, 5), rng.uniform(6, 9), rng.uniform(1, 2)
        p1, p2 = rng.uniform(0, 6, 2)
        pts = []
        for i in range(120):
            t = i / 119
            px = x + w * t + 4.5 * math.sin(2 * math.pi * k1 * t + p1)
            py = (y + 5.5 * math.sin(2 * math.pi * k2 * t) * (0.5 + 0.5 * math.sin(math.pi * t))
                  + 3 * math.sin(2 * math.pi * k3 * t + p2) - 3 * t)
            pts.append((px, py))
        self.page.draw_polyline(pts, color=(0.08, 0.1, 0.35), width=0.9)
        self.page.draw_polyline([(x + w * 0.1, y + 6), (x + w * 0.55, y + 4.5), (x + w * 1.05, y + 1)],
                                color=(0.08, 0.1, 0.35), width=0.8)

    def checkbox(self, x: float, y: float, checked: bool, size: float = 12) -> float:
        """Drawn box at baseline y; a checked box gets a √ (text) inside. Returns x after the box."""
        box = pymupdf.Rect(x, y - size * 0.85, x + size * 0.95, y + size * 0.1)
        self.page.draw_rect(box, color=BLACK, width=0.8)
        if checked:
            self.text(x + size * 0.08, y - size * 0.05, "√", size * 0.95)
        return x + size * 1.3

    def compat_entry(self, category: str, canonical: str, name: str) -> None:
        self.compat.append({"category": category, "canonical": canonical, "name": name, "page": self.pno})

    def header_footer(self, left: str, right: str) -> None:
        self.text(60, 40, left, 9, GREY)
        self.text(self.W - 60, 40, right, 9, GREY, align="right")
        self.hline(60, self.W - 60, 46, 0.6, GREY)

    def build(self) -> Built:
        sizes = [(p.rect.width, p.rect.height) for p in self.doc]
        stamp = f"D:{self.date:%Y%m%d}093000+08'00'"
        self.doc.set_metadata({"title": self.title, "author": "", "subject": "", "keywords": "",
                               "creator": "WPS 文字", "producer": "sample_docs/generate.py (PyMuPDF)",
                               "creationDate": stamp, "modDate": stamp})
        self.doc.subset_fonts()
        data = self.doc.tobytes(garbage=4, deflate=True, no_new_id=True)
        n = len(self.doc)
        self.doc.close()
        return Built(self.name, self.doc_type, data, n, self.fields, self.seals, self.compat, self.sensitive,
                     self.planted, sizes)


# ----------------------------------------------------------------------------- the applicants (fictional)

# Compatibility catalogue ids used in truth.json (family + version, lowercase-hyphen).
PRODUCTS: dict[str, dict[str, str]] = {
    "phytium-ft2000plus-64": {"category": "cpu", "name": "飞腾FT-2000+/64", "vendor": "飞腾信息技术有限公司"},
    "kunpeng-920": {"category": "cpu", "name": "鲲鹏920", "vendor": "华为技术有限公司"},
    "hygon-c86-7285": {"category": "cpu", "name": "海光C86 7285", "vendor": "海光信息技术股份有限公司"},
    "loongson-3a5000": {"category": "cpu", "name": "龙芯3A5000", "vendor": "龙芯中科技术股份有限公司"},
    "kylin-server-v10": {"category": "os", "name": "银河麒麟高级服务器操作系统V10", "vendor": "麒麟软件有限公司"},
    "uos-server-v20": {"category": "os", "name": "统信UOS服务器操作系统V20", "vendor": "统信软件技术有限公司"},
    "openeuler-20.03-lts": {"category": "os", "name": "openEuler 20.03 LTS SP3", "vendor": "openEuler开源社区"},
    "dameng-dm8": {"category": "database", "name": "达梦数据库管理系统DM8", "vendor": "武汉达梦数据库股份有限公司"},
    "kingbase-es-v8": {"category": "database", "name": "人大金仓数据库管理系统KingbaseES V8",
                       "vendor": "北京人大金仓信息技术股份有限公司"},
    "tongweb-v7": {"category": "middleware", "name": "东方通应用服务器软件TongWeb V7.0",
                   "vendor": "北京东方通科技股份有限公司"},
    "bes-v9.5": {"category": "middleware", "name": "宝兰德应用服务器软件BES Application Server V9.5",
                         "vendor": "北京宝兰德软件股份有限公司"},
}

CATEGORY_CN = {"cpu": "CPU", "os": "操作系统", "database": "数据库", "middleware": "中间件"}

APPLICANTS: dict[str, dict[str, Any]] = {
    "A": {
        "name": "福州榕信智联科技有限公司",
        "short": "榕信智联",
        "division": "350100", "org": "MA2Y7K3B",
        "province": "福建省", "city": "福州市",
        "address": "福建省福州市鼓楼区五凤街道榕信路88号榕信大厦12层",
        "company_type": "有限责任公司（自然人投资或控股）",
        "legal_representative": "林志远",
        "registered_capital": 10_000_000.0,
        "established": "2015-03-02", "validity_end": "2045-03-01",
        "authority": "福州市市场监督管理局", "license_issue": "2021-06-15",
        "business_scope": "一般项目：软件开发；信息系统集成服务；信息技术咨询服务；数据处理和存储支持服务；"
                          "计算机系统服务；网络技术服务；计算机软硬件及辅助设备零售；技术服务、技术开发、技术咨询、"
                          "技术交流、技术转让、技术推广。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        "landscape_license": False,
        "contact": {"name": "李晓婷", "title": "市场部经理", "phone": "13800000217", "email": "lixt@rongxin.example.cn"},
        "solution": "榕信政务协同办公平台信创解决方案",
        "product": "榕信协同办公平台", "version": "V5.2",
        "region": "华东", "industries": ["党务政务"], "scenarios": ["门户", "办公自动化（OA）"],
        "adapted": {"cpu": ["飞腾", "鲲鹏"], "os": ["银河麒麟V10"], "database": ["达梦DM8"],
                    "middleware": ["东方通TongWeb"]},
        "submitted_at": "2023-01-18",
        "auth_date": "2023-01-05", "commit_date": "2023-01-16",
        "disclosure": "自愿",
        "contracts": [
            {"number": "LHSW-XX-2022-017", "party_a": "福建岚海水务集团有限公司",
             "party_a_seal": "福建岚海水务集团有限公司",
             "title": "岚海水务集团协同办公平台信创改造项目实施合同",
             "project": "岚海水务集团协同办公平台信创改造项目", "amount": 1_286_400.0,
             "sign": "2022-03-15", "term": ("2022-04-01", "2022-12-31"), "consortium": None},
            {"number": "QYZC-2021-HT-0936", "party_a": "泉州市清源智慧城市运营有限公司",
             "party_a_seal": "泉州市清源智慧城市运营有限公司",
             "title": "清源智慧城市政务门户及办公系统国产化适配项目合同",
             "project": "清源智慧城市政务门户及办公系统国产化适配项目", "amount": 2_345_000.0,
             "sign": "2021-09-08", "term": ("2021-10-01", "2022-09-30"),
             "consortium": "福建闽榕网络工程有限公司"},
        ],
        "proof": {"issuer": "福建岚海水务集团有限公司", "project": "岚海水务集团协同办公平台信创改造项目",
                  "start": "2022-04-01", "end": "2022-11-30", "date": "2022-12-20",
                  "stack": "飞腾服务器、银河麒麟高级服务器操作系统V10、达梦数据库DM8及东方通TongWeb中间件"},
        "test": {"number": "DNXC-RT-2022-0387", "lab": "东南信创软件测评实验室（福州）有限公司",
                 "date": "2022-08-26",
                 "env": ["phytium-ft2000plus-64", "kunpeng-920", "kylin-server-v10", "dameng-dm8", "tongweb-v7"]},
        "certs": [
            {"style": "mutual", "partner": "kylin-server-v10", "number": "KYRZ-2022-05188",
             "date": "2022-05-10", "valid_text": "本证明在2025年5月之前有效。", "valid_until": "2025-04-30"},
            {"style": "certificate", "partner": "phytium-ft2000plus-64", "number": "FT-CERT-2022-11463",
             "date": "2022-07-21", "valid_text": "有效期至：2025年7月20日", "valid_until": "2025-07-20"},
        ],
        "patent": {"year": 2021, "serial": 1034527, "title": "一种基于国产密码算法的电子公文签章验证方法及系统",
                   "inventors": "林志远；陈思涵；黄建明", "filed": "2021-03-29", "announce": "2022-07-12",
                   "cert_no": "第5312468号", "pub": "CN 113096782 B"},
        "counts": {"patents": 1, "software_copyrights": 0, "standards": 0, "honors": 0},
        "texts": {
            "unit_intro": "福州榕信智联科技有限公司成立于2015年，专注于政务协同办公、电子公文与门户系统的研发与实施，"
                          "拥有软件研发、系统集成和运维服务团队，在福建省内为多家政府部门及国有企业提供信息化服务。",
            "solution_intro": "榕信政务协同办公平台信创解决方案以自主研发的榕信协同办公平台V5.2为核心，"
                              "覆盖公文流转、督查督办、会议管理、信息门户和移动办公等功能，全面适配飞腾、鲲鹏CPU、"
                              "银河麒麟操作系统、达梦数据库和东方通中间件，支持国产密码电子签章。",
            "highlights": "方案已在水务集团和智慧城市运营企业落地，支撑两千余名用户日常办公，"
                          "公文平均流转时间缩短百分之四十，系统连续稳定运行超过三百天，迁移过程中业务零中断。",
            "summary": "针对国有企业协同办公系统国产化替代需求，方案提供从现状调研、适配迁移、数据迁移到运维保障的"
                       "全流程服务。平台采用微服务架构，基于国产软硬件基础设施部署，实现公文、会议、督办、门户一体化，"
                       "并通过国产密码算法保障电子公文的完整性与不可抵赖性。",
            "architecture": "平台分为基础设施层、数据层、服务层和应用层：基础设施层采用飞腾或鲲鹏服务器及银河麒麟"
                            "高级服务器操作系统V10；数据层采用达梦数据库DM8；服务层部署于东方通TongWeb V7.0，"
                            "提供统一身份认证、流程引擎、电子签章和消息服务；应用层提供公文、会议、督办、门户和移动端。",
            "signup_intro": "以榕信协同办公平台为核心的政务协同办公信创解决方案，适配主流国产CPU、操作系统、数据库与中间件。",
        },
    },
    "B": {
        "name": "成都蜀芯云数科技有限公司",
        "short": "蜀芯云数",
        "division": "510100", "org": "MA6C2H8P", "license_org": "MA6C2H3P",
        "province": "四川省", "city": "成都市",
        "address": "四川省成都市高新区锦城大道999号蜀芯云数大厦8楼",
        "company_type": "有限责任公司（自然人投资或控股）",
        "legal_representative": "杨文斌",
        "registered_capital": 50_000_000.0,
        "established": "2017-08-21", "validity_end": None,
        "authority": "成都市市场监督管理局", "license_issue": "2020-11-03",
        "business_scope": "一般项目：软件开发；软件销售；信息系统集成服务；物联网技术服务；工业互联网数据服务；"
                          "数据处理服务；信息技术咨询服务；计算机系统服务；智能控制系统集成。"
                          "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        "landscape_license": True,
        "contact": {"name": "周婧", "title": "解决方案部总监", "phone": "13800000568",
                    "email": "zhoujing@shuxin.example.cn"},
        "solution": "蜀芯能源生产运营监测平台信创解决方案",
        "product": "蜀芯云监测平台", "version": "V3.1",
        "region": "西南", "industries": ["能源（电力、热力、燃气等）"], "scenarios": ["过程监控", "运营管理"],
        "adapted": {"cpu": ["海光", "鲲鹏"], "os": ["openEuler", "统信UOS V20"], "database": ["人大金仓KingbaseES V8"],
                    "middleware": ["宝兰德BES"]},
        "submitted_at": "2023-01-20",
        "auth_date": "2023-01-09", "commit_date": "2023-01-18",
        "disclosure": "经审批后",
        "contracts": [
            {"number": "MJRQ-XM-2019-0612", "party_a": "四川岷江燃气集团有限公司",
             "party_a_seal": "四川岷江燃气集团有限公司",
             "title": "岷江燃气管网生产运营监测系统建设项目合同",
             "project": "岷江燃气管网生产运营监测系统建设项目", "amount": 3_560_000.0,
             "sign": "2019-06-18", "term": ("2019-07-01", "2019-12-31"), "consortium": None},
            {"number": "FCRL-2020-HT-027", "party_a": "绵阳市涪城热力有限公司",
             "party_a_seal": "绵阳市涪城热力有限公司",
             "title": "涪城热力供热管网运行监测平台实施合同",
             "project": "涪城热力供热管网运行监测平台项目", "amount": 868_000.0,
             "sign": "2020-05-12", "term": ("2020-06-01", "2020-10-31"), "consortium": None},
        ],
        "proof": {"issuer": "四川岷江燃气集团有限公司", "project": "岷江燃气管网生产运营监测系统建设项目",
                  "start": "2019-07-01", "end": "2020-09-30", "date": "2020-11-20",
                  "stack": "海光服务器、openEuler操作系统、人大金仓数据库及宝兰德中间件", "no_seal": True},
        "test": {"number": "XBXC-CS-2022-1142", "lab": "西部信创软件测评中心（成都）有限公司",
                 "date": "2022-10-14", "classified": "机密★1年",
                 "env": ["hygon-c86-7285", "kunpeng-920", "openeuler-20.03-lts", "kingbase-es-v8",
                         "bes-v9.5"]},
        "certs": [
            {"style": "mutual", "partner": "kunpeng-920", "number": "KP-HRZ-2022-03071",
             "date": "2022-03-18", "valid_text": "本证明在2025年3月之前有效。", "valid_until": "2025-02-28"},
            {"style": "certificate", "partner": "kingbase-es-v8", "number": "KES-JR-2021-2285",
             "date": "2021-11-25", "valid_text": "有效期至：2024年11月24日", "valid_until": "2024-11-24"},
        ],
        "patent": {"year": 2020, "serial": 1587346, "title": "一种燃气管网压力异常的实时监测与预警方法",
                   "inventors": "杨文斌；何雨桐；邓凯", "filed": "2020-12-11", "announce": "2022-04-26",
                   "cert_no": "第5098217号", "pub": "CN 112612634 B"},
        "counts": {"patents": 1, "software_copyrights": 0, "standards": 0, "honors": 0},
        "texts": {
            "unit_intro": "成都蜀芯云数科技有限公司成立于2017年，面向能源行业提供生产运营监测、物联网接入与数据分析服务，"
                          "在四川省内燃气、热力企业积累了多个落地项目。",
            "solution_intro": "蜀芯能源生产运营监测平台信创解决方案以蜀芯云监测平台V3.1为核心，实现管网压力、流量、"
                              "温度等运行数据的实时采集、监测、预警与分析，基于海光、鲲鹏服务器和国产操作系统、"
                              "人大金仓数据库及宝兰德中间件部署。",
            "highlights": "平台接入监测点位四千余个，报警响应时间由分钟级缩短到秒级，支撑燃气与热力企业安全生产。",
            "summary": "方案面向燃气、热力等能源企业的生产运营监测需求，提供数据采集、实时监测、报警处置、"
                       "运行分析和移动巡检等能力，采用国产软硬件全栈部署，满足安全可控要求。",
            "architecture": "平台由采集接入层、数据层、服务层和应用层组成：采集接入层支持多种工业协议；数据层采用人大金仓"
                            "KingbaseES V8；服务层运行于宝兰德BES应用服务器；底层采用海光或鲲鹏服务器和openEuler、"
                            "统信UOS服务器操作系统。",
            "signup_intro": "面向能源企业的生产运营监测信创解决方案，全栈适配国产CPU、操作系统、数据库与中间件。",
        },
    },
    "C": {
        "name": "深圳鹏启数智信息技术有限公司",
        "short": "鹏启数智",
        "division": "440300", "org": "MA5G4R2D", "bad_check": True,
        "province": "广东省", "city": "深圳市",
        "address": "深圳市南山区粤海街道科技园社区科苑南路3099号鹏启数智大厦15楼",
        "company_type": "有限责任公司",
        "legal_representative": "吴嘉豪",
        "registered_capital": 3_000_000.0,
        "established": "2018-04-09", "validity_end": None,
        "authority": "深圳市市场监督管理局", "license_issue": "2022-02-17",
        "business_scope": "一般经营项目是：计算机软硬件的技术开发、技术咨询、技术服务；信息系统集成；教育软件开发与销售；"
                          "数据库管理；信息技术咨询。（法律、行政法规、国务院决定规定在登记前须经批准的项目除外）",
        "landscape_license": False,
        "contact": {"name": "谢佳琪", "title": "总经理助理", "phone": "13800000893", "email": "xiejq@pengqi.example.cn"},
        "solution": "鹏启智慧教务管理平台信创解决方案",
        "product": "鹏启教务管理系统", "version": "V2.0",
        "region": "华南", "industries": ["教育"], "scenarios": ["组织人事", "档案"],
        "adapted": {"cpu": ["龙芯"], "os": ["统信UOS V20"], "database": ["达梦DM8"], "middleware": ["东方通TongWeb"]},
        "submitted_at": "2023-01-30",
        "auth_date": "2023-01-10", "commit_date": "2023-01-28",
        "disclosure": "不愿",
        "contracts": [
            {"number": "QMZX-2022-CG-045", "party_a": "佛山市南海区启明职业技术学校",
             "party_a_seal": "佛山市南海区启明职业技术学校",
             "title": "启明职业技术学校智慧教务管理平台建设项目合同",
             "project": "启明职业技术学校智慧教务管理平台建设项目", "amount": 756_800.0,
             "sign": "2022-06-20", "term": ("2022-07-01", "2022-12-15"), "consortium": None},
            {"number": "ELSY-2021-XX-112", "party_a": "惠州市鹅岭实验学校",
             "party_a_seal": "惠州市鹅岭实验学校",
             "title": "鹅岭实验学校教务与档案管理系统信创改造合同",
             "project": "鹅岭实验学校教务与档案管理系统信创改造项目", "amount": 432_000.0,
             "sign": "2021-12-03", "term": ("2022-01-01", "2022-06-30"), "consortium": None},
        ],
        "proof": {"issuer": "佛山市南海区启明职业技术学校", "project": "启明职业技术学校智慧教务管理平台建设项目",
                  "start": "2022-07-01", "end": "2022-12-15", "date": "2023-01-06",
                  "stack": "龙芯服务器、统信UOS服务器操作系统V20、达梦数据库DM8及东方通TongWeb中间件"},
        "test": {"number": "YGA-XC-2022-0718", "lab": "粤港澳信创软件检测技术（广州）有限公司",
                 "date": "2022-09-30",
                 "env": ["loongson-3a5000", "uos-server-v20", "dameng-dm8", "tongweb-v7"]},
        "certs": [
            {"style": "mutual", "partner": "loongson-3a5000", "number": "LS-JR-2022-0823",
             "date": "2022-08-23", "valid_text": "本证明在2025年8月之前有效。", "valid_until": "2025-07-31"},
            {"style": "certificate", "partner": "uos-server-v20", "number": "UOS-HRZ-2022-30569",
             "date": "2022-04-15", "valid_text": "有效期至：2025年4月14日", "valid_until": "2025-04-14"},
        ],
        "patent": {"year": 2021, "serial": 1190354, "title": "一种面向国产化环境的排课冲突检测方法及装置",
                   "inventors": "吴嘉豪；谢佳琪；罗志强", "filed": "2021-09-26", "announce": "2022-11-08",
                   "cert_no": "第5571293号", "pub": "CN 113836415 B"},
        "counts": {"patents": 1, "software_copyrights": 0, "standards": 0, "honors": 0},
        "texts": {
            "unit_intro": "深圳鹏启数智信息技术有限公司成立于2018年，专注于教育信息化软件研发，产品覆盖教务、排课、"
                          "档案与人事管理。",
            "solution_intro": "鹏启智慧教务管理平台信创解决方案以鹏启教务管理系统V2.0为核心，提供排课、选课、成绩、"
                              "教师人事与档案管理功能，适配龙芯3A5000、统信UOS服务器操作系统V20、达梦DM8和东方通TongWeb。",
            "highlights": "方案已在两所职业院校和中小学落地，排课效率提升百分之六十，实现教务数据统一管理。",
            "summary": "方案面向职业院校与中小学的教务管理国产化需求，提供统一的教务、人事与档案管理平台，"
                       "基于国产软硬件全栈部署。",
            "architecture": "平台采用B/S架构，底层为龙芯服务器与统信UOS服务器操作系统V20，数据层采用达梦数据库DM8，"
                            "应用部署于东方通TongWeb V7.0。",
            "signup_intro": "面向学校教务管理的信创解决方案，适配龙芯、统信UOS、达梦与东方通。",
        },
    },
}

TEXT_LIMITS = {"unit_intro": 200, "solution_intro": 300, "highlights": 300, "summary": 500, "architecture": 1000,
               "signup_intro": 500}


def applicant_uscc(a: dict[str, Any]) -> str:
    return make_uscc(a["division"], a["org"], bad_check=a.get("bad_check", False))


def license_uscc(a: dict[str, Any]) -> str:
    return make_uscc(a["division"], a.get("license_org", a["org"]), bad_check=a.get("bad_check", False))


# ----------------------------------------------------------------------------- documents

LIC_BG = (0.995, 0.975, 0.935)
LIC_FRAME = (0.55, 0.33, 0.18)


def _qr(b: DocBuilder, x: float, y: float, size: float, seed: str) -> None:
    """A QR-looking block (random modules with finder patterns; not decodable)."""
    n = 25
    m = size / n
    rng = rng_for("qr", seed)
    grid = rng.random((n, n)) < 0.5
    for fx, fy in ((0, 0), (n - 7, 0), (0, n - 7)):
        grid[fy:fy + 7, fx:fx + 7] = False
        grid[fy, fx:fx + 7] = grid[fy + 6, fx:fx + 7] = True
        grid[fy:fy + 7, fx] = grid[fy:fy + 7, fx + 6] = True
        grid[fy + 2:fy + 5, fx + 2:fx + 5] = True
    shape = b.page.new_shape()
    for r in range(n):
        for c in range(n):
            if grid[r, c]:
                shape.draw_rect(pymupdf.Rect(x + c * m, y + r * m, x + (c + 1) * m, y + (r + 1) * m))
    shape.finish(color=None, fill=BLACK, width=0)
    shape.commit()


def business_license(a: dict[str, Any], name: str) -> DocBuilder:
    uscc = license_uscc(a)
    est = d(a["established"])
    end = d(a["validity_end"]) if a["validity_end"] else None
    issue = d(a["license_issue"])
    fields = {"uscc": uscc, "company_name": a["name"], "company_type": a["company_type"],
              "legal_representative": a["legal_representative"],
              "registered_capital": a["registered_capital"], "established_date": est.isoformat(),
              "validity_start": est.isoformat(), "validity_end": end.isoformat() if end else None,
              "address": a["address"], "business_scope": a["business_scope"],
              "registration_authority": a["authority"], "issue_date": issue.isoformat()}
    b = DocBuilder(name, "business_license", fields, issue, "营业执照")
    land = a["landscape_license"]
    b.new_page(landscape=land, bg=LIC_BG)
    W, H = b.W, b.H
    b.page.draw_rect(pymupdf.Rect(18, 18, W - 18, H - 18), color=LIC_FRAME, width=3.5)
    b.page.draw_rect(pymupdf.Rect(25, 25, W - 25, H - 25), color=LIC_FRAME, width=0.8)
    capital = "人民币" + rmb_upper(a["registered_capital"])
    validity = f"{ymd(est, True)} 至 {ymd(end, True) if end else '长期'}"
    rows = [("名　　称", a["name"]), ("类　　型", a["company_type"]), ("法定代表人", a["legal_representative"]),
            ("经营范围", a["business_scope"]), ("注册资本", capital), ("成立日期", ymd(est, True)),
            ("营业期限", validity), ("住　　所", a["address"])]
    if not land:
        b.text(W / 2, 150, "营  业  执  照", 40, bold=True, align="center")
        b.text(W / 2, 188, "（副　　本）", 15, align="center")
        b.text(W - 70, 80, "副本编号：1-1", 9.5, align="right")
        b.text(62, 232, "统一社会信用代码", 11)
        b.text(62, 252, uscc, 13)
        _qr(b, W - 140, 205, 72, uscc)
        b.text(W - 104, 292, "扫描二维码登录“国家企业", 6.5, align="center")
        b.text(W - 104, 301, "信用信息公示系统”了解更多", 6.5, align="center")
        y = 340
        for label, value in rows:
            b.text(70, y, label, 12.5)
            if label in ("经营范围", "住　　所"):
                for line in wrap(value, 340, 11.5):
                    b.text(160, y, line, 11.5)
                    y += 20
                y += 12
            else:
                b.text(160, y, value, 12.5)
                y += 32
        b.text(330, 712, "登记机关", 13)
        b.text(W - 70, 758, ymd(issue, True), 12.5, align="right")
        b.seal(455, 722, a["authority"], "authority", diameter=120)
        fy = H - 45
    else:
        b.text(W / 2, 96, "营  业  执  照", 36, bold=True, align="center")
        b.text(W / 2, 128, "（副　　本）", 14, align="center")
        b.text(70, 70, "副本编号：1-1", 9.5)
        b.text(70, 160, "统一社会信用代码", 11)
        b.text(70, 180, uscc, 13)
        _qr(b, W - 150, 78, 70, uscc)
        b.text(W - 115, 162, "扫描二维码登录“国家企业", 6.5, align="center")
        b.text(W - 115, 171, "信用信息公示系统”了解更多", 6.5, align="center")
        y = 225
        for label, value in rows[:4]:
            b.text(70, y, label, 12)
            lines = wrap(value, 265, 11) if label == "经营范围" else [value]
            for line in lines:
                b.text(150, y, line, 11 if label == "经营范围" else 12)
                y += 19 if label == "经营范围" else 0
            y += 30
        y = 225
        for label, value in rows[4:]:
            b.text(450, y, label, 12)
            lines = wrap(value, 240, 11.5) if label == "住　　所" else [value]
            for line in lines:
                b.text(530, y, line, 11.5 if label == "住　　所" else 12)
                y += 19 if label == "住　　所" else 0
            y += 30
        b.text(560, 478, "登记机关", 13)
        b.text(W - 70, 522, ymd(issue, True), 12, align="right")
        b.seal(690, 482, a["authority"], "authority", diameter=112)
        fy = H - 40
    b.text(W / 2, fy - 14, "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统报送公示年度报告。", 7.5,
           align="center")
    b.text(50, fy, "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", 7.5)
    b.text(W - 50, fy, "国家市场监督管理总局监制", 7.5, align="right")
    return b


def _sign_block(b: DocBuilder, x: float, y: float, party_label: str, company: str, date: dt.date,
                owner: str | None, seal_bottom: str = "", extra: list[tuple[str, bool]] | None = None,
                date_label: str = "日期：") -> float:
    """Company name (sealed), optional signature lines, date. Returns the y after the block."""
    r = b.text(x, y, party_label, 12.5)
    r2 = b.text(r.x1 + 2, y, company, 12.5) if company else r
    y += 38
    for label, scribble in extra or []:
        rr = b.text(x, y, label, 12)
        if scribble:
            b.signature(rr.x1 + 6, y - 5, 55)
        y += 34
    rd = b.text(x, y, date_label + ymd(date), 12.5)
    if owner:
        cx = min(r2.x1 - 70, b.W - 110)
        cy = (r.y0 + rd.y1) / 2 - 8
        b.seal(cx, cy, company, owner, bottom=seal_bottom)
    return y + 30


def authorization_letter(a: dict[str, Any], name: str) -> DocBuilder:
    date = d(a["auth_date"])
    c = a["contact"]
    fields = {"authorized_person": c["name"], "company_name": a["name"], "issue_date": date.isoformat()}
    b = DocBuilder(name, "authorization_letter", fields, date, "注册授权书")
    b.new_page()
    b.text(b.W / 2, 130, "注 册 授 权 书", 22, bold=True, align="center")
    b.text(80, 195, "工业和信息化部电子第五研究所：", 13)
    y = b.para(80, 235, 435, f"兹授权我单位{c['name']}同志（部门/职务：{c['title']}，联系电话：{c['phone']}）"
               "作为我单位代表，在信息技术应用创新解决方案申报平台（https://www.xcserver.cn）办理账号注册、"
               "解决方案报名及申报材料提交等相关事宜。被授权人在上述范围内办理的事项及签署的文件，"
               "我单位均予以承认，并承担相应的法律责任。", 13, 1.9)
    y = b.para(80, y + 6, 435, "授权期限：自本授权书签署之日起至2023年12月31日止。", 13, 1.9)
    b.para(80, y + 6, 435, "特此授权。", 13)
    _sign_block(b, 220, 560, "授权单位（盖章）：", a["name"], date, "applicant",
                extra=[("法定代表人（签字）：", True), ("被授权人（签字）：", True)])
    return b


def materials_list(a: dict[str, Any]) -> list[str]:
    items = ["营业执照（副本）", "注册授权书", "申报材料公开承诺书"]
    items += [f"项目实施合同（{ct['party_a']}）" for ct in a["contracts"]]
    items += [f"应用证明（{a['proof']['issuer']}）", f"第三方测试报告（{a['test']['number']}）"]
    for cert in a["certs"]:
        partner = PRODUCTS[cert["partner"]]
        kind = "兼容性互认证明" if cert["style"] == "mutual" else "产品兼容性认证证书"
        items.append(f"{kind}（{partner['name']}）")
    items.append("发明专利证书（" + patent_number(a["patent"]["year"], 1, a["patent"]["serial"]) + "）")
    return items


def commitment_letter(a: dict[str, Any], name: str) -> DocBuilder:
    date = d(a["commit_date"])
    items = materials_list(a)
    fields = {"solution_name": a["solution"], "materials": items, "issue_date": date.isoformat()}
    b = DocBuilder(name, "commitment_letter", fields, date, "信息技术应用创新解决方案申报承诺书")
    b.new_page()
    b.text(b.W / 2, 110, "信息技术应用创新解决方案申报承诺书", 19, bold=True, align="center")
    b.text(80, 165, "方案名称：" + a["solution"], 13)
    b.hline(145, 515, 169, 0.6)
    y = b.para(80, 205, 435, "本方案具体内容通过线上系统进行填报，并提交相关证明材料，清单如下：", 12.5)
    y += 4
    for i, item in enumerate(items, 1):
        b.text(104, y, f"{i}. {item}", 12)
        y += 25
    y = b.para(80, y + 14, 435, "我单位申报的所有材料，均真实、完整，且不涉及国家秘密，如有不实，自愿承担相应的责任。",
               12.5, 1.9)
    _sign_block(b, 220, max(y + 60, 640), "企业名称（盖章）：", a["name"], date, "applicant")
    return b


def disclosure_commitment(a: dict[str, Any], name: str) -> DocBuilder:
    date = d(a["commit_date"])
    fields = {"choice": a["disclosure"], "issue_date": date.isoformat()}
    b = DocBuilder(name, "disclosure_commitment", fields, date, "申报材料公开承诺书")
    b.new_page()
    b.text(b.W / 2, 150, "申报材料公开承诺书", 22, bold=True, align="center")
    b.text(80, 250, "\u3000\u3000在不涉及商业机密的情况下，我单位", 13.5)
    x = 130
    for opt in ("自愿", "经审批后", "不愿"):
        x = b.checkbox(x, 295, opt == a["disclosure"], 13.5)
        r = b.text(x, 295, opt, 13.5)
        x = r.x1 + 40
    b.text(80, 340, "公开本材料供主办单位和承办单位用于学习交流分享。", 13.5)
    _sign_block(b, 220, 520, "企业名称（盖章）：", a["name"], date, "applicant")
    return b


def _party_block(b: DocBuilder, x: float, top: float, label: str, company: str, sign: dt.date, seal_text: str,
                 owner: str, bottom: str) -> None:
    b.text(x, top, label, 12)
    name = b.text(x, top + 26, company, 12)
    rr = b.text(x, top + 64, "法定代表人或授权代表：", 11.5)
    b.signature(rr.x1 + 4, top + 58, 50)
    b.text(x, top + 100, "签订日期：" + ymd(sign), 12)
    b.seal(min(name.x1, x + 200) - 48, top + 42, seal_text, owner, bottom=bottom)


def contract(a: dict[str, Any], ct: dict[str, Any], name: str) -> DocBuilder:
    sign = d(ct["sign"])
    t0, t1 = (d(x) for x in ct["term"])
    party_b: Any = [a["name"], ct["consortium"]] if ct["consortium"] else a["name"]
    fields = {"contract_title": ct["title"], "contract_number": ct["number"], "project_name": ct["project"],
              "party_a": ct["party_a"], "party_b": party_b, "sign_date": sign.isoformat(),
              "amount": ct["amount"], "term_start": t0.isoformat(), "term_end": t1.isoformat()}
    b = DocBuilder(name, "contract", fields, sign, ct["title"])
    b.new_page()
    b.text(515, 70, "合同编号：" + ct["number"], 10.5, align="right")
    size = 18 if FONT.text_length(ct["title"], fontsize=18) < 430 else 16
    b.text(b.W / 2, 125, ct["title"], size, bold=True, align="center")
    y = 180
    b.text(80, y, "甲方（委托方）：" + ct["party_a"], 12)
    y += 24
    if ct["consortium"]:
        b.text(80, y, "乙方（联合体牵头人）：" + a["name"], 12)
        y += 24
        b.text(80, y, "乙方（联合体成员）：" + ct["consortium"], 12)
    else:
        b.text(80, y, "乙方（承接方）：" + a["name"], 12)
    y += 36
    y = b.para(80, y, 435, "根据《中华人民共和国民法典》及相关法律法规，甲乙双方本着平等自愿、诚实信用的原则，"
               f"经友好协商，就{ct['project']}的实施事宜达成如下协议，以资共同遵守。", 11.5)
    sections = [
        ("第一条　项目名称", f"{ct['project']}。"),
        ("第二条　项目内容", f"乙方负责在甲方指定的国产化软硬件环境中部署{a['product']}{a['version']}，完成需求调研、"
                       "系统适配、数据迁移、联调测试、上线试运行及用户培训等工作，具体内容以附件《项目技术方案》为准。"),
        ("第三条　合同金额", f"本合同总金额为人民币（大写）{rmb_upper(ct['amount'])}（小写：{money(ct['amount'])}），"
                       "该金额已包含税费、实施、培训及质保期内的服务费用。"),
        ("第四条　实施期限", f"自{ymd(t0)}起至{ymd(t1)}止。乙方应按照甲方确认的实施计划完成各阶段工作。"),
        ("第五条　付款方式", "合同签订后十五个工作日内，甲方支付合同总金额的百分之三十；系统上线试运行后支付百分之六十；"
                       "质保期满后支付剩余百分之十。"),
    ]
    for head, body in sections:
        y += 6
        b.text(80, y, head, 12, bold=True)
        y = b.para(80, y + 22, 435, body, 11.5)
    b.text(b.W / 2, 800, "第 1 页  共 8 页", 9, GREY, align="center")

    b.new_page()
    y = 90
    b.text(80, y, "第十二条　其他", 12, bold=True)
    y = b.para(80, y + 22, 435, "本合同未尽事宜，由双方协商解决。本合同一式肆份，甲乙双方各执贰份，具有同等法律效力，"
               "自双方签字盖章之日起生效。", 11.5)
    b.text(80, y + 10, "（以下无正文）", 11.5)
    top = y + 90
    _party_block(b, 80, top, "甲方（盖章）：", ct["party_a"], sign, ct["party_a_seal"], "customer", "合同专用章")
    label = "乙方（联合体牵头人）（盖章）：" if ct["consortium"] else "乙方（盖章）："
    _party_block(b, 320, top, label, a["name"], sign, a["name"], "applicant", "合同专用章")
    if ct["consortium"]:
        _party_block(b, 320, top + 190, "乙方（联合体成员）（盖章）：", ct["consortium"], sign, ct["consortium"],
                     "partner", "")
    b.text(b.W / 2, 800, "第 8 页  共 8 页", 9, GREY, align="center")
    return b


def application_proof(a: dict[str, Any], name: str) -> DocBuilder:
    p = a["proof"]
    date, s, e = d(p["date"]), d(p["start"]), d(p["end"])
    fields = {"issuer": p["issuer"], "project_name": p["project"], "deployment_start": s.isoformat(),
              "deployment_end": e.isoformat(), "issue_date": date.isoformat()}
    b = DocBuilder(name, "application_proof", fields, date, "应用证明")
    b.new_page()
    b.text(b.W / 2, 140, "应 用 证 明", 24, bold=True, align="center")
    y = b.para(80, 220, 435, f"兹证明，{a['name']}于{ymd(s)}至{ymd(e)}期间，在我单位实施部署了"
               f"{a['product']}{a['version']}（{a['solution']}），完成“{p['project']}”建设。"
               f"系统运行环境采用{p['stack']}，各项功能满足我单位业务需求，系统运行稳定，应用效果良好。", 13, 1.9)
    b.para(80, y + 8, 435, "特此证明。", 13)
    b.text(260, 560, p["issuer"], 13)
    b.text(260, 600, ymd(date), 13)
    if p.get("no_seal"):
        b.planted.append("application proof carries no seal (seal.required fails)")
    else:
        b.seal(260 + min(FONT.text_length(p["issuer"], fontsize=13), 230) - 60, 575, p["issuer"], "customer")
    if e < d(a["submitted_at"]).replace(year=d(a["submitted_at"]).year - 2):
        b.planted.append(f"deployment period {s} – {e} lies entirely before the two-year window")
    return b


def test_report(a: dict[str, Any], name: str) -> DocBuilder:
    t = a["test"]
    date = d(t["date"])
    fields = {"report_number": t["number"], "testing_organization": t["lab"], "product_name": a["product"],
              "product_version": a["version"], "client": a["name"], "conclusion": "通过",
              "report_date": date.isoformat()}
    b = DocBuilder(name, "test_report", fields, date, "测试报告")
    b.new_page()
    b.text(515, 80, "报告编号：" + t["number"], 11, align="right")
    b.text(b.W / 2, 220, "测  试  报  告", 32, bold=True, align="center")
    b.text(b.W / 2, 262, "（信创适配确认测试）", 14, align="center")
    y = 380
    for label, value in (("产品名称", a["product"]), ("版 本 号", a["version"]), ("委托单位", a["name"]),
                         ("测试类别", "信创适配确认测试"), ("测试单位", t["lab"]), ("报告日期", ymd(date))):
        b.text(130, y, label + "：", 13)
        b.text(215, y, value, 13)
        b.hline(212, 470, y + 5, 0.6)
        y += 38
    b.text(b.W / 2, 720, t["lab"], 13, align="center")
    b.text(b.W / 2, 748, ymd(date), 13, align="center")
    b.seal(b.W / 2 + 40, 722, t["lab"], "third_party", bottom="检验检测专用章")

    b.new_page()
    b.header_footer(t["lab"], f"报告编号：{t['number']}　第2页 共3页")
    if t.get("classified"):
        r = b.text(60, 72, t["classified"], 14, bold=True)
        b.sensitive.append({"page": b.pno, "bbox": b.frac(r), "text": t["classified"], "category": "classified"})
        b.planted.append(f"classification marking “{t['classified']}” in the page-2 header")
    y = 110
    b.text(70, y, "一、测试依据", 13, bold=True)
    y = b.para(70, y + 26, 455, "GB/T 25000.51-2016《系统与软件工程 系统与软件质量要求和评价（SQuaRE）"
               "第51部分：就绪可用软件产品（RUSP）的质量要求和测试细则》。", 11.5)
    b.text(70, y + 6, "二、测试对象", 13, bold=True)
    y = b.para(70, y + 32, 455, f"{a['product']}{a['version']}，委托单位：{a['name']}。", 11.5)
    b.text(70, y + 6, "三、测试环境", 13, bold=True)
    rows = [["序号", "类别", "名称及版本", "厂商"]]
    for i, key in enumerate(t["env"], 1):
        p = PRODUCTS[key]
        rows.append([str(i), CATEGORY_CN[p["category"]], p["name"], p["vendor"]])
    rects = b.table(70, y + 22, [36, 64, 200, 155], rows, 10.5, 32)
    for key in t["env"]:
        p = PRODUCTS[key]
        b.compat_entry(p["category"], key, p["name"])
    y = rects[-1].y1 + 34
    b.text(70, y, "四、测试时间", 13, bold=True)
    start = date - dt.timedelta(days=24)
    b.para(70, y + 26, 455, f"{ymd(start)}至{ymd(date - dt.timedelta(days=6))}。", 11.5)

    b.new_page()
    b.header_footer(t["lab"], f"报告编号：{t['number']}　第3页 共3页")
    y = 90
    b.text(70, y, "五、测试结果", 13, bold=True)
    rows = [["序号", "质量特性", "测试内容", "结果"]]
    for i, (q, c) in enumerate((("功能性", "公文、流程、门户等功能的正确性与完备性"),
                                ("性能效率", "并发用户500，平均响应时间小于2秒"),
                                ("兼容性", "在测试环境所列软硬件上安装、运行与卸载"),
                                ("可靠性", "连续运行72小时无异常"),
                                ("信息安全性", "身份鉴别、访问控制与安全审计"),
                                ("易用性", "界面一致性与操作引导")), 1):
        rows.append([str(i), q, c, "通过"])
    rects = b.table(70, y + 20, [40, 80, 265, 70], rows, 10.5, 28)
    y = rects[-1].y1 + 40
    b.text(70, y, "六、测试结论", 13, bold=True)
    b.para(70, y + 28, 455, f"经测试，{a['product']}{a['version']}在上述国产化软硬件环境中功能运行正常，"
           "各项测试指标满足要求。测试结论：通过。", 12)
    b.text(300, 640, "测试单位（盖章）：", 12)
    b.text(300, 666, t["lab"], 12)
    b.text(300, 700, "报告日期：" + ymd(date), 12)
    b.seal(420, 668, t["lab"], "third_party", bottom="检验检测专用章")
    return b


def compat_certificate(a: dict[str, Any], cert: dict[str, Any], name: str) -> DocBuilder:
    p = PRODUCTS[cert["partner"]]
    date = d(cert["date"])
    fields = {"certificate_number": cert["number"], "product_name": a["product"], "product_version": a["version"],
              "partner_product": p["name"], "partner_vendor": p["vendor"], "issuer": p["vendor"],
              "issue_date": date.isoformat(), "valid_until": cert["valid_until"]}
    mutual = cert["style"] == "mutual"
    title = "兼容性互认证明" if mutual else "产品兼容性认证证书"
    b = DocBuilder(name, "compat_certificate", fields, date, title)
    b.new_page(landscape=True, bg=(0.99, 0.985, 0.96))
    W, H = b.W, b.H
    frame = (0.12, 0.3, 0.55) if mutual else (0.62, 0.48, 0.18)
    b.page.draw_rect(pymupdf.Rect(20, 20, W - 20, H - 20), color=frame, width=5)
    b.page.draw_rect(pymupdf.Rect(30, 30, W - 30, H - 30), color=frame, width=1)
    b.text(W / 2, 110, title, 32, bold=True, align="center", color=frame if not mutual else BLACK)
    b.text(W - 80, 150, ("证明编号：" if mutual else "证书编号：") + cert["number"], 11, align="right")
    if mutual:
        body = (f"经{a['name']}与{p['vendor']}联合测试，{a['product']}{a['version']}与{p['name']}"
                "完成兼容性适配测试，功能与性能表现良好，运行稳定，满足用户应用需求，双方特此互认。")
        y = b.para(110, 210, W - 220, body, 15, 1.9)
        b.text(150, y + 8, f"互认产品：{a['product']} {a['version']}　×　{p['name']}", 13)
        b.text(150, y + 36, cert["valid_text"], 12)
        b.text(150, 455, a["name"], 13)
        b.text(W - 150, 455, p["vendor"], 13, align="right")
        b.text(W - 150, 490, cn_date(date), 13, align="right")
        b.seal(150 + FONT.text_length(a["name"], fontsize=13) / 2, 445, a["name"], "applicant")
        b.seal(W - 150 - FONT.text_length(p["vendor"], fontsize=13) / 2, 450, p["vendor"], "partner")
    else:
        body = (f"兹证明{a['name']}的{a['product']}{a['version']}与{p['vendor']}的{p['name']}"
                "经兼容性测试，安装部署、功能运行与性能表现符合要求，兼容性良好，特发此证。")
        y = b.para(110, 200, W - 220, body, 15, 1.9)
        y += 10
        for label, value in (("产品名称", f"{a['product']} {a['version']}"),
                             ("适配产品", p["name"]), ("颁发日期", cn_date(date))):
            b.text(150, y, f"{label}：{value}", 13)
            y += 28
        b.text(150, y, cert["valid_text"], 13)
        b.text(W - 110, 470, p["vendor"], 13, align="right")
        b.text(W - 110, 500, cn_date(date), 13, align="right")
        b.seal(W - 110 - FONT.text_length(p["vendor"], fontsize=13) / 2, 470, p["vendor"], "partner")
    b.compat_entry(p["category"], cert["partner"], p["name"])
    return b


def patent_certificate(a: dict[str, Any], name: str) -> DocBuilder:
    pt = a["patent"]
    number = patent_number(pt["year"], 1, pt["serial"])
    announce = d(pt["announce"])
    fields = {"patent_number": number, "title": pt["title"], "owner": a["name"],
              "announce_date": announce.isoformat()}
    b = DocBuilder(name, "patent_certificate", fields, announce, "发明专利证书")
    b.new_page(bg=(0.995, 0.99, 0.975))
    W, H = b.W, b.H
    b.page.draw_rect(pymupdf.Rect(22, 22, W - 22, H - 22), color=(0.45, 0.1, 0.1), width=2.5)
    b.text(W / 2, 150, "发 明 专 利 证 书", 28, bold=True, align="center")
    b.text(W / 2, 195, "证书号" + pt["cert_no"], 12, align="center")
    y = 260
    rows = [("发 明 名 称：", pt["title"]), ("发  明  人：", pt["inventors"]), ("专  利  号：", number),
            ("专利申请日：", ymd(d(pt["filed"]))), ("专  利  权  人：", a["name"]), ("地       址：", a["address"]),
            ("授权公告日：", ymd(announce)), ("授权公告号：", pt["pub"])]
    for label, value in rows:
        b.text(85, y, label, 12)
        lines = wrap(value, 330, 12)
        for line in lines:
            b.text(180, y, line, 12)
            y += 20
        y += 10
    b.para(85, y + 20, 425, "国家知识产权局依照中华人民共和国专利法经过审查，决定授予专利权，颁发发明专利证书"
           "并在专利登记簿上予以登记。专利权自授权公告之日起生效。专利权期限为二十年，自申请日起算。", 11.5)
    b.para(85, y + 110, 425, "专利证书记载专利权登记时的法律状况。专利权的转移、质押、无效、终止、恢复和专利权人的"
           "姓名或名称、国籍、地址变更等事项记载在专利登记簿上。", 11.5)
    b.text(W - 90, 735, "局长", 12, align="right")
    b.signature(W - 185, 730, 55)
    return b


# ----------------------------------------------------------------------------- the born-digital set

RULES_FAILING = {
    "A": [],
    "B": ["identity.uscc_matches_declared", "seal.required", "deployment.within_two_years",
          "compat.declared_backed", "sensitive.none_found"],
    "C": ["identity.uscc_valid"],
}


def born_digital_documents(key: str) -> list[Built]:
    a = APPLICANTS[key]
    ref = d(a["submitted_at"])
    window_start = ref.replace(year=ref.year - 2)
    docs: list[DocBuilder] = [
        business_license(a, "license.pdf"),
        authorization_letter(a, "authorization-letter.pdf"),
        commitment_letter(a, "commitment-letter.pdf"),
        disclosure_commitment(a, "disclosure-commitment.pdf"),
    ]
    lic = docs[0]
    if a.get("license_org"):
        lic.planted.append(f"licence USCC {license_uscc(a)} differs from the declared {applicant_uscc(a)} "
                           "(both have a correct check digit)")
    if a.get("bad_check"):
        body = applicant_uscc(a)[:17]
        lic.planted.append(f"USCC {applicant_uscc(a)} has a wrong check digit (correct: "
                           f"{body}{stdnum_uscc.calc_check_digit(body)}); the declared USCC is the same wrong code")
    for i, ct in enumerate(a["contracts"], 1):
        b = contract(a, ct, f"contract-{i}.pdf")
        if d(ct["term"][1]) < window_start:
            b.planted.append(f"signed {ct['sign']}, term ends {ct['term'][1]}: before the two-year window "
                             f"starting {window_start}")
        docs.append(b)
    docs.append(application_proof(a, "application-proof.pdf"))
    tr = test_report(a, "test-report.pdf")
    declared_os = a["adapted"]["os"]
    if "统信UOS V20" in declared_os and "uos-server-v20" not in a["test"]["env"] and not any(
            c["partner"] == "uos-server-v20" for c in a["certs"]):
        tr.planted.append("declared OS 统信UOS V20 is backed by no certificate and not listed in this test "
                          "environment (compat.declared_backed fails)")
    docs.append(tr)
    for i, cert in enumerate(a["certs"], 1):
        docs.append(compat_certificate(a, cert, f"compat-cert-{i}.pdf"))
    docs.append(patent_certificate(a, "patent-certificate.pdf"))
    return [b.build() for b in docs]


# ----------------------------------------------------------------------------- the "scanned" set

def rotate_box(box: list[float], angle: float, w: int, h: int) -> list[float]:
    """Map a fractional box through PIL's ``rotate(angle)`` (counter-clockwise, about the centre)."""
    cx, cy = w / 2, h / 2
    t = math.radians(angle)
    xs, ys = [], []
    for fx, fy in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        x, y = fx * w - cx, fy * h - cy
        xs.append(cx + x * math.cos(t) + y * math.sin(t))
        ys.append(cy - x * math.sin(t) + y * math.cos(t))
    return [round(max(0.0, min(xs) / w), 4), round(max(0.0, min(ys) / h), 4),
            round(min(1.0, max(xs) / w), 4), round(min(1.0, max(ys) / h), 4)]


def rotate_circle_box(box: list[float], angle: float, w: int, h: int) -> list[float]:
    """A seal is a circle: rotate its centre, keep its radius."""
    cx, cy = w / 2, h / 2
    t = math.radians(angle)
    mx, my = (box[0] + box[2]) / 2 * w - cx, (box[1] + box[3]) / 2 * h - cy
    nx, ny = cx + mx * math.cos(t) + my * math.sin(t), cy - mx * math.sin(t) + my * math.cos(t)
    rx, ry = (box[2] - box[0]) / 2 * w, (box[3] - box[1]) / 2 * h
    return [round((nx - rx) / w, 4), round((ny - ry) / h, 4), round((nx + rx) / w, 4), round((ny + ry) / h, 4)]


def scan_page(img: Image.Image, rng: np.random.Generator, uneven: bool, noise: float = 1.8
              ) -> tuple[Image.Image, float]:
    """Make a clean 200 dpi rendering look scanned: paper tone, skew, blur, uneven light, sensor noise."""
    arr = np.asarray(img, dtype=np.float32)
    arr = 22.0 + arr * (222.0 / 255.0)  # paper is not white, ink is not black
    angle = float(rng.uniform(0.5, 2.5) * rng.choice([-1.0, 1.0]))
    img = Image.fromarray(arr.astype(np.uint8)).rotate(angle, resample=Image.BICUBIC, expand=False,
                                                       fillcolor=(236, 236, 232))
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.6, 1.0))))
    arr = np.asarray(img, dtype=np.float32)
    h, w = arr.shape[:2]
    if uneven:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        dist = ((xx - x0) ** 2 + (yy - y0) ** 2) / float(w * w + h * h)
        shade = 1.0 - float(rng.uniform(0.12, 0.2)) * dist / dist.max()
        arr *= shade[..., None]
    if noise:
        arr += rng.normal(0.0, noise, (h, w)).astype(np.float32)[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), angle


def jpeg_bytes(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, dpi=(SCAN_DPI, SCAN_DPI), optimize=True, subsampling=2)
    return buf.getvalue()


# file name in the scanned submission -> format; the others keep their stem
SCAN_FORMATS = {
    "A": {"disclosure-commitment.pdf": "png", "contract-2.pdf": "tif"},
    "B": {"authorization-letter.pdf": "png", "test-report.pdf": "tif"},
}


def scan_documents(key: str, docs: list[Built]) -> list[tuple[str, bytes, dict[str, Any]]]:
    """Returns (file name, bytes, truth entry) for each scanned document."""
    out = []
    for bi, b in enumerate(docs):
        rng = rng_for("scan", key, b.name)
        src = pymupdf.open("pdf", b.pdf)
        stem = b.name.rsplit(".", 1)[0]
        fmt = SCAN_FORMATS[key].get(b.name, "jpg" if b.pages == 1 else "pdf")
        pages, angles = [], []
        for pno, page in enumerate(src):
            pix = page.get_pixmap(dpi=SCAN_DPI)
            img = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
            scanned, angle = scan_page(img, rng, uneven=(bi + pno) % 3 == 0, noise=0.0 if fmt == "png" else 1.8)
            pages.append(scanned)
            angles.append(angle)
        src.close()
        quality = int(rng.integers(55, 67)) if fmt != "tif" else 50
        if fmt == "jpg":
            data = jpeg_bytes(pages[0], quality)
        elif fmt == "png":
            # a "document mode" scan: a small palette makes a small PNG; octree quantisation keeps
            # the red seal red (median cut merged the faded seal into the greys)
            pal = pages[0].quantize(colors=16, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
            buf = io.BytesIO()
            pal.save(buf, "PNG", optimize=True, dpi=(SCAN_DPI, SCAN_DPI))
            data = buf.getvalue()
        elif fmt == "tif":
            buf = io.BytesIO()
            ycc = [p.convert("YCbCr") for p in pages]  # JPEG-in-TIFF, photometric YCbCr
            ycc[0].save(buf, "TIFF", save_all=True, append_images=ycc[1:], compression="jpeg",
                        quality=quality, dpi=(SCAN_DPI, SCAN_DPI))
            data = buf.getvalue()
        else:
            pdf = pymupdf.open()
            for img, (pw, ph) in zip(pages, b.page_sizes, strict=True):
                pg = pdf.new_page(width=pw, height=ph)
                pg.insert_image(pg.rect, stream=jpeg_bytes(img, quality))
            stamp = "D:20230110090000+08'00'"
            pdf.set_metadata({"title": "", "author": "", "subject": "", "keywords": "", "creator": "Scan",
                              "producer": "sample_docs/generate.py (simulated scanner)",
                              "creationDate": stamp, "modDate": stamp})
            data = pdf.tobytes(garbage=4, deflate=True, no_new_id=True)
            pdf.close()
        name = f"{stem}.{fmt}"
        w, h = pages[0].size
        seals = [dict(s, bbox=rotate_circle_box(s["bbox"], angles[s["page"]], w, h)) for s in b.seals]
        sens = [dict(s, bbox=rotate_box(s["bbox"], angles[s["page"]], w, h)) for s in b.sensitive]
        truth = truth_entry(b, seals=seals, sensitive=sens)
        truth["scan"] = {"dpi": SCAN_DPI, "rotation_deg": [round(x, 2) for x in angles],
                         "jpeg_quality": None if fmt == "png" else quality}
        out.append((name, data, truth))
    return out


# ----------------------------------------------------------------------------- writing a submission

def truth_entry(b: Built, seals: list[dict[str, Any]] | None = None,
                sensitive: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"doc_type": b.doc_type, "pages": b.pages, "fields": b.fields,
            "seals": b.seals if seals is None else seals, "compatibility": b.compatibility,
            "sensitive": b.sensitive if sensitive is None else sensitive, "planted": b.planted}


def declared(key: str, submission_id: str, files: list[tuple[str, str]]) -> dict[str, Any]:
    a = APPLICANTS[key]
    for k, v in a["texts"].items():
        assert len(v) <= TEXT_LIMITS[k], (key, k, len(v))
    return {
        "submission_id": submission_id,
        "submitted_at": d(a["submitted_at"]),
        "applicant": {"name": a["name"], "uscc": applicant_uscc(a), "address": a["address"],
                      "legal_representative": a["legal_representative"],
                      "contact": {"name": a["contact"]["name"], "phone": a["contact"]["phone"],
                                  "email": a["contact"]["email"]}},
        "solution": {"name": a["solution"], "region": a["region"], "industries": a["industries"],
                     "scenarios": a["scenarios"], "adapted": a["adapted"], "texts": a["texts"],
                     "counts": a["counts"]},
        "materials": [{"file": f, "category": c} for f, c in files],
    }


def write_submission(submission_id: str, key: str, variant: str, source: str | None,
                     files: list[tuple[str, bytes, dict[str, Any]]]) -> None:
    a = APPLICANTS[key]
    folder = OUT / submission_id
    folder.mkdir(parents=True)
    for name, data, _ in files:
        (folder / name).write_bytes(data)
    decl = declared(key, submission_id, [(n, t["doc_type"]) for n, _, t in files])
    header = ("# Declared data (解决方案信息表, filled in online) — fictional sample, see sample_docs/README.md\n")
    (folder / "declared.yaml").write_text(
        header + yaml.safe_dump(decl, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    failing = RULES_FAILING[key]
    truth = {"submission_id": submission_id, "applicant": a["name"], "variant": variant,
             "source_submission": source, "reference_date": a["submitted_at"],
             "expected_review": {"status": expected_status(failing), "failing_rules": failing},
             "documents": {name: t for name, _, t in files}}
    (folder / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


SUBMISSIONS = [  # id, applicant, variant, source
    ("S-2023-0001", "A", "born_digital", None),
    ("S-2023-0002", "A", "scanned", "S-2023-0001"),
    ("S-2023-0003", "B", "born_digital", None),
    ("S-2023-0004", "B", "scanned", "S-2023-0003"),
    ("S-2023-0005", "C", "born_digital", None),
]


def expected_status(failing: list[str]) -> str:
    """The review status DESIGN/issue 5 expect: a classified marking holds the submission from
    formal review ("held") whatever else fails; otherwise any failing error rule is "fail"."""
    if "sensitive.none_found" in failing:
        return "held"
    return "fail" if failing else "pass"


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    born: dict[str, list[Built]] = {}
    for sid, key, variant, source in SUBMISSIONS:
        if variant == "born_digital":
            born[key] = born_digital_documents(key)
            files = [(b.name, b.pdf, truth_entry(b)) for b in born[key]]
        else:
            files = scan_documents(key, born[key])
        write_submission(sid, key, variant, source, files)
        size = sum(len(f[1]) for f in files)
        print(f"{sid}  {key}  {variant:12s} {len(files):2d} files  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
