"""The polling watcher: for stores without notifications (plain S3, the local folder store).

Each scan lists ``uploads/``, records every object version (key + etag) not seen before as an
event in the index (the same de-duplication as the webhook, so both may run) and dispatches it.
The durable checkpoint is the index: the ``events`` table is the set of object versions seen, and
an event is marked processed only when its work has finished, so after a crash

- objects recorded but not dispatched (or dispatched but unfinished) are dispatched again when
  a new watcher starts (``redispatch_pending``), and on later scans once their dispatch is older
  than ``redispatch_after_seconds()`` (a run lost with a killed worker), and
- objects not yet recorded are found by the next listing.

Nothing is missed and nothing finished is repeated; the run bookkeeping in the index makes a
re-dispatched event that already has a result cost nothing."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from pydantic import BaseModel

from pipeline.events import (
    Dispatcher,
    UploadEvent,
    accept_event,
    dedupe_key,
    normalize_etag,
    redispatch_pending,
)
from pipeline.index import Index
from pipeline.store import ObjectInfo, ObjectStore
from pipeline.store.keys import DECLARED_FILE_NAME, parse_upload_key

log = logging.getLogger(__name__)

SOURCE = "watcher"
EVENT_NAME = "watcher:ObjectFound"
UPLOADS_PREFIX = "uploads/"
BATCH = 500


class ScanReport(BaseModel):
    """One scan: objects listed, new ones recorded, how many went to the dispatcher."""

    listed: int = 0
    new: int = 0
    redispatched: int = 0
    seconds: float = 0.0
    new_keys: list[str] = []


def store_bucket(store: ObjectStore) -> str:
    """The bucket name events carry: the S3 bucket, or ``local`` for the folder store."""
    bucket = getattr(store, "bucket", None)
    return bucket if isinstance(bucket, str) and bucket else "local"


class Watcher:
    """Finds new uploads in ``store`` and dispatches them. Construct a new one after a crash:
    all its state is in the index."""

    def __init__(
        self, store: ObjectStore, index: Index, dispatcher: Dispatcher, *, name: str | None = None
    ) -> None:
        self.store = store
        self.index = index
        self.dispatcher = dispatcher
        self.bucket = store_bucket(store)
        self.name = name or f"watch:{self.bucket}"
        self._recovered = False

    def _recover(self) -> int:
        """Dispatch what a previous watcher recorded but did not finish."""
        self._recovered = True
        return redispatch_pending(self.index, self.dispatcher, source=SOURCE, redispatch_after_s=0.0)

    def _event(self, info: ObjectInfo) -> UploadEvent:
        return UploadEvent(
            event_name=EVENT_NAME,
            bucket=self.bucket,
            key=info.key,
            etag=normalize_etag(info.etag),
            size=info.size,
            event_time=info.last_modified.isoformat(),
        )

    def _record(self, infos: list[ObjectInfo], report: ScanReport, reviews: list[UploadEvent]) -> None:
        keys = [dedupe_key(self.bucket, i.key, normalize_etag(i.etag), None) for i in infos]
        seen = self.index.seen_dedupe_keys(keys)
        for info, dkey in zip(infos, keys, strict=True):
            if dkey in seen:
                continue
            event = self._event(info)
            if info.key.endswith("/" + DECLARED_FILE_NAME):
                reviews.append(event)  # reviews go after the documents of this scan
                continue
            _, created = accept_event(self.index, self.dispatcher, event, source=SOURCE)
            if created:
                report.new += 1
                report.new_keys.append(info.key)

    def scan_once(self) -> ScanReport:
        """List ``uploads/`` once, record and dispatch what is new."""
        t0 = time.perf_counter()
        report = ScanReport()
        if not self._recovered:
            report.redispatched = self._recover()
        else:  # runs lost with their worker since (their events were never marked processed)
            report.redispatched = redispatch_pending(self.index, self.dispatcher, source=SOURCE)
        self.index.start_scan(self.name, self.store.describe())
        batch: list[ObjectInfo] = []
        reviews: list[UploadEvent] = []
        for info in _uploads(self.store.list(UPLOADS_PREFIX)):
            report.listed += 1
            batch.append(info)
            if len(batch) >= BATCH:
                self._record(batch, report, reviews)
                batch = []
        if batch:
            self._record(batch, report, reviews)
        for event in reviews:
            _, created = accept_event(self.index, self.dispatcher, event, source=SOURCE)
            if created:
                report.new += 1
                report.new_keys.append(event.key)
        self.index.finish_scan(self.name, report.new)
        report.seconds = time.perf_counter() - t0
        return report

    def run(self, *, interval: float = 10.0, stop: threading.Event | None = None) -> None:
        """Scan every ``interval`` seconds until ``stop`` is set. A failed scan (store or
        database unreachable) is logged and retried at the next interval: nothing is lost."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                report = self.scan_once()
                if report.new or report.redispatched:
                    log.info("watch: %d new uploads, %d re-dispatched", report.new, report.redispatched)
            except Exception as exc:
                log.warning("watch: scan failed, retrying in %.0fs: %s", interval, exc)
            stop.wait(interval)


def _uploads(infos: Iterable[ObjectInfo]) -> Iterable[ObjectInfo]:
    for info in infos:
        if parse_upload_key(info.key) is not None:
            yield info
