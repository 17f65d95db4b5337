"""The MinIO webhook receiver over real HTTP (FastAPI TestClient) with a real SQLite index.

Most tests use ``Recorder``, a dispatcher that records what it was asked to start (our own
seam between the receiver and Prefect); one end-to-end test runs the real in-process dispatcher
with the real ``process_document`` flow under a Prefect test API and checks the stored result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
import yaml
from fastapi.testclient import TestClient

from evidence.webhook import create_app
from pipeline.errors import ConfigError
from pipeline.index import Index, IndexSettings, open_index
from pipeline.store import LocalFolderStore
from pipeline.store.keys import declared_key, result_key
from pipeline.version import PIPELINE_VERSION
from tests.test_events import S3_TEST_EVENT, minio_body

TOKEN = "s3cr3t-webhook-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PATH = "/minio/events"


class Recorder:
    """A dispatcher that records calls instead of starting flows."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int | None]] = []

    def process(self, key: str, *, event_id: int | None = None) -> None:
        self.calls.append(("process", key, event_id))

    def review(self, submission_id: str, *, event_id: int | None = None) -> None:
        self.calls.append(("review", submission_id, event_id))

    def close(self, *, wait: bool = True) -> None:
        pass


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return open_index(IndexSettings(url=f"sqlite:///{tmp_path / 'index.sqlite3'}"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(index: Index, recorder: Recorder) -> Iterator[TestClient]:
    app = create_app(token=TOKEN, index=index, dispatcher=recorder, bucket="evidence")
    with TestClient(app) as c:
        yield c


def test_event_is_recorded_then_dispatched(client: TestClient, index: Index, recorder: Recorder) -> None:
    key = "uploads/S-2023-0001/营业执照 副本.pdf"
    r = client.post(PATH, json=minio_body(key), headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1 and r.json()["duplicates"] == 0
    [event] = index.events()
    assert event.key == key and event.source == "webhook" and event.bucket == "evidence"
    assert event.etag == "d41d8cd98f00b204e9800998ecf8427e" and event.sequencer == "17A3F2C1B0E4D5A8"
    assert recorder.calls == [("process", key, event.id)]


def test_duplicate_delivery_costs_one_run(client: TestClient, index: Index, recorder: Recorder) -> None:
    body = minio_body("uploads/S-1/合同.pdf")
    assert client.post(PATH, json=body, headers=AUTH).json()["accepted"] == 1
    again = client.post(PATH, json=body, headers=AUTH)
    assert again.status_code == 200 and again.json()["duplicates"] == 1 and again.json()["accepted"] == 0
    # MinIO retrying with a new sequencer for the same object version: still the same work
    redelivered = client.post(PATH, json=minio_body("uploads/S-1/合同.pdf", sequencer="17B0"), headers=AUTH)
    assert redelivered.json()["duplicates"] == 1
    assert len(index.events()) == 1 and len(recorder.calls) == 1
    # a new version of the object (other etag) is new work
    new = client.post(PATH, json=minio_body("uploads/S-1/合同.pdf", etag="0" * 32), headers=AUTH)
    assert new.json()["accepted"] == 1 and len(recorder.calls) == 2


def test_declared_yaml_dispatches_a_review(client: TestClient, recorder: Recorder) -> None:
    r = client.post(PATH, json=minio_body("uploads/S-1/declared.yaml"), headers=AUTH)
    assert r.status_code == 200
    assert [(c[0], c[1]) for c in recorder.calls] == [("review", "S-1")]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
def test_unknown_token_is_refused(
    client: TestClient, index: Index, recorder: Recorder, headers: dict[str, str]
) -> None:
    r = client.post(PATH, json=minio_body("uploads/S-1/a.pdf"), headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    assert index.events() == [] and recorder.calls == []


def test_malformed_bodies(client: TestClient, index: Index, recorder: Recorder) -> None:
    r = client.post(PATH, content=b"{not json", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "event_not_json"
    r = client.post(PATH, json={"EventName": "s3:ObjectCreated:Put"}, headers=AUTH)
    assert (
        r.status_code == 422 and r.json()["error"] == "event_malformed" and "Records" in r.json()["message"]
    )
    r = client.post(PATH, json=[1, 2], headers=AUTH)
    assert r.status_code == 422
    r = client.post(PATH, content=b"x" * (1024 * 1024 + 1), headers=AUTH)
    assert r.status_code == 413
    assert index.events() == [] and recorder.calls == []


def test_key_outside_uploads_is_refused(client: TestClient, index: Index, recorder: Recorder) -> None:
    body = minio_body(f"results/{'a' * 64}/{PIPELINE_VERSION}/extraction.json")
    r = client.post(PATH, json=body, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["error"] == "event_key_outside_uploads" and "--prefix uploads/" in r.json()["message"]
    assert index.events() == [] and recorder.calls == []


def test_other_bucket_is_refused(client: TestClient, index: Index) -> None:
    r = client.post(PATH, json=minio_body("uploads/S-1/a.pdf", bucket="someone-else"), headers=AUTH)
    assert r.status_code == 422 and r.json()["error"] == "event_wrong_bucket"
    assert index.events() == []


def test_test_events_and_removals_start_nothing(client: TestClient, index: Index, recorder: Recorder) -> None:
    r = client.post(PATH, json=S3_TEST_EVENT, headers=AUTH)
    assert r.status_code == 200 and r.json()["accepted"] == 0
    r = client.post(PATH, json=minio_body("uploads/S-1/a.pdf", event="s3:ObjectRemoved:Delete"), headers=AUTH)
    assert r.status_code == 200 and r.json()["ignored"] == 1
    assert index.events() == [] and recorder.calls == []


def test_healthz_and_probe(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "index": "ok"}
    assert client.head(PATH).status_code == 200  # MinIO's reachability check


def test_refuses_to_start_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVIDENCE_WEBHOOK_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="EVIDENCE_WEBHOOK_TOKEN"):
        create_app()
    monkeypatch.setenv("EVIDENCE_WEBHOOK_TOKEN", "short")
    with pytest.raises(ConfigError, match="too short"):
        create_app()


def test_events_recorded_but_not_dispatched_go_out_at_start(index: Index, recorder: Recorder) -> None:
    # a receiver that crashed right after recording (before dispatching)
    index.record_event(
        source="webhook",
        event_name="s3:ObjectCreated:Put",
        bucket="evidence",
        key="uploads/S-1/a.pdf",
        etag="e1",
        sequencer=None,
        size=1,
        dedupe_key="evidence/uploads/S-1/a.pdf@e1",
    )
    with TestClient(create_app(token=TOKEN, index=index, dispatcher=recorder, bucket="evidence")):
        pass
    assert [(c[0], c[1]) for c in recorder.calls] == [("process", "uploads/S-1/a.pdf")]


# ------------------------------------------------------------------------ end to end (Prefect)


def licence_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    for n, line in enumerate(
        ("营 业 执 照", "统一社会信用代码 91350100M000100Y43", "名称 福州闽信科技有限公司")
    ):
        page.insert_text((72, 120 + 40 * n), line, fontname="china-s", fontsize=16)
    return doc.tobytes()


DECLARED = {
    "submission_id": "S-WH-0001",
    "submitted_at": "2023-01-20",
    "applicant": {"name": "福州闽信科技有限公司", "uscc": "91350100M000100Y43"},
    "solution": {"name": "协同办公信创解决方案", "region": "华东"},
    "materials": [{"file": "营业执照.pdf", "category": "business_license"}],
}


@pytest.mark.slow
def test_end_to_end_upload_to_result_and_review(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.dispatch import InProcessDispatcher

    db = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("EVIDENCE_DB_URL", db)
    store = LocalFolderStore(tmp_path / "store")
    index = open_index(IndexSettings(url=db))
    sid = DECLARED["submission_id"]
    assert isinstance(sid, str)
    data = licence_pdf()
    info = store.put_bytes(f"uploads/{sid}/营业执照.pdf", data)
    declared = store.put_bytes(declared_key(sid), yaml.safe_dump(DECLARED, allow_unicode=True).encode())

    dispatcher = InProcessDispatcher(index)
    app = create_app(token=TOKEN, index=index, dispatcher=dispatcher, any_bucket=True)
    with TestClient(app) as client:
        for key, etag in ((info.key, info.etag), (declared.key, declared.etag)):
            r = client.post(PATH, json=minio_body(key, etag=etag), headers=AUTH)
            assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
        dup = client.post(PATH, json=minio_body(info.key, etag=info.etag), headers=AUTH)
        assert dup.json()["duplicates"] == 1
        dispatcher.join()
    dispatcher.close()
    assert dispatcher.failed == 0

    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    stored = json.loads(store.get_bytes(result_key(sha, PIPELINE_VERSION)))
    assert stored["document"]["doc_type"] == "business_license"
    [run] = index.runs()
    assert run.state == "completed" and run.attempts == 1
    assert all(e.processed_at is not None and e.error is None for e in index.events())
    reviews = [i.key for i in store.list(f"reviews/{sid}/") if i.key.endswith(".json")]
    assert reviews, "the review must run once every listed material has a result"
    sub = index.submission(sid)
    assert sub is not None and sub.status in ("pass", "needs_review", "fail") and sub.review_key in reviews
    assert sub.applicant_name == "福州闽信科技有限公司" and sub.region == "华东"
    assert len(index.findings(sid)) >= 10
