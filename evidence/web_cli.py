"""``evidence serve`` (the reviewer web UI) and ``evidence users add``. Registered on the
``evidence`` app by importing this module (see the end of ``evidence/cli.py``)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from evidence.cli import app, configure_prefect_env, console, err_console
from pipeline.errors import EvidenceError

users_app = typer.Typer(name="users", help="审核界面的用户 — users of the reviewer UI.", no_args_is_help=True)
app.add_typer(users_app)

ENV_NEW_PASSWORD = "EVIDENCE_NEW_USER_PASSWORD"


def _fail(exc: EvidenceError) -> typer.Exit:
    err_console.print(f"[red]{exc.code}[/red]: {exc.message}")
    return typer.Exit(exc.exit_code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address (EVIDENCE_SERVE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (EVIDENCE_SERVE_PORT)")] = None,
) -> None:
    """Run the reviewer web UI (login required; the first start creates an admin)."""
    configure_prefect_env()
    import uvicorn

    from evidence.web import WebSettings, create_app
    from evidence.web.security import Security
    from pipeline.index import open_index
    from pipeline.store import open_store

    try:
        settings = WebSettings.from_env()
        store, index = open_store(), open_index()
    except EvidenceError as exc:
        raise _fail(exc) from None
    update: dict[str, object] = {}
    if host:
        update["host"] = host
    if port:
        update["port"] = port
    settings = settings.model_copy(update=update)
    security = Security(index, settings.secret_key.get_secret_value())
    password = security.ensure_first_admin()
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    scheme = "https" if settings.secure_cookies else "http"
    console.print(f"审核界面 reviewer UI: {scheme}://{shown_host}:{settings.port}/login")
    console.print(f"存储 store: {store.describe()}   索引 index: {index.describe()}")
    if password is not None:
        console.print(
            "[bold]首次启动，已创建管理员 first start: created user [green]admin[/green] with password "
            f"[green]{password}[/green][/bold]\n（只显示这一次，请立即保存 shown once — store it now; "
            "add users with `evidence users add NAME --role reviewer`）"
        )
    sys.stdout.flush()
    application = create_app(settings, store=store, index=index)
    uvicorn.run(application, host=settings.host, port=settings.port, log_level="warning", proxy_headers=False)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="user name (A-Z a-z 0-9 . _ @ -)")],
    role: Annotated[str, typer.Option("--role", help="reviewer, staff or admin")] = "reviewer",
) -> None:
    """Add a user; the password comes from EVIDENCE_NEW_USER_PASSWORD or a prompt."""
    from evidence.web.security import Security, UserError
    from evidence.web.settings import secret_key_from_env
    from pipeline.index import open_index

    password = os.environ.get(ENV_NEW_PASSWORD, "")
    if not password:
        password = typer.prompt("密码 password", hide_input=True, confirmation_prompt=True)
    try:
        security = Security(open_index(), secret_key_from_env(os.environ))
        user = security.add_user(name, password, role)
    except UserError as exc:
        err_console.print(f"[red]user_error[/red]: {exc}")
        raise typer.Exit(2) from None
    except EvidenceError as exc:
        raise _fail(exc) from None
    security.audit("cli", "user_add", detail=f"{user.username} ({user.role})")
    console.print(f"已添加用户 added user {user.username} ({user.role})")


@users_app.command("list")
def users_list() -> None:
    """List the users of the reviewer UI (never their passwords)."""
    from evidence.web.security import Security
    from evidence.web.settings import secret_key_from_env
    from pipeline.index import open_index

    security = Security(open_index(), secret_key_from_env(os.environ))
    for u in security.users():
        console.print(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}")
