"""The prompt parser in linear time (issue 11, item 10): 100K characters in under a second,
and never an invalid plan. The timing test is `slow` (timings on a shared machine belong in
bench/prompt_parse.py, which reports CPU time and the 10K→100K ratio); the property runs always.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.engines.local.prompt import parse_prompt

WORDS = [
    "trim", "the", "first", "last", "5", "seconds", "s", "and", "then", "remove", "silence",
    "mute", "speed", "up", "2x", "slow", "down", "add", "title", '"Hello"', "music", "fade",
    "in", "out", "crop", "to", "square", "vertical", "stabilize", ",", ".", "keep", "from",
    "0:10", "1:05", "cut", "between", "louder", "quieter", "%", "50", "no", "not", "please",
]  # fmt: skip


def _seconds(prompt: str) -> float:
    started = time.process_time()  # CPU time: other processes on the machine do not count
    parse_prompt(prompt)
    return time.process_time() - started


@pytest.mark.slow
@pytest.mark.parametrize(
    "unit",
    ["trim the first 5 seconds and ", "a" * 50 + " ", '"' * 3 + "title ", "1 2 3 4 5 6 ", ", . "],
)
def test_100k_characters_parse_in_under_a_second(unit: str) -> None:
    prompt = (unit * (100_000 // len(unit) + 1))[:100_000]
    assert _seconds(prompt) < 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=400).map(" ".join))
def test_any_prompt_gives_a_plan_quickly(prompt: str) -> None:
    assert _seconds(prompt) < 0.5  # at most ~3K characters here
