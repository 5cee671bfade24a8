"""EditPlan: the explicit, typed description of one local edit.

Minimal version (1080p export only); the prompt-driven editor grows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_LONG_SIDE = 1920


@dataclass(frozen=True)
class EditPlan:
    """Everything the renderer needs to know about an edit, nothing about I/O."""

    long_side: int = DEFAULT_LONG_SIDE
    ignored: tuple[str, ...] = field(default=())
