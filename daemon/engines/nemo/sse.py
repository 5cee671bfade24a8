"""Read the edit agent's event stream: log what it says, notice how the stream ends.

Each `data:` line is an Agent Development Kit event in camelCase JSON: `content.parts[]`
with `text`, `functionCall`, `functionResponse` or `thought: true`; `errorCode` /
`errorMessage` on failure; or a bare `{"error": "..."}`. There is no done event: the
stream closing is the end. Heartbeats are comment lines (which httpx-sse drops before we
see them) or empty `data:` lines, so liveness is watched on the byte stream underneath.

The prompt is sent by the caller exactly once; nothing here ever sends it again. A stream
that breaks off, times out or says nothing is reported as such, and the caller reads the
session state instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import SSEError

from daemon.engines.nemo import constants as C
from daemon.errors import Cancelled

if TYPE_CHECKING:
    from loguru import Logger

    from daemon.engines.nemo.client import NemoClient

_LOG_TEXT_CHARS = 300


@dataclass(frozen=True)
class AdkEvent:
    """The parts of one agent event that matter to a job."""

    texts: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    error: str | None = None
    error_code: int | str | None = None


@dataclass(frozen=True)
class EditOutcome:
    """How the edit stream went. `broken` when it did not close cleanly."""

    texts: tuple[str, ...]
    broken: bool = False
    error: str | None = None
    error_code: int | str | None = None

    @property
    def last_text(self) -> str | None:
        return self.texts[-1] if self.texts else None


def parse_event(data: str) -> AdkEvent | None:
    """Given one event's data, return the AdkEvent, or None for a heartbeat."""
    if not data.strip():
        return None
    try:
        event = json.loads(data)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, Mapping):
        return None
    if event.get("error"):
        return AdkEvent(error=_text(event["error"]))
    code = event.get("errorCode")
    if code:
        message = event.get("errorMessage")
        return AdkEvent(
            error=str(message) if message else f"agent error {code}", error_code=_code(code)
        )
    texts: list[str] = []
    calls: list[str] = []
    content = event.get("content")
    parts = content.get("parts") if isinstance(content, Mapping) else None
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, Mapping) or part.get("thought"):
            continue
        text = part.get("text")
        if isinstance(text, str) and text.strip():
            texts.append(text.strip())
        call = part.get("functionCall")
        if isinstance(call, Mapping):
            calls.append(str(call.get("name", "?")))
    return AdkEvent(texts=tuple(texts), calls=tuple(calls))


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("message") or value.get("msg") or value)
    return str(value)


def _code(value: Any) -> int | str:
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def one_line(text: str) -> str:
    """A text part squeezed onto one log line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _LOG_TEXT_CHARS else flat[: _LOG_TEXT_CHARS - 1] + "…"


class _Deadline(Exception):
    pass


class _Tap(httpx.SyncByteStream):
    """Calls `beat` for every chunk received, comment-only chunks included."""

    def __init__(self, inner: httpx.SyncByteStream, beat: Callable[[], None]) -> None:
        self._inner = inner
        self._beat = beat

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._beat()
            yield chunk

    def close(self) -> None:
        self._inner.close()


def run_sse(
    client: NemoClient,
    session_id: str,
    prompt: str,
    *,
    log: Logger,
    cancel: threading.Event,
    timeout: float,
    heartbeat_every: float = C.HEARTBEAT_LOG_EVERY,
    clock: Callable[[], float] = time.monotonic,
) -> EditOutcome:
    """Send `prompt` once and follow the stream to its end.

    Return how it ended. Raise Cancelled when `cancel` is set (the caller's
    checkpoint already says the prompt was sent) and NemoError when the service refused
    the request before the stream began.
    """
    started = clock()
    last_said = [started]
    texts: list[str] = []

    def beat() -> None:
        now = clock()
        if cancel.is_set():
            raise Cancelled
        if now - started > timeout:
            raise _Deadline
        if now - last_said[0] >= heartbeat_every:
            log.info("NemoVideo is still working on the edit ({:.0f} min)", (now - started) / 60)
            last_said[0] = now

    with client.edit_stream(session_id, prompt) as source:
        stream = source.response.stream
        if isinstance(stream, httpx.SyncByteStream):
            source.response.stream = _Tap(stream, beat)
        try:
            for sse in source.iter_sse():
                event = parse_event(sse.data)
                if event is None:
                    beat()
                    continue
                if event.error is not None:
                    log.warning("NemoVideo edit failed: {}", one_line(event.error))
                    return EditOutcome(
                        tuple(texts), broken=True, error=event.error, error_code=event.error_code
                    )
                for text in event.texts:
                    log.info("NemoVideo: {}", one_line(text))
                    texts.append(text)
                    last_said[0] = clock()
                for name in event.calls:
                    log.debug("NemoVideo agent calls {}", name)
        except _Deadline:
            log.warning(
                "the edit stream ran past {:.0f} min; reading the session state instead",
                timeout / 60,
            )
            return EditOutcome(tuple(texts), broken=True, error="edit stream timed out")
        except (httpx.TransportError, httpx.StreamError, SSEError) as exc:
            log.warning(
                "the edit stream broke off ({}); reading the session state instead "
                "(the prompt is not sent again)",
                type(exc).__name__,
            )
            return EditOutcome(tuple(texts), broken=True, error=f"stream broke off: {exc}")
    return EditOutcome(tuple(texts))
