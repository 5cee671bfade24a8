"""The reliability suite shares the e2e fixtures (real daemon processes)."""

from __future__ import annotations

from tests.e2e.conftest import daemons

__all__ = ["daemons"]
