"""What the inbox decisions and the metadata step know about one source file.

`read_facts` is the I/O: it opens the container with PyAV (headers only, nothing is
decoded, so it costs milliseconds) and lists the folder for a still photo of the same
stem. Everything that decides from these facts (daemon.metadata, daemon.skips) is pure.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

# The still a Live Photo's movie sits beside (same stem): iPhones write HEIC, or JPG when
# "Most Compatible" is chosen; exports and AirDrop can leave either case.
STILL_SUFFIXES = frozenset({".heic", ".heif", ".jpg", ".jpeg"})


@dataclass(frozen=True)
class SourceFacts:
    """One source: its container tags, file time, size and, when readable, picture facts."""

    path: Path
    mtime: float
    size: int
    tags: Mapping[str, str] = field(default_factory=dict)
    readable: bool = False
    duration: float = 0.0
    width: int = 0
    height: int = 0
    codec: str = ""
    still_beside: bool = False


def read_facts(path: Path) -> SourceFacts:
    """Given a file, return its SourceFacts; a file PyAV cannot read comes back with
    `readable=False` (the engine reports why, later). Raise OSError if it cannot be stat-ed."""
    st = path.stat()
    base = SourceFacts(path=path, mtime=st.st_mtime, size=st.st_size)
    if not stat.S_ISREG(st.st_mode):
        return base  # opening a FIFO or a device would block or read forever
    still = _still_beside(path)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            return _read(base, container, still)
    except (av.FFmpegError, UnicodeDecodeError, ValueError, IndexError, OSError):
        return SourceFacts(path=path, mtime=st.st_mtime, size=st.st_size, still_beside=still)


def _read(base: SourceFacts, container: Any, still: bool) -> SourceFacts:
    video = container.streams.video[0] if container.streams.video else None
    duration = float(container.duration) / av.time_base if container.duration else 0.0
    if not duration and video is not None and video.duration and video.time_base:
        duration = float(video.duration * video.time_base)
    cc = video.codec_context if video is not None else None
    return SourceFacts(
        path=base.path,
        mtime=base.mtime,
        size=base.size,
        tags=dict(container.metadata),
        readable=video is not None,
        duration=duration,
        width=cc.width if cc is not None else 0,
        height=cc.height if cc is not None else 0,
        codec=cc.name if cc is not None else "",
        still_beside=still,
    )


def _still_beside(path: Path) -> bool:
    """True when the folder holds a photo with the same stem (IMG_0042.HEIC for IMG_0042.MOV)."""
    stem = path.stem.casefold()
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            other = Path(entry.name)
            if other.stem.casefold() == stem and other.suffix.casefold() in STILL_SUFFIXES:
                return True
    return False


def source_facts(sources: Sequence[Path]) -> list[SourceFacts]:
    """The facts of the sources still there (a moved-away original has none to give)."""
    found = []
    for path in sources:
        try:
            found.append(read_facts(path))
        except OSError:
            continue
    return found
