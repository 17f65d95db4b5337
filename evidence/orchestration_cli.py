"""``evidence watch``, ``evidence reprocess`` and ``evidence webhook``: the commands that make
the pipeline run itself. Registered on the ``evidence`` app by importing this module."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from evidence.cli import app, configure_prefect_env, console, err_console
from pipeline.errors import EvidenceError

REASON_COLORS = {
    "new": "cyan",
    "stale": "yellow",
    "failed": "red",
    "forced": "magenta",
    "unchanged": "bright_black",
    "same_content": "bright_black",
    "gave_up": "red",
}


def _fail(exc: EvidenceError) -> typer.Exit:
    err_console.print(f"[red]{exc.code}[/red]: {exc.message}")
    return typer.Exit(exc.exit_code)


@app.command()
def watch(
    once: Annotated[bool, typer.Option("--once", help="scan once, wait for the runs, exit")] = False,
    interval: Annotated[float, typer.Option("--interval", min=0.5, help="seconds between scans")] = 10.0,
) -> None:
    """Poll the store's uploads/ and process every new upload (for stores without notifications)."""
    configure_prefect_env()
    from flows.dispatch import dispatcher_from_env
    from pipeline.index import open_index
    from pipeline.store import open_store
    from pipeline.watcher import Watcher

    try:
        store, index = open_store(), open_index()
        dispatcher = dispatcher_from_env(index)
    except EvidenceError as exc:
        raise _fail(exc) from None
    watcher = Watcher(store, index, dispatcher)
    console.print(f"监视 watching {store.describe()}/uploads/ — index {index.describe()}")
    if once:
        try:
            report = watcher.scan_once()
        except EvidenceError as exc:
            raise _fail(exc) from None
        dispatcher.close(wait=True)
        console.print(
            f"新上传 new uploads: {report.new}   重新调度 re-dispatched: {report.redispatched}   "
            f"列出 listed: {report.listed}"
        )
        for key in report.new_keys:
            console.print(f"  {key}")
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    try:
        watcher.run(interval=interval, stop=stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        dispatcher.close(wait=False)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            raise typer.BadParameter(f"--since {value!r}: use YYYY-MM-DD or an ISO date-time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@app.command()
def reprocess(
    submission: Annotated[
        list[str] | None, typer.Option("--submission", help="submission id (repeatable)")
    ] = None,
    doc_type: Annotated[str | None, typer.Option("--doc-type", help="documents of this type")] = None,
    stale: Annotated[
        bool, typer.Option("--stale", help="results of an older pipeline version or config")
    ] = False,
    failed: Annotated[bool, typer.Option("--failed", help="documents whose run or result failed")] = False,
    since: Annotated[str | None, typer.Option("--since", help="uploaded on or after DATE")] = None,
    all_docs: Annotated[bool, typer.Option("--all", help="every document")] = False,
    force: Annotated[bool, typer.Option("--force", help="redo even current results")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would run; run nothing")] = False,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", min=1, max=32, help="documents at once (default: 2 x OCR workers)"),
    ] = None,
    review: Annotated[bool, typer.Option(help="refresh the affected submissions' reviews")] = True,
) -> None:
    """Re-process selected documents (selectors combine with AND) with progress; resumable."""
    configure_prefect_env()
    from pipeline.index import Selection

    selection = Selection(
        submissions=tuple(submission or ()),
        doc_type=doc_type,
        stale=stale,
        failed=failed,
        since=_parse_since(since),
        all=all_docs,
    )
    if selection.is_empty():
        raise typer.BadParameter(
            "选择文档 choose documents: --submission ID, --doc-type T, --stale, --failed, --since DATE, --all"
        )
    if dry_run:
        _dry_run(selection, force)
        return
    from flows.reprocess import BatchProgress, observe
    from flows.reprocess import reprocess as reprocess_flow

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "[green]✓{task.fields[processed]}[/] ={task.fields[unchanged]} [red]✗{task.fields[failed]}[/]"
        ),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task_id = bar.add_task("重新处理 reprocess", total=None, processed=0, unchanged=0, failed=0)

        def update(p: BatchProgress) -> None:
            bar.update(
                task_id,
                total=p.total,
                completed=p.done,
                processed=p.processed,
                unchanged=p.unchanged,
                failed=p.failed,
            )

        try:
            with observe(update):
                report = reprocess_flow(
                    selection, force=force, concurrency=concurrency, refresh_reviews=review
                )
        except EvidenceError as exc:
            raise _fail(exc) from None
    table = Table(title="重新处理 reprocess summary", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for label, value in (
        ("选中 selected", report.selected),
        ("已处理 processed", report.processed),
        ("未变 unchanged", report.unchanged),
        ("相同内容 same content", report.same_content),
        ("失败 failed", report.failed),
        ("放弃 not retried (failed 3×)", report.skipped),
        ("审查已刷新 reviews refreshed", len(report.reviews)),
        ("用时 time", f"{report.seconds:.1f}s"),
        ("版本 pipeline / config", f"{report.pipeline_version} / {report.config_hash}"),
    ):
        table.add_row(label, str(value))
    console.print(table)
    if report.failures:
        errors = Table(title="失败原因 failures", show_lines=False)
        errors.add_column("文档 document", overflow="fold")
        errors.add_column("原因 reason", overflow="fold")
        for f in report.failures:
            errors.add_row(f.key, f.error)
        console.print(errors)
    if report.failed:
        raise typer.Exit(1)


def _dry_run(selection: Any, force: bool) -> None:
    """Print the plan; Prefect is not even imported."""
    from pipeline.config_hash import config_hash
    from pipeline.index import open_index
    from pipeline.index.plan import plan_reprocess
    from pipeline.store import open_store

    try:
        plan = plan_reprocess(open_index(), open_store(), selection, config_hash=config_hash(), force=force)
    except EvidenceError as exc:
        raise _fail(exc) from None
    table = Table(title=f"将要处理 would run ({len(plan.to_run)} of {len(plan.items)} selected)")
    for col in ("文档 document", "类型 type", "原因 reason", "说明 detail"):
        table.add_column(col, overflow="fold")
    for item in plan.items:
        color = REASON_COLORS.get(item.reason, "white")
        table.add_row(item.key, item.doc_type or "-", f"[{color}]{item.reason}[/]", item.detail)
    console.print(table)
    counts = ", ".join(f"{reason} {plan.count(reason)}" for reason in REASON_COLORS if plan.count(reason))
    console.print(
        f"试运行 dry run: nothing was run. pipeline {plan.pipeline_version}, config {plan.config_hash}; "
        f"{counts or 'no documents selected'}"
    )


@app.command()
def webhook(
    host: Annotated[str | None, typer.Option(help="listen address (EVIDENCE_WEBHOOK_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (EVIDENCE_WEBHOOK_PORT)")] = None,
) -> None:
    """Run the MinIO webhook receiver (POST /minio/events, GET /healthz)."""
    configure_prefect_env()
    from evidence.webhook import WebhookSettings, serve

    try:
        settings = WebhookSettings.from_env()
    except EvidenceError as exc:
        raise _fail(exc) from None
    update: dict[str, Any] = {}
    if host:
        update["host"] = host
    if port:
        update["port"] = port
    settings = settings.model_copy(update=update)
    console.print(f"webhook: http://{settings.host}:{settings.port}/minio/events")
    sys.stdout.flush()
    serve(settings)
