"""Shared builders for the NemoVideo tests: settings, jobs, contexts, answers, SSE bodies."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loguru import logger

from daemon.config import Config, NemoSettings
from daemon.engines.base import JobContext, JobSpec

TOKEN = "nmv_usr_SECRET_TOKEN_1234567890"
TOKEN_2 = "nmv_usr_SECRET_TOKEN_REFRESHED_0987"
ENV_TOKEN = "nmv_usr_ENV_TOKEN_abcdef"

DRAFT: dict[str, Any] = {
    "t": [
        {"tt": 0, "sg": [{"d": 6000}, {"d": 4000}], "m": {"name": "main"}},
        {"tt": 1, "sg": [{"d": 10000}], "m": {"name": "Lo-fi"}},
        {"tt": 7, "sg": [{"d": 3000}], "m": {"text": "Urban Dreams"}},
    ]
}
EMPTY_DRAFT: dict[str, Any] = {"t": [{"tt": 0, "sg": []}]}


def settings(api_base: str = "http://nemo.test", **overrides: Any) -> NemoSettings:
    """Settings with every wait tiny, so the tests take seconds."""
    values: dict[str, Any] = {
        "api_base": api_base,
        "platform": "test-platform",
        "poll_interval": 0.01,
        "render_deadline": 5.0,
        "sse_timeout": 10.0,
        "request_timeout": 10.0,
        "rate_limit_wait": 0.01,
        "change_deadline": 1.0,
        "retry_wait": 0.01,
    }
    values.update(overrides)
    return NemoSettings(**values)


@dataclass(frozen=True)
class ConfiguredJob(JobSpec):
    """A job with the config it was made from: these tests build the engine from it (the
    daemon builds engines from its own config; a JobSpec carries none)."""

    config: Config


def make_job(
    tmp_path: Path,
    sources: list[Path],
    *,
    prompt: str = "add lo-fi music and a title",
    nemo: NemoSettings | None = None,
    job_id: int = 1,
    **rule: Any,
) -> ConfiguredJob:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "out").mkdir(exist_ok=True)
    config = Config.model_validate(
        {
            "watch": [{"path": str(tmp_path / "inbox")}],
            "state_dir": str(tmp_path / "state"),
            "engine": "nemo",
            "nemo": (nemo or settings()).model_dump(),
            "rules": [
                {
                    "name": "phone",
                    "glob": "*.mp4",
                    "prompt": prompt,
                    "output": str(tmp_path / "out"),
                    "engine": "nemo",
                    **rule,
                }
            ],
        }
    )
    return ConfiguredJob(job_id=job_id, sources=tuple(sources), rule=config.rules[0], config=config)


class Saved:
    """A checkpoint store like the ledger's: the last saved dict, and every save."""

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self.history: list[dict[str, Any]] = []
        self.last: dict[str, Any] = dict(initial or {})

    def __call__(self, checkpoint: dict[str, Any]) -> None:
        # A JSON round trip, as the ledger stores it: a non-JSON value would fail here.
        self.last = json.loads(json.dumps(checkpoint))
        self.history.append(self.last)


def make_ctx(
    tmp_path: Path,
    saved: Saved | None = None,
    *,
    job_id: int = 1,
    cancel: threading.Event | None = None,
    progress: list[float] | None = None,
) -> tuple[JobContext, Saved]:
    store = saved or Saved()
    (tmp_path / "out").mkdir(parents=True, exist_ok=True)
    progress_list = progress if progress is not None else []
    ctx = JobContext(
        scratch=tmp_path / "out" / f".job{job_id}.part.mp4",
        log=logger.bind(job=job_id),
        checkpoint=dict(store.last),
        save_checkpoint=store,
        progress=progress_list.append,
        cancel=cancel or threading.Event(),
    )
    return ctx, store


@contextmanager
def captured_logs(level: str = "DEBUG") -> Iterator[list[str]]:
    """Every loguru line (message and bound extras) written inside the block."""
    lines: list[str] = []
    sink = logger.add(
        lambda m: lines.append(str(m)), level=level, format="{level} {message} {extra} {exception}"
    )
    try:
        yield lines
    finally:
        logger.remove(sink)


def ok(data: Any, *, key: str = "message") -> dict[str, Any]:
    return {"code": 0, key: "success", "data": data}


def fail(code: int, message: str = "error", *, key: str = "message") -> dict[str, Any]:
    return {"code": code, key: message, "data": None}


def text_event(text: str) -> dict[str, Any]:
    return {"content": {"role": "model", "parts": [{"text": text}]}, "author": "nemo_agent"}


def call_event(name: str) -> dict[str, Any]:
    return {"content": {"parts": [{"functionCall": {"name": name, "args": {}}}]}}


def thought_event(text: str) -> dict[str, Any]:
    return {"content": {"parts": [{"text": text, "thought": True}]}}


def sse_lines(*events: dict[str, Any] | str) -> bytes:
    """An SSE body: dicts become `data:` events, strings are written as they are
    (use ': ping\\n\\n' for a comment heartbeat, 'data:\\n\\n' for an empty one)."""
    out = []
    for event in events:
        out.append(event if isinstance(event, str) else f"data: {json.dumps(event)}\n\n")
    return "".join(out).encode()
