"""The documentation parses: rules.example.yaml (also with each commented-out setting
turned on) and every rules.yaml example in the README."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from daemon.config import (
    Config,
    LocalSettings,
    NemoSettings,
    NotifySettings,
    OriginalAction,
    Rule,
    WatchFolder,
    WebSettings,
    parse_config,
)
from daemon.editplan.edits import EditsSpec

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
EXAMPLE = resources.files("daemon").joinpath("rules.example.yaml").read_text(encoding="utf-8")
EXAMPLE_LINES = EXAMPLE.splitlines()

MODELS: tuple[type[BaseModel], ...] = (
    Config,
    WatchFolder,
    Rule,
    OriginalAction,
    LocalSettings,
    NemoSettings,
    NotifySettings,
    WebSettings,
)
KNOWN_KEYS = {name for model in MODELS for name in model.model_fields} - {"source"}

# "# key: value" or "#   key: value   what it does": a documented setting. A sentence that
# happens to start with "word:" has more words after the colon before any wide gap.
DOCUMENTED = re.compile(r"^\s*#\s+([a-z_]+):\s+(\{[^}]*\}|\[[^\]]*\]|\S+)(\s{2,}.*)?$")
# A commented-out setting that turns on by removing "# ".
COMMENTED_SETTING = re.compile(r"^(\s*)# ([a-z_]+):\s+(\{[^}]*\}|\[[^\]]*\]|\S+)(\s{2,}#.*)?$")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_setting(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def uncomment(lines: list[str], at: int) -> str:
    """Turn on the commented setting at line `at`; comment out the sibling it replaces."""
    match = COMMENTED_SETTING.match(lines[at])
    assert match is not None
    indent, key = len(match.group(1)), match.group(2)
    out = list(lines)
    out[at] = lines[at][:indent] + lines[at][indent + 2 :]

    def block_edge(step: int) -> int:
        i = at + step
        while 0 <= i < len(lines):
            line = lines[i]
            # The parent key, or the "- name:" line that opens the list item.
            if _is_setting(line) and _indent(line) < indent:
                return i
            i += step
        return i

    start, end = block_edge(-1), block_edge(1)
    sibling = re.compile(rf"^ {{{indent}}}{key}:")
    for i in range(start + 1, end):
        if i != at and sibling.match(lines[i]):
            out[i] = "# " + lines[i]
            # The sibling's own nested lines go too.
            j = i + 1
            while j < end and (not _is_setting(lines[j]) or _indent(lines[j]) > indent):
                if _is_setting(lines[j]):
                    out[j] = "# " + lines[j]
                j += 1
    return "\n".join(out) + "\n"


def test_example_parses(home: Path) -> None:
    config = parse_config(EXAMPLE, home / ".config" / "videofree" / "rules.yaml")
    assert [w.path for w in config.watch] == [home / "Inbox"]
    assert config.rules
    assert all(r.output.is_relative_to(home) for r in config.rules)


def test_the_example_in_the_repository_root_is_the_packaged_one() -> None:
    root_copy = ROOT / "rules.example.yaml"
    if not root_copy.exists():
        pytest.skip("no rules.example.yaml in the repository root")
    assert root_copy.read_text(encoding="utf-8") == EXAMPLE


# Settings whose own keys are data (paths), not fields.
DATA_KEYS = {"path_map"}


def example_keys() -> set[str]:
    """Every key the example sets or shows: the YAML itself, and each commented-out
    setting turned on (with the keys nested in its value)."""

    def keys(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield str(key)
                if key not in DATA_KEYS:
                    yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    found = set(keys(yaml.safe_load(EXAMPLE)))
    for line in EXAMPLE_LINES:
        if match := COMMENTED_SETTING.match(line):
            found |= set(keys(yaml.safe_load(f"{match.group(2)}: {match.group(3)}")))
        elif match := DOCUMENTED.match(line):
            found.add(match.group(1))  # explained in prose: "#   polling: true   poll …"
    return found


EDITS_KEYS = set(EditsSpec.model_fields)


def test_every_field_is_in_the_example() -> None:
    missing = KNOWN_KEYS - example_keys()
    assert missing == set(), f"fields without a line in rules.example.yaml: {sorted(missing)}"


def test_every_example_key_is_a_real_field() -> None:
    # Keys under `edits:` are EditsSpec's (documented in docs/prompts.md).
    unknown = example_keys() - KNOWN_KEYS - EDITS_KEYS
    assert unknown == set(), f"keys in rules.example.yaml that no model has: {sorted(unknown)}"


def test_every_documented_key_is_a_real_field() -> None:
    documented = {m.group(1) for line in EXAMPLE_LINES if (m := DOCUMENTED.match(line))}
    assert documented, "the pattern found no documented keys: it is broken"
    assert documented <= KNOWN_KEYS, f"documented but unknown: {documented - KNOWN_KEYS}"


COMMENTED = [i for i, line in enumerate(EXAMPLE_LINES) if COMMENTED_SETTING.match(line)]


def test_commented_settings_were_found() -> None:
    assert len(COMMENTED) >= 3


COMMENTED_IDS = [f"line{i + 1}-{EXAMPLE_LINES[i].split(':')[0].strip('# ')}" for i in COMMENTED]


@pytest.mark.parametrize("at", COMMENTED, ids=COMMENTED_IDS)
def test_each_commented_setting_parses_when_turned_on(home: Path, at: int) -> None:
    text = uncomment(EXAMPLE_LINES, at)
    assert text != EXAMPLE
    parse_config(text, home / ".config" / "videofree" / "rules.yaml")


def test_uncomment_replaces_the_sibling() -> None:
    lines = [
        "rules:",
        "  - name: a",
        "    original: keep",
        "    # original: {move_to: x}",
        "  - name: b",
        "    original: keep",
    ]
    assert uncomment(lines, 3).splitlines() == [
        "rules:",
        "  - name: a",
        "#     original: keep",
        "    original: {move_to: x}",
        "  - name: b",
        "    original: keep",
    ]


DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def yaml_blocks() -> list[tuple[str, str]]:
    """Every ```yaml block of the README and docs/*.md, named file:block-number."""
    found = []
    for doc in DOCS:
        if not doc.exists():
            continue
        blocks = re.findall(r"```ya?ml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
        found += [(f"{doc.name}:{i + 1}", block) for i, block in enumerate(blocks)]
    return found


BLOCKS = yaml_blocks()


def test_the_docs_have_yaml_examples() -> None:
    names = {name.split(":")[0] for name, _ in BLOCKS}
    assert {"nemo.md", "prompts.md"} <= names


@pytest.mark.parametrize(("name", "block"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_docs_yaml_examples_parse(home: Path, name: str, block: str) -> None:
    """A block with `rules:` is a whole rules.yaml (watch: defaults); others are YAML."""
    del name
    if re.search(r"^rules:", block, re.M):
        parse_config(block, home / "rules.yaml")
    else:
        yaml.safe_load(block)


def test_slow_tests_exist_and_the_readme_names_their_command() -> None:
    marked = [
        path
        for path in (ROOT / "tests").rglob("test_*.py")
        if "@pytest.mark.slow" in path.read_text(encoding="utf-8")
    ]
    assert marked, "the README promises slow tests: mark the full-size ones"
    assert "`.venv/bin/pytest -m slow`" in README.read_text(encoding="utf-8")
