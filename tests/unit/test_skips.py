"""daemon.skips and the rule keys behind it: what the inbox leaves alone, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from daemon.config import Rule, parse_config, parse_size
from daemon.errors import ConfigError
from daemon.facts import SourceFacts
from daemon.skips import is_live_photo, needs_facts, skip_for, skip_reason

LIVE_ID = {"com.apple.quicktime.content.identifier": "ABC"}


def rule(**extra: Any) -> Rule:
    return Rule(name="r", glob=["*"], output=Path("/out"), **extra)


def facts(name: str = "IMG_0042.MOV", **extra: Any) -> SourceFacts:
    values: dict[str, Any] = {
        "mtime": 0.0,
        "size": 50_000_000,
        "readable": True,
        "duration": 12.0,
        "width": 1920,
        "height": 1080,
        "codec": "hevc",
    }
    values.update(extra)
    return SourceFacts(path=Path("/inbox") / name, **values)


@pytest.mark.parametrize(
    ("conditions", "file", "reason"),
    [
        ({"min_duration": "5s"}, {"duration": 2.0}, "shorter than min_duration (2.0 s < 5 s)"),
        ({"max_duration": "1m"}, {"duration": 90.0}, "longer than max_duration (90.0 s > 60 s)"),
        ({"min_size": "100MB"}, {}, "smaller than min_size (50.0 MB < 100.0 MB)"),
        ({"max_size": "10MB"}, {}, "larger than max_size (50.0 MB > 10.0 MB)"),
        ({"min_height": 720}, {"width": 640, "height": 480}, "below min_height (480p < 720p)"),
        ({"codec": "h264"}, {}, "codec hevc is not one of codec: h264"),
        ({"min_duration": 5, "max_size": "1GB", "min_height": 720, "codec": ["h265"]}, {}, None),
        # Portrait 720p is 720 wide: the short side is what min_height means.
        ({"min_height": 720}, {"width": 720, "height": 1280}, None),
        ({"min_height": 1080}, {"width": 1080, "height": 1920}, None),
    ],
)
def test_conditions(conditions: dict[str, Any], file: dict[str, Any], reason: str | None) -> None:
    assert skip_reason(rule(**conditions), facts(**file)) == reason


def test_an_unreadable_file_is_not_skipped_by_conditions() -> None:
    # Its job fails with the reader's reason, which says more than a skip would.
    assert skip_reason(rule(min_duration=5), facts(readable=False, duration=0.0)) is None


@pytest.mark.parametrize(
    ("name", "file", "live"),
    [
        ("IMG_0100.MOV", {"duration": 2.0, "still_beside": True}, True),
        ("IMG_0100.mov", {"duration": 3.4, "tags": LIVE_ID}, True),
        ("IMG_0100.MOV", {"duration": 2.0, "tags": LIVE_ID, "still_beside": True}, True),
        # Longer than a Live Photo: a real clip that happens to have a photo of its name.
        ("IMG_0100.MOV", {"duration": 3.6, "still_beside": True}, False),
        ("IMG_0100.MOV", {"duration": 10.0, "tags": LIVE_ID}, False),
        # Short clips with neither sign: slow motion, time-lapse, screen recordings.
        ("IMG_0101.MOV", {"duration": 2.0}, False),
        ("RPReplay_Final1700000000.MP4", {"duration": 3.0, "codec": "h264"}, False),
        # Not a movie container, or not readable as a video.
        ("IMG_0100.mkv", {"duration": 2.0, "still_beside": True}, False),
        ("IMG_0100.MOV", {"readable": False, "duration": 0.0, "still_beside": True}, False),
    ],
)
def test_live_photo_detection(name: str, file: dict[str, Any], live: bool) -> None:
    assert is_live_photo(facts(name, **file)) is live


def test_live_photos_are_skipped_by_default_and_edited_on_request() -> None:
    companion = facts("IMG_0100.MOV", duration=2.0, still_beside=True)
    reason = skip_reason(rule(), companion)
    assert reason is not None
    assert reason.startswith("a Live Photo movie (2.0 s, beside its photo)")
    assert "live_photos: edit" in reason
    tagged = skip_reason(rule(), facts("IMG_0100.MOV", duration=2.0, tags=LIVE_ID))
    assert tagged is not None and "Apple live-photo identifier" in tagged
    assert skip_reason(rule(live_photos="edit"), companion) is None


def test_facts_are_read_only_when_something_is_checked() -> None:
    reads: list[Path] = []

    def read(path: Path) -> SourceFacts:
        reads.append(path)
        return facts(path.name, duration=2.0, still_beside=True)

    assert needs_facts(rule(), ".MOV")
    assert not needs_facts(rule(), ".mkv")
    assert not needs_facts(rule(live_photos="edit"), ".mov")
    assert needs_facts(rule(live_photos="edit", max_size="1GB"), ".mkv")
    assert skip_for(Path("/inbox/a.mkv"), rule(), read) is None
    assert skip_for(Path("/inbox/a.mov"), rule(live_photos="edit"), read) is None
    assert reads == []
    assert skip_for(Path("/inbox/a.mov"), rule(), read) is not None
    assert reads == [Path("/inbox/a.mov")]


def test_a_vanished_file_is_not_skipped() -> None:
    def gone(path: Path) -> SourceFacts:
        raise FileNotFoundError(path)

    assert skip_for(Path("/inbox/a.mov"), rule(), gone) is None


@pytest.mark.parametrize(
    ("text", "size"),
    [(1000, 1000), ("500MB", 500_000_000), ("1.5 GB", 1_500_000_000), ("2GiB", 2 * 2**30)],
)
def test_parse_size(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["lots", "-5MB", "5 parsecs", True, -1, 1.5])
def test_parse_size_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match="expected a size"):
        parse_size(bad)


def config_text(rule_extra: str) -> str:
    return f"watch: [/tmp/in]\nrules:\n  - name: r\n    glob: '*'\n    output: /tmp/o\n{rule_extra}"


def test_rule_keys_parse() -> None:
    config = parse_config(
        config_text(
            "    metadata: strip\n    live_photos: edit\n    min_duration: 3s\n"
            "    max_duration: 10 min\n    min_size: 1MB\n    max_size: 2GB\n"
            "    min_height: 720\n    codec: [H265, avc]\n"
        ),
        Path("/tmp/rules.yaml"),
    )
    [r] = config.rules
    assert (r.metadata, r.live_photos) == ("strip", "edit")
    assert (r.min_duration, r.max_duration) == (3.0, 600.0)
    assert (r.min_size, r.max_size, r.min_height) == (1_000_000, 2_000_000_000, 720)
    assert r.codec == ["hevc", "h264"]
    assert Rule.model_validate_json(r.model_dump_json()) == r, "the ledger snapshot round-trips"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    metadata: remove\n", "rules.yaml:6: rules[0].metadata: input should be 'keep'"),
        ("    min_size: huge\n", "rules.yaml:6: rules[0].min_size: expected a size"),
        ("    codec: []\n", "rules.yaml:6: rules[0].codec: expected a codec name"),
        ("    min_height: 0\n", "rules.yaml:6: rules[0].min_height: input should be greater"),
        (
            "    min_duration: 1m\n    max_duration: 10s\n",
            "rules.yaml:6: rules[0].min_duration: min_duration is larger than max_duration",
        ),
    ],
)
def test_rule_key_errors_name_the_line(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(config_text(extra), Path("/tmp/rules.yaml"))
    assert err.value.render().startswith(message), err.value.render()
