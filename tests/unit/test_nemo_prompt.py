"""The part of a rule's prompt that goes to the edit agent (export phrases stripped)."""

from __future__ import annotations

import pytest

from daemon.engines.nemo.prompt import edit_prompt


@pytest.mark.parametrize(
    ("prompt", "sent", "stripped"),
    [
        (
            "Trim the dead air, add smooth transitions and background music, "
            "and export this in 1080p",
            "Trim the dead air, add smooth transitions and background music",
            ("and export this in 1080p",),
        ),
        ("trim, add transitions, and export this", "trim, add transitions", ("and export this",)),
        (
            "trim, add transitions, and export this video for free",
            "trim, add transitions",
            ("and export this video for free",),
        ),
        (
            "Trim the first second, fade in and fade out, and export as a 1080p MP4",
            "Trim the first second, fade in and fade out",
            ("and export as a 1080p MP4",),
        ),
        ("add music then download the video", "add music", ("then download the video",)),
        ("Export this. Then add a title", "Then add a title", ("Export this",)),
        ("add lo-fi music and a title", "add lo-fi music and a title", ()),
        ("export 1080p MP4", "", ("export 1080p MP4",)),
        ("send me the video", "", ("send me the video",)),
        ("导出", "", ("导出",)),
        # Words that merely contain an export verb stay.
        ("add an exported-looking title card", "add an exported-looking title card", ()),
    ],
)
def test_export_phrases_are_stripped(prompt: str, sent: str, stripped: tuple[str, ...]) -> None:
    result = edit_prompt(prompt)
    assert result.text == sent
    assert result.stripped == stripped
