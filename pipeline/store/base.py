"""The object store interface: one abstract class, two implementations (local folder, S3/MinIO).

Every method validates its key with ``pipeline.store.keys.validate_key`` first and raises the
typed errors of ``pipeline.errors``: ``UnsafeKeyError`` for a hostile key, ``ObjectNotFoundError``
for a missing object, ``ObjectExistsError`` when a write would overwrite, ``StoreError`` for any
other storage failure (the message names the store, never a secret)."""

from __future__ import annotations

import mimetypes
from abc import ABC, abstractmethod
from collections.abc import Iterator
from os import PathLike

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

DEFAULT_CONTENT_TYPE = "application/octet-stream"

StrPath = str | PathLike[str]


class ObjectInfo(BaseModel):
    """What a store knows about one object.

    ``etag`` is an opaque version tag: it stays the same while the object is unchanged. On the
    local store it is the MD5 hex of the content; on S3 it is the server's ETag without quotes
    (MD5 for single-part uploads, ``<md5-of-md5s>-<parts>`` for multipart uploads).
    ``content_type`` is ``None`` in ``list()`` results (S3 listings do not carry it); use ``stat``."""

    model_config = ConfigDict(frozen=True)

    key: str
    size: int = Field(ge=0)
    etag: str
    last_modified: AwareDatetime
    content_type: str | None = None


def guess_content_type(key: str) -> str:
    """The content type used when a caller gives none: from the key's extension, else octet-stream."""
    guessed, _ = mimetypes.guess_type(key, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


class ObjectStore(ABC):
    """A flat key → bytes store with ``/``-separated keys (see ``pipeline.store.keys``)."""

    @abstractmethod
    def put_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None, overwrite: bool = False
    ) -> ObjectInfo:
        """Store ``data`` under ``key``. Refuses to replace an existing object unless
        ``overwrite=True`` (``ObjectExistsError``). ``content_type`` defaults to a guess from the
        key's extension."""

    @abstractmethod
    def put_file(
        self, key: str, path: StrPath, *, content_type: str | None = None, overwrite: bool = False
    ) -> ObjectInfo:
        """Store the content of the local file ``path`` under ``key`` (streamed, any size); same
        overwrite rule as ``put_bytes``."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """The whole content of ``key`` (``ObjectNotFoundError`` if missing)."""

    @abstractmethod
    def download(self, key: str, path: StrPath) -> ObjectInfo:
        """Write the content of ``key`` to the local file ``path`` (created or replaced atomically,
        parent folders created) and return the object's info."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True if an object is stored under exactly ``key``."""

    @abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Size, etag, modification time and content type of ``key`` (``ObjectNotFoundError``)."""

    @abstractmethod
    def list(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix`` (plain string match), sorted by key.

        With ``recursive=False`` only objects with no further ``/`` after the prefix are returned
        (the "files in this folder"); folders themselves are never returned."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` if present (idempotent). For tests and clean-up only: the product never
        deletes uploads."""

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for logs and messages, without secrets (``local:/path``,
        ``s3://bucket@host:port``)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"
