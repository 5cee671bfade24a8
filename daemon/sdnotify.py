"""Tell systemd how the daemon is doing: sd_notify over $NOTIFY_SOCKET, standard library only.

    READY=1      once the watchers are up and the start-up scan is queued (Type=notify)
    STATUS=…     "2 running, 5 queued, 118 done today", kept current by the main loop
    WATCHDOG=1   from the main loop, only while the watcher tick keeps running, so a hung
                 daemon stops pinging and systemd (WatchdogSec=) restarts it
    STOPPING=1   when shutdown begins

Without $NOTIFY_SOCKET (run from a terminal) every call does nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from loguru import logger

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV = "WATCHDOG_USEC"
WATCHDOG_PID_ENV = "WATCHDOG_PID"
# Without a watchdog the main loop still refreshes STATUS= this often.
STATUS_EVERY = 5.0


def socket_address(value: str) -> str | None:
    """$NOTIFY_SOCKET as a socket address: a path, or '@name' for the abstract namespace."""
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # vsock and other forms are not used for user services


def watchdog_seconds(env: Mapping[str, str], pid: int) -> float | None:
    """The watchdog period systemd asked for (WatchdogSec=), or None when there is none."""
    usec = env.get(WATCHDOG_USEC_ENV, "")
    owner = env.get(WATCHDOG_PID_ENV)
    if not usec.isdigit() or int(usec) == 0:
        return None
    if owner is not None and owner != str(pid):
        return None  # meant for another process (we were started by it)
    return int(usec) / 1e6


def status_text(running: int, queued: int, done_today: int) -> str:
    return f"{running} running, {queued} queued, {done_today} done today"


class SdNotify:
    """Sends sd_notify datagrams; silent (no errors) when not under systemd."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        raw = env.get(NOTIFY_SOCKET_ENV, "")
        self.address = socket_address(raw) if raw else None
        self.watchdog = watchdog_seconds(env, os.getpid())
        self._sock: socket.socket | None = None
        self._last_status: str | None = None

    @property
    def active(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """Send `KEY=value` lines in one datagram. Return False (logged once) on failure."""
        if self.address is None:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.sendto("\n".join(fields).encode(), self.address)
        except OSError as exc:
            logger.warning("cannot talk to systemd at {}: {}", self.address.lstrip("\0"), exc)
            self.address = None  # systemd went away; do not fill the log with this
            return False
        return True

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")
        self._last_status = status

    def status(self, text: str) -> None:
        if text != self._last_status:
            self._last_status = text
            self.send(f"STATUS={text}")

    def ping(self) -> None:
        self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


@dataclass
class Heartbeat:
    """What the daemon's main loop does each beat: STATUS=, and WATCHDOG=1 while healthy.

    Healthy means the watcher tick ran within `stale_after` seconds; a tick stuck on a hung
    share or a locked ledger then stops the pings and systemd restarts the daemon.
    """

    notify: SdNotify
    last_tick: Callable[[], float]
    counts: Callable[[], tuple[int, int, int]]
    clock: Callable[[], float]

    @property
    def interval(self) -> float:
        """How long the main loop waits between beats (half the watchdog, as sd_notify(3)
        recommends)."""
        if self.notify.watchdog is None:
            return STATUS_EVERY
        return min(STATUS_EVERY, self.notify.watchdog / 2)

    @property
    def stale_after(self) -> float:
        return self.notify.watchdog / 2 if self.notify.watchdog else 2 * STATUS_EVERY

    def healthy(self) -> bool:
        return self.clock() - self.last_tick() <= self.stale_after

    def beat(self) -> bool:
        """Update STATUS= and ping the watchdog if healthy. Return whether it pinged."""
        if not self.notify.active:
            return False
        try:
            self.notify.status(status_text(*self.counts()))
        except Exception:  # a status line is not worth stopping the pings for
            logger.exception("cannot count jobs for the systemd status")
        if self.notify.watchdog is None or not self.healthy():
            return False
        self.notify.ping()
        return True
