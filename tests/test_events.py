"""Parsing MinIO / S3 bucket notifications, with payloads in the exact shape MinIO posts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

import pytest

from pipeline.events import (
    EventKeyError,
    EventPayloadError,
    action_for,
    decode_key,
    dedupe_key,
    parse_notification,
)


def minio_record(
    key: str,
    *,
    event: str = "s3:ObjectCreated:Put",
    bucket: str = "evidence",
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    sequencer: str = "17A3F2C1B0E4D5A8",
    size: int = 52311,
) -> dict[str, Any]:
    """One record as MinIO (RELEASE.2024+) writes it; the key is QueryEscape'd like Go does."""
    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": "2024-05-20T08:31:12.456Z",
        "eventName": event,
        "userIdentity": {"principalId": "platform-uploader"},
        "requestParameters": {
            "principalId": "platform-uploader",
            "region": "",
            "sourceIPAddress": "10.0.3.17",
        },
        "responseElements": {
            "x-amz-id-2": "dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8",
            "x-amz-request-id": "17D1A0A3C0F7E1B2",
            "x-minio-deployment-id": "6b1f3c3e-8c5b-4c0b-9d5c-2f7a1c9e4b21",
            "x-minio-origin-endpoint": "http://10.0.3.5:9000",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "platform-uploader"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": quote_plus(key, safe=""),
                "size": size,
                "eTag": etag,
                "contentType": "application/pdf",
                "userMetadata": {"content-type": "application/pdf"},
                "sequencer": sequencer,
            },
        },
        "source": {"host": "10.0.3.17", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v7.0.70"},
    }


def minio_body(key: str, **kw: Any) -> dict[str, Any]:
    record = minio_record(key, **kw)
    bucket = record["s3"]["bucket"]["name"]
    return {
        "EventName": record["eventName"],
        "Key": f"{bucket}/{record['s3']['object']['key']}",
        "Records": [record],
    }


S3_TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2024-05-20T08:30:00.000Z",
    "Bucket": "evidence",
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
}


def test_chinese_key_is_decoded() -> None:
    body = minio_body("uploads/S-2023-0001/营业执照 副本.pdf")
    assert "%E8%90%A5" in body["Records"][0]["s3"]["object"]["key"]
    assert "+" in body["Records"][0]["s3"]["object"]["key"]  # space, Go's QueryEscape
    parsed = parse_notification(json.loads(json.dumps(body)))
    [event] = parsed.events
    assert event.key == "uploads/S-2023-0001/营业执照 副本.pdf"
    assert event.bucket == "evidence" and event.size == 52311
    assert event.etag == "d41d8cd98f00b204e9800998ecf8427e" and event.sequencer == "17A3F2C1B0E4D5A8"
    assert event.action.kind == "process" and event.action.submission_id == "S-2023-0001"
    assert (
        event.dedupe_key == "evidence/uploads/S-2023-0001/营业执照 副本.pdf@d41d8cd98f00b204e9800998ecf8427e"
    )


def test_multipart_completion_and_quoted_etag() -> None:
    body = minio_body(
        "uploads/S-1/测试报告.pdf",
        event="s3:ObjectCreated:CompleteMultipartUpload",
        etag='"9b2cf535f27731c9-3"',
    )
    [event] = parse_notification(body).events
    assert event.event_name == "s3:ObjectCreated:CompleteMultipartUpload"
    assert event.etag == "9b2cf535f27731c9-3"


def test_declared_yaml_asks_for_a_review() -> None:
    [event] = parse_notification(minio_body("uploads/S-1/declared.yaml")).events
    assert event.action.kind == "review" and event.action.submission_id == "S-1"


def test_test_events_ask_for_nothing() -> None:
    assert parse_notification(S3_TEST_EVENT).test
    body = minio_body("uploads/S-1/a.pdf", event="s3:TestEvent")
    parsed = parse_notification(body)
    assert parsed.test and parsed.events == []


def test_other_event_types_are_ignored() -> None:
    parsed = parse_notification(minio_body("uploads/S-1/a.pdf", event="s3:ObjectRemoved:Delete"))
    assert parsed.events == [] and parsed.ignored == ["s3:ObjectRemoved:Delete"] and not parsed.test


@pytest.mark.parametrize(
    "key",
    [
        "results/" + "a" * 64 + "/0.1.0/extraction.json",
        "reviews/S-1/x.json",
        "uploads/a.pdf",
        "uploads/S-1/../x",
    ],
)
def test_keys_outside_uploads_are_refused(key: str) -> None:
    with pytest.raises(EventKeyError, match="uploads/"):
        parse_notification(minio_body(key))


@pytest.mark.parametrize(
    "body",
    [
        [],
        "uploads/S-1/a.pdf",
        {"EventName": "s3:ObjectCreated:Put"},
        {"Records": [{"eventName": "s3:ObjectCreated:Put"}]},
        {"Records": [{"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {}}}]},
        {"Records": "nope"},
    ],
)
def test_malformed_bodies(body: Any) -> None:
    with pytest.raises(EventPayloadError):
        parse_notification(body)


def test_undecodable_key() -> None:
    body = minio_body("uploads/S-1/a.pdf")
    body["Records"][0]["s3"]["object"]["key"] = "uploads%2FS-1%2F%FF%FE.pdf"
    with pytest.raises(EventPayloadError, match="UTF-8"):
        parse_notification(body)


def test_helpers() -> None:
    assert decode_key("uploads%2FS-1%2F%E5%90%88%E5%90%8C+1.pdf") == "uploads/S-1/合同 1.pdf"
    assert dedupe_key("b", "k", None, "17A") == "b/k@seq:17A"
    assert dedupe_key("b", "k", '"e"', "17A") == "b/k@e"
    assert action_for("uploads/S-1/a.pdf").kind == "process"
