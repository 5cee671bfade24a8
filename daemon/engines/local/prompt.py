"""Plain-words prompt → EditPlan. Minimal version; the prompt-driven editor grows it."""

from __future__ import annotations

from daemon.engines.local.edits import EditsSpec
from daemon.engines.local.plan import EditPlan


def plan_from(prompt: str, edits: EditsSpec | None = None) -> EditPlan:
    """Given a rule's prompt and structured edits, return the EditPlan (pure)."""
    del edits
    ignored = (prompt.strip(),) if prompt.strip() else ()
    return EditPlan(ignored=ignored)
