"""Second reading of value lines on scanned pages: the edit rules (two readings against one,
Chinese characters only), patched words keep their boxes, a rendered line whose page OCR dropped
or misread a character is restored, text-layer pages and junk are left alone."""

from __future__ import annotations

import numpy as np
import pymupdf
import pytest

from extractors.line_reread import (
    Edit,
    _supported,
    apply_edits,
    candidate_edits,
    line_crop,
    reread_lines,
    supported_edits,
)
from extractors.text import LineIndex
from pipeline.content import PageContent
from pipeline.model import Line, PageInfo, Word


def _line(*texts: str, y: float = 0.1) -> LineIndex:
    words, x = [], 0.1
    for t in texts:
        words.append(Word(text=t, bbox=(x, y, x + 0.03 * len(t), y + 0.02), confidence=0.97))
        x += 0.03 * len(t) + 0.01
    return LineIndex.of(Line(words=words))


@pytest.mark.parametrize(
    "old,new,witness,expected",
    [
        ("城热力供热管网", "涪城热力供热管网", "涪城热力供热管网", [Edit(0, 0, "", "涪")]),  # dropped
        ("绵阳市城热力有限公司", "绵阳市涪城热力有限公司", "绵阳市涪城热力有限", [Edit(3, 3, "", "涪")]),
        ("眠江燃气管网", "岷江燃气管网", "岷江燃气", [Edit(0, 1, "眠", "岷")]),  # misread
        ("四川岷江燃气集团", "四川岷江燃气集团", "四川岷江", []),  # nothing to change
        ("眠江燃气管网", "岷江燃气管网", "嵌江燃气管网", []),  # the witness reads neither
        ("眠江燃气管网", "岷江燃气管网", "岷江燃气 眠江燃气", []),  # the witness reads both
        ("眠江燃气管网", "岷江燃气管网", "", []),  # no witness
        ("项目合同", "项目合", "项目合", []),  # a deletion at the end has no context after it
        ("项目实施合同", "项目合同", "项目合同", [Edit(2, 4, "实施", "")]),
        ("金额1286400元", "金额1286460元", "金额1286460元", []),  # digits are not touched
        ("甲方(委托方)", "甲方〈委托方〉", "甲方〈委托方〉", []),  # nor punctuation
    ],
)
def test_supported_edits(old: str, new: str, witness: str, expected: list[Edit]) -> None:
    assert supported_edits(old, new, witness) == expected


def test_two_rereads_agreeing_or_clashing() -> None:
    """Candidates from two crops: the same edit counts once; two changes at one place that the
    witness both supports (it cannot tell) are dropped."""
    old = "绵阳市城热力有限公司"
    cands = candidate_edits(old, "绵阳市涪城热力有限公司") + candidate_edits(old, "绵阳市涪城热力有限公司")
    assert _supported(cands, "绵阳市涪城热力有限公司") == [Edit(3, 3, "", "涪")]
    cands = candidate_edits(old, "绵阳市涪城热力有限公司") + candidate_edits(old, "绵阳市洛城热力有限公司")
    assert _supported(cands, "绵阳市涪城热力有限公司") == [Edit(3, 3, "", "涪")]
    assert _supported(cands, "阳市涪城热 阳市洛城热") == []  # both supported: a clash


def test_apply_edits_keeps_words_and_boxes() -> None:
    li = _line("甲方:", "绵阳市城热力", "有限公司")
    out = apply_edits(li, [Edit(6, 6, "", "涪")])
    assert out.text == "甲方:绵阳市涪城热力有限公司"
    assert [w.bbox for w in out.line.words] == [w.bbox for w in li.line.words]
    assert out.line.words[1].text == "绵阳市涪城热力"
    start = apply_edits(li, [Edit(0, 0, "", "新")])
    assert start.line.words[0].text == "新甲方:"
    gone = apply_edits(_line("项目", "实施", "合同"), [Edit(2, 4, "实施", "")])
    assert gone.text == "项目合同" and len(gone.line.words) == 2
    assert apply_edits(li, []) is li


def _rendered_page(text: str, ocr_text: str, size: float = 16.0) -> PageContent:
    """A page with ``text`` printed on one line (rendered at 200 dpi) whose OCR words read
    ``ocr_text`` (the page OCR's mistake)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((90, 200), text, fontname="china-s", fontsize=size)
    pix = page.get_pixmap(dpi=200)
    rgb = np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n)[:, :, :3]
    img = np.ascontiguousarray(rgb[:, :, ::-1])
    bbox = (90 / 595, (200 - size * 1.0) / 842, (90 + size * len(text)) / 595, (200 + size * 0.25) / 842)
    info = PageInfo(index=0, text_source="ocr", reason="test", engine="rapidocr 1.4.4")
    return PageContent(0, info, [Word(text=ocr_text, bbox=bbox, confidence=1.0)], image=img)


@pytest.mark.parametrize(
    "printed,misread,size",
    [
        # rare characters are fragile for both engines: at other sizes Tesseract reads 涪 as 洛 /
        # 潜, and then nothing is changed (see the next test)
        ("绵阳市涪城热力有限公司", "绵阳市城热力有限公司", 12.0),
        ("岷江燃气管网生产运营监测系统建设项目", "眠江燃气管网生产运营监测系统建设项目", 16.0),
    ],
)
def test_reread_restores_a_misread_character(printed: str, misread: str, size: float) -> None:
    page = _rendered_page(printed, misread, size)
    lines = [LineIndex.of(ln) for ln in page.lines]
    out = reread_lines(page, lines, [0])
    assert 0 in out, "the line should have been corrected"
    li, note = out[0]
    assert li.text == printed
    assert "Tesseract agrees" in note


def test_reread_without_a_witness_changes_nothing() -> None:
    """At 16 pt RapidOCR re-reads 涪 but Tesseract reads 洛: one reading against one, no change."""
    page = _rendered_page("绵阳市涪城热力有限公司", "绵阳市城热力有限公司", 16.0)
    assert reread_lines(page, [LineIndex.of(ln) for ln in page.lines], [0]) == {}


def test_reread_leaves_a_right_reading_and_text_layers_alone() -> None:
    page = _rendered_page("四川岷江燃气集团有限公司", "四川岷江燃气集团有限公司")
    lines = [LineIndex.of(ln) for ln in page.lines]
    assert reread_lines(page, lines, [0]) == {}
    layer = PageContent(
        0, PageInfo(index=0, text_source="text_layer", reason="t", engine="text_layer"), page.words
    )
    assert reread_lines(layer, lines, [0]) == {}


def test_junk_never_raises() -> None:
    page = _rendered_page("绵阳市涪城热力有限公司", "绵阳市城热力有限公司")
    lines = [LineIndex.of(ln) for ln in page.lines]
    assert reread_lines(page, lines, [5, -1]) == {}
    assert reread_lines(page, [], [0]) == {}
    for img in (np.zeros((0, 0), np.uint8), np.zeros((4, 4, 3), np.uint8), np.zeros((50, 50), np.float32)):
        assert line_crop(img, (0.1, 0.1, 0.9, 0.2)) is None
        blank = PageContent(0, page.info, page.words, image=img)
        assert reread_lines(blank, lines, [0]) == {}
    noise = np.random.default_rng(5).integers(0, 256, (400, 300, 3), dtype=np.uint8)
    assert isinstance(reread_lines(PageContent(0, page.info, page.words, image=noise), lines, [0]), dict)
    assert supported_edits("", "", "") == []
    assert supported_edits("a b", "ab", "ab") == []
