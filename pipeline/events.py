"""Upload notifications: MinIO / S3 bucket-notification JSON, parsed and validated, and what
each event asks for (process an upload, or review a submission whose ``declared.yaml`` changed).

MinIO posts (webhook target) one JSON object per event::

    {"EventName": "s3:ObjectCreated:Put", "Key": "evidence/uploads/S-1/%E8%90%A5.pdf",
     "Records": [{"eventName": "s3:ObjectCreated:Put", "eventTime": "…",
                  "s3": {"bucket": {"name": "evidence"},
                         "object": {"key": "uploads%2FS-1%2F%E8%90%A5.pdf", "size": 1024,
                                    "eTag": "…", "sequencer": "17A…"}}}]}

Object keys are URL-encoded the way Go's ``url.QueryEscape`` does it (``+`` for a space, ``%2F``
for ``/``, ``%E8…`` for Chinese); ``decode_key`` undoes it. An S3 test event
(``{"Event": "s3:TestEvent", …}``) is recognised and asks for nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal, Protocol
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import EventKeyError, EventPayloadError
from pipeline.index import EventView, Index
from pipeline.store.keys import DECLARED_FILE_NAME, parse_upload_key

log = logging.getLogger(__name__)

#: Event names that mean "an object was written" (all of ``s3:ObjectCreated:*``).
CREATED_PREFIX = "s3:ObjectCreated:"
TEST_EVENT = "s3:TestEvent"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class S3Bucket(_Lenient):
    name: str = Field(min_length=1, max_length=255)


class S3Object(_Lenient):
    key: str = Field(min_length=1, max_length=4096)
    size: int | None = Field(default=None, ge=0)
    etag: str | None = Field(default=None, alias="eTag")
    sequencer: str | None = None
    content_type: str | None = Field(default=None, alias="contentType")


class S3Entity(_Lenient):
    bucket: S3Bucket
    object: S3Object


class S3Record(_Lenient):
    event_name: str = Field(alias="eventName", min_length=1)
    event_time: str | None = Field(default=None, alias="eventTime")
    event_source: str | None = Field(default=None, alias="eventSource")
    s3: S3Entity


class Notification(_Lenient):
    """A MinIO webhook body (``EventName``/``Key``/``Records``) or an S3 ``Records`` body."""

    event_name: str | None = Field(default=None, alias="EventName")
    key: str | None = Field(default=None, alias="Key")
    records: list[S3Record] = Field(alias="Records")


class UploadEvent(BaseModel):
    """One object-created event, key decoded, etag without quotes."""

    model_config = ConfigDict(frozen=True)

    event_name: str
    bucket: str
    key: str
    etag: str | None = None
    sequencer: str | None = None
    size: int | None = None
    event_time: str | None = None

    @property
    def dedupe_key(self) -> str:
        return dedupe_key(self.bucket, self.key, self.etag, self.sequencer)

    @property
    def action(self) -> Action:
        return action_for(self.key)


class ParsedNotification(BaseModel):
    """Events that ask for work, and how many records were ignored (other event types)."""

    model_config = ConfigDict(frozen=True)

    test: bool = False
    events: list[UploadEvent] = Field(default_factory=list)
    ignored: list[str] = Field(default_factory=list)


class Action(BaseModel):
    """What an event asks for: ``process`` one upload, or ``review`` a submission."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["process", "review"]
    key: str
    submission_id: str


def decode_key(raw: str) -> str:
    """An S3 event's object key, URL-decoded (``+`` → space, ``%XX`` → UTF-8 bytes)."""
    return unquote_plus(raw, encoding="utf-8", errors="strict")


def normalize_etag(etag: str | None) -> str | None:
    if etag is None:
        return None
    etag = etag.strip().strip('"')
    return etag or None


def dedupe_key(bucket: str, key: str, etag: str | None, sequencer: str | None) -> str:
    """``bucket/key@etag``: one object version is one piece of work, whoever reports it (webhook
    or watcher). Without an etag the sequencer (MinIO) identifies the write."""
    version = normalize_etag(etag) or (f"seq:{sequencer}" if sequencer else "-")
    return f"{bucket}/{key}@{version}"


def action_for(key: str) -> Action:
    """``process`` for ``uploads/<id>/<file>``, ``review`` for ``uploads/<id>/declared.yaml``;
    ``EventKeyError`` for anything else."""
    parsed = parse_upload_key(key)
    if parsed is None:
        raise EventKeyError(
            f"对象不在 uploads/ 下 the object {key!r} is not an upload (expected "
            "uploads/<submission>/<file>); results/ and reviews/ are written by the pipeline itself. "
            "Limit the MinIO notification with --prefix uploads/"
        )
    submission_id, file_name = parsed
    kind: Literal["process", "review"] = "review" if file_name == DECLARED_FILE_NAME else "process"
    return Action(kind=kind, key=key, submission_id=submission_id)


def parse_notification(body: Any) -> ParsedNotification:
    """Validate a decoded JSON body. Raises ``EventPayloadError`` when it is not a bucket
    notification (or a key cannot be decoded), ``EventKeyError`` when a created object lies
    outside ``uploads/``."""
    if isinstance(body, dict) and body.get("Event") == TEST_EVENT and "Records" not in body:
        return ParsedNotification(test=True)
    if not isinstance(body, dict):
        raise EventPayloadError(
            "事件格式错误 the body must be a JSON object with Records[] (MinIO/S3 bucket notification)"
        )
    try:
        notification = Notification.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False)[:5]
        )
        raise EventPayloadError(f"事件格式错误 not a bucket notification: {problems}") from None
    events: list[UploadEvent] = []
    ignored: list[str] = []
    for record in notification.records:
        if record.event_name == TEST_EVENT:
            continue
        if not record.event_name.startswith(CREATED_PREFIX):
            ignored.append(record.event_name)
            continue
        try:
            key = decode_key(record.s3.object.key)
        except UnicodeDecodeError:
            raise EventPayloadError(
                f"对象键无法解码 object key {record.s3.object.key[:80]!r} is not URL-encoded UTF-8"
            ) from None
        event = UploadEvent(
            event_name=record.event_name,
            bucket=record.s3.bucket.name,
            key=key,
            etag=normalize_etag(record.s3.object.etag),
            sequencer=record.s3.object.sequencer,
            size=record.s3.object.size,
            event_time=record.event_time,
        )
        action_for(event.key)  # raises EventKeyError
        events.append(event)
    return ParsedNotification(
        test=not events and not ignored and _only_tests(notification), events=events, ignored=ignored
    )


def _only_tests(notification: Notification) -> bool:
    return bool(notification.records) and all(r.event_name == TEST_EVENT for r in notification.records)


class Dispatcher(Protocol):
    """Starts work for recorded events (implemented in ``flows.dispatch``; Prefect lives there).

    ``event_id`` is the index row to mark processed when the work is done."""

    def process(self, key: str, *, event_id: int | None = None) -> None: ...

    def review(self, submission_id: str, *, event_id: int | None = None) -> None: ...


def dispatch_action(dispatcher: Dispatcher, action: Action, event_id: int | None) -> None:
    if action.kind == "review":
        dispatcher.review(action.submission_id, event_id=event_id)
    else:
        dispatcher.process(action.key, event_id=event_id)


def accept_event(
    index: Index, dispatcher: Dispatcher, event: UploadEvent, *, source: str
) -> tuple[EventView, bool]:
    """Record ``event`` durably, then start its work if it is new. Returns ``(event, created)``.

    A duplicate (same bucket, key and etag/sequencer) starts nothing. A dispatch failure is
    recorded on the event, which stays pending and is retried by ``redispatch_pending``."""
    view, created = index.record_event(
        source=source,
        event_name=event.event_name,
        bucket=event.bucket,
        key=event.key,
        etag=event.etag,
        sequencer=event.sequencer,
        size=event.size,
        dedupe_key=event.dedupe_key,
    )
    if created:
        _dispatch(index, dispatcher, view)
    return view, created


def _dispatch(index: Index, dispatcher: Dispatcher, view: EventView) -> bool:
    try:
        dispatch_action(dispatcher, action_for(view.key), view.id)
    except Exception as exc:  # the event is recorded; it will be dispatched again
        log.warning("dispatch of event %d (%s) failed: %s", view.id, view.key, exc)
        index.mark_event(view.id, error=f"dispatch failed: {type(exc).__name__}: {exc}"[:2000])
        return False
    return True


def redispatch_after_seconds() -> float:
    """How long a dispatched event may stay unfinished before it is dispatched again: two run
    leases (``EVIDENCE_RUN_LEASE_S``), so the run of a killed worker has been free for a lease by
    then, while a slow but living run (which renews its lease) is never duplicated for long: the
    second run finds it held, waits, and reuses its result."""
    from pipeline.index.work import lease_seconds

    return 2 * lease_seconds()


def redispatch_pending(
    index: Index,
    dispatcher: Dispatcher,
    *,
    source: str | None = None,
    redispatch_after_s: float | None = None,
) -> int:
    """Dispatch recorded events that were never dispatched (a crash between recording and
    dispatching, a Prefect API outage) or whose dispatch is older than ``redispatch_after_s``
    (default ``redispatch_after_seconds()``) without completion (a worker killed mid-run).
    Returns how many were dispatched."""
    if redispatch_after_s is None:
        redispatch_after_s = redispatch_after_seconds()
    count = 0
    for view in index.pending_events(source=source, redispatch_after_s=redispatch_after_s):
        count += _dispatch(index, dispatcher, view)
    return count


__all__: Sequence[str] = [
    "CREATED_PREFIX",
    "TEST_EVENT",
    "Action",
    "Dispatcher",
    "EventKeyError",
    "EventPayloadError",
    "Notification",
    "ParsedNotification",
    "UploadEvent",
    "accept_event",
    "action_for",
    "decode_key",
    "dedupe_key",
    "dispatch_action",
    "normalize_etag",
    "parse_notification",
    "redispatch_after_seconds",
    "redispatch_pending",
]
