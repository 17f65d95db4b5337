"""Connecting to the index database: settings from the environment, SQLite tuning, retries on
transient errors and Alembic migrations applied at start (``upgrade head``).

- ``EVIDENCE_DB_URL``: a SQLAlchemy URL; default ``sqlite:///<EVIDENCE_HOME or ./var>/index.sqlite3``,
  ``postgresql+psycopg://user:pass@host/db`` in production.
- ``EVIDENCE_DB_BUSY_TIMEOUT_MS`` (default ``30000``): SQLite, how long a writer waits for a lock.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from pipeline.errors import ConfigError, IndexDatabaseError

log = logging.getLogger(__name__)

ENV_DB_URL = "EVIDENCE_DB_URL"
ENV_DB_BUSY_TIMEOUT_MS = "EVIDENCE_DB_BUSY_TIMEOUT_MS"
ENV_HOME = "EVIDENCE_HOME"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

#: Waits between attempts when the database is locked or the connection dropped.
RETRY_DELAYS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)

P = ParamSpec("P")
T = TypeVar("T")


def default_db_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    home = Path(env.get(ENV_HOME) or "var")
    return f"sqlite:///{(home / 'index.sqlite3').resolve()}"


class IndexSettings(BaseModel):
    """Where the index lives. Build with ``IndexSettings.from_env()``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    busy_timeout_ms: int = Field(default=30_000, ge=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IndexSettings:
        env = os.environ if env is None else env
        url = env.get(ENV_DB_URL, "").strip() or default_db_url(env)
        values: dict[str, object] = {"url": url}
        if raw := env.get(ENV_DB_BUSY_TIMEOUT_MS, "").strip():
            values["busy_timeout_ms"] = raw
        try:
            settings = cls.model_validate(values)
            make_url(settings.url)
        except (ValidationError, ArgumentError) as exc:
            raise ConfigError(
                f"索引数据库配置无效 invalid index database settings ({ENV_DB_URL} / "
                f"{ENV_DB_BUSY_TIMEOUT_MS}): {exc}"
            ) from None
        return settings

    def safe_url(self) -> str:
        """The URL with any password hidden (for logs and messages)."""
        return make_url(self.url).render_as_string(hide_password=True)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: SQLite "database is locked"/"busy", dropped connections."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig if exc.orig is not None else exc).lower()
        return any(
            s in text
            for s in (
                "database is locked",
                "database table is locked",
                "database is busy",
                "server closed the connection",
                "could not connect",
                "connection refused",
                "terminating connection",
                "deadlock detected",
                "could not serialize",
            )
        )
    return False


def with_retry(fn: Callable[P, T]) -> Callable[P, T]:
    """Re-run ``fn`` with backoff (and jitter) while it fails with a transient database error.

    ``fn`` must be one whole transaction, so a retry redoes it from the start."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            try:
                return fn(*args, **kwargs)
            except (OperationalError, DBAPIError) as exc:
                if delay is None or not is_transient(exc):
                    raise
                log.debug("index: transient error in %s (attempt %d): %s", fn.__name__, attempt + 1, exc)
                time.sleep(delay * (1 + random.random() / 2))
        raise AssertionError("unreachable")

    return wrapper


def make_engine(settings: IndexSettings) -> Engine:
    """An engine with SQLite tuned for several processes: WAL, a busy timeout, foreign keys."""
    url = make_url(settings.url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise IndexDatabaseError(
                    f"无法创建索引数据库目录 cannot create the folder of the index database {database}: "
                    f"{exc.strerror}; check {ENV_DB_URL} / {ENV_HOME}"
                ) from exc
        kwargs = {"connect_args": {"check_same_thread": False, "timeout": settings.busy_timeout_ms / 1000}}
    engine = create_engine(settings.url, **kwargs)
    if url.get_backend_name() == "sqlite":
        busy = settings.busy_timeout_ms

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {int(busy)}")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()

    return engine


# ------------------------------------------------------------------------------------ migrations


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", connection.engine.url.render_as_string(hide_password=False))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


_upgrade_lock = threading.Lock()


@contextmanager
def _migration_lock(conn: Connection) -> Iterator[None]:
    """Serialise concurrent upgrades: an advisory lock on PostgreSQL; SQLite's own write lock
    (plus the retry in ``upgrade``) elsewhere."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_lock(7307300611)")
        try:
            yield
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(7307300611)")
    else:
        yield


def upgrade(engine: Engine) -> None:
    """``alembic upgrade head`` on ``engine`` (a no-op when already at head). Safe to call from
    several processes at once: a loser of the race retries and finds the schema at head."""
    from alembic import command

    head = head_revision()
    for delay in (*RETRY_DELAYS, None):
        try:
            # reading the revision can meet another process's migration holding the lock too
            if current_revision(engine) == head:
                return
            # Alembic's context is process-global: one upgrade at a time in this process.
            with _upgrade_lock, engine.begin() as conn, _migration_lock(conn):
                command.upgrade(_alembic_config(conn), "head")
            return
        except (OperationalError, DBAPIError) as exc:
            if delay is None:
                raise IndexDatabaseError(
                    f"索引数据库迁移失败 migrating the index database failed: {exc.orig or exc}; "
                    "check that the database is reachable and writable"
                ) from exc
            log.debug("index: migration raced or locked (%s); retrying", exc)
            time.sleep(delay)


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def engine_for(settings: IndexSettings, *, migrate: bool = True) -> Engine:
    """A cached engine per URL; the first use in a process migrates the schema to head."""
    with _lock:
        engine = _engines.get(settings.url)
        if engine is None:
            engine = make_engine(settings)
            if migrate:
                try:
                    upgrade(engine)
                except IndexDatabaseError:
                    engine.dispose()
                    raise
                except (OperationalError, DBAPIError) as exc:
                    engine.dispose()
                    raise IndexDatabaseError(
                        f"无法打开索引数据库 cannot open the index database {settings.safe_url()}: "
                        f"{exc.orig or exc}; check {ENV_DB_URL}"
                    ) from exc
            _engines[settings.url] = engine
        return engine


def dispose_all() -> None:
    """Close every cached engine (tests, shutdown)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
