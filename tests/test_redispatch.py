"""Deployment mode, against a real Prefect API: a dispatched event stays pending until its flow
run ends, a run lost with its worker is dispatched again (a new flow run), and the same dispatch
made twice creates one flow run. No worker runs here, so the flow runs stay scheduled."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import update

from pipeline.index import Index, open_index

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KEY = "uploads/S-LOST-0001/营业执照.pdf"


def flow_runs(deployment_id: UUID) -> list[object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        return list(
            client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )
        )


def set_dispatch(index: Index, event_id: int, when: datetime | None) -> None:
    from pipeline.index.models import Event

    with index.session() as s, s.begin():
        s.execute(update(Event).where(Event.id == event_id).values(dispatched_at=when))


def age_dispatch(index: Index, event_id: int, seconds: float) -> None:
    """Make the event's dispatch look ``seconds`` old (as if its worker died that long ago)."""
    from pipeline.index.models import utcnow

    set_dispatch(index, event_id, utcnow() - timedelta(seconds=seconds))


def test_a_run_lost_with_its_worker_is_dispatched_again(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.deployments import register_all
    from flows.dispatch import DeploymentDispatcher, mark_event_done
    from pipeline.events import UploadEvent, accept_event, redispatch_after_seconds, redispatch_pending

    monkeypatch.setenv("EVIDENCE_DB_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")
    monkeypatch.setenv("EVIDENCE_RUN_LEASE_S", "60")
    deployment_id = register_all(ROOT, only=["process_document/default"])["process_document/default"]
    index = open_index()
    dispatcher = DeploymentDispatcher(index)

    event = UploadEvent(event_name="s3:ObjectCreated:Put", bucket="evidence", key=KEY, etag="e1")
    view, created = accept_event(index, dispatcher, event, source="test")
    assert created
    runs = flow_runs(deployment_id)
    assert len(runs) == 1 and runs[0].parameters == {  # type: ignore[attr-defined]
        "key": KEY,
        "review_when_complete": True,
        "event_id": view.id,
    }
    dispatched = index.event(view.id)
    assert dispatched is not None and dispatched.dispatched_at is not None
    assert dispatched.processed_at is None, "pending until the flow run itself says it ended"

    # a living run is left alone
    assert redispatch_after_seconds() == 120
    assert redispatch_pending(index, dispatcher, source="test") == 0
    assert len(flow_runs(deployment_id)) == 1

    # its worker was killed: two leases later the event goes out again, as a new flow run
    age_dispatch(index, view.id, 3600)
    before = index.event(view.id)
    assert before is not None
    assert redispatch_pending(index, dispatcher, source="test") == 1
    second = flow_runs(deployment_id)
    assert len(second) == 2 and all(r.parameters["event_id"] == view.id for r in second)  # type: ignore[attr-defined]

    # the same dispatch made twice (two receivers racing, a retry after a lost answer) reads the
    # same previous dispatch time, hence the same idempotency key: no third run
    set_dispatch(index, view.id, before.dispatched_at)
    dispatcher.process(KEY, event_id=view.id)
    assert len(flow_runs(deployment_id)) == 2

    # the run that finally ends marks the event processed: nothing is pending any more
    mark_event_done(view.id, None)
    done = index.event(view.id)
    assert done is not None and done.processed_at is not None and done.error is None
    assert index.pending_events(source="test", redispatch_after_s=0) == []


def test_zombie_run_automation_is_registered_once(prefect_api: None) -> None:
    from prefect.client.orchestration import get_client

    from flows.deployments import ZOMBIE_AUTOMATION, ZOMBIE_BEATS, ensure_zombie_automation

    first = ensure_zombie_automation(heartbeat_s=60)
    assert ensure_zombie_automation(heartbeat_s=60) == first  # idempotent: updated, not duplicated
    with get_client(sync_client=True) as client:
        found = client.read_automations_by_name(ZOMBIE_AUTOMATION)
    assert [a.id for a in found] == [first]
    trigger = found[0].trigger
    assert trigger.posture == "Proactive"  # type: ignore[union-attr]
    assert trigger.within.total_seconds() == ZOMBIE_BEATS * 60  # type: ignore[union-attr]
    assert trigger.after == {"prefect.flow-run.heartbeat"}  # type: ignore[union-attr]
    assert [(a.type, a.state.value) for a in found[0].actions] == [("change-flow-run-state", "CRASHED")]  # type: ignore[union-attr]


def test_a_flow_run_marks_its_event_when_it_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.dispatch import event_done_at_exit
    from pipeline.errors import StoreError
    from pipeline.events import UploadEvent

    monkeypatch.setenv("EVIDENCE_DB_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")
    index = open_index()
    ids = []
    for etag in ("ok", "bad"):
        view, _ = index.record_event(
            source="test",
            event_name="s3:ObjectCreated:Put",
            bucket="evidence",
            key=KEY,
            etag=etag,
            sequencer=None,
            size=1,
            dedupe_key=UploadEvent(event_name="x", bucket="evidence", key=KEY, etag=etag).dedupe_key,
        )
        ids.append(view.id)
    with event_done_at_exit(ids[0]):
        pass
    with pytest.raises(StoreError), event_done_at_exit(ids[1]):
        raise StoreError("对象存储不可用 store down")
    done, failed = index.event(ids[0]), index.event(ids[1])
    assert done is not None and done.processed_at is not None and done.error is None
    assert failed is not None and failed.processed_at is not None and "store down" in (failed.error or "")
