"""The status page in a real browser: headless Chromium (the distribution's package, as
.ci/run installs it) driven by Playwright, against the real daemon.

A clip dropped in the inbox appears, its progress moves, it ends done with both pictures;
a corrupt clip shows its reason and Retry runs it again; a POST from another origin and a
rebound DNS name are refused. Each run takes screenshots of the job list and a job page;
`VIDEOFREE_SCREENSHOTS=docs/img` writes them where the README shows them (otherwise they
go to the test's temporary folder, so a plain test run leaves the work tree clean).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.daemonproc import DaemonProcess, drop, terminate_quietly, wait_for, write_config
from tests.mediagen import make_clip

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")

pytestmark = pytest.mark.e2e

# A name that resolves to the page's own address, as a DNS-rebinding attacker arranges.
REBOUND_NAME = "rebound.example"
PAGE_LINE = re.compile(r"status page: http://127\.0\.0\.1:(\d+)/")
TIMEOUT = 60.0


def find_chromium() -> str | None:
    """The Chromium the distribution installed (Playwright's own download needs network)."""
    configured = os.environ.get("VIDEOFREE_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


CHROMIUM = find_chromium()
if CHROMIUM is None and os.environ.get("VIDEOFREE_REQUIRE_BROWSER"):
    pytest.fail("VIDEOFREE_REQUIRE_BROWSER is set but no Chromium was found", pytrace=False)
if CHROMIUM is None:
    pytest.skip(
        "no Chromium found: `apt-get install chromium` (.ci/run does) or set VIDEOFREE_CHROMIUM",
        allow_module_level=True,
    )


class Site:
    def __init__(self, root: Path, daemon: DaemonProcess, port: int) -> None:
        self.root = root
        self.screenshots = Path(os.environ.get("VIDEOFREE_SCREENSHOTS") or root / "screenshots")
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.inbox = root / "inbox"
        self.daemon = daemon
        self.base = f"http://127.0.0.1:{port}"
        self.port = port


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("web")
    config = write_config(
        root,
        web={"port": 0},
        rules=[
            {
                "name": "phone-clips",
                "glob": ["*.mp4", "*.mov"],
                "output": str(root / "out"),
                "prompt": "cut the first second, black and white, add sparkles",
            }
        ],
    )
    daemon = DaemonProcess(config).start()
    try:
        daemon.wait_running(timeout=30)
        match = wait_for(lambda: PAGE_LINE.search(daemon.log), 10, "the page's address", daemon)
        yield Site(root, daemon, int(match.group(1)))
    finally:
        daemon.stop()
        terminate_quietly(daemon)


@pytest.fixture
def browser() -> Iterator[Any]:
    # Per test: Playwright's threads must be gone when the thread-leak check looks.
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
            args=["--no-sandbox", f"--host-resolver-rules=MAP {REBOUND_NAME} 127.0.0.1"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT * 1000)
    yield tab
    context.close()


def row_state(page: Any, job_id: int) -> str | None:
    """The state shown in the list for a job, or None (also while the page reloads)."""
    try:
        value = page.evaluate(
            "id => document.querySelector(`tr[data-id='${id}']`)?.dataset.state ?? null", job_id
        )
    except playwright_api.Error:
        return None
    return value if isinstance(value, str) else None


def shown_progress(page: Any, job_id: int) -> float | None:
    try:
        value = page.evaluate(
            "id => document.querySelector(`tr[data-id='${id}'] progress`)?.value ?? null", job_id
        )
    except playwright_api.Error:
        return None
    return float(value) if value is not None else None


def test_a_clip_appears_progresses_and_ends_done_with_both_pictures(site: Site, page: Any) -> None:
    page.goto(site.base + "/")
    assert page.locator(".empty").is_visible()  # nothing yet
    # Big enough that the 1080p render takes a few seconds: the bar has time to move.
    clip = make_clip(site.root / "IMG_0042.mp4", duration=20.0, size=(1280, 720), seed=42)
    drop(clip, site.inbox, "IMG_0042.mp4")

    # The page polls and reloads itself: no page.reload() here.
    seen: set[float] = set()
    deadline = time.monotonic() + TIMEOUT
    while row_state(page, 1) != "done":
        assert time.monotonic() < deadline, f"job 1 never showed done\n{site.daemon.log[-2000:]}"
        if (value := shown_progress(page, 1)) is not None:
            seen.add(round(value, 1))
        time.sleep(0.1)
    moving = sorted(v for v in seen if 0 < v < 100)
    assert len(moving) >= 2, f"the progress bar did not move: {sorted(seen)}"
    assert "IMG_0042-edited.mp4" in page.locator("tr[data-id='1'] .out").inner_text()

    page.click("tr[data-id='1'] .src a")
    page.wait_for_url(f"{site.base}/jobs/1")
    # The pictures are made just after delivery; the job page reloads when they exist.
    for kind in ("source", "output"):
        img = page.locator(f"img[src='/jobs/1/{kind}.jpg']")
        img.wait_for(state="visible")
        page.wait_for_function(
            "src => { const i = document.querySelector(`img[src='${src}']`);"
            " return i && i.complete && i.naturalWidth > 0; }",
            arg=f"/jobs/1/{kind}.jpg",
        )
    assert "add sparkles" in page.locator(".ignored").inner_text()
    assert "black and white" in page.locator(".plan").inner_text()
    page.screenshot(path=str(site.screenshots / "job.png"), full_page=False)


def _drop_corrupt(site: Site, name: str) -> int:
    bad = site.root / name
    bad.write_bytes(b"this is not a video " * 64 + name.encode())
    drop(bad, site.inbox, name)

    def failed_id() -> int | None:
        for line in site.daemon.log.splitlines():
            if f"queued {name}" in line and (m := re.search(r"\[job (\d+)\]", line)):
                job = int(m.group(1))
                if f"[job {job}] failed" in site.daemon.log:
                    return job
        return None

    found: int = wait_for(failed_id, TIMEOUT, f"{name} to fail", site.daemon)
    return found


def test_a_corrupt_clip_shows_its_reason_and_retry_runs_it_again(site: Site, page: Any) -> None:
    job = _drop_corrupt(site, "broken.mov")
    page.goto(site.base + "/")
    page.locator(f"tr[data-id='{job}'] .badge.st-failed").wait_for()
    assert "not a readable video" in page.locator(f"tr[data-id='{job}'] .out").inner_text()
    # Just the list: the rest of the window is empty.
    bottom = page.evaluate("document.querySelector('main').getBoundingClientRect().bottom")
    area = {"x": 0, "y": 0, "width": 1100, "height": bottom}
    page.screenshot(path=str(site.screenshots / "jobs.png"), clip=area)

    page.goto(f"{site.base}/jobs/{job}")
    assert "not a readable video" in page.locator(".reason").inner_text()
    started = f"[job {job}] started"
    assert site.daemon.log.count(started) == 1
    with page.expect_response(f"{site.base}/jobs/{job}/retry") as answer:
        page.click("#retry")
    assert answer.value.status == 303, answer.value.text()
    wait_for(lambda: site.daemon.log.count(started) == 2, TIMEOUT, "the retry", site.daemon)
    page.locator(".badge.st-failed").wait_for()  # still corrupt: it fails again, visibly


class _Attacker(http.server.BaseHTTPRequestHandler):
    """Another site on another port: its page posts a form to the status page."""

    target = ""

    def do_GET(self) -> None:
        body = (
            f'<form id="f" method="post" action="{self.target}"><input name="csrf" value="x">'
            '</form><script>document.getElementById("f").submit()</script>'
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_a_cross_origin_post_and_a_rebound_name_are_refused(site: Site, page: Any) -> None:
    job = _drop_corrupt(site, "victim.mov")
    started = f"[job {job}] started"
    handler = type("Attacker", (_Attacker,), {"target": f"{site.base}/jobs/{job}/retry"})
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=attacker.serve_forever, daemon=True)
    thread.start()
    try:
        with page.expect_response(f"{site.base}/jobs/{job}/retry") as answer:
            page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        assert answer.value.status == 403
    finally:
        attacker.shutdown()
        attacker.server_close()
        thread.join(timeout=5)
    assert site.daemon.log.count(started) == 1  # not run again

    refused = page.goto(f"http://{REBOUND_NAME}:{site.port}/")
    assert refused is not None
    assert refused.status == 421
    assert "IMG_0042" not in page.content()
