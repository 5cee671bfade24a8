"""Phone-like test media with capture metadata, and an independent reader of tags.

The tags are the ones real phones write: an iPhone MOV carries Apple's QuickTime keys as
an mdta key list (what ffmpeg's `use_metadata_tags` writes), an Android MP4 carries the
movie-header time, a ©xyz location and com.android.* keys. `tags_of` reads them with PyAV
directly, not through daemon code.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import av

from tests.mediagen import lavfi_clip_args

IPHONE_TIME = datetime(2024, 6, 1, 10, 20, 30, tzinfo=UTC)
ANDROID_TIME = datetime(2023, 7, 2, 8, 0, 0, tzinfo=UTC)
IPHONE_TAGS = {
    "creation_time": "2024-06-01T10:20:30.000000Z",
    "com.apple.quicktime.creationdate": "2024-06-01T12:20:30+0200",
    "com.apple.quicktime.location.ISO6709": "+48.8584+002.2945+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "com.apple.quicktime.software": "17.5.1",
}
ANDROID_TAGS = {
    "creation_time": "2023-07-02T08:00:00.000000Z",
    "location": "+37.4220-122.0841/",
    "com.android.manufacturer": "Google",
    "com.android.model": "Pixel 8",
    "com.android.version": "14",
}
LIVE_PHOTO_ID = {"com.apple.quicktime.content.identifier": "2F1C6A1E-6B1A-4C59-9C5E-A1B2C3D4E5F6"}
# A time far from every capture time, for the source file's own mtime.
COPIED_AT = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC).timestamp()


def make_tagged_clip(
    path: Path,
    tags: dict[str, str],
    *,
    duration: float = 1.0,
    size: tuple[int, int] = (320, 240),
    rate: int = 30,
    hevc: bool = False,
) -> Path:
    """Write an H.264 (or HEVC) + AAC clip carrying `tags` as container metadata."""
    codec = (
        ["-c:v", "libx265", "-x265-params", "log-level=error", "-tag:v", "hvc1"]
        if hevc
        else ["-c:v", "libx264"]
    )
    args = [
        *lavfi_clip_args(size, rate, duration),
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=48000:duration={duration}",
        *codec,
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
    ]
    for key, value in tags.items():
        args += ["-metadata", f"{key}={value}"]
    # Phones write their keys as an mdta list; ffmpeg does so with this flag.
    args += ["-movflags", "use_metadata_tags", str(path)]
    subprocess.run(args, check=True)
    os.utime(path, (COPIED_AT, COPIED_AT))
    return path


def make_iphone_clip(path: Path, **kwargs: object) -> Path:
    return make_tagged_clip(path, IPHONE_TAGS, hevc=True, **kwargs)  # type: ignore[arg-type]


def make_android_clip(path: Path, **kwargs: object) -> Path:
    return make_tagged_clip(path, ANDROID_TAGS, **kwargs)  # type: ignore[arg-type]


def make_live_photo(folder: Path, stem: str = "IMG_0100", *, still: bool = True) -> Path:
    """An iPhone Live Photo: a 2 s MOV with the content identifier, and (if `still`) the
    HEIC beside it (its bytes do not matter: only its name is looked at)."""
    movie = make_tagged_clip(
        folder / f"{stem}.MOV", {**IPHONE_TAGS, **LIVE_PHOTO_ID}, duration=2.0, size=(192, 144)
    )
    if still:
        (folder / f"{stem}.HEIC").write_bytes(b"not really a HEIC")
    return movie


def tags_of(path: Path) -> dict[str, str]:
    """The container tags of `path`, read with PyAV."""
    with av.open(str(path)) as container:
        return dict(container.metadata)
