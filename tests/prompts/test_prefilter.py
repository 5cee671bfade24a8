"""The keyword prefilter only skips rules that could not match: every plan is the same
with it and without it (the whole corpus, and generated prompts and text)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.engines.local.prompt import RULES, fold, parse_prompt
from tests.prompts.test_corpus import ENTRIES
from tests.prompts.test_properties import PROMPTS


@pytest.mark.parametrize("prompt", [e["prompt"] for e in ENTRIES])
def test_corpus_plans_are_the_same_without_the_prefilter(prompt: str) -> None:
    assert parse_prompt(prompt) == parse_prompt(prompt, prefilter=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROMPTS)
def test_generated_prompts_are_the_same_without_the_prefilter(prompt: str) -> None:
    assert parse_prompt(prompt) == parse_prompt(prompt, prefilter=False)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_any_text_is_the_same_without_the_prefilter(text: str) -> None:
    assert parse_prompt(text) == parse_prompt(text, prefilter=False)


def test_every_rule_match_contains_one_of_its_words() -> None:
    """Each rule's words are really in what it matches (checked on the corpus's matches)."""
    checked = 0
    for entry in ENTRIES:
        for rule in RULES:
            for m in rule.pattern.finditer(entry["prompt"]):
                if m.group(0) and rule.needs is not None and "date" not in rule.needs:
                    assert any(w in fold(m.group(0)) for w in rule.needs), (m.group(0), rule)
                    checked += 1
    assert checked > 200


def test_fold_covers_what_ignorecase_matches() -> None:
    """Letters that IGNORECASE matches to an ASCII letter fold to that letter."""
    for cp in range(0x80, 0x30000):
        c = chr(cp)
        if re.fullmatch("[a-z]", c, re.I):
            assert fold(c) in "abcdefghijklmnopqrstuvwxyz", hex(cp)
