"""Store configuration from the environment, and ``open_store`` which builds the configured store.

| variable | default | meaning |
| --- | --- | --- |
| ``EVIDENCE_STORE`` | ``local`` | ``local`` (a folder) or ``s3`` (MinIO / any S3 API) |
| ``EVIDENCE_STORE_PATH`` | ``./var/store`` | root folder of the local store |
| ``EVIDENCE_S3_ENDPOINT`` | – (required for s3) | ``host:port`` without scheme |
| ``EVIDENCE_S3_ACCESS_KEY`` | – (required for s3) | access key |
| ``EVIDENCE_S3_SECRET_KEY`` | – (required for s3) | secret key (never shown in repr, logs or messages) |
| ``EVIDENCE_S3_BUCKET`` | ``evidence`` | bucket name, created if missing |
| ``EVIDENCE_S3_SECURE`` | ``false`` | ``true`` for HTTPS |
| ``EVIDENCE_S3_REGION`` | – | region; unset lets the client ask the server |
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.store.base import ObjectStore

ENV_STORE = "EVIDENCE_STORE"
ENV_STORE_PATH = "EVIDENCE_STORE_PATH"
ENV_S3_ENDPOINT = "EVIDENCE_S3_ENDPOINT"
ENV_S3_ACCESS_KEY = "EVIDENCE_S3_ACCESS_KEY"
ENV_S3_SECRET_KEY = "EVIDENCE_S3_SECRET_KEY"
ENV_S3_BUCKET = "EVIDENCE_S3_BUCKET"
ENV_S3_SECURE = "EVIDENCE_S3_SECURE"
ENV_S3_REGION = "EVIDENCE_S3_REGION"

_FIELD_TO_ENV = {
    "kind": ENV_STORE,
    "path": ENV_STORE_PATH,
    "s3_endpoint": ENV_S3_ENDPOINT,
    "s3_access_key": ENV_S3_ACCESS_KEY,
    "s3_secret_key": ENV_S3_SECRET_KEY,
    "s3_bucket": ENV_S3_BUCKET,
    "s3_secure": ENV_S3_SECURE,
    "s3_region": ENV_S3_REGION,
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_BUCKET_RE = re.compile(r"(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ENDPOINT_RE = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


class StoreSettings(BaseModel):
    """Which store to open and how. Build it with ``StoreSettings.from_env()`` or directly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["local", "s3"] = "local"
    path: Path = Path("./var/store")
    s3_endpoint: str | None = None
    s3_access_key: str | None = Field(default=None, repr=False)
    s3_secret_key: SecretStr | None = None
    s3_bucket: str = "evidence"
    s3_secure: bool = False
    s3_region: str | None = None
    #: Waits between attempts on transient S3 failures (connection refused/reset, timeouts, 5xx).
    s3_retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0)
    s3_connect_timeout_s: float = Field(default=5.0, gt=0)
    s3_read_timeout_s: float = Field(default=60.0, gt=0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Read the ``EVIDENCE_STORE*`` / ``EVIDENCE_S3_*`` variables (``os.environ`` by default).

        An invalid value raises ``ConfigError`` naming the variable."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}

        kind = env.get(ENV_STORE, "").strip().lower()
        if kind:
            if kind not in ("local", "s3"):
                raise ConfigError(
                    f"无效的存储类型 invalid {ENV_STORE}={kind!r}: use 'local' (a folder) or 's3' (MinIO)"
                )
            values["kind"] = kind
        if path := env.get(ENV_STORE_PATH, "").strip():
            values["path"] = Path(path)
        for field, var in (
            ("s3_endpoint", ENV_S3_ENDPOINT),
            ("s3_access_key", ENV_S3_ACCESS_KEY),
            ("s3_bucket", ENV_S3_BUCKET),
            ("s3_region", ENV_S3_REGION),
        ):
            if value := env.get(var, "").strip():
                values[field] = value
        if secret := env.get(ENV_S3_SECRET_KEY, ""):
            values["s3_secret_key"] = SecretStr(secret)
        secure = env.get(ENV_S3_SECURE)
        if secure is not None:
            flag = secure.strip().lower()
            if flag not in _TRUE | _FALSE:
                raise ConfigError(f"无效的布尔值 invalid {ENV_S3_SECURE}={secure!r}: use true or false")
            values["s3_secure"] = flag in _TRUE
        try:
            settings = cls.model_validate(values)
        except ValidationError as exc:
            raise _config_error(exc) from None
        settings.check()
        return settings

    def check(self) -> None:
        """Check values whose format pydantic cannot see (endpoint, bucket); ``ConfigError`` if bad."""
        if self.s3_endpoint is not None:
            if "://" in self.s3_endpoint or "/" in self.s3_endpoint:
                raise ConfigError(
                    f"无效的端点 invalid {ENV_S3_ENDPOINT}={self.s3_endpoint!r}: give host:port without "
                    f"scheme or path (e.g. minio:9000) and set {ENV_S3_SECURE}=true for HTTPS"
                )
            if not _ENDPOINT_RE.fullmatch(self.s3_endpoint):
                raise ConfigError(
                    f"无效的端点 invalid {ENV_S3_ENDPOINT}={self.s3_endpoint!r}: expected host:port"
                )
        if not _BUCKET_RE.fullmatch(self.s3_bucket) or ".." in self.s3_bucket:
            raise ConfigError(
                f"无效的存储桶名 invalid {ENV_S3_BUCKET}={self.s3_bucket!r}: 3-63 characters of a-z 0-9 . -, "
                "starting and ending with a letter or digit"
            )

    def require_s3(self) -> tuple[str, str, SecretStr]:
        """``(endpoint, access_key, secret_key)``, or ``ConfigError`` naming the first missing variable."""
        self.check()
        if not self.s3_endpoint:
            raise ConfigError(
                f"缺少配置 missing {ENV_S3_ENDPOINT} (host:port of MinIO/S3) for {ENV_STORE}=s3"
            )
        if not self.s3_access_key:
            raise ConfigError(f"缺少配置 missing {ENV_S3_ACCESS_KEY} for {ENV_STORE}=s3")
        if self.s3_secret_key is None or not self.s3_secret_key.get_secret_value():
            raise ConfigError(f"缺少配置 missing {ENV_S3_SECRET_KEY} for {ENV_STORE}=s3")
        return self.s3_endpoint, self.s3_access_key, self.s3_secret_key


def _config_error(exc: ValidationError) -> ConfigError:
    problems = []
    for err in exc.errors(include_input=False):
        field = str(err["loc"][0]) if err["loc"] else "?"
        problems.append(f"{_FIELD_TO_ENV.get(field, field)}: {err['msg']}")
    return ConfigError("无效的存储配置 invalid store settings: " + "; ".join(problems))


def open_store(settings: StoreSettings | None = None, *, create: bool = True) -> ObjectStore:
    """Build the configured store (settings from the environment when not given).

    With ``create=True`` (default) the local root folder or the S3 bucket is created if missing,
    which for S3 means a round trip to the server (``StoreError`` if it is unreachable)."""
    settings = settings if settings is not None else StoreSettings.from_env()
    if settings.kind == "local":
        from pipeline.store.local import LocalFolderStore

        return LocalFolderStore(settings.path, create=create)
    from pipeline.store.s3 import S3Store

    store = S3Store.from_settings(settings)
    if create:
        store.ensure_bucket()
    return store
