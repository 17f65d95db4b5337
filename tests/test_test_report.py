"""Test-report fields from constructed lines, and the environment table against the samples' truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.test_report import extract_test_environment, extract_test_report, load_config, split_version
from pipeline.content import DocumentContent, PageContent
from pipeline.model import ExtractedField, PageInfo, Word

ENGINE = "tesseract 5.3.0"
SAMPLES = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"


def _doc(lines: list[str], *, y0: float = 0.3, spaced: bool = False) -> DocumentContent:
    """One OCR page whose lines are ``lines`` (one word per token, or per character if spaced)."""
    words: list[Word] = []
    for n, text in enumerate(lines):
        y = y0 + n * 0.05
        x = 0.1
        for tok in list(text) if spaced else text.split(" "):
            w = 0.015 * max(1, len(tok))
            words.append(Word(text=tok, bbox=(x, y, x + w, y + 0.02), confidence=0.9, line=n))
            x += w + 0.004
    info = PageInfo(index=0, text_source="ocr", reason="scan", engine=ENGINE)
    return DocumentContent("r.jpg", "0" * 64, "image/jpeg", [PageContent(0, info, words)])


def _fields(doc: DocumentContent) -> dict[str, ExtractedField]:
    out: dict[str, ExtractedField] = {}
    for f in extract_test_report(doc):
        out.setdefault(f.name, f)
    return out


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("报告编号： DNXC-RT-2022-0387", "report_number", "DNXC-RT-2022-0387"),
        ("报告编号:XBXC-CS-2022-1142 第2页 共3页", "report_number", "XBXC-CS-2022-1142"),
        ("产品名称： 榕信协同办公平台", "product_name", "榕信协同办公平台"),
        ("产品名称：蜀芯云监测平台V3.1", "product_version", "V3.1"),
        ("版本号： V5.2", "product_version", "V5.2"),
        ("委托单位：福州榕信智联科技有限公司", "client", "福州榕信智联科技有限公司"),
        ("委托单位: 。福州榕信智联科技有跟公司", "client", "福州榕信智联科技有限公司"),
        (
            "测试单位：东南信创软件测评实验室〈福州)有限公司_",
            "testing_organization",
            "东南信创软件测评实验室（福州）有限公司",
        ),
        (
            "检测机构：西部信创软件测评中心（成都）有限公司",
            "testing_organization",
            "西部信创软件测评中心（成都）有限公司",
        ),
        ("报告日期：2022年8月26日", "report_date", "2022-08-26"),
        ("签发日期：二〇二二年十月十四日", "report_date", "2022-10-14"),
        ("测试指标满足要求。测试结论：通过。", "conclusion", "通过"),
        ("检测结论：不符合", "conclusion", "不符合"),
        ("测试结论：基本符合要求", "conclusion", "基本符合"),
        ("测试结论：未通过。", "conclusion", "不通过"),
    ],
)
def test_labelled_fields(line: str, field: str, value: str) -> None:
    f = _fields(_doc([line]))[field]
    assert f.value == value
    assert f.engine == ENGINE and f.page == 0 and f.bbox is not None
    assert 0.0 < f.confidence <= 1.0


def test_ocr_spaced_characters() -> None:
    f = _fields(_doc(["报告日期：2022年8月26日", "委托单位：福州榕信智联科技有限公司"], spaced=True))
    assert f["report_date"].value == "2022-08-26"
    assert f["client"].value == "福州榕信智联科技有限公司"


def test_conclusion_raw_is_the_sentence() -> None:
    f = _fields(_doc(["测试指标满足要求。测试结论：通过。"]))["conclusion"]
    assert f.raw == "测试结论:通过。" or f.raw == "测试结论：通过。"


def test_value_below_label() -> None:
    doc = _doc(["测试单位(盖章)：", "东南信创软件测评实验室(福州)有限公司"])
    assert _fields(doc)["testing_organization"].value == "东南信创软件测评实验室（福州）有限公司"


def test_votes_across_pages() -> None:
    doc = _doc(["报告编号：AB-2022-0001", "报告编号：AB-2022-0001", "报告编号：AB-2O22-0001"])
    f = _fields(doc)["report_number"]
    assert f.value == "AB-2022-0001"
    assert any("disagree" in n for n in f.notes)


def test_no_guess_without_labels() -> None:
    assert extract_test_report(_doc(["榕信协同办公平台", "2022年8月26日", "通过"])) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("榕信协同办公平台V5.2", ("榕信协同办公平台", "V5.2")),
        ("平台 v3.1", ("平台", "v3.1")),
        ("平台", ("平台", None)),
    ],
)
def test_split_version(text: str, expected: tuple[str, str | None]) -> None:
    assert split_version(text) == expected


@pytest.mark.parametrize("junk", ["", "\x00\x01", "报告编号：", "测试结论：", "委托单位：()", "！！！" * 50])
def test_junk_never_raises(junk: str) -> None:
    doc = _doc([junk] if junk else [])
    extract_test_report(doc)
    assert extract_test_environment(doc) == []


def test_config_is_valid() -> None:
    cfg = load_config()
    assert {"cpu", "os", "database", "middleware"} <= set(cfg.environment.categories)


def _truth_reports(variant: str) -> list[tuple[Path, dict]]:
    out = []
    for t in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(t.read_text(encoding="utf-8"))
        if truth.get("variant") != variant:
            continue
        for name, doc in truth["documents"].items():
            if doc["doc_type"] == "test_report" and (t.parent / name).exists():
                out.append((t.parent / name, doc))
    return out


def test_born_digital_reports_match_truth() -> None:
    from pipeline.runner import read_document

    reports = _truth_reports("born_digital")
    if not reports:
        pytest.skip("no born-digital test report samples")
    path, truth = reports[0]
    doc = read_document(path)
    doc.source_pdf = path.read_bytes()
    got = _fields(doc)
    for name, value in truth["fields"].items():
        assert got[name].value == value, name
    entries = extract_test_environment(doc)
    want = [(c["category"], c["name"], c["page"]) for c in truth["compatibility"]]
    assert [(e.category, e.name, e.page) for e in entries] == want
    assert all(e.bbox is not None for e in entries)
    env = [f for f in extract_test_report(doc) if f.name.startswith("env_")]
    assert [f.value for f in env] == [c["name"] for c in truth["compatibility"]]
