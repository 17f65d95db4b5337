"""End-to-end: the reviewer UI in a real headless Chromium (Debian's /usr/bin/chromium, driven
by Playwright's sync API) against a real uvicorn server on loopback, over a store and index made
from the sample submissions. Screenshots of every page go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web_fixtures import HELD, SCREENSHOTS, XSS_ID, ServerThread, WebEnv, web_env, web_server  # noqa: F401

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def new_page(browser: Browser, server: ServerThread) -> Page:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, base_url=server.url, locale="zh-CN"
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, env: WebEnv, user: str, *, screenshot: bool = False) -> None:
    page.goto("/submissions")
    page.wait_for_url("**/login?next=*")
    page.fill("#username", user)
    page.fill("#password", env.passwords[user])
    if screenshot:
        shot(page, "01-login")
    page.click("button[type=submit]")
    page.wait_for_url("**/submissions")


def test_reviewer_journey(browser: Browser, web_server: ServerThread, web_env: WebEnv) -> None:  # noqa: F811
    page = new_page(browser, web_server)
    log_in(page, web_env, "reviewer1", screenshot=True)
    assert page.locator("#whoami").inner_text().startswith("reviewer1")
    assert page.locator("#submissions tbody tr").count() >= 4
    shot(page, "02-submissions")

    # open the failing (held) sample submission
    page.click(f"a[href='/submissions/{HELD}']")
    page.wait_for_url(f"**/submissions/{HELD}")
    assert page.locator("section.finding").count() == 16
    assert page.locator("#rule-identity\\.uscc_matches_declared .badge").inner_text() == "不通过"
    shot(page, "03-submission")

    # follow the failing finding to its highlighted evidence
    page.click("#rule-identity\\.uscc_matches_declared a.evlink")
    page.wait_for_url("**/documents/license.pdf?*rule=identity.uscc_matches_declared*")
    hl = page.locator("#highlight")
    hl.wait_for(state="visible")
    page.wait_for_load_state("load")  # the page image has arrived
    box, img = hl.bounding_box(), page.locator("#page-img").bounding_box()
    assert box is not None and img is not None
    x0, y0, x1, y1 = (float(v) for v in (hl.get_attribute("data-bbox") or "").split(","))
    assert abs((box["x"] - img["x"]) / img["width"] - x0) < 0.01
    assert abs((box["y"] - img["y"]) / img["height"] - y0) < 0.01
    assert abs(box["width"] / img["width"] - (x1 - x0)) < 0.01
    assert abs(box["height"] / img["height"] - (y1 - y0)) < 0.01
    assert page.locator(".ov.field").count() >= 5
    page.hover(".ov.field >> nth=0")
    assert "置信度" in page.locator("#tip").inner_text()
    page.uncheck("input.layer[value=field]")
    assert not page.locator(".ov.field >> nth=0").is_visible()
    page.check("input.layer[value=field]")
    shot(page, "04-viewer-highlight")

    # record an override with a reason
    page.goto(f"/submissions/{HELD}")
    finding = page.locator("#rule-identity\\.uscc_matches_declared")
    finding.locator("textarea[name=reason]").fill("营业执照为换发后新证，信用代码以新证为准（已电话核实）")
    finding.locator("button[value=override]").click()
    page.wait_for_url(f"**/submissions/{HELD}*")
    current = page.locator("#rule-identity\\.uscc_matches_declared .current")
    assert "推翻 · reviewer1" in current.inner_text()
    shot(page, "05-submission-decided")

    # the audit log shows it
    page.click("nav.top a[href='/audit']")
    page.wait_for_url("**/audit")
    first = page.locator("#audit tbody tr").first.inner_text()
    assert "reviewer1" in first and "推翻" in first and "已电话核实" in first
    shot(page, "06-audit")

    # a staff action as a reviewer is refused
    page.goto(f"/submissions/{HELD}")
    assert page.locator("#reprocess-all").count() == 0
    page.evaluate(
        """(sid) => {
            const f = document.createElement('form');
            f.method = 'post'; f.action = '/submissions/' + sid + '/reprocess';
            const t = document.createElement('input');
            t.name = 'csrf_token'; t.value = document.querySelector('input[name=csrf_token]').value;
            f.appendChild(t); document.body.appendChild(f); f.submit();
        }""",
        HELD,
    )
    page.wait_for_url(f"**/submissions/{HELD}/reprocess")
    assert "权限不足" in page.locator("#error-message").inner_text()
    shot(page, "07-reviewer-refused")


def test_stored_xss_is_inert(browser: Browser, web_server: ServerThread, web_env: WebEnv) -> None:  # noqa: F811
    page = new_page(browser, web_server)
    log_in(page, web_env, "reviewer1")
    page.goto(f"/submissions?q={XSS_ID}")
    assert page.evaluate("typeof window.__xss") == "undefined"
    page.goto(f"/submissions/{XSS_ID}")
    assert page.evaluate("typeof window.__xss") == "undefined"
    shown = page.locator("#applicant").inner_text()
    assert "<script>window.__xss=1</script>" in shown and "<img src=x" in shown
    assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
    shot(page, "08-xss-inert")


def test_staff_sees_reprocessing(browser: Browser, web_server: ServerThread, web_env: WebEnv) -> None:  # noqa: F811
    page = new_page(browser, web_server)
    log_in(page, web_env, "staff1")
    page.goto(f"/submissions/{HELD}/documents/test-report.pdf?page=1")
    assert page.locator(".ov.sensitive").count() >= 1
    page.locator("#raw summary").click()
    assert '"schema": "evidence.extraction/1"' in page.locator("pre.json").inner_text()
    shot(page, "09-viewer-sensitive-json")
    page.goto(f"/submissions/{HELD}")
    page.locator("#documents form:has(input[value='license.pdf']) button").click()
    page.wait_for_url(f"**/submissions/{HELD}*")
    row = page.locator("#job-table tbody tr").first
    assert "license.pdf" in row.inner_text()
    # (the CSP forbids eval, so poll with expect rather than wait_for_function)
    state = page.locator("#job-table tbody tr").first.locator("td").nth(3)
    expect(state).not_to_have_text(re.compile("queued|running"), timeout=60_000)
    page.reload()
    assert "done" in page.locator("#job-table tbody tr").first.inner_text()
    assert "推翻 · reviewer1" in page.locator("#rule-identity\\.uscc_matches_declared .current").inner_text()
    shot(page, "10-staff-reprocessed")


def teardown_module() -> None:
    # keep the screenshots; drop Playwright's temporary downloads if any
    shutil.rmtree(SCREENSHOTS / "downloads", ignore_errors=True)
