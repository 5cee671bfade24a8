"""The `on_done:` hook: a command run after each delivered video of a rule.

The hook is an argv template, never a shell string: each argument is formatted with the
output-name fields plus {output} and {source}, so a file name with spaces or quotes stays
one argument. It runs on its own thread with a timeout; its exit status and last stderr
line are logged, and its failure never fails the job (the video is already delivered).
"""

from __future__ import annotations

import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loguru import logger

from daemon.events import EventKind, JobEvent
from daemon.rules import NameFields

# A hook that uploads a large video over a slow line may take a while, but not forever.
HOOK_TIMEOUT = 30 * 60.0


def hook_argv(template: tuple[str, ...], fields: NameFields, output: Path) -> tuple[str, ...]:
    """The hook's argv for one delivered video (pure)."""
    values = {**fields.as_dict(), "output": str(output), "source": str(fields.source)}
    return tuple(arg.format(**values) for arg in template)


def last_line(text: bytes) -> str:
    lines = text.decode(errors="replace").strip().splitlines()
    return lines[-1].strip() if lines else ""


def run_hook(argv: tuple[str, ...], job_id: int, timeout: float) -> int | None:
    """Run one hook; log how it ended. Return its exit status (None if it did not finish)."""
    log = logger.bind(job=job_id)
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        tail = last_line(exc.stderr or b"")
        log.warning(
            "on_done hook {} timed out after {:g} s{}",
            argv[0],
            timeout,
            f": {tail}" if tail else "",
        )
        return None
    except OSError as exc:
        log.warning("on_done hook {} could not start: {}", argv[0], exc.strerror or exc)
        return None
    tail = last_line(done.stderr)
    if done.returncode == 0:
        log.info("on_done hook {} finished{}", argv[0], f": {tail}" if tail else "")
    else:
        log.warning(
            "on_done hook {} failed (exit status {}){}",
            argv[0],
            done.returncode,
            f": {tail}" if tail else "",
        )
    return done.returncode


class HookRunner:
    """An event listener that runs a rule's on_done hook after each delivered video,
    one at a time, off the job's thread."""

    def __init__(self, timeout: float = HOOK_TIMEOUT) -> None:
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="videofree-hook")
        self._lock = threading.Lock()
        self._closed = False

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
            if not self._closed:
                self._pool.submit(run_hook, argv, event.job_id, self.timeout)

    def close(self) -> None:
        """Wait for a running hook; hooks not started yet are dropped."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
