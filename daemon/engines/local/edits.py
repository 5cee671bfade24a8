"""Structured `edits:` in rules.yaml: the YAML form of an EditPlan.

Minimal version; the prompt-driven editor grows it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EditsSpec(BaseModel):
    """The `edits:` mapping of a rule. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
