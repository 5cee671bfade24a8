"""The status page served by WebServer on a real loopback socket, over a real ledger."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon.config import Config, parse_config
from daemon.events import EventBus, EventKind, JobEvent
from daemon.ledger import JobState, Ledger
from daemon.media.probe import probe
from daemon.media.tools import find_ffmpeg
from daemon.web.security import CSP
from daemon.web.server import WebServer
from daemon.web.thumbs import make_thumb
from tests.mediagen import make_clip

pytestmark = pytest.mark.integration

PASSWORD = "correct-horse-battery"
ANY = "0.0.0.0"  # noqa: S104 - the bind a password is required for


def config_for(tmp_path: Path, web: str = "{port: 0}") -> Config:
    text = (
        f"watch: [{tmp_path / 'inbox'}]\nstate_dir: {tmp_path / 'state'}\nweb: {web}\n"
        f"rules:\n  - {{name: clips, glob: '*.mp4', output: {tmp_path / 'out'}}}\n"
    )
    path = tmp_path / "rules.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return parse_config(text, path)


class Served:
    def __init__(self, server: WebServer, ledger: Ledger, config: Config) -> None:
        self.server = server
        self.ledger = ledger
        self.config = config
        self.requeued: list[int] = []
        self.base = f"http://127.0.0.1:{server.port or 1}"
        self.http = httpx.Client(base_url=self.base, timeout=10)


def serve(tmp_path: Path, env: dict[str, str], web: str = "{port: 0}") -> Iterator[Served]:
    config = config_for(tmp_path, web)
    ledger = Ledger.in_state_dir(config.state_dir)
    requeued: list[int] = []
    server = WebServer(
        lambda: config,
        ledger,
        lambda: find_ffmpeg(None),
        EventBus(),
        requeued=requeued.append,
        credits=None,
        env=env,
    )
    server.start()
    served = Served(server, ledger, config)
    served.requeued = requeued
    try:
        yield served
    finally:
        served.http.close()
        server.stop()
        ledger.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, {})


def add_jobs(ledger: Ledger, n: int, tmp_path: Path) -> list[int]:
    rule = config_for(tmp_path).rules[0]
    ids = []
    for i in range(n):
        snapshot = rule.model_dump_json()
        record = ledger.add_job([tmp_path / f"clip{i}.mp4"], f"fp{i}", "clips", snapshot, "local")
        assert record is not None
        ids.append(record.id)
    return ids


def failed_job(site: Served, tmp_path: Path) -> int:
    [job] = add_jobs(site.ledger, 1, tmp_path)
    assert site.ledger.claim(job, "local") is not None
    site.ledger.fail(job, "not a readable video")
    return job


def test_every_response_carries_the_security_headers(site: Served, tmp_path: Path) -> None:
    job = failed_job(site, tmp_path)
    for path in ("/", f"/jobs/{job}", "/rules", "/try", "/api/jobs", "/metrics", "/nope"):
        answer = site.http.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert "unsafe-inline" not in CSP


def test_a_foreign_host_header_is_refused(site: Served) -> None:
    answer = site.http.get("/", headers={"host": "attacker.example"})
    assert answer.status_code == 421
    assert answer.headers["content-security-policy"] == CSP
    assert site.http.get("/", headers={"host": f"localhost:{site.server.port}"}).status_code == 200


def test_retry_needs_post_the_token_and_the_same_origin(site: Served, tmp_path: Path) -> None:
    job = failed_job(site, tmp_path)
    token = _token(site, job)
    url = f"/jobs/{job}/retry"
    assert site.http.get(url).status_code == 405
    assert site.http.post(url, data={}).status_code == 403
    assert site.http.post(url, data={"csrf": "guess"}).status_code == 403
    other = {"origin": "http://127.0.0.1:1"}
    assert site.http.post(url, data={"csrf": token}, headers=other).status_code == 403
    assert site.ledger.get(job).state is JobState.FAILED  # type: ignore[union-attr]
    assert site.requeued == []

    same = {"origin": site.base}
    answer = site.http.post(url, data={"csrf": token}, headers=same)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/jobs/{job}"
    assert site.ledger.get(job).state is JobState.QUEUED  # type: ignore[union-attr]
    assert site.requeued == [job]
    # Queued now: a second retry is refused, nothing runs twice.
    assert site.http.post(url, data={"csrf": token}, headers=same).status_code == 409


def _token(site: Served, job: int) -> str:
    html = site.http.get(f"/jobs/{job}").text
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_api_jobs_pages_through_the_status_json(site: Served, tmp_path: Path) -> None:
    add_jobs(site.ledger, 120, tmp_path)
    first = site.http.get("/api/jobs", params={"per_page": 50})
    assert first.headers["x-total-count"] == "120"
    assert 'rel="next"' in first.headers["link"]
    assert first.json() == [j.as_json() for j in site.ledger.jobs(limit=50)]
    last = site.http.get("/api/jobs", params={"per_page": 50, "page": 3}).json()
    assert [j["id"] for j in last] == list(range(20, 0, -1))
    assert "link" not in site.http.get("/api/jobs", params={"per_page": 50, "page": 3}).headers
    queued = site.http.get("/api/jobs", params={"state": "failed"})
    assert queued.json() == []


def test_the_job_list_is_paged_and_filtered(site: Served, tmp_path: Path) -> None:
    add_jobs(site.ledger, 60, tmp_path)
    html = site.http.get("/").text
    assert 'data-id="60"' in html
    assert 'data-id="10"' not in html
    assert "page 1 of 2" in html
    assert 'data-id="10"' in site.http.get("/?page=2").text
    assert 'data-id="60"' not in site.http.get("/?state=failed").text


def test_metrics_and_healthz(site: Served, tmp_path: Path) -> None:
    add_jobs(site.ledger, 3, tmp_path)
    answer = site.http.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    assert families["videofree_queue_length"].samples[0].value == 3
    assert site.http.get("/healthz").json() == {"status": "ok"}


def test_pictures_are_found_by_job_id_only(site: Served, tmp_path: Path) -> None:
    job = failed_job(site, tmp_path)
    assert site.http.get(f"/jobs/{job}/source.jpg").status_code == 404  # not made yet
    thumbs = site.server.thumbs_dir
    thumbs.mkdir(parents=True, exist_ok=True)
    (thumbs / f"{job}-source.jpg").write_bytes(b"\xff\xd8jpeg")
    (tmp_path / "state" / "secret.jpg").write_bytes(b"\xff\xd8secret")
    answer = site.http.get(f"/jobs/{job}/source.jpg")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/jpeg"
    for path in (
        f"/jobs/{job}/secret.jpg",
        f"/jobs/{job}/..%2Fsecret.jpg",
        "/jobs/..%2F..%2Fsecret.jpg",
        f"/jobs/{job}/%2E%2E/%2E%2E/secret.jpg",
        "/static/..%2F..%2F..%2Fstate%2Fsecret.jpg",
    ):
        answer = site.http.get(path)
        assert answer.status_code == 404, path
        assert b"secret" not in answer.content


def test_the_rules_page_matches_a_typed_path_without_reading_it(
    site: Served, tmp_path: Path
) -> None:
    html = site.http.get("/rules", params={"path": str(tmp_path / "inbox" / "a.mp4")}).text
    assert "OK, 1 rule(s)" in html
    assert "rule <b>clips</b>" in html
    html = site.http.get("/rules", params={"path": "/etc/passwd"}).text
    assert "No rule matches" in html
    assert "root:" not in html


def test_a_password_is_asked_for_and_never_shown(tmp_path: Path) -> None:
    for site in serve(tmp_path, {"VIDEOFREE_WEB_PASSWORD": PASSWORD}):
        job = failed_job(site, tmp_path)
        assert site.http.get("/").status_code == 401
        assert site.http.get("/").headers["www-authenticate"].startswith("Basic")
        assert site.http.get("/healthz").status_code == 200
        wrong = httpx.BasicAuth("me", "wrong")
        assert site.http.get("/", auth=wrong).status_code == 401
        auth = httpx.BasicAuth("me", PASSWORD)
        for path in ("/", f"/jobs/{job}", "/rules", "/try", "/api/jobs", "/metrics"):
            answer = site.http.get(path, auth=auth)
            assert answer.status_code == 200, path
            assert PASSWORD not in answer.text
            assert base64.b64encode(PASSWORD.encode()).decode() not in answer.text


def test_a_public_bind_without_a_password_does_not_start(tmp_path: Path) -> None:
    for site in serve(tmp_path, {}, web=f"{{host: {ANY}, port: 0}}"):
        assert site.server.port is None  # never bound: nothing listens on any interface


def test_a_taken_port_leaves_the_daemon_without_the_page(site: Served, tmp_path: Path) -> None:
    taken = site.server.port
    for other in serve(tmp_path / "b", {}, web=f"{{port: {taken}}}"):
        assert other.server.port is None


def test_thumbnails_of_a_real_clip(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "a.mp4", duration=2.0, size=(640, 360))
    dest = tmp_path / "1-source.jpg"
    make_thumb(find_ffmpeg(None), clip, dest)
    info = probe(dest)
    assert (info.width, info.height) == (320, 180)
    assert dest.read_bytes()[:2] == b"\xff\xd8"
    assert not list(tmp_path.glob("*.part.jpg"))


def test_the_server_makes_both_pictures_when_a_job_is_done(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    ledger = Ledger.in_state_dir(config.state_dir)
    events = EventBus()
    server = WebServer(
        lambda: config,
        ledger,
        lambda: find_ffmpeg(None),
        events,
        requeued=lambda _id: None,
        credits=None,
        env={},
    )
    try:
        source = make_clip(tmp_path / "in.mp4", duration=1.0)
        output = make_clip(tmp_path / "out.mp4", duration=1.0, size=(640, 480))
        rule = config.rules[0]
        when = datetime.now(UTC)
        events.publish(JobEvent(EventKind.DONE, 5, rule, "local", (source,), when, output, 10))
        deadline = time.monotonic() + 30
        wanted = [server.thumbs_dir / "5-source.jpg", server.thumbs_dir / "5-output.jpg"]
        while not all(p.exists() for p in wanted):
            assert time.monotonic() < deadline, "the pictures were never made"
            time.sleep(0.05)
        assert probe(wanted[1]).height == 240
    finally:
        server.stop()
        ledger.close()
