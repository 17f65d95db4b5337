"""The Prefect flow `process_document` under a real Prefect API (prefect_test_harness), against the
local folder store and against a real S3 HTTP server (moto) on loopback."""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.model import ExtractionResult
from pipeline.page_reader import vector_page_png
from pipeline.processing import put_upload
from pipeline.store import ObjectStore, open_store
from pipeline.store.keys import page_image_key, result_key
from pipeline.version import PIPELINE_VERSION
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer

pytest_plugins = ["tests.s3_server"]
pytestmark = pytest.mark.slow

USCC = "91350100M000100Y43"


def licence_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    y = 120
    for line in (
        "营 业 执 照",
        f"统一社会信用代码 {USCC}",
        "名称 福州闽信科技有限公司",
        "法定代表人 张三",
        "成立日期 2015年03月02日",
    ):
        page.insert_text((72, y), line, fontname="china-s", fontsize=16)
        y += 40
    return doc.tobytes()


def scanned_png() -> bytes:
    font = ImageFont.truetype(io.BytesIO(pymupdf.Font("china-s").buffer), 48)
    img = Image.new("RGB", (1400, 500), "white")
    draw = ImageDraw.Draw(img)
    draw.text((60, 80), "营业执照", font=font, fill="black")
    draw.text((60, 200), f"统一社会信用代码 {USCC}", font=font, fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def run_and_check(store: ObjectStore) -> None:
    from flows.process_document import process_document

    data = licence_pdf()
    key, created = put_upload(store, "S-TEST-0001", "营业执照.pdf", data)
    assert created
    summary = process_document(key)
    assert not summary.reused
    assert summary.status == "success", summary.errors
    assert summary.text_sources == ["text_layer"]
    stored = ExtractionResult.model_validate_json(store.get_bytes(summary.result_key))
    assert summary.result_key == result_key(stored.document.sha256, PIPELINE_VERSION)
    assert stored.document.name == "营业执照.pdf"
    assert stored.pipeline_version == PIPELINE_VERSION
    # a text-layer page gets no stored image: readers render it from the upload on demand
    assert not store.exists(page_image_key(stored.document.sha256, PIPELINE_VERSION, 0))
    png = vector_page_png(data, 0)
    assert png is not None and png.startswith(b"\x89PNG") and vector_page_png(data, 1) is None
    assert store.get_bytes(key) == data, "the upload must never be modified"

    again = process_document(key)
    assert again.reused and again.sha256 == summary.sha256
    forced = process_document(key, force=True)
    assert not forced.reused


def test_flow_on_local_store(prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    run_and_check(open_store())


def test_flow_on_s3_store(
    prefect_api: None, s3_server: MotoServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "EVIDENCE_STORE": "s3",
        "EVIDENCE_S3_ENDPOINT": s3_server.endpoint,
        "EVIDENCE_S3_ACCESS_KEY": ACCESS_KEY,
        "EVIDENCE_S3_SECRET_KEY": SECRET_KEY,
        "EVIDENCE_S3_BUCKET": s3_bucket,
        "EVIDENCE_S3_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    store = open_store()
    assert store.describe().startswith("s3://")
    run_and_check(store)


def test_flow_ocr_page_and_bad_uploads(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.process_document import process_document

    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    store = open_store()
    scan_key, _ = put_upload(store, "S-TEST-0002", "scan.png", scanned_png())
    empty_key, _ = put_upload(store, "S-TEST-0002", "empty.pdf", b"")
    junk_key, _ = put_upload(store, "S-TEST-0002", "word.docx", b"PK\x03\x04 not a document")

    scan = process_document(scan_key)
    assert scan.text_sources == ["ocr"]
    assert scan.status == "success", scan.errors
    stored = ExtractionResult.model_validate_json(store.get_bytes(scan.result_key))
    # an OCR page's image is stored (JPEG): it is the deskewed page the word boxes refer to
    image = store.get_bytes(page_image_key(stored.document.sha256, PIPELINE_VERSION, 0))
    assert image.startswith(b"\xff\xd8\xff")
    assert stored.pages[0].engine and stored.pages[0].engine.startswith(("tesseract", "rapidocr"))
    assert USCC in scan.fields.get("uscc", []), scan.fields

    for key, code in ((empty_key, "empty_file"), (junk_key, "unsupported_format")):
        summary = process_document(key)
        assert summary.status == "failure"
        assert summary.errors and summary.errors[0].startswith(code)
        # the failed result is stored too, so the reviewer sees why
        assert store.exists(summary.result_key)


def test_review_flow_run_directly_is_recorded_in_the_index(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``review_submission`` run started by a deployment (not through the dispatcher) still
    leaves its status and findings in the index."""
    from flows.review_submission import review_submission
    from pipeline.index import open_index
    from pipeline.store.keys import declared_key

    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("EVIDENCE_DB_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")
    store = open_store()
    sid = "S-2023-0005"  # its declared data from the samples, with one licence as the only upload
    declared = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions" / sid / "declared.yaml"
    store.put_bytes(declared_key(sid), declared.read_bytes(), content_type="application/yaml")
    put_upload(store, sid, "营业执照.pdf", licence_pdf())

    result = review_submission(sid, process_missing=True)
    index = open_index()
    row = index.submission(sid)
    assert row is not None and row.status == result.status
    assert row.applicant_name == "深圳鹏启数智信息技术有限公司"
    assert row.review_key and store.exists(row.review_key)
    recorded = {(rule, outcome) for rule, outcome, _severity in index.findings(sid)}
    assert recorded == {(f.rule, f.outcome) for f in result.findings}
    assert recorded, "a submission with one licence and no other material has findings"
