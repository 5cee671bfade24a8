"""The NemoVideo HTTP client: headers, envelopes, error codes, one retry where it helps.

Everything goes through one injected `httpx.Client` (tests swap its transport). Every
request carries the attribution headers, and the bearer token whenever it goes to the API
host. Answers are unwrapped from their envelope — `{"code": 0, "message"|"msg", "data"}`,
or `{"success": ..., "data"|"error"}` on the render endpoints — and turned into typed
objects (models.py) or into the exceptions of errors.py.

One table serves envelope codes and HTTP statuses alike (`{"code": 429}` with HTTP 200
means what HTTP 429 means); a known service code in the envelope wins over the status:

    429           wait `rate_limit_wait` (cancellable), repeat once, then NemoRateLimited
    400           repeat once with X-Client-Id, then NemoRejected
    402           NemoExportBlocked (fallback_ok)
    401, 1001     refresh the anonymous token and repeat once; NemoTokenRejected at once
                  when NEMO_TOKEN is set
    1002          NemoSessionGone (session.py starts the job over)
    2001          NemoOutOfCredits (pause_engine, fallback_ok)
    5xx           wait `retry_wait`, repeat once, then NemoServerError
    4001, 4002, other   NemoRejected
    connect/DNS failure NemoUnreachable (fallback_ok)

A request refused before the service took it is safe to repeat; that holds for the
prompt too, which is why `edit_stream` reports the moment the stream begins.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from httpx_sse import EventSource, connect_sse

from daemon.config import NemoSettings
from daemon.engines.nemo import constants as C
from daemon.engines.nemo import models
from daemon.engines.nemo.auth import TokenStore
from daemon.engines.nemo.errors import (
    NemoError,
    NemoExportBlocked,
    NemoOutOfCredits,
    NemoRateLimited,
    NemoRejected,
    NemoServerError,
    NemoSessionGone,
    NemoTokenRejected,
    NemoTransientError,
    NemoUnreachable,
    with_code,
)
from daemon.errors import Cancelled

Envelope = Literal["code", "render", "raw"]
RetryKind = Literal["rate_limited", "bad_request", "token", "server"]


class _Retry(Exception):
    """The service refused the call in a way that one repeat may fix; `final` if not."""

    def __init__(self, kind: RetryKind, final: NemoError, wait: float = 0.0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.final = final
        self.wait = wait


@dataclass
class _Attempts:
    """What one logical call has already retried (each kind at most once)."""

    used: set[RetryKind] = field(default_factory=set)
    send_client_id: bool = False
    token: str | None = None


class DuplicateRender(NemoRejected):
    """The service refused a render id it has already seen."""


class NemoClient:
    """Typed calls to the NemoVideo API. Thread-safe as long as the httpx.Client is."""

    def __init__(
        self,
        http: httpx.Client,
        tokens: TokenStore,
        settings: NemoSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.settings = settings
        self._sleep = sleep
        # Each job thread's cancel flag, so a wait before a repeat ends at shutdown.
        self._local = threading.local()

    @contextmanager
    def cancelled_by(self, cancel: threading.Event) -> Iterator[None]:
        """Within the block, waits before a repeat on this thread end when `cancel` is set."""
        previous = getattr(self._local, "cancel", None)
        self._local.cancel = cancel
        try:
            yield
        finally:
            self._local.cancel = previous

    # -- the calls -------------------------------------------------------------------

    def anonymous_token(self, client_id: str) -> models.AnonymousToken:
        data = self._call(
            "POST", C.ANONYMOUS_TOKEN_PATH, auth=False, extra_headers={"X-Client-Id": client_id}
        )
        return models.parse_anonymous_token(data)

    def create_session(self) -> models.SessionInfo:
        body = {"task_name": C.TASK_NAME, "language": self.settings.language}
        return models.parse_session(self._call("POST", C.SESSION_PATH, json=body))

    def upload(self, session_id: str, path: Path) -> tuple[models.UploadedFile, ...] | None:
        """Upload one file as multipart field `files`, streamed from disk.

        Return the files the service describes, or None when its answer lists none (the
        caller confirms the upload from the session state). httpx reads a file object
        given in `files=` chunk by chunk and sends a Content-Length taken from fstat, so the
        file is never held in memory whole; a retry re-reads it from the start.
        """
        content_type = C.UPLOAD_CONTENT_TYPES.get(
            path.suffix.lower().lstrip("."), "application/octet-stream"
        )
        url = C.UPLOAD_PATH.format(session_id=session_id)
        with _LargeReads(path, "rb") as handle:
            # Read as the link drains: a shutdown ends a long upload at its next read.
            handle.cancel = getattr(self._local, "cancel", None)
            data = self._call("POST", url, files={"files": (path.name, handle, content_type)})
        return models.parse_upload(data)

    @contextmanager
    def edit_stream(
        self, session_id: str, prompt: str, on_taken: Callable[[], None]
    ) -> Iterator[EventSource]:
        """Open the /run_sse stream for one prompt and yield its EventSource.

        `on_taken` is called once the service may have taken the prompt: the answer is
        HTTP 200 with an event stream, or no answer came in time. A refusal before that
        (an error status or envelope code, a refused or reset connection) means the agent
        never ran, so it is repeated under the table's rules; after `on_taken`, nothing
        here sends the prompt again.
        """
        body = {
            "app_name": C.APP_NAME,
            "user_id": C.USER_ID,
            "session_id": session_id,
            "new_message": {"parts": [{"text": prompt}]},
        }
        # The read timeout bounds the silence between two chunks; sse.py enforces the
        # 15-minute total and cancellation itself, in between.
        timeout = httpx.Timeout(self.settings.request_timeout, read=self.settings.sse_timeout)
        attempts = _Attempts()
        while True:
            headers = self._headers(auth=True, attempts=attempts)
            refusal: _Retry | None = None
            opened = False
            try:
                with connect_sse(
                    self.http, "POST", C.RUN_SSE_PATH, json=body, headers=headers, timeout=timeout
                ) as source:
                    opened = True
                    try:
                        self._check_stream(source.response)
                    except _Retry as exc:
                        refusal = exc
                    if refusal is None:
                        on_taken()
                        yield source
                        return
            except httpx.TransportError as exc:
                if opened:
                    raise
                if isinstance(exc, httpx.TimeoutException) and not isinstance(
                    exc, httpx.ConnectTimeout
                ):
                    # Sent, and no answer: the agent may be running. Never resend.
                    on_taken()
                    raise self._transport_error(exc) from None
                refusal = self._refused_before_answer(exc)
            self._consume(attempts, refusal)

    def state(self, session_id: str) -> models.SessionState:
        url = C.STATE_PATH.format(session_id=session_id)
        return models.parse_state(self._call("GET", url))

    def start_render(self, render_id: str, session_id: str, draft: Mapping[str, Any]) -> None:
        """Ask for an export. Raise DuplicateRender when the service knows this id already."""
        body = {"id": render_id, "sessionId": session_id, "draft": draft, "output": C.RENDER_OUTPUT}
        self._call("POST", C.RENDER_PATH, json=body, envelope="render")

    def render_status(self, render_id: str) -> models.RenderStatus | None:
        """Return the render's status, or None when the service does not know the id."""
        url = C.RENDER_STATUS_PATH.format(render_id=render_id)
        answer = self._call("GET", url, envelope="raw", missing_ok=True)
        if answer is None:
            return None
        if answer.get("success") is False:
            message = _message(answer, "error")
            if _is_missing(message):
                return None
            raise NemoRejected(f"NemoVideo render status failed: {self._scrub(message)}")
        return models.parse_render_status(answer)

    def download(self, url: str, dest: Path, cancel: threading.Event | None = None) -> int:
        """Stream `url` into `dest`; return the byte count. Raise NemoError on failure."""
        same_host = self._same_host(url)
        attempts = _Attempts()
        headers = self._headers(auth=same_host, attempts=attempts)
        timeout = httpx.Timeout(self.settings.request_timeout)
        try:
            with self.http.stream(
                "GET", url, headers=headers, timeout=timeout, follow_redirects=True
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    self._classify(response)
                written = 0
                with dest.open("wb") as out:
                    for chunk in response.iter_bytes(C.DOWNLOAD_CHUNK):
                        if cancel is not None and cancel.is_set():
                            raise Cancelled
                        out.write(chunk)
                        written += len(chunk)
                return written
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        except _Retry as exc:
            raise exc.final from None

    def download_render(
        self, render_id: str, dest: Path, cancel: threading.Event | None = None
    ) -> int:
        """The fallback download through the API's own proxy."""
        return self.download(C.RENDER_DOWNLOAD_PATH.format(render_id=render_id), dest, cancel)

    def credits(self) -> models.Credits:
        return models.parse_credits(self._call("GET", C.CREDITS_PATH))

    def claim_token(self, task_id: str, session_id: str) -> str:
        body = {"task_id": task_id, "session_id": session_id}
        return models.parse_claim_token(self._call("POST", C.CLAIM_TOKEN_PATH, json=body))

    # -- one call with its retries ---------------------------------------------------

    def _call(
        self,
        method: str,
        url: str,
        *,
        auth: bool = True,
        envelope: Envelope = "code",
        extra_headers: Mapping[str, str] | None = None,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> Any:
        attempts = _Attempts(send_client_id="X-Client-Id" in (extra_headers or {}))
        while True:
            headers = {**self._headers(auth=auth, attempts=attempts), **(extra_headers or {})}
            try:
                response = self.http.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                raise self._transport_error(exc) from None
            try:
                if missing_ok and response.status_code == 404:
                    return None
                return self._unwrap(response, envelope)
            except _Retry as exc:
                self._consume(attempts, exc)

    def _consume(self, attempts: _Attempts, retry: _Retry) -> None:
        """Prepare the one repeat `retry` asks for, or raise its final error."""
        if retry.kind in attempts.used:
            raise retry.final
        attempts.used.add(retry.kind)
        if retry.kind in ("rate_limited", "server"):
            self._wait(retry.wait)
        elif retry.kind == "bad_request":
            if attempts.send_client_id:
                raise retry.final
            attempts.send_client_id = True
        elif not self.tokens.refresh(self.anonymous_token, attempts.token or ""):
            raise retry.final

    def _wait(self, seconds: float) -> None:
        cancel: threading.Event | None = getattr(self._local, "cancel", None)
        if cancel is None:
            self._sleep(seconds)
        elif cancel.wait(seconds):
            raise Cancelled

    def _headers(self, *, auth: bool, attempts: _Attempts) -> dict[str, str]:
        headers = {
            "X-Skill-Source": C.SKILL_SOURCE,
            "X-Skill-Version": C.SKILL_VERSION,
            "X-Skill-Platform": self.settings.platform,
        }
        if auth:
            attempts.token = self.tokens.token(self.anonymous_token)
            headers["Authorization"] = f"Bearer {attempts.token}"
        if attempts.send_client_id:
            headers["X-Client-Id"] = self.tokens.client_id()
        return headers

    # -- answers → data or exceptions ------------------------------------------------

    def _unwrap(self, response: httpx.Response, envelope: Envelope) -> Any:
        body = self._classify(response)
        if body is None:
            raise NemoRejected(
                f"NemoVideo sent an answer that is not JSON (HTTP {response.status_code})"
            )
        if envelope == "raw":
            return body
        if envelope == "render":
            if body.get("success") is False:
                message = self._scrub(_message(body, "error"))
                if "exist" in message.lower() or "duplicate" in message.lower():
                    raise DuplicateRender(f"render id refused as a duplicate: {message}")
                raise NemoRejected(f"NemoVideo refused the export: {message}")
            return body.get("data")
        return body.get("data")

    def _check_stream(self, response: httpx.Response) -> None:
        """Raise for a /run_sse answer that is an error instead of an event stream."""
        content_type = response.headers.get("content-type", "")
        if response.status_code == 200 and "text/event-stream" in content_type:
            return
        response.read()
        self._classify(response)
        raise with_code(
            NemoRejected(
                f"NemoVideo answered the prompt with {content_type or 'no content type'} "
                "instead of an event stream"
            ),
            status=response.status_code,
        )

    def _classify(self, response: httpx.Response) -> Mapping[str, Any] | None:
        """Raise for an error answer; return the JSON body (None if not JSON) otherwise."""
        body = _json(response)
        code = _envelope_code(body)
        status = response.status_code
        if code is None and status < 400:
            return body
        if status in (429, 402) or status >= 500:
            number = status  # these mean the same whatever the body says
        elif code is not None and (code in _SERVICE_CODES or status < 400):
            number = code  # a code the service documents says more than a 4xx status
        else:
            number = status
        detail = self._scrub(_message(body or {}, "message", "msg", "error"))
        self._raise_for(number, detail or response.reason_phrase, status=status)
        return body  # pragma: no cover - _raise_for always raises

    def _raise_for(self, number: int, detail: str, *, status: int) -> None:
        """The one table: raise what envelope code or HTTP status `number` stands for."""
        said = f" ({detail})" if detail else ""
        where = f"HTTP {number}" if number == status else f"code {number}"
        if number == 429:
            wait = self.settings.rate_limit_wait
            final: NemoError = NemoRateLimited(
                f"NemoVideo rate limit ({where}){said}", retry_after=max(wait, 1.0)
            )
            raise _Retry("rate_limited", with_code(final, code=429, status=status), wait)
        if number == 400:
            final = NemoRejected(f"NemoVideo refused the request ({where}){said}")
            raise _Retry("bad_request", with_code(final, code=400, status=status))
        if number in (401, C.CODE_TOKEN_EXPIRED):
            raise _Retry("token", with_code(self._token_rejected(detail), status=status))
        if number == 402:
            raise with_code(
                NemoExportBlocked(
                    f"export blocked on the free plan ({where}): not a credit issue; a registered "
                    "account's plan unlocks it",
                    fallback_ok=True,
                ),
                status=status,
            )
        if number == C.CODE_SESSION_GONE:
            raise NemoSessionGone(f"NemoVideo session not found (1002){said}")
        if number == C.CODE_OUT_OF_CREDITS:
            raise with_code(
                NemoOutOfCredits(detail),
                status=status,
            )
        if number == C.CODE_UNSUPPORTED_FILE:
            raise with_code(
                NemoRejected(f"NemoVideo does not take this file type (4001){said}"), code=number
            )
        if number == C.CODE_FILE_TOO_LARGE:
            raise with_code(NemoRejected(f"file too large for NemoVideo (4002){said}"), code=number)
        if 500 <= number < 600:
            final = NemoServerError(f"NemoVideo server error ({where}){said}")
            raise _Retry("server", with_code(final, status=status), self.settings.retry_wait)
        raise with_code(
            NemoRejected(f"NemoVideo refused the request ({where}){said}"),
            code=number if number != status else None,
            status=status,
        )

    def _token_rejected(self, detail: str) -> NemoError:
        how = (
            f"${C.TOKEN_ENV} was refused; set a valid token"
            if self.tokens.from_env
            else "a fresh anonymous token was refused too"
        )
        return NemoTokenRejected(f"NemoVideo token expired or invalid (1001): {how} ({detail})")

    def _refused_before_answer(self, exc: httpx.TransportError) -> _Retry:
        """A connection refused or reset before any answer: nothing was taken, repeat once."""
        final = self._transport_error(exc)
        if isinstance(final, NemoUnreachable):
            raise final
        return _Retry("server", final, self.settings.retry_wait)

    def _transport_error(self, exc: httpx.TransportError) -> NemoError:
        kind = type(exc).__name__
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            # Where it was looked for (nemo.api_base), so a wrong address is seen at once;
            # scheme, host and port only: nothing that could carry a secret.
            base = self.http.base_url
            where = f"{base.scheme}://{base.host}" + (f":{base.port}" if base.port else "")
            return NemoUnreachable(
                f"NemoVideo unreachable at {where} ({kind}: {self._scrub(str(exc))})",
                fallback_ok=True,
            )
        return NemoTransientError(f"connection to NemoVideo lost ({kind})")

    def _same_host(self, url: str) -> bool:
        target = httpx.URL(url)
        if not target.is_absolute_url:
            return True
        base = self.http.base_url
        return (target.scheme, target.host, target.port) == (base.scheme, base.host, base.port)

    def _scrub(self, text: str) -> str:
        """Remove the token from a message the service (or httpx) wrote, just in case."""
        for secret in self.tokens.known_secrets():
            text = text.replace(secret, "[token]")
        return text


# Codes only the envelope carries; they name the problem better than any HTTP status.
_SERVICE_CODES = frozenset(
    {
        C.CODE_TOKEN_EXPIRED,
        C.CODE_SESSION_GONE,
        C.CODE_OUT_OF_CREDITS,
        C.CODE_UNSUPPORTED_FILE,
        C.CODE_FILE_TOO_LARGE,
    }
)


def _envelope_code(body: Mapping[str, Any] | None) -> int | None:
    """The envelope's error code, or None when it says success or has none."""
    code = None if body is None else body.get("code")
    if code is None or isinstance(code, bool):
        return None
    try:
        number = int(code)
    except (TypeError, ValueError):
        return -1
    return None if number == C.CODE_OK else number


def _json(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, Mapping) else None


def _message(body: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping):
            nested = value.get("message") or value.get("msg")
            if isinstance(nested, str) and nested:
                return nested
    return ""


def _is_missing(message: str) -> bool:
    lowered = message.lower()
    return "not found" in lowered or "not exist" in lowered or "unknown" in lowered


class _LargeReads(io.FileIO):
    """A file that answers httpx's 64 KiB reads with 1 MiB: on a fast link the per-chunk
    overhead of 64 KiB reads caps an upload at about half of what curl sends (measured
    by bench/upload.py); 1 MiB keeps memory flat and the link full."""

    # The job's cancel flag: set, the next read raises Cancelled and httpx drops the
    # request (an upload of a long clip on a slow link took minutes to notice a shutdown).
    cancel: threading.Event | None = None

    def read(self, size: int | None = -1) -> bytes:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled
        if size is not None and size > 0:
            size = max(size, C.UPLOAD_READ_BYTES)
        return super().read(size)
