"""Globs that could never match what the user meant are refused at check time, with
what to write instead (they used to pass `check` as OK and then match nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import parse_config
from daemon.errors import ConfigError


def _config(glob: str) -> str:
    return f"rules:\n  - name: a\n    glob: {glob}\n    output: /tmp/out\n"


@pytest.mark.parametrize(
    ("glob", "advice"),
    [
        ('"/home/me/Inbox/*.mp4"', "never a full path"),
        ('"~/Inbox/*.mp4"', "never a full path"),
        ('["*.mov", "/tmp/x/*.mp4"]', "never a full path"),
        ('"*.mp4 *.mov"', 'write a list, glob: ["*.mp4", "*.mov"]'),
        ('"*.mp4,*.mov"', 'write a list, glob: ["*.mp4", "*.mov"]'),
        ('"*.mp4, *.MOV, *.m4v"', 'write a list, glob: ["*.mp4", "*.MOV", "*.m4v"]'),
    ],
)
def test_globs_that_match_nothing_are_refused(glob: str, advice: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_config(glob), Path("/cfg/rules.yaml"))
    message = info.value.render()
    assert message.startswith("rules.yaml:3: rules[0].glob: ")
    assert advice in message


@pytest.mark.parametrize(
    "glob",
    [
        '"*.mp4"',
        '"Screen Recording *.mov"',  # a space inside one glob is a real name
        '"cloud/*"',
        '"IMG_*"',
        '"*"',
        '["*.mp4", "*.mov"]',
    ],
)
def test_ordinary_globs_pass(glob: str) -> None:
    config = parse_config(_config(glob), Path("/cfg/rules.yaml"))
    assert config.rules[0].glob
