"""Letters: application proof, authorization letter, commitment letter (numbered lists) and the
disclosure choice (text-layer glyphs and page images); born-digital samples against truth.json;
junk input."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from extractors.letters import (
    extract_application_proof,
    extract_authorization_letter,
    extract_commitment_letter,
    extract_disclosure_commitment,
    load_config,
)
from pipeline.content import DocumentContent, PageContent
from pipeline.model import ExtractedField, PageInfo, Word
from pipeline.runner import read_document

SAMPLES = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"
ENGINE = "tesseract 5.3.0"
Extractor = Callable[[DocumentContent], list[ExtractedField]]


class _Page:
    """Builds a page line by line: ``put(text, x, row)``; words split at spaces."""

    def __init__(self) -> None:
        self.words: list[Word] = []

    def put(self, text: str, x: float, row: float, *, size: float = 0.018) -> _Page:
        y0 = 0.05 + row * 0.03
        for tok in text.split(" "):
            width = size * 0.9 * len(tok)
            self.words.append(Word(text=tok, bbox=(x, y0, x + width, y0 + size), confidence=0.93))
            x += width + size * 0.35
        return self

    def doc(self, source: str = "ocr", image: np.ndarray | None = None) -> DocumentContent:
        engine = ENGINE if source == "ocr" else "text_layer"
        info = PageInfo(index=0, text_source=source, reason="test", engine=engine)  # type: ignore[arg-type]
        return DocumentContent(
            "l.jpg", "0" * 64, "image/jpeg", [PageContent(0, info, self.words, image=image)]
        )


def _fields(fn: Extractor, doc: DocumentContent) -> dict[str, ExtractedField]:
    out: dict[str, ExtractedField] = {}
    for f in fn(doc):
        out.setdefault(f.name, f)
    return out


# --- application proof -------------------------------------------------------------------------


def _proof(issuer_line: str = "江城市水务集团有限公司") -> _Page:
    p = _Page()
    p.put("应用证明", 0.4, 2, size=0.03)
    p.put("兹证明,江城信创软件有限公司于2022年4月1日至2022年11月30", 0.17, 6)
    p.put("日期间,在我单位实施部署了协同办公平台V5.2,完成“江城水务协同办公平台", 0.13, 7)
    p.put("信创改造项目”建设,系统运行稳定。", 0.13, 8)
    p.put("特此证明。", 0.17, 10)
    p.put(issuer_line, 0.45, 20)
    p.put("2022年12月20日", 0.45, 22)
    return p


def test_application_proof_fields() -> None:
    f = _fields(extract_application_proof, _proof().doc())
    assert f["issuer"].value == "江城市水务集团有限公司"
    assert f["project_name"].value == "江城水务协同办公平台信创改造项目"
    assert f["deployment_start"].value == "2022-04-01"
    assert f["deployment_end"].value == "2022-11-30"  # the date wraps onto the next line
    assert f["issue_date"].value == "2022-12-20"
    assert all(x.engine == ENGINE and x.bbox is not None for x in f.values())


@pytest.mark.parametrize(
    ("line", "issuer"),
    [
        ("证明单位(盖章):江城市第一人民医院", "江城市第一人民医院"),
        ("江城市南湖区实验学校(盖章)", "江城市南湖区实验学校"),
        ("用户单位:江城市数据管理局", "江城市数据管理局"),
    ],
)
def test_application_proof_issuer_variants(line: str, issuer: str) -> None:
    assert _fields(extract_application_proof, _proof(line).doc())["issuer"].value == issuer


# --- authorization letter ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "person"),
    [
        ("兹授权我单位李晓婷同志(部门/职务:市场部经理)作为我单位代表,办理注册", "李晓婷"),
        ("兹授权周婧(身份证号:略)为我单位代表,办理账号注册", "周婧"),
        ("我单位授权欧阳明远先生作为被授权人,办理账号注册", "欧阳明远"),
    ],
)
def test_authorization_letter(sentence: str, person: str) -> None:
    p = _Page()
    p.put("注册授权书", 0.4, 2, size=0.03)
    p.put(sentence, 0.17, 6)
    p.put("授权期限:自本授权书签署之日起至2023年12月31日止。", 0.17, 8)
    p.put("授权单位(盖章):江城信创软件有限公司", 0.42, 20)
    p.put("被授权人(签字):", 0.42, 22)
    p.put("日期:2023年1月5日", 0.42, 24)
    f = _fields(extract_authorization_letter, p.doc())
    assert f["authorized_person"].value == person
    assert f["company_name"].value == "江城信创软件有限公司"
    assert f["issue_date"].value == "2023-01-05"  # not the end of the 授权期限


def test_authorization_letter_labelled_person_and_unlabelled_date() -> None:
    p = _Page()
    p.put("授权书", 0.4, 2, size=0.03)
    p.put("被授权人:王小明", 0.17, 6)
    p.put("江城信创软件有限公司", 0.45, 20)
    p.put("二〇二三年一月九日", 0.45, 22)
    f = _fields(extract_authorization_letter, p.doc())
    assert f["authorized_person"].value == "王小明"
    assert f["company_name"].value == "江城信创软件有限公司"
    assert f["issue_date"].value == "2023-01-09"


# --- commitment letter -------------------------------------------------------------------------

_ITEMS = [
    "营业执照(副本)",
    "注册授权书",
    "项目实施合同(江城市水务集团有限公司)",
    "发明专利证书(ZL 2021 1 1034527.2)",
]


def _commitment(numbering: Callable[[int], str]) -> _Page:
    p = _Page()
    p.put("信息技术应用创新解决方案申报承诺书", 0.23, 1, size=0.03)
    p.put("方案名称:江城政务协同办公平台信创解决方案", 0.13, 4)
    p.put("本方案具体内容通过线上系统进行填报,并提交相关证明材料,清单如下:", 0.17, 6)
    for k, item in enumerate(_ITEMS, start=1):
        p.put(f"{numbering(k)}{item}", 0.17, 7 + k)
    p.put("我单位申报的所有材料,均真实、完整,且不涉及国家秘密。", 0.17, 13)
    p.put("企业名称(盖章):江城信创软件有限公司", 0.42, 20)
    p.put("日期:2023年1月16日", 0.42, 22)
    return p


@pytest.mark.parametrize(
    "numbering",
    [lambda k: f"{k}. ", lambda k: f"{k}.", lambda k: f"{k}、", lambda k: f"({k})", lambda k: f"（{k}）"],
    ids=["dot-space", "dot", "dunhao", "paren", "fullwidth-paren"],
)
def test_commitment_letter_numbered_lists(numbering: Callable[[int], str]) -> None:
    f = _fields(extract_commitment_letter, _commitment(numbering).doc())
    assert f["solution_name"].value == "江城政务协同办公平台信创解决方案"
    expected = [s.replace("(", "（").replace(")", "）") for s in _ITEMS]
    assert f["materials"].value == expected
    assert f["issue_date"].value == "2023-01-16"
    box = f["materials"].bbox
    assert box is not None and box[1] < 0.05 + 8 * 0.03 + 0.001 and box[3] > 0.05 + 11 * 0.03


def test_commitment_letter_table_rows() -> None:
    p = _Page()
    p.put("方案名称:江城解决方案", 0.13, 4)
    p.put("序号", 0.15, 6).put("材料名称", 0.4, 6)
    for k, item in enumerate(_ITEMS[:3], start=1):
        p.put(str(k), 0.16, 6 + k).put(item, 0.4, 6 + k)
    f = _fields(extract_commitment_letter, p.doc())
    assert f["materials"].value == [s.replace("(", "（").replace(")", "）") for s in _ITEMS[:3]]


def test_commitment_letter_wrapped_item() -> None:
    p = _Page()
    p.put("1.营业执照(副本)", 0.17, 8)
    p.put("2.产品兼容性认证证书(人大金仓数据库管理系统", 0.17, 9)
    p.put("KingbaseES V8)", 0.19, 10)
    p.put("3.注册授权书", 0.17, 11)
    f = _fields(extract_commitment_letter, p.doc())
    assert f["materials"].value == [
        "营业执照（副本）",
        "产品兼容性认证证书（人大金仓数据库管理系统KingbaseES V8）",
        "注册授权书",
    ]


# --- disclosure commitment ---------------------------------------------------------------------

OPTIONS = ("自愿", "经审批后", "不愿")


def _disclosure_words(mark: str | None, glyphs: bool) -> _Page:
    p = _Page()
    p.put("申报材料公开承诺书", 0.33, 2, size=0.03)
    p.put("在不涉及商业机密的情况下,我单位", 0.18, 7)
    x = 0.22
    for opt in OPTIONS:
        glyph = ("√" if opt == mark else "□") if glyphs else ""
        p.put(glyph + opt, x, 9)
        x += 0.15
    p.put("公开本材料供主办单位和承办单位用于学习交流分享。", 0.13, 11)
    p.put("企业名称(盖章):江城信创软件有限公司", 0.42, 18)
    p.put("日期:2023年1月16日", 0.42, 20)
    return p


@pytest.mark.parametrize("choice", OPTIONS)
def test_disclosure_text_layer_glyph(choice: str) -> None:
    f = _fields(extract_disclosure_commitment, _disclosure_words(choice, glyphs=True).doc("text_layer"))
    assert f["choice"].value == choice
    assert f["issue_date"].value == "2023-01-16"
    assert f["choice"].engine == "text_layer"


def _disclosure_image(p: _Page, mark: str | None, style: str) -> np.ndarray:
    """A page image with a box in front of each option word; the chosen one ticked or filled."""
    h, w = 1400, 1000
    img = np.full((h, w, 3), 235, np.uint8)
    for word in p.words:
        x0, y0, x1, y1 = word.bbox
        if word.text not in OPTIONS:
            cv2.rectangle(img, (int(x0 * w), int(y0 * h)), (int(x1 * w), int(y1 * h)), (40, 40, 40), -1)
            continue
        ch = (y1 - y0) * h
        bx0, by0 = int(x0 * w - 1.2 * ch), int(y0 * h)
        bx1, by1 = int(x0 * w - 0.25 * ch), int(y1 * h)
        cv2.rectangle(img, (bx0, by0), (bx1, by1), (30, 30, 30), 2)
        if word.text == mark:
            if style == "tick":
                pts = np.array([[bx0 + 3, by0 + 12], [bx0 + 9, by1 - 3], [bx1 - 2, by0 + 2]], np.int32)
                cv2.polylines(img, [pts], False, (20, 20, 20), 3)
            else:
                cv2.rectangle(img, (bx0, by0), (bx1, by1), (20, 20, 20), -1)
        for k in range(len(word.text)):  # glyph blobs for the option text itself
            cx = int(x0 * w + (k + 0.5) * (x1 - x0) * w / len(word.text))
            cv2.circle(img, (cx, int((y0 + y1) / 2 * h)), int(ch / 3), (40, 40, 40), -1)
    return img


@pytest.mark.parametrize("style", ["tick", "filled"])
@pytest.mark.parametrize("choice", OPTIONS)
def test_disclosure_scan_box_ink(choice: str, style: str) -> None:
    p = _disclosure_words(None, glyphs=False)
    f = _fields(extract_disclosure_commitment, p.doc("ocr", _disclosure_image(p, choice, style)))
    assert f["choice"].value == choice
    assert f["choice"].engine == ENGINE


def test_disclosure_nothing_marked_gives_no_choice() -> None:
    p = _disclosure_words(None, glyphs=False)
    f = _fields(extract_disclosure_commitment, p.doc("ocr", _disclosure_image(p, None, "tick")))
    assert "choice" not in f
    assert f["issue_date"].value == "2023-01-16"


def test_disclosure_two_glyphs_marked_gives_no_choice() -> None:
    p = _Page().put("√自愿 √经审批后 □不愿", 0.22, 9)
    assert "choice" not in _fields(extract_disclosure_commitment, p.doc("text_layer"))


def test_config_is_valid() -> None:
    cfg = load_config()
    assert cfg.choice_options == list(OPTIONS)


# --- samples -------------------------------------------------------------------------------------

_BY_TYPE: dict[str, Extractor] = {
    "application_proof": extract_application_proof,
    "authorization_letter": extract_authorization_letter,
    "commitment_letter": extract_commitment_letter,
    "disclosure_commitment": extract_disclosure_commitment,
}


def _born_digital_letters() -> list[tuple[Path, str, dict[str, Any]]]:
    out = []
    for truth_path in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("variant") != "born_digital":
            continue
        for name, doc in truth["documents"].items():
            if doc["doc_type"] in _BY_TYPE and (truth_path.parent / name).exists():
                out.append((truth_path.parent / name, doc["doc_type"], doc["fields"]))
    return out


@pytest.mark.parametrize(
    "path,doc_type,expected", _born_digital_letters(), ids=lambda x: getattr(x, "name", None) or str(x)[:12]
)
def test_born_digital_samples_match_truth(path: Path, doc_type: str, expected: dict[str, Any]) -> None:
    fields = _fields(_BY_TYPE[doc_type], read_document(path))
    assert {k: fields[k].value for k in expected if k in fields} == expected
    for f in fields.values():
        assert f.engine == "text_layer" and f.bbox is not None


def _scanned(doc_type: str) -> list[tuple[Path, str, dict[str, Any]]]:
    out = []
    for truth_path in sorted(SAMPLES.glob("*/truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("variant") != "scanned":
            continue
        for name, doc in truth["documents"].items():
            if doc["doc_type"] == doc_type and (truth_path.parent / name).exists():
                out.append((truth_path.parent / name, doc_type, doc["fields"]))
    return out


@pytest.mark.parametrize(
    "path,doc_type,expected",
    _scanned("disclosure_commitment"),
    ids=lambda x: getattr(x, "name", None) or str(x)[:12],
)
def test_scanned_disclosure_choice(path: Path, doc_type: str, expected: dict[str, Any]) -> None:
    """Scans (OCR line boxes swallow the check box glyph): the ticked box is found on the image."""
    f = _fields(_BY_TYPE[doc_type], read_document(path))
    assert f["choice"].value == expected["choice"]
    assert "check box" in " ".join(f["choice"].notes)


@pytest.mark.parametrize(
    "path,doc_type,expected",
    _scanned("commitment_letter"),
    ids=lambda x: "/".join(getattr(x, "parts", ())[-2:]) or str(x)[:12],
)
def test_scanned_commitment_letter(path: Path, doc_type: str, expected: dict[str, Any]) -> None:
    """Scans: the numbered materials, with a rare character the page OCR drops (涪) re-read."""
    f = _fields(_BY_TYPE[doc_type], read_document(path))
    assert f["solution_name"].value == expected["solution_name"]
    got = [re.sub(r"\s+", "", m) for m in f["materials"].value]  # type: ignore[union-attr]
    assert got == [re.sub(r"\s+", "", m) for m in expected["materials"]]


# --- junk --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", list(_BY_TYPE.values()))
def test_junk_never_raises(fn: Extractor) -> None:
    assert fn(DocumentContent("e.pdf", "0" * 64, "application/pdf", [])) == []
    assert fn(_Page().doc()) == []
    rng = random.Random(11)
    alphabet = "授权单位日期年月日自愿不愿经审批后□√1234567890.、()有限公司:至 "
    p = _Page()
    for row in range(30):
        p.put("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))), rng.random() * 0.4, row)
    img = np.full((500, 400, 3), 255, np.uint8)
    for f in fn(p.doc("ocr", img)):
        assert f.bbox is not None
    lic = _Page().put("营业执照", 0.4, 0, size=0.03).put("名称 江城信创软件有限公司", 0.05, 4)
    lic.put("成立日期 2015年03月02日", 0.55, 5)
    names = {f.name for f in fn(lic.doc())}
    assert not names & {"choice", "materials", "authorized_person", "deployment_start"}
