"""The ``evidence`` command line (DESIGN.md §7).

``extract`` reads documents directly (no Prefect); ``process`` puts files in the store and runs the
``process_document`` flow on each. Prefect is imported only by the commands that need it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.errors import EvidenceError
from pipeline.model import ExtractionResult
from pipeline.ocr.base import available_engines
from pipeline.options import PipelineOptions
from pipeline.processing import ProcessSummary
from pipeline.yamlio import load_yaml

app = typer.Typer(
    name="evidence",
    help="信创解决方案佐证材料形式审查助手 — formal-review assistant for evidence uploads.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# A wide console when piped, so tables stay readable in logs.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False)

# Files in a submission folder that are not uploads.
NOT_UPLOADS = {"declared.yaml", "truth.json"}


def _options(engine: str | None) -> PipelineOptions:
    options = PipelineOptions.from_env()
    if engine is not None:
        if engine not in available_engines():
            raise typer.BadParameter(f"unknown engine {engine!r}; choose one of {available_engines()}")
        options = options.model_copy(update={"ocr": options.ocr.model_copy(update={"engine": engine})})
    return options


def _shorten(value: object, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_result_table(results: list[ExtractionResult]) -> None:
    table = Table(title="提取结果 extraction results", show_lines=True)
    for col in ("文件 file", "类型 type", "页 pages", "读取 text source", "字段 fields", "错误 errors"):
        table.add_column(col, overflow="fold")
    for r in results:
        sources = ", ".join(f"{p.index + 1}:{p.text_source}" for p in r.pages) or "-"
        fields = "\n".join(f"{f.name}={_shorten(f.value)} ({f.confidence:.2f})" for f in r.fields) or "-"
        errors = "\n".join(f"{e.code}: {_shorten(e.message, 60)}" for e in r.errors) or "-"
        table.add_row(
            r.document.name,
            f"{r.document.doc_type} ({r.document.doc_type_confidence:.2f})",
            str(r.document.pages),
            sources,
            fields,
            errors,
        )
    console.print(table)


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF or image files", show_default=False)],
    json_out: Annotated[bool, typer.Option("--json", help="one JSON object per document per line")] = False,
    engine: Annotated[str | None, typer.Option(help="OCR engine name")] = None,
) -> None:
    """Read documents directly (no Prefect, no store) and print their extraction results."""
    from pipeline.runner import extract_path

    options = _options(engine)
    results: list[ExtractionResult] = []
    for path in files:
        result = extract_path(path, options).result
        if json_out:
            sys.stdout.write(result.to_json() + "\n")
            sys.stdout.flush()
        else:
            results.append(result)
    if not json_out:
        _print_result_table(results)


def configure_prefect_env() -> None:
    """Embedded defaults for a local, ephemeral Prefect (set before Prefect is imported)."""
    home = Path(os.environ.get("EVIDENCE_HOME", "var")).resolve()
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("EVIDENCE_STORE_PATH", str(home / "store"))


def _submission_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name not in NOT_UPLOADS and not p.name.startswith(".")
    )


def _submission_id(folder: Path) -> str:

    declared = folder / "declared.yaml"
    if declared.is_file():
        data = load_yaml(declared.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("submission_id"):
            return str(data["submission_id"])
    return folder.name


def _print_summary(s: ProcessSummary) -> None:
    state = "已有结果 reused" if s.reused else f"{s.seconds:.1f}s"
    console.print(f"[bold]{s.key}[/bold]  [{state}]")
    console.print(f"  类型 type: {s.doc_type}   页数 pages: {s.pages}   状态 status: {s.status}")
    console.print(
        "  读取 text source: " + (", ".join(f"p{i + 1}={t}" for i, t in enumerate(s.text_sources)) or "-")
    )
    if s.fields:
        for name, values in s.fields.items():
            console.print(f"  字段 {name}: " + "; ".join(_shorten(v, 50) for v in values))
    else:
        console.print("  字段 fields: -")
    for e in s.errors:
        console.print(f"  [red]错误 error[/red] {e}")
    console.print(f"  结果 result: {s.result_key}")


@app.command()
def process(
    files: Annotated[list[Path] | None, typer.Argument(help="files to upload and process")] = None,
    submission: Annotated[
        list[Path] | None, typer.Option("--submission", help="a submission folder (declared.yaml + files)")
    ] = None,
    submission_id: Annotated[str | None, typer.Option("--id", help="submission id for loose FILEs")] = None,
    force: Annotated[bool, typer.Option(help="re-extract even when a result exists")] = False,
    review: Annotated[bool, typer.Option(help="review each --submission after processing")] = True,
) -> None:
    """Put files in the store (uploads are immutable) and run the Prefect flow `process_document`."""
    if not files and not submission:
        raise typer.BadParameter("give FILE... or --submission DIR")
    configure_prefect_env()
    from pipeline.processing import put_upload
    from pipeline.store import open_store
    from pipeline.store.keys import declared_key

    store = open_store()
    keys: list[str] = []
    reviewable: list[str] = []
    try:
        for folder in submission or []:
            if not folder.is_dir():
                raise typer.BadParameter(f"not a folder: {folder}")
            sid = _submission_id(folder)
            declared = folder / "declared.yaml"
            if declared.is_file():
                store.put_bytes(declared_key(sid), declared.read_bytes(), overwrite=True)
                reviewable.append(sid)
            for path in _submission_files(folder):
                keys.append(put_upload(store, sid, path.name, path.read_bytes())[0])
        if files:
            sid = submission_id or "adhoc"
            for path in files:
                keys.append(put_upload(store, sid, path.name, path.read_bytes())[0])
    except EvidenceError as exc:
        err_console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(exc.exit_code) from None

    from flows.process_document import process_document

    console.print(f"存储 store: {store.describe()}   文件 uploads: {len(keys)}")
    failed = 0
    for key in keys:
        summary = process_document(key, force=force)
        _print_summary(summary)
        failed += summary.status == "failure"
    console.print(
        f"\n完成 done: {len(keys)} documents, {failed} unreadable; JSON results under "
        f"{store.describe()}/results/<sha256>/<pipeline_version>/extraction.json"
    )
    if review and reviewable:
        from flows.dispatch import review_and_record
        from validators.model import ReviewResult

        table = Table(title="形式审查 formal review", show_lines=False)
        for col in ("申报 submission", "单位 applicant", "状态 status", "未通过规则 failing rules"):
            table.add_column(col, overflow="fold")
        for sid in reviewable:
            # the review is stored and its findings indexed (the UI lists submissions from the index)
            review_key = review_and_record(sid)
            if not review_key:
                continue
            result = ReviewResult.model_validate_json(store.get_bytes(review_key))
            failing = [f.rule for f in result.findings if f.outcome == "fail"]
            unsure = [f.rule for f in result.findings if f.outcome == "needs_review"]
            table.add_row(
                sid,
                result.applicant or "-",
                result.status,
                ", ".join(failing) + (f" (需复核 {len(unsure)})" if unsure else ""),
            )
        console.print(table)
        console.print(f"审查报告 reports (JSON + HTML): {store.describe()}/reviews/<submission>/")


@app.command()
def review(
    folder: Annotated[Path, typer.Argument(help="a submission folder: declared.yaml + documents")],
    json_out: Annotated[bool, typer.Option("--json", help="print the review as JSON")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="write the HTML report here")] = None,
    engine: Annotated[str | None, typer.Option(help="OCR engine name")] = None,
) -> None:
    """Run the formal-review rules on a submission folder (no Prefect, no store)."""
    from validators.submission import review_folder

    if not (folder / "declared.yaml").is_file():
        raise typer.BadParameter(f"{folder} has no declared.yaml")
    try:
        outcome = review_folder(folder, _options(engine))
    except EvidenceError as exc:
        err_console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(exc.exit_code) from None
    result = outcome.review
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(outcome.html(), encoding="utf-8")
    if json_out:
        sys.stdout.write(result.to_json(indent=1) + "\n")
        return
    colors = {"pass": "green", "fail": "red", "needs_review": "yellow", "not_applicable": "bright_black"}
    table = Table(title=f"形式审查 {result.submission} — {result.applicant}", show_lines=False)
    for col in ("规则 rule", "结果 outcome", "说明 message"):
        table.add_column(col, overflow="fold")
    for f in result.findings:
        table.add_row(f.rule, f"[{colors[f.outcome]}]{f.outcome}[/]", f.message)
    console.print(table)
    console.print(f"状态 status: [bold]{result.status}[/bold]" + (f"   报告 report: {html}" if html else ""))


from evidence import orchestration_cli as _orchestration  # noqa: E402,F401  (registers commands)
from evidence import web_cli as _web  # noqa: E402,F401  (registers serve, users)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
