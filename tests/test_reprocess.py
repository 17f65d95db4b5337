"""``evidence reprocess``: selection and dry runs (no Prefect), then the ``reprocess`` flow under
a real Prefect API: process, unchanged on a rerun, --force, --failed, a config change (--stale),
and a crash mid-batch followed by a rerun that finishes the rest without redoing anything."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from evidence.cli import app
from pipeline.config_hash import config_hash
from pipeline.index import Index, IndexSettings, Selection, open_index
from pipeline.index.plan import plan_reprocess
from pipeline.index.work import process_key
from pipeline.processing import put_upload
from pipeline.store import LocalFolderStore
from pipeline.store.keys import declared_key
from tests.test_index import LICENCE, text_pdf

CONTRACT = (
    "项目实施合同",
    "甲方 福州市水务集团有限公司",
    "乙方 福州闽信科技有限公司",
    "签订日期 2022年5月1日",
)
DECLARED = {
    "submission_id": "S-1",
    "submitted_at": "2023-01-20",
    "applicant": {"name": "福州闽信科技有限公司", "uscc": "91350100M000100Y43"},
    "solution": {"name": "协同办公信创解决方案", "region": "华东"},
}


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.store = LocalFolderStore(tmp_path / "store")
        self.url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
        self.index: Index = open_index(IndexSettings(url=self.url))

    def run(self, *args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["reprocess", *args])
        return result.exit_code, result.output


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("EVIDENCE_STORE", "local")
    monkeypatch.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("EVIDENCE_DB_URL", f"sqlite:///{tmp_path / 'index.sqlite3'}")
    monkeypatch.delenv("EVIDENCE_DPI", raising=False)
    yield Env(tmp_path)


def populate(env: Env, n_contracts: int = 2) -> dict[str, str]:
    """Two submissions: S-1 (licence, contracts, an empty file, declared.yaml), S-2 (licence copy)."""
    s = env.store
    licence = text_pdf(*LICENCE)
    keys = {"licence": put_upload(s, "S-1", "营业执照.pdf", licence)[0]}
    for n in range(n_contracts):
        keys[f"contract{n}"] = put_upload(s, "S-1", f"合同{n}.pdf", text_pdf(*CONTRACT, f"合同编号 HT-{n}"))[
            0
        ]
    keys["empty"] = put_upload(s, "S-1", "空白.pdf", b"")[0]
    keys["copy"] = put_upload(s, "S-2", "license.pdf", licence)[0]  # the same bytes again
    s.put_bytes(declared_key("S-1"), yaml.safe_dump(DECLARED, allow_unicode=True).encode())
    return keys


def reasons(env: Env, **selection: object) -> dict[str, str]:
    plan = plan_reprocess(env.index, env.store, Selection(**selection), config_hash=config_hash())  # type: ignore[arg-type]
    return {i.key: i.reason for i in plan.items}


# ------------------------------------------------------------------------ selection, dry runs


def test_dry_run_per_selector(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = populate(env)
    chash = config_hash()
    for name in ("licence", "contract0", "empty"):
        process_key(env.store, env.index, keys[name], chash=chash)

    assert reasons(env, all=True) == {
        keys["licence"]: "unchanged",
        keys["contract0"]: "unchanged",
        keys["empty"]: "unchanged",
        keys["contract1"]: "new",  # registered from the store by --all
        keys["copy"]: "new",
    }
    assert set(reasons(env, submissions=("S-2",))) == {keys["copy"]}
    assert reasons(env, doc_type="business_license") == {keys["licence"]: "unchanged"}
    assert reasons(env, failed=True) == {keys["empty"]: "failed"}  # an empty file: result failure
    assert reasons(env, stale=True) == {}
    future = datetime.now(UTC) + timedelta(days=1)
    assert reasons(env, since=future) == {}

    code, out = env.run("--all", "--dry-run")
    assert code == 0, out
    assert "would run (2 of 5 selected)" in out and "dry run: nothing was run" in out
    assert "unchanged 3" in out and "new 2" in out
    assert len(env.index.runs()) == 3, "a dry run runs nothing"

    code, out = env.run("--doc-type", "contract", "--force", "--dry-run")
    assert code == 0 and "forced" in out

    monkeypatch.setenv("EVIDENCE_DPI", "200")  # the configuration changed: results are stale
    assert reasons(env, stale=True) == {
        keys["licence"]: "stale",
        keys["contract0"]: "stale",
        keys["empty"]: "stale",
    }
    code, out = env.run("--stale", "--dry-run")
    assert code == 0 and "stale 3" in out and "config" in out

    code, out = env.run()
    assert code == 2 and "--all" in out


def test_same_content_runs_once_in_a_plan(env: Env) -> None:
    keys = populate(env, n_contracts=0)
    plan = reasons(env, all=True)
    assert plan[keys["licence"]] == "new" and plan[keys["copy"]] == "new"  # sha unknown before reading
    process_key(env.store, env.index, keys["licence"], chash=config_hash())
    licence = env.index.document(keys["licence"])
    assert licence is not None
    env.index.upsert_document(keys["copy"], "S-2", "license.pdf", sha256=licence.sha256)
    assert reasons(env, submissions=("S-2",))[keys["copy"]] == "unchanged"  # bytes already processed


def test_document_feed_hands_out_each_document_once() -> None:
    """The feed behind the document tasks: plan order, one taker per document even from many
    threads, what a lane holds when its task dies, and nothing more once closed."""
    import threading

    from flows.feed import DocumentFeed, Finished, LaneEnded
    from pipeline.index.plan import PlanItem
    from pipeline.index.work import WorkOutcome

    items = [
        PlanItem(key=f"uploads/S-1/{n}.pdf", submission_id="S-1", sha256=None, doc_type=None, reason="new")
        for n in range(200)
    ]
    feed = DocumentFeed(items)
    taken: list[list[str]] = [[] for _ in range(4)]

    def lane(n: int) -> None:
        while (item := feed.take(n)) is not None:
            taken[n].append(item.key)
            feed.finish(n, item, WorkOutcome(key=item.key, outcome="processed"))
        feed.lane_ended(n)

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [k for keys in taken for k in keys]
    assert sorted(everything) == sorted(i.key for i in items) and len(set(everything)) == 200
    assert all(keys == sorted(keys, key=lambda k: int(k.rsplit("/", 1)[1][:-4])) for keys in taken)
    assert sum(feed.taken(n) for n in range(4)) == 200
    messages = [feed.reports.get_nowait() for _ in range(204)]
    assert sum(isinstance(m, Finished) for m in messages) == 200
    assert sum(isinstance(m, LaneEnded) for m in messages) == 4

    feed = DocumentFeed(items[:3])
    first = feed.take(7)
    assert first is not None and feed.reclaim(7) == first and feed.reclaim(7) is None
    feed.close()
    assert feed.take(8) is None and feed.pending == 2 and feed.taken(8) == 0


# ------------------------------------------------------------------------ the flow (Prefect)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_run_rerun_force_failed_and_stale(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = populate(env)
    code, out = env.run("--all", "--concurrency", "2")
    assert code == 1, out  # the empty upload fails (its result says why); the batch went on
    assert "processed" in out and "reprocess summary" in out and "empty_file" in out
    runs = env.index.runs()
    assert len(runs) == 4  # five uploads, two with the same bytes
    assert all(r.state == "completed" and r.attempts == 1 for r in runs)
    sub = env.index.submission("S-1")
    assert sub is not None and sub.status in ("pass", "needs_review", "fail"), "review refreshed"
    assert any(i.key.endswith(".json") for i in env.store.list("reviews/S-1/"))

    from flows.reprocess import reprocess

    again = reprocess(Selection(all=True))
    assert again.processed == 0 and again.unchanged == 5 and again.failed == 0 and again.reviews == []

    forced = reprocess(Selection(submissions=("S-1",)), force=True, concurrency=3)
    assert forced.processed == 3 and forced.failed == 1 and forced.unchanged == 0

    failed = reprocess(Selection(failed=True))
    assert failed.selected == 1 and failed.failures[0].key == keys["empty"]

    monkeypatch.setenv("EVIDENCE_DPI", "200")
    stale = reprocess(Selection(stale=True), refresh_reviews=False)
    assert stale.selected == 5 and stale.processed + stale.failed == 4 and stale.same_content == 1
    assert reprocess(Selection(stale=True)).selected == 0
    # the results made under the old configuration are still readable
    licence = env.index.document(keys["licence"])
    assert licence is not None and licence.sha256 is not None
    archived = [r for r in env.index.results_for(licence.sha256) if r.config_hash != config_hash()]
    assert archived and env.store.exists(archived[0].result_key)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_crash_mid_batch_then_resume(env: Env) -> None:
    from flows.reprocess import BatchProgress, observe, reprocess

    keys = populate(env, n_contracts=5)
    total = len(keys) - 1  # the copy of the licence shares a run

    class Crash(Exception):
        pass

    def crash_after_two(progress: BatchProgress) -> None:
        if progress.done == 2:
            raise Crash("operator pulled the plug")

    with observe(crash_after_two), pytest.raises(Crash):
        reprocess(Selection(all=True), concurrency=1, refresh_reviews=False)
    done_before = {r.sha256 for r in env.index.runs() if r.state == "completed"}
    assert 2 <= len(done_before) < total

    seen: list[BatchProgress] = []
    with observe(lambda p: seen.append(p.model_copy())):
        report = reprocess(Selection(all=True), concurrency=2)
    assert report.processed + report.failed == total - len(done_before)
    # finished work is not redone (the licence's copy counts as unchanged once the licence is done)
    assert report.unchanged + report.same_content == report.selected - (total - len(done_before))
    assert seen[-1].done == seen[-1].total >= total - len(done_before)
    runs = env.index.runs()
    assert len(runs) == total and all(r.state == "completed" and r.attempts == 1 for r in runs)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_small_documents_share_a_task_run(env: Env) -> None:
    """Prefect's cost per task run is paid per task, not per document: with a generous budget
    one document task does the whole batch; with none, every document has its own task run.
    The progress observers still see every document."""
    from flows.reprocess import BatchProgress, observe, reprocess

    keys = populate(env, n_contracts=6)
    seen: list[BatchProgress] = []
    with observe(lambda p: seen.append(p.model_copy())):
        report = reprocess(Selection(all=True), concurrency=1, refresh_reviews=False, task_budget_s=600)
    assert report.selected == len(keys) and report.processed >= 7
    assert report.document_tasks == 1
    total = seen[-1].total
    assert total >= 8 and [p.done for p in seen] == list(range(1, total + 1)), (
        "a progress report per document"
    )

    report = reprocess(Selection(all=True), force=True, concurrency=2, task_budget_s=0)
    ran = report.processed + report.failed + report.unchanged
    assert ran >= 8 and report.document_tasks == ran
