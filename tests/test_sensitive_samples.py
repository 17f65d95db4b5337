"""The planted classification marking in ``sample_docs/`` is found on its page with its box, and no
commitment letter yields a classification hit (born-digital samples, PDF text layer)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from extractors.sensitive import AllowList, load_config, screen_document
from pipeline.content import DocumentContent, PageContent
from pipeline.model import PageInfo, Word

SUBMISSIONS = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"
TRUTHS = sorted(SUBMISSIONS.glob("*/truth.json"))
pytestmark = pytest.mark.skipif(not TRUTHS, reason="sample_docs/submissions not generated")


def text_layer(path: Path) -> DocumentContent | None:
    import pymupdf

    if path.suffix.lower() != ".pdf":
        return None
    pdf = pymupdf.open(path)
    pages = []
    for i in range(pdf.page_count):
        page: Any = pdf[i]
        w, h = page.rect.width, page.rect.height
        words = [
            Word(
                text=unicodedata.normalize("NFKC", t), bbox=(x0 / w, y0 / h, x1 / w, y1 / h), block=b, line=ln
            )
            for x0, y0, x1, y1, t, b, ln, _ in page.get_text("words")
        ]
        pages.append(PageContent(i, PageInfo(index=i, text_source="text_layer", reason="test"), words))
    pdf.close()
    if sum(len(w.text) for p in pages for w in p.words) < 20:
        return None
    return DocumentContent(name=path.name, sha256="", media_type="application/pdf", pages=pages)


def born_digital() -> list[tuple[Path, dict[str, Any], AllowList]]:
    out = []
    for tp in TRUTHS:
        truth = json.loads(tp.read_text(encoding="utf-8"))
        if truth.get("variant") != "born_digital":
            continue
        allow = AllowList.from_declared(
            yaml.safe_load((tp.parent / "declared.yaml").read_text(encoding="utf-8"))
        )
        out += [(tp.parent / name, t, allow) for name, t in truth["documents"].items()]
    return out


def test_planted_marking_found_with_box() -> None:
    thr = load_config().screening.finding_threshold
    planted = [(p, t, a) for p, t, a in born_digital() if t.get("sensitive")]
    assert planted, "no planted sensitive entry in the truth files"
    for path, t, allow in planted:
        content = text_layer(path)
        assert content is not None
        hits = [h for h in screen_document(content, allow) if h.score >= thr]
        for exp in t["sensitive"]:
            found = [h for h in hits if h.page == exp["page"] and h.category == "classified"]
            assert found, f"{path.name}: {exp['text']} not found"
            box = found[0].bbox
            assert box is not None
            ex = exp["bbox"]
            assert abs(box[0] - ex[0]) < 0.02 and abs(box[2] - ex[2]) < 0.02
            assert abs(box[1] - ex[1]) < 0.02 and abs(box[3] - ex[3]) < 0.02


def test_commitment_letters_have_no_classification_hit() -> None:
    letters = [(p, a) for p, t, a in born_digital() if t.get("doc_type") == "commitment_letter"]
    assert letters
    for path, allow in letters:
        content = text_layer(path)
        assert content is not None
        assert [h for h in screen_document(content, allow) if h.category == "classified"] == []
