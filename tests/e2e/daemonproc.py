"""Start and stop the real `videofree run` process on temporary folders.

The one harness for the e2e tests and the bench scripts (bench/common.py imports it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TIMEOUT = 60.0
RUNNING_LINE = "videofree running"


class HarnessError(AssertionError):
    """The daemon exited, or what we waited for did not happen in time."""


def child_env(**extra: str) -> dict[str, str]:
    """The environment for daemon/CLI children: plain logs (no journald), never a real
    NemoVideo token from the developer's shell."""
    env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NEMO_TOKEN")}
    env.update(extra)
    return env


def write_config(root: Path, **overrides: Any) -> Path:
    """A rules.yaml for tests: inbox, out and state under `root`, settle 1 s, fast x264."""
    (root / "inbox").mkdir(exist_ok=True)
    config: dict[str, Any] = {
        "watch": [str(root / "inbox")],
        "state_dir": str(root / "state"),
        "settle_seconds": 1,
        "rescan_seconds": 5,
        "local": {"preset": "superfast"},
        "rules": [{"name": "clips", "glob": ["*.mp4", "*.mov"], "output": str(root / "out")}],
        # Parallel daemons must not fight over port 8765; test_web_browser turns it on.
        "web": False,
    }
    config.update(overrides)
    path = root / "rules.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class DaemonProcess:
    """`python -m daemon run --config …` as a child process, its log in a file."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.log_path = config.parent / f"daemon-{time.monotonic_ns()}.log"
        self.env = child_env(**(env or {}))
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._log: Any = None

    def start(self) -> DaemonProcess:
        self._log = self.log_path.open("wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "run", "--config", str(self.config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.config.parent,
            env=self.env,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, text: str, timeout: float = DEFAULT_TIMEOUT, poll: float = 0.1) -> None:
        wait_for(lambda: text in self.log, timeout, f"log line {text!r}", self, poll)

    def wait_running(self, timeout: float = DEFAULT_TIMEOUT, poll: float = 0.1) -> float:
        """Wait for the start-up line; return seconds since start()."""
        self.wait_log(RUNNING_LINE, timeout, poll)
        return time.monotonic() - self.started_at

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal the daemon and wait; SIGKILL it if it does not end in `timeout`.
        Return its exit code."""
        assert self.proc is not None
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.stop()


def wait_for(
    cond: Callable[[], Any],
    timeout: float,
    what: str,
    daemon: DaemonProcess | None = None,
    poll: float = 0.1,
) -> Any:
    """Poll `cond` until it returns something true; return that. Raise HarnessError when
    the daemon exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if daemon is not None and not daemon.running():
            raise HarnessError(f"daemon exited while waiting for {what}:\n{daemon.log[-3000:]}")
        if time.monotonic() > deadline:
            log = daemon.log[-3000:] if daemon else ""
            raise HarnessError(f"timed out after {timeout:.0f} s waiting for {what}\n{log}")
        time.sleep(poll)


def cli(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def status(config: Path) -> list[dict[str, Any]]:
    """`videofree status --json`, parsed."""
    result: list[dict[str, Any]] = json.loads(
        cli(config, "status", "--json", "--limit", "0").stdout
    )
    return result


def jobs_in(config: Path, *states: str) -> list[dict[str, Any]]:
    return [j for j in status(config) if not states or j["state"] in states]


def ffmpeg_writing(marker: str) -> list[int]:
    """Pids of processes whose command line contains `marker` (e.g. a scratch name)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmd and "ffmpeg" in cmd:
                pids.append(int(entry.name))
    return pids


def terminate_quietly(daemon: DaemonProcess) -> None:
    if daemon.proc is not None and daemon.proc.poll() is None:
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=10)


def start(daemons: list[DaemonProcess], config: Path) -> DaemonProcess:
    """Start a daemon, register it for clean-up, and wait until it is running."""
    d = DaemonProcess(config).start()
    daemons.append(d)
    d.wait_running(timeout=30)
    return d


def drop(src: Path, inbox: Path, name: str) -> Path:
    """Copy like a phone sync tool does: write a temporary name, then rename."""
    tmp = inbox / f".{name}.part"
    shutil.copyfile(src, tmp)
    target = inbox / name
    tmp.rename(target)
    return target
