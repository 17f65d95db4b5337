"""Document-type classification from title/keyword evidence."""

from __future__ import annotations

import pytest

from extractors.classify import CONFIG_PATH, classify, load_config
from pipeline.content import DocumentContent, PageContent
from pipeline.model import PageInfo, Word


def _doc(lines: list[str], *, spaced: bool = False) -> DocumentContent:
    """One page; each string becomes a line of words (one word per character when ``spaced``)."""
    words: list[Word] = []
    for i, text in enumerate(lines):
        y0 = 0.05 + i * 0.06
        tokens = list(text) if spaced else [text]
        for k, tok in enumerate(tokens):
            x0 = 0.1 + k * 0.03
            words.append(Word(text=tok, bbox=(x0, y0, x0 + 0.03, y0 + 0.03), line=i))
    info = PageInfo(index=0, text_source="ocr", reason="test", engine="test")
    return DocumentContent("d.png", "0" * 64, "image/png", [PageContent(0, info, words)])


def test_config_validates() -> None:
    cfg = load_config(CONFIG_PATH)
    assert "business_license" in cfg.types
    assert cfg.types["business_license"].negatives


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["营业执照", "统一社会信用代码 91440300312067220D", "名称 某某有限公司", "法定代表人 张三"],
            "business_license",
        ),
        (["企业法人营业执照", "注册号 110108005506778", "法定代表人姓名 张三"], "business_license"),
        (["注册授权书", "兹授权我单位员工为被授权人", "特此授权"], "authorization_letter"),
        (["申报承诺书", "我单位承诺所提交的申报材料真实有效", "材料清单"], "commitment_letter"),
        (["申报材料公开承诺书", "自愿 经审批后 不愿 公开"], "disclosure_commitment"),
        (["技术服务合同", "甲方：某银行", "乙方：某科技有限公司", "违约责任"], "contract"),
        (["应用证明", "兹证明某公司的解决方案已在我单位部署", "特此证明"], "application_proof"),
        (["推荐函", "特此证明"], "application_proof"),
        (["测试报告", "报告编号 R-001", "测试结论 通过", "测试环境"], "test_report"),
        (["兼容性认证证书", "经测试与银河麒麟操作系统兼容", "适配"], "compat_certificate"),
        (["发明专利证书", "专利号 ZL2020", "专利权人 某公司", "国家知识产权局"], "patent_certificate"),
        (["计算机软件著作权登记证书", "著作权人 某公司", "登记号", "国家版权局"], "software_copyright"),
        (["荣誉证书", "荣获优秀解决方案奖", "特发此证"], "honor_certificate"),
        (["会议纪要", "今天天气不错"], "other"),
    ],
)
def test_types(lines: list[str], expected: str) -> None:
    doc_type, confidence, reasons = classify(_doc(lines))
    assert doc_type == expected, reasons
    assert 0.0 <= confidence <= 1.0
    assert reasons


def test_ocr_spaced_and_one_wrong_character() -> None:
    got = classify(_doc(["营 业 执 照", "统一社会信甩代码 9144", "法定代表人 张三"], spaced=True))
    assert got.doc_type == "business_license"
    assert any("统一社会信用代码" in r for r in got.reasons)


def test_food_permit_is_not_a_business_license() -> None:
    got = classify(
        _doc(
            ["食品经营许可证", "经营者名称 某某餐饮店", "社会信用代码 9144", "法定代表人 张三", "许可证编号"]
        )
    )
    assert got.doc_type != "business_license"


def test_title_near_top_weighs_more() -> None:
    top = classify(_doc(["测试报告", "正文", "正文", "正文", "正文", "正文"]))
    body = classify(_doc(["正文", "正文", "正文", "正文", "正文", "测试报告"]))
    assert top.doc_type == body.doc_type == "test_report"
    assert top.confidence >= body.confidence
    assert any("near the top" in r for r in top.reasons)


def test_commitment_not_confused_with_disclosure() -> None:
    assert classify(_doc(["申报材料公开承诺书", "自愿公开"])).doc_type == "disclosure_commitment"


def test_empty_document_is_other() -> None:
    empty = DocumentContent("e.pdf", "0" * 64, "application/pdf", [])
    assert classify(empty).doc_type == "other"
