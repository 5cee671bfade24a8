"""The `on_done:` hook: a command run after each delivered video of a rule.

The hook is an argv template, never a shell string: each argument is formatted with the
output-name fields plus {output} and {source}, so a file name with spaces or quotes stays
one argument. It runs on its own thread with a timeout; its exit status and last stderr
line are logged, and its failure never fails the job (the video is already delivered).
"""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from loguru import logger

from daemon.events import EventKind, JobEvent
from daemon.rules import NameFields

# A hook that uploads a large video over a slow line may take a while, but not forever.
HOOK_TIMEOUT = 30 * 60.0
# At shutdown a running hook gets this long to finish (well inside the unit's
# TimeoutStopSec=30), then is stopped.
HOOK_STOP_GRACE = 10.0
_HOOK_KILL_GRACE = 3.0
_HOOK_POLL = 0.2


def hook_argv(template: tuple[str, ...], fields: NameFields, output: Path) -> tuple[str, ...]:
    """The hook's argv for one delivered video (pure)."""
    values = {**fields.as_dict(), "output": str(output), "source": str(fields.source)}
    return tuple(arg.format(**values) for arg in template)


def last_line(text: bytes) -> str:
    lines = text.decode(errors="replace").strip().splitlines()
    return lines[-1].strip() if lines else ""


def run_hook(
    argv: tuple[str, ...], job_id: int, timeout: float, stop: threading.Event | None = None
) -> int | None:
    """Run one hook; log how it ended. Return its exit status (None if it did not finish).

    When `stop` is set (the daemon is shutting down) the hook gets HOOK_STOP_GRACE seconds
    to finish, then is stopped: a 30-minute upload must not hold `systemctl stop`.
    """
    log = logger.bind(job=job_id)
    try:
        # stdout is not read (only stderr's last line is logged): DEVNULL, so a chatty
        # hook never blocks on a full pipe.
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
    except OSError as exc:
        log.warning("on_done hook {} could not start: {}", argv[0], exc.strerror or exc)
        return None
    why, err = _wait_hook(proc, timeout, stop or threading.Event())
    tail = last_line(err)
    said = f": {tail}" if tail else ""
    if why == "timeout":
        log.warning("on_done hook {} timed out after {:g} s{}", argv[0], timeout, said)
        return None
    if why == "shutdown":
        log.warning("on_done hook {} stopped by shutdown; it is not run again{}", argv[0], said)
        return None
    if proc.returncode == 0:
        log.info("on_done hook {} finished{}", argv[0], said)
    else:
        log.warning("on_done hook {} failed (exit status {}){}", argv[0], proc.returncode, said)
    return proc.returncode


def _wait_hook(
    proc: subprocess.Popen[bytes], timeout: float, stop: threading.Event
) -> tuple[str, bytes]:
    """Wait for the hook, reading its stderr meanwhile; stop it at its timeout or a
    shutdown's grace. Return what ended it ("exited", "timeout" or "shutdown") and its
    stderr. (communicate may be called again after its timeout without losing output.)"""
    deadline = time.monotonic() + timeout
    stop_at: float | None = None
    while True:
        try:
            return "exited", proc.communicate(timeout=_HOOK_POLL)[1]
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if stop.is_set() and stop_at is None:
            stop_at = now + HOOK_STOP_GRACE
        if now >= deadline or (stop_at is not None and now >= stop_at):
            proc.terminate()
            try:
                err = proc.communicate(timeout=_HOOK_KILL_GRACE)[1]
            except subprocess.TimeoutExpired:
                proc.kill()
                err = proc.communicate()[1]
            return ("timeout" if now >= deadline else "shutdown"), err


class HookRunner:
    """An event listener that runs a rule's on_done hook after each delivered video,
    one at a time, off the job's thread."""

    def __init__(self, timeout: float = HOOK_TIMEOUT) -> None:
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="videofree-hook")
        self._lock = threading.Lock()
        self._closed = False
        self._stop = threading.Event()
        # Hooks handed to the pool, by job, until they have run: a shutdown names the ones
        # that never started (their videos were delivered; only the hook is lost).
        self._queued: dict[Future[int | None], tuple[int, str]] = {}

    def __call__(self, event: JobEvent) -> None:
        template = event.rule.on_done
        if event.kind is not EventKind.DONE or not template or event.output is None:
            return
        fields = NameFields(
            source=event.source,
            rule=event.rule.name,
            engine=event.engine,
            job=event.job_id,
            when=event.when,
        )
        argv = hook_argv(template, fields, event.output)
        with self._lock:
            if self._closed:
                return
            future = self._pool.submit(run_hook, argv, event.job_id, self.timeout, self._stop)
            self._queued[future] = (event.job_id, argv[0])
        # Outside the lock: a hook already finished runs the callback here, at once, and
        # _forget takes the lock.
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[int | None]) -> None:
        if not future.cancelled():
            with self._lock:
                self._queued.pop(future, None)

    def close(self) -> None:
        """Give a running hook HOOK_STOP_GRACE seconds, then stop it; hooks not started
        yet are not run, and each is logged (the command is not: it may hold a secret)."""
        with self._lock:
            self._closed = True
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            dropped = [
                (job, name) for future, (job, name) in self._queued.items() if future.cancelled()
            ]
            self._queued.clear()
        for job, name in dropped:
            logger.bind(job=job).warning(
                "on_done hook {} not run: the daemon stopped before its turn", name
            )
