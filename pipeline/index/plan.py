"""Choosing what ``evidence reprocess`` runs (no Prefect here, so ``--dry-run`` is instant).

Every selected document gets a reason: ``new`` (never processed), ``stale`` (its result is for
an older pipeline version or another config hash), ``failed`` (its run failed, or ``--failed``
asked to redo a failed result), ``forced`` (``--force``), ``unchanged`` (a current result exists:
nothing to do), ``same_content`` (another selected document has the same bytes: one run covers
both) or ``gave_up`` (failed ``MAX_ATTEMPTS`` times; ``--failed`` retries it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from pipeline.index.repo import MAX_ATTEMPTS, DocumentView, Index, Selection, WorkKey
from pipeline.store import ObjectStore
from pipeline.store.keys import DECLARED_FILE_NAME, parse_upload_key, submission_prefix
from pipeline.version import PIPELINE_VERSION

Reason = Literal["new", "stale", "failed", "forced", "unchanged", "same_content", "gave_up"]
#: Detail of an ``unchanged`` document whose bytes were processed under another key.
ALREADY_PROCESSED = "same content already processed"
RUNS: frozenset[str] = frozenset({"new", "stale", "failed", "forced"})


class PlanItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    submission_id: str
    sha256: str | None
    doc_type: str | None
    reason: Reason
    detail: str = ""
    force: bool = False

    @property
    def runs(self) -> bool:
        return self.reason in RUNS


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    pipeline_version: str
    config_hash: str
    items: list[PlanItem]

    @property
    def to_run(self) -> list[PlanItem]:
        return [i for i in self.items if i.runs]

    def count(self, reason: str) -> int:
        return sum(1 for i in self.items if i.reason == reason)


def sync_store(index: Index, store: ObjectStore, selection: Selection) -> int:
    """Register uploads the index does not know yet (uploaded before the index existed, or
    missed by every trigger) for ``--all`` / ``--submission``. Returns how many were added."""
    prefixes = [submission_prefix(s) for s in selection.submissions] or (
        ["uploads/"] if selection.all else []
    )
    known = {d.key for d in index.documents()} if prefixes else set()
    added = 0
    for prefix in prefixes:
        for info in store.list(prefix):
            parsed = parse_upload_key(info.key)
            if parsed is None or parsed[1] == DECLARED_FILE_NAME or info.key in known:
                continue
            index.upsert_document(
                info.key, parsed[0], parsed[1], size=info.size, etag=info.etag, uploaded_at=info.last_modified
            )
            added += 1
    return added


def _classify(
    doc: DocumentView, work: WorkKey | None, index: Index, selection: Selection, force: bool
) -> PlanItem:
    base = {
        "key": doc.key,
        "submission_id": doc.submission_id,
        "sha256": doc.sha256,
        "doc_type": doc.doc_type,
    }
    if force:
        return PlanItem(**base, reason="forced", force=True)
    if doc.result_key is None and work is not None and index.result(work) is not None:
        return PlanItem(**base, reason="unchanged", detail=ALREADY_PROCESSED)
    if doc.sha256 is None or doc.result_key is None or doc.pipeline_version is None:
        if doc.latest_status == "failed" or doc.error:
            run = index.run(work) if work is not None else None
            if run is not None and run.attempts >= MAX_ATTEMPTS and not selection.failed:
                return PlanItem(
                    **base, reason="gave_up", detail=f"failed {run.attempts}×: {run.error or doc.error or ''}"
                )
            return PlanItem(**base, reason="failed", detail=doc.error or "", force=selection.failed)
        return PlanItem(**base, reason="new")
    if selection.failed and (doc.latest_status in ("failure", "failed") or doc.error):
        detail = doc.error or f"result status {doc.latest_status}"
        return PlanItem(**base, reason="failed", detail=detail, force=True)
    if doc.pipeline_version != PIPELINE_VERSION:
        return PlanItem(
            **base, reason="stale", detail=f"pipeline {doc.pipeline_version} → {PIPELINE_VERSION}"
        )
    if work is not None and doc.config_hash != work.config_hash:
        return PlanItem(**base, reason="stale", detail=f"config {doc.config_hash} → {work.config_hash}")
    if doc.latest_status == "failed" or doc.error:
        return PlanItem(**base, reason="failed", detail=doc.error or "")
    return PlanItem(**base, reason="unchanged")


def plan_reprocess(
    index: Index,
    store: ObjectStore,
    selection: Selection,
    *,
    config_hash: str,
    force: bool = False,
    sync: bool = True,
) -> Plan:
    """What a reprocess with ``selection`` would do, per document, ordered by key."""
    if sync:
        sync_store(index, store, selection)
    docs = index.select_documents(selection, pipeline_version=PIPELINE_VERSION, config_hash=config_hash)
    items: list[PlanItem] = []
    running_shas: set[str] = set()
    for doc in docs:
        work = (
            WorkKey(sha256=doc.sha256, pipeline_version=PIPELINE_VERSION, config_hash=config_hash)
            if doc.sha256
            else None
        )
        item = _classify(doc, work, index, selection, force)
        sha = item.sha256
        if item.runs and sha is not None:
            if sha in running_shas:
                item = item.model_copy(update={"reason": "same_content", "force": False})
            running_shas.add(sha)
        items.append(item)
    return Plan(pipeline_version=PIPELINE_VERSION, config_hash=config_hash, items=items)
