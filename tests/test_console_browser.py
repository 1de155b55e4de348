"""The web console in a real browser: Debian's chromium driven headless by Playwright, against a real
`reign serve --replay` process on a loopback port (SQLite, real bash). The model is a synthesized cassette
(no LLM API is reachable here). Screenshots land in the test's tmp dir; REIGN_UPDATE_SCREENSHOT=1 also
writes docs/console.png for the README."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest_server import ROOT, Server, bash, cassette

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>"

if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture
def server(tmp_path: Path, server_home: tuple[Path, Path], servers: list[Server]) -> Server:
    home, ws = server_home
    s = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}")
    servers.append(s)
    return s


def _page(browser: Any, server: Server, token: str, dialogs: list[str]) -> Any:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.url + "/")
    assert "/login?next=" in page.url
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")
    return page


def test_start_watch_and_approve_a_replayed_run(browser: Any, server: Server, tmp_path: Path) -> None:
    path = ROOT / "docs" / "console-demo.yaml"  # the README's demo: a write that asks
    alice, bob = server.add_user("alice", "operator"), server.add_user("bob", "approver")
    vera = server.add_user("vera", "viewer")
    server.start()
    dialogs: list[str] = []
    page = _page(browser, server, alice, dialogs)
    page.get_by_label("Goal", exact=True).fill("append a line to count.txt")
    page.get_by_label("Cassette", exact=False).fill(str(path))
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/runs/*")
    run_id = page.url.rsplit("/", 1)[1]
    page.get_by_text("I'll record it in count.txt.").wait_for(timeout=30_000)  # the narration, streamed or shown
    page.locator("section.pending").wait_for(timeout=30_000)  # the ask arrives live: the page re-renders
    assert page.locator("#status").inner_text() == "waiting_approval"
    assert page.get_by_role("button", name="Approve").count() == 0  # an operator may not approve
    assert "may not decide approvals" in page.locator("section.pending").inner_text()
    page.screenshot(path=str(tmp_path / "operator-waiting.png"), full_page=True)

    viewer = _page(browser, server, vera, dialogs)
    viewer.goto(f"{server.url}/runs/{run_id}")
    assert viewer.locator("section.pending").count() == 1
    assert viewer.get_by_role("button", name="Approve").count() == 0
    assert viewer.get_by_role("button", name="Deny").count() == 0

    approver = _page(browser, server, bob, dialogs)
    digest = server.run(bob, run_id)["pending"][0]["digest"]
    approver.goto(f"{server.url}/runs/{run_id}?approve={digest}")  # the webhook's link
    assert approver.locator("section.pending.focus").count() == 1
    assert "echo ran >> count.txt" in approver.locator("section.pending").inner_text()
    approver.screenshot(path=str(tmp_path / "approver.png"), full_page=True)
    if os.environ.get("REIGN_UPDATE_SCREENSHOT"):
        shutil.copy(tmp_path / "approver.png", ROOT / "docs" / "console.png")
    approver.get_by_label("Note").fill("checked the diff")
    approver.get_by_role("button", name="Approve").click()

    # alice's page, still open, follows the run to its end over SSE
    page.locator("#status", has_text="completed").wait_for(timeout=30_000)
    assert page.get_by_text("Recorded.").first.is_visible()
    assert "approved by bob: checked the diff" in page.locator("#events").inner_text()
    assert (server.workspace / "count.txt").read_text() == "ran\n"
    assert page.locator("svg[aria-label='Tokens per step'] rect").count() == 2
    page.screenshot(path=str(tmp_path / "completed.png"), full_page=True)
    assert dialogs == []


def test_html_in_tool_output_stays_text(browser: Any, server: Server, tmp_path: Path) -> None:
    (server.workspace / "pod.log").write_text(f"line one\n{XSS}\n")
    path = cassette(tmp_path / "xss.yaml", [
        {"text": f"Reading the log. {XSS}", "calls": [bash("cat pod.log")]},
        {"text": "Done."},
    ], "tool output carrying HTML")
    otto = server.add_user("otto", "operator")
    server.start()
    dialogs: list[str] = []
    page = _page(browser, server, otto, dialogs)
    page.get_by_label("Goal", exact=True).fill("read the pod log")
    page.get_by_label("Cassette", exact=False).fill(str(path))
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/runs/*")
    page.locator("#status", has_text="completed").wait_for(timeout=30_000)
    output = page.locator("article.result pre")
    assert XSS in output.inner_text()  # shown as text, visible
    assert output.is_visible()
    assert page.locator("#events img").count() == 0 and page.locator("#events script").count() == 0
    assert dialogs == []
    page.screenshot(path=str(tmp_path / "xss.png"), full_page=True)


def test_a_form_post_without_the_csrf_token_is_refused(browser: Any, server: Server) -> None:
    otto = server.add_user("otto", "operator")
    server.start()
    page = _page(browser, server, otto, [])
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["reign_session"] == otto
    assert not page.evaluate("document.cookie.includes('reign_session')")  # HttpOnly: scripts cannot read it
    forged = httpx.post(server.url + "/runs", data={"goal": "x"}, cookies=cookies,
                        headers={"Origin": server.url}, timeout=10)
    assert forged.status_code == 403
    # from the page itself too: the browser sends the cookie and the Origin, but there is no token
    status = page.evaluate("""async () => (await fetch('/runs', {method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded'}, body: 'goal=x'})).status""")
    assert status == 403
    assert server.request("GET", "/api/runs", otto).json() == []
