"""Grey seals on photocopied / greyscale pages (extractors.seals_grey, hooked into extractors.seals).

Pages are our own: sample_docs submissions rendered at 200 dpi and synthetic pages from
``bench/seals.py``, turned into photocopies by ``bench.seals.photocopy`` (luma greyscale, levels,
gamma, noise, blur, JPEG). The real licence lic_0025 (a grey photocopy carrying four seals) is read
in place from ../shared/real-samples (skipped when absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.seals import load_image, photocopy, synth_page
from extractors.seals import SealConfig, detect_seals_in_image, load_config, load_config_uncached
from extractors.seals_grey import grey_candidates, is_achromatic
from pipeline.model import Seal

SUBMISSIONS = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _sample_page(sub: str, doc: str, page: int) -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """A sample PDF page rendered at 200 dpi (BGR) and its truth seal boxes (fractions)."""
    pymupdf = pytest.importorskip("pymupdf")
    path = SUBMISSIONS / sub / doc
    if not path.exists():
        pytest.skip(f"{path} absent (run sample_docs/generate.py)")
    truth = json.loads((SUBMISSIONS / sub / "truth.json").read_text(encoding="utf-8"))["documents"][doc]
    with pymupdf.open(path) as pdf:
        pix = pdf[page].get_pixmap(dpi=200)
        arr = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)
        img = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR if pix.n == 3 else cv2.COLOR_RGBA2BGR)
    return img, [tuple(s["bbox"]) for s in truth["seals"] if s["page"] == page]


def _no_grey() -> SealConfig:
    return load_config().model_copy(update={"grey": None})


def _same(a: list[Seal], b: list[Seal]) -> bool:
    return [s.model_dump() for s in a] == [s.model_dump() for s in b]


def test_grey_config_is_validated(tmp_path: Path) -> None:
    cfg = load_config()
    assert cfg.grey is not None and cfg.grey.enabled and cfg.grey.min_frac < cfg.grey.max_frac
    bad = tmp_path / "seals.yaml"
    text = Path(__file__).resolve().parents[1].joinpath("config", "seals.yaml").read_text(encoding="utf-8")
    assert "  max_frac: 1.0\n" in text
    bad.write_text(text.replace("  max_frac: 1.0\n", "  max_frac: 0.01\n"), encoding="utf-8")
    with pytest.raises(ValueError):
        load_config_uncached(bad)


def test_three_grey_seals_over_signature_lines_found_near_truth() -> None:
    """Page 2 of a consortium contract: three round seals over printed text and signatures."""
    img, truth = _sample_page("S-2023-0001", "contract-2.pdf", 1)
    assert len(truth) == 3
    grey = photocopy(img, 7)
    grey_cfg = load_config().grey
    assert grey_cfg is not None and is_achromatic(grey, grey_cfg)
    assert detect_seals_in_image(grey, read_text=False, config=_no_grey()) == []
    found = detect_seals_in_image(grey, 1, read_text=False)
    assert len(found) == 3
    for t in truth:
        best = max(found, key=lambda s: _iou(s.bbox, t))
        assert _iou(best.bbox, t) >= 0.7
        assert best.color == "grey" and best.shape == "round" and best.confidence >= 0.6 and best.page == 1


@pytest.mark.parametrize("seed", [7, 13])
def test_grey_seal_ring_text_read_from_dark_ink(seed: int) -> None:
    """The ring text of photocopied seals is read from the dark ink (there is no red to go by)."""
    img, _ = _sample_page("S-2023-0001", "contract-2.pdf", 1)
    truth = json.loads((SUBMISSIONS / "S-2023-0001" / "truth.json").read_text(encoding="utf-8"))
    names = [s["text"] for s in truth["documents"]["contract-2.pdf"]["seals"] if s.get("text")]
    assert len(names) == 3
    found = detect_seals_in_image(photocopy(img, seed), 1, read_text=True, candidates=names)
    read = [s.text for s in found if s.text in names]
    assert len(set(read)) >= 2, [(s.text, s.text_confidence) for s in found]


def test_ink_strength_follows_the_seal_colour() -> None:
    from extractors.seal_text import ink_strength

    crop = np.full((4, 3, 3), 255, np.uint8)
    crop[0, 0] = (40, 40, 220)  # red ink (BGR)
    crop[1, 0] = (200, 60, 30)  # blue ink
    crop[2, 0] = (50, 50, 50)  # grey / black ink
    red, blue, grey = (ink_strength(crop, c) for c in ("red", "blue", "grey"))
    assert red[0, 0] > 150 and red[1, 0] == 0 and red[2, 0] == 0
    assert blue[1, 0] > 100 and blue[0, 0] == 0 and blue[2, 0] == 0
    assert grey[2, 0] > 150 and grey[0, 0] < 60 and grey[3, 2] == 0


@pytest.mark.parametrize("seed", [2000, 2006])
def test_grey_seals_over_dense_text_and_overlapping(seed: int) -> None:
    """Synthetic 200-dpi pages: one seal over dense text (2000), two overlapping seals (2006)."""
    kind = (seed - 2000) % 4
    sp = synth_page(seed, n_seals=1 if kind == 0 else 2, overlap=kind == 2, red_title=seed % 5 == 0)
    grey = photocopy(sp.image, seed)
    h, w = grey.shape[:2]
    found = detect_seals_in_image(grey, read_text=False)
    assert len(found) == len(sp.seals)
    for b, _ in sp.seals:
        t = (b[0] / w, b[1] / h, b[2] / w, b[3] / h)
        assert max(_iou(s.bbox, t) for s in found) >= 0.7


@pytest.mark.parametrize("seed", [2003, 2007, 2023])
def test_grey_dense_text_and_table_page_has_no_seal(seed: int) -> None:
    """Dense text, a title and a table (red before the copy, grey after) are no seals."""
    sp = synth_page(seed, n_seals=0, red_title=True, red_table=True)
    assert detect_seals_in_image(photocopy(sp.image, seed), read_text=False) == []


@pytest.mark.parametrize(
    ("sub", "doc", "page"),
    [
        ("S-2023-0001", "contract-1.pdf", 0),  # dense contract text
        ("S-2023-0003", "test-report.pdf", 1),  # tables of a test report
        ("S-2023-0001", "patent-certificate.pdf", 0),  # framed certificate, emblem-like ornaments
    ],
)
def test_grey_sample_page_without_seal_has_none(sub: str, doc: str, page: int) -> None:
    img, truth = _sample_page(sub, doc, page)
    assert truth == []
    assert detect_seals_in_image(photocopy(img, 11), read_text=False) == []
    assert detect_seals_in_image(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), read_text=False) == []


def test_colour_page_result_identical_with_and_without_grey_pass() -> None:
    img, truth = _sample_page("S-2023-0001", "contract-2.pdf", 1)
    grey_cfg = load_config().grey
    assert grey_cfg is not None and not is_achromatic(img, grey_cfg)
    with_grey = detect_seals_in_image(img, 1, read_text=False)
    without = detect_seals_in_image(img, 1, read_text=False, config=_no_grey())
    assert len(with_grey) == len(truth) and all(s.color == "red" for s in with_grey)
    assert _same(with_grey, without)
    synth = synth_page(12, n_seals=1, red_title=True).image  # a red seal over black text
    assert _same(
        detect_seals_in_image(synth, read_text=False),
        detect_seals_in_image(synth, read_text=False, config=_no_grey()),
    )


@pytest.mark.real_samples
def test_colour_licences_unchanged_by_grey_pass(real_samples: Path) -> None:
    for name in ("lic_0031.jpg", "lic_0138.jpg", "lic_0181.jpg"):
        img = load_image(real_samples / "licenses" / name)
        assert _same(
            detect_seals_in_image(img, read_text=False),
            detect_seals_in_image(img, read_text=False, config=_no_grey()),
        ), name


@pytest.mark.real_samples
def test_real_grey_photocopy_licence_shows_its_four_seals(real_samples: Path) -> None:
    """lic_0025: an old licence photocopied grey (the colour masks find nothing on it), with three
    annual-inspection seals in the 年度检验 grid (handwriting across them, touching the grid lines)
    and the issuing seal bottom right."""
    img = load_image(real_samples / "licenses" / "lic_0025.jpg")
    assert detect_seals_in_image(img, read_text=False, config=_no_grey()) == []
    found = detect_seals_in_image(img, read_text=False)
    assert len(found) == 4 and all(s.color == "grey" and s.shape == "round" for s in found)
    centres = sorted(((s.bbox[0] + s.bbox[2]) / 2, (s.bbox[1] + s.bbox[3]) / 2) for s in found)
    grid = [c for c in centres if 0.55 < c[1] < 0.72]
    assert len(grid) == 3 and all(0.6 < x < 0.86 for x, _ in grid)
    issuing = [c for c in centres if c[1] > 0.8]
    assert len(issuing) == 1 and 0.7 < issuing[0][0] < 0.84


@pytest.mark.parametrize(
    "image",
    [
        np.full((2339, 1654), 255, np.uint8),  # blank grey page
        np.zeros((2339, 1654, 3), np.uint8),  # all black
        np.full((1200, 900), 128, np.uint8),  # uniform grey
        np.zeros((12, 12), np.uint8),  # tiny
        np.zeros((40, 30, 3), np.uint8),  # small black
        np.random.default_rng(1).integers(0, 256, (600, 500), dtype=np.uint8),  # grey noise
        np.tile(np.repeat(np.array([0, 255], np.uint8), 8), (800, 60)),  # stripes
        np.ones((300, 300, 1), np.float32),  # float single channel
    ],
    ids=["blank", "black", "grey", "tiny", "small-black", "noise", "stripes", "float-1ch"],
)
def test_grey_junk_input_never_raises(image: np.ndarray) -> None:
    found = detect_seals_in_image(image)
    assert isinstance(found, list)
    assert len(found) <= 1  # noise may look like anything, but not like many seals
    if image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
        assert isinstance(grey_candidates(image, load_config()), list)  # the pass alone


def test_black_and_blank_pages_have_no_seal() -> None:
    assert detect_seals_in_image(np.zeros((2339, 1654, 3), np.uint8)) == []
    assert detect_seals_in_image(np.full((2339, 1654, 3), 255, np.uint8)) == []
