"""Property-based tests (hypothesis): the config loader never raises anything but
ConfigError, and output templates never leave their folder (issue 11)."""

from __future__ import annotations

import os
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from daemon.config import TEMPLATE_FIELDS, check_template, parse_config
from daemon.errors import ConfigError
from daemon.rules import NameFields, output_path

FILE = Path("/cfg/rules.yaml")
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["~", "..", "/", "*.mov", "5 s", "1 GB", "keep", "local", "nemo", "{stem}"]),
)
keys = st.sampled_from(
    ["watch", "rules", "name", "glob", "output", "output_name", "prompt", "engine", "fallback",
     "original", "move_to", "settle_seconds", "combine", "edits", "path", "recursive", "notify",
     "state_dir", "concurrency", "min_size", "codec", "local", "nemo", "x"]
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)


def _parse(text: str) -> None:
    try:
        parse_config(text, FILE)
    except ConfigError as exc:
        assert str(exc).startswith("rules.yaml")


@FUZZ
@given(documents)
def test_any_yaml_document_gives_a_config_or_a_config_error(doc: Any) -> None:
    _parse(yaml.safe_dump({"watch": ["/in"], "rules": [doc]} if isinstance(doc, dict) else doc))


@FUZZ
@given(st.dictionaries(keys, documents, max_size=6))
def test_any_top_level_mapping_gives_a_config_or_a_config_error(doc: dict[str, Any]) -> None:
    _parse(yaml.safe_dump(doc))


@FUZZ
@given(st.text(alphabet=string.printable + "&*!|>{}[]é\u2028", max_size=200))
def test_any_text_gives_a_config_or_a_config_error(text: str) -> None:
    _parse(text)


template_parts = st.one_of(
    st.sampled_from([f"{{{f}}}" for f in sorted(TEMPLATE_FIELDS)]),
    st.sampled_from(["/", "..", ".", "-", "~", "$HOME", "%", "{", "}", "{x}", "\\"]),
    st.text(max_size=8),
)
templates = st.lists(template_parts, max_size=8).map(lambda parts: "".join(parts) + ".mp4")
names = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(["..", ".", "/", "a/../../b", "\n", "\x00x", os.fsdecode(b"caf\xe9")]),
)


@FUZZ
@given(templates, names, names)
def test_an_accepted_template_never_leaves_the_output_folder(
    template: str, stem: str, rule: str
) -> None:
    try:
        check_template(template)
    except (PydanticCustomError, ValueError):
        return
    folder = Path("/srv/out")
    when = datetime(2026, 1, 2, tzinfo=UTC)
    fields = NameFields(Path("/in") / f"{stem}.mov", rule, "local", 7, when)
    try:
        target = output_path(folder, template, fields)
    except (ValueError, KeyError, IndexError):
        return
    assert target.is_relative_to(folder)
    assert ".." not in target.relative_to(folder).parts
    assert len(os.fsencode(target.name)) <= 255


@pytest.mark.parametrize("stem", ["x" * 300, "é" * 200, os.fsdecode(b"\xff" * 300)])
def test_a_long_name_is_shortened_to_fit(stem: str) -> None:
    fields = NameFields(Path(f"/in/{stem}.mov"), "r", "local", 1, datetime(2026, 1, 2, tzinfo=UTC))
    target = output_path(Path("/srv/out"), "{stem}-edited.mp4", fields)
    assert len(os.fsencode(target.name)) <= 255
    assert target.name.endswith(".mp4")
