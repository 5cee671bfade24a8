"""Pure parsing: drafts → timelines, ADK events, render shapes, shrink argv, source checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from daemon.engines.nemo import constants as C
from daemon.engines.nemo.errors import NemoInputRefused
from daemon.engines.nemo.shrink import build_shrink_args, check_source, video_bitrate
from daemon.engines.nemo.sse import AdkEvent, one_line, parse_event
from daemon.engines.nemo.timeline import parse_draft, summary
from tests.fakes.nemo_helpers import DRAFT, call_event, text_event, thought_event


@pytest.mark.parametrize(
    ("draft", "expected", "exportable"),
    [
        (DRAFT, "Timeline (3 tracks): Video 0-10s; BGM 0-10s; Title 0-3s", True),
        ({"t": [{"tt": 0, "sg": [{"d": 2500}]}]}, "Timeline (1 track): Video 0-2.5s", True),
        (
            {"t": [{"tt": 0, "sg": []}, {"tt": 1, "sg": [{"d": 1000}]}]},
            "Timeline (2 tracks): Video (empty); BGM 0-1s",
            True,
        ),
        ({"t": [{"tt": 0, "sg": []}]}, "Timeline (1 track): Video (empty)", False),
        ({"t": [{"tt": 3, "sg": [{"d": 1000}]}]}, "Timeline (1 track): Track type 3 0-1s", True),
        ({"t": [{"sg": [{"d": "x"}, {"d": 4000}]}]}, "Timeline (1 track): Track 0-4s", True),
        ({}, "Timeline (0 tracks): empty", False),
        (None, "Timeline (0 tracks): empty", False),
        ({"t": "nonsense"}, "Timeline (0 tracks): empty", False),
    ],
)
def test_draft_summary(draft: dict[str, Any] | None, expected: str, exportable: bool) -> None:
    timeline = parse_draft(draft)
    assert summary(timeline) == expected
    assert timeline.exportable is exportable


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (json.dumps(text_event("Added lo-fi music.")), AdkEvent(texts=("Added lo-fi music.",))),
        (json.dumps(thought_event("thinking hard")), AdkEvent()),
        (json.dumps(call_event("add_bgm")), AdkEvent(calls=("add_bgm",))),
        (
            json.dumps({"content": {"parts": [{"functionResponse": {"name": "add_bgm"}}]}}),
            AdkEvent(),
        ),
        (
            json.dumps({"errorCode": "2001", "errorMessage": "no credits"}),
            AdkEvent(error="no credits", error_code=2001),
        ),
        (
            json.dumps({"errorCode": "MALFORMED_FUNCTION_CALL"}),
            AdkEvent(
                error="agent error MALFORMED_FUNCTION_CALL", error_code="MALFORMED_FUNCTION_CALL"
            ),
        ),
        (json.dumps({"error": "agent crashed"}), AdkEvent(error="agent crashed")),
        (json.dumps({"error": {"message": "quota"}}), AdkEvent(error="quota")),
        ("", None),
        ("   ", None),
        ("not json", None),
        ("[1, 2]", None),
    ],
)
def test_parse_event(data: str, expected: AdkEvent | None) -> None:
    assert parse_event(data) == expected


def test_one_line_squeezes_and_truncates() -> None:
    assert one_line("a\n\n b\tc") == "a b c"
    long = one_line("x" * 1000)
    assert len(long) == 300
    assert long.endswith("…")


@pytest.mark.parametrize("name", ["a.mp4", "b.MOV", "c.mkv", "d.webm", "e.m4a", "f.png"])
def test_accepted_types_pass(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    assert check_source(path, shrink_oversize=False) is False


@pytest.mark.parametrize("name", ["a.heic", "b.3gp", "c", "d.mts"])
def test_refused_types(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    with pytest.raises(NemoInputRefused, match="does not take") as info:
        check_source(path, shrink_oversize=False)
    assert info.value.fallback_ok


def test_oversize_is_refused_unless_shrinking(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    with path.open("wb") as handle:
        handle.truncate(C.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(NemoInputRefused, match="shrink_oversize") as info:
        check_source(path, shrink_oversize=False)
    assert info.value.fallback_ok
    assert check_source(path, shrink_oversize=True) is True
    exact = tmp_path / "exact.mp4"
    with exact.open("wb") as handle:
        handle.truncate(C.MAX_UPLOAD_BYTES)
    assert check_source(exact, shrink_oversize=False) is False


def test_shrink_args_fit_the_budget() -> None:
    argv = build_shrink_args("ffmpeg", Path("/in/a.mov"), Path("/out/a.mp4"), duration=600.0)
    video = int(C.SHRINK_TARGET_BYTES * 8 / 600) - 128_000
    assert argv[0] == "ffmpeg"
    assert argv[argv.index("-b:v") + 1] == str(video)
    assert argv[argv.index("-maxrate") + 1] == str(video)
    assert argv[argv.index("-bufsize") + 1] == str(2 * video)
    assert argv[argv.index("-i") + 1] == "/in/a.mov"
    assert argv[-1] == "/out/a.mp4"
    # The encoded size (video + audio bitrate over the duration) stays under the limit.
    assert (video + 128_000) * 600 / 8 <= C.MAX_UPLOAD_BYTES


def test_shrink_refuses_a_video_too_long_to_fit() -> None:
    with pytest.raises(NemoInputRefused, match="too long"):
        video_bitrate(10 * 3600.0, C.SHRINK_TARGET_BYTES)
    with pytest.raises(NemoInputRefused):
        video_bitrate(0.0, C.SHRINK_TARGET_BYTES)
