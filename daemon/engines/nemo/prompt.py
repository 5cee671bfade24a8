"""What of a rule's prompt goes to the edit agent: the edit, without the export request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from daemon.engines.nemo import constants as C

_EXPORT = re.compile(C.EXPORT_PHRASES, re.IGNORECASE)
# What a removed phrase leaves behind at the ends: ", and", a dangling comma, a full stop.
_LOOSE_ENDS = re.compile(r"^[\s,;.]+|(?:[\s,;]+(?:and|then)?)*[\s,;.]*$", re.IGNORECASE)


@dataclass(frozen=True)
class EditPrompt:
    """`text` goes over SSE (empty: nothing to edit, go straight to export); `stripped`
    lists the export phrases taken out, for the debug log."""

    text: str
    stripped: tuple[str, ...]


def edit_prompt(prompt: str) -> EditPrompt:
    """Given a rule's prompt, return the part that asks for an edit.

    The service routes "export", "download" and "send me the video" to the render call and
    never to the agent, so those phrases (with the words that belong to them, "export this
    in 1080p") are removed.
    """
    stripped = tuple(m.group(0).strip() for m in _EXPORT.finditer(prompt) if m.group(0).strip())
    text = _EXPORT.sub(" ", prompt)
    text = re.sub(r"\s+([,;.])", r"\1", re.sub(r"\s+", " ", text))
    text = re.sub(r",(?:\s*,)+", ",", text)
    return EditPrompt(text=_LOOSE_ENDS.sub("", text).strip(), stripped=stripped)
