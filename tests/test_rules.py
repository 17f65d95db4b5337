"""Formal-review rules on constructed extraction results (real model objects, no OCR)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pipeline.model import (
    CompatEntry,
    DocumentInfo,
    ErrorItem,
    ExtractedField,
    ExtractionResult,
    Seal,
    SensitiveHit,
)
from validators.config import load_campaign
from validators.declared import DeclaredDataError, parse_declared
from validators.names import compare_names
from validators.review import RULE_ORDER, decide_status, review

APPLICANT = "福州榕信智联科技有限公司"
USCC = "91350100MA2Y7K3B3K"


def declared(**over: Any) -> Any:
    data: dict[str, Any] = {
        "submission_id": "S-T-1",
        "submitted_at": "2023-01-20",
        "applicant": {"name": APPLICANT, "uscc": USCC},
        "solution": {
            "name": "榕信政务协同办公平台信创解决方案",
            "region": "华东",
            "adapted": {"os": ["银河麒麟V10"]},
            "texts": {"unit_intro": "简介"},
            "counts": {"patents": 1},
        },
    }
    for k, v in over.items():
        if k in ("solution", "applicant"):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    return parse_declared(data)


def doc(
    name: str,
    doc_type: str,
    fields: dict[str, Any] | None = None,
    *,
    pages: int = 1,
    seals: list[Seal] | None = None,
    compat: list[CompatEntry] | None = None,
    sensitive: list[SensitiveHit] | None = None,
    status: str = "success",
) -> ExtractionResult:
    r = ExtractionResult(
        document=DocumentInfo(
            name=name, sha256=(name.encode().hex() * 8)[:64], pages=pages, doc_type=doc_type
        ),  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
    )
    from pipeline.model import PageInfo

    r.pages = [PageInfo(index=i, text_source="text_layer", reason="t") for i in range(pages)]
    for k, v in (fields or {}).items():
        r.fields.append(ExtractedField(name=k, value=v, page=0, bbox=(0.1, 0.1, 0.5, 0.12)))
    r.seals = seals or []
    r.compatibility = compat or []
    r.sensitive = sensitive or []
    return r


def seal(text: str | None, page: int = 0) -> Seal:
    return Seal(page=page, bbox=(0.6, 0.7, 0.8, 0.85), confidence=0.9, shape="round", text=text)


def clean_set() -> list[ExtractionResult]:
    return [
        doc(
            "license.pdf",
            "business_license",
            {
                "uscc": USCC,
                "company_name": APPLICANT,
                "address": "福建省福州市鼓楼区",
                "validity_start": "2015-03-02",
                "validity_end": None,
            },
        ),
        doc("auth.pdf", "authorization_letter", seals=[seal(APPLICANT)]),
        doc(
            "commit.pdf",
            "commitment_letter",
            {"materials": ["营业执照", "注册授权书", "项目实施合同", "兼容性互认证明", "发明专利证书"]},
            seals=[seal(APPLICANT)],
        ),
        doc(
            "contract.pdf",
            "contract",
            {"party_a": "福建岚海水务集团有限公司", "party_b": APPLICANT, "sign_date": "2022-03-15"},
            pages=2,
            seals=[seal(APPLICANT, 1), seal("福建岚海水务集团有限公司", 1)],
        ),
        doc(
            "cert.pdf",
            "compat_certificate",
            compat=[
                CompatEntry(
                    category="os", canonical="kylin-server-v10", name="银河麒麟高级服务器操作系统V10", page=0
                )
            ],
        ),
        doc("patent.pdf", "patent_certificate"),
    ]


def outcomes(results: list[ExtractionResult], d: Any = None, **kw: Any) -> dict[str, str]:
    rv = review(d or declared(), results, **kw)
    return {f.rule: f.outcome for f in rv.findings}


def test_every_rule_once_and_clean_set_passes() -> None:
    rv = review(declared(), clean_set())
    assert [f.rule for f in rv.findings] == list(RULE_ORDER)
    bad = {f.rule: f.message for f in rv.findings if f.outcome in ("fail", "needs_review")}
    assert bad == {}
    assert rv.status == "pass"
    assert all(f.message for f in rv.findings)


@pytest.mark.parametrize(
    ("ref_day", "sign", "expected"),
    [
        ("2024-02-29", "2022-02-28", "pass"),  # leap day: the window starts on 28 February
        ("2024-02-29", "2022-02-27", "fail"),
        ("2023-01-20", "2021-01-20", "pass"),  # the first day of the window counts
        ("2023-01-20", "2021-01-19", "fail"),
        ("2023-01-20", "2023-03-01", "needs_review"),  # after the reference date: suspicious
    ],
)
def test_deployment_window_edges(ref_day: str, sign: str, expected: str) -> None:
    results = clean_set()
    results[3] = doc(
        "contract.pdf",
        "contract",
        {"party_b": APPLICANT, "sign_date": sign},
        pages=2,
        seals=[seal(APPLICANT, 1)],
    )
    assert outcomes(results, declared(submitted_at=ref_day))["deployment.within_two_years"] == expected


def test_old_contract_with_acceptance_inside_window_passes_with_note() -> None:
    results = clean_set()
    results[3] = doc(
        "contract.pdf",
        "contract",
        {"party_b": APPLICANT, "sign_date": "2019-05-01", "acceptance_date": "2021-06-30"},
        pages=2,
        seals=[seal(APPLICANT, 1)],
    )
    rv = review(declared(), results)
    f = rv.finding("deployment.within_two_years")
    assert f.outcome == "pass"
    assert "acceptance_date" in f.message and "早于窗口" in f.message
    assert f.evidence[0].document == "contract.pdf"


@pytest.mark.parametrize(
    ("end", "expected"),
    [(None, "pass"), ("2045-03-01", "pass"), ("2023-01-19", "fail"), ("2023-01-20", "pass")],
)
def test_licence_validity(end: str | None, expected: str) -> None:
    results = clean_set()
    results[0].fields = [f for f in results[0].fields if f.name != "validity_end"]
    results[0].fields.append(
        ExtractedField(name="validity_end", value=end, notes=["长期"] if end is None else [])
    )
    assert outcomes(results)["license.valid_on_date"] == expected


@pytest.mark.parametrize(
    ("party_b", "expected"),
    [
        ([APPLICANT, "福建闽榕网络工程有限公司"], "pass"),  # consortium member
        (["福建闽榕网络工程有限公司", "泉州某某科技有限公司"], "fail"),
        ("福州榕信智联科技有限责任公司", "needs_review"),  # 有限责任公司 ≠ 有限公司: never pass
        ("福州榕信智联科技有限公司 ", "pass"),
        ("福州榕信智联科技(有限)公司".replace("(有限)", "有限"), "pass"),
    ],
)
def test_contract_party(party_b: Any, expected: str) -> None:
    results = clean_set()
    results[3].fields = [f for f in results[3].fields if f.name != "party_b"]
    results[3].fields.append(ExtractedField(name="party_b", value=party_b))
    assert outcomes(results)["contract.party_is_applicant"] == expected


def test_seal_of_another_company_fails_and_missing_seal_fails() -> None:
    results = clean_set()
    results[1].seals = [seal("福建闽榕网络工程有限公司")]
    out = outcomes(results)
    assert out["seal.name_matches"] == "fail"
    results[1].seals = []
    out = outcomes(results)
    assert out["seal.required"] == "fail"
    # a contract sealed only on its first page lacks the signature-page seal
    results = clean_set()
    results[3].seals = [seal(APPLICANT, 0)]
    assert outcomes(results)["seal.required"] == "fail"


def test_unread_seal_text_needs_review() -> None:
    results = clean_set()
    results[1].seals = [seal(None)]
    assert outcomes(results)["seal.name_matches"] == "needs_review"


def test_uscc_rules() -> None:
    results = clean_set()
    other = "91350100M000100Y43"
    results[0].fields = [f for f in results[0].fields if f.name != "uscc"]
    results[0].fields.append(ExtractedField(name="uscc", value=other))
    out = outcomes(results)
    assert out["identity.uscc_valid"] == "pass"
    assert out["identity.uscc_matches_declared"] == "fail"
    results[0].fields[-1] = ExtractedField(name="uscc", value=USCC[:-1] + "X", confidence=0.2)
    assert outcomes(results)["identity.uscc_valid"] == "fail"


def test_region_from_division_code() -> None:
    out = outcomes(clean_set(), declared(solution={"region": "华北"}))
    assert out["identity.region_matches"] == "fail"
    assert (
        outcomes(clean_set(), declared(solution={"region": "华东区域"}))["identity.region_matches"] == "pass"
    )


def test_unreadable_licence_makes_identity_needs_review() -> None:
    results = clean_set()
    results[0] = doc("license.pdf", "unknown", status="failure")
    results[0].errors.append(ErrorItem(code="encrypted_pdf", message="x"))
    d = declared(materials=[{"file": "license.pdf", "category": "business_license"}])
    out = outcomes(results, d)
    for rule in (
        "identity.uscc_matches_declared",
        "identity.name_matches_declared",
        "license.valid_on_date",
        "materials.required_present",
    ):
        assert out[rule] == "needs_review", rule
    assert review(d, results).status != "pass"


def test_length_limits_count_every_character_once() -> None:
    limit = load_campaign().length_limits["unit_intro"].max
    ok = "信" * (limit - 2) + "ＡＢ"  # full-width letters count once each
    assert (
        outcomes(clean_set(), declared(solution={"texts": {"unit_intro": ok}}))["form.length_limits"]
        == "pass"
    )
    over = "信" * limit + "。"
    assert (
        outcomes(clean_set(), declared(solution={"texts": {"unit_intro": over}}))["form.length_limits"]
        == "fail"
    )


def test_max_solutions_and_counts() -> None:
    out = outcomes(clean_set(), applicant_submissions=["S-1", "S-2", "S-3"])
    assert out["form.max_solutions"] == "fail"
    out = outcomes(clean_set(), declared(solution={"counts": {"patents": 2}}))
    assert out["form.counts_backed"] == "fail"
    rv = review(declared(solution={"counts": {"patents": 2}}), clean_set())
    assert rv.finding("form.counts_backed").severity == "warning"
    assert rv.status == "needs_review"


def test_commitment_list_mismatch() -> None:
    results = clean_set()
    results[2].fields = [ExtractedField(name="materials", value=["营业执照", "第三方测试报告"])]
    assert outcomes(results)["materials.listed_in_commitment"] == "fail"


def test_sensitive_hit_holds_the_submission() -> None:
    results = clean_set()
    results[4].sensitive = [
        SensitiveHit(
            rule="classification_mark",
            category="classified",
            severity="high",
            text="机密★1年",
            page=1,
            bbox=(0.1, 0.02, 0.3, 0.05),
        )
    ]
    rv = review(declared(), results)
    assert rv.finding("sensitive.none_found").outcome == "fail"
    assert rv.status == "held"
    assert rv.sensitivity == "high"


def test_status_precedence() -> None:
    rv = review(declared(), clean_set())
    fs = rv.findings
    assert decide_status(fs) == "pass"
    fs[0] = fs[0].model_copy(update={"outcome": "needs_review"})
    assert decide_status(fs) == "needs_review"
    fs[1] = fs[1].model_copy(update={"outcome": "fail", "severity": "error"})
    assert decide_status(fs) == "fail"


def test_names() -> None:
    assert compare_names("福州榕信（福建）有限公司", "福州榕信(福建)有限公司", 0.8)[0] == "same"
    assert compare_names("福州榕信有限公司", "福州榕信有限责任公司", 0.8)[0] == "similar"
    assert compare_names("福州榕信有限公司", "北京某某软件股份有限公司", 0.8)[0] == "different"


def test_declared_errors_are_typed() -> None:
    with pytest.raises(DeclaredDataError, match="applicant"):
        parse_declared({"submission_id": "x", "submitted_at": "2023-01-01", "solution": {"name": "n"}})
    with pytest.raises(DeclaredDataError):
        parse_declared(b"[unclosed")
    assert declared().submitted_at == date(2023, 1, 20)


@pytest.mark.parametrize(
    ("declared_os", "evidenced", "expected"),
    [
        (["银河麒麟V10"], "kylin-server-v10", "pass"),
        (["openEuler 22.03 LTS"], "openeuler-20.03-lts", "fail"),  # a certificate for another version
        (["银河麒麟V10"], "kylin-server-v7", "fail"),
        (["统信UOS V20", "银河麒麟V10"], "kylin-server-v10", "fail"),  # one declared OS unbacked
    ],
)
def test_compat_declared_backed(declared_os: list[str], evidenced: str, expected: str) -> None:
    from extractors.catalogue import load_catalogue

    assert evidenced in load_catalogue().products  # a real catalogue id, not an invented one
    results = clean_set()
    results[4].compatibility = [CompatEntry(category="os", canonical=evidenced, name=evidenced, page=0)]
    rv = review(declared(solution={"adapted": {"os": declared_os}}), results)
    f = rv.finding("compat.declared_backed")
    assert f.outcome == expected, f.message
    if expected == "fail":
        assert declared_os[0] in f.message


def test_compat_family_level_declaration() -> None:
    results = clean_set()
    results[4].compatibility = [
        CompatEntry(category="cpu", canonical="phytium-ft2000plus-64", name="飞腾FT-2000+/64")
    ]
    rv = review(declared(solution={"adapted": {"cpu": ["飞腾"], "os": []}}), results)
    assert rv.finding("compat.declared_backed").outcome == "pass"
