"""Outputs are checked before they are placed (issue 11, item 12 and "output verified")."""

from __future__ import annotations

from pathlib import Path

import imageio_ffmpeg
import pytest

from daemon.errors import TransientError
from daemon.media.probe import MediaInfo
from daemon.verify import Expected, judge, verify_output
from tests.mediagen import make_clip

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def info(duration: float, *, video: bool = True, audio: bool = True) -> MediaInfo:
    return MediaInfo(Path("o.mp4"), duration, 1000, has_video=video, has_audio=audio)


@pytest.mark.parametrize(
    ("got", "expected", "problems", "notes"),
    [
        (info(10.0), Expected(10.0, True), 0, 0),
        (info(10.4), Expected(10.0), 0, 0),  # frame rounding, encoder priming
        (info(6.0), Expected(10.0), 0, 1),  # a truncated original: delivered, with a note
        (info(30.0), Expected(10.0), 1, 0),  # longer than any plan allows: a broken render
        (info(10.0, video=False), Expected(10.0), 1, 0),
        (info(10.0, audio=False), Expected(10.0, audio=True), 1, 0),
        (info(10.0, audio=False), Expected(10.0, audio=None), 0, 0),
        (info(3.0), Expected(None), 0, 0),  # a cloud render: no plan to compare with
    ],
)
def test_judge(got: MediaInfo, expected: Expected, problems: int, notes: int) -> None:
    verdict = judge(got, expected)
    assert (len(verdict.problems), len(verdict.notes)) == (problems, notes)


def test_the_truncation_note_says_both_lengths() -> None:
    assert judge(info(6.0), Expected(10.0)).notes == (
        "shorter than planned: 6.0 s of 10.0 s (the original looks truncated)",
    )


@pytest.fixture(scope="module")
def faststart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(
        tmp_path_factory.mktemp("v") / "fast.mp4", duration=3, extra=("-movflags", "+faststart")
    )


def test_a_good_output_passes(faststart: Path) -> None:
    assert verify_output(faststart, Expected(3.0), FFMPEG) == ()


def test_an_output_cut_short_is_not_placed(faststart: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    data = faststart.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])  # the index claims 3 s; the data stops early
    with pytest.raises(TransientError, match="the output"):
        verify_output(cut, Expected(3.0), FFMPEG)


def test_an_output_without_its_index_is_not_placed(tmp_path: Path) -> None:
    plain = make_clip(tmp_path / "plain.mp4", duration=2)  # moov at the end
    data = plain.read_bytes()
    plain.write_bytes(data[: len(data) // 2])
    with pytest.raises(TransientError, match="does not read back"):
        verify_output(plain, Expected(2.0), FFMPEG)
