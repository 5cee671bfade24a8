"""Translate paths between the shared ledger and this machine (`path_map:`).

Workers may mount one share at different places (`/mnt/nas/Inbox` on the NAS,
`/Volumes/Inbox` on a Mac). The ledger stores each path as the *shared* name; a worker
turns it into its local name before reading or writing, and back before queueing.
Pure: prefixes are compared path component by component, never as text, so
`/mnt/nas/Inbox2` is not inside `/mnt/nas/Inbox`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PathMap:
    """Shared path prefix → local path prefix; the longest matching prefix wins."""

    pairs: tuple[tuple[Path, Path], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str]) -> PathMap:
        return cls(tuple((Path(k), Path(v)) for k, v in mapping.items()))

    def to_local(self, path: Path) -> Path:
        """The name on this machine of a path as the ledger has it."""
        return _swap(path, self.pairs)

    def to_shared(self, path: Path) -> Path:
        """The name for the ledger of a path as this machine sees it."""
        return _swap(path, tuple((local, shared) for shared, local in self.pairs))


def _swap(path: Path, pairs: tuple[tuple[Path, Path], ...]) -> Path:
    best: tuple[Path, Path] | None = None
    for src, dst in pairs:
        if path.is_relative_to(src) and (best is None or len(src.parts) > len(best[0].parts)):
            best = (src, dst)
    if best is None:
        return path
    return best[1] / path.relative_to(best[0])
