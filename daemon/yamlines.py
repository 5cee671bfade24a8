"""YAML loading that remembers line numbers, so config errors can say `file:line: key`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml


class LineMap(dict[Any, Any]):
    """A mapping that knows its own line and the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:
        result = LineMap()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


# A rules.yaml has a few hundred nodes; aliases that expand past this are a "billion
# laughs" file (a few lines that would become gigabytes in memory and in error messages).
MAX_EXPANDED_NODES = 1_000_000


def load(text: str) -> Any:
    """Parse YAML text into plain values, with LineMap/LineList for collections.

    Raise yaml.YAMLError (with a problem_mark) when the text is not YAML, or when its
    aliases would expand past MAX_EXPANDED_NODES nodes.
    """
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if expanded_size(node) > MAX_EXPANDED_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases expand to more than {MAX_EXPANDED_NODES} values (an alias bomb?)",
                node.start_mark,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded: counted over the
    node graph with a memo, so it costs one visit per distinct node (a cycle counts as
    unbounded)."""
    memo: dict[int, int] = {}
    unbounded = MAX_EXPANDED_NODES + 1

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        if depth > 200:
            return unbounded
        memo[key] = unbounded  # while visiting: a node reached again is a cycle
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        memo[key] = min(total, unbounded)
        return memo[key]

    return size(root, 0)


def locate(root: Any, loc: Sequence[str | int]) -> tuple[int | None, str]:
    """Follow ``loc`` (keys and indexes) into ``root``.

    Given a location such as ("rules", 2, "glob"), return the line of the deepest part that
    exists in the document and a readable key path such as ``rules[2].glob``. Parts that
    are not keys (pydantic's union tags) are skipped.
    """
    node = root
    line: int | None = getattr(root, "line", None)
    path = ""
    for part in loc:
        if isinstance(node, LineMap) and part in node:
            line = node.key_lines.get(part, line)
            path = f"{path}.{part}" if path else str(part)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            path = f"{path}[{part}]"
            node = node[part]
    return line, path


# PyYAML's words for the mistakes people make in a rules.yaml, and what to do instead:
# (its context, or None for any) and the start of its problem → advice, and whether the
# line to show is where the context began (an unclosed quote: where it was opened).
_INDENT_ADVICE = (
    "this line is indented differently from the keys above it: the keys of one mapping line"
    " up (those of a rule under its `name:`)"
)
_YAML_ADVICE: tuple[tuple[str | None, str, str, bool], ...] = (
    (
        "while scanning an alias",
        "",
        'a value that starts with * must be in quotes, e.g. glob: "*.mp4"',
        True,
    ),
    (
        "while scanning a quoted scalar",
        "",
        "this quote is never closed",
        True,
    ),
    (
        "while scanning a simple key",
        "could not find expected ':'",
        "expected `key: value` (with a space after the colon) or a `- ` list item",
        True,
    ),
    (
        None,
        "mapping values are not allowed here",
        'a second ": " on this line: put the value in quotes (prompt: "a: b"), or indent'
        " this line like the key above it",
        False,
    ),
    (
        None,
        "found character '\\t'",
        "a tab: indent YAML with spaces",
        False,
    ),
    (
        None,
        "expected <block end>",
        _INDENT_ADVICE,
        False,
    ),
    (
        None,
        "did not find expected key",
        _INDENT_ADVICE,
        False,
    ),
)


def advice(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """Given PyYAML's error, return what to tell a person (its own words kept, in
    brackets, after the advice) and the line to point at (1-based; None when unknown)."""
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = problem_mark.line + 1 if problem_mark is not None else None
    for want_context, want_problem, words, at_context in _YAML_ADVICE:
        if (want_context is None or context == want_context) and problem.startswith(want_problem):
            if at_context and context_mark is not None:
                line = context_mark.line + 1
            return f"{words} [{problem}]", line
    return problem, line
