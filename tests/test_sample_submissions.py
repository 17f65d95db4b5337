"""The sample submissions end to end: extraction against their ground truth and the review
outcome table (status and failing rules) that each truth.json expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.accuracy import norm, values_match
from validators.submission import SubmissionReview, review_folder

SAMPLES = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"


def truth_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return data


def submissions(variant: str) -> list[Path]:
    return sorted(p.parent for p in SAMPLES.glob("*/truth.json") if truth_of(p.parent)["variant"] == variant)


BORN_DIGITAL = submissions("born_digital")
SCANNED = submissions("scanned")
_cache: dict[Path, SubmissionReview] = {}


def reviewed(folder: Path) -> SubmissionReview:
    if folder not in _cache:
        _cache[folder] = review_folder(folder)
    return _cache[folder]


def test_samples_exist() -> None:
    assert len(BORN_DIGITAL) >= 2 and len(SCANNED) >= 1
    expected = {truth_of(f)["expected_review"]["status"] for f in BORN_DIGITAL}
    assert {"pass", "fail"} <= expected, "samples must include clean and violating submissions"


def _check_review(folder: Path) -> None:
    truth = truth_of(folder)["expected_review"]
    review = reviewed(folder).review
    failing = sorted(f.rule for f in review.findings if f.outcome == "fail")
    assert failing == sorted(truth["failing_rules"]), {
        f.rule: f.message for f in review.findings if f.outcome in ("fail", "needs_review")
    }
    assert review.status == truth["status"], {
        f.rule: f.message for f in review.findings if f.outcome in ("fail", "needs_review")
    }
    for f in review.findings:
        if f.outcome == "fail":
            assert f.evidence or f.rule.startswith("form."), f"{f.rule} fails without evidence"


@pytest.mark.parametrize("folder", BORN_DIGITAL, ids=lambda p: p.name)
def test_review_outcome_born_digital(folder: Path) -> None:
    _check_review(folder)


@pytest.mark.slow
@pytest.mark.parametrize("folder", SCANNED, ids=lambda p: p.name)
def test_review_outcome_scanned(folder: Path) -> None:
    _check_review(folder)


@pytest.mark.parametrize("folder", BORN_DIGITAL, ids=lambda p: p.name)
def test_born_digital_fields_match_truth(folder: Path) -> None:
    truth = truth_of(folder)
    results = {r.document.name: r for r in reviewed(folder).results}
    misses: list[str] = []
    for name, doc in truth["documents"].items():
        result = results[name]
        assert result.document.doc_type == doc["doc_type"], name
        for field, expected in doc.get("fields", {}).items():
            got = [f.value for f in sorted(result.fields, key=lambda f: -f.confidence) if f.name == field]
            if expected is None:
                if any(v is not None for v in got):
                    misses.append(f"{name}:{field} reported {got!r} where truth is null")
            elif not values_match(expected, got):
                misses.append(
                    f"{name}:{field} expected {norm(expected)!r} got {[norm(g) for g in got][:2]!r}"
                )
    assert misses == []


@pytest.mark.parametrize("folder", BORN_DIGITAL, ids=lambda p: p.name)
def test_planted_sensitive_marks_found_with_box(folder: Path) -> None:
    truth = truth_of(folder)
    results = {r.document.name: r for r in reviewed(folder).results}
    for name, doc in truth["documents"].items():
        hits = results[name].sensitive
        for planted in doc.get("sensitive", []):
            near = [
                h
                for h in hits
                if h.page == planted["page"]
                and h.bbox is not None
                and abs(h.bbox[1] - planted["bbox"][1]) < 0.03
                and h.category == planted["category"]
            ]
            assert near, f"{name}: planted {planted['category']} mark not found on page {planted['page']}"
        if not doc.get("sensitive"):
            assert [h for h in hits if h.severity == "high"] == [], f"{name}: false high-severity hit"


@pytest.mark.parametrize("folder", BORN_DIGITAL[:1], ids=lambda p: p.name)
def test_report_crops_text_layer_pages_rendered_on_demand(folder: Path) -> None:
    """Text-layer pages have no stored image; the report renders them from the PDF for its
    evidence crops, matching the word boxes."""
    sub = reviewed(folder)
    text_pages = {
        (r.document.sha256, p.index) for r in sub.results for p in r.pages if p.text_source == "text_layer"
    }
    assert text_pages and not text_pages & set(sub.page_images)
    if all(p.text_source == "text_layer" for r in sub.results for p in r.pages):
        assert sub.page_images == {}  # so every crop below was rendered from a PDF
    html = sub.html()
    evidence = [f for f in sub.review.findings if f.evidence]
    assert evidence and "data:image/png;base64," in html
