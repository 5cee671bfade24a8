"""The pure parts of notifications and their config: compose, Batcher, request shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon.config import NotifySettings, parse_config
from daemon.errors import ConfigError
from daemon.events import EventKind, JobEvent, ignored_words, outcome_events
from daemon.notify import Batcher, compose, desktop_argv, ntfy_request, signature

WHEN = datetime(2026, 5, 1, tzinfo=UTC)
BASE = """
watch: [/tmp/vf-in]
rules:
  - name: clips
    glob: "*.mp4"
    output: /tmp/vf-out
"""


def rule():  # type: ignore[no-untyped-def]
    return parse_config(BASE, Path("/tmp/rules.yaml")).rules[0]


def ev(kind: EventKind, n: int = 1, **kw: object) -> JobEvent:
    return JobEvent(kind, n, rule(), "nemo", (Path(f"/in/{n}.mov"),), WHEN, **kw)  # type: ignore[arg-type]


def test_paused_message_carries_the_credit_link() -> None:
    m = compose([ev(EventKind.PAUSED, error="out of credits", link="https://nemovideo.com")])
    assert (m.title, m.body, m.click, m.priority) == (
        "nemo paused",
        "out of credits; more credits: https://nemovideo.com",
        "https://nemovideo.com",
        4,
    )


def test_not_understood_lists_the_words() -> None:
    m = compose([ev(EventKind.NOT_UNDERSTOOD, ignored=("make it sparkle", "vibes"))])
    assert m.title == "Some words not understood: 1.mov"
    assert m.body == 'ignored: "make it sparkle"; "vibes"'


def test_outcome_events_adds_not_understood_only_when_words_were_ignored() -> None:
    common = {"job_id": 1, "rule": rule(), "engine": "local", "sources": (Path("/a.mov"),),
              "when": WHEN, "output": Path("/o.mp4"), "size": 10}  # fmt: skip
    assert [e.kind for e in outcome_events(**common, notes=())] == [EventKind.DONE]  # type: ignore[arg-type]
    events = outcome_events(**common, notes=('ignored: "sparkle"', "made by local"))  # type: ignore[arg-type]
    assert [e.kind for e in events] == [EventKind.DONE, EventKind.NOT_UNDERSTOOD]
    assert events[1].ignored == ("sparkle",)


def test_ignored_words() -> None:
    assert ignored_words(['ignored: "a b"', "other", 'ignored: "c"']) == ("a b", "c")


def test_batcher_waits_for_quiet_then_hands_over_everything() -> None:
    s = NotifySettings(webhook="http://127.0.0.1:1/h", batch=5)
    b = Batcher(max_hold=60)
    b.add(s, ev(EventKind.DONE, 1), now=0)
    b.add(s, ev(EventKind.DONE, 2), now=4)
    assert b.next_deadline() == 9
    assert b.due(8.9) == []
    [(settings, events)] = b.due(9)
    assert settings == s and [e.job_id for e in events] == [1, 2]
    assert b.next_deadline() is None


def test_batcher_sends_a_long_stream_at_max_hold() -> None:
    s = NotifySettings(ntfy="http://127.0.0.1:1/t", batch=5)
    b = Batcher(max_hold=10)
    for t in range(0, 12, 2):
        b.add(s, ev(EventKind.DONE, t), now=t)
    assert b.next_deadline() == 10


def test_batcher_keeps_destinations_apart() -> None:
    a = NotifySettings(ntfy="http://127.0.0.1:1/a", batch=1)
    c = NotifySettings(ntfy="http://127.0.0.1:1/c", batch=1)
    b = Batcher()
    b.add(a, ev(EventKind.DONE, 1), now=0)
    b.add(c, ev(EventKind.DONE, 2), now=0)
    assert sorted(len(e) for _, e in b.due(0, flush=True)) == [1, 1]


def test_ntfy_request_publishes_json_to_the_server_root() -> None:
    root, body = ntfy_request(
        "https://ntfy.example/sub/phone-vids", compose([ev(EventKind.FAILED, error="bad")])
    )
    assert root == "https://ntfy.example/sub/"
    assert body == {"topic": "phone-vids", "title": "Failed: 1.mov", "message": "bad",
                    "tags": ["x"], "priority": 4}  # fmt: skip


def test_signature_is_hmac_sha256_of_the_body() -> None:
    # RFC 4231 test case 2.
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_desktop_uses_notify_send_else_gdbus_else_nothing() -> None:
    m = compose([ev(EventKind.DONE, output=Path('/o "x".mp4'))])
    argv = desktop_argv(m, {"notify-send": "/usr/bin/notify-send"}.get)
    assert argv is not None and argv[-2:] == ("Done: 1.mov", '/o "x".mp4')
    argv = desktop_argv(m, {"gdbus": "/usr/bin/gdbus"}.get)
    assert argv is not None and argv[0] == "/usr/bin/gdbus" and '"/o \\"x\\".mp4"' in argv
    assert desktop_argv(m, lambda _name: None) is None


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("    on_done: ['rsync', '{outptu}']", "unknown field 'outptu'"),
        ("    on_done: 'rsync {output} host:'", "expected a list of strings"),
        ("    notify: {ntfy: 'ntfy.sh/x'}", "expected an http(s) URL"),
        ("    notify: {email: a@b.c}", "unknown key"),
    ],
)
def test_config_errors_name_the_key(snippet: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(BASE + snippet + "\n", Path("/tmp/rules.yaml"))
    assert message in str(err.value)
    assert "rules[0]" in str(err.value) or "rules.yaml:" in str(err.value)


def test_rule_notify_replaces_the_global_one() -> None:
    text = BASE + "    notify: {desktop: true}\n" + "notify: {ntfy: 'https://ntfy.sh/me'}\n"
    config = parse_config(text, Path("/tmp/rules.yaml"))
    assert config.notify_for(config.rules[0]) == NotifySettings(desktop=True)
    assert config.notify.ntfy == "https://ntfy.sh/me"
    again = config.rules[0].model_validate_json(config.rules[0].model_dump_json())
    assert again == config.rules[0], "the rule snapshot in the ledger keeps notify and on_done"
