"""NemoClient against respx: headers, envelopes, every error code, retries, streaming upload."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from daemon.engines.nemo import constants as C
from daemon.engines.nemo.auth import TokenStore
from daemon.engines.nemo.client import DuplicateRender, NemoClient
from daemon.engines.nemo.errors import (
    NemoExportBlocked,
    NemoOutOfCredits,
    NemoRateLimited,
    NemoRejected,
    NemoServerError,
    NemoSessionGone,
    NemoTokenRejected,
    NemoTransientError,
    NemoUnreachable,
)
from daemon.errors import Cancelled, PermanentError, TransientError
from tests.fakes.nemo_helpers import ENV_TOKEN, TOKEN, TOKEN_2, fail, ok, settings

BASE = "http://nemo.test"


class Env:
    def __init__(self, tmp_path: Path, env: dict[str, str] | None = None) -> None:
        self.sleeps: list[float] = []
        self.tokens = TokenStore(tmp_path / "state", env=env or {})
        self.http = httpx.Client(base_url=BASE, timeout=httpx.Timeout(5))
        self.client = NemoClient(
            self.http, self.tokens, settings(rate_limit_wait=7.0), sleep=self.sleeps.append
        )


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    e = Env(tmp_path)
    yield e
    e.http.close()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def token_route(api: respx.MockRouter, *tokens: str) -> respx.Route:
    return api.post(C.ANONYMOUS_TOKEN_PATH).mock(
        side_effect=[
            httpx.Response(
                200, json=ok({"token": t, "expires_at": "2099-01-01T00:00:00Z", "credits": 100})
            )
            for t in tokens
        ]
    )


def assert_skill_headers(request: httpx.Request) -> None:
    assert request.headers["X-Skill-Source"] == "for-video-free"
    assert request.headers["X-Skill-Version"] == "1.0.0"
    assert request.headers["X-Skill-Platform"] == "test-platform"


# -- headers and envelopes -------------------------------------------------------------


def test_every_call_carries_the_attribution_headers_and_the_bearer(
    env: Env, api: respx.MockRouter, tmp_path: Path
) -> None:
    token_route(api, TOKEN)
    api.post(C.SESSION_PATH).respond(json=ok({"session_id": "123", "task_id": "t-1"}))
    api.post(C.UPLOAD_PATH.format(session_id="123")).respond(
        json=ok({"files": [{"filename": "a.mp4", "duration": 2.0}]})
    )
    api.get(C.STATE_PATH.format(session_id="123")).respond(
        json=ok({"state": {"draft": {"t": []}, "video_infos": []}})
    )
    api.post(C.RENDER_PATH).respond(json={"success": True, "data": {"id": "render_1"}})
    api.get(C.RENDER_STATUS_PATH.format(render_id="render_1")).respond(
        json={"success": True, "data": {"status": "pending", "progress": 0}}
    )
    api.get(C.CREDITS_PATH).respond(json=ok({"available": 90, "frozen": 0, "total": 100}))
    api.post(C.CLAIM_TOKEN_PATH).respond(json=ok({"claim_token": "ct-1"}))
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"x" * 100)

    env.client.create_session()
    env.client.upload("123", clip)
    env.client.state("123")
    env.client.start_render("render_1", "123", {"t": []})
    env.client.render_status("render_1")
    env.client.credits()
    env.client.claim_token("t-1", "123")

    calls = list(api.calls)
    assert len(calls) == 8
    for call in calls:
        assert_skill_headers(call.request)
    token_call, *authed = calls
    assert "authorization" not in token_call.request.headers
    assert token_call.request.headers["X-Client-Id"] == env.tokens.client_id()
    for call in authed:
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_session_body_and_typed_answer(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.post(C.SESSION_PATH).respond(
        json=ok({"session_id": 987654, "task_id": "task-9"}, key="msg")
    )
    info = env.client.create_session()
    assert (info.session_id, info.task_id) == ("987654", "task-9")
    assert route.calls.last.request.read() == b'{"task_name":"project","language":"en"}'


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        (
            {"success": True, "data": {"status": "processing", "progress": 40}},
            ("processing", 40.0, None),
        ),
        (
            {
                "success": True,
                "data": {
                    "status": "completed",
                    "progress": 100,
                    "outputUrl": "https://cdn.example/x.mp4",
                },
            },
            ("completed", 100.0, "https://cdn.example/x.mp4"),
        ),
        (
            {
                "status": "completed",
                "progress": 100,
                "output": {"url": "https://cdn.example/y.mp4"},
            },
            ("completed", 100.0, "https://cdn.example/y.mp4"),
        ),
        ({"success": True, "status": "pending"}, ("pending", None, None)),
        (
            {"success": True, "data": {"status": "failed", "error": "bad draft"}},
            ("failed", None, None),
        ),
    ],
)
def test_render_status_accepts_both_shapes(
    env: Env,
    api: respx.MockRouter,
    shape: dict[str, Any],
    expected: tuple[str, float | None, str | None],
) -> None:
    token_route(api, TOKEN)
    api.get(C.RENDER_STATUS_PATH.format(render_id="render_5")).respond(json=shape)
    status = env.client.render_status("render_5")
    assert status is not None
    assert (status.status, status.progress, status.output_url) == expected
    if expected[0] == "failed":
        assert status.error == "bad draft"


def test_render_status_of_an_unknown_id_is_none(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.get(C.RENDER_STATUS_PATH.format(render_id="render_a")).respond(404)
    api.get(C.RENDER_STATUS_PATH.format(render_id="render_b")).respond(
        json={"success": False, "error": "render not found"}
    )
    assert env.client.render_status("render_a") is None
    assert env.client.render_status("render_b") is None


def test_render_refusals(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.post(C.RENDER_PATH).mock(
        side_effect=[
            httpx.Response(200, json={"success": False, "error": "render id already exists"}),
            httpx.Response(200, json={"success": False, "error": "draft is invalid"}),
        ]
    )
    with pytest.raises(DuplicateRender):
        env.client.start_render("render_1", "1", {})
    with pytest.raises(NemoRejected, match="draft is invalid") as info:
        env.client.start_render("render_2", "1", {})
    assert not isinstance(info.value, DuplicateRender)


# -- error codes -----------------------------------------------------------------------


def test_1001_fetches_a_fresh_token_and_repeats_once(env: Env, api: respx.MockRouter) -> None:
    tokens = token_route(api, TOKEN, TOKEN_2)
    route = api.get(C.CREDITS_PATH).mock(
        side_effect=[
            httpx.Response(200, json=fail(1001, "token expired")),
            httpx.Response(200, json=ok({"available": 5, "frozen": 1, "total": 6})),
        ]
    )
    credits = env.client.credits()
    assert (credits.available, credits.frozen, credits.total) == (5, 1, 6)
    assert tokens.call_count == 2
    assert [c.request.headers["Authorization"] for c in route.calls] == [
        f"Bearer {TOKEN}",
        f"Bearer {TOKEN_2}",
    ]
    # The fresh token is the one kept for later jobs and restarts.
    assert TOKEN_2 in env.tokens.token_path.read_text()


def test_1001_twice_is_permanent(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN, TOKEN_2)
    api.get(C.CREDITS_PATH).respond(json=fail(1001, "token expired"))
    with pytest.raises(NemoTokenRejected) as info:
        env.client.credits()
    assert isinstance(info.value, PermanentError)
    assert info.value.code == 1001


def test_1001_with_nemo_token_set_never_fetches_an_anonymous_one(
    tmp_path: Path, api: respx.MockRouter
) -> None:
    e = Env(tmp_path, env={"NEMO_TOKEN": ENV_TOKEN})
    tokens = token_route(api, TOKEN)
    route = api.get(C.CREDITS_PATH).respond(json=fail(1001, "token expired"))
    with pytest.raises(NemoTokenRejected, match=r"\$NEMO_TOKEN"):
        e.client.credits()
    assert tokens.call_count == 0
    assert route.call_count == 1
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {ENV_TOKEN}"
    assert not e.tokens.token_path.exists()


def test_401_is_handled_like_1001(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN, TOKEN_2)
    api.get(C.CREDITS_PATH).mock(
        side_effect=[
            httpx.Response(401, json={"message": "unauthorized"}),
            httpx.Response(200, json=ok({"available": 1, "frozen": 0, "total": 1})),
        ]
    )
    assert env.client.credits().available == 1


@pytest.mark.parametrize(
    ("code", "exc", "transient", "fallback", "pause"),
    [
        (1002, NemoSessionGone, True, False, False),
        (2001, NemoOutOfCredits, False, True, True),
        (4001, NemoRejected, False, False, False),
        (4002, NemoRejected, False, False, False),
        (3999, NemoRejected, False, False, False),
    ],
)
def test_error_codes(  # noqa: PLR0917 - one parameter per table column
    env: Env,
    api: respx.MockRouter,
    code: int,
    exc: type[Exception],
    transient: bool,
    fallback: bool,
    pause: bool,
) -> None:
    token_route(api, TOKEN)
    route = api.post(C.SESSION_PATH).respond(json=fail(code, f"reason {code}", key="msg"))
    with pytest.raises(exc) as info:
        env.client.create_session()
    err = info.value
    assert isinstance(err, TransientError) is transient
    assert isinstance(err, PermanentError) is not transient
    assert err.fallback_ok is fallback  # type: ignore[attr-defined]
    assert err.pause_engine is pause  # type: ignore[attr-defined]
    assert err.code == code  # type: ignore[attr-defined]
    assert f"reason {code}" in str(err)
    assert route.call_count == 1


def test_400_retries_once_with_the_client_id(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.post(C.SESSION_PATH).mock(
        side_effect=[
            httpx.Response(400, json={"message": "missing X-Client-Id"}),
            httpx.Response(200, json=ok({"session_id": "1", "task_id": "2"})),
        ]
    )
    assert env.client.create_session().session_id == "1"
    first, second = route.calls
    assert "x-client-id" not in first.request.headers
    assert second.request.headers["X-Client-Id"] == env.tokens.client_id()


def test_400_twice_is_permanent(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.post(C.SESSION_PATH).respond(400, json={"message": "bad"})
    with pytest.raises(NemoRejected, match="HTTP 400"):
        env.client.create_session()
    assert route.call_count == 2


def test_402_is_export_blocked_with_fallback(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.post(C.RENDER_PATH).respond(402, json={"success": False, "error": "plan"})
    with pytest.raises(NemoExportBlocked, match="export blocked on the free plan") as info:
        env.client.start_render("render_1", "1", {})
    assert isinstance(info.value, PermanentError)
    assert info.value.fallback_ok
    assert route.call_count == 1


def test_429_waits_and_retries_once(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.get(C.CREDITS_PATH).mock(
        side_effect=[
            httpx.Response(429, json={"message": "slow down"}),
            httpx.Response(200, json=ok({"available": 3, "frozen": 0, "total": 3})),
        ]
    )
    assert env.client.credits().available == 3
    assert env.sleeps == [7.0]
    assert route.call_count == 2


def test_429_twice_is_transient_with_retry_after(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.get(C.CREDITS_PATH).respond(429)
    with pytest.raises(NemoRateLimited) as info:
        env.client.credits()
    assert isinstance(info.value, TransientError)
    assert info.value.retry_after == 7.0
    assert route.call_count == 2
    assert env.sleeps == [7.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_transient(env: Env, api: respx.MockRouter, status: int) -> None:
    token_route(api, TOKEN)
    # A 5xx whose body looks like an envelope is still a server error.
    api.get(C.CREDITS_PATH).respond(status, json=fail(4001, "boom"))
    with pytest.raises(NemoServerError) as info:
        env.client.credits()
    assert isinstance(info.value, TransientError)
    assert info.value.status == status


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectError("[Errno -2] Name or service not known"),
        httpx.ConnectTimeout("timed out"),
    ],
)
def test_network_errors_are_unreachable_with_fallback(
    env: Env, api: respx.MockRouter, error: Exception
) -> None:
    token_route(api, TOKEN)
    api.get(C.CREDITS_PATH).mock(side_effect=error)
    with pytest.raises(NemoUnreachable, match="NemoVideo unreachable") as info:
        env.client.credits()
    assert isinstance(info.value, TransientError)
    assert info.value.fallback_ok


def test_a_lost_connection_is_transient_without_fallback(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.get(C.CREDITS_PATH).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(NemoTransientError) as info:
        env.client.credits()
    assert not isinstance(info.value, NemoUnreachable)
    assert not info.value.fallback_ok


def test_an_unreachable_token_endpoint_is_unreachable(env: Env, api: respx.MockRouter) -> None:
    api.post(C.ANONYMOUS_TOKEN_PATH).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(NemoUnreachable):
        env.client.create_session()


def test_the_token_never_appears_in_an_error(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.get(C.CREDITS_PATH).respond(json=fail(4002, f"token {TOKEN} has a problem"))
    with pytest.raises(NemoRejected) as info:
        env.client.credits()
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value.args)
    assert "[token]" in str(info.value)


# -- upload ----------------------------------------------------------------------------


def test_upload_sends_the_file_intact_in_field_files(
    env: Env, api: respx.MockRouter, tmp_path: Path
) -> None:
    token_route(api, TOKEN)
    route = api.post(C.UPLOAD_PATH.format(session_id="55")).respond(
        json=ok(
            {
                "files": [
                    {
                        "filename": "clip.mov",
                        "duration": 12.5,
                        "width": 1920,
                        "height": 1080,
                        "fps": 30,
                    }
                ]
            }
        )
    )
    payload = bytes(range(256)) * 1000
    clip = tmp_path / "clip.mov"
    clip.write_bytes(payload)
    files = env.client.upload("55", clip)
    assert files[0].filename == "clip.mov"
    assert (files[0].duration, files[0].width, files[0].height) == (12.5, 1920, 1080)
    request = route.calls.last.request
    body = request.read()
    assert int(request.headers["Content-Length"]) == len(body)
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + request.headers["Content-Type"].encode() + b"\r\n\r\n" + body
    )
    (part,) = list(message.iter_parts())
    assert part.get_param("name", header="content-disposition") == "files"
    assert part.get_filename() == "clip.mov"
    assert part.get_content_type() == "video/quicktime"
    assert part.get_payload(decode=True) == payload


class _CountingTransport(httpx.BaseTransport):
    """Consumes the request body chunk by chunk, as a socket would, and keeps no copy."""

    def __init__(self) -> None:
        self.largest_chunk = 0
        self.total = 0
        self.content_length: int | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.content_length = int(request.headers["Content-Length"])
        assert isinstance(request.stream, httpx.SyncByteStream)
        for chunk in request.stream:
            self.largest_chunk = max(self.largest_chunk, len(chunk))
            self.total += len(chunk)
        return httpx.Response(200, json=ok({"files": [{"filename": "big.mp4"}]}))


def test_upload_streams_from_disk_without_holding_the_file(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    size = 64 * 1024 * 1024
    with big.open("wb") as handle:
        handle.truncate(size)  # sparse: 64 MB on the filesystem's word, no disk used
    transport = _CountingTransport()
    tokens = TokenStore(tmp_path / "state", env={"NEMO_TOKEN": ENV_TOKEN})
    with httpx.Client(base_url=BASE, transport=transport) as http:
        client = NemoClient(http, tokens, settings())
        tracemalloc.start()
        try:
            client.upload("1", big)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert transport.total == transport.content_length
    assert transport.total > size
    assert transport.largest_chunk <= C.UPLOAD_READ_BYTES + 1024
    assert peak < 4 * 1024 * 1024, f"upload held {peak / 1e6:.1f} MB in memory"


# -- download --------------------------------------------------------------------------


def test_download_to_a_foreign_host_never_sends_the_token(
    env: Env, api: respx.MockRouter, tmp_path: Path
) -> None:
    token_route(api, TOKEN)
    cdn = api.route(method="GET", scheme="https", host="cdn.example", path="/out.mp4")
    cdn.respond(content=b"\0\0\0\x18ftypmp42data")
    local = api.get("/files/out.mp4").respond(content=b"\0\0\0\x18ftypisomdata")
    dest = tmp_path / "out.mp4"
    assert env.client.download("https://cdn.example/out.mp4", dest) == 16
    assert "authorization" not in cdn.calls.last.request.headers
    assert_skill_headers(cdn.calls.last.request)
    env.client.download(f"{BASE}/files/out.mp4", dest)
    assert local.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert dest.read_bytes() == b"\0\0\0\x18ftypisomdata"


def test_download_errors_are_mapped(env: Env, api: respx.MockRouter, tmp_path: Path) -> None:
    token_route(api, TOKEN)
    api.get("/files/gone.mp4").respond(404, json={"message": "gone"})
    api.get("/files/busy.mp4").respond(503)
    with pytest.raises(NemoRejected, match="HTTP 404"):
        env.client.download("/files/gone.mp4", tmp_path / "x.mp4")
    with pytest.raises(NemoServerError):
        env.client.download("/files/busy.mp4", tmp_path / "x.mp4")


# -- one table for envelope codes and HTTP statuses ----------------------------------------


def _answer(number: int, *, envelope: bool) -> httpx.Response:
    """The same refusal as an envelope code with HTTP 200, or as an HTTP status."""
    body = {"code": number, "message": f"said {number}", "data": None}
    return httpx.Response(200 if envelope else number, json=body)


@pytest.mark.parametrize("envelope", [True, False], ids=["envelope", "http"])
def test_429_waits_and_retries_once_whether_envelope_or_status(
    env: Env, api: respx.MockRouter, envelope: bool
) -> None:
    token_route(api, TOKEN)
    route = api.get(C.CREDITS_PATH).mock(
        side_effect=[
            _answer(429, envelope=envelope),
            httpx.Response(200, json=ok({"available": 3, "frozen": 0, "total": 3})),
        ]
    )
    assert env.client.credits().available == 3
    assert env.sleeps == [7.0]
    assert route.call_count == 2


@pytest.mark.parametrize("envelope", [True, False], ids=["envelope", "http"])
@pytest.mark.parametrize(
    ("number", "exc", "calls"),
    [
        (429, NemoRateLimited, 2),
        (400, NemoRejected, 2),
        (402, NemoExportBlocked, 1),
        (503, NemoServerError, 2),
    ],
)
def test_the_table_reads_envelope_and_status_alike(  # noqa: PLR0917 - table columns
    env: Env,
    api: respx.MockRouter,
    envelope: bool,
    number: int,
    exc: type[Exception],
    calls: int,
) -> None:
    token_route(api, TOKEN)
    route = api.post(C.SESSION_PATH).mock(return_value=_answer(number, envelope=envelope))
    with pytest.raises(exc) as info:
        env.client.create_session()
    assert route.call_count == calls
    assert str(number) in str(info.value)
    if number == 400:
        assert route.calls.last.request.headers["X-Client-Id"] == env.tokens.client_id()


def test_a_5xx_once_is_repeated_after_retry_wait(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    route = api.get(C.CREDITS_PATH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, json=ok({"available": 3, "frozen": 0, "total": 3})),
        ]
    )
    assert env.client.credits().available == 3
    assert env.sleeps == [env.client.settings.retry_wait]
    assert route.call_count == 2


def test_shutdown_ends_the_rate_limit_wait(tmp_path: Path, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.get(C.CREDITS_PATH).respond(429)
    tokens = TokenStore(tmp_path / "state", env={})
    with httpx.Client(base_url=BASE) as http:
        # The real sleep: a wait that ignored the cancel flag would last 30 s and then
        # end in NemoRateLimited instead.
        client = NemoClient(http, tokens, settings(rate_limit_wait=30.0))
        cancel = threading.Event()
        cancel.set()
        with client.cancelled_by(cancel), pytest.raises(Cancelled, match="shutdown"):
            client.credits()


# -- the prompt: resent only while the service has not taken it ----------------------------

EVENTS = b'data: {"content": {"parts": [{"text": "Done."}]}}\n\n'


def _stream() -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=EVENTS)


def _open_prompt(env: Env) -> tuple[list[str], int]:
    taken: list[str] = []
    with env.client.edit_stream("7", "add a title", lambda: taken.append("taken")) as source:
        events = len(list(source.iter_sse()))
    return taken, events


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(503, json={"message": "busy"}),
        httpx.Response(200, json={"code": 429, "message": "slow down"}),
        httpx.Response(429),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("Connection reset by peer"),
    ],
    ids=["503", "envelope-429", "http-429", "closed", "reset"],
)
def test_a_prompt_refused_before_the_stream_is_sent_again(
    env: Env, api: respx.MockRouter, refusal: Any
) -> None:
    token_route(api, TOKEN)
    route = api.post(C.RUN_SSE_PATH).mock(side_effect=[refusal, _stream()])
    taken, events = _open_prompt(env)
    assert route.call_count == 2
    assert taken == ["taken"]  # once, for the stream that began
    assert events == 1


def test_a_prompt_refused_twice_is_not_taken(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.post(C.RUN_SSE_PATH).respond(503)
    taken: list[str] = []
    with (
        pytest.raises(NemoServerError),
        env.client.edit_stream("7", "p", lambda: taken.append("x")),
    ):
        pass
    assert taken == []


def test_a_prompt_without_an_answer_in_time_counts_as_taken(
    env: Env, api: respx.MockRouter
) -> None:
    token_route(api, TOKEN)
    route = api.post(C.RUN_SSE_PATH).mock(side_effect=httpx.ReadTimeout("timed out"))
    taken: list[str] = []
    with (
        pytest.raises(NemoTransientError),
        env.client.edit_stream("7", "p", lambda: taken.append("x")),
    ):
        pass
    assert taken == ["x"]
    assert route.call_count == 1  # never resent: the agent may be running


def test_a_refused_connection_is_unreachable_and_not_taken(env: Env, api: respx.MockRouter) -> None:
    token_route(api, TOKEN)
    api.post(C.RUN_SSE_PATH).mock(side_effect=httpx.ConnectError("refused"))
    taken: list[str] = []
    with (
        pytest.raises(NemoUnreachable),
        env.client.edit_stream("7", "p", lambda: taken.append("x")),
    ):
        pass
    assert taken == []


def test_an_anonymous_token_answer_keeps_the_user_id_for_the_bind_link(
    env: Env, api: respx.MockRouter
) -> None:
    api.post(C.ANONYMOUS_TOKEN_PATH).respond(
        json=ok({"token": TOKEN, "credits": 100, "user_id": "anon-42"})
    )
    api.get(C.CREDITS_PATH).respond(json=ok({"available": 1, "frozen": 0, "total": 1}))
    env.client.credits()
    assert env.tokens.bind_id() == "anon-42"
    assert "anon-42" in (env.tokens.token_path).read_text()
