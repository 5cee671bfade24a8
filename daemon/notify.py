"""Notifications: job events → ntfy, a webhook, the desktop, Apprise URLs.

The scheduler's thread only puts the event on a queue (`Notifier.__call__`); one sender
thread batches and sends, so a slow or down target never fails or delays a job. Events
that arrive within `batch` seconds of each other become one summary (100 files copied at
once → one message, not 100). A target that fails is retried a little, then logged.

Pure parts (tested with equality asserts): `compose` (events → Message), `Batcher`,
`ntfy_request`, `webhook_body`, `signature`. I/O: the targets and the sender thread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
from loguru import logger

from daemon.config import WEBHOOK_SECRET_ENV, Config, NotifySettings
from daemon.events import EventKind, JobEvent

# A continuous stream of events still gets a summary at least this often.
MAX_HOLD_SECONDS = 60.0
# A down target is tried again after these pauses, then the message is dropped (logged).
RETRY_DELAYS = (1.0, 4.0)
HTTP_TIMEOUT = httpx.Timeout(10.0)
DESKTOP_TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Videofree-Signature"
USER_AGENT = "videofree"
# A summary names at most this many files of each kind; the rest are counted.
SUMMARY_NAMES = 5

_TAGS = {
    EventKind.DONE: ("white_check_mark",),
    EventKind.FAILED: ("x",),
    EventKind.PAUSED: ("pause_button",),
    EventKind.NOT_UNDERSTOOD: ("question",),
}
# ntfy priorities: 3 default, 4 high (a failure or a pause needs the user).
_PRIORITY = {
    EventKind.DONE: 3,
    EventKind.FAILED: 4,
    EventKind.PAUSED: 4,
    EventKind.NOT_UNDERSTOOD: 3,
}


class NotifyError(Exception):
    """A target refused or could not take a message."""


@dataclass(frozen=True)
class Message:
    """What one notification says, the same for every target."""

    kind: str  # an EventKind, or "summary"
    title: str
    body: str
    tags: tuple[str, ...]
    priority: int
    click: str | None
    events: tuple[JobEvent, ...]


# --- composing (pure) --------------------------------------------------------------------


def _size(n: int | None) -> str:
    if n is None:
        return ""
    return f" ({n / 1e6:.1f} MB)" if n >= 100_000 else f" ({n / 1e3:.0f} kB)"


def _names(events: Sequence[JobEvent]) -> str:
    return ", ".join(e.source.name for e in events)


def compose_one(event: JobEvent) -> Message:
    """The message for one event."""
    names = _names([event])
    if event.kind is EventKind.DONE:
        title, body = f"Done: {names}", f"{event.output}{_size(event.size)}"
    elif event.kind is EventKind.FAILED:
        title, body = f"Failed: {names}", event.error or "unknown error"
    elif event.kind is EventKind.PAUSED:
        title = f"{event.engine} paused"
        body = f"{event.error or 'cannot take jobs now'}"
        if event.link:
            body += f"; more credits: {event.link}"
    else:
        title = f"Some words not understood: {names}"
        body = "ignored: " + "; ".join(f'"{w}"' for w in event.ignored)
    return Message(
        kind=str(event.kind),
        title=title,
        body=body,
        tags=_TAGS[event.kind],
        priority=_PRIORITY[event.kind],
        click=event.link,
        events=(event,),
    )


def compose(events: Sequence[JobEvent]) -> Message:
    """One message for a batch: the event's own for one event, else a summary."""
    if len(events) == 1:
        return compose_one(events[0])
    by_kind = {k: [e for e in events if e.kind is k] for k in EventKind}
    counts = ", ".join(f"{len(v)} {k}" for k, v in by_kind.items() if v)
    lines = []
    for kind, group in by_kind.items():
        if not group:
            continue
        shown = group[:SUMMARY_NAMES]
        more = f" and {len(group) - len(shown)} more" if len(group) > len(shown) else ""
        if kind is EventKind.FAILED:
            detail = "; ".join(f"{e.source.name}: {e.error}" for e in shown)
        elif kind is EventKind.PAUSED:
            detail = "; ".join(f"{e.engine}: {e.error}" for e in shown)
        else:
            detail = _names(shown)
        lines.append(f"{kind}: {detail}{more}")
    worst = max(by_kind, key=lambda k: _PRIORITY[k] if by_kind[k] else 0)
    links = [e.link for e in events if e.link]
    return Message(
        kind="summary",
        title=f"videofree: {len(events)} events ({counts})",
        body="\n".join(lines),
        tags=_TAGS[worst],
        priority=_PRIORITY[worst],
        click=links[0] if links else None,
        events=tuple(events),
    )


@dataclass
class Batcher:
    """Groups events per destination until `batch` seconds pass without a new one
    (or MAX_HOLD_SECONDS since the first). Pure: the caller passes the clock."""

    max_hold: float = MAX_HOLD_SECONDS
    _pending: dict[NotifySettings, list[JobEvent]] = field(default_factory=dict)
    _first: dict[NotifySettings, float] = field(default_factory=dict)
    _last: dict[NotifySettings, float] = field(default_factory=dict)

    def add(self, settings: NotifySettings, event: JobEvent, now: float) -> None:
        self._pending.setdefault(settings, []).append(event)
        self._first.setdefault(settings, now)
        self._last[settings] = now

    def _deadline(self, settings: NotifySettings) -> float:
        return min(self._last[settings] + settings.batch, self._first[settings] + self.max_hold)

    def next_deadline(self) -> float | None:
        return min((self._deadline(s) for s in self._pending), default=None)

    def due(
        self, now: float, *, flush: bool = False
    ) -> list[tuple[NotifySettings, list[JobEvent]]]:
        """Take the batches whose time has come (all of them with `flush`)."""
        ready = [s for s in self._pending if flush or now >= self._deadline(s)]
        out = []
        for s in ready:
            out.append((s, self._pending.pop(s)))
            del self._first[s], self._last[s]
        return out


# --- request shapes (pure) ----------------------------------------------------------------


def event_json(event: JobEvent) -> dict[str, Any]:
    return {
        "event": str(event.kind),
        "job": event.job_id,
        "rule": event.rule.name,
        "engine": event.engine,
        "source": str(event.source),
        "sources": [str(s) for s in event.sources],
        "output": str(event.output) if event.output else None,
        "size": event.size,
        "error": event.error,
        "ignored": list(event.ignored),
        "link": event.link,
    }


def webhook_body(message: Message) -> bytes:
    """One event as its own JSON object; a summary as {"event": "summary", "events": […]}."""
    if message.kind != "summary":
        data = event_json(message.events[0])
    else:
        data = {
            "event": "summary",
            "title": message.title,
            "events": [event_json(e) for e in message.events],
        }
    return json.dumps(data, ensure_ascii=False).encode()


def signature(secret: str, body: bytes) -> str:
    """The webhook signature header value: sha256=<hex HMAC of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def ntfy_request(topic_url: str, message: Message) -> tuple[str, dict[str, Any]]:
    """Given https://ntfy.sh/mytopic, return the server root and ntfy's JSON publish body
    (JSON rather than headers, so titles with any characters arrive intact)."""
    parts = urlsplit(topic_url)
    base, _, topic = parts.path.rstrip("/").rpartition("/")
    if not topic:
        raise NotifyError(f"no topic in the ntfy URL {topic_url}")
    root = urlunsplit((parts.scheme, parts.netloc, base + "/", "", ""))
    body: dict[str, Any] = {
        "topic": topic,
        "title": message.title,
        "message": message.body,
        "tags": list(message.tags),
        "priority": message.priority,
    }
    if message.click:
        body["click"] = message.click
    return root, body


# --- targets (I/O) ------------------------------------------------------------------------


class Target(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver the message. Raise NotifyError, httpx.HTTPError or OSError."""


@dataclass
class NtfyTarget:
    url: str
    client: httpx.Client
    name: str = "ntfy"

    def send(self, message: Message) -> None:
        root, body = ntfy_request(self.url, message)
        self.client.post(root, json=body).raise_for_status()


@dataclass
class WebhookTarget:
    url: str
    client: httpx.Client
    secret: str | None
    name: str = "webhook"

    def send(self, message: Message) -> None:
        body = webhook_body(message)
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        self.client.post(self.url, content=body, headers=headers).raise_for_status()


def session_bus_present(env: dict[str, str]) -> bool:
    """True when a freedesktop session bus can be reached (a desktop session)."""
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = env.get("XDG_RUNTIME_DIR")
    return runtime is not None and runtime != "" and Path(runtime, "bus").exists()


def desktop_argv(message: Message, tools: Callable[[str], str | None]) -> tuple[str, ...] | None:
    """The command that shows `message` on the desktop (notify-send, else gdbus), or None."""
    urgency = "critical" if message.priority >= 5 else "normal"
    if notify_send := tools("notify-send"):
        return (
            notify_send,
            "--app-name=videofree",
            f"--urgency={urgency}",
            "--",
            message.title,
            message.body,
        )
    if gdbus := tools("gdbus"):
        # Notify(app, replaces_id, icon, summary, body, actions, hints, timeout_ms); each
        # argument is GVariant text, and a JSON string literal is a valid GVariant string.
        return (
            gdbus,
            "call",
            "--session",
            "--dest",
            "org.freedesktop.Notifications",
            "--object-path",
            "/org/freedesktop/Notifications",
            "--method",
            "org.freedesktop.Notifications.Notify",
            '"videofree"',
            "0",
            '""',
            json.dumps(message.title),
            json.dumps(message.body),
            "[]",
            "{}",
            "-1",
        )
    return None


@dataclass
class DesktopTarget:
    env: dict[str, str]
    tools: Callable[[str], str | None] = shutil.which
    name: str = "desktop"

    def send(self, message: Message) -> None:
        if not session_bus_present(self.env):
            logger.debug("no desktop session bus; desktop notification skipped")
            return
        argv = desktop_argv(message, self.tools)
        if argv is None:
            logger.debug("neither notify-send nor gdbus found; desktop notification skipped")
            return
        try:
            done = subprocess.run(
                argv, capture_output=True, timeout=DESKTOP_TIMEOUT, env=self.env, check=False
            )
        except subprocess.TimeoutExpired:
            raise NotifyError("the desktop notification service did not answer") from None
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise NotifyError(lines[-1] if lines else f"exit status {done.returncode}")


@dataclass
class AppriseTarget:
    urls: tuple[str, ...]
    name: str = "apprise"

    def send(self, message: Message) -> None:
        try:
            import apprise  # noqa: PLC0415 - an optional extra: videofree[apprise]
        except ImportError:
            raise NotifyError(
                "apprise is not installed: pip install 'videofree[apprise]'"
            ) from None
        sender = apprise.Apprise()
        for url in self.urls:
            sender.add(url)
        if not sender.notify(title=message.title, body=message.body):
            raise NotifyError("apprise could not deliver to every URL")


def targets_for(
    settings: NotifySettings, client: httpx.Client, env: dict[str, str]
) -> list[Target]:
    targets: list[Target] = []
    if settings.ntfy:
        targets.append(NtfyTarget(settings.ntfy, client))
    if settings.webhook:
        targets.append(WebhookTarget(settings.webhook, client, env.get(WEBHOOK_SECRET_ENV)))
    if settings.desktop:
        targets.append(DesktopTarget(env))
    if settings.apprise:
        targets.append(AppriseTarget(settings.apprise))
    return targets


def describe(exc: Exception) -> str:
    """One short line for the log (httpx's status errors span several lines)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# --- the sender thread ----------------------------------------------------------------------


class Notifier:
    """An event listener that sends notifications from its own thread."""

    def __init__(
        self,
        config: Callable[[], Config],
        *,
        client: httpx.Client | None = None,
        env: dict[str, str] | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._config = config
        self._client = client or httpx.Client(
            timeout=HTTP_TIMEOUT, headers={"User-Agent": USER_AGENT}
        )
        self._env = dict(os.environ) if env is None else env
        self._retry_delays = tuple(retry_delays)
        self._queue: queue.Queue[JobEvent] = queue.Queue()
        self._batcher = Batcher()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="videofree-notify", daemon=True)
        self._thread.start()

    def __call__(self, event: JobEvent) -> None:
        if self._config().notify_for(event.rule).has_targets:
            self._queue.put(event)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is pending (one try each) and stop the thread."""
        self._stop.set()
        self._queue.put_nowait(_WAKE)
        self._thread.join(timeout)
        self._client.close()

    def _run(self) -> None:
        while True:
            deadline = self._batcher.next_deadline()
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                arrived = [self._queue.get(timeout=wait)]
            except queue.Empty:
                arrived = []
            stopping = self._stop.is_set()
            if stopping:  # everything published before close() still goes out
                arrived += self._drain()
            for event in arrived:
                if event is not _WAKE:
                    settings = self._config().notify_for(event.rule)
                    self._batcher.add(settings, event, time.monotonic())
            for settings, batch in self._batcher.due(time.monotonic(), flush=stopping):
                self._send(settings, compose(batch))
            if stopping:
                return

    def _drain(self) -> list[JobEvent]:
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out

    def _send(self, settings: NotifySettings, message: Message) -> None:
        for target in targets_for(settings, self._client, self._env):
            self._send_to(target, message)

    def _send_to(self, target: Target, message: Message) -> None:
        delays = () if self._stop.is_set() else self._retry_delays
        for attempt in range(len(delays) + 1):
            try:
                target.send(message)
                return
            except (NotifyError, httpx.HTTPError, OSError) as exc:
                error = describe(exc)
            if attempt < len(delays) and not self._stop.wait(delays[attempt]):
                continue
            break
        logger.warning("{} notification not sent ({}): {}", target.name, message.title, error)


# A marker put on the queue to wake the sender thread at close().
_WAKE: Any = object()
