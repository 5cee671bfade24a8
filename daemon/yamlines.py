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


def load(text: str) -> Any:
    """Parse YAML text into plain values, with LineMap/LineList for collections.

    Raise yaml.YAMLError (with a problem_mark) when the text is not YAML.
    """
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader


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
