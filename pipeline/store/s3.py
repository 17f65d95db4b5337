"""The ``ObjectStore`` interface over an S3 API (MinIO in production, moto in tests), via ``minio``.

Retries: transient failures (connection refused/reset, timeouts, HTTP 5xx) are retried with the
configured delays (default 0.2 s, 0.5 s, 1 s: up to four attempts); 4xx answers never are. The
client's own urllib3 retries are switched off so that the delays here are the only ones.

Overwrite protection is check-then-write: ``put_*(overwrite=False)`` stats the key and refuses if
it exists, then uploads. S3 on MinIO/moto offers no create-if-absent the ``minio`` client can use
for every upload (multipart included), so two writers racing on the same new key can both pass
the check and the last one wins. The product's keys make this harmless: uploads arrive once per
key from the platform, and result keys are content-addressed (same key → same bytes).
"""

from __future__ import annotations

import io
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError
from pydantic import SecretStr

from pipeline.errors import ConfigError, ObjectExistsError, ObjectNotFoundError, StoreError
from pipeline.store.base import ObjectInfo, ObjectStore, StrPath, guess_content_type
from pipeline.store.keys import validate_key, validate_prefix

if TYPE_CHECKING:
    from pipeline.store.settings import StoreSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0)
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound"})
_ACCESS_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)


def _is_transient(exc: BaseException) -> bool:
    """Worth another try: transport failures and 5xx answers; never 4xx."""
    if isinstance(exc, S3Error):
        status = getattr(exc.response, "status", None)
        return isinstance(status, int) and status >= 500
    if isinstance(exc, ServerError):
        return exc.status_code >= 500
    if isinstance(exc, urllib3.exceptions.SSLError | urllib3.exceptions.LocationValueError):
        return False
    return isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError)


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, S3Error):
        status = getattr(exc.response, "status", None)
        return status if isinstance(status, int) else None
    if isinstance(exc, ServerError):
        return exc.status_code
    return None


def _brief(exc: BaseException) -> str:
    text = str(exc).replace("\n", " ")
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class S3Store(ObjectStore):
    """Objects in one bucket of an S3-compatible server."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        *,
        access_key: str,
        secret_key: str | SecretStr,
        secure: bool = False,
        region: str | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
    ) -> None:
        secret = secret_key.get_secret_value() if isinstance(secret_key, SecretStr) else secret_key
        self._endpoint = endpoint
        self._bucket = bucket
        self._secure = secure
        self._retry_delays = tuple(retry_delays)
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
            maxsize=10,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=_ca_bundle(),
        )
        try:
            self._client = Minio(
                endpoint,
                access_key=access_key,
                secret_key=secret,
                secure=secure,
                region=region,
                http_client=http,
            )
        except ValueError as exc:
            raise ConfigError(f"无效的 S3 配置 invalid S3 settings for {self.describe()}: {exc}") from None

    @classmethod
    def from_settings(cls, settings: StoreSettings) -> S3Store:
        """Build from ``StoreSettings``; ``ConfigError`` names any missing ``EVIDENCE_S3_*`` variable."""
        endpoint, access_key, secret_key = settings.require_s3()
        return cls(
            endpoint,
            settings.s3_bucket,
            access_key=access_key,
            secret_key=secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
            retry_delays=settings.s3_retry_delays,
            connect_timeout_s=settings.s3_connect_timeout_s,
            read_timeout_s=settings.s3_read_timeout_s,
        )

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self._bucket

    def describe(self) -> str:
        """``s3://<bucket>@<host:port>`` (``https`` when secure is noted), never credentials."""
        suffix = " (https)" if self._secure else ""
        return f"s3://{self._bucket}@{self._endpoint}{suffix}"

    # ------------------------------------------------------------------------------- plumbing

    def _call(self, action: str, key: str | None, fn: Callable[[], T]) -> T:
        """Run ``fn`` with retries on transient failures, mapping errors to ``StoreError`` types."""
        attempts = len(self._retry_delays) + 1
        for attempt in range(attempts):
            try:
                return fn()
            except Exception as exc:
                if isinstance(exc, StoreError | ConfigError):
                    raise
                if _is_transient(exc) and attempt < attempts - 1:
                    delay = self._retry_delays[attempt]
                    log.warning(
                        "transient S3 failure while %s on %s (attempt %d/%d, retrying in %.2fs): %s",
                        action,
                        self.describe(),
                        attempt + 1,
                        attempts,
                        delay,
                        type(exc).__name__,
                    )
                    time.sleep(delay)
                    continue
                raise self._map_error(action, key, exc, attempt + 1) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _map_error(self, action: str, key: str | None, exc: Exception, attempts: int) -> StoreError:
        where = self.describe()
        if isinstance(exc, S3Error):
            if exc.code in _NOT_FOUND_CODES and key is not None:
                return ObjectNotFoundError(f"对象不存在 object not found: {key} (in {where})")
            if exc.code == "NoSuchBucket":
                return StoreError(
                    f"存储桶不存在 bucket not found: {self._bucket} at {self._endpoint}; create it "
                    "(open_store/ensure_bucket does) or fix EVIDENCE_S3_BUCKET"
                )
            if exc.code in _ACCESS_CODES:
                return StoreError(
                    f"对象存储拒绝访问 access denied by {where} while {action} ({exc.code}); check "
                    "EVIDENCE_S3_ACCESS_KEY / EVIDENCE_S3_SECRET_KEY and the bucket policy"
                )
            return StoreError(
                f"对象存储错误 object store error while {action} {key or ''} on {where}: "
                f"{exc.code} (HTTP {_status(exc)}) {exc.message or ''}".rstrip()
            )
        if _is_transient(exc):
            return StoreError(
                f"无法连接对象存储 cannot reach the object store at {self._endpoint} ({where}) while "
                f"{action} after {attempts} attempt(s): {_brief(exc)}; check that MinIO is running "
                "and EVIDENCE_S3_ENDPOINT / EVIDENCE_S3_SECURE are right"
            )
        if isinstance(exc, ServerError | InvalidResponseError):
            return StoreError(
                f"对象存储返回异常 unexpected answer from {where} while {action} {key or ''}: {_brief(exc)}"
            )
        if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
            return StoreError(f"对象存储错误 object store error on {where} while {action}: {_brief(exc)}")
        raise exc

    def _refuse_existing(self, key: str) -> None:
        if self.exists(key):
            raise ObjectExistsError(
                f"对象已存在 object already exists: {key} (in {self.describe()}); "
                "uploads are immutable, pass overwrite=True only for derived data"
            )

    # ------------------------------------------------------------------------------- bucket

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (idempotent, safe against a concurrent create)."""

        def create() -> None:
            if self._client.bucket_exists(self._bucket):
                return
            try:
                self._client.make_bucket(self._bucket)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

        self._call("creating the bucket", None, create)

    # ------------------------------------------------------------------------------- writes

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None, overwrite: bool = False
    ) -> ObjectInfo:
        """Upload ``data`` to ``key`` (check-then-write when ``overwrite=False``, see module doc)."""
        validate_key(key)
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        payload = data if isinstance(data, bytes) else bytes(data)
        if not overwrite:
            self._refuse_existing(key)
        ctype = content_type or guess_content_type(key)
        self._call(
            "uploading",
            key,
            lambda: self._client.put_object(
                self._bucket, key, io.BytesIO(payload), len(payload), content_type=ctype
            ),
        )
        return self.stat(key)

    def put_file(
        self, key: str, path: StrPath, *, content_type: str | None = None, overwrite: bool = False
    ) -> ObjectInfo:
        """Upload the local file ``path`` to ``key``; large files go up in 5 MiB+ multipart chunks."""
        validate_key(key)
        source = Path(path)
        try:
            size = source.stat().st_size
        except OSError as exc:
            raise StoreError(
                f"无法读取源文件 cannot read source file {source}: {exc.strerror or exc}"
            ) from exc
        if not source.is_file():
            raise StoreError(f"无法读取源文件 cannot read source file {source}: not a regular file")
        if not overwrite:
            self._refuse_existing(key)
        ctype = content_type or guess_content_type(key)

        def upload() -> None:
            with open(source, "rb") as f:
                self._client.put_object(
                    self._bucket, key, f, size, content_type=ctype, num_parallel_uploads=1
                )

        self._call("uploading", key, upload)
        return self.stat(key)

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error if absent)."""
        validate_key(key)
        self._call("deleting", key, lambda: self._client.remove_object(self._bucket, key))

    # ------------------------------------------------------------------------------- reads

    def get_bytes(self, key: str) -> bytes:
        """The whole content of ``key``."""
        validate_key(key)

        def fetch() -> bytes:
            response = self._client.get_object(self._bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return self._call("reading", key, fetch)

    def download(self, key: str, path: StrPath) -> ObjectInfo:
        """Download ``key`` to ``path`` (the client writes ``<path>.<etag>.part.minio`` then renames)."""
        validate_key(key)
        dest = os.fspath(path)
        obj = self._call("downloading", key, lambda: self._client.fget_object(self._bucket, key, dest))
        return self._to_info(key, obj)

    def exists(self, key: str) -> bool:
        """True if ``key`` exists (a HEAD request)."""
        try:
            self.stat(key)
        except ObjectNotFoundError:
            return False
        return True

    def stat(self, key: str) -> ObjectInfo:
        """Size, etag, last-modified and content type of ``key`` (a HEAD request)."""
        validate_key(key)
        obj = self._call("reading metadata of", key, lambda: self._client.stat_object(self._bucket, key))
        return self._to_info(key, obj)

    def list(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects under ``prefix`` in key order (S3 lists in UTF-8 byte order, i.e. code-point order).

        Streamed page by page; after a transient failure the listing resumes after the last key
        yielded, so nothing is repeated or skipped."""
        validate_prefix(prefix)
        return self._list(prefix, recursive)

    def _list(self, prefix: str, recursive: bool) -> Iterator[ObjectInfo]:
        last: str | None = None
        attempts = len(self._retry_delays) + 1
        attempt = 0
        while True:
            try:
                for obj in self._client.list_objects(
                    self._bucket, prefix=prefix or None, recursive=recursive, start_after=last
                ):
                    if obj.is_dir or obj.object_name is None:
                        continue
                    info = self._to_info(obj.object_name, obj, with_type=False)
                    yield info
                    last = info.key
                    attempt = 0
                return
            except Exception as exc:
                if isinstance(exc, StoreError | ConfigError):
                    raise
                if _is_transient(exc) and attempt < attempts - 1:
                    delay = self._retry_delays[attempt]
                    attempt += 1
                    log.warning(
                        "transient S3 failure while listing %s (attempt %d/%d, retrying in %.2fs): %s",
                        self.describe(),
                        attempt,
                        attempts,
                        delay,
                        type(exc).__name__,
                    )
                    time.sleep(delay)
                    continue
                raise self._map_error("listing", prefix, exc, attempt + 1) from exc

    def _to_info(self, key: str, obj: object, *, with_type: bool = True) -> ObjectInfo:
        last_modified = getattr(obj, "last_modified", None)
        if not isinstance(last_modified, datetime):
            last_modified = datetime.now(UTC)
        elif last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=UTC)
        return ObjectInfo(
            key=key,
            size=int(getattr(obj, "size", 0) or 0),
            etag=str(getattr(obj, "etag", "") or "").strip('"'),
            last_modified=last_modified,
            content_type=getattr(obj, "content_type", None) if with_type else None,
        )


def _ca_bundle() -> str | None:
    if bundle := os.environ.get("SSL_CERT_FILE"):
        return bundle
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with minio
        return None
    return str(certifi.where())
