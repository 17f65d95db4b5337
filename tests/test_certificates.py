"""Certificate fields from constructed lines (compatibility, patent, software copyright, honour)."""

from __future__ import annotations

import pytest

from extractors.certificates import (
    extract_certificate_compat,
    extract_compat_certificate,
    extract_honor_certificate,
    extract_patent_certificate,
    extract_software_copyright,
    format_patent_number,
    load_config,
    patent_check_digit,
)
from pipeline.content import DocumentContent, PageContent
from pipeline.model import ExtractedField, PageInfo, Word

ENGINE = "tesseract 5.3.0"


def _doc(lines: list[tuple[str, float]]) -> DocumentContent:
    """One OCR page; each line is ``(text, y)`` with space-separated words."""
    words: list[Word] = []
    for n, (text, y) in enumerate(lines):
        x = 0.15
        for tok in text.split(" "):
            w = 0.015 * max(1, len(tok))
            words.append(Word(text=tok, bbox=(x, y, x + w, y + 0.02), confidence=0.9, line=n))
            x += w + 0.004
    info = PageInfo(index=0, text_source="text_layer", reason="text", engine="text_layer")
    return DocumentContent("c.pdf", "0" * 64, "application/pdf", [PageContent(0, info, words)])


def _f(fields: list[ExtractedField]) -> dict[str, object]:
    return {f.name: f.value for f in fields}


MUTUAL = [
    ("兼容性互认证明", 0.13),
    ("证明编号：KYRZ-2022-05188", 0.23),
    ("经福州榕信智联科技有限公司与麒麟软件有限公司联合测试，榕信协同办公平台V5.2与银", 0.33),
    ("河麒麟高级服务器操作系统V10完成兼容性适配测试，功能与性能表现良好。", 0.38),
    ("本证明在2025年5月之前有效。", 0.5),
    ("福州榕信智联科技有限公司", 0.74),
    ("麒麟软件有限公司", 0.78),
    ("二〇二二年五月十日", 0.83),
]
LABELLED = [
    ("产品兼容性认证证书", 0.13),
    ("证书编号：KES-JR-2021-2285", 0.23),
    ("兹证明成都蜀芯云数科技有限公司的蜀芯云监测平台V3.1与北京人大金仓信息技术股份有", 0.31),
    ("限公司的人大金仓数据库管理系统KingbaseES V8经兼容性测试，特发此证。", 0.36),
    ("产品名称：蜀芯云监测平台V3.1", 0.47),
    ("适配产品：人大金仓数据库管理系统KingbaseES V8", 0.52),
    ("颁发日期：二〇二一年十一月二十五日", 0.57),
    ("有效期至：2024年11月24日", 0.62),
    ("北京人大金仓信息技术股份有限公司", 0.77),
]


def test_mutual_recognition_certificate() -> None:
    got = _f(extract_compat_certificate(_doc(MUTUAL)))
    assert got == {
        "certificate_number": "KYRZ-2022-05188",
        "product_name": "榕信协同办公平台",
        "product_version": "V5.2",
        "partner_product": "银河麒麟高级服务器操作系统V10",
        "partner_vendor": "麒麟软件有限公司",
        "issuer": "麒麟软件有限公司",
        "issue_date": "2022-05-10",
        "valid_until": "2025-04-30",  # 在2025年5月之前有效: the last day before May
    }


def test_labelled_certificate_and_compat_entry() -> None:
    doc = _doc(LABELLED)
    got = _f(extract_compat_certificate(doc))
    assert got["product_name"] == "蜀芯云监测平台"
    assert got["partner_product"] == "人大金仓数据库管理系统KingbaseES V8"
    assert got["partner_vendor"] == "北京人大金仓信息技术股份有限公司"
    assert got["issue_date"] == "2021-11-25"
    assert got["valid_until"] == "2024-11-24"
    entries = extract_certificate_compat(doc)
    assert [(e.category, e.name, e.page) for e in entries] == [
        ("database", "人大金仓数据库管理系统KingbaseES V8", 0)
    ]
    assert entries[0].bbox is not None


def test_pair_line() -> None:
    doc = _doc([("互认产品：蜀芯云监测平台V3.1×鲲鹏920", 0.5)])
    got = _f(extract_compat_certificate(doc))
    assert (got["product_name"], got["product_version"], got["partner_product"]) == (
        "蜀芯云监测平台",
        "V3.1",
        "鲲鹏920",
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("有效期至：2025年7月20日", "2025-07-20"),
        ("有效期至：2025年5月", "2025-05-31"),
        ("本证明在2025年3月之前有效。", "2025-02-28"),
        ("本证书在2024年3月之前有效", "2024-02-29"),
    ],
)
def test_validity_conventions(line: str, expected: str) -> None:
    assert _f(extract_compat_certificate(_doc([(line, 0.5)])))["valid_until"] == expected


PATENT = [
    ("发明专利证书", 0.14),
    ("发明名称：一种基于国产密码算法的电子公文签章验证方法及系统", 0.29),
    ("专利号： ZL 2021 1 1034527.2", 0.36),
    ("专利权人：福州榕信智联科技有限公司", 0.43),
    ("授权公告日：2022年7月12日", 0.5),
]


def test_patent_certificate() -> None:
    fields = extract_patent_certificate(_doc(PATENT))
    got = _f(fields)
    assert got == {
        "patent_number": "ZL 2021 1 1034527.2",
        "title": "一种基于国产密码算法的电子公文签章验证方法及系统",
        "owner": "福州榕信智联科技有限公司",
        "announce_date": "2022-07-12",
    }
    pn = next(f for f in fields if f.name == "patent_number")
    assert "ZL202111034527.2" in pn.notes[0]


@pytest.mark.parametrize(
    ("printed", "value", "ok"),
    [
        ("专利号：ZL20211 1034527.2", "ZL 2021 1 1034527.2", True),
        ("专利号：ZL 2020 1 1587346.8", "ZL 2020 1 1587346.8", True),
        ("专利号：ZL 2020 1 1587346.3", "ZL 2020 1 1587346.3", False),
    ],
)
def test_patent_number_forms(printed: str, value: str, ok: bool) -> None:
    f = next(f for f in extract_patent_certificate(_doc([(printed, 0.4)])) if f.name == "patent_number")
    assert f.value == value
    assert (f.confidence > 0.5) is ok


def test_patent_check_digit() -> None:
    assert patent_check_digit("202111034527") == "2"
    assert format_patent_number("202111034527", "2") == "ZL 2021 1 1034527.2"


def test_software_copyright() -> None:
    doc = _doc(
        [
            ("计算机软件著作权登记证书", 0.12),
            ("软件名称：榕信协同办公平台V5.2", 0.3),
            ("著作权人：福州榕信智联科技有限公司", 0.36),
            ("登记号：2021SR0123456", 0.42),
            ("发证日期：2021年01月22日", 0.8),
        ]
    )
    assert _f(extract_software_copyright(doc)) == {
        "registration_number": "2021SR0123456",
        "title": "榕信协同办公平台V5.2",
        "owner": "福州榕信智联科技有限公司",
        "issue_date": "2021-01-22",
    }


def test_honor_certificate() -> None:
    doc = _doc(
        [
            ("荣誉证书", 0.12),
            ("授予福州榕信智联科技有限公司“2022年度信创优秀解决方案”称号。", 0.35),
            ("福建省软件行业协会", 0.75),
            ("二〇二二年十二月一日", 0.8),
        ]
    )
    got = _f(extract_honor_certificate(doc))
    assert got["owner"] == "福州榕信智联科技有限公司"
    assert got["title"] == "2022年度信创优秀解决方案"
    assert got["issuer"] == "福建省软件行业协会"
    assert got["issue_date"] == "2022-12-01"


@pytest.mark.parametrize(
    "junk", ["", "证书编号：", "专利号：ZL", "有效期至：2025年13月", "登记号：SR", "授予称号", "×" * 40]
)
def test_junk_never_raises(junk: str) -> None:
    doc = _doc([(junk, 0.5)] if junk else [])
    for fn in (extract_compat_certificate, extract_patent_certificate, extract_software_copyright,
               extract_honor_certificate, extract_certificate_compat):  # fmt: skip
        fn(doc)


def test_config_is_valid() -> None:
    assert load_config().compat.body_patterns
