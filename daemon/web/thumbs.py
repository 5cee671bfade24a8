"""Before/after pictures: one small JPEG per job's source and output, made when it ends.

Cheap by design: one seek (before the input, so ffmpeg jumps to a key frame) and one
frame, scaled down. They live in `<state_dir>/thumbs/<job>-source.jpg` and
`<job>-output.jpg`; the page asks for them by job id and kind only, never by a path.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path

from loguru import logger

from daemon.errors import JobError
from daemon.events import EventKind, JobEvent
from daemon.media.probe import probe
from daemon.media.render import run_ffmpeg
from daemon.media.tools import quiet_args

THUMBS_DIR = "thumbs"
THUMB_WIDTH = 320
# A quarter in, at most 5 s: past a phone's first shaky frames, inside the shortest clip.
SEEK_FRACTION = 0.25
SEEK_MAX = 5.0
# One frame of a local file; anything slower than this is stuck.
THUMB_TIMEOUT = 30.0


class Kind(StrEnum):
    SOURCE = "source"
    OUTPUT = "output"


def thumb_path(folder: Path, job_id: int, kind: Kind) -> Path:
    return folder / f"{int(job_id)}-{kind}.jpg"


def seek_time(duration: float) -> float:
    return max(0.0, min(duration * SEEK_FRACTION, SEEK_MAX))


def thumb_args(ffmpeg: str, source: Path, dest: Path, at: float) -> tuple[str, ...]:
    """The ffmpeg command that writes one scaled JPEG of `source` at `at` seconds."""
    return (
        ffmpeg,
        *quiet_args(),
        "-ss",
        f"{at:.3f}",
        "-i",
        str(source),
        "-frames:v",
        "1",
        "-vf",
        f"scale={THUMB_WIDTH}:-2",
        "-q:v",
        "5",
        "-f",
        "image2",
        "-update",
        "1",
        "-y",
        str(dest),
    )


def wanted(event: JobEvent) -> list[tuple[Kind, Path]]:
    """Which pictures an event calls for: before and after when done, before when failed."""
    if event.kind is EventKind.DONE and event.output is not None:
        return [(Kind.SOURCE, event.source), (Kind.OUTPUT, event.output)]
    if event.kind is EventKind.FAILED:
        return [(Kind.SOURCE, event.source)]
    return []


def make_thumb(ffmpeg: str, source: Path, dest: Path) -> None:
    """Write `dest` from `source` (via a temporary name, so the page never serves half a
    file). Raise JobError when the video cannot be read."""
    at = seek_time(probe(source).duration)
    partial = dest.with_name(dest.stem + ".part.jpg")
    run_ffmpeg(thumb_args(ffmpeg, source, partial, at), expected_duration=0, timeout=THUMB_TIMEOUT)
    partial.replace(dest)


def prune(folder: Path, live_ids: Iterable[int]) -> int:
    """Remove the pictures of jobs the ledger no longer has. Return how many."""
    keep = {str(i) for i in live_ids}
    removed = 0
    with contextlib.suppress(FileNotFoundError):
        for path in folder.glob("*.jpg"):
            if path.name.split("-", 1)[0] not in keep:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


class Thumbnailer:
    """A job-event listener: makes the pictures on its own thread, so a job never waits."""

    def __init__(self, folder: Path, ffmpeg: Callable[[], str]) -> None:
        self.folder = folder
        self._ffmpeg = ffmpeg
        self._queue: queue.Queue[JobEvent | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="videofree-thumbs", daemon=True)
        self._thread.start()

    def __call__(self, event: JobEvent) -> None:
        if wanted(event):
            self._queue.put(event)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=THUMB_TIMEOUT)

    def _work(self) -> None:
        while (event := self._queue.get()) is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            for kind, source in wanted(event):
                try:
                    make_thumb(self._ffmpeg(), source, thumb_path(self.folder, event.job_id, kind))
                except (JobError, OSError) as exc:
                    logger.bind(job=event.job_id).info("no {} picture: {}", kind, exc)
