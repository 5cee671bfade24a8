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

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource, SSEError

from daemon.engines.nemo import constants as C
from daemon.errors import Cancelled, JobError

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


class _Tap(httpx.SyncByteStream):
    """Calls `beat` for every chunk received, comment-only chunks included, and
    `closing` before the stream is closed (which hands its connection back to the pool)."""

    def __init__(
        self, inner: httpx.SyncByteStream, beat: Callable[[], None], closing: Callable[[], None]
    ) -> None:
        self._inner = inner
        self._beat = beat
        self._closing = closing

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._beat()
            yield chunk

    def close(self) -> None:
        self._closing()
        self._inner.close()


class _Reader(threading.Thread):
    """Reads the stream on its own thread and hands what it sees to the job's thread.

    A blocking read cannot watch a deadline or a cancel flag; the job's thread does that,
    and ends a read that waits on a silent server by shutting its socket down.
    """

    def __init__(self, client: NemoClient, session_id: str, prompt: str) -> None:
        super().__init__(name="nemo-sse", daemon=True)
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._client = client
        self._session_id = session_id
        self._prompt = prompt
        self._stop_reading = threading.Event()
        # The stream's socket while this thread reads it, else None. Once the stream is
        # read to its end its connection goes back to httpx's pool and may carry another
        # job's request: `stop` must never shut it down then, so the socket is forgotten
        # (under the lock) before the response is released.
        self._socket: socket.socket | None = None
        self._socket_lock = threading.Lock()

    def run(self) -> None:
        try:
            with self._client.edit_stream(
                self._session_id, self._prompt, lambda: self.items.put(("taken", None))
            ) as source:
                with self._socket_lock:
                    self._socket = _socket_of(source.response)
                try:
                    self._read(source)
                finally:
                    self._forget_socket()
            self.items.put(("end", None))
        except Exception as exc:
            self.items.put(("error", exc))

    def _forget_socket(self) -> None:
        with self._socket_lock:
            self._socket = None

    def _read(self, source: EventSource) -> None:
        stream = source.response.stream
        if isinstance(stream, httpx.SyncByteStream):
            # httpx closes the response as soon as the last byte is read, inside
            # iter_sse: the tap forgets the socket before that close releases it.
            source.response.stream = _Tap(
                stream, lambda: self.items.put(("beat", None)), self._forget_socket
            )
        for sse in source.iter_sse():
            if self._stop_reading.is_set():
                return
            self.items.put(("event", sse.data))

    def stop(self) -> None:
        """End a read still waiting on the server; wait a moment for the thread to notice."""
        self._stop_reading.set()
        with self._socket_lock:
            if self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)
        self.join(timeout=1.0)


def _socket_of(response: httpx.Response) -> socket.socket | None:
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    return sock if isinstance(sock, socket.socket) else None


def run_sse(
    client: NemoClient,
    session_id: str,
    prompt: str,
    *,
    log: Logger,
    cancel: threading.Event,
    timeout: float,
    on_taken: Callable[[], None],
    heartbeat_every: float = C.HEARTBEAT_LOG_EVERY,
    check_every: float = C.SSE_CHECK_EVERY,
    clock: Callable[[], float] = time.monotonic,
) -> EditOutcome:
    """Send `prompt` once and follow the stream to its end.

    `on_taken` is called (on this thread) once the service may have taken the prompt.
    Return how the stream ended. Raise Cancelled when `cancel` is set and NemoError
    when the service refused the request before taking it. The deadline and `cancel` are
    checked every `check_every` seconds whether or not the server sends anything.
    """
    reader = _Reader(client, session_id, prompt)
    follow = _Follow(log, on_taken, clock, heartbeat_every)
    reader.start()
    try:
        while True:
            if cancel.is_set():
                follow.settle(reader)
                raise Cancelled
            if clock() - follow.started > timeout:
                follow.settle(reader)
                log.warning(
                    "the edit stream ran past {:.0f} min; reading the session state instead",
                    timeout / 60,
                )
                return follow.outcome(broken=True, error="edit stream timed out")
            try:
                kind, value = reader.items.get(timeout=check_every)
            except queue.Empty:
                follow.still_working()
                continue
            done = follow.take(kind, value)
            if done is not None:
                return done
    finally:
        reader.stop()


class _Follow:
    """What the job's thread makes of the reader's items."""

    def __init__(
        self,
        log: Logger,
        on_taken: Callable[[], None],
        clock: Callable[[], float],
        heartbeat_every: float,
    ) -> None:
        self.log = log
        self.on_taken = on_taken
        self.clock = clock
        self.heartbeat_every = heartbeat_every
        self.started = clock()
        self.last_said = self.started
        self.texts: list[str] = []
        self.taken = False

    def outcome(self, **how: Any) -> EditOutcome:
        return EditOutcome(tuple(self.texts), **how)

    def still_working(self) -> None:
        now = self.clock()
        if now - self.last_said >= self.heartbeat_every:
            self.log.info(
                "NemoVideo is still working on the edit ({:.0f} min)", (now - self.started) / 60
            )
            self.last_said = now

    def settle(self, reader: _Reader) -> None:
        """Before giving up on the stream: if the prompt was, or may have been, taken, say so."""
        reader.stop()
        while not reader.items.empty():
            if reader.items.get_nowait()[0] == "taken":
                self._mark_taken()
        if reader.is_alive():
            # Still waiting for the answer to the prompt: it may have been taken.
            self._mark_taken()

    def _mark_taken(self) -> None:
        if not self.taken:
            self.taken = True
            self.on_taken()

    def take(self, kind: str, value: Any) -> EditOutcome | None:
        """Handle one item; return the outcome when the stream is over."""
        if kind == "taken":
            self._mark_taken()
        elif kind == "beat":
            self.still_working()
        elif kind == "end":
            return self.outcome()
        elif kind == "error":
            return self._failed(value)
        elif kind == "event":
            return self._event(str(value))
        return None

    def _event(self, data: str) -> EditOutcome | None:
        event = parse_event(data)
        if event is None:
            self.still_working()
            return None
        if event.error is not None:
            self.log.warning("NemoVideo edit failed: {}", one_line(event.error))
            return self.outcome(broken=True, error=event.error, error_code=event.error_code)
        for text in event.texts:
            self.log.info("NemoVideo: {}", one_line(text))
            self.texts.append(text)
            self.last_said = self.clock()
        for name in event.calls:
            self.log.debug("NemoVideo agent calls {}", name)
        return None

    def _failed(self, exc: Exception) -> EditOutcome:
        if not self.taken:
            raise exc
        if not isinstance(exc, httpx.TransportError | httpx.StreamError | SSEError | JobError):
            raise exc
        self.log.warning(
            "the edit stream broke off ({}); reading the session state instead "
            "(the prompt is not sent again)",
            type(exc).__name__,
        )
        return self.outcome(broken=True, error=f"stream broke off: {exc}")
