"""Intro and outro titles: where and how long they are said in the words before the title
(`edits:` cannot write a title counted from the end, so these are not in corpus.yaml)."""

from __future__ import annotations

import pytest

from daemon.engines.local.prompt import parse_prompt


@pytest.mark.parametrize(
    ("prompt", "text", "start", "end"),
    [
        ('add an outro that says "Thanks for watching"', "Thanks for watching", -3.0, None),
        ('add an outro "Bye" for 5 seconds', "Bye", -5.0, None),
        ('add an end card "Bye"', "Bye", -3.0, None),
        ('put the end title "Fin"', "Fin", -3.0, None),
        ('add an intro "Welcome" for 4 seconds', "Welcome", 0.0, 4.0),
        ('add a 2s title "Hi"', "Hi", 0.0, 2.0),
    ],
)
def test_title_cards(prompt: str, text: str, start: float, end: float | None) -> None:
    plan = parse_prompt(prompt)
    assert plan.ignored == ()
    [title] = plan.titles
    assert (title.text, title.start, title.end, title.position) == (text, start, end, "center")
