"""The MinIO webhook receiver (FastAPI): ``POST /minio/events`` and ``GET /healthz``.

MinIO's ``notify_webhook`` target posts one bucket-notification JSON per event with
``Authorization: Bearer <auth_token>``. Each event is recorded in the index (committed) before
the answer 200, de-duplicated by (bucket, key, etag/sequencer), then dispatched through
``flows.dispatch`` (``process_document`` for an upload, ``review_submission`` for a changed
``declared.yaml``). Answers:

| status | when |
| --- | --- |
| 200 | recorded (``accepted`` new, ``duplicates`` seen before, ``ignored`` other types); a test event |
| 400 | the body is not JSON |
| 401 | missing or wrong bearer token |
| 413 | body over 1 MiB |
| 422 | not a bucket notification, a key outside ``uploads/``, or another bucket than ours |

Settings: ``EVIDENCE_WEBHOOK_TOKEN`` (required: the receiver refuses to start without it),
``EVIDENCE_WEBHOOK_HOST`` (default ``127.0.0.1``), ``EVIDENCE_WEBHOOK_PORT`` (default ``8700``),
plus the store (``EVIDENCE_STORE*``), index (``EVIDENCE_DB_URL``) and dispatch
(``EVIDENCE_DISPATCH``) settings."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from sqlalchemy import text

from pipeline.errors import ConfigError
from pipeline.events import (
    Dispatcher,
    EventKeyError,
    EventPayloadError,
    accept_event,
    parse_notification,
    redispatch_pending,
)
from pipeline.index import Index, open_index

log = logging.getLogger(__name__)

ENV_TOKEN = "EVIDENCE_WEBHOOK_TOKEN"
ENV_HOST = "EVIDENCE_WEBHOOK_HOST"
ENV_PORT = "EVIDENCE_WEBHOOK_PORT"
SOURCE = "webhook"
REDISPATCH_CHECK_S = 60.0
"""How often the receiver looks for events whose run was lost (see ``redispatch_pending``)."""
MAX_BODY_BYTES = 1024 * 1024
EVENTS_PATH = "/minio/events"


class WebhookSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: SecretStr
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=1, le=65535)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        env = os.environ if env is None else env
        token = env.get(ENV_TOKEN, "").strip()
        if not token:
            raise ConfigError(
                f"缺少配置 missing {ENV_TOKEN}: the webhook receiver refuses to start without a shared "
                "token. Set it to a long random string and give MinIO the same value as auth_token "
                "(mc admin config set ALIAS notify_webhook:evidence … auth_token=<token>)"
            )
        if len(token) < 16:
            raise ConfigError(f"{ENV_TOKEN} is too short: use at least 16 random characters")
        values: dict[str, Any] = {"token": SecretStr(token)}
        if host := env.get(ENV_HOST, "").strip():
            values["host"] = host
        if port := env.get(ENV_PORT, "").strip():
            values["port"] = port
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(f"无效的配置 invalid webhook settings ({ENV_HOST}/{ENV_PORT}): {exc}") from None


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _expected_bucket() -> str | None:
    """The bucket this receiver serves: ``EVIDENCE_S3_BUCKET`` with an S3 store; None (any) with
    the local store."""
    from pipeline.store.settings import StoreSettings

    settings = StoreSettings.from_env()
    return settings.s3_bucket if settings.kind == "s3" else None


def create_app(
    *,
    token: str | None = None,
    index: Index | None = None,
    dispatcher: Dispatcher | None = None,
    bucket: str | None = None,
    any_bucket: bool = False,
) -> FastAPI:
    """The receiver app. Without arguments everything comes from the environment; a missing
    token is a ``ConfigError`` here, before anything listens."""
    secret = (token if token is not None else WebhookSettings.from_env().token.get_secret_value()).encode()
    if not secret:
        raise ConfigError(f"缺少配置 missing {ENV_TOKEN}: the webhook receiver refuses to start without it")
    expected_bucket = None if any_bucket else (bucket if bucket is not None else _expected_bucket())
    state: dict[str, Any] = {"index": index, "dispatcher": dispatcher, "own_dispatcher": dispatcher is None}
    redispatch_interval_s = REDISPATCH_CHECK_S

    def get_index() -> Index:
        if state["index"] is None:
            state["index"] = open_index()
        idx: Index = state["index"]
        return idx

    def get_dispatcher() -> Dispatcher:
        if state["dispatcher"] is None:
            from flows.dispatch import dispatcher_from_env

            state["dispatcher"] = dispatcher_from_env(get_index())
        d: Dispatcher = state["dispatcher"]
        return d

    async def redispatch(after_s: float | None) -> None:
        try:
            n = await run_in_threadpool(
                redispatch_pending, get_index(), get_dispatcher(), source=SOURCE, redispatch_after_s=after_s
            )
            if n:
                log.info("re-dispatched %d pending events", n)
        except Exception as exc:
            log.warning("re-dispatching pending events failed: %s", exc)

    async def redispatch_forever() -> None:
        # Runs lost with a killed worker leave their events unfinished: send them again.
        while True:
            await asyncio.sleep(redispatch_interval_s)
            await redispatch(None)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Events recorded but never dispatched (a crash right after recording) go out now.
        await redispatch(None)
        loop = asyncio.create_task(redispatch_forever())
        yield
        loop.cancel()
        if state["own_dispatcher"] and state["dispatcher"] is not None:
            state["dispatcher"].close(wait=False)

    app = FastAPI(title="evidence webhook receiver", lifespan=lifespan, docs_url=None, redoc_url=None)

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode(), secret)

    def handle(body: bytes) -> JSONResponse:
        try:
            decoded = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(400, "event_not_json", f"请求体不是 JSON the body is not JSON: {exc}")
        try:
            parsed = parse_notification(decoded)
        except EventPayloadError as exc:
            return _error(422, exc.code, exc.message)
        except EventKeyError as exc:
            return _error(422, exc.code, exc.message)
        if parsed.test:
            return JSONResponse(
                {"status": "test event received", "accepted": 0, "duplicates": 0, "ignored": 0}
            )
        if expected_bucket is not None:
            for event in parsed.events:
                if event.bucket != expected_bucket:
                    return _error(
                        422,
                        "event_wrong_bucket",
                        f"存储桶不符 event for bucket {event.bucket!r}, but this receiver serves "
                        f"{expected_bucket!r} (EVIDENCE_S3_BUCKET); point the MinIO event at that bucket",
                    )
        index, dispatcher = get_index(), get_dispatcher()
        accepted: list[int] = []
        duplicates: list[int] = []
        for event in parsed.events:
            view, created = accept_event(index, dispatcher, event, source=SOURCE)
            (accepted if created else duplicates).append(view.id)
        return JSONResponse(
            {
                "status": "recorded",
                "accepted": len(accepted),
                "duplicates": len(duplicates),
                "ignored": len(parsed.ignored),
                "events": accepted + duplicates,
            }
        )

    @app.post(EVENTS_PATH)
    async def minio_events(request: Request) -> Response:
        if not authorized(request):
            return _error(
                401,
                "unauthorized",
                "令牌无效 missing or wrong bearer token; give MinIO's notify_webhook the same "
                f"auth_token as {ENV_TOKEN}",
                headers={"WWW-Authenticate": "Bearer"},
            )
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return _error(413, "event_too_large", f"请求体过大 body over {MAX_BODY_BYTES} bytes")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "event_too_large", f"请求体过大 body over {MAX_BODY_BYTES} bytes")
        return await run_in_threadpool(handle, body)

    @app.head(EVENTS_PATH)
    async def minio_events_probe() -> Response:
        # MinIO checks that the target is reachable with a HEAD request.
        return Response(status_code=200)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        def check() -> str:
            with get_index().engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return "ok"

        try:
            db = await run_in_threadpool(check)
        except Exception as exc:
            return JSONResponse({"status": "error", "index": f"{type(exc).__name__}"}, status_code=503)
        return JSONResponse({"status": "ok", "index": db})

    return app


def serve(settings: WebhookSettings | None = None) -> None:
    """Run the receiver with uvicorn (blocks)."""
    import uvicorn

    settings = settings if settings is not None else WebhookSettings.from_env()
    app = create_app(token=settings.token.get_secret_value())
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
