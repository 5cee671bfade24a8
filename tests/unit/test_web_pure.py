"""The status page's pure parts: the guard, paging, metrics text, picture commands."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from daemon.config import parse_config
from daemon.errors import ConfigError
from daemon.events import EventKind, JobEvent
from daemon.web import metrics, views
from daemon.web.security import Guard, is_loopback
from daemon.web.thumbs import Kind, seek_time, thumb_args, thumb_path, wanted

# Every interface: the bind a password is required for.
ANY = "0.0.0.0"  # noqa: S104 - the value under test
RULES = "rules:\n  - {name: clips, glob: '*.mp4', output: /tmp/vf-out}\n"


def basic(password: str, user: str = "me") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --- config ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_web", "enabled", "host", "port"),
    [
        ("", True, "127.0.0.1", 8765),
        ("web: off\n", False, "127.0.0.1", 8765),
        ("web: on\n", True, "127.0.0.1", 8765),
        ("web: {port: 9000}\n", True, "127.0.0.1", 9000),
        ("web: {host: 0.0.0.0, names: [nas.local]}\n", True, ANY, 8765),
    ],
)
def test_web_settings(yaml_web: str, enabled: bool, host: str, port: int) -> None:
    web = parse_config(yaml_web + RULES, Path("rules.yaml")).web
    assert (web.enabled, web.host, web.port) == (enabled, host, port)


def test_a_typo_under_web_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"web\.prot"):
        parse_config("web: {prot: 80}\n" + RULES, Path("rules.yaml"))


# --- the guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        (ANY, False),
        ("192.168.1.5", False),
        ("nas.local", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_public_bind_without_a_password_is_refused() -> None:
    with pytest.raises(ConfigError, match="VIDEOFREE_WEB_PASSWORD"):
        Guard.build(ANY, (), None)
    with pytest.raises(ConfigError, match="SSH tunnel"):
        Guard.build("192.168.1.5", (), "")


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("LOCALHOST", True),
        ("[::1]:8765", True),
        ("nas.local:8765", True),
        ("evil.example:8765", False),
        ("127.0.0.1.evil.example", False),
        ("192.168.1.5:8765", True),  # an address typed by the user: no name to rebind
        ("[fe80::1]:8765", True),
        ("", False),
        (None, False),
    ],
)
def test_host_header_must_name_this_server(header: str | None, ok: bool) -> None:
    guard = Guard.build("127.0.0.1", ("nas.local",), None)
    assert guard.host_ok(header) is ok


def test_a_wildcard_bind_accepts_no_extra_name() -> None:
    guard = Guard.build(ANY, (), "pw")
    assert guard.host_ok("127.0.0.1:8765")
    assert not guard.host_ok("nas.local:8765")  # names must be listed in web.names


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        (None, True),
        ("http://127.0.0.1:8765", True),
        ("http://127.0.0.1:9999", False),
        ("https://evil.example", False),
        ("null", False),
    ],
)
def test_origin_must_be_the_page_itself(origin: str | None, ok: bool) -> None:
    guard = Guard.build("127.0.0.1", (), None)
    assert guard.origin_ok(origin, "127.0.0.1:8765") is ok


def test_csrf_token() -> None:
    guard = Guard.build("127.0.0.1", (), None, token="right")
    assert guard.csrf_ok("right")
    assert not guard.csrf_ok("wrong")
    assert not guard.csrf_ok(None)
    assert (
        Guard.build("127.0.0.1", (), None).csrf_token
        != Guard.build("127.0.0.1", (), None).csrf_token
    )


def test_password_is_compared_hashed_and_any_user_name_works() -> None:
    guard = Guard.build(ANY, (), "s3cret")
    assert guard.password_hash is not None
    assert b"s3cret" not in guard.password_hash
    assert guard.authorized(basic("s3cret"))
    assert guard.authorized(basic("s3cret", user="other"))
    assert not guard.authorized(basic("wrong"))
    assert not guard.authorized(None)
    assert not guard.authorized("Basic !!notbase64")
    assert not guard.authorized("Bearer s3cret")
    assert Guard.build("127.0.0.1", (), None).authorized(None)


# --- paging ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "size", "total", "expected"),
    [
        (None, None, 0, (1, 50, 0)),
        ("3", "50", 120, (3, 50, 100)),
        ("9", "50", 120, (3, 50, 100)),  # past the end: the last page
        ("0", "50", 120, (1, 50, 0)),
        ("x", "-5", 120, (1, 50, 0)),
        ("2", "100000", 10_000, (2, 500, 500)),
    ],
)
def test_page_of(
    number: str | None, size: str | None, total: int, expected: tuple[int, int, int]
) -> None:
    page = views.page_of(number, size, total)
    assert (page.number, page.size, page.offset) == expected


def test_age_and_sizes() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert views.age(now - timedelta(seconds=12), now) == "12 s"
    assert views.age(now - timedelta(minutes=5, seconds=3), now) == "5 min"
    assert views.age(now - timedelta(days=2, hours=1), now) == "2 d"
    assert views.human_size(16_400_000) == "16.4 MB"
    assert views.human_size(512) == "512 B"
    assert views.human_duration(79.4) == "1:19"


# --- metrics ---------------------------------------------------------------------------


def test_metrics_text_parses_with_the_prometheus_parser() -> None:
    counters = metrics.Counters(bytes_in=1000, bytes_out=2000, events={"done": 2, "failed": 1})
    counters.render_seconds.observe(4.0)
    counters.render_seconds.observe(70.0)
    snap = metrics.Snapshot({"queued": 3, "running": 1, "done": 2, "failed": 1}, counters, 42.5)
    families = {f.name: f for f in text_string_to_metric_families(metrics.render(snap))}
    jobs = {s.labels["state"]: s.value for s in families["videofree_jobs"].samples}
    assert jobs == {"queued": 3, "running": 1, "done": 2, "failed": 1}
    assert families["videofree_queue_length"].samples[0].value == 3
    assert families["videofree_render_seconds"].type == "histogram"
    buckets = {
        s.labels["le"]: s.value
        for s in families["videofree_render_seconds"].samples
        if s.name.endswith("_bucket")
    }
    assert buckets["5"] == 1
    assert buckets["60"] == 1
    assert buckets["120"] == 2
    assert buckets["+Inf"] == 2
    assert families["videofree_bytes_in"].samples[0].value == 1000
    assert families["videofree_bytes_out"].samples[0].value == 2000
    assert families["videofree_nemo_credits"].samples[0].value == 42.5


def test_no_credits_line_without_nemo() -> None:
    snap = metrics.Snapshot({}, metrics.Counters(), None)
    assert "nemo" not in metrics.render(snap)


def _event(kind: EventKind, output: Path | None = None, size: int | None = None) -> JobEvent:
    rule = parse_config(RULES, Path("rules.yaml")).rules[0]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return JobEvent(kind, 7, rule, "local", (Path("/in/a.mp4"),), when, output, size)


def test_listener_counts_done_jobs() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    listener = metrics.MetricsListener(
        lambda _id: (start, start + timedelta(seconds=20)), lambda paths: 100 * len(paths)
    )
    listener(_event(EventKind.DONE, Path("/out/a.mp4"), 300))
    listener(_event(EventKind.FAILED))
    c = listener.counters()
    assert (c.bytes_in, c.bytes_out) == (100, 300)
    assert c.events == {"done": 1, "failed": 1}
    assert c.render_seconds.total == 20.0


def test_credits_are_asked_for_at_most_every_ten_minutes() -> None:
    now = [0.0]
    calls: list[float] = []

    def fetch() -> float:
        calls.append(now[0])
        return 5.0

    cache = metrics.CreditsCache(fetch, clock=lambda: now[0])
    assert cache.get() == 5.0
    now[0] = 599.0
    assert cache.get() == 5.0
    now[0] = 600.0
    cache.get()
    assert calls == [0.0, 600.0]
    assert metrics.CreditsCache(None).get() is None


def test_credits_failure_reads_as_unknown() -> None:
    def fetch() -> float:
        raise RuntimeError("offline")

    assert metrics.CreditsCache(fetch).get() is None


# --- pictures --------------------------------------------------------------------------


def test_thumb_command_seeks_once_and_takes_one_frame() -> None:
    argv = thumb_args("ffmpeg", Path("/in/a.mov"), Path("/s/thumbs/1-source.jpg"), 2.5)
    assert argv[argv.index("-ss") + 1] == "2.500"
    assert argv.index("-ss") < argv.index("-i")  # input seek: jumps, does not decode
    assert argv[argv.index("-frames:v") + 1] == "1"
    assert argv[-1] == "/s/thumbs/1-source.jpg"


@pytest.mark.parametrize(("duration", "at"), [(0.0, 0.0), (2.0, 0.5), (60.0, 5.0)])
def test_seek_time(duration: float, at: float) -> None:
    assert seek_time(duration) == at


def test_pictures_wanted_per_event() -> None:
    assert [k for k, _ in wanted(_event(EventKind.DONE, Path("/o.mp4")))] == [
        Kind.SOURCE,
        Kind.OUTPUT,
    ]
    assert [k for k, _ in wanted(_event(EventKind.FAILED))] == [Kind.SOURCE]
    assert wanted(_event(EventKind.PAUSED)) == []


def test_thumb_path_is_built_from_the_id_only() -> None:
    assert thumb_path(Path("/s"), 12, Kind.OUTPUT) == Path("/s/12-output.jpg")
