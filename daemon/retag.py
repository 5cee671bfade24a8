"""Give a finished video its source's capture metadata and file time, before delivery.

The I/O half of daemon.metadata: the local engine writes the tags in its own render pass
(it says so with `writes_metadata = True`); for any other engine (the NemoVideo render)
the output is remuxed once here, stream copy, nothing re-encoded. Either way the file's
modification time becomes the capture time, so photo libraries that sort by file time
(and those that fall back to it) put the edit where the clip was shot.

Metadata never costs a user their video: if the remux fails, the video is delivered as
the engine made it, with a note saying so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.config import Rule
from daemon.errors import ConfigError, JobError, PermanentError
from daemon.facts import source_facts
from daemon.media.render import run_analysis
from daemon.media.tools import find_ffmpeg
from daemon.metadata import OutputMetadata, output_metadata, remux_args
from daemon.placement import SCRATCH_SUFFIX

if TYPE_CHECKING:
    from loguru import Logger

# A stream copy reads and writes the file once; even a 4 GB render is done in well under this.
REMUX_TIMEOUT = 10 * 60.0


def stamp_output(
    output: Path,
    sources: Sequence[Path],
    rule: Rule,
    *,
    engine: str,
    writes_metadata: bool,
    ffmpeg: str | None,
    cancel: threading.Event,
    log: Logger,
) -> list[str]:
    """Write the sources' capture metadata into `output` (remuxed unless the engine that
    made it `writes_metadata` itself) and set its mtime to the capture time. Return notes
    for the job's status. Raise TransientError only when cancelled by shutdown."""
    facts = source_facts(sources)
    if not facts:
        return []
    meta = output_metadata(facts, rule.metadata)
    notes: list[str] = []
    # A source no reader understands has nothing to copy but its file time.
    readable = any(f.readable for f in facts)
    if readable and not writes_metadata:
        try:
            _remux(output, meta, ffmpeg, cancel)
            log.info("capture metadata copied into the {} output", engine)
        except (JobError, OSError) as exc:
            if cancel.is_set():
                raise
            why = exc.reason if isinstance(exc, JobError) else str(exc)
            notes.append(f"capture metadata not copied: {why}")
            log.warning("capture metadata not copied: {}", why)
    stamp = meta.capture.timestamp()
    try:
        os.utime(output, (stamp, stamp))
    except OSError as exc:  # some network shares refuse it; the video matters more
        notes.append(f"file time not set: {exc.strerror or exc}")
        log.warning("file time not set: {}", exc)
    return notes


def _remux(output: Path, meta: OutputMetadata, ffmpeg: str | None, cancel: threading.Event) -> None:
    try:
        binary = find_ffmpeg(ffmpeg)
    except ConfigError as exc:
        raise PermanentError(str(exc)) from None
    # Hidden and *.part.mp4 like every scratch file, so remove_scratch clears a leftover.
    tmp = output.with_name(output.name.removesuffix(SCRATCH_SUFFIX) + ".meta" + SCRATCH_SUFFIX)
    try:
        run_analysis(remux_args(binary, output, tmp, meta), timeout=REMUX_TIMEOUT, cancel=cancel)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
