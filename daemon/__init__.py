"""videofree: a hands-off video inbox daemon."""

from __future__ import annotations

__version__ = "0.1.0"
