"""Fixtures for the reviewer UI tests: a real store and index made by processing the born-digital
sample submissions through the pipeline (``pipeline.index.work.process_key``, then
``validators.submission.review_in_store``), users of each role, and a real uvicorn server on a
free loopback port in a thread.

Processing three submissions takes a minute or two on a busy machine, so the processed store
and index are cached under ``test-artifacts/web-cache/<key>/`` (gitignored), keyed by the
sample files, the pipeline version, the configuration hash and the schema head; each test
session works on its own copy."""

from __future__ import annotations

import hashlib
import secrets
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from pydantic import SecretStr

from evidence.web import WebSettings, create_app
from evidence.web.jobs import direct_executor
from evidence.web.security import Security
from pipeline.index import Index, IndexSettings, dispose_all, open_index
from pipeline.store import LocalFolderStore
from pipeline.store.keys import declared_key

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "sample_docs" / "submissions"
SAMPLE_IDS = ("S-2023-0001", "S-2023-0003", "S-2023-0005")
PASSING, HELD, FAILING = SAMPLE_IDS
#: A copy of S-2023-0001 whose declared applicant name is a stored-XSS attempt.
XSS_ID = "S-2023-9001"
XSS_NAME = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">福州闽信'
CACHE = ROOT / "test-artifacts" / "web-cache"
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
FIXTURE_VERSION = "2"


@dataclass
class WebEnv:
    root: Path
    store: LocalFolderStore
    index: Index
    settings: WebSettings
    passwords: dict[str, str] = field(default_factory=dict)

    def make_app(self, **kw: object) -> FastAPI:
        return create_app(
            self.settings,
            store=self.store,
            index=self.index,
            executor=direct_executor(self.store, self.index),
            **kw,  # type: ignore[arg-type]
        )


def _document_files(folder: Path) -> list[Path]:
    from validators.submission import document_files

    return document_files(folder)


def cache_key() -> str:
    from pipeline.config_hash import config_hash
    from pipeline.index.db import head_revision
    from pipeline.version import PIPELINE_VERSION

    h = hashlib.sha256()
    h.update(f"{FIXTURE_VERSION}|{PIPELINE_VERSION}|{config_hash()}|{head_revision()}|{XSS_NAME}".encode())
    for sid in SAMPLE_IDS:
        for p in sorted((SUBMISSIONS / sid).iterdir()):
            h.update(p.name.encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:20]


def _xss_declared() -> bytes:
    data = yaml.safe_load((SUBMISSIONS / PASSING / "declared.yaml").read_text(encoding="utf-8"))
    data["submission_id"] = XSS_ID
    data["applicant"]["name"] = XSS_NAME
    data["solution"]["name"] = "<b>加粗</b>{{7*7}}方案"
    return yaml.safe_dump(data, allow_unicode=True).encode()


def build_processed(dest: Path) -> None:
    """Process the sample submissions into ``dest/store`` and ``dest/index.sqlite3``."""
    from pipeline.index.work import process_key
    from pipeline.processing import put_upload
    from validators.submission import review_in_store

    store = LocalFolderStore(dest / "store")
    index = open_index(IndexSettings(url=f"sqlite:///{dest / 'index.sqlite3'}"))
    folders = [
        (sid, SUBMISSIONS / sid, (SUBMISSIONS / sid / "declared.yaml").read_bytes()) for sid in SAMPLE_IDS
    ]
    folders.append((XSS_ID, SUBMISSIONS / PASSING, _xss_declared()))
    for sid, folder, declared in folders:
        store.put_bytes(declared_key(sid), declared, overwrite=True)
        for path in _document_files(folder):
            key, _ = put_upload(store, sid, path.name, path.read_bytes())
            outcome = process_key(store, index, key)
            assert outcome.outcome in ("processed", "unchanged"), (key, outcome.error)
        review, rkey, pending = review_in_store(store, sid)
        assert not pending
        index.record_review(
            sid,
            status=review.status,
            review_key=rkey,
            findings=[(f.rule, f.outcome, f.severity) for f in review.findings],
            applicant_name=review.applicant,
            solution_name=review.solution,
        )
    index.engine.dispose()


def processed_copy(dest: Path) -> Path:
    """A private copy of the cached processed store + index (built on first use)."""
    key = cache_key()
    cached = CACHE / key
    if not (cached / "done").is_file():
        building = CACHE / f"{key}.building-{secrets.token_hex(4)}"
        building.mkdir(parents=True)
        build_processed(building)
        with sqlite3.connect(building / "index.sqlite3") as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (building / "done").write_text("ok\n")
        if cached.exists():
            shutil.rmtree(building)
        else:
            building.rename(cached)
    shutil.copytree(cached / "store", dest / "store")
    shutil.copy2(cached / "index.sqlite3", dest / "index.sqlite3")
    return dest


def make_env(tmp: Path, *, login_max_failures: int = 5) -> WebEnv:
    root = processed_copy(tmp)
    store = LocalFolderStore(root / "store", create=False)
    index = open_index(IndexSettings(url=f"sqlite:///{root / 'index.sqlite3'}"))
    settings = WebSettings(
        secret_key=SecretStr(secrets.token_urlsafe(48)),
        login_max_failures=login_max_failures,
        login_window_s=300,
    )
    env = WebEnv(root=root, store=store, index=index, settings=settings)
    security = Security(index, settings.secret_key.get_secret_value())
    for name, role in (("admin", "admin"), ("staff1", "staff"), ("reviewer1", "reviewer")):
        password = secrets.token_urlsafe(12)
        security.add_user(name, password, role)
        env.passwords[name] = password
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="evidence-ui-test", daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the UI server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def web_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebEnv]:
    env = make_env(tmp_path_factory.mktemp("web"))
    yield env
    env.index.engine.dispose()
    dispose_all()


@pytest.fixture(scope="session")
def web_server(web_env: WebEnv) -> Iterator[ServerThread]:
    with ServerThread(web_env.make_app()) as server:
        yield server
