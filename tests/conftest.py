"""Shared test settings: a private Prefect home, paths to the shared real samples."""

from __future__ import annotations

import os
import tempfile
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
