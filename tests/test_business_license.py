"""Business-licence field extraction from positioned words (constructed geometry and real scans)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from extractors.business_license import extract_business_license
from extractors.registry import run_extractors
from extractors.text import normalize_name
from extractors.uscc import calc_check_digit
from pipeline.content import DocumentContent, PageContent
from pipeline.model import ExtractedField, PageInfo, Word

ENGINE = "tesseract 5.3.0"
LICENSES = Path(__file__).resolve().parents[2] / "shared" / "real-samples" / "licenses"


class _Page:
    """Builds a page word by word: ``put(text, x, line)`` places a word on a line row."""

    def __init__(self) -> None:
        self.words: list[Word] = []

    def put(self, text: str, x: float, line: int, *, spaced: bool = False, conf: float = 0.95) -> None:
        y0 = 0.1 + line * 0.05
        tokens = list(text) if spaced else [text]
        step = 0.02
        for tok in tokens:
            width = step * len(tok)
            self.words.append(Word(text=tok, bbox=(x, y0, x + width, y0 + 0.02), confidence=conf, line=line))
            x += width + (0.01 if spaced else 0.005)

    def doc(self) -> DocumentContent:
        info = PageInfo(index=0, text_source="ocr", reason="scan", engine=ENGINE)
        return DocumentContent("lic.jpg", "0" * 64, "image/jpeg", [PageContent(0, info, self.words)])


def _fields(doc: DocumentContent) -> dict[str, ExtractedField]:
    return {f.name: f for f in extract_business_license(doc)}


def _new_form() -> _Page:
    """Landscape 2016+ form: label and value on the same line, two columns."""
    p = _Page()
    p.put("营业执照", 0.4, 0)
    p.put("统一社会信用代码", 0.05, 1)
    p.put("91440300312067220D", 0.25, 1)
    p.put("名称", 0.05, 2)
    p.put("深圳市南方源芯电气有限公司", 0.12, 2)
    p.put("注册资本", 0.55, 2)
    p.put("壹佰万元整", 0.65, 2)
    p.put("类型", 0.05, 3)
    p.put("有限责任公司(自然人投资或控股)", 0.12, 3)
    p.put("成立日期", 0.55, 3)
    p.put("2014年09月04日", 0.65, 3)
    p.put("法定代表人", 0.05, 4)
    p.put("常国强", 0.17, 4)
    p.put("营业期限", 0.55, 4)
    p.put("2014年09月04日至长期", 0.65, 4)
    return p


def test_same_line_layout() -> None:
    f = _fields(_new_form().doc())
    assert f["uscc"].value == "91440300312067220D"
    assert f["uscc"].confidence > 0.8 and f["uscc"].notes == []
    assert f["company_name"].value == "深圳市南方源芯电气有限公司"
    assert f["company_type"].value == "有限责任公司（自然人投资或控股）"
    assert f["legal_representative"].value == "常国强"
    assert f["established_date"].value == "2014-09-04"
    assert "registration_number" not in f
    for field in f.values():
        assert field.page == 0 and field.engine == ENGINE and field.bbox is not None
        x0, y0, x1, y1 = field.bbox
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_value_bbox_is_the_value_words() -> None:
    f = _fields(_new_form().doc())
    bbox = f["legal_representative"].bbox
    assert bbox is not None
    assert bbox[0] == pytest.approx(0.17, abs=0.01)
    assert bbox[2] == pytest.approx(0.17 + 0.06, abs=0.01)
    assert bbox[1] == pytest.approx(0.3, abs=0.001)


def test_value_below_label() -> None:
    p = _Page()
    p.put("营业执照", 0.4, 0)
    p.put("统一社会信用代码", 0.05, 1)
    p.put("91110102MA007PC34K", 0.05, 2)
    p.put("名称", 0.05, 3)
    p.put("北京质信认证有限公司", 0.05, 4)
    p.put("法定代表人", 0.05, 5)
    p.put("段昕雨", 0.05, 6)
    p.put("成立日期", 0.05, 7)
    p.put("2016 年 8 月 16 日", 0.05, 8)
    f = _fields(p.doc())
    assert f["uscc"].value == "91110102MA007PC34K"
    assert f["company_name"].value == "北京质信认证有限公司"
    assert f["legal_representative"].value == "段昕雨"
    assert f["established_date"].value == "2016-08-16"


def test_ocr_spaced_and_misread_labels() -> None:
    p = _Page()
    p.put("统 一 社 会 信 用 代 码", 0.05, 1, spaced=True)
    p.put("91330108MA27XNGCXY", 0.3, 1)
    p.put("名杯", 0.05, 2)
    p.put("浙江四合检测科技有限公司", 0.12, 2)
    p.put("法定代表人", 0.05, 3)
    p.put(":王慈慈", 0.17, 3)
    p.put("成立日期", 0.05, 4, spaced=True)
    p.put("2016年05月18日", 0.2, 4)
    f = _fields(p.doc())
    assert f["uscc"].value == "91330108MA27XNGCXY"
    assert f["company_name"].value == "浙江四合检测科技有限公司"
    assert f["legal_representative"].value == "王慈慈"
    assert f["established_date"].value == "2016-05-18"


def test_letter_spaced_label_with_lost_first_character() -> None:
    p = _Page()
    p.put("称", 0.08, 1)
    p.put("广州市广京装饰材料有限公司", 0.12, 1)
    p.put("型", 0.08, 2)
    p.put("有限责任公司(自然人投资或控股)", 0.12, 2)
    f = _fields(p.doc())
    assert f["company_name"].value == "广州市广京装饰材料有限公司"
    assert f["company_type"].value == "有限责任公司（自然人投资或控股）"


def test_code_repaired_by_check_digit() -> None:
    p = _new_form()
    p.words[2] = p.words[2].model_copy(update={"text": "9144O3OO312067220D"})
    f = _fields(p.doc())["uscc"]
    assert f.value == "91440300312067220D"
    assert f.raw == "9144O3OO312067220D"
    assert f.notes == ["O→0 repaired by check digit"]
    assert 0.5 < f.confidence < 0.95


def test_bad_check_digit_is_low_confidence_never_valid() -> None:
    p = _new_form()
    good = "91440300312067220D"
    bad = good[:17] + ("E" if calc_check_digit(good) != "E" else "F")
    p.words[2] = p.words[2].model_copy(update={"text": bad})
    f = _fields(p.doc())["uscc"]
    if f.notes and "repaired" in f.notes[0]:
        pytest.skip("this corruption happens to have a unique repair")
    assert f.confidence <= 0.3
    assert any("not a valid USCC" in n for n in f.notes)


def test_old_licence_registration_number() -> None:
    p = _Page()
    p.put("企业法人营业执照", 0.3, 0)
    p.put("注册号", 0.05, 1)
    p.put("110108005506778", 0.15, 1)
    p.put("名称", 0.05, 2)
    p.put("北京凌科信诺科技有限公司", 0.12, 2)
    p.put("法定代表人姓名", 0.05, 3)
    p.put("厉世平", 0.25, 3)
    p.put("成立日期", 0.05, 4)
    p.put("二〇〇三年三月三日", 0.2, 4)
    f = _fields(p.doc())
    assert f["registration_number"].value == "110108005506778"
    assert "uscc" not in f
    assert f["legal_representative"].value == "厉世平"
    assert f["established_date"].value == "2003-03-03"


def test_individual_business_operator_and_distractor_number() -> None:
    p = _Page()
    p.put("编号320922003202311170008", 0.6, 0)
    p.put("统一社会信用代码", 0.05, 1)
    p.put("92320922MAD3E3Q111", 0.25, 1)
    p.put("名称", 0.05, 2)
    p.put("滨海县东坎街道三万烘焙坊(个体工商户)", 0.12, 2)
    p.put("类型", 0.05, 3)
    p.put("个体工商户", 0.12, 3)
    p.put("经营者", 0.05, 4)
    p.put("周领", 0.13, 4)
    p.put("注册日期", 0.05, 5)
    p.put("2023年11月17日", 0.15, 5)
    f = _fields(p.doc())
    assert f["uscc"].value == "92320922MAD3E3Q111"
    assert f["company_name"].value == "滨海县东坎街道三万烘焙坊（个体工商户）"
    assert f["company_type"].value == "个体工商户"
    assert f["legal_representative"].value == "周领"
    assert f["established_date"].value == "2023-11-17"


def test_nothing_found_on_unrelated_page() -> None:
    p = _Page()
    p.put("会议纪要", 0.1, 0)
    p.put("今天讨论了项目进度", 0.1, 1)
    assert extract_business_license(p.doc()) == []


def test_registry_dispatch() -> None:
    doc = _new_form().doc()
    assert [f.name for f in run_extractors(doc, "business_license")][:1] == ["uscc"]
    assert run_extractors(doc, "contract") == []
    assert run_extractors(doc, "other") == []


REAL = ["lic_0101.jpg", "lic_0162.jpg", "lic_0199.jpg"]


@pytest.mark.real_samples
@pytest.mark.slow
def test_real_licences() -> None:
    if not LICENSES.exists():
        pytest.skip("real-samples/licenses not available")
    runner = pytest.importorskip("pipeline.runner")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    truth = json.loads((LICENSES / "truth.json").read_text(encoding="utf-8"))
    started = time.monotonic()
    correct = reported = 0
    for name in REAL:
        doc = runner.read_document(LICENSES / name)
        for f in extract_business_license(doc):
            want = truth[name].get(f.name)
            if f.confidence < 0.5:
                continue
            reported += 1
            # a confident value must not be invented where the truth has none
            assert want is not None, (name, f.name)
            correct += normalize_name(str(f.value)) == normalize_name(str(want))
    assert reported >= 6
    assert correct >= reported * 0.6
    assert time.monotonic() - started < 60
