"""sd_notify over a fake NOTIFY_SOCKET: READY, STATUS, WATCHDOG, and no pings when stuck."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.sdnotify import Heartbeat, SdNotify, socket_address, status_text, watchdog_seconds


class FakeSystemd:
    """A datagram socket like the one systemd passes in $NOTIFY_SOCKET."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.setblocking(False)

    def messages(self) -> list[str]:
        out = []
        while True:
            try:
                out.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return out


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[FakeSystemd]:
    s = FakeSystemd(tmp_path / "notify.sock")
    yield s
    s.sock.close()


def test_ready_status_and_ping(systemd: FakeSystemd) -> None:
    n = SdNotify({"NOTIFY_SOCKET": str(systemd.path)})
    n.ready("0 running, 0 queued, 0 done today")
    n.status("1 running, 0 queued, 0 done today")
    n.status("1 running, 0 queued, 0 done today")  # unchanged: not sent again
    n.ping()
    n.stopping()
    n.close()
    assert systemd.messages() == [
        "READY=1\nSTATUS=0 running, 0 queued, 0 done today",
        "STATUS=1 running, 0 queued, 0 done today",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_without_notify_socket_nothing_is_sent() -> None:
    n = SdNotify({})
    assert not n.active
    assert n.send("READY=1") is False


def test_a_vanished_socket_is_logged_not_raised(tmp_path: Path) -> None:
    n = SdNotify({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert n.send("READY=1") is False
    assert not n.active
    n.close()


@pytest.mark.parametrize(
    ("value", "address"),
    [("/run/user/1000/systemd/notify", "/run/user/1000/systemd/notify"), ("@abc", "\0abc"),
     ("vsock:2:1", None)],
)  # fmt: skip
def test_socket_address(value: str, address: str | None) -> None:
    assert socket_address(value) == address


@pytest.mark.parametrize(
    ("env", "seconds"),
    [
        ({"WATCHDOG_USEC": "120000000"}, 120.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "55"}, 2.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "56"}, None),  # another process's
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_seconds(env: dict[str, str], seconds: float | None) -> None:
    assert watchdog_seconds(env, 55) == seconds


def test_status_text() -> None:
    assert status_text(2, 5, 118) == "2 running, 5 queued, 118 done today"


def test_heartbeat_pings_only_while_the_tick_runs(systemd: FakeSystemd) -> None:
    now = [100.0]
    last_tick = [100.0]
    n = SdNotify({"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "4000000"})
    beat = Heartbeat(n, lambda: last_tick[0], lambda: (2, 5, 118), lambda: now[0])
    assert beat.interval == 2.0
    assert beat.beat() is True
    now[0] = 101.5
    last_tick[0] = 101.4
    assert beat.beat() is True
    now[0] = 110.0  # the tick has not run for 8.6 s: the daemon is stuck
    assert beat.beat() is False
    n.close()
    assert systemd.messages() == [
        "STATUS=2 running, 5 queued, 118 done today",
        "WATCHDOG=1",
        "WATCHDOG=1",
    ]


def test_heartbeat_keeps_pinging_when_counting_fails(systemd: FakeSystemd) -> None:
    def broken() -> tuple[int, int, int]:
        raise RuntimeError("database is locked")

    n = SdNotify({"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "4000000"})
    assert Heartbeat(n, lambda: 0.0, broken, lambda: 0.0).beat() is True
    n.close()
    assert systemd.messages() == ["WATCHDOG=1"]
