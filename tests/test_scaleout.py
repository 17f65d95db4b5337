"""Scale-out on one machine: a real Prefect server (subprocess, its own SQLite), the pool, queues and
deployments of ``prefect.yaml`` registered from this checkout, and two ``prefect worker start``
processes sharing a moto S3 store and an index database. A batch submitted with
``run_deployment(..., timeout=0)`` must be shared by both workers, and every document processed
exactly once.

The helpers here (``PrefectServer``, ``Worker``, ``make_pdf``...) are reused by ``test_faults``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import pymupdf
import pytest

from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer

pytest_plugins = ["tests.s3_server"]
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROCESS_DEPLOYMENT = "process_document/default"
SERVER_START_TIMEOUT_S = 120.0
BATCH_TIMEOUT_S = 150.0
_SUBMIT_RE = re.compile(r"Worker '([^']+)' submitting flow run '([0-9a-f-]{36})'")
_ABORT_RE = re.compile(r"Aborted submission of flow run '([0-9a-f-]{36})'")


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc; flow runs start in their own session, so
    a process-group kill alone would miss them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``proc`` and all its descendants (by pid, never by name)."""
    pids = [*descendants(proc.pid), proc.pid]
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop_process(proc: subprocess.Popen[bytes], grace_s: float = 8.0) -> None:
    """SIGTERM the process tree, then SIGKILL whatever is left after ``grace_s``."""
    if proc.poll() is not None and not descendants(proc.pid):
        return
    tree = descendants(proc.pid)
    kill_tree(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    for pid in [*tree, proc.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot reap
        pass


class PrefectServer:
    """``prefect server start`` on 127.0.0.1:<free port> with its own PREFECT_HOME and SQLite."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home / "server.log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def env(self) -> dict[str, str]:
        env = _base_env(self.home / "prefect-home")
        env.update(
            PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{self.home / 'prefect.db'}",
            PREFECT_SERVER_UI_ENABLED="false",
            PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
            PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false",
            PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED="false",
            PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        )
        return env

    def start(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited ({self.proc.returncode}): {self.tail()}")
            if self.healthy():
                return
            time.sleep(0.5)
        raise TimeoutError(f"prefect server not healthy after {timeout_s:.0f}s: {self.tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


def _base_env(prefect_home: Path) -> dict[str, str]:
    """The environment of a child process: this one's minus Prefect/EVIDENCE settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "EVIDENCE_"))}
    prefect_home.mkdir(parents=True, exist_ok=True)
    env.update(
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(ROOT),
        OMP_THREAD_LIMIT="1",
    )
    return env


def s3_settings(server: MotoServer, bucket: str) -> dict[str, str]:
    return {
        "EVIDENCE_STORE": "s3",
        "EVIDENCE_S3_ENDPOINT": server.endpoint,
        "EVIDENCE_S3_ACCESS_KEY": ACCESS_KEY,
        "EVIDENCE_S3_SECRET_KEY": SECRET_KEY,
        "EVIDENCE_S3_BUCKET": bucket,
        "EVIDENCE_S3_REGION": REGION,
    }


class Worker:
    """``prefect worker start --pool evidence --name <name> --limit <n>`` as a subprocess."""

    def __init__(
        self, name: str, home: Path, api_url: str, settings: Mapping[str, str], limit: int = 1
    ) -> None:
        self.name = name
        self.home = home
        self.log = home / f"worker-{name}.log"
        env = _base_env(home / f"prefect-{name}")
        env.update(settings)
        env.update(
            PREFECT_API_URL=api_url,
            PREFECT_WORKER_QUERY_SECONDS="1",
            PREFECT_WORKER_PREFETCH_SECONDS="0",
            PREFECT_LOGGING_LEVEL="INFO",
            COLUMNS="500",  # one log record per line
        )
        self.env = env
        self.limit = limit
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "prefect"),
                    "worker",
                    "start",
                    "--pool",
                    "evidence",
                    "--type",
                    "process",
                    "--name",
                    self.name,
                    "--limit",
                    str(self.limit),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
            )

    def flow_run_pids(self) -> list[int]:
        """Pids of the flow-run processes this worker started (``python -m prefect.engine``)."""
        if self.proc is None:
            return []
        pids = []
        for pid in descendants(self.proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"prefect.engine" in cmd:
                pids.append(pid)
        return pids

    def kill(self) -> None:
        """SIGKILL the worker and every process it started (a machine dying)."""
        if self.proc is not None:
            kill_tree(self.proc, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@contextmanager
def prefect_api(url: str) -> Iterator[None]:
    """Point this process's Prefect client at ``url``."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


# ----------------------------------------------------------------------------- documents and runs


def make_pdf(n: int, pages: int = 1) -> bytes:
    """A small born-digital licence-like PDF; ``n`` makes its content (and sha256) unique."""
    doc = pymupdf.open()
    for p in range(pages):
        page = doc.new_page()
        y = 120
        for line in (
            "营 业 执 照",
            "统一社会信用代码 91350100M000100Y43",
            f"名称 福州闽信第{n}科技有限公司",
            "法定代表人 张三",
            f"成立日期 2015年03月{(n % 27) + 1:02d}日 第{p + 1}页",
        ):
            page.insert_text((72, y), line, fontname="china-s", fontsize=16)
            y += 40
    data: bytes = doc.tobytes()
    doc.close()
    return data


def submit(keys: list[str], deployment: str = PROCESS_DEPLOYMENT) -> dict[UUID, str]:
    """One flow run per key, without waiting; returns ``{flow_run_id: key}``."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    runs: dict[UUID, str] = {}
    for key in keys:
        run = run_deployment(deployment, parameters={"key": key}, timeout=0)
        assert isinstance(run, FlowRun)  # synchronous from sync code
        runs[run.id] = key
    return runs


def read_runs(ids: list[UUID]) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids))))


def wait_final(
    ids: list[UUID], timeout_s: float, on_poll: Callable[[list[Any]], None] | None = None
) -> list[Any]:
    """Poll until every run is in a final state; ``TimeoutError`` (with their states) otherwise."""
    deadline = time.monotonic() + timeout_s
    runs: list[Any] = []
    while time.monotonic() < deadline:
        runs = read_runs(ids)
        if on_poll is not None:
            on_poll(runs)
        if len(runs) == len(ids) and all(r.state is not None and r.state.is_final() for r in runs):
            return runs
        time.sleep(1.0)
    states = sorted(f"{r.name}:{r.state.name if r.state else '?'}" for r in runs)
    raise TimeoutError(f"runs not final after {timeout_s:.0f}s: {states}")


def runs_taken(worker: Worker) -> set[str]:
    """Flow-run ids this worker started, from its own log: ``submitting flow run`` lines minus
    those whose Pending transition the server refused (another worker won the race)."""
    text = worker.log.read_text(errors="replace")
    submitted = set(_SUBMIT_RE.findall(text))
    aborted = set(_ABORT_RE.findall(text))
    return {run_id for name, run_id in submitted if name == worker.name} - aborted


def result_keys(store: Any) -> list[str]:
    return sorted(i.key for i in store.list("results/") if i.key.endswith("/extraction.json"))


# ----------------------------------------------------------------------------- fixtures


class Cluster:
    """A Prefect server, its deployments and the workers' shared settings."""

    def __init__(self, home: Path, server: PrefectServer, settings: dict[str, str]) -> None:
        self.home = home
        self.server = server
        self.settings = settings
        self.workers: list[Worker] = []

    def worker(self, name: str, *, limit: int = 1, extra: Mapping[str, str] | None = None) -> Worker:
        worker = Worker(name, self.home, self.server.api_url, {**self.settings, **(extra or {})}, limit)
        self.workers.append(worker)
        worker.start()
        return worker

    def stop(self) -> None:
        for w in self.workers:
            w.stop()
        self.server.stop()


@contextmanager
def cluster(
    home: Path, settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, ocr_slots: int = 2
) -> Iterator[Cluster]:
    """Start a server, register pool/queues/deployments, point this process at the same
    settings; stop everything on exit (workers first)."""
    server = PrefectServer(home)
    c = Cluster(home, server, {**settings, "EVIDENCE_OCR_SLOTS": str(ocr_slots)})
    try:
        server.start()
        for name, value in c.settings.items():
            monkeypatch.setenv(name, value)
        with prefect_api(server.api_url):
            from flows.deployments import register_all

            register_all(ROOT)
            yield c
    finally:
        c.stop()
        from pipeline.index import dispose_all

        dispose_all()


# ----------------------------------------------------------------------------- the test


def test_two_workers_share_a_batch_exactly_once(
    tmp_path: Path, s3_server: MotoServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.index import open_index
    from pipeline.loading import sha256_of
    from pipeline.processing import put_upload
    from pipeline.store import open_store

    settings = {
        **s3_settings(s3_server, s3_bucket),
        "EVIDENCE_DB_URL": f"sqlite:///{tmp_path / 'index.sqlite3'}",
        "EVIDENCE_OCR_WORKERS": "1",
    }
    t0 = time.monotonic()
    with cluster(tmp_path, settings, monkeypatch, ocr_slots=2) as c:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            ocr_queue = client.read_work_queue_by_name("ocr", work_pool_name="evidence")
            assert ocr_queue.concurrency_limit == 2, "the global OCR slots are a queue limit"
            deployment = client.read_deployment_by_name(PROCESS_DEPLOYMENT)
            assert deployment.work_queue_name == "ocr"

        store = open_store()
        docs = {put_upload(store, "S-SCALE-0001", f"doc-{n}.pdf", make_pdf(n))[0]: n for n in range(6)}
        shas = {key: sha256_of(store.get_bytes(key)) for key in docs}
        runs = submit(list(docs))  # queued before any worker exists: both must pull from it
        w1 = c.worker("w1")
        w2 = c.worker("w2")
        try:
            final = wait_final(list(runs), BATCH_TIMEOUT_S)
        except TimeoutError:
            pytest.fail(f"batch did not finish\n--- w1\n{w1.tail()}\n--- w2\n{w2.tail()}")

        # exactly one completed run per document, no other runs of the deployment
        assert all(r.state.is_completed() for r in final), [(r.name, r.state.name) for r in final]
        with get_client(sync_client=True) as client:
            from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

            all_runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            )
        per_key: dict[str, int] = {}
        for r in all_runs:
            per_key[r.parameters["key"]] = per_key.get(r.parameters["key"], 0) + 1
        assert per_key == dict.fromkeys(docs, 1)

        # both workers took work; each run was started by exactly one of them
        taken = {w.name: runs_taken(w) for w in (w1, w2)}
        assert all(taken.values()), f"a worker took no work: {taken}"
        assert taken["w1"].isdisjoint(taken["w2"]), taken
        assert taken["w1"] | taken["w2"] == {str(i) for i in runs}, taken

        # one stored result per document, and the index saw one successful attempt each
        stored = result_keys(store)
        assert len(stored) == len(docs)
        assert {k.split("/")[1] for k in stored} == set(shas.values())
        index_runs = [r for r in open_index().runs() if r.sha256 in set(shas.values())]
        assert sorted(r.sha256 for r in index_runs) == sorted(shas.values())
        assert all(r.state == "completed" and r.attempts == 1 for r in index_runs), index_runs
    assert time.monotonic() - t0 < 170
