"""Settings of the reviewer web UI, from the environment only.

| variable | default | meaning |
| --- | --- | --- |
| ``EVIDENCE_SECRET_KEY`` | generated into ``$EVIDENCE_HOME/web-secret-key`` | signs the cookies |
| ``EVIDENCE_SERVE_HOST`` | ``127.0.0.1`` | listen address |
| ``EVIDENCE_SERVE_PORT`` | ``8800`` | port |
| ``EVIDENCE_SECURE_COOKIES`` | ``false`` | ``true`` behind TLS: cookies get the ``Secure`` flag |
| ``EVIDENCE_SESSION_HOURS`` | ``12`` | session lifetime |
| ``EVIDENCE_LOGIN_MAX_FAILURES``, ``EVIDENCE_LOGIN_WINDOW_S`` | ``5``, ``300`` | login limit per IP+user |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from pipeline.errors import ConfigError

ENV_SECRET = "EVIDENCE_SECRET_KEY"
ENV_HOST = "EVIDENCE_SERVE_HOST"
ENV_PORT = "EVIDENCE_SERVE_PORT"
ENV_SECURE = "EVIDENCE_SECURE_COOKIES"
ENV_SESSION_HOURS = "EVIDENCE_SESSION_HOURS"
ENV_LOGIN_MAX = "EVIDENCE_LOGIN_MAX_FAILURES"
ENV_LOGIN_WINDOW = "EVIDENCE_LOGIN_WINDOW_S"
SECRET_FILE = "web-secret-key"


class WebSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    secret_key: SecretStr
    host: str = "127.0.0.1"
    port: int = Field(default=8800, ge=1, le=65535)
    secure_cookies: bool = False
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: float = Field(default=300.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if env is None else env
        values: dict[str, object] = {"secret_key": SecretStr(secret_key_from_env(env))}
        for name, field in (
            (ENV_HOST, "host"),
            (ENV_PORT, "port"),
            (ENV_SECURE, "secure_cookies"),
            (ENV_SESSION_HOURS, "session_hours"),
            (ENV_LOGIN_MAX, "login_max_failures"),
            (ENV_LOGIN_WINDOW, "login_window_s"),
        ):
            if raw := env.get(name, "").strip():
                values[field] = raw
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(f"界面配置无效 invalid web UI settings: {exc}") from None


def secret_key_from_env(env: Mapping[str, str]) -> str:
    """``EVIDENCE_SECRET_KEY``, or (embedded mode) a key generated once and kept in
    ``$EVIDENCE_HOME/web-secret-key`` with mode 0600."""
    if key := env.get(ENV_SECRET, "").strip():
        if len(key) < 32:
            raise ConfigError(f"{ENV_SECRET} is too short: use at least 32 random characters")
        return key
    home = Path(env.get("EVIDENCE_HOME") or "var")
    path = home / SECRET_FILE
    if path.is_file():
        stored = path.read_text(encoding="ascii").strip()
        if len(stored) >= 32:
            return stored
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key
