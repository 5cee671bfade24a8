"""Capture time, place and device survive an edit: real phone-like files, real ffmpeg,
outputs read back with PyAV (tests/phonemeta.py), never through daemon code."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import av
import pytest
from loguru import logger

from daemon.config import Config, LocalSettings, Rule
from daemon.engines.base import JobContext, JobSpec
from daemon.engines.local.engine import LocalEngine
from daemon.facts import read_facts
from daemon.retag import stamp_output
from daemon.skips import skip_for
from tests.mediagen import FFMPEG, make_clip, probe_output
from tests.phonemeta import (
    ANDROID_TAGS,
    ANDROID_TIME,
    COPIED_AT,
    IPHONE_TAGS,
    IPHONE_TIME,
    LIVE_PHOTO_ID,
    make_android_clip,
    make_iphone_clip,
    make_live_photo,
    make_tagged_clip,
    tags_of,
)

pytestmark = pytest.mark.integration

SETTINGS = LocalSettings(preset="superfast", crf=28, timeout=120)
LOCATION_AND_DEVICE = (
    "com.apple.quicktime.location.ISO6709",
    "com.apple.quicktime.make",
    "com.apple.quicktime.model",
    "com.apple.quicktime.software",
    "location",
    "location-eng",
    "com.android.manufacturer",
    "com.android.model",
    "com.android.version",
)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("phone-meta")
    return {
        "iphone": make_iphone_clip(d / "IMG_0042.MOV"),
        "android": make_android_clip(d / "PXL_20230702.mp4"),
        "plain": make_clip(d / "rendered.mp4", duration=1.0),
    }


def rule(tmp_path: Path, **extra: object) -> Rule:
    return Rule.model_validate(
        {"name": "r", "glob": "*", "output": str(tmp_path / "out"), "prompt": "fade in", **extra}
    )


def run_local(tmp_path: Path, r: Rule, *sources: Path) -> Path:
    config = Config.model_validate({"watch": [str(tmp_path / "in")], "rules": [r.model_dump()]})
    job = JobSpec(job_id=1, sources=sources, rule=config.rules[0])
    ctx = JobContext(scratch=tmp_path / "scratch.mp4", log=logger)
    return LocalEngine(SETTINGS, FFMPEG).run(job, ctx).path


def test_read_facts_of_an_iphone_clip_and_a_live_photo(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    facts = read_facts(media["iphone"])
    assert facts.readable and facts.codec == "hevc"
    assert (facts.width, facts.height) == (320, 240)
    assert abs(facts.duration - 1.0) < 0.1
    assert facts.tags["com.apple.quicktime.model"] == "iPhone 15 Pro"
    assert facts.mtime == COPIED_AT
    assert not facts.still_beside
    movie = make_live_photo(tmp_path)
    live = read_facts(movie)
    assert live.still_beside
    assert live.tags["com.apple.quicktime.content.identifier"] == next(iter(LIVE_PHOTO_ID.values()))
    junk = tmp_path / "junk.mov"
    junk.write_bytes(b"not a video")
    assert not read_facts(junk).readable


@pytest.mark.parametrize(
    ("source", "expected"), [("iphone", IPHONE_TAGS), ("android", ANDROID_TAGS)]
)
def test_local_render_keeps_every_capture_tag(
    tmp_path: Path, media: dict[str, Path], source: str, expected: dict[str, str]
) -> None:
    out = run_local(tmp_path, rule(tmp_path), media[source])
    tags = tags_of(out)
    for key, value in expected.items():
        if key == "location":
            # ffmpeg rewrites ©xyz's altitude-less form; the coordinates are what count.
            assert tags[key].startswith(value.rstrip("/")), (key, tags)
        else:
            assert tags[key] == value, (key, tags)
    assert probe_output(out).faststart, "use_metadata_tags must not lose +faststart"


def test_local_render_strip_removes_location_and_device(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    for source in ("iphone", "android"):
        out = run_local(tmp_path, rule(tmp_path, metadata="strip"), media[source])
        tags = tags_of(out)
        assert not set(LOCATION_AND_DEVICE) & set(tags), tags
        want = IPHONE_TAGS if source == "iphone" else ANDROID_TAGS
        assert tags["creation_time"] == want["creation_time"]


def test_combined_clips_take_the_earliest_time_and_place(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    out = run_local(tmp_path, rule(tmp_path), media["iphone"], media["android"])
    tags = tags_of(out)
    assert tags["creation_time"] == ANDROID_TAGS["creation_time"]  # 2023, before the iPhone's
    assert tags["com.android.model"] == "Pixel 8"
    assert "com.apple.quicktime.model" not in tags


def video_packets(path: Path) -> str:
    with av.open(str(path)) as c:
        digest = hashlib.sha256()
        for packet in c.demux(c.streams.video[0]):
            digest.update(bytes(packet))
        return digest.hexdigest()


def stamp_cloud_output(out: Path, source: Path, tmp_path: Path) -> list[str]:
    """What delivery does to a NemoVideo output: remux the source's tags in, date it."""
    return stamp_output(
        out,
        [source],
        rule(tmp_path),
        engine="nemo",
        writes_metadata=False,
        ffmpeg=None,
        cancel=threading.Event(),
        log=logger,
    )


def test_cloud_output_is_remuxed_with_the_source_metadata_and_dated(
    tmp_path: Path, media: dict[str, Path]
) -> None:
    out = tmp_path / ".videofree-7-abcd.part.mp4"
    out.write_bytes(media["plain"].read_bytes())
    before = video_packets(out)
    notes = stamp_cloud_output(out, media["iphone"], tmp_path)
    assert notes == []
    tags = tags_of(out)
    for key in (
        "creation_time",
        "com.apple.quicktime.location.ISO6709",
        "com.apple.quicktime.model",
    ):
        assert tags[key] == IPHONE_TAGS[key]
    assert video_packets(out) == before, "a stream copy, not a re-encode"
    assert os.stat(out).st_mtime == IPHONE_TIME.timestamp()
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name], "no remux leftovers"


def test_a_failed_remux_still_delivers_with_a_note(tmp_path: Path, media: dict[str, Path]) -> None:
    out = tmp_path / ".videofree-8-abcd.part.mp4"
    out.write_bytes(b"the engine made something ffmpeg cannot read")
    notes = stamp_cloud_output(out, media["android"], tmp_path)
    assert len(notes) == 1 and notes[0].startswith("capture metadata not copied:")
    assert out.read_bytes() == b"the engine made something ffmpeg cannot read"
    assert os.stat(out).st_mtime == ANDROID_TIME.timestamp()


def test_local_output_is_dated_without_a_remux(tmp_path: Path, media: dict[str, Path]) -> None:
    out = run_local(tmp_path, rule(tmp_path), media["android"])
    before = out.stat().st_mtime_ns
    stamp_output(
        out,
        [media["android"]],
        rule(tmp_path),
        engine="local",
        writes_metadata=LocalEngine.writes_metadata,
        ffmpeg="/nonexistent/ffmpeg",  # would fail if a remux were attempted
        cancel=threading.Event(),
        log=logger,
    )
    assert out.stat().st_mtime == ANDROID_TIME.timestamp() != before / 1e9
    assert tags_of(out)["com.android.model"] == "Pixel 8"


# (name, tags, frame rate, seconds, size)
PHONE_CLIPS = [
    # An iPhone screen recording: no camera tags, portrait, short.
    ("RPReplay_Final1700000000.MP4", {}, 30, 2.0, (240, 512)),
    # Slow motion: a high capture rate, iPhone tags, no live-photo identifier.
    ("IMG_0200.MOV", IPHONE_TAGS, 240, 1.0, (192, 144)),
    # A time-lapse is a short clip too: camera tags, no identifier, no still beside it.
    ("IMG_0201.MOV", {**IPHONE_TAGS, "com.android.capture.fps": "1.0"}, 30, 2.0, (192, 144)),
]


@pytest.mark.parametrize("spec", PHONE_CLIPS, ids=[c[0] for c in PHONE_CLIPS])
def test_screen_recordings_slow_motion_and_time_lapse_are_edited(
    tmp_path: Path, spec: tuple[str, dict[str, str], int, float, tuple[int, int]]
) -> None:
    name, tags, rate, duration, size = spec
    clip = make_tagged_clip(tmp_path / name, tags, duration=duration, rate=rate, size=size)
    r = rule(tmp_path)
    assert skip_for(clip, r, read_facts) is None
    out = run_local(tmp_path, r, clip)
    assert abs(probe_output(out).duration - duration) < 0.15


def test_read_facts_survives_a_fifo_and_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    fifo = tmp_path / "IMG_0001.MOV"
    os.mkfifo(fifo)
    assert not read_facts(fifo).readable  # returns at once instead of blocking on open
    assert skip_for(fifo, rule(tmp_path), read_facts) is None
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/IMG_\xff.MOV"))
    make_live_photo(tmp_path, "IMG_0300")
    os.rename(tmp_path / "IMG_0300.MOV", odd)
    assert read_facts(odd).readable
    with pytest.raises(FileNotFoundError):
        read_facts(tmp_path / "gone.mov")
