"""The keyword prefilter only skips rules that could not match: every plan is the same
with it and without it (the whole corpus, and generated prompts and text)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.engines.local import prompt
from daemon.engines.local.prompt import RULES, fold, parse_prompt
from daemon.engines.local.prompt_needs import NEEDS
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


def test_the_stored_words_are_the_rules_words() -> None:
    """prompt_needs.py (read at start instead of parsing ~140 patterns) is current."""
    assert prompt.needs_table() == NEEDS, "rules changed: run python -m daemon.engines.local.prompt"


def test_a_pattern_missing_from_the_table_is_read_from_its_parse_tree() -> None:
    source = r"(?<![\w])(?:zebra\s+(?:crossing|stripes?))(?![\w])"
    assert prompt.needs_key(source) not in NEEDS
    # Every match has "zebra" and one of these; the longer words make the better filter.
    assert prompt._stored_needs(source) == frozenset({"crossing", "stripe"})


def test_rules_compile_only_when_a_prompt_needs_them() -> None:
    """A prompt about speed compiles few rules: the rest stay source text until used."""
    fresh = tuple(prompt._Rule(r.source, r.handler, r.needs) for r in RULES)
    draft = prompt._Draft()
    assert prompt._run(fresh, "speed it up 2x", draft).strip(" \x00") == ""
    assert draft.plan.speed == 2.0
    compiled = [r for r in fresh if "pattern" in vars(r)]
    assert 0 < len(compiled) < len(fresh) / 3
