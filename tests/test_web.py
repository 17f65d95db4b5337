"""The reviewer web UI through FastAPI's TestClient: login, sessions, CSRF, roles, escaping,
authorised page images / JSON, decisions that survive re-processing, and keyset pagination that
stays fast with 10,000 submissions. Real index (SQLite), real store with real sample results."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import insert, text

from evidence.web import WebSettings, create_app
from evidence.web.data import ListingQuery, listing_statement, query_listing, sync_listing
from evidence.web.security import Security, UserError
from pipeline.index import IndexSettings, open_index
from pipeline.index.models import Submission
from pipeline.store import LocalFolderStore
from tests.web_fixtures import FAILING, HELD, PASSING, XSS_ID, WebEnv, web_env  # noqa: F401
from validators.review import RULE_ORDER


@pytest.fixture(scope="module")
def app_client(web_env: WebEnv) -> Iterator[TestClient]:  # noqa: F811
    app = web_env.make_app(start_jobs=False)
    with TestClient(app) as client:
        yield client


def login(client: TestClient, env: WebEnv, user: str, password: str | None = None) -> TestClient:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return client.post(  # type: ignore[return-value]
        "/login",
        data={"username": user, "password": password or env.passwords[user], "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def csrf(client: TestClient, url: str = "/submissions") -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert m is not None
    return m.group(1)


@pytest.fixture
def reviewer(web_env: WebEnv) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(web_env.make_app(start_jobs=False)) as c:
        assert login(c, web_env, "reviewer1").status_code == 303
        yield c


@pytest.fixture
def staff(web_env: WebEnv) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(web_env.make_app(start_jobs=False)) as c:
        assert login(c, web_env, "staff1").status_code == 303
        yield c


# ------------------------------------------------------------------------------------ auth


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/submissions",
        f"/submissions/{HELD}",
        f"/submissions/{HELD}/documents/license.pdf",
        f"/submissions/{HELD}/documents/license.pdf/pages/0.png",
        f"/submissions/{HELD}/documents/license.pdf/result.json",
        f"/submissions/{HELD}/jobs",
        "/audit",
    ],
)
def test_everything_but_health_needs_login(app_client: TestClient, url: str) -> None:
    r = app_client.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_health_is_public(app_client: TestClient) -> None:
    r = app_client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_post_without_login_is_refused(app_client: TestClient) -> None:
    r = app_client.post(f"/submissions/{HELD}/decisions", data={"rule": "seal.required", "action": "confirm"})
    assert r.status_code == 401


def test_login_sets_safe_cookie_and_logout_ends_session(web_env: WebEnv) -> None:  # noqa: F811
    with TestClient(web_env.make_app(start_jobs=False)) as c:
        r = login(c, web_env, "reviewer1")
        assert r.status_code == 303 and r.headers["location"] == "/submissions"
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "evidence_session=" in v)
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert "安全" not in cookie
        assert c.get("/submissions").status_code == 200
        assert c.post("/logout", data={"csrf_token": csrf(c)}, follow_redirects=False).status_code == 303
        assert c.get("/submissions", follow_redirects=False).status_code == 303


def test_secure_cookie_behind_tls(web_env: WebEnv) -> None:  # noqa: F811
    settings = web_env.settings.model_copy(update={"secure_cookies": True})
    app = create_app(settings, store=web_env.store, index=web_env.index, start_jobs=False)
    with TestClient(app, base_url="https://testserver") as c:
        r = login(c, web_env, "reviewer1")
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "evidence_session=" in v)
        assert "Secure" in cookie


def test_login_needs_csrf_and_right_password(app_client: TestClient, web_env: WebEnv) -> None:  # noqa: F811
    r = app_client.post(
        "/login", data={"username": "admin", "password": web_env.passwords["admin"], "csrf_token": "x"}
    )
    assert r.status_code == 403
    assert login(app_client, web_env, "admin", "wrong password!").status_code == 401


def test_login_rate_limited_per_ip_and_user(web_env: WebEnv) -> None:  # noqa: F811
    security = Security(web_env.index, web_env.settings.secret_key.get_secret_value())
    security.add_user("limited1", "limited-password-1", "reviewer")
    with TestClient(web_env.make_app(start_jobs=False)) as c:
        for _ in range(5):
            assert login(c, web_env, "limited1", "not the password").status_code == 401
        blocked = login(c, web_env, "limited1", "limited-password-1")
        assert blocked.status_code == 429 and "过多" in blocked.text
        assert int(blocked.headers["retry-after"]) > 0
        # another user from the same address is not affected
        assert login(c, web_env, "staff1").status_code == 303


def test_passwords_are_argon2_hashed(web_env: WebEnv) -> None:  # noqa: F811
    with web_env.index.engine.connect() as conn:
        hashes = conn.execute(text("SELECT password_hash FROM ui_users")).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(pw in h for h in hashes for pw in web_env.passwords.values())


def test_user_validation(web_env: WebEnv) -> None:  # noqa: F811
    security = Security(web_env.index, web_env.settings.secret_key.get_secret_value())
    with pytest.raises(UserError):
        security.add_user("x", "short", "reviewer")
    with pytest.raises(UserError):
        security.add_user("y", "long enough password", "boss")
    with pytest.raises(UserError):
        security.add_user("reviewer1", "long enough password", "reviewer")
    assert security.ensure_first_admin() is None  # users exist


def test_first_admin_on_empty_db(tmp_path: Path) -> None:
    index = open_index(IndexSettings(url=f"sqlite:///{tmp_path / 'i.sqlite3'}"))
    security = Security(index, "k" * 40)
    password = security.ensure_first_admin()
    assert password and len(password) >= 16
    assert security.authenticate("admin", password) is not None
    assert security.ensure_first_admin() is None
    index.engine.dispose()


def test_open_redirect_refused(web_env: WebEnv) -> None:  # noqa: F811
    with TestClient(web_env.make_app(start_jobs=False)) as c:
        page = c.get("/login?next=//evil.example/x")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        r = c.post(
            "/login",
            data={
                "username": "reviewer1",
                "password": web_env.passwords["reviewer1"],
                "csrf_token": token.group(1),
                "next": "//evil.example/x",
            },
            follow_redirects=False,
        )
        assert r.headers["location"] == "/submissions"


# ------------------------------------------------------------------------ CSRF and roles


def test_decision_requires_csrf(reviewer: TestClient) -> None:
    url = f"/submissions/{FAILING}/decisions"
    body = {"rule": "seal.required", "action": "confirm", "reason": ""}
    assert reviewer.post(url, data=body).status_code == 403
    assert reviewer.post(url, data={**body, "csrf_token": "forged"}).status_code == 403


def test_reviewer_cannot_reprocess(reviewer: TestClient) -> None:
    r = reviewer.post(f"/submissions/{PASSING}/reprocess", data={"csrf_token": csrf(reviewer)})
    assert r.status_code == 403 and "权限不足" in r.text
    assert "重新处理整个申报" not in reviewer.get(f"/submissions/{PASSING}").text


def test_security_headers(reviewer: TestClient) -> None:
    r = reviewer.get("/submissions")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


# ------------------------------------------------------------------------------- pages


def test_listing_shows_samples_with_status_and_counts(reviewer: TestClient) -> None:
    page = reviewer.get("/submissions").text
    for sid in (PASSING, HELD, FAILING, XSS_ID):
        assert sid in page
    held = reviewer.get("/submissions?status=held").text
    assert HELD in held and PASSING not in held and "暂停审查（敏感内容）" in held
    by_rule = reviewer.get("/submissions?rule=deployment.within_two_years").text
    assert HELD in by_rule and PASSING not in by_rule
    assert (
        FAILING in reviewer.get("/submissions?q=91").text
        or "0 个申报" not in reviewer.get("/submissions?q=91").text
    )
    assert PASSING not in reviewer.get("/submissions?q=成都").text


def test_submission_page_lists_every_rule(reviewer: TestClient) -> None:
    page = reviewer.get(f"/submissions/{HELD}").text
    for rule in RULE_ORDER:
        assert f'id="rule-{rule}"' in page
    assert "不通过" in page and "暂停审查" in page
    assert 'id="compare"' in page and "不一致" in page  # declared uscc differs from the licence
    link = re.search(
        r'href="(/submissions/[^"]+/documents/[^"?]+\?page=\d+&amp;rule=identity\.uscc_matches_declared&amp;ev=0)"',
        page,
    )
    assert link is not None
    viewer = reviewer.get(link.group(1).replace("&amp;", "&")).text
    m = re.search(r'id="highlight" data-bbox="([^"]+)"', viewer)
    assert m is not None
    assert [float(x) for x in m.group(1).split(",")] == pytest.approx(
        [0.0831, 0.2798, 0.241, 0.3083], abs=0.05
    )


def test_page_image_and_json_only_through_checked_routes(reviewer: TestClient) -> None:
    base = f"/submissions/{HELD}/documents/license.pdf"
    png = reviewer.get(f"{base}/pages/0.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    raw = reviewer.get(f"{base}/result.json")
    assert raw.status_code == 200 and raw.json()["schema"].startswith("evidence.extraction/")
    assert reviewer.get(f"{base}/pages/99.png").status_code == 404
    assert reviewer.get(f"/submissions/{HELD}/documents/..%2F..%2Fdeclared.yaml").status_code == 404
    assert reviewer.get(f"/submissions/{HELD}/documents/declared.yaml/result.json").status_code == 404
    assert reviewer.get("/submissions/..%2Fresults/documents/license.pdf").status_code == 404
    assert reviewer.get("/submissions/NOPE-1").status_code == 404


def test_declared_fields_are_escaped(reviewer: TestClient) -> None:
    for url in (f"/submissions/{XSS_ID}", "/submissions", f"/submissions?q={XSS_ID}"):
        page = reviewer.get(url).text
        assert "<script>window.__xss" not in page and "<img src=x" not in page
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert "<b>加粗</b>" not in reviewer.get(f"/submissions/{XSS_ID}").text


# -------------------------------------------------------------------------- actions


def test_override_needs_reason_and_is_audited(reviewer: TestClient) -> None:
    url = f"/submissions/{FAILING}/decisions"
    token = csrf(reviewer, f"/submissions/{FAILING}")
    assert (
        reviewer.post(
            url, data={"rule": "seal.required", "action": "override", "csrf_token": token}
        ).status_code
        == 400
    )
    assert (
        reviewer.post(
            url, data={"rule": "no.such_rule", "action": "confirm", "csrf_token": token}
        ).status_code
        == 400
    )
    r = reviewer.post(
        url,
        data={
            "rule": "seal.required",
            "action": "override",
            "reason": "印章在扫描件第2页<已核实>",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = reviewer.get(f"/submissions/{FAILING}").text
    assert "推翻 · reviewer1" in page and "印章在扫描件第2页&lt;已核实&gt;" in page
    audit = reviewer.get(f"/audit?submission={FAILING}").text
    assert "reviewer1" in audit and "seal.required 推翻" in audit


def test_clear_hold(reviewer: TestClient, web_env: WebEnv) -> None:  # noqa: F811
    token = csrf(reviewer, f"/submissions/{HELD}")
    url = f"/submissions/{HELD}/hold/clear"
    assert reviewer.post(url, data={"csrf_token": token}).status_code == 400
    assert (
        reviewer.post(
            url, data={"csrf_token": token, "reason": "测试报告中的密级为样例"}, follow_redirects=False
        ).status_code
        == 303
    )
    page = reviewer.get(f"/submissions/{HELD}").text
    assert "敏感内容暂停已解除" in page
    listing = reviewer.get("/submissions?status=fail").text
    assert HELD in listing  # without the hold the submission fails on other rules
    assert (
        reviewer.post(
            f"/submissions/{PASSING}/hold/clear", data={"csrf_token": token, "reason": "x"}
        ).status_code
        == 409
    )


def test_staff_reprocess_keeps_decisions(staff: TestClient, web_env: WebEnv) -> None:  # noqa: F811
    token = csrf(staff, f"/submissions/{PASSING}")
    staff.post(
        f"/submissions/{PASSING}/decisions",
        data={
            "rule": "license.valid_on_date",
            "action": "confirm",
            "reason": "核对原件",
            "csrf_token": token,
        },
    )
    before = web_env.index.submission(PASSING)
    assert before is not None
    r = staff.post(
        f"/submissions/{PASSING}/reprocess",
        data={"csrf_token": token, "document": "license.pdf"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    jobs = staff.get(f"/submissions/{PASSING}/jobs").json()
    assert jobs[0]["state"] == "queued" and jobs[0]["target"] == f"uploads/{PASSING}/license.pdf"
    assert staff.app.state.jobs.run_pending() == 1  # type: ignore[attr-defined]
    job = staff.get(f"/submissions/{PASSING}/jobs").json()[0]
    assert job["state"] == "done" and job["done"] == job["total"] == 1, job
    after = web_env.index.submission(PASSING)
    assert after is not None and after.review_key != before.review_key  # a new review
    page = staff.get(f"/submissions/{PASSING}").text
    assert "确认 · staff1" in page and "理由：核对原件" in page  # the decision survived
    assert (
        staff.post(
            f"/submissions/{PASSING}/reprocess", data={"csrf_token": token, "document": "nope.pdf"}
        ).status_code
        == 404
    )


# ------------------------------------------------------------------------------ scale


def test_listing_page_fast_with_10000_submissions(tmp_path: Path) -> None:
    index = open_index(IndexSettings(url=f"sqlite:///{tmp_path / 'big.sqlite3'}"))
    store = LocalFolderStore(tmp_path / "store")
    now = datetime.now(UTC)
    statuses = ("pass", "fail", "needs_review", "held", "pending")
    regions = ("华北", "华东", "华南", "西南", "西北", "东北", "华中")
    rows = [
        {
            "id": f"S-2024-{n:05d}",
            "applicant_name": f"测试单位{n % 997:03d}科技有限公司",
            "uscc": f"91{n:016d}",
            "region": regions[n % len(regions)],
            "solution_name": f"方案{n}",
            "status": statuses[n % len(statuses)],
            "documents_count": 11,
            "processed_count": 11,
            "failed_count": 0,
            "reviewed_at": now - timedelta(minutes=n),
            "updated_at": now,
        }
        for n in range(10_000)
    ]
    with index.engine.begin() as conn:
        conn.execute(insert(Submission), rows)
    assert sync_listing(index, store) == 10_000
    assert sync_listing(index, store) == 0  # nothing changed: nothing to do

    for query in (
        ListingQuery(),
        ListingQuery(sort="processed", desc=True),
        ListingQuery(status="fail"),
        ListingQuery(sort="applicant"),
    ):
        query_listing(index, query, with_total=False)  # warm the cache
        t0 = time.perf_counter()
        page = query_listing(index, query, with_total=False)
        elapsed = time.perf_counter() - t0
        assert len(page.rows) == 50 and page.next_cursor
        assert elapsed < 0.1, (query, elapsed)
        stmt, _ = listing_statement(query)
        sql = str(stmt.compile(index.engine, compile_kwargs={"literal_binds": True}))
        with index.engine.connect() as conn:
            plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "INDEX" in plan.upper() and "TEMP B-TREE" not in plan.upper(), plan
        nxt = query_listing(index, query.model_copy(update={"after": page.next_cursor}), with_total=False)
        assert not {r.submission_id for r in nxt.rows} & {r.submission_id for r in page.rows}
        if query.sort == "processed":
            assert page.rows[-1].last_processed >= nxt.rows[0].last_processed
    full = query_listing(index, ListingQuery(status="held"))
    assert full.total == 2000
    index.engine.dispose()


def test_settings_generate_secret_once(tmp_path: Path) -> None:
    env = {"EVIDENCE_HOME": str(tmp_path)}
    a = WebSettings.from_env(env)
    b = WebSettings.from_env(env)
    assert a.secret_key.get_secret_value() == b.secret_key.get_secret_value()
    assert (tmp_path / "web-secret-key").stat().st_mode & 0o077 == 0
    given = WebSettings.from_env({"EVIDENCE_SECRET_KEY": "s" * 40, "EVIDENCE_SECURE_COOKIES": "true"})
    assert given.secure_cookies and given.secret_key == SecretStr("s" * 40)
