"""The labelled set (generated + hand-written passages) meets the issue's quality bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.sensitive.evaluate import evaluate, load_labelled

DATA = Path(__file__).parent / "data" / "sensitive"
ITEMS = load_labelled([DATA / "generated.yaml", DATA / "handwritten.yaml"])


def test_labelled_set_is_substantial() -> None:
    assert len(ITEMS) >= 150
    assert {i.subset for i in ITEMS} == {"clean", "ocr"}
    assert sum(1 for i in ITEMS if not i.expect) >= 25  # tricky negatives


def test_classification_recall_clean_is_total() -> None:
    sc = evaluate([i for i in ITEMS if i.subset == "clean"])["classified"]
    assert sc.recall == 1.0, sc.errors


def test_classification_recall_ocr() -> None:
    sc = evaluate([i for i in ITEMS if i.subset == "ocr"])["classified"]
    assert sc.recall >= 0.95, sc.errors


@pytest.mark.parametrize(
    "category", ["classified", "military", "vulnerability", "network", "credential", "personal"]
)
def test_precision_per_category(category: str) -> None:
    sc = evaluate(ITEMS)[category]
    assert sc.precision >= 0.95, sc.errors
    assert sc.tp > 0
