"""Which capture metadata an edited video carries, and the ffmpeg arguments that write it.

Pure: decisions from SourceFacts (daemon.facts), argv as tuples. Phones store when and
where a clip was shot in container tags that a re-encode (or a cloud render) drops:

- the movie header's creation time (``creation_time``), which photo libraries sort by;
- Apple's QuickTime keys (``com.apple.quicktime.*``: creation date with its zone, ISO 6709
  location, make, model, software), written as an ``mdta`` key list;
- Android's ``©xyz`` location (``location``/``location-eng`` in ffmpeg) and
  ``com.android.*`` keys.

`output_metadata` chooses what to keep (`keep`) or keeps only the time (`strip`: location
and device data removed, since these videos get shared); `metadata_args` writes exactly
that (``-map_metadata -1`` first, so nothing else leaks through), with ffmpeg's
``use_metadata_tags`` movflag so the Apple keys survive in an MP4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from daemon.facts import SourceFacts
from daemon.media.tools import quiet_args

MetadataMode = Literal["keep", "strip"]

CREATION_TIME = "creation_time"
APPLE_CREATIONDATE = "com.apple.quicktime.creationdate"
# Where the clip was shot: Apple's ISO 6709 key and the ©xyz atom Android writes.
LOCATION_KEYS = (
    "com.apple.quicktime.location.ISO6709",
    "location",
    "location-eng",
)
# What shot it.
DEVICE_KEYS = (
    "com.apple.quicktime.make",
    "com.apple.quicktime.model",
    "com.apple.quicktime.software",
    "com.android.manufacturer",
    "com.android.model",
    "com.android.version",
)
# Kept in both modes: the capture time (with Apple's zone) and Android's capture frame
# rate, which tells a library that a clip was slow motion.
TIME_KEYS = (APPLE_CREATIONDATE, "com.android.capture.fps")
# Never carried: an edit is not the still's Live Photo companion any more, and a player
# that sees this key would pair it with the photo.
LIVE_PHOTO_ID = "com.apple.quicktime.content.identifier"
# ffmpeg's movflag that writes arbitrary keys as an mdta list (how Apple stores its keys).
MDTA_MOVFLAG = "use_metadata_tags"
# Header times before this are "unset" (the MP4 epoch is 1904, a zeroed field reads 1970).
_EARLIEST_REAL = datetime(1971, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class OutputMetadata:
    """What an output gets: its capture time (header and file mtime) and the tags to write."""

    capture: datetime
    tags: tuple[tuple[str, str], ...]


def parse_time(value: str) -> datetime | None:
    """Given an ISO 8601 tag value ("2024-06-01T10:20:30.000000Z", Apple's
    "2024-06-01T12:20:30+0200"), return an aware datetime, or None if it is not one."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Apple writes the zone without a colon (+0200); fromisoformat wants +02:00 before 3.11.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and "T" in text:
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # ffmpeg's creation_time is UTC
    return parsed if parsed >= _EARLIEST_REAL else None


def tagged_capture_time(source: SourceFacts) -> datetime | None:
    """When a clip was shot, by its tags: the movie header, else Apple's creation date."""
    for key in (CREATION_TIME, APPLE_CREATIONDATE):
        value = source.tags.get(key)
        if value and (when := parse_time(value)) is not None:
            return when
    return None


def capture_time(source: SourceFacts) -> datetime:
    """When a clip was shot: its tags, else the file's own modification time."""
    return tagged_capture_time(source) or datetime.fromtimestamp(source.mtime, tz=UTC)


def earliest(sources: Sequence[SourceFacts]) -> SourceFacts:
    """The clip a combined video takes its time and place from: the first one shot."""
    return min(sources, key=lambda s: (capture_time(s), s.path.name))


def output_metadata(sources: Sequence[SourceFacts], mode: MetadataMode) -> OutputMetadata:
    """Given the sources of one job and the rule's `metadata:` mode, return what the
    output carries. Raise ValueError if there are no sources."""
    if not sources:
        raise ValueError("a job has at least one source")
    source = earliest(sources)
    capture = capture_time(source)
    wanted = TIME_KEYS if mode == "strip" else (*TIME_KEYS, *LOCATION_KEYS, *DEVICE_KEYS)
    tags = [(CREATION_TIME, format_time(capture))]
    tags += [(key, source.tags[key]) for key in wanted if source.tags.get(key)]
    return OutputMetadata(capture=capture, tags=tuple(tags))


def format_time(when: datetime) -> str:
    """The creation_time value ffmpeg writes into the movie header (UTC, microseconds)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def metadata_args(meta: OutputMetadata) -> tuple[str, ...]:
    """Output options that write exactly `meta`'s tags: the global tags ffmpeg would copy
    from the first input are dropped first (a filter graph loses them anyway, and `strip`
    must not let them through)."""
    args: list[str] = ["-map_metadata", "-1"]
    for key, value in meta.tags:
        args += ["-metadata", f"{key}={value}"]
    return tuple(args)


def with_metadata(argv: Sequence[str], meta: OutputMetadata) -> tuple[str, ...]:
    """Given an ffmpeg argv whose last item is the output, return it with `meta` written
    into that output: metadata options before the output and `use_metadata_tags` added to
    its -movflags (a second -movflags would replace the first, losing +faststart)."""
    if not argv:
        raise ValueError("empty ffmpeg argv")
    head = list(argv[:-1])
    for i in range(len(head) - 1):
        if head[i] == "-movflags":
            flags = head[i + 1]
            if MDTA_MOVFLAG not in flags:
                head[i + 1] = f"{flags}+{MDTA_MOVFLAG}"
            break
    else:
        head += ["-movflags", f"+{MDTA_MOVFLAG}"]
    return (*head, *metadata_args(meta), argv[-1])


def remux_args(ffmpeg: str, source: Path, output: Path, meta: OutputMetadata) -> tuple[str, ...]:
    """The argv that copies `source`'s streams unchanged into `output` with `meta`: for
    engines that cannot write the tags themselves (the NemoVideo render)."""
    return (
        ffmpeg,
        *quiet_args(),
        "-y",
        "-i",
        str(source),
        "-map",
        "0",
        "-c",
        "copy",
        *metadata_args(meta),
        "-movflags",
        f"+faststart+{MDTA_MOVFLAG}",
        "-f",
        "mp4",
        str(output),
    )
