"""Chinese labels of document types, for messages."""

from __future__ import annotations

TYPE_LABELS = {
    "business_license": "营业执照",
    "authorization_letter": "注册授权书",
    "commitment_letter": "申报承诺书",
    "info_form": "解决方案信息表",
    "disclosure_commitment": "申报材料公开承诺书",
    "contract": "项目实施合同",
    "application_proof": "应用证明",
    "test_report": "第三方测试报告",
    "compat_certificate": "兼容性证明",
    "patent_certificate": "专利证书",
    "software_copyright": "软件著作权证书",
    "honor_certificate": "荣誉证书",
}


def label(doc_type: str) -> str:
    return f"{TYPE_LABELS.get(doc_type, doc_type)}({doc_type})"
