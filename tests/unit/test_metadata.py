"""daemon.metadata: which capture tags an output carries, and the ffmpeg args for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from daemon.facts import SourceFacts
from daemon.metadata import (
    OutputMetadata,
    capture_time,
    earliest,
    metadata_args,
    output_metadata,
    parse_time,
    remux_args,
    with_metadata,
)

IPHONE = {
    "major_brand": "qt  ",
    "creation_time": "2024-06-01T10:20:30.000000Z",
    "com.apple.quicktime.creationdate": "2024-06-01T12:20:30+0200",
    "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "com.apple.quicktime.software": "17.5.1",
    "com.apple.quicktime.content.identifier": "ABC",
    "encoder": "Lavf",
}
ANDROID = {
    "creation_time": "2023-07-02T08:00:00.000000Z",
    "location": "+37.4220-122.0841/",
    "location-eng": "+37.4220-122.0841/",
    "com.android.model": "Pixel 8",
    "com.android.manufacturer": "Google",
    "com.android.version": "14",
    "com.android.capture.fps": "240.000000",
}
MTIME = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).timestamp()


def facts(name: str, tags: dict[str, str], mtime: float = MTIME) -> SourceFacts:
    return SourceFacts(path=Path(name), mtime=mtime, size=1, tags=tags, readable=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-01T10:20:30.000000Z", datetime(2024, 6, 1, 10, 20, 30, tzinfo=UTC)),
        (
            "2024-06-01T12:20:30+0200",
            datetime(2024, 6, 1, 12, 20, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2024-06-01T12:20:30-05:00",
            datetime(2024, 6, 1, 12, 20, 30, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2024-06-01 10:20:30", datetime(2024, 6, 1, 10, 20, 30, tzinfo=UTC)),
        ("1904-01-01T00:00:00.000000Z", None),  # the MP4 epoch: an unset header
        ("1970-01-01T00:00:00Z", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_capture_time_prefers_the_movie_header() -> None:
    assert capture_time(facts("a.mov", IPHONE)) == datetime(2024, 6, 1, 10, 20, 30, tzinfo=UTC)


def test_capture_time_falls_back_to_apple_date_then_mtime() -> None:
    apple_only = {"com.apple.quicktime.creationdate": "2024-06-01T12:20:30+0200"}
    assert capture_time(facts("a.mov", apple_only)).astimezone(UTC) == datetime(
        2024, 6, 1, 10, 20, 30, tzinfo=UTC
    )
    unset = {"creation_time": "1904-01-01T00:00:00.000000Z"}
    assert capture_time(facts("a.mp4", unset)) == datetime.fromtimestamp(MTIME, tz=UTC)
    assert capture_time(facts("a.mp4", {})).timestamp() == MTIME


def test_keep_carries_time_place_and_device_but_not_the_live_photo_id() -> None:
    meta = output_metadata([facts("IMG_0042.MOV", IPHONE)], "keep")
    assert meta.capture == datetime(2024, 6, 1, 10, 20, 30, tzinfo=UTC)
    assert dict(meta.tags) == {
        "creation_time": "2024-06-01T10:20:30.000000Z",
        "com.apple.quicktime.creationdate": "2024-06-01T12:20:30+0200",
        "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 15 Pro",
        "com.apple.quicktime.software": "17.5.1",
    }


def test_strip_keeps_only_the_time() -> None:
    meta = output_metadata([facts("PXL_1.mp4", ANDROID)], "strip")
    assert dict(meta.tags) == {
        "creation_time": "2023-07-02T08:00:00.000000Z",
        "com.android.capture.fps": "240.000000",
    }
    kept = dict(output_metadata([facts("PXL_1.mp4", ANDROID)], "keep").tags)
    assert kept["location"] == "+37.4220-122.0841/"
    assert kept["com.android.model"] == "Pixel 8"


def test_a_source_without_tags_gets_its_file_time_in_the_header() -> None:
    meta = output_metadata([facts("screen.mp4", {})], "keep")
    assert meta.tags == (("creation_time", "2026-01-15T12:00:00.000000Z"),)


def test_combined_clips_take_the_earliest_clips_time_and_place() -> None:
    later = facts("a.mov", IPHONE)
    first = facts("z.mp4", ANDROID)
    assert earliest([later, first]) is first
    tags = dict(output_metadata([later, first], "keep").tags)
    assert tags["creation_time"] == "2023-07-02T08:00:00.000000Z"
    assert tags["location"] == "+37.4220-122.0841/"
    assert "com.apple.quicktime.model" not in tags
    with pytest.raises(ValueError, match="at least one source"):
        output_metadata([], "keep")


META = OutputMetadata(
    capture=datetime(2024, 6, 1, tzinfo=UTC),
    tags=(("creation_time", "2024-06-01T00:00:00.000000Z"), ("location", "+1+2/")),
)


def test_metadata_args_drop_inherited_tags_first() -> None:
    assert metadata_args(META) == (
        "-map_metadata",
        "-1",
        "-metadata",
        "creation_time=2024-06-01T00:00:00.000000Z",
        "-metadata",
        "location=+1+2/",
    )


def test_with_metadata_merges_movflags_and_keeps_the_output_last() -> None:
    argv = ("ffmpeg", "-i", "in.mov", "-movflags", "+faststart", "-f", "mp4", "out.mp4")
    assert with_metadata(argv, META) == (
        "ffmpeg",
        "-i",
        "in.mov",
        "-movflags",
        "+faststart+use_metadata_tags",
        "-f",
        "mp4",
        *metadata_args(META),
        "out.mp4",
    )


def test_with_metadata_adds_movflags_when_there_are_none() -> None:
    assert with_metadata(("ffmpeg", "-i", "a", "b.mp4"), META) == (
        "ffmpeg",
        "-i",
        "a",
        "-movflags",
        "+use_metadata_tags",
        *metadata_args(META),
        "b.mp4",
    )
    with pytest.raises(ValueError, match="empty"):
        with_metadata((), META)


def test_remux_is_a_stream_copy() -> None:
    argv = remux_args("ffmpeg", Path("in.mp4"), Path("out.mp4"), META)
    assert argv[argv.index("-c") + 1] == "copy"
    assert argv[argv.index("-map") + 1] == "0"
    assert argv[argv.index("-movflags") + 1] == "+faststart+use_metadata_tags"
    assert argv[-1] == "out.mp4"
    assert "location=+1+2/" in argv
    assert not {"-vf", "-filter_complex", "-c:v"} & set(argv)
