"""Start and stop the real `videofree run` process on temporary folders."""

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
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> DaemonProcess:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "run", "--config", str(self.config)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_log(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        wait_for(lambda: text in self.log, timeout, f"log line {text!r}", self)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self._log.close()
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def wait_for(
    cond: Callable[[], Any], timeout: float, what: str, daemon: DaemonProcess | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        if daemon is not None and not daemon.running():
            raise AssertionError(f"daemon exited while waiting for {what}:\n{daemon.log}")
        time.sleep(0.1)
    log = daemon.log if daemon else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


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
    d.wait_log("videofree running", timeout=30)
    return d


def drop(src: Path, inbox: Path, name: str) -> Path:
    """Copy like a phone sync tool does: write a temporary name, then rename."""
    tmp = inbox / f".{name}.part"
    shutil.copyfile(src, tmp)
    target = inbox / name
    tmp.rename(target)
    return target
