"""Notifications against a real loopback HTTP server: ntfy, webhook + HMAC, bursts, a
target that is down."""

from __future__ import annotations

import hashlib
import hmac
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from loguru import logger

from daemon.config import Config, parse_config
from daemon.events import EventBus, EventKind, JobEvent
from daemon.notify import SIGNATURE_HEADER, DesktopTarget, Notifier, NotifyError, compose
from tests.e2e.daemonproc import wait_for as wait_until
from tests.fakes.notify_server import NotifyServer

pytestmark = pytest.mark.integration

SECRET = "webhook-secret-42"


@pytest.fixture
def server() -> Iterator[NotifyServer]:
    s = NotifyServer()
    yield s
    s.close()


def make_config(tmp_path: Path, server: NotifyServer, batch: float = 0.2) -> Config:
    text = f"""
watch: [{tmp_path / "inbox"}]
state_dir: {tmp_path / "state"}
notify:
  ntfy: {server.url}/phone
  webhook: {server.url}/hook
  batch: {batch}
rules:
  - name: clips
    glob: "*.mp4"
    output: {tmp_path / "out"}
  - name: quiet
    glob: "*.mov"
    output: {tmp_path / "out"}
    notify: {{}}
"""
    return parse_config(text, tmp_path / "rules.yaml")


def event(config: Config, kind: EventKind, n: int = 1, rule: str = "clips") -> JobEvent:
    r = config.rule_named(rule)
    assert r is not None
    return JobEvent(
        kind,
        n,
        r,
        "local",
        (Path(f"/inbox/IMG_{n:04d}.mp4"),),
        datetime(2026, 5, 1, tzinfo=UTC),
        output=Path(f"/out/IMG_{n:04d}-edited.mp4") if kind is EventKind.DONE else None,
        size=2_500_000 if kind is EventKind.DONE else None,
        error="not a video: moov atom not found" if kind is EventKind.FAILED else None,
    )


def wait_for(cond: object, what: str) -> None:
    wait_until(cond, 30, what)  # type: ignore[arg-type]


def notifier(config: Config, **kw: object) -> Notifier:
    return Notifier(lambda: config, env={"VIDEOFREE_WEBHOOK_SECRET": SECRET}, **kw)  # type: ignore[arg-type]


def test_done_reaches_ntfy_and_a_signed_webhook(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server)
    n = notifier(config)
    bus = EventBus()
    bus.subscribe(n)
    bus.publish(event(config, EventKind.DONE, 42))
    [ntfy] = server.wait("/", 1)
    [hook] = server.wait("/hook", 1)
    n.close()
    body = ntfy.json()
    assert body["topic"] == "phone"
    assert body["title"] == "Done: IMG_0042.mp4"
    assert body["message"] == "/out/IMG_0042-edited.mp4 (2.5 MB)"
    assert body["priority"] == 3 and body["tags"] == ["white_check_mark"]
    data = hook.json()
    assert data["event"] == "done" and data["job"] == 42 and data["rule"] == "clips"
    assert data["output"] == "/out/IMG_0042-edited.mp4" and data["size"] == 2_500_000
    expected = "sha256=" + hmac.new(SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers[SIGNATURE_HEADER.lower()] == expected
    assert len(server.received) == 2


def test_failed_says_why(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server)
    n = notifier(config)
    n(event(config, EventKind.FAILED, 7))
    [ntfy] = server.wait("/", 1)
    [hook] = server.wait("/hook", 1)
    n.close()
    assert ntfy.json()["title"] == "Failed: IMG_0007.mp4"
    assert ntfy.json()["message"] == "not a video: moov atom not found"
    assert ntfy.json()["priority"] == 4
    assert hook.json()["error"] == "not a video: moov atom not found"


def test_a_burst_becomes_one_summary(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server, batch=1.0)
    n = notifier(config)
    for i in range(48):
        n(event(config, EventKind.DONE, i))
    n(event(config, EventKind.FAILED, 100))
    n(event(config, EventKind.FAILED, 101))
    [ntfy] = server.wait("/", 1)
    [hook] = server.wait("/hook", 1)
    n.close()
    assert len(server.received) == 2
    assert ntfy.json()["title"] == "videofree: 50 events (48 done, 2 failed)"
    assert "and 43 more" in ntfy.json()["message"]
    assert "IMG_0100.mp4: not a video" in ntfy.json()["message"]
    data = hook.json()
    assert data["event"] == "summary" and len(data["events"]) == 50


def test_a_rule_can_turn_notifications_off(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server)
    n = notifier(config)
    n(event(config, EventKind.DONE, 1, rule="quiet"))
    n(event(config, EventKind.DONE, 2))
    server.wait("/hook", 1)
    n.close()
    assert [r.json()["job"] for r in server.at("/hook")] == [2]


def test_a_down_target_is_retried_then_logged_and_others_still_get_it(
    tmp_path: Path, server: NotifyServer
) -> None:
    config = make_config(tmp_path, server)
    server.down.add("/hook")
    lines: list[str] = []
    sink = logger.add(lines.append, level="WARNING", format="{message}")
    try:
        n = notifier(config, retry_delays=(0.01, 0.01))
        n(event(config, EventKind.DONE, 3))
        server.wait("/", 1)
        wait_for(lambda: lines, "the warning")
        n.close()
    finally:
        logger.remove(sink)
    assert server.refused == 3  # the first try and two retries
    assert lines == [
        f"webhook notification not sent (Done: IMG_0003.mp4): HTTP 503 from {server.url}/hook\n"
    ]


def test_close_sends_what_is_still_batched(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server, batch=3600)
    n = notifier(config)
    for i in range(20):
        n(event(config, EventKind.DONE, i))
    n.close()  # at once: events still on the queue go out in the same summary
    [hook] = server.at("/hook")
    assert [e["job"] for e in hook.json()["events"]] == list(range(20))


def test_apprise_urls_reach_the_loopback_server(tmp_path: Path, server: NotifyServer) -> None:
    pytest.importorskip("apprise", reason="the optional extra: pip install 'videofree[apprise]'")
    port = server.url.rsplit(":", 1)[1]
    config = parse_config(
        f"""
watch: [{tmp_path / "inbox"}]
state_dir: {tmp_path / "state"}
notify: {{apprise: ["json://127.0.0.1:{port}/apprise"], batch: 0.1}}
rules: [{{name: clips, glob: "*.mp4", output: {tmp_path / "out"}}}]
""",
        tmp_path / "rules.yaml",
    )
    n = notifier(config)
    n(event(config, EventKind.FAILED, 9))
    [got] = server.wait("/apprise", 1)
    n.close()
    assert got.json()["title"] == "Failed: IMG_0009.mp4"
    assert got.json()["message"] == "not a video: moov atom not found"


def fake_notify_send(tmp_path: Path, exit_code: int = 0) -> Path:
    script = tmp_path / "notify-send"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(tmp_path / 'shown.txt')!r}, 'a').write(repr(sys.argv[1:]) + '\\n')\n"
        f"print('no notification daemon', file=sys.stderr)\nsys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return script


def test_desktop_notification_through_notify_send(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server, batch=0)
    script = fake_notify_send(tmp_path)
    target = DesktopTarget({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1/bus"},
                           tools={"notify-send": str(script)}.get)  # fmt: skip
    target.send(compose([event(config, EventKind.DONE, 1)]))
    shown = (tmp_path / "shown.txt").read_text()
    assert "'Done: IMG_0001.mp4', '/out/IMG_0001-edited.mp4 (2.5 MB)'" in shown


def test_desktop_without_a_session_bus_is_silently_skipped(
    tmp_path: Path, server: NotifyServer
) -> None:
    config = make_config(tmp_path, server, batch=0)
    script = fake_notify_send(tmp_path)
    DesktopTarget({}, tools={"notify-send": str(script)}.get).send(
        compose([event(config, EventKind.DONE, 1)])
    )
    assert not (tmp_path / "shown.txt").exists()


def test_desktop_failure_says_why(tmp_path: Path, server: NotifyServer) -> None:
    config = make_config(tmp_path, server, batch=0)
    script = fake_notify_send(tmp_path, exit_code=1)
    target = DesktopTarget(
        {"DBUS_SESSION_BUS_ADDRESS": "x"}, tools={"notify-send": str(script)}.get
    )
    with pytest.raises(NotifyError, match="no notification daemon"):
        target.send(compose([event(config, EventKind.DONE, 1)]))
