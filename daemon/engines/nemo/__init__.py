"""The NemoVideo engine: the cloud editor that turns a typed prompt into an edited video.

Layout: constants.py (API facts), errors.py (exception tree), models.py (typed answers),
auth.py (token files), client.py (HTTP + envelopes + error codes), sse.py (the edit
stream), timeline.py (draft → one line), shrink.py (size/type checks, re-encode),
session.py (one job with checkpoints), engine.py (the Engine protocol).
"""

from __future__ import annotations

from daemon.engines.nemo.engine import NemoEngine, create_nemo_engine, credits_summary

__all__ = ["NemoEngine", "create_nemo_engine", "credits_summary"]
