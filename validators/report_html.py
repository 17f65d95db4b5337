"""Self-contained HTML review report: Chinese checklist, expandable findings with cropped page
regions inlined as images. Everything from documents or declared data is autoescaped."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from validators.model import EvidenceRef, ReviewResult

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_LABELS = {
    "pass": "通过",
    "fail": "不通过",
    "needs_review": "需人工复核",
    "held": "暂停审查（敏感内容）",
}
OUTCOME_LABELS = {"pass": "通过", "fail": "不通过", "needs_review": "需复核", "not_applicable": "不适用"}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
MAX_CROPS_PER_FINDING = 4

# (sha256, page index) -> PNG bytes of the page image the boxes refer to, or None.
PageImageSource = Callable[[str, int], bytes | None]

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def crop_png(png: bytes, bbox: tuple[float, float, float, float], *, margin: float = 0.03) -> bytes | None:
    """The region ``bbox`` (page fractions) of a page PNG, with a margin and the box outlined."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return None
    h, w = img.shape[:2]
    x0, y0, x1, y1 = bbox
    bx0, by0, bx1, by1 = int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h)
    cx0, cy0 = max(0, int((x0 - margin) * w)), max(0, int((y0 - margin) * h))
    cx1, cy1 = min(w, int((x1 + margin) * w) + 1), min(h, int((y1 + margin) * h) + 1)
    if cx1 - cx0 < 4 or cy1 - cy0 < 4:
        return None
    out = img.copy()
    cv2.rectangle(out, (bx0, by0), (bx1, by1), (0, 0, 230), max(2, w // 600))
    crop = out[cy0:cy1, cx0:cx1]
    scale = min(1.0, 900 / max(crop.shape[:2]))
    if scale < 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", crop)
    return buf.tobytes() if ok else None


def _crops(evidence: list[EvidenceRef], pages: PageImageSource | None) -> list[dict[str, str]]:
    if pages is None:
        return []
    crops: list[dict[str, str]] = []
    for e in evidence:
        if len(crops) >= MAX_CROPS_PER_FINDING:
            break
        if e.sha256 is None or e.page is None or e.bbox is None:
            continue
        png = pages(e.sha256, e.page)
        cropped = crop_png(png, e.bbox) if png else None
        if cropped is None:
            continue
        caption = f"{e.document} 第{e.page + 1}页" + (f" {e.field}" if e.field else "")
        if e.value is not None:
            caption += f"：{e.value}"
        crops.append({"data": base64.b64encode(cropped).decode("ascii"), "caption": caption})
    return crops


def render_report(review: ReviewResult, pages: PageImageSource | None = None) -> str:
    """The HTML report for ``review``; ``pages`` supplies page images for evidence crops."""
    findings: list[dict[str, Any]] = []
    for f in review.findings:
        d = f.model_dump()
        d["evidence"] = f.evidence
        d["crops"] = _crops(f.evidence, pages)
        findings.append(d)
    counts = {k: sum(1 for f in review.findings if f.outcome == k) for k in OUTCOME_LABELS}
    template = _env.get_template("report.html.j2")
    return template.render(
        r=review,
        findings=findings,
        status_label=STATUS_LABELS.get(review.status, review.status),
        outcome_labels=OUTCOME_LABELS,
        severity_labels=SEVERITY_LABELS,
        counts=counts,
        count_labels=[
            ("fail", "项不通过"),
            ("needs_review", "项需复核"),
            ("pass", "项通过"),
            ("not_applicable", "项不适用"),
        ],
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
