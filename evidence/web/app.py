"""The FastAPI application of the reviewer UI: routes, login, CSRF, roles, security headers.

Pages are rendered server-side from Jinja2 templates with autoescaping on for everything (no
``|safe`` on data); the only scripts are the static files under ``static/`` (the CSP forbids
inline script and style)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from pydantic import ValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from evidence.web import data
from evidence.web.jobs import Executor, JobRunner, flow_executor
from evidence.web.security import ROLE_LABELS, Security, SessionInfo
from evidence.web.settings import WebSettings
from pipeline.errors import UnsafeKeyError
from pipeline.index import Index, open_index
from pipeline.store import ObjectStore, open_store
from pipeline.store.keys import upload_key, validate_submission_id

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "evidence_session"
LOGIN_CSRF_COOKIE = "evidence_login_csrf"
CSP = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DECISION_ACTIONS = ("confirm", "override")
MAX_REASON = 2000


class HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # every template, whatever its name
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        status_labels=data.STATUS_LABELS,
        outcome_labels=data.OUTCOME_LABELS,
        severity_labels=data.SEVERITY_LABELS,
        action_labels=data.ACTION_LABELS,
        role_labels=ROLE_LABELS,
        quote=lambda s: quote(str(s), safe=""),
    )
    env.filters["dt"] = lambda d: d.strftime("%Y-%m-%d %H:%M:%S UTC") if d else "—"
    return env


def _rule_order() -> tuple[str, ...]:
    from validators.review import RULE_ORDER

    return RULE_ORDER


def create_app(
    settings: WebSettings,
    *,
    store: ObjectStore | None = None,
    index: Index | None = None,
    executor: Executor | None = None,
    start_jobs: bool = True,
) -> FastAPI:
    """The reviewer UI over ``store`` and ``index`` (default: the configured ones)."""
    store = store if store is not None else open_store()
    index = index if index is not None else open_index()
    security = Security(index, settings.secret_key.get_secret_value(), session_hours=settings.session_hours)
    sync_lock = threading.Lock()

    def sync(submission_id: str | None = None, *, force: bool = False) -> None:
        with sync_lock:
            data.sync_listing(index, store, submission_id, force=force)

    def job_finished(submission_id: str) -> None:
        data.mark_listing_stale(index, submission_id)
        sync(submission_id, force=True)

    jobs = JobRunner(index, executor or flow_executor(store, index), on_finish=job_finished)
    env = _env()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(sync)
        if start_jobs:
            jobs.start()
        yield
        jobs.stop()

    app = FastAPI(
        title="evidence reviewer UI", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.security = security
    app.state.jobs = jobs
    app.state.store = store
    app.state.index = index
    app.state.sync = sync
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # ---------------------------------------------------------------------------- helpers

    def render(request: Request, template: str, code: int = 200, **ctx: Any) -> HTMLResponse:
        session: SessionInfo | None = getattr(request.state, "session", None)
        html = env.get_template(template).render(
            request=request, session=session, user=session.user if session else None, **ctx
        )
        return HTMLResponse(html, status_code=code)

    def client_ip(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def set_cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )

    async def require(request: Request, role: str = "reviewer") -> SessionInfo:
        session = await run_in_threadpool(security.session_from_cookie, request.cookies.get(SESSION_COOKIE))
        if session is None:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        request.state.session = session
        if not session.user.can(role):
            raise HTTPError(
                403, f"权限不足：此操作需要{ROLE_LABELS[role]}角色 (forbidden: requires role {role})"
            )
        return session

    def check_csrf(session: SessionInfo, token: str | None) -> None:
        if not security.check_csrf(session, token):
            raise HTTPError(403, "表单已失效，请刷新页面后重试 (CSRF token missing or invalid)")

    def submission_id_of(raw: str) -> str:
        try:
            return validate_submission_id(raw)
        except UnsafeKeyError:
            raise HTTPError(404, "没有这个申报 (no such submission)") from None

    def review_of(sid: str) -> tuple[data.ReviewResult, str]:
        found = data.latest_review(store, index, sid)
        if found is None:
            raise HTTPError(404, f"申报 {sid} 尚无审查结果 (no review yet)")
        return found

    def document_in(review: data.ReviewResult, name: str) -> data.DocumentSummary:
        doc = data.document_of(review, name)
        if doc is None:
            raise HTTPError(404, "该申报中没有这份材料 (no such document in this submission)")
        return doc

    # ----------------------------------------------------------------- middleware, errors

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.method != "GET":
            return render(request, "error.html.j2", 401, message="请先登录 (login required)", status=401)
        return RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303)

    @app.exception_handler(HTTPError)
    async def http_error(request: Request, exc: HTTPError) -> Response:
        return render(request, "error.html.j2", exc.status, message=exc.message, status=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "页面不存在 (not found)", 405: "不支持的请求方法 (method not allowed)"}
        return render(
            request,
            "error.html.j2",
            exc.status_code,
            message=messages.get(exc.status_code, "请求错误"),
            status=exc.status_code,
        )

    # -------------------------------------------------------------------------- health

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        def check() -> None:
            with index.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(check)
        except Exception:
            return JSONResponse({"status": "error", "index": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    # --------------------------------------------------------------------------- login

    def safe_next(value: str | None) -> str:
        if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
            return value
        return "/submissions"

    @app.get("/login")
    async def login_form(request: Request, next: str = "/submissions") -> Response:
        cookie, token = security.login_csrf_pair()
        response = render(request, "login.html.j2", csrf_token=token, next=safe_next(next), error=None)
        set_cookie(response, LOGIN_CSRF_COOKIE, cookie, 3600)
        return response

    @app.post("/login")
    async def login(
        request: Request,
        username: str = Form("", max_length=64),
        password: str = Form("", max_length=1024),
        csrf_token: str = Form("", max_length=200),
        next: str = Form("/submissions", max_length=2000),
    ) -> Response:
        ip = client_ip(request)
        username = username.strip()

        def again(message: str, status: int) -> Response:
            cookie, token = security.login_csrf_pair()
            response = render(
                request, "login.html.j2", status, csrf_token=token, next=safe_next(next), error=message
            )
            set_cookie(response, LOGIN_CSRF_COOKIE, cookie, 3600)
            return response

        if not security.check_login_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
            return again("表单已失效，请重新登录 (CSRF check failed)", 403)
        failures = await run_in_threadpool(security.recent_failures, ip, username, settings.login_window_s)
        if failures >= settings.login_max_failures:
            minutes = max(1, round(settings.login_window_s / 60))
            response = again(f"登录失败次数过多，请 {minutes} 分钟后再试 (too many attempts)", 429)
            response.headers["Retry-After"] = str(int(settings.login_window_s))
            return response
        user = await run_in_threadpool(security.authenticate, username, password)
        if user is None:
            await run_in_threadpool(security.record_failure, ip, username)
            await run_in_threadpool(security.audit, username[:64] or "-", "login_failed", ip=ip)
            return again("用户名或密码错误 (wrong user name or password)", 401)
        await run_in_threadpool(security.clear_failures, ip, username)
        cookie = await run_in_threadpool(security.create_session, user, ip)
        await run_in_threadpool(security.audit, user.username, "login", ip=ip)
        response = RedirectResponse(safe_next(next), status_code=303)
        set_cookie(response, SESSION_COOKIE, cookie, int(settings.session_hours * 3600))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @app.post("/logout")
    async def logout(request: Request, csrf_token: str = Form("", max_length=200)) -> Response:
        session = await require(request)
        check_csrf(session, csrf_token)
        await run_in_threadpool(security.end_session, session.session_hash)
        await run_in_threadpool(security.audit, session.user.username, "logout", ip=client_ip(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ---------------------------------------------------------------------- submissions

    @app.get("/")
    async def root(request: Request) -> Response:
        await require(request)
        return RedirectResponse("/submissions", status_code=303)

    @app.get("/submissions")
    async def submissions(request: Request) -> Response:
        await require(request)
        params = {k: v for k, v in request.query_params.items() if v != ""}
        try:
            query = data.ListingQuery.model_validate(params)
        except ValidationError:
            query = data.ListingQuery()
        await run_in_threadpool(sync)
        page = await run_in_threadpool(data.query_listing, index, query)
        regions, rules = await run_in_threadpool(data.listing_facets, index)
        base = query.model_dump(exclude={"after", "limit"})
        base = {k: ("1" if v is True else v) for k, v in base.items() if v not in ("", False)}

        def url(**change: Any) -> str:
            q = {**base, **change}
            q = {k: v for k, v in q.items() if v not in ("", None, False)}
            return "/submissions?" + urlencode(q)

        def sort_url(key: str) -> str:
            desc = not query.desc if query.sort == key else key in ("failed", "sensitive", "processed")
            return url(sort=key, desc="1" if desc else "")

        return render(
            request,
            "submissions.html.j2",
            query=query,
            page=page,
            regions=regions,
            rules=rules or list(_rule_order()),
            next_url=url(after=page.next_cursor) if page.next_cursor else None,
            first_url=url() if query.after else None,
            sort_url=sort_url,
        )

    @app.get("/submissions/{sid}")
    async def submission(request: Request, sid: str) -> Response:
        session = await require(request)
        sid = submission_id_of(sid)
        review, review_key = await run_in_threadpool(review_of, sid)
        await run_in_threadpool(sync, sid)

        def gather() -> dict[str, Any]:
            declared = data.load_declared(store, sid)
            results = []
            for d in review.documents:
                r = data.load_result(store, d, review.pipeline_version)
                if r is not None:
                    results.append(r)
            compare = data.compare_declared(declared, results) if declared is not None else []
            by_name = {r.document.name: r for r in results}
            return {
                "declared": declared,
                "compare": compare,
                "results": by_name,
                "decisions": data.current_decisions(index, sid),
                "jobs": jobs.jobs(sid, limit=5),
                "listing": index.submission(sid),
                "audit": data.audit_page(index, submission_id=sid, limit=10),
            }

        ctx = await run_in_threadpool(gather)
        decisions = ctx["decisions"]
        hold = decisions.get(data.SENSITIVE_RULE)
        held = review.status == "held" and not (hold is not None and hold.action == "clear_hold")
        return render(
            request,
            "submission.html.j2",
            r=review,
            review_key=review_key,
            held=held,
            hold_cleared=review.status == "held" and not held,
            can_reprocess=session.user.can("staff"),
            counts={k: sum(1 for f in review.findings if f.outcome == k) for k in data.OUTCOME_LABELS},
            **ctx,
        )

    @app.post("/submissions/{sid}/decisions")
    async def decide(
        request: Request,
        sid: str,
        rule: str = Form(..., max_length=100),
        action: str = Form(..., max_length=16),
        reason: str = Form("", max_length=MAX_REASON),
        csrf_token: str = Form("", max_length=200),
    ) -> Response:
        session = await require(request)
        check_csrf(session, csrf_token)
        sid = submission_id_of(sid)
        if rule not in _rule_order() or action not in DECISION_ACTIONS:
            raise HTTPError(400, "无效的规则或操作 (invalid rule or action)")
        reason = reason.strip()
        if action == "override" and not reason:
            raise HTTPError(400, "推翻结论必须填写理由 (an override needs a reason)")
        review, review_key = await run_in_threadpool(review_of, sid)
        finding = data.finding_by_rule(review, rule)
        await run_in_threadpool(
            data.record_decision,
            index,
            sid,
            rule,
            action,
            reason,
            finding.outcome if finding else None,
            review_key,
            session.user.username,
        )
        detail = f"{rule} {data.ACTION_LABELS[action]}" + (f"：{reason}" if reason else "")
        await run_in_threadpool(
            security.audit,
            session.user.username,
            action,
            submission_id=sid,
            target=rule,
            detail=detail,
            ip=client_ip(request),
        )
        return RedirectResponse(f"/submissions/{quote(sid)}#rule-{rule}", status_code=303)

    @app.post("/submissions/{sid}/hold/clear")
    async def clear_hold(
        request: Request,
        sid: str,
        reason: str = Form("", max_length=MAX_REASON),
        csrf_token: str = Form("", max_length=200),
    ) -> Response:
        session = await require(request)
        check_csrf(session, csrf_token)
        sid = submission_id_of(sid)
        reason = reason.strip()
        if not reason:
            raise HTTPError(400, "解除暂停必须填写理由 (clearing a hold needs a reason)")
        review, review_key = await run_in_threadpool(review_of, sid)
        if review.status != "held":
            raise HTTPError(409, "该申报没有处于暂停状态 (the submission is not held)")
        finding = data.finding_by_rule(review, data.SENSITIVE_RULE)
        await run_in_threadpool(
            data.record_decision,
            index,
            sid,
            data.SENSITIVE_RULE,
            "clear_hold",
            reason,
            finding.outcome if finding else None,
            review_key,
            session.user.username,
        )
        await run_in_threadpool(
            security.audit,
            session.user.username,
            "clear_hold",
            submission_id=sid,
            target=data.SENSITIVE_RULE,
            detail=f"解除敏感内容暂停：{reason}",
            ip=client_ip(request),
        )
        await run_in_threadpool(data.mark_listing_stale, index, sid)
        await run_in_threadpool(sync, sid, force=True)
        return RedirectResponse(f"/submissions/{quote(sid)}", status_code=303)

    @app.post("/submissions/{sid}/reprocess")
    async def reprocess(
        request: Request,
        sid: str,
        document: str = Form("", max_length=300),
        csrf_token: str = Form("", max_length=200),
    ) -> Response:
        session = await require(request, "staff")
        check_csrf(session, csrf_token)
        sid = submission_id_of(sid)
        review, _ = await run_in_threadpool(review_of, sid)
        if document:
            doc = document_in(review, document)
            try:
                target = upload_key(sid, doc.name)
            except UnsafeKeyError:
                raise HTTPError(404, "该申报中没有这份材料 (no such document)") from None
            kind = "document"
        else:
            target, kind = sid, "submission"
        job = await run_in_threadpool(jobs.submit, kind, sid, target, session.user.username)
        await run_in_threadpool(
            security.audit,
            session.user.username,
            "reprocess",
            submission_id=sid,
            target=target,
            detail=f"任务 job #{job.id}：重新处理{'材料 ' + document if document else '整个申报'}",
            ip=client_ip(request),
        )
        await run_in_threadpool(data.mark_listing_stale, index, sid)
        await run_in_threadpool(sync, sid, force=True)
        return RedirectResponse(f"/submissions/{quote(sid)}#jobs", status_code=303)

    @app.get("/submissions/{sid}/jobs")
    async def jobs_json(request: Request, sid: str) -> JSONResponse:
        await require(request)
        sid = submission_id_of(sid)
        rows = await run_in_threadpool(jobs.jobs, sid, 5)
        return JSONResponse([j.model_dump(mode="json", exclude={"error"}) | {"error": j.error} for j in rows])

    # --------------------------------------------------------------------- documents

    @app.get("/submissions/{sid}/documents/{name}")
    async def viewer(
        request: Request, sid: str, name: str, page: int = 0, rule: str = "", ev: int = -1
    ) -> Response:
        await require(request)
        sid = submission_id_of(sid)
        review, _ = await run_in_threadpool(review_of, sid)
        doc = document_in(review, name)
        result = await run_in_threadpool(data.load_result, store, doc, review.pipeline_version)
        raw = await run_in_threadpool(data.result_json, store, doc, review.pipeline_version)
        pages = max(doc.pages, 1)
        page = min(max(page, 0), pages - 1)
        highlight = None
        finding = data.finding_by_rule(review, rule) if rule else None
        if finding is not None and 0 <= ev < len(finding.evidence):
            e = finding.evidence[ev]
            if e.document == doc.name and e.bbox is not None and e.page is not None:
                highlight = e
                page = min(max(e.page, 0), pages - 1)
        overlays: list[dict[str, Any]] = []
        if result is not None:
            for f in result.fields:
                if f.page == page and f.bbox:
                    overlays.append(
                        {
                            "layer": "field",
                            "bbox": f.bbox,
                            "label": f.name,
                            "value": str(f.value),
                            "confidence": f.confidence,
                            "engine": f.engine or "",
                        }
                    )
            for sl in result.seals:
                if sl.page == page:
                    overlays.append(
                        {
                            "layer": "seal",
                            "bbox": sl.bbox,
                            "label": "印章 seal",
                            "value": sl.text or "",
                            "confidence": sl.confidence,
                            "engine": f"{sl.shape}/{sl.color}",
                        }
                    )
            for c in result.compatibility:
                if c.page == page and c.bbox:
                    overlays.append(
                        {
                            "layer": "compat",
                            "bbox": c.bbox,
                            "label": f"兼容 {c.category}",
                            "value": f"{c.name}（{c.canonical}）",
                            "confidence": c.confidence,
                            "engine": "",
                        }
                    )
            for h in result.sensitive:
                if h.page == page and h.bbox:
                    overlays.append(
                        {
                            "layer": "sensitive",
                            "bbox": h.bbox,
                            "label": f"敏感 {h.category}",
                            "value": h.text,
                            "confidence": h.score,
                            "engine": h.rule,
                        }
                    )
        raw_text = ""
        if raw is not None:
            import json as _json

            raw_text = _json.dumps(_json.loads(raw), ensure_ascii=False, indent=1)
        return render(
            request,
            "viewer.html.j2",
            r=review,
            doc=doc,
            result=result,
            page=page,
            pages=pages,
            overlays=overlays,
            highlight=highlight,
            finding=finding if highlight is not None else None,
            raw_json=raw_text,
            base=f"/submissions/{quote(sid)}/documents/{quote(doc.name, safe='')}",
        )

    @app.get("/submissions/{sid}/documents/{name}/pages/{n}.png")
    async def page_image(request: Request, sid: str, name: str, n: int) -> Response:
        await require(request)
        sid = submission_id_of(sid)
        review, _ = await run_in_threadpool(review_of, sid)
        doc = document_in(review, name)
        image = await run_in_threadpool(data.page_png, store, doc, review.pipeline_version, n, sid)
        if image is None:
            raise HTTPError(404, "没有这一页的图像 (no page image)")
        # OCR pages are stored as JPEG, text-layer pages rendered as PNG: say which one this is
        media_type = "image/jpeg" if image.startswith(b"\xff\xd8") else "image/png"
        return Response(image, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/submissions/{sid}/documents/{name}/result.json")
    async def result_json(request: Request, sid: str, name: str) -> Response:
        await require(request)
        sid = submission_id_of(sid)
        review, _ = await run_in_threadpool(review_of, sid)
        doc = document_in(review, name)
        raw = await run_in_threadpool(data.result_json, store, doc, review.pipeline_version)
        if raw is None:
            raise HTTPError(404, "没有提取结果 (no extraction result)")
        return Response(raw, media_type="application/json")

    # -------------------------------------------------------------------------- audit

    @app.get("/audit")
    async def audit(request: Request, submission: str = "", before: int | None = None) -> Response:
        await require(request)
        if submission:
            submission = submission_id_of(submission)
        rows = await run_in_threadpool(
            lambda: data.audit_page(index, submission_id=submission, before=before, limit=100)
        )
        more = (
            f"/audit?{urlencode({'submission': submission, 'before': rows[-1].id})}"
            if len(rows) == 100
            else None
        )
        return render(request, "audit.html.j2", rows=rows, submission=submission, more_url=more)

    return app
