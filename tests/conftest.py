"""Shared test settings: a private Prefect home, paths to the shared real samples."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

# Must be set before Prefect is imported anywhere.
_PREFECT_HOME = tempfile.mkdtemp(prefix="evidence-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# The index database and the embedded store of code that falls back to defaults live in a
# private folder, never in the working tree.
_HOME = tempfile.mkdtemp(prefix="evidence-home-")
os.environ.setdefault("EVIDENCE_HOME", _HOME)
os.environ.setdefault("EVIDENCE_DB_URL", f"sqlite:///{_HOME}/index.sqlite3")
os.environ.setdefault("EVIDENCE_STORE_PATH", f"{_HOME}/store")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL_SAMPLES = SHARED / "real-samples"
SAMPLE_DOCS = ROOT / "sample_docs"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One real Prefect API (``prefect_test_harness``) for the whole session: starting it costs
    10-20 s on two busy cores. Its own teardown drains log and event workers first, which was
    seen to hang; it gets a minute, then the server subprocess is stopped directly."""
    from prefect.testing.utilities import prefect_test_harness

    harness = prefect_test_harness(server_startup_timeout=180)
    harness.__enter__()
    try:
        yield
    finally:
        _exit_with_deadline(harness, seconds=60)


def _exit_with_deadline(harness: AbstractContextManager[None], seconds: int) -> None:
    """Leave the harness in this thread (its settings context must be reset where it was set),
    but never hang the test run on its log/event drain: after ``seconds`` stop the server."""

    def give_up(signum: int, frame: object) -> None:
        raise TimeoutError("prefect_test_harness teardown")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        harness.__exit__(None, None, None)
    except TimeoutError:
        from prefect.server.api.server import SubprocessASGIServer

        for server in list(SubprocessASGIServer._instances.values()):
            server.stop()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="session")
def real_samples() -> Path:
    """The shared real documents; tests that need them skip when the folder is absent."""
    if not REAL_SAMPLES.is_dir():
        pytest.skip(f"{REAL_SAMPLES} is absent")
    return REAL_SAMPLES


@pytest.fixture(scope="session")
def sample_submissions() -> list[Path]:
    folder = SAMPLE_DOCS / "submissions"
    subs = sorted(p for p in folder.glob("*") if p.is_dir())
    assert subs, "sample_docs/submissions is empty: run `make samples`"
    return subs


_EXIT_STATUS = [0]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS[0] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave as soon as the report is out. Prefect's atexit hooks drain queued events and logs
    to the API that sent them; when that API was a test server that is gone, the drain retries
    forever and the test process never ends (seen in CI)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[0])
