#!/usr/bin/env python
"""Benchmark of sensitive-content screening (issue 5).

Prints: precision / recall per category on the labelled set (clean and OCR-noise subsets),
milliseconds per page, and — when ``sample_docs/submissions/*/truth.json`` exist — hits versus the
truth on the sample documents (text layer read with PyMuPDF; scanned documents through
``pipeline.runner.read_document`` when that runner is importable), plus the check that no commitment
letter produces a classification hit.

    .venv/bin/python bench/sensitive.py [--samples DIR] [--no-ocr]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from extractors.sensitive import AllowList, load_config, screen_document, screen_text  # noqa: E402
from extractors.sensitive.evaluate import Score, compact, evaluate, load_labelled  # noqa: E402
from pipeline.content import DocumentContent, PageContent  # noqa: E402
from pipeline.model import BBox, PageInfo, SensitiveHit, Word  # noqa: E402

DATA = ROOT / "tests" / "data" / "sensitive"


def table(title: str, scores: dict[str, Score]) -> None:
    print(f"\n{title}")
    print(f"  {'category':<14}{'TP':>5}{'FP':>5}{'FN':>5}{'precision':>11}{'recall':>9}")
    tot = Score()
    for cat in sorted(scores):
        s = scores[cat]
        tot.tp, tot.fp, tot.fn = tot.tp + s.tp, tot.fp + s.fp, tot.fn + s.fn
        print(f"  {cat:<14}{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.precision:>11.3f}{s.recall:>9.3f}")
        for e in s.errors[:5]:
            print(f"      {e}")
    print(f"  {'all':<14}{tot.tp:>5}{tot.fp:>5}{tot.fn:>5}{tot.precision:>11.3f}{tot.recall:>9.3f}")


def speed(items_text: list[str]) -> float:
    """Median ms to screen one ~1,500-character page (plain text and with word boxes)."""
    blob = "\n".join(items_text)
    pages = [blob[i : i + 1500] for i in range(0, max(len(blob) - 1500, 1), 1500)][:40]
    screen_text(pages[0])
    times = []
    for _ in range(3):
        for p in pages:
            t = time.perf_counter()
            screen_text(p)
            times.append((time.perf_counter() - t) * 1000)
    ms_text = statistics.median(times)
    # with boxes: one word per line, as an OCR engine returns lines
    docs = []
    for p in pages:
        words = [
            Word(text=ln, bbox=(0.1, 0.02 + 0.02 * i % 0.96, 0.9, 0.035 + 0.02 * i % 0.96), line=i)
            for i, ln in enumerate(p.splitlines())
            if ln.strip()
        ]
        docs.append(
            DocumentContent(
                name="bench",
                sha256="0" * 64,
                media_type="text/plain",
                pages=[PageContent(0, PageInfo(index=0, text_source="ocr", reason="bench"), words)],
            )
        )
    times = []
    for _ in range(3):
        for d in docs:
            t = time.perf_counter()
            screen_document(d)
            times.append((time.perf_counter() - t) * 1000)
    ms_doc = statistics.median(times)
    print(
        f"\nSpeed: {len(pages)} pages of ~1500 chars — {ms_text:.2f} ms/page (text), "
        f"{ms_doc:.2f} ms/page (words+boxes)"
    )
    return max(ms_text, ms_doc)


# -- sample documents ---------------------------------------------------------------------------------
def text_layer_content(path: Path) -> DocumentContent | None:
    """Words of the PDF text layer (PyMuPDF ``get_text("words")``, NFKC), or None without one."""
    import pymupdf

    if path.suffix.lower() != ".pdf":
        return None
    pdf = pymupdf.open(path)
    pages: list[PageContent] = []
    chars = 0
    for i in range(pdf.page_count):
        page: Any = pdf[i]
        w, h = page.rect.width, page.rect.height
        words = []
        for x0, y0, x1, y1, text, block, line, _ in page.get_text("words"):
            t = unicodedata.normalize("NFKC", text)
            chars += len(t)
            words.append(Word(text=t, bbox=(x0 / w, y0 / h, x1 / w, y1 / h), block=block, line=line))
        info = PageInfo(index=i, text_source="text_layer", reason="bench", width=w, height=h)
        pages.append(PageContent(i, info, words))
    pdf.close()
    if chars < 20:
        return None
    return DocumentContent(name=path.name, sha256="", media_type="application/pdf", pages=pages)


def iou(a: BBox, b: BBox) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def samples(root: Path, use_ocr: bool) -> None:
    truths = sorted(root.glob("*/truth.json"))
    if not truths:
        print(f"\nSample documents: no {root}/*/truth.json yet — skipped")
        return
    reader: Any = None
    if use_ocr:
        try:
            from pipeline.runner import read_document

            reader = read_document
        except ImportError as exc:
            print(f"\n(pipeline.runner.read_document not importable: {exc}; scanned documents skipped)")
    thr = load_config().screening.finding_threshold
    stars = "☆*＊" + load_config().screening.ocr.star_lookalikes  # OCR may read ★ as 女

    def cmp(text: str) -> str:
        return compact(text, stars)

    print(f"\nSample documents under {root}")
    stats: dict[str, list[int]] = {}  # variant -> [tp, fn, fp_classified, letters_with_class_hit]
    ocr_ms: list[float] = []
    screen_ms: list[float] = []
    for tp in truths:
        truth = json.loads(tp.read_text(encoding="utf-8"))
        folder = tp.parent
        declared = yaml.safe_load((folder / "declared.yaml").read_text(encoding="utf-8"))
        allow = AllowList.from_declared(declared)
        variant = truth.get("variant", "?")
        st = stats.setdefault(variant, [0, 0, 0, 0, 0])
        for name, t in truth["documents"].items():
            path = folder / name
            content = text_layer_content(path)
            source = "text_layer"
            if content is None:
                if reader is None:
                    print(f"  {folder.name}/{name}: scanned, skipped (no OCR runner)")
                    continue
                t0 = time.perf_counter()
                content = reader(path)
                dt = time.perf_counter() - t0
                ocr_ms.append(dt * 1000 / max(len(content.pages), 1))
                source = "ocr"
            t0 = time.perf_counter()
            hits: list[SensitiveHit] = screen_document(content, allow)
            screen_ms.append((time.perf_counter() - t0) * 1000 / max(len(content.pages), 1))
            strong = [h for h in hits if h.score >= thr]
            matched: set[int] = set()
            for exp in t.get("sensitive", []):
                want = cmp(exp["text"])
                k = next(
                    (
                        i
                        for i, h in enumerate(strong)
                        if i not in matched
                        and h.page == exp["page"]
                        and h.category == exp.get("category", h.category)
                        and (
                            want in cmp(h.text)
                            or cmp(h.text) in want
                            or (h.bbox is not None and iou(h.bbox, tuple(exp["bbox"])) >= 0.3)  # OCR'd text
                        )
                    ),
                    None,
                )
                if k is None:
                    st[1] += 1
                    print(f"  MISS {folder.name}/{name} p{exp['page']} {exp['text']} ({source})")
                else:
                    matched.add(k)
                    st[0] += 1
                    h = strong[k]
                    ov = iou(h.bbox, tuple(exp["bbox"])) if h.bbox else 0.0  # type: ignore[arg-type]
                    print(
                        f"  FOUND {folder.name}/{name} p{h.page} {h.text} score={h.score:.2f} "
                        f"bbox={h.bbox} truth={exp['bbox']} IoU={ov:.2f} ({source})"
                    )
            extra = [h for i, h in enumerate(strong) if i not in matched]
            st[2] += sum(1 for h in extra if h.category == "classified")
            for h in extra:
                print(
                    f"  extra {folder.name}/{name} p{h.page} {h.rule} {h.text} score={h.score:.2f} ({source})"
                )
            if t.get("doc_type") == "commitment_letter":
                st[4] += 1
                if any(h.category == "classified" for h in strong):
                    st[3] += 1
                    print(f"  !! commitment letter {folder.name}/{name} has a classification hit")
    print("\n  variant        truth found  missed  extra-classified  commitment letters with a class. hit")
    for v, (tp_, fn, fpc, bad, letters) in stats.items():
        print(f"  {v:<14}{tp_:>11}{fn:>8}{fpc:>18}{bad:>10} / {letters}")
    if screen_ms:
        print(f"  screening: {statistics.median(screen_ms):.2f} ms/page (median over documents)")
    if ocr_ms:
        ratio = statistics.median(screen_ms) / statistics.median(ocr_ms) * 100
        print(f"  OCR: {statistics.median(ocr_ms):.0f} ms/page → screening is {ratio:.3f} % of OCR time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, default=ROOT / "sample_docs" / "submissions")
    ap.add_argument("--no-ocr", action="store_true", help="skip scanned sample documents")
    args = ap.parse_args()
    items = load_labelled([DATA / "generated.yaml", DATA / "handwritten.yaml"])
    print(
        f"Labelled set: {len(items)} passages ({sum(len(i.expect) for i in items)} expected findings, "
        f"{sum(1 for i in items if not i.expect)} negatives)"
    )
    t0 = time.perf_counter()
    load_config()
    screen_text("预热")
    print(
        f"Pipeline build (config + spaCy matchers): {(time.perf_counter() - t0) * 1000:.0f} ms, "
        "once per process"
    )
    table("Clean text", evaluate([i for i in items if i.subset == "clean"]))
    table(
        "OCR-noise text (spaces, line breaks, full-width, star look-alikes, one look-alike char)",
        evaluate([i for i in items if i.subset == "ocr"]),
    )
    table("All", evaluate(items))
    speed([i.text for i in items])
    samples(args.samples, not args.no_ocr)


if __name__ == "__main__":
    main()
