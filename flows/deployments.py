"""Register the pipeline's Prefect deployments programmatically (tests, set-ups without
``prefect deploy``): the work pool ``evidence``, its queues with their concurrency limits, and the
deployments listed in ``prefect.yaml`` (read from that file, so both ways agree).

    python -m flows.deployments                 # pool, queues, automation and deployments
    python -m flows.deployments --queues-only   # pool and queues only (then `prefect deploy --all`)

The Prefect API comes from ``PREFECT_API_URL``; ``EVIDENCE_OCR_SLOTS`` (default 4) is the limit of
the ``ocr`` queue: how many documents may be in extraction at once across all workers. Why queue
limits (and not tag limits) is explained at the top of ``prefect.yaml``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import ConfigError
from pipeline.yamlio import load_yaml

ENV_OCR_SLOTS = "EVIDENCE_OCR_SLOTS"
DEFAULT_OCR_SLOTS = 4
POOL = "evidence"
POOL_TYPE = "process"
APP_DIR = Path(__file__).resolve().parents[1]
PREFECT_YAML = APP_DIR / "prefect.yaml"


class QueueSpec(BaseModel):
    """A work queue of the pool; ``limit`` None = unlimited."""

    model_config = ConfigDict(frozen=True)

    name: str
    priority: int
    limit: int | None
    description: str


class DeploymentSpec(BaseModel):
    """One entry of ``prefect.yaml``'s ``deployments:`` list (the parts used here)."""

    model_config = ConfigDict(frozen=True)

    name: str
    entrypoint: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    work_pool: str
    work_queue: str

    @property
    def flow_name(self) -> str:
        return self.entrypoint.rsplit(":", 1)[1]

    @property
    def full_name(self) -> str:
        """``<flow>/<deployment>``, as ``run_deployment`` wants it."""
        return f"{self.flow_name}/{self.name}"


def ocr_slots(env: Mapping[str, str] | None = None) -> int:
    """``EVIDENCE_OCR_SLOTS``: documents in extraction at once over all workers (default 4)."""
    env = os.environ if env is None else env
    raw = env.get(ENV_OCR_SLOTS, "").strip()
    if not raw:
        return DEFAULT_OCR_SLOTS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"无效的配置 invalid {ENV_OCR_SLOTS}={raw!r}: use a whole number >= 1")
    return int(raw)


def queue_specs(env: Mapping[str, str] | None = None) -> list[QueueSpec]:
    """The pool's queues, highest priority first."""
    return [
        QueueSpec(name="review", priority=1, limit=None, description="reviews (no OCR)"),
        QueueSpec(
            name="ocr",
            priority=2,
            limit=ocr_slots(env),
            description=f"document extraction; limit = {ENV_OCR_SLOTS} (global OCR slots)",
        ),
        QueueSpec(name="batch", priority=3, limit=1, description="staff re-processing batches"),
    ]


def deployment_specs(path: Path = PREFECT_YAML) -> list[DeploymentSpec]:
    """The deployments declared in ``prefect.yaml``."""
    try:
        loaded = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取 cannot read {path}: {exc}") from exc
    specs = []
    for item in (loaded or {}).get("deployments") or []:
        pool = item.get("work_pool") or {}
        specs.append(
            DeploymentSpec(
                name=item["name"],
                entrypoint=item["entrypoint"],
                description=item.get("description") or "",
                tags=list(item.get("tags") or []),
                parameters=dict(item.get("parameters") or {}),
                work_pool=pool.get("name") or POOL,
                work_queue=pool.get("work_queue_name") or "default",
            )
        )
    return specs


async def _ensure_pool_and_queues(queues: Sequence[QueueSpec]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    async with get_client() as client:
        try:
            await client.read_work_pool(POOL)
        except ObjectNotFound:
            try:
                await client.create_work_pool(
                    WorkPoolCreate(
                        name=POOL,
                        type=POOL_TYPE,
                        description="evidence-pipeline workers (prefect worker start --pool evidence)",
                        base_job_template=ProcessWorker.get_default_base_job_template(),
                    )
                )
            except ObjectAlreadyExists:  # another set-up job won the race
                pass
        existing = {q.name: q for q in await client.read_work_queues(work_pool_name=POOL)}
        for spec in queues:
            queue = existing.get(spec.name)
            if queue is None:
                try:
                    await client.create_work_queue(
                        name=spec.name,
                        description=spec.description,
                        priority=spec.priority,
                        concurrency_limit=spec.limit,
                        work_pool_name=POOL,
                    )
                    continue
                except ObjectAlreadyExists:
                    queue = await client.read_work_queue_by_name(spec.name, work_pool_name=POOL)
            await client.update_work_queue(
                queue.id, description=spec.description, priority=spec.priority, concurrency_limit=spec.limit
            )


def ensure_pool_and_queues(env: Mapping[str, str] | None = None) -> list[QueueSpec]:
    """Create (or update) the pool ``evidence`` and its queues; idempotent."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    queues = queue_specs(env)
    run_coro_as_sync(_ensure_pool_and_queues(queues))
    return queues


def register_deployment(spec: DeploymentSpec, source: Path = APP_DIR) -> UUID:
    """Register one deployment whose code is the folder ``source`` on the worker's machine."""
    from prefect import Flow

    loaded = Flow.from_source(source=str(source), entrypoint=spec.entrypoint)
    if not isinstance(loaded, Flow):  # pragma: no cover - from_source is sync in a sync context
        raise TypeError(f"expected a Flow from {spec.entrypoint}, got {type(loaded).__name__}")
    deployment_id = loaded.deploy(
        name=spec.name,
        work_pool_name=spec.work_pool,
        work_queue_name=spec.work_queue,
        parameters=spec.parameters,
        description=spec.description,
        tags=spec.tags,
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
    )
    assert isinstance(deployment_id, UUID)  # deploy() is synchronous when called from sync code
    return deployment_id


ZOMBIE_AUTOMATION = "evidence: mark flow runs without heartbeats crashed"
ZOMBIE_BEATS = 3
"""A flow run missing this many heartbeats in a row is taken for dead (its worker was killed)."""


def zombie_automation(heartbeat_s: int | None = None) -> Any:
    """The automation (``AutomationCore``) that marks a flow run ``Crashed`` when its heartbeats
    (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, emitted by runs that workers start) stop for
    ``ZOMBIE_BEATS`` periods without the run reaching a final state: a killed worker's run does
    not stay ``Running``. The upload event of such a run is then dispatched again by the watcher
    or the webhook receiver (``pipeline.events.redispatch_pending``)."""
    from datetime import timedelta

    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification
    from prefect.settings import get_current_settings

    beat = heartbeat_s or get_current_settings().flows.heartbeat_frequency or 180
    return AutomationCore(
        name=ZOMBIE_AUTOMATION,
        description="evidence-pipeline: flow runs whose worker stopped sending heartbeats are marked crashed",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=ZOMBIE_BEATS * beat),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"没有心跳 no heartbeat for {ZOMBIE_BEATS * beat} s: the worker presumably died",
            )
        ],
    )


def ensure_zombie_automation(heartbeat_s: int | None = None) -> UUID:
    """Create (or update) the zombie-run automation; idempotent. Returns its id."""
    from prefect.client.orchestration import get_client

    automation = zombie_automation(heartbeat_s)
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(ZOMBIE_AUTOMATION)
        if existing:
            client.update_automation(existing[0].id, automation)
            return existing[0].id
        created = client.create_automation(automation)
        assert isinstance(created, UUID)
        return created


def register_all(
    source: Path = APP_DIR, *, only: Sequence[str] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, UUID]:
    """Pool, queues, the zombie-run automation and every deployment of ``prefect.yaml`` (or those
    whose full name is in ``only``); returns ``{"flow/deployment": id}``."""
    ensure_pool_and_queues(env)
    ensure_zombie_automation()
    ids: dict[str, UUID] = {}
    for spec in deployment_specs():
        if only is not None and spec.full_name not in only:
            continue
        ids[spec.full_name] = register_deployment(spec, source)
    return ids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows.deployments", description=__doc__.split("\n")[0])
    parser.add_argument("--queues-only", action="store_true", help="create the pool and queues only")
    parser.add_argument(
        "--source", type=Path, default=APP_DIR, help="code folder on the workers (default: this checkout)"
    )
    args = parser.parse_args(argv)
    if args.queues_only:
        for q in ensure_pool_and_queues():
            print(f"queue {POOL}/{q.name}: priority {q.priority}, limit {q.limit or 'none'}")
        return 0
    for name, dep_id in register_all(args.source.resolve()).items():
        print(f"deployment {name}: {dep_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
