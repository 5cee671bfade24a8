"""Serve the page from the daemon: uvicorn on its own thread, beside the scheduler.

A page that cannot start (port taken, no password for a public bind) is logged and the
daemon goes on without it: editing videos matters more than showing them.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import uvicorn
from loguru import logger

from daemon.config import WEB_PASSWORD_ENV, Config
from daemon.engines.registry import Engines
from daemon.errors import ConfigError
from daemon.events import EventBus
from daemon.ledger import LedgerBackend
from daemon.web import metrics
from daemon.web.app import WebContext, create_app
from daemon.web.joblog import JobLog
from daemon.web.security import Guard, is_loopback
from daemon.web.thumbs import THUMBS_DIR, Thumbnailer, prune

# uvicorn stops accepting at once; requests in flight get this long.
_STOP_GRACE = 3


def _size_of(paths: Sequence[object]) -> int:
    total = 0
    for p in paths:
        try:
            total += os.stat(str(p)).st_size
        except OSError:
            continue
    return total


class WebServer:
    """The status page and its listeners (pictures, metrics, job log lines)."""

    def __init__(
        self,
        config: Callable[[], Config],
        ledger: LedgerBackend,
        ffmpeg: Callable[[], str],
        events: EventBus,
        *,
        requeued: Callable[[int], None],
        credits: Callable[[], float] | None,
        env: dict[str, str] | None = None,
    ) -> None:
        self._config = config
        self._env = dict(os.environ) if env is None else env
        settings = config().web
        self.settings = settings
        self.thumbs_dir = Path(config().state_dir) / THUMBS_DIR
        self.thumbnailer = Thumbnailer(self.thumbs_dir, ffmpeg)
        self.counters = metrics.MetricsListener(self._render_time(ledger), _size_of)
        self.joblog = JobLog()
        self._ledger = ledger
        self._ffmpeg = ffmpeg
        self._requeued = requeued
        self._credits = metrics.CreditsCache(credits)
        events.subscribe(self.thumbnailer)
        events.subscribe(self.counters)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @staticmethod
    def _render_time(
        ledger: LedgerBackend,
    ) -> Callable[[int], tuple[datetime | None, datetime | None]]:
        def times(job_id: int) -> tuple[datetime | None, datetime | None]:
            job = ledger.get(job_id)
            return (job.started_at, job.finished_at) if job else (None, None)

        return times

    def start(self) -> None:
        """Bind and serve; on failure log why and carry on without the page."""
        s = self.settings
        try:
            guard = Guard.build(s.host, s.names, self._env.get(WEB_PASSWORD_ENV) or None)
        except ConfigError as exc:
            logger.error("status page not started: {}", exc)
            return
        try:
            sock = _bind(s.host, s.port)
        except OSError as exc:
            # Most often a second `videofree run` beside the service: say what to do.
            hint = (
                ": is another videofree running? Otherwise set web: {port: …} or web: off"
                if exc.errno == errno.EADDRINUSE
                else ""
            )
            logger.error(
                "status page not started: cannot listen on {}:{} ({}){}",
                s.host,
                s.port,
                exc.strerror,
                hint,
            )
            return
        self.port = sock.getsockname()[1]
        prune(self.thumbs_dir, (j.id for j in self._ledger.jobs()))
        ctx = WebContext(
            ledger=self._ledger,
            config=self._config,
            ffmpeg=self._ffmpeg,
            thumbs=self.thumbs_dir,
            joblog=self.joblog,
            counters=self.counters,
            credits=self._credits,
            guard=guard,
            requeued=self._requeued,
        )
        uv = uvicorn.Config(
            create_app(ctx),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=_STOP_GRACE,
        )
        self._server = uvicorn.Server(uv)
        self.joblog.attach()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])),  # type: ignore[union-attr]
            name="videofree-web",
            daemon=True,
        )
        self._thread.start()
        host = f"[{s.host}]" if ":" in s.host else s.host
        if is_loopback(s.host):
            logger.info("status page: http://{}:{}/ (this machine only)", host, self.port)
        else:
            logger.warning(
                "status page: http://{}:{}/ is reachable from other machines; "
                "it asks for the password in {}",
                host,
                self.port,
                WEB_PASSWORD_ENV,
            )

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_STOP_GRACE + 2)
        self.joblog.detach()
        self.thumbnailer.close()


def nemo_credits(engines: Engines) -> float:
    """The NemoVideo balance, for rules that use it. Raise when the service cannot say."""
    from daemon.engines.nemo.engine import NemoEngine  # noqa: PLC0415 - httpx only if used

    engine = engines.get("nemo")
    if not isinstance(engine, NemoEngine):
        raise TypeError("not the NemoVideo engine")
    return float(engine.credits().available)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
