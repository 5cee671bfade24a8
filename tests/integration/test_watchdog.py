"""The real Daemon's main loop under a fake systemd: WATCHDOG=1 stops while the watcher
tick is blocked and comes back when it runs again."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from daemon.app import Daemon
from daemon.config import parse_config
from tests.e2e.daemonproc import wait_for

pytestmark = pytest.mark.integration


def drain(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except TimeoutError:
            return out


def test_a_blocked_tick_stops_the_watchdog_pings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(0.1)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # ping every 0.2 s; stale after 0.2 s
    (tmp_path / "inbox").mkdir()
    config = parse_config(
        f"watch: [{tmp_path / 'inbox'}]\nstate_dir: {tmp_path / 'state'}\n"
        f"rules: [{{name: clips, glob: '*.mp4', output: {tmp_path / 'out'}}}]\n",
        tmp_path / "rules.yaml",
    )
    daemon = Daemon(config)
    main = threading.Thread(target=daemon.run_forever, name="test-main-loop")
    main.start()
    try:
        got: list[str] = []
        wait_for(lambda: got.extend(drain(sock)) or got.count("WATCHDOG=1") >= 2, 30, "pings")
        assert got[0].startswith("READY=1\nSTATUS=")
        with daemon._tick_lock:  # the tick is stuck (a hung share, a locked ledger)
            wait_for(lambda: not daemon.heartbeat.healthy(), 30, "the tick to go stale")
            drain(sock)  # pings sent before it went stale
            # Several beats pass while the tick stays blocked: none of them may ping.
            stuck = [m for _ in range(10) for m in drain(sock)]
            assert "WATCHDOG=1" not in stuck
        wait_for(lambda: "WATCHDOG=1" in drain(sock), 30, "pings to resume")
    finally:
        daemon.stop_event.set()
        main.join(30)
        sock.close()
    assert not main.is_alive()
