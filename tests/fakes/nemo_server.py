"""A NemoVideo-like HTTP server on 127.0.0.1, for tests and benchmarks.

Written from the service's own API text, not from our client: request bodies are
validated (task_name; app_name, user_id, session_id, new_message; id, sessionId, draft,
output), an upload puts the clip on the draft at once, a silent or broken stream shows its
edit in the state only `edit_delay` seconds later, render status is at the top level with
`output.url`, and each prompt costs credits (2001 before the stream when they run out).
Real sockets, a real streamed multipart upload (parsed as it arrives, never held whole),
a real SSE stream (chunked, with comment heartbeats), renders that move from pending to
completed over several polls, and a real MP4 to download. `fail` queues answers for one
path: `{"/run_sse": [503, "code:429", "reset"]}` (an HTTP status, an envelope code with
HTTP 200, or a connection closed before any byte). Faults are switched on through
`FakeNemo.faults` (same process) or `POST /_fake/faults` (another process); everything it
saw is in `FakeNemo.stats()` or `GET /_fake/stats`.

    with FakeNemo() as nemo:                      # or start_fake_nemo(port=0)
        nemo.faults.sse = "broken"
        ... NemoSettings(api_base=nemo.url) ...
        assert nemo.stats()["prompts"] == {"1000": 1}

    python -m tests.fakes.nemo_server --port 8765 [--sse silent] [--render-polls 3] ...
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import secrets
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

SKILL_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
_CHUNK = 64 * 1024


@dataclass
class Faults:
    """What the fake does wrong. Every field can be set from JSON or the command line."""

    # normal: heartbeats then text; heartbeats: many comment lines first; silent: heartbeats
    # and no text (the stream just closes); broken: the stream breaks off mid-event;
    # error: an ADK errorCode event (see sse_error_code).
    sse: str = "normal"
    sse_heartbeats: int = 2
    sse_delay: float = 0.0
    sse_error_code: str = "2001"
    # The next N requests (any API path) are answered 429.
    rate_limit_next: int = 0
    # The next authenticated request gets 1001 and its token stops being valid.
    expire_token_next: bool = False
    # Sessions answer 1002 on their state after this many reads (0: never).
    lose_session_after_state_reads: int = 0
    # Polls before a render completes; its shape: "top" (status and output.url at the top
    # level, as documented) or "data" (data.outputUrl, as seen once).
    render_polls: int = 3
    render_shape: str = "top"
    render_fail: bool = False
    # The first N renders end `failed`.
    render_fail_first: int = 0
    # Answers queued per path prefix, used up one per matching request (see the docstring).
    fail: dict[str, list[Any]] = field(default_factory=dict)
    # Seconds the fake waits between 64 KiB reads of an upload (a slow link).
    upload_read_delay: float = 0.0
    # An upload puts the clip on the draft at once, as a real upload does.
    upload_fills_draft: bool = True
    # The upload answer lists data.files (False: `{"code": 0, "data": {}}`).
    upload_lists_files: bool = True
    # A silent or broken stream's edit shows in the state this many seconds after it ends.
    edit_delay: float = 2.0
    # The edit leaves the draft exactly as it was.
    edit_noop: bool = False
    # What one prompt costs.
    edit_cost: float = 50.0
    export_402: bool = False
    # The first render id is refused as a duplicate.
    duplicate_render_once: bool = False
    # The edit leaves the draft without segments.
    empty_draft: bool = False
    # The outputUrl answers 404, so the client must use the proxy download.
    break_output_url: bool = False
    credits_available: float = 100.0


@dataclass
class _Session:
    session_id: str
    task_id: str
    uploads: list[dict[str, Any]] = field(default_factory=list)
    prompts: int = 0
    draft: dict[str, Any] = field(default_factory=lambda: {"t": []})
    state_reads: int = 0
    language: str = ""
    edits: int = 0
    edit_at: float | None = None
    credits_spent: float = 0.0


@dataclass
class _Render:
    render_id: str
    session_id: str
    edited: bool
    polls: int = 0
    fails: bool = False


class FakeNemo:
    """The server, its recorded traffic and its faults."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        media: Path | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.faults = faults or Faults()
        self.lock = threading.RLock()
        self._tmp = tempfile.TemporaryDirectory(prefix="fake-nemo-")
        self.media = media or _default_media(Path(self._tmp.name))
        self.requests: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.issued: list[str] = []
        self.sessions: dict[str, _Session] = {}
        self.renders: dict[str, _Render] = {}
        self.refused_renders: list[str] = []
        self.claims: list[dict[str, Any]] = []
        self.refused: list[dict[str, Any]] = []
        self.anonymous_user_id = "anon-" + secrets.token_hex(4)
        self._next_session = 1000
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeNemo:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            name="fake-nemo",
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._tmp.cleanup()

    def __enter__(self) -> FakeNemo:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        """Everything the fake saw, as JSON-able data."""
        with self.lock:
            return {
                "requests": list(self.requests),
                "prompts": {s.session_id: s.prompts for s in self.sessions.values() if s.prompts},
                "renders": dict(Counter(r.session_id for r in self.renders.values())),
                "render_ids": list(self.renders),
                "renders_of_unedited_drafts": [
                    r.render_id for r in self.renders.values() if not r.edited
                ],
                "failed_renders": [r.render_id for r in self.renders.values() if r.fails],
                "credits_spent": {
                    s.session_id: s.credits_spent for s in self.sessions.values() if s.prompts
                },
                "refused": list(self.refused),
                "refused_renders": list(self.refused_renders),
                "uploads": [u for s in self.sessions.values() for u in s.uploads],
                "sessions": list(self.sessions),
                "tokens_issued": len(self.issued),
                "claims": list(self.claims),
            }

    def requests_missing_headers(self) -> list[dict[str, Any]]:
        """Requests that lacked the attribution headers, or the bearer (token call aside)."""
        missing = []
        for r in self.requests:
            headers = r["headers"]
            lacks = [h for h in SKILL_HEADERS if not headers.get(h.lower())]
            if r["path"] != "/api/auth/anonymous-token" and not headers.get(
                "authorization", ""
            ).startswith("Bearer "):
                lacks.append("Authorization")
            if lacks:
                missing.append({"path": r["path"], "missing": lacks})
        return missing

    # -- state changes, called from the handler under the lock -------------------------

    def new_token(self) -> str:
        token = "nmv_usr_" + secrets.token_hex(12)
        self.tokens.add(token)
        self.issued.append(token)
        return token

    def new_session(self) -> _Session:
        sid = str(self._next_session)
        self._next_session += 1
        session = _Session(session_id=sid, task_id=f"task-{sid}")
        self.sessions[sid] = session
        return session


def _default_media(folder: Path) -> Path:
    from tests.mediagen import make_clip

    return make_clip(folder / "render.mp4", duration=1.0, size=(160, 120))


def _uploaded_draft(session: _Session) -> dict[str, Any]:
    """What an upload makes of the timeline: the clips on the video track, nothing else."""
    return {
        "t": [{"tt": 0, "sg": [{"d": 2000, "m": {"src": u["filename"]}} for u in session.uploads]}]
    }


def _edited_draft(session: _Session) -> dict[str, Any]:
    total = 2000 * max(1, len(session.uploads))
    return {
        "t": [
            {
                "tt": 0,
                "sg": [
                    {"d": 1800, "m": {"src": u["filename"], "trim": 200}} for u in session.uploads
                ],
            },
            {"tt": 1, "sg": [{"d": total}], "m": {"name": "Lo-fi", "edit": session.edits}},
            {"tt": 7, "sg": [{"d": min(total, 3000)}], "m": {"text": "Title"}},
        ]
    }


def _apply_edit(fake: FakeNemo, session: _Session) -> None:
    """Under the lock: the agent's edit lands on the draft."""
    session.edit_at = None
    if fake.faults.edit_noop:
        return
    session.edits += 1
    session.draft = (
        {"t": [{"tt": 0, "sg": []}]} if fake.faults.empty_draft else _edited_draft(session)
    )


def _is_edited(draft: Any) -> bool:
    tracks = draft.get("t") if isinstance(draft, dict) else None
    return any(
        isinstance(t, dict) and isinstance(t.get("m"), dict) and "edit" in t["m"]
        for t in tracks or []
    )


class _Handler(BaseHTTPRequestHandler):
    fake: ClassVar[FakeNemo]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's traffic is in stats(), not on stderr."""

    # -- plumbing ----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        path = self.path.split("?")[0]
        if path.startswith("/_fake/"):
            self._control(method, path)
            return
        with fake.lock:
            fake.requests.append(
                {
                    "method": method,
                    "path": path,
                    "peer": self.client_address[1],  # which client connection carried it
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            if fake.faults.rate_limit_next > 0:
                fake.faults.rate_limit_next -= 1
                self._drain()
                self._json({"code": 429, "message": "too many requests"}, status=429)
                return
            planned = _next_planned(fake.faults.fail, path)
        if planned is not None:
            self._planned(path, planned)
            return
        if path == "/api/auth/anonymous-token" and method == "POST":
            self._drain()
            self._anonymous_token()
            return
        if not self._authorized():
            return
        for (m, prefix), name in _ROUTES:
            if m == method and path.startswith(prefix):
                getattr(self, name)(path)
                return
        self._drain()
        self._json({"code": 404, "message": f"no route {method} {path}"}, status=404)

    def _planned(self, path: str, answer: Any) -> None:
        """Answer with a queued fault: an HTTP status, "code:N" with HTTP 200, or "reset"."""
        self._drain()
        with self.fake.lock:
            self.fake.refused.append({"path": path, "answer": answer})
        if answer == "reset":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        text = str(answer)
        if text.startswith("code:"):
            code = int(text.removeprefix("code:"))
            self._json({"code": code, "message": f"fake code {code}", "data": None})
            return
        status = int(text)
        self._json({"code": status, "message": f"fake HTTP {status}", "data": None}, status=status)

    def _bad_request(self, why: str) -> None:
        self._json({"code": 400, "message": f"invalid request: {why}", "data": None}, 400)

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        with self.fake.lock:
            valid = token in self.fake.tokens
            if valid and self.fake.faults.expire_token_next:
                self.fake.faults.expire_token_next = False
                self.fake.tokens.discard(token)
                valid = False
        if not valid:
            self._drain()
            self._json({"code": 1001, "message": "token expired or invalid", "data": None})
            return False
        return True

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(_CHUNK, length))
            if not got:
                break
            length -= len(got)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return {}
        return body if isinstance(body, dict) else {}

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _ok(self, data: Any) -> None:
        self._json({"code": 0, "message": "success", "data": data})

    def _session(self, sid: str) -> _Session | None:
        with self.fake.lock:
            session = self.fake.sessions.get(sid)
        if session is None:
            self._json({"code": 1002, "message": "session not found", "data": None})
        return session

    # -- the API -----------------------------------------------------------------------

    def _anonymous_token(self) -> None:
        if not self.headers.get("X-Client-Id"):
            self._json({"code": 400, "message": "X-Client-Id required"}, status=400)
            return
        with self.fake.lock:
            token = self.fake.new_token()
        self._ok(
            {
                "token": token,
                "expires_at": "2099-01-01T00:00:00Z",
                "credits": 100,
                "user_id": self.fake.anonymous_user_id,
            }
        )

    def create_session(self, _path: str) -> None:
        body = self._body()
        if not isinstance(body.get("task_name"), str) or not body["task_name"]:
            self._bad_request("task_name is required")
            return
        with self.fake.lock:
            session = self.fake.new_session()
            session.draft = {"t": []}
            session.language = str(body.get("language", ""))
        self._ok({"session_id": session.session_id, "task_id": session.task_id})

    def claim(self, _path: str) -> None:
        body = self._body()
        with self.fake.lock:
            self.fake.claims.append(body)
        self._ok({"claim_token": "ct-" + secrets.token_hex(4)})

    def credits(self, _path: str) -> None:
        self._drain()
        available = self.fake.faults.credits_available
        self._ok({"available": available, "frozen": 0, "total": max(available, 100)})

    def upload(self, path: str) -> None:
        session = self._session(path.rstrip("/").split("/")[-1])
        if session is None:
            self._drain()
            return
        try:
            part = _read_multipart(self, delay=self.fake.faults.upload_read_delay)
        except ValueError as exc:
            self._json({"code": 4001, "message": f"bad upload: {exc}"}, status=400)
            return
        if part["field"] != "files":
            self._json({"code": 4001, "message": "expected field 'files'"})
            return
        record = {
            "session_id": session.session_id,
            "filename": part["filename"],
            "size": part["size"],
            "sha256": part["sha256"],
            "duration": 2.0,
        }
        with self.fake.lock:
            session.uploads.append(record)
            if self.fake.faults.upload_fills_draft:
                session.draft = _uploaded_draft(session)
            lists_files = self.fake.faults.upload_lists_files
        if not lists_files:
            self._ok({})
            return
        self._ok(
            {
                "files": [
                    {
                        "filename": part["filename"],
                        "duration": 2.0,
                        "width": 320,
                        "height": 240,
                        "fps": 30,
                    }
                ]
            }
        )

    def _take_prompt(self, session: _Session) -> bool:
        """Charge the prompt and start the agent; answer 2001 and return False without credits."""
        faults = self.fake.faults
        with self.fake.lock:
            if faults.credits_available < faults.edit_cost:
                self._json({"code": 2001, "message": "insufficient credits", "data": None})
                return False
            faults.credits_available -= faults.edit_cost
            session.credits_spent += faults.edit_cost
            session.prompts += 1
            # The service runs the agent once it has taken the prompt, whether or not the
            # client stays to read the stream: a silent, broken or hung stream's edit
            # shows in the state `edit_delay` later even if the client hangs up now.
            if faults.sse in ("broken", "silent", "hang"):
                session.edit_at = time.monotonic() + faults.edit_delay
            elif faults.sse != "error":
                session.edit_at = time.monotonic() + faults.sse_delay * faults.sse_heartbeats
        return True

    def run_sse(self, _path: str) -> None:
        body = self._body()
        if self.headers.get("Accept") != "text/event-stream":
            self._bad_request("Accept: text/event-stream required")
            return
        why = _bad_message(body)
        if why:
            self._bad_request(why)
            return
        session = self._session(str(body.get("session_id", "")))
        if session is None:
            return
        if not self._take_prompt(session):
            return
        faults = self.fake.faults
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(faults.sse_heartbeats):
            self._chunk(b": heartbeat\n\n")
            time.sleep(faults.sse_delay)
        self._chunk(b"data:\n\n")  # an empty data line: the other heartbeat form
        if faults.sse == "broken":
            self._chunk(b'data: {"content": {"parts": [{"text": "Adding mus')
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)  # no closing chunk: the stream breaks off
            return
        if faults.sse == "hang":
            # Sends nothing more until the client goes away (deadline and cancel tests).
            with contextlib.suppress(OSError):
                while self.connection.recv(1):
                    pass
            return
        events: list[dict[str, Any]] = []
        if faults.sse == "error":
            events.append({"errorCode": faults.sse_error_code, "errorMessage": "agent error"})
        elif faults.sse != "silent":
            with self.fake.lock:
                if session.edit_at is not None:  # not yet applied by a state read
                    _apply_edit(self.fake, session)
            events += [
                {"content": {"parts": [{"text": "Let me think.", "thought": True}]}},
                {"content": {"parts": [{"functionCall": {"name": "add_bgm", "args": {}}}]}},
                {"content": {"parts": [{"functionResponse": {"name": "add_bgm"}}]}},
                {"content": {"parts": [{"text": "Added lo-fi music and a title."}]}},
            ]
        for event in events:
            self._chunk(f"data: {json.dumps(event)}\n\n".encode())
            time.sleep(faults.sse_delay)
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def state(self, path: str) -> None:
        self._drain()
        sid = path.split("/")[-2]
        session = self._session(sid)
        if session is None:
            return
        with self.fake.lock:
            session.state_reads += 1
            limit = self.fake.faults.lose_session_after_state_reads
            if limit and session.state_reads > limit:
                del self.fake.sessions[sid]
                self._json({"code": 1002, "message": "session not found", "data": None})
                return
            if session.edit_at is not None and time.monotonic() >= session.edit_at:
                _apply_edit(self.fake, session)
            draft = json.loads(json.dumps(session.draft))
            infos = [{"filename": u["filename"]} for u in session.uploads]
        self._ok({"state": {"draft": draft, "video_infos": infos, "generated_media": []}})

    def start_render(self, _path: str) -> None:
        body = self._body()
        faults = self.fake.faults
        if any(not self.headers.get(h) for h in SKILL_HEADERS) or faults.export_402:
            self._json({"success": False, "error": "export requires a paid plan"}, status=402)
            return
        why = _bad_render(body)
        if why:
            self._bad_request(why)
            return
        render_id = str(body.get("id", ""))
        sid = str(body.get("sessionId", ""))
        with self.fake.lock:
            if faults.duplicate_render_once or render_id in self.fake.renders:
                faults.duplicate_render_once = False
                self.fake.refused_renders.append(render_id)
                self._json({"success": False, "error": "render id already exists"})
                return
            if sid not in self.fake.sessions or not body.get("draft"):
                self._json({"success": False, "error": "unknown session or empty draft"})
                return
            fails = faults.render_fail or faults.render_fail_first > 0
            faults.render_fail_first = max(0, faults.render_fail_first - 1)
            self.fake.renders[render_id] = _Render(
                render_id, sid, edited=_is_edited(body["draft"]), fails=fails
            )
        self._json({"success": True, "data": {"id": render_id, "status": "pending"}})

    def render_status(self, path: str) -> None:
        self._drain()
        render_id = path.rstrip("/").split("/")[-1]
        faults = self.fake.faults
        with self.fake.lock:
            render = self.fake.renders.get(render_id)
            if render is None:
                self._json({"success": False, "error": "render not found"}, status=404)
                return
            render.polls += 1
            polls = render.polls
        if render.fails and polls >= min(2, faults.render_polls):
            status, progress = "failed", 0
        elif polls >= faults.render_polls:
            status, progress = "completed", 100
        else:
            status = "pending" if polls == 1 else "processing"
            progress = int(100 * (polls - 1) / max(1, faults.render_polls - 1))
        url = f"{self.fake.url}/files/{render_id}.mp4" if status == "completed" else None
        inner: dict[str, Any] = {"id": render_id, "status": status, "progress": progress}
        if status == "failed":
            inner["error"] = "render failed in the fake"
        if faults.render_shape == "top":
            self._json({**inner, "output": {"url": url} if url else None})
        else:
            self._json({"success": True, "data": {**inner, "outputUrl": url}})

    def download(self, path: str) -> None:
        self._drain()
        if path.startswith("/files/") and self.fake.faults.break_output_url:
            self._json({"message": "gone"}, status=404)
            return
        if path.startswith("/files/"):
            render_id = path.rsplit("/", maxsplit=1)[-1].removesuffix(".mp4")
        else:
            render_id = path.split("/")[-2]
        with self.fake.lock:
            known = render_id in self.fake.renders
        if not known:
            self._json({"message": "no such render"}, status=404)
            return
        size = self.fake.media.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with self.fake.media.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                self.wfile.write(chunk)

    # -- control ------------------------------------------------------------------------

    def _control(self, method: str, path: str) -> None:
        if path == "/_fake/stats" and method == "GET":
            self._json(self.fake.stats())
        elif path == "/_fake/faults" and method == "POST":
            body = self._body()
            known = {f.name for f in fields(Faults)}
            with self.fake.lock:
                for key, value in body.items():
                    if key in known:
                        setattr(self.fake.faults, key, value)
            self._json(asdict(self.fake.faults))
        else:
            self._drain()
            self._json({"message": "unknown control path"}, status=404)


# (method, path prefix) → handler method; the first match wins, so longer prefixes first.
_ROUTES: list[tuple[tuple[str, str], str]] = [
    (("POST", "/api/tasks/me/with-session/nemo_agent"), "create_session"),
    (("POST", "/api/auth/claim-token"), "claim"),
    (("GET", "/api/credits/balance/simple"), "credits"),
    (("POST", "/api/upload-video/nemo_agent/me/"), "upload"),
    (("POST", "/run_sse"), "run_sse"),
    (("GET", "/api/state/nemo_agent/me/"), "state"),
    (("GET", "/api/render/proxy/lambda/"), "render_status"),
    (("POST", "/api/render/proxy/lambda"), "start_render"),
    (("GET", "/api/render/proxy/"), "download"),
    (("GET", "/files/"), "download"),
]


def _next_planned(plan: dict[str, list[Any]], path: str) -> Any:
    """Under the lock: take the next queued answer for `path`, if any."""
    for prefix, answers in plan.items():
        if path.startswith(prefix) and answers:
            return answers.pop(0)
    return None


def _bad_message(body: dict[str, Any]) -> str:
    """Why a /run_sse body is not what the API text documents ('' when it is)."""
    if body.get("app_name") != "nemo_agent":
        return "app_name must be nemo_agent"
    if body.get("user_id") != "me":
        return "user_id must be me"
    if not body.get("session_id"):
        return "session_id is required"
    message = body.get("new_message")
    parts = message.get("parts") if isinstance(message, dict) else None
    texts = [p.get("text") for p in parts or [] if isinstance(p, dict)]
    if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
        return "new_message.parts[].text is required"
    return ""


def _bad_render(body: dict[str, Any]) -> str:
    """Why a render body is not what the API text documents ('' when it is)."""
    if not str(body.get("id", "")).startswith("render_"):
        return "id must be render_<ts>"
    if not body.get("sessionId"):
        return "sessionId is required"
    draft = body.get("draft")
    if not isinstance(draft, dict) or not isinstance(draft.get("t"), list):
        return "draft is required"
    if body.get("output") != {"format": "mp4", "quality": "high"}:
        return "output must be {format: mp4, quality: high}"
    return ""


def _read_multipart(handler: BaseHTTPRequestHandler, delay: float = 0.0) -> dict[str, Any]:
    """Parse a multipart body with one file part as it streams in, keeping only a hash.

    Return the field name, filename, size and sha256 of the part's bytes. Raise
    ValueError for a body that is not a well-formed single-part multipart upload.
    """
    content_type = handler.headers.get("Content-Type", "")
    if "multipart/form-data" not in content_type or "boundary=" not in content_type:
        raise ValueError("not multipart/form-data")
    if handler.headers.get("Transfer-Encoding"):
        raise ValueError("expected a Content-Length, not chunked")
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"').encode()
    remaining = int(handler.headers.get("Content-Length") or 0)

    def read(n: int) -> bytes:
        nonlocal remaining
        if delay:
            time.sleep(delay)
        data = handler.rfile.read(min(n, remaining)) if remaining > 0 else b""
        remaining -= len(data)
        return data

    buffer = b""
    opening = b"--" + boundary + b"\r\n"
    while b"\r\n\r\n" not in buffer:
        chunk = read(_CHUNK)
        if not chunk:
            raise ValueError("truncated part headers")
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    if not head.startswith(opening):
        raise ValueError("body does not start with the boundary")
    headers = head[len(opening) :].decode("utf-8", "replace")
    disposition = next(
        (line for line in headers.split("\r\n") if line.lower().startswith("content-disposition")),
        "",
    )
    params = dict(_param(p) for p in disposition.split(";")[1:])
    closing = b"\r\n--" + boundary + b"--"
    digest = hashlib.sha256()
    size = 0
    while True:
        index = buffer.find(closing)
        if index != -1:
            digest.update(buffer[:index])
            size += index
            break
        keep = len(closing)
        if len(buffer) > keep:
            digest.update(buffer[:-keep])
            size += len(buffer) - keep
            buffer = buffer[-keep:]
        chunk = read(_CHUNK)
        if not chunk:
            raise ValueError("body ended before the closing boundary")
        buffer += chunk
    while remaining > 0:
        read(_CHUNK)
    return {
        "field": params.get("name"),
        "filename": params.get("filename"),
        "size": size,
        "sha256": digest.hexdigest(),
    }


def _param(text: str) -> tuple[str, str]:
    key, _, value = text.strip().partition("=")
    return key.lower(), value.strip('"')


def start_fake_nemo(port: int = 0, media: Path | None = None, **faults: Any) -> FakeNemo:
    """Start a FakeNemo on 127.0.0.1 in a thread; stop it with `.stop()`."""
    return FakeNemo(port=port, media=media, faults=Faults(**faults)).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--media", type=Path, help="the MP4 that renders download as")
    for f in fields(Faults):
        flag = "--" + f.name.replace("_", "-")
        default = getattr(Faults(), f.name)
        if isinstance(default, dict):
            parser.add_argument(flag, type=json.loads, default=default, help="JSON")
        elif isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    args = parser.parse_args(argv)
    faults = Faults(**{f.name: getattr(args, f.name) for f in fields(Faults)})
    fake = FakeNemo(port=args.port, media=args.media, faults=faults).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"fake NemoVideo listening on {fake.url}", flush=True)
    stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
