"""`python -m daemon` does what the `videofree` console script does."""

from __future__ import annotations

from daemon.cli import entry

entry()
