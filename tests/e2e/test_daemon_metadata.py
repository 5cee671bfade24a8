"""End to end: phone videos keep when, where and with what they were shot; Live Photo
movies are left alone. The real daemon process, real ffmpeg, outputs read with PyAV."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.daemonproc import (
    DaemonProcess,
    cli,
    drop,
    jobs_in,
    start,
    status,
    wait_for,
    write_config,
)
from tests.fakes.nemo_server import FakeNemo
from tests.mediagen import make_clip
from tests.phonemeta import (
    ANDROID_TAGS,
    ANDROID_TIME,
    IPHONE_TAGS,
    IPHONE_TIME,
    make_android_clip,
    make_iphone_clip,
    make_live_photo,
    tags_of,
)

pytestmark = pytest.mark.e2e

STRIPPED = (
    "com.apple.quicktime.location.ISO6709",
    "com.apple.quicktime.make",
    "com.apple.quicktime.model",
    "com.apple.quicktime.software",
    "location",
    "com.android.manufacturer",
    "com.android.model",
)


@pytest.fixture(scope="module")
def phones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("phones")
    return {
        "iphone": make_iphone_clip(d / "IMG_0042.MOV"),
        "android": make_android_clip(d / "PXL_20230702.mp4"),
    }


def output_of(config: Path, source: str) -> Path:
    [job] = [j for j in status(config) if Path(j["source"]).name == source]
    assert job["state"] == "done", job
    return Path(job["output"])


def assert_same_capture(out: Path, tags: dict[str, str], when: float) -> None:
    got = tags_of(out)
    for key in ("creation_time", "com.apple.quicktime.location.ISO6709", "com.android.model"):
        if key in tags:
            assert got[key] == tags[key], (key, got)
    if "location" in tags:
        assert got["location"].startswith(tags["location"].rstrip("/")), got
    assert out.stat().st_mtime == when


def test_phone_videos_keep_time_place_and_camera(
    tmp_path: Path, daemons: list[DaemonProcess], phones: dict[str, Path]
) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    drop(phones["iphone"], tmp_path / "inbox", "IMG_0042.MOV")
    drop(phones["android"], tmp_path / "inbox", "PXL_20230702.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == 2, 90, "two jobs done", d)
    iphone = output_of(config, "IMG_0042.MOV")
    assert_same_capture(iphone, IPHONE_TAGS, IPHONE_TIME.timestamp())
    got = tags_of(iphone)
    for key in ("com.apple.quicktime.make", "com.apple.quicktime.model"):
        assert got[key] == IPHONE_TAGS[key]
    assert (
        got["com.apple.quicktime.creationdate"] == IPHONE_TAGS["com.apple.quicktime.creationdate"]
    )
    assert_same_capture(
        output_of(config, "PXL_20230702.mp4"), ANDROID_TAGS, ANDROID_TIME.timestamp()
    )
    assert d.stop() == 0


def test_metadata_strip_removes_location_and_device(
    tmp_path: Path, daemons: list[DaemonProcess], phones: dict[str, Path]
) -> None:
    rules = [
        {
            "name": "share",
            "glob": ["*.mov", "*.mp4"],
            "output": str(tmp_path / "out"),
            "metadata": "strip",
        }
    ]
    config = write_config(tmp_path, rules=rules)
    d = start(daemons, config)
    drop(phones["iphone"], tmp_path / "inbox", "IMG_0042.MOV")
    drop(phones["android"], tmp_path / "inbox", "PXL_20230702.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == 2, 90, "two jobs done", d)
    for source, when in (("IMG_0042.MOV", IPHONE_TIME), ("PXL_20230702.mp4", ANDROID_TIME)):
        out = output_of(config, source)
        tags = tags_of(out)
        assert not set(STRIPPED) & set(tags), tags
        assert out.stat().st_mtime == when.timestamp(), "the time is kept"


def test_live_photo_movie_is_skipped_with_a_reason(
    tmp_path: Path, daemons: list[DaemonProcess], phones: dict[str, Path]
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    movie = make_live_photo(media, "IMG_0100")
    config = write_config(tmp_path, rescan_seconds=1)
    inbox = tmp_path / "inbox"
    checked = cli(config, "check", str(movie)).stdout
    assert "IMG_0100.MOV: rule clips skips it: a Live Photo movie (2.0 s, beside its photo)" in (
        checked
    )
    d = start(daemons, config)
    shutil.copyfile(media / "IMG_0100.HEIC", inbox / "IMG_0100.HEIC")
    drop(movie, inbox, "IMG_0100.MOV")
    drop(phones["android"], inbox, "PXL_20230702.mp4")  # an ordinary clip beside it is edited
    wait_for(lambda: jobs_in(config, "done"), 90, "the ordinary clip done", d)
    d.wait_log("IMG_0100.MOV: skipped by rule clips: a Live Photo movie")
    assert [Path(j["source"]).name for j in status(config)] == ["PXL_20230702.mp4"]
    # Rescans (every second here) see the same file again: the reason is logged once.
    time.sleep(2.5)
    assert d.log.count("IMG_0100.MOV: skipped") == 1
    assert d.stop() == 0


@pytest.fixture
def fake_nemo(tmp_path: Path) -> Iterator[FakeNemo]:
    rendered = make_clip(tmp_path / "rendered.mp4", duration=1, size=(640, 360))
    with FakeNemo(media=rendered) as server:
        yield server


def test_nemovideo_output_is_remuxed_with_the_source_metadata(
    tmp_path: Path, daemons: list[DaemonProcess], phones: dict[str, Path], fake_nemo: FakeNemo
) -> None:
    rule = {
        "name": "cloud",
        "glob": "*.mp4",
        "prompt": "trim and export this",
        "output": str(tmp_path / "out"),
        "engine": "nemo",
    }
    nemo = {"api_base": fake_nemo.url, "poll_interval": 0.2, "rate_limit_wait": 0.2}
    config = write_config(tmp_path, nemo=nemo, rules=[rule], max_attempts=2)
    d = start(daemons, config)
    drop(phones["android"], tmp_path / "inbox", "PXL_20230702.mp4")
    wait_for(lambda: jobs_in(config, "done"), 90, "nemo job done", d)
    out = output_of(config, "PXL_20230702.mp4")
    assert_same_capture(out, ANDROID_TAGS, ANDROID_TIME.timestamp())
    assert "capture metadata copied into the nemo output" in d.log
