"""Every everyday prompt in corpus.yaml gives exactly its written plan, and nothing it did
not understand is hidden (nor anything it did understand reported)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.editplan.edits import EditsSpec
from daemon.editplan.plan import EditPlan
from daemon.engines.local.prompt import parse_prompt

CORPUS = Path(__file__).with_name("corpus.yaml")
ENTRIES: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def phrase(reported: str) -> str:
    """A report without its reason: 'add music (no music file …)' → 'add music'."""
    if reported.endswith(")") and " (" in reported:
        return reported[: reported.index(" (")]
    return reported


def test_the_corpus_is_big_enough_and_has_no_duplicates() -> None:
    prompts = [e["prompt"] for e in ENTRIES]
    assert len(prompts) >= 150
    assert len(set(prompts)) == len(prompts)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["prompt"] for e in ENTRIES])
def test_prompt_gives_its_plan(entry: dict[str, Any]) -> None:
    assert set(entry) <= {"prompt", "edits", "not_understood", "refused"}
    expected = EditsSpec.model_validate(entry.get("edits") or {}).apply(EditPlan())
    got = parse_prompt(entry["prompt"])
    assert replace(got, ignored=()) == expected
    assert [phrase(r) for r in got.ignored] == entry.get("not_understood", [])
    # A refusal says why: nothing was done for those words, and the report gives the reason.
    assert [phrase(r) for r in got.ignored if phrase(r) != r] == entry.get("refused", [])


def test_every_refusal_says_why() -> None:
    """What is reported because it cannot be done carries its reason in parentheses."""
    for entry in ENTRIES:
        for reported in parse_prompt(entry["prompt"]).ignored:
            if "(" in reported:
                assert reported.endswith(")") and len(reported) > len(phrase(reported)) + 10
