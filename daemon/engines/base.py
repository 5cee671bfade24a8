"""The seam between the daemon and the engines that make videos.

The daemon knows nothing of HTTP or ffmpeg and each engine knows nothing of watching
folders: an engine gets a JobSpec and a JobContext (its last checkpoint, a way to save a
new one, a progress callback, a cancel flag and where to write), and returns the path of
a finished MP4 or raises TransientError / PermanentError (daemon.errors).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from loguru import Logger

    from daemon.config import Rule


@dataclass(frozen=True)
class JobSpec:
    """What to make: the sources (several when a rule combines clips) and the rule."""

    job_id: int
    sources: tuple[Path, ...]
    rule: Rule

    @property
    def source(self) -> Path:
        return self.sources[0]

    @property
    def prompt(self) -> str:
        return self.rule.prompt


@dataclass
class JobContext:
    """What an engine may use while it runs a job.

    `scratch` is a temporary file name in the output folder (same filesystem, so the
    final rename is atomic); an engine writes its result there or anywhere else it likes
    and returns the path. `save_checkpoint` persists resumable state in the ledger at once.
    """

    scratch: Path
    log: Logger
    checkpoint: dict[str, Any] = field(default_factory=dict)
    save_checkpoint: Callable[[dict[str, Any]], None] = lambda _c: None
    progress: Callable[[float], None] = lambda _p: None
    cancel: threading.Event = field(default_factory=threading.Event)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Record something the user should see in `status` (e.g. ignored prompt words)."""
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class EngineResult:
    """A finished video, not yet delivered."""

    path: Path
    engine: str
    notes: tuple[str, ...] = ()
    # The planned length, when the engine knows it: delivery checks the file against it.
    expected_duration: float | None = None


class Engine(Protocol):
    """Makes one job's MP4. Implementations: LocalEngine, NemoEngine."""

    name: str

    def run(self, job: JobSpec, ctx: JobContext) -> EngineResult:
        """Make the video. Raise TransientError to be retried, PermanentError to fail."""
        ...

    def available(self) -> bool:
        """False while the engine must not start jobs (e.g. out of credits)."""
        ...

    def close(self) -> None:
        """Release connections and stop child processes."""
        ...
