"""End to end: the real daemon tells the user — ntfy and a signed webhook on a loopback
server, systemd over a fake NOTIFY_SOCKET, journald priorities, the on_done hook."""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.daemonproc import DaemonProcess, drop, jobs_in, wait_for, write_config
from tests.fakes.notify_server import NotifyServer
from tests.mediagen import FFMPEG, make_clip

pytestmark = pytest.mark.e2e

SECRET = "e2e-webhook-secret"
BURST = 50


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("media") / "tiny.mp4", duration=0.5, size=(64, 48))


@pytest.fixture
def server() -> Iterator[NotifyServer]:
    s = NotifyServer()
    yield s
    s.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(0.1)
    yield sock
    sock.close()


def remux_with_comment(src: Path, dst: Path, comment: str) -> None:
    subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(src), "-c", "copy", "-metadata", f"comment={comment}",
         str(dst)],
        check=True,
    )  # fmt: skip


def datagrams(sock: socket.socket, into: list[str]) -> list[str]:
    while True:
        try:
            into.append(sock.recv(4096).decode())
        except TimeoutError:
            return into


def start_daemon(daemons: list[DaemonProcess], config: Path, env: dict[str, str]) -> DaemonProcess:
    d = DaemonProcess(config, env={"VIDEOFREE_WEBHOOK_SECRET": SECRET, **env})
    # Stderr is the "journal stream": JOURNAL_STREAM names the log file's device and inode.
    d.log_path.touch()
    st = d.log_path.stat()
    d.env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    d.start()
    daemons.append(d)
    d.wait_log("videofree running", timeout=30)
    return d


def notify_config(root: Path, server: NotifyServer, **extra: object) -> Path:
    rule: dict[str, object] = {"name": "clips", "glob": ["*.mp4"], "output": str(root / "out")}
    rule.update(extra)
    return write_config(
        root,
        notify={"ntfy": f"{server.url}/phone", "webhook": f"{server.url}/hook", "batch": 0.5},
        rules=[rule],
    )


def test_done_and_failed_notifications_systemd_and_journald(
    tmp_path: Path,
    daemons: list[DaemonProcess],
    server: NotifyServer,
    notify_socket: socket.socket,
    tiny_clip: Path,
) -> None:
    hook_log = tmp_path / "hook.log"
    on_done = [sys.executable, "-c",
               "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '|' + sys.argv[3] + '\\n')",
               str(hook_log), "{output}", "{stem}"]  # fmt: skip
    config = notify_config(tmp_path, server, on_done=on_done)
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "1000000"}
    d = start_daemon(daemons, config, env)
    got: list[str] = []
    wait_for(lambda: "WATCHDOG=1" in datagrams(notify_socket, got), 30, "a watchdog ping", d)
    assert got[0] == "READY=1\nSTATUS=0 running, 0 queued, 0 done today"

    drop(tiny_clip, tmp_path / "inbox", "good.mp4")
    [ntfy] = server.wait("/", 1, timeout=60)
    output = tmp_path / "out" / "good-edited.mp4"
    assert ntfy.json()["title"] == "Done: good.mp4"
    assert ntfy.json()["message"].startswith(f"{output} (")
    [hook] = server.wait("/hook", 1)
    assert hook.json()["event"] == "done" and hook.json()["output"] == str(output)
    assert hook.json()["size"] == output.stat().st_size
    signed = "sha256=" + hmac.new(SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["x-videofree-signature"] == signed
    wait_for(lambda: hook_log.exists() and hook_log.read_text(), 30, "the on_done hook", d)
    assert hook_log.read_text() == f"{output}|good\n"

    (tmp_path / "inbox" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
    server.wait("/", 2, timeout=60)
    failed = server.at("/")[1].json()
    assert failed["title"] == "Failed: broken.mp4"
    assert "not a readable video" in failed["message"]
    assert server.wait("/hook", 2)[1].json()["event"] == "failed"
    wait_for(lambda: any("1 done today" in m for m in datagrams(notify_socket, got)), 30,
             "status line", d)  # fmt: skip

    # journald priorities: `journalctl -p warning` would show the failure.
    [error_line] = [line for line in d.log.splitlines() if "failed:" in line]
    assert error_line.startswith("<3>ERROR")
    assert any(
        line.startswith("<6>INFO") and "queued good.mp4" in line for line in d.log.splitlines()
    )
    assert d.stop() == 0
    assert "STOPPING=1" in datagrams(notify_socket, got)
    assert len(server.at("/")) == 2, "one notification per video"


@pytest.mark.slow  # ~65 s for 50 renders on a busy 2-core machine; the fast variant is below
def test_many_clips_at_once_give_a_summary(
    tmp_path: Path, daemons: list[DaemonProcess], server: NotifyServer, tiny_clip: Path
) -> None:
    config = notify_config(tmp_path, server)
    # Batch window longer than the gap between two finished jobs on a busy 2-core machine.
    write_config(
        tmp_path,
        notify={"ntfy": f"{server.url}/phone", "webhook": f"{server.url}/hook", "batch": 20},
        rules=[{"name": "clips", "glob": ["*.mp4"], "output": str(tmp_path / "out")}],
        concurrency=2,
    )
    d = start_daemon(daemons, config, {})
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(BURST):  # different content each: the same bytes would be one job
        remux_with_comment(tiny_clip, staging / f"clip{i:02d}.mp4", f"clip {i}")
    started = time.monotonic()
    for i in range(BURST):  # one rename each: like a sync tool finishing a folder at once
        (staging / f"clip{i:02d}.mp4").rename(tmp_path / "inbox" / f"clip{i:02d}.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == BURST, 600, f"{BURST} jobs done", d)
    hooks = server.wait("/hook", 1, timeout=120)
    wait_for(
        lambda: sum(len(r.json()["events"]) if r.json()["event"] == "summary" else 1
                    for r in server.at("/hook")) >= BURST,
        120, "every event notified", d,
    )  # fmt: skip
    hooks = server.at("/hook")
    print(f"{BURST} clips: {time.monotonic() - started:.1f} s, {len(hooks)} webhook message(s)")
    assert len(hooks) <= 3, [r.json()["event"] for r in hooks]
    assert hooks[0].json()["event"] == "summary"
    assert len(server.at("/")) == len(hooks)
    assert "done" in server.at("/")[0].json()["title"]
    assert d.stop() == 0


def test_many_broken_files_at_once_give_a_summary(
    tmp_path: Path, daemons: list[DaemonProcess], server: NotifyServer
) -> None:
    # The fast variant of the burst: each job fails at the probe, so 50 take seconds.
    write_config(
        tmp_path,
        notify={"ntfy": f"{server.url}/phone", "webhook": f"{server.url}/hook", "batch": 3},
        rules=[{"name": "clips", "glob": ["*.mp4"], "output": str(tmp_path / "out")}],
    )
    config = tmp_path / "rules.yaml"
    d = start_daemon(daemons, config, {})
    staging = tmp_path / "staging"
    staging.mkdir()
    for i in range(BURST):
        (staging / f"bad{i:02d}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(512))
    for i in range(BURST):
        (staging / f"bad{i:02d}.mp4").rename(tmp_path / "inbox" / f"bad{i:02d}.mp4")
    wait_for(lambda: len(jobs_in(config, "failed")) == BURST, 120, f"{BURST} jobs failed", d)
    wait_for(
        lambda: sum(len(r.json()["events"]) if r.json()["event"] == "summary" else 1
                    for r in server.at("/hook")) >= BURST,
        60, "every event notified", d,
    )  # fmt: skip
    hooks = server.at("/hook")
    assert len(hooks) <= 3, [r.json()["event"] for r in hooks]
    assert hooks[0].json()["event"] == "summary"
    assert all(e["event"] == "failed" for e in hooks[0].json()["events"])
    [first, *_] = server.at("/")
    assert first.json()["title"].endswith("failed)")
    assert "not a readable video" in first.json()["message"]
    assert len(server.at("/")) == len(hooks)
    assert d.stop() == 0
