"""Typed answers of the NemoVideo API, parsed from its JSON as they arrive.

Each `parse_*` takes the `data` part of an answer (already unwrapped from its envelope)
and returns a frozen dataclass, or raises NemoRejected when a field the workflow needs
is missing, so a changed API fails with a readable reason instead of a KeyError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from daemon.engines.nemo.errors import NemoRejected

RenderState = Literal["pending", "processing", "completed", "failed"]
_RENDER_STATES: frozenset[str] = frozenset({"pending", "processing", "completed", "failed"})


@dataclass(frozen=True)
class AnonymousToken:
    """A 7-day anonymous token. `repr` leaves the token out so it can never be logged."""

    token: str = field(repr=False)
    expires_at: str | None = None
    credits: float | None = None
    # The anonymous user's id, for the registration link's `?bind=` (2001).
    user_id: str | None = None


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    task_id: str


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


@dataclass(frozen=True)
class SessionState:
    """The session's latest state. `draft` is kept as the service's JSON: it goes back
    verbatim in the render request."""

    draft: Mapping[str, Any] | None
    video_infos: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class RenderStatus:
    status: RenderState
    progress: float | None = None
    output_url: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Credits:
    available: float
    frozen: float
    total: float


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise NemoRejected(f"NemoVideo sent an unexpected answer: {what} is missing")
    return value


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise NemoRejected(f"NemoVideo sent an unexpected answer: {what}.{key} is missing")
    return value


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _int(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def parse_anonymous_token(data: object) -> AnonymousToken:
    body = _mapping(data, "data")
    expires = body.get("expires_at")
    return AnonymousToken(
        token=_str(body, "token", "data"),
        expires_at=str(expires) if expires is not None else None,
        credits=_number(body.get("credits")),
        user_id=_first_str(body, "user_id", "userId", "uid", "id"),
    )


def _first_str(body: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def parse_session(data: object) -> SessionInfo:
    body = _mapping(data, "data")
    return SessionInfo(
        session_id=_str(body, "session_id", "data"), task_id=_str(body, "task_id", "data")
    )


def parse_upload(data: object) -> tuple[UploadedFile, ...] | None:
    """The files an upload answer describes; None when it lists none (data.files absent),
    which the caller settles by reading the session state."""
    body = data if isinstance(data, Mapping) else {}
    files = body.get("files")
    if not isinstance(files, list) or not files:
        return None
    return tuple(
        UploadedFile(
            filename=str(f.get("filename", "")),
            duration=_number(f.get("duration")),
            width=_int(f.get("width")),
            height=_int(f.get("height")),
            fps=_number(f.get("fps")),
        )
        for f in files
        if isinstance(f, Mapping)
    )


def parse_state(data: object) -> SessionState:
    body = _mapping(data, "data")
    state = _mapping(body.get("state"), "data.state")
    draft = state.get("draft")
    infos = state.get("video_infos")
    return SessionState(
        draft=draft if isinstance(draft, Mapping) else None,
        video_infos=tuple(i for i in infos if isinstance(i, Mapping))
        if isinstance(infos, list)
        else (),
    )


def parse_render_status(answer: Mapping[str, Any]) -> RenderStatus:
    """Given a whole render-status answer, return its RenderStatus.

    The service has answered in two shapes, both accepted: the status in `data` with the
    URL in `data.outputUrl`, or the status at the top level with the URL in `output.url`.
    """
    data = answer.get("data")
    inner: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    source = inner if "status" in inner else answer
    status = str(source.get("status", "")).lower()
    if status not in _RENDER_STATES:
        raise NemoRejected(f"NemoVideo sent an unknown render status {status!r}")
    progress = _number(source.get("progress"))
    if progress is not None:
        progress = max(0.0, min(100.0, progress))
    return RenderStatus(
        status=status,  # type: ignore[arg-type]  # checked against _RENDER_STATES above
        progress=progress,
        output_url=_output_url(inner) or _output_url(answer),
        error=_error_text(source.get("error")) or _error_text(answer.get("error")),
    )


def _output_url(body: Mapping[str, Any]) -> str | None:
    url = body.get("outputUrl")
    if isinstance(url, str) and url:
        return url
    output = body.get("output")
    if isinstance(output, Mapping):
        nested = output.get("url")
        if isinstance(nested, str) and nested:
            return nested
    return None


def _error_text(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping):
        message = value.get("message") or value.get("msg")
        return str(message) if message else None
    return None


def parse_credits(data: object) -> Credits:
    body = _mapping(data, "data")
    values = {key: _number(body.get(key)) for key in ("available", "frozen", "total")}
    if values["available"] is None:
        raise NemoRejected("NemoVideo sent an unexpected answer: data.available is missing")
    return Credits(
        available=values["available"],
        frozen=values["frozen"] or 0.0,
        total=values["total"] if values["total"] is not None else values["available"],
    )


def parse_claim_token(data: object) -> str:
    return _str(_mapping(data, "data"), "claim_token", "data")
