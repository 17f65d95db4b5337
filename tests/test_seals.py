"""Seal detection and ring-text reading (extractors.seals, extractors.seal_text).

Synthetic pages come from ``bench/seals.py`` (red ring seals drawn with the PyMuPDF CJK font and
multiply-blended over black text on a 200-dpi A4 page, then blurred, noised and JPEG-compressed).
The real seal images are read in place from ../shared/real-samples/seals (skipped when absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.seals import load_image, synth_page
from extractors.seal_text import best_candidate, classify_owner, similarity
from extractors.seals import detect_seals, detect_seals_in_image, load_config, load_config_uncached
from pipeline.content import PageContent
from pipeline.model import PageInfo, Seal
from pipeline.page_reader import OcrJob


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _truth_fracs(sp) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    h, w = sp.image.shape[:2]
    return [(b[0] / w, b[1] / h, b[2] / w, b[3] / h) for b, _ in sp.seals]


def _matches(found: list[Seal], truth: list[tuple[float, float, float, float]]) -> int:
    return sum(1 for t in truth if any(_iou(s.bbox, t) >= 0.5 for s in found))


def test_config_is_valid_and_checked(tmp_path: Path) -> None:
    cfg = load_config()
    assert cfg.colors.red.min_redness > 0 and cfg.shape.max_aspect_round <= cfg.shape.max_aspect_oval
    bad = tmp_path / "seals.yaml"
    text = Path(__file__).resolve().parents[1].joinpath("config", "seals.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("max_aspect_round: 1.2", "max_aspect_round: 9.0"), encoding="utf-8")
    with pytest.raises(ValueError):
        load_config_uncached(bad)


def test_page_without_seal_and_with_red_title_and_table() -> None:
    sp = synth_page(7, n_seals=0, red_title=True, red_table=True)
    assert detect_seals_in_image(sp.image, read_text=False) == []


@pytest.mark.parametrize("seed", [11, 12])
def test_one_seal_over_text(seed: int) -> None:
    sp = synth_page(seed, n_seals=1, red_title=seed == 12)
    found = detect_seals_in_image(sp.image, read_text=False)
    assert len(found) == 1
    s = found[0]
    assert s.shape == "round" and s.color == "red" and s.confidence >= 0.6
    assert _iou(s.bbox, _truth_fracs(sp)[0]) >= 0.7


def test_two_separate_and_two_overlapping_seals() -> None:
    sep = synth_page(21, n_seals=2)
    assert _matches(detect_seals_in_image(sep.image, read_text=False), _truth_fracs(sep)) == 2
    ov = synth_page(1002, n_seals=2, overlap=True)
    found = detect_seals_in_image(ov.image, read_text=False)
    assert len(found) == 2
    assert _matches(found, _truth_fracs(ov)) == 2


def test_ring_text_matched_to_right_candidate_among_distractors() -> None:
    """Ring OCR is weak on bold condensed seal lettering; matching to candidates must still pick the
    right name on most seals and never a wrong one."""
    right = 0
    for seed in (5, 31, 44):
        sp = synth_page(seed, n_seals=1, degrade=False)
        name = sp.seals[0][1]
        cands = [*sp.distractors, name, "国家工业信息安全发展研究中心"]
        found = detect_seals_in_image(sp.image, candidates=cands)
        assert len(found) == 1
        s = found[0]
        assert s.text in (None, name)
        if s.text == name:
            right += 1
            assert s.text_confidence is not None and s.text_confidence >= 0.35
            assert any(n.startswith("ring text matched to candidate") for n in s.notes)
            assert "owner:company" in s.notes
    assert right >= 2


def test_detect_seals_on_page_content() -> None:
    sp = synth_page(41, n_seals=1)
    page = PageContent(
        index=3, info=PageInfo(index=3, text_source="none", reason="test"), words=[], image=sp.image
    )
    found = detect_seals(page, read_text=False)
    assert [s.page for s in found] == [3]
    blank = PageContent(index=0, info=PageInfo(index=0, text_source="none", reason="test"), words=[])
    assert detect_seals(blank) == []


@pytest.mark.parametrize(
    "image",
    [
        np.full((2339, 1654, 3), 255, np.uint8),  # blank page
        np.dstack(
            [
                np.zeros((800, 600), np.uint8),
                np.zeros((800, 600), np.uint8),
                np.full((800, 600), 230, np.uint8),
            ]
        ),
        np.zeros((5, 5, 3), np.uint8),  # tiny
        np.full((400, 300), 128, np.uint8),  # grayscale
        np.zeros((0, 0, 3), np.uint8),  # empty
        np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8),  # noise
        np.full((100, 100, 4), 255, np.uint8),  # BGRA
        np.ones((200, 200, 3), np.float64),  # float image
    ],
    ids=["blank", "all-red", "tiny", "gray", "empty", "noise", "bgra", "float"],
)
def test_junk_input_never_raises(image: np.ndarray) -> None:
    found = detect_seals_in_image(image)
    assert isinstance(found, list)
    assert len(found) <= 1


def test_similarity_and_owner() -> None:
    assert similarity("福州闽信科技有限公司", "福州闽信科技有限公司") == 1.0
    cand, sim = best_candidate("福州闽倍科技有很公司", ["泉州清源水务有限公司", "福州闽信科技有限公司"])
    assert cand == "福州闽信科技有限公司" and sim >= 0.7
    cfg = load_config().owner
    assert classify_owner("上海市工商行政管理局浦东新区分局", cfg) == "authority"
    assert classify_owner("厦门市市场监督管理局", cfg) == "authority"
    assert classify_owner("福州闽信科技有限公司", cfg) == "company"
    assert classify_owner("", cfg) is None


@pytest.mark.real_samples
def test_real_seal_images_counts(real_samples: Path) -> None:
    folder = real_samples / "seals"
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    total_truth = total_found = total_matched = 0
    for name, tr in truth.items():
        found = detect_seals_in_image(load_image(folder / name), read_text=False)
        assert abs(len(found) - tr["count"]) <= 1, name
        total_truth += tr["count"]
        total_found += len(found)
        total_matched += min(len(found), tr["count"])
    # Measured 14/15 recall, 14/14 precision: the miss is the very faint blue 2009 seal. The
    # faded pink annual-inspection seal (its ring in separate arcs) is found by the fragment pass.
    assert total_matched / total_truth >= 0.9
    assert total_matched / total_found >= 0.9


@pytest.mark.real_samples
def test_faded_ring_in_pieces_is_a_seal_but_gold_title_characters_are_not(real_samples: Path) -> None:
    pink = detect_seals_in_image(
        load_image(real_samples / "seals" / "ll_0087_licence_pink_seals.jpg"), read_text=False
    )
    faded = [s for s in pink if "faded:ring in pieces" in s.notes]
    assert len(faded) == 1 and faded[0].shape == "round"
    x0, y0, x1, y1 = faded[0].bbox  # the 年度检验 grid, left cell
    assert 0.55 < (x0 + x1) / 2 < 0.7 and 0.45 < (y0 + y1) / 2 < 0.62
    for name in ("lic_0031.jpg", "lic_0181.jpg"):  # big gold 营业执照 titles: thick strokes, orange hue
        found = detect_seals_in_image(load_image(real_samples / "licenses" / name), read_text=False)
        assert not [s for s in found if "faded:ring in pieces" in s.notes], name


@pytest.mark.parametrize(
    ("paint", "expected"),
    [("black_text", False), ("grey_rule", False), ("red_circle", True), ("image", True), ("blue_fill", True)],
)
def test_vector_pages_without_coloured_paint_are_not_rendered_for_seals(paint: str, expected: bool) -> None:
    import io

    import pymupdf
    from PIL import Image

    from pipeline.loading import load_document
    from pipeline.options import Limits, PipelineOptions
    from pipeline.page_reader import plan_page

    pdf = pymupdf.open()
    page = pdf.new_page(width=595, height=842)
    page.insert_text((72, 100), "甲方（盖章）：福州闽信科技有限公司" * 2, fontname="china-s", fontsize=12)
    if paint == "grey_rule":
        page.draw_line((72, 120), (520, 120), color=(0.5, 0.5, 0.5))
    elif paint == "red_circle":
        page.draw_circle((300, 400), 60, color=(0.85, 0.1, 0.1), width=3)
    elif paint == "blue_fill":
        page.draw_rect(pymupdf.Rect(100, 300, 200, 340), color=None, fill=(0.1, 0.2, 0.8))
    elif paint == "image":
        buf = io.BytesIO()
        Image.new("RGB", (40, 40), (200, 30, 30)).save(buf, format="PNG")
        page.insert_image(pymupdf.Rect(100, 300, 140, 340), stream=buf.getvalue())
    loaded = load_document(pdf.tobytes(), "p.pdf", Limits())
    content = plan_page(loaded, 0, PipelineOptions())
    assert not isinstance(content, OcrJob) and content.may_show_stamp is not None
    assert content.may_show_stamp() is expected
    renders: list[object] = []
    real = content.region_renderer
    assert real is not None
    content.region_renderer = lambda clip, side: renders.append(clip) or real(clip, side)  # type: ignore[func-returns-value]
    detect_seals(content)
    assert bool(renders) is expected  # no stamp possible: the page is never rendered


def test_colour_masks_computed_around_the_coloured_pixels_equal_the_full_page_masks() -> None:
    from extractors.seals import _blue_mask_full, _red_mask_full, blue_mask, red_mask

    cfg = load_config()
    rng = np.random.default_rng(7)
    page = np.full((400, 300, 3), 245, np.uint8)
    page[50:120, 40:110] = rng.integers(0, 256, (70, 70, 3), dtype=np.uint8)  # colour noise patch
    page[200:230, 150:260] = (40, 40, 200)  # red bar
    page[300:330, 20:90] = (200, 80, 30)  # blue bar
    assert np.array_equal(red_mask(page, cfg.colors.red), _red_mask_full(page, cfg.colors.red))
    assert cfg.colors.blue is not None
    assert np.array_equal(blue_mask(page, cfg.colors.blue), _blue_mask_full(page, cfg.colors.blue))
    assert red_mask(np.full((50, 50, 3), 255, np.uint8), cfg.colors.red).sum() == 0
