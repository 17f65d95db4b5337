"""A real S3 HTTP server on loopback for tests (moto's ``ThreadedMotoServer``), as pytest fixtures.

Use from a test module with ``pytest_plugins = ["tests.s3_server"]``. Fixtures:

- ``s3_server`` (session): a running ``MotoServer``; ``.endpoint`` is ``127.0.0.1:<port>``.
- ``s3_endpoint`` (session): just that endpoint string.
- ``s3_bucket`` (function): a fresh, empty bucket with a unique name, removed afterwards.
- ``s3_store`` (function): an ``S3Store`` on that bucket with short retry delays.
- ``restartable_s3_server`` (function): a private server for fault tests; ``.stop()`` closes the
  port (clients get "connection refused"), ``.start()`` reopens the same port. moto keeps its
  state in process memory, so objects survive a restart, like MinIO with a persistent disk.

moto accepts any credentials; the ones here are dummies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from minio import Minio
from moto.server import ThreadedMotoServer

from pipeline.store.s3 import S3Store

ACCESS_KEY = "moto-access-key"
SECRET_KEY = "moto-secret-key-not-a-real-secret"
REGION = "us-east-1"
FAST_RETRIES = (0.01, 0.02)


class MotoServer:
    """A moto S3 server bound to 127.0.0.1 that can be stopped and started again on its port."""

    access_key = ACCESS_KEY
    secret_key = SECRET_KEY
    region = REGION

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: ThreadedMotoServer | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:<port>`` as the minio client wants it (no scheme)."""
        return f"127.0.0.1:{self._port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Start listening (on the same port as before after a ``stop``)."""
        if self._server is not None:
            return
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self._port, verbose=False)
        server.start()
        self._port = server.get_host_and_port()[1]
        self._server = server

    def stop(self) -> None:
        """Stop serving and close the listening socket, so connections are refused at once."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        inner = server._server  # moto's stop() leaves the socket open; close it ourselves
        if inner is not None:
            inner.server_close()

    def client(self) -> Minio:
        """A plain minio client for set-up and clean-up."""
        return Minio(self.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region=REGION)


def _quiet_werkzeug() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoServer]:
    """One moto S3 server for the whole session."""
    _quiet_werkzeug()
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(s3_server: MotoServer) -> str:
    """``127.0.0.1:<port>`` of the session's moto server."""
    return s3_server.endpoint


def _remove_bucket(client: Minio, bucket: str) -> None:
    for obj in client.list_objects(bucket, recursive=True):
        if obj.object_name is not None:
            client.remove_object(bucket, obj.object_name)
    client.remove_bucket(bucket)


@pytest.fixture
def s3_bucket(s3_server: MotoServer) -> Iterator[str]:
    """A fresh empty bucket (unique name), emptied and removed after the test."""
    client = s3_server.client()
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    client.make_bucket(bucket)
    try:
        yield bucket
    finally:
        if s3_server.running:
            _remove_bucket(client, bucket)


@pytest.fixture
def s3_store(s3_server: MotoServer, s3_bucket: str) -> S3Store:
    """An ``S3Store`` on a fresh bucket, with millisecond retry delays."""
    return S3Store(
        s3_server.endpoint,
        s3_bucket,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=FAST_RETRIES,
        connect_timeout_s=2.0,
        read_timeout_s=10.0,
    )


@pytest.fixture
def restartable_s3_server() -> Iterator[MotoServer]:
    """A private moto server a test may ``stop()`` and ``start()`` (fault tests)."""
    _quiet_werkzeug()
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
