"""Whole NemoVideo jobs against respx: every step, resume from checkpoints, the faults."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from daemon.engines.nemo import constants as C
from daemon.engines.nemo.engine import NemoEngine
from daemon.engines.nemo.errors import (
    NemoEditChangedNothing,
    NemoInputRefused,
    NemoNothingToExport,
    NemoOutOfCredits,
    NemoRejected,
    NemoSessionGone,
)
from daemon.engines.nemo.sse import _Follow
from daemon.engines.nemo.timeline import fingerprint
from daemon.errors import PermanentError, TransientError
from tests.fakes.nemo_helpers import (
    DRAFT,
    EMPTY_DRAFT,
    TOKEN,
    Saved,
    call_event,
    captured_logs,
    fail,
    make_ctx,
    make_job,
    ok,
    settings,
    sse_lines,
    text_event,
    thought_event,
)

BASE = "http://nemo.test"
MP4 = b"\0\0\0\x18ftypisom" + b"\0" * 100
SID = "4242"
UPLOADED_DRAFT: dict[str, Any] = {"t": [{"tt": 0, "sg": [{"d": 10000, "m": {"src": "clip.mp4"}}]}]}


class BrokenStream(httpx.SyncByteStream):
    """Sends some bytes, then the connection drops mid-event."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def sse(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


class Service:
    """respx routes for one NemoVideo job, with knobs for the faults."""

    def __init__(self, api: respx.MockRouter) -> None:
        self.api = api
        self.token = api.post(C.ANONYMOUS_TOKEN_PATH).respond(
            json=ok({"token": TOKEN, "expires_at": "2099-01-01T00:00:00Z", "credits": 100})
        )
        sessions = iter(range(4242, 4300))
        self.session = api.post(C.SESSION_PATH).mock(
            side_effect=lambda _r: httpx.Response(
                200, json=ok({"session_id": str(next(sessions)), "task_id": "task-1"})
            )
        )
        self.claim = api.post(C.CLAIM_TOKEN_PATH).respond(json=ok({"claim_token": "ct-77"}))
        self.upload = api.route(method="POST", path__startswith="/api/upload-video/").respond(
            json=ok(
                {"files": [{"filename": "clip.mp4", "duration": 2.0, "width": 320, "height": 240}]}
            )
        )
        self.prompt = api.post(C.RUN_SSE_PATH).mock(
            return_value=sse(
                sse_lines(
                    ": ping\n\n",
                    thought_event("hmm"),
                    call_event("add_bgm"),
                    text_event("Added lo-fi music and a title."),
                )
            )
        )
        # The upload put the clip on the timeline; the edit shows once the prompt went out.
        self.before: dict[str, Any] = UPLOADED_DRAFT
        self.after: dict[str, Any] = DRAFT
        self.state = api.route(method="GET", path__regex=r"^/api/state/").mock(
            side_effect=self.state_answer
        )
        self.render = api.post(C.RENDER_PATH).respond(json={"success": True, "data": {}})
        self.statuses: list[dict[str, Any]] = [
            {"success": True, "data": {"status": "pending", "progress": 0}},
            {"success": True, "data": {"status": "processing", "progress": 55}},
            {
                "success": True,
                "data": {
                    "status": "completed",
                    "progress": 100,
                    "outputUrl": f"{BASE}/files/out.mp4",
                },
            },
        ]
        self.status = api.route(method="GET", path__regex=r"^/api/render/proxy/lambda/").mock(
            side_effect=self._status
        )
        self.file = api.get("/files/out.mp4").respond(content=MP4)
        self.proxy = api.route(
            method="GET", path__regex=r"^/api/render/proxy/[^/]+/download$"
        ).respond(content=MP4)
        self.credits = api.get(C.CREDITS_PATH).respond(
            json=ok({"available": 0, "frozen": 0, "total": 100})
        )

    def state_answer(self, _request: httpx.Request) -> httpx.Response:
        draft = self.after if self.prompt.call_count else self.before
        infos = [{"filename": "clip.mp4"}]
        return httpx.Response(200, json=ok({"state": {"draft": draft, "video_infos": infos}}))

    def _status(self, _request: httpx.Request) -> httpx.Response:
        body = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return httpx.Response(200, json=body)

    def render_ids(self) -> list[str]:
        return [json.loads(c.request.read())["id"] for c in self.render.calls]


def render_drafts(service: Service) -> list[Any]:
    return [json.loads(c.request.read())["draft"] for c in service.render.calls]


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


@pytest.fixture
def service(api: respx.MockRouter) -> Service:
    return Service(api)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "inbox" / "clip.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0\0\0\x18ftypisom-source-bytes")
    return path


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[NemoEngine]:
    http = httpx.Client(base_url=BASE)
    eng = NemoEngine(settings(), tmp_path / "state", http=http, env={}, sleep=lambda _s: None)
    yield eng
    http.close()


def run(
    engine: NemoEngine, tmp_path: Path, clip: Path, saved: Saved | None = None, **rule: Any
) -> tuple[Any, Saved, list[float]]:
    progress: list[float] = []
    ctx, store = make_ctx(tmp_path, saved, progress=progress)
    result = engine.run(make_job(tmp_path, [clip], **rule), ctx)
    return result, store, progress


# -- the happy path --------------------------------------------------------------------


def test_a_whole_job(engine: NemoEngine, service: Service, tmp_path: Path, clip: Path) -> None:
    with captured_logs() as logs:
        result, saved, progress = run(engine, tmp_path, clip)
    assert result.engine == "nemo"
    assert result.path.read_bytes() == MP4
    assert (service.session.call_count, service.upload.call_count) == (1, 1)
    assert (service.prompt.call_count, service.render.call_count) == (1, 1)
    assert service.status.call_count == 3
    assert progress[:3] == [0.0, 55.0, 100.0]
    prompt = service.prompt.calls.last.request
    assert prompt.headers["Accept"] == "text/event-stream"
    assert prompt.read() == (
        b'{"app_name":"nemo_agent","user_id":"me","session_id":"4242",'
        b'"new_message":{"parts":[{"text":"add lo-fi music and a title"}]}}'
    )
    render = service.render.calls.last.request
    body = json.loads(render.read())
    assert body["sessionId"] == SID
    assert body["draft"] == DRAFT
    assert body["output"] == {"format": "mp4", "quality": "high"}
    assert body["id"].startswith("render_") and body["id"][7:].isdigit()
    text = "\n".join(logs)
    assert "NemoVideo: Added lo-fi music and a title." in text
    assert "hmm" not in text  # thoughts stay out of the log
    assert "Timeline (3 tracks): Video 0-10s; BGM 0-10s; Title 0-3s" in text
    assert text.count("https://nemovideo.com/workspace/claim?ct=ct-77") == 1
    assert saved.last["session_id"] == SID
    assert saved.last["render_id"] == body["id"]
    assert saved.last["prompt_sent"] is True
    assert saved.last["step"] == "rendering"


def test_the_token_appears_nowhere(
    engine: NemoEngine,
    service: Service,
    tmp_path: Path,
    clip: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with captured_logs() as logs:
        _, saved, _ = run(engine, tmp_path, clip)
    out = capsys.readouterr()
    assert service.token.call_count == 1
    assert logs
    assert all(TOKEN not in line for line in logs)
    assert all(TOKEN not in str(cp) for cp in saved.history)
    assert TOKEN not in out.out + out.err
    claim = service.claim.calls.last.request
    assert TOKEN not in str(claim.url)


def test_top_level_render_shape_and_proxy_fallback(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.statuses = [
        {"status": "completed", "progress": 100, "output": {"url": f"{BASE}/files/missing.mp4"}}
    ]
    service.api.get("/files/missing.mp4").respond(404)
    result, _, _ = run(engine, tmp_path, clip)
    assert result.path.read_bytes() == MP4
    assert service.proxy.call_count == 1


# -- the edit stream -------------------------------------------------------------------


def test_a_silent_stream_renders_the_edited_draft_once_it_shows(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.prompt.mock(return_value=sse(sse_lines(": ping\n\n", "data:\n\n")))
    answers = iter([service.before, service.before, service.before, DRAFT])
    service.state.mock(
        side_effect=lambda _r: httpx.Response(
            200, json=ok({"state": {"draft": next(answers, DRAFT)}})
        )
    )
    result, saved, _ = run(engine, tmp_path, clip)
    assert result.path.exists()
    assert service.prompt.call_count == 1
    # Before the prompt, twice unchanged after it, then the edit.
    assert service.state.call_count == 4
    assert render_drafts(service) == [DRAFT]
    assert saved.last["draft_before"] != fingerprint(DRAFT)


def test_a_draft_that_never_changes_is_never_rendered(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.prompt.mock(return_value=sse(sse_lines(text_event("I trimmed it for you."))))
    service.after = service.before  # the upload already put the clip on the timeline
    with pytest.raises(NemoEditChangedNothing, match="changed nothing") as info:
        run(engine, tmp_path, clip)
    assert "I trimmed it for you." in info.value.reason
    assert info.value.fallback_ok
    assert service.render.call_count == 0
    assert service.prompt.call_count == 1
    assert service.state.call_count > 2  # polled until the deadline


def test_export_phrases_are_not_sent_to_the_agent(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    with captured_logs() as logs:
        run(engine, tmp_path, clip, prompt="Add a title, and export this in 1080p")
    sent = json.loads(service.prompt.calls.last.request.read())
    assert sent["new_message"]["parts"] == [{"text": "Add a title"}]
    assert any("DEBUG" in line and "and export this in 1080p" in line for line in logs)


def test_a_prompt_that_only_asks_for_the_export_renders_the_upload(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    result, saved, _ = run(engine, tmp_path, clip, prompt="export 1080p MP4")
    assert result.path.exists()
    assert service.prompt.call_count == 0
    assert render_drafts(service) == [UPLOADED_DRAFT]
    assert "prompt_sent" not in saved.last


def test_an_upload_answer_without_files_is_confirmed_from_the_state(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.upload.respond(json=ok({}))
    with captured_logs() as logs:
        result, _, _ = run(engine, tmp_path, clip)
    assert result.path.exists()
    assert any("confirmed by the session state" in line for line in logs)


def test_an_upload_the_state_does_not_show_is_transient(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.upload.respond(json=ok({}))
    service.state.respond(json=ok({"state": {"draft": {"t": []}, "video_infos": []}}))
    with pytest.raises(TransientError, match="did not confirm the upload"):
        run(engine, tmp_path, clip)
    assert service.prompt.call_count == 0


def test_a_broken_stream_is_not_resent_and_waits_for_the_draft(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.prompt.mock(
        return_value=httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=BrokenStream(b'data: {"content": {"parts": [{"text": "Work'),
        )
    )
    service.state.mock(
        side_effect=[
            httpx.Response(200, json=ok({"state": {"draft": EMPTY_DRAFT}})),
            httpx.Response(200, json=ok({"state": {"draft": EMPTY_DRAFT}})),
            httpx.Response(200, json=ok({"state": {"draft": DRAFT}})),
        ]
    )
    with captured_logs() as logs:
        result, _, _ = run(engine, tmp_path, clip)
    assert result.path.exists()
    assert service.prompt.call_count == 1
    assert service.state.call_count == 3
    assert any("broke off" in line for line in logs)


def test_no_segments_fails_with_the_last_text(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.prompt.mock(return_value=sse(sse_lines(text_event("I could not find any video."))))
    service.after = EMPTY_DRAFT
    with pytest.raises(NemoNothingToExport, match="I could not find any video"):
        run(engine, tmp_path, clip)
    assert service.render.call_count == 0
    assert service.prompt.call_count == 1


def test_agent_out_of_credits_in_the_stream(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.prompt.mock(
        return_value=sse(sse_lines({"errorCode": "2001", "errorMessage": "insufficient credits"}))
    )
    with pytest.raises(NemoOutOfCredits) as info:
        run(engine, tmp_path, clip)
    assert info.value.pause_engine and info.value.fallback_ok
    assert engine.available() is False


def test_a_refused_stream_with_429_is_retried_once(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.prompt.mock(
        side_effect=[
            httpx.Response(429, json={"message": "slow"}),
            sse(sse_lines(text_event("Done."))),
        ]
    )
    result, _, _ = run(engine, tmp_path, clip)
    assert result.path.exists()
    assert service.prompt.call_count == 2  # the first was refused: the agent never ran


def test_heartbeats_log_still_working_at_most_every_two_minutes(tmp_path: Path) -> None:
    now = [0.0]
    ctx, _ = make_ctx(tmp_path)
    follow = _Follow(ctx.log, lambda: None, lambda: now[0], heartbeat_every=120.0)
    with captured_logs() as logs:
        for _ in range(10):
            now[0] += 50.0
            assert follow.take("beat", None) is None
        outcome = follow.take("event", json.dumps(text_event("ok")))
        assert outcome is None
        outcome = follow.take("end", None)
    assert outcome is not None and outcome.texts == ("ok",)
    still = [line for line in logs if "still working" in line]
    # 10 heartbeats 50 s apart: 500 s → a line at 150 s, 300 s and 450 s, not one per beat.
    assert len(still) == 3


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def test_cancel_during_the_stream_is_transient_and_keeps_prompt_sent(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    cancel = threading.Event()

    class Cancelling(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b": ping\n\n"
            cancel.set()
            yield b": ping\n\n"
            yield sse_lines(text_event("never read"))

    service.prompt.mock(
        return_value=httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=Cancelling()
        )
    )
    ctx, saved = make_ctx(tmp_path, cancel=cancel)
    with pytest.raises(TransientError, match="shutdown"):
        engine.run(make_job(tmp_path, [clip]), ctx)
    assert saved.last["prompt_sent"] is True
    # The restart reads the state and renders; the prompt is not sent again.
    result, _, _ = run(engine, tmp_path, clip, saved=saved)
    assert result.path.exists()
    assert service.prompt.call_count == 1
    assert service.render.call_count == 1


# -- resume ----------------------------------------------------------------------------


def test_resume_while_rendering_polls_the_same_render(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    saved = Saved(
        {
            "step": "rendering",
            "session_id": SID,
            "task_id": "task-1",
            "uploaded": ["0:clip.mp4"],
            "prompt_sent": True,
            "claim_logged": True,
            "render_id": "render_111",
            "render_posted": True,
        }
    )
    result, _, _ = run(engine, tmp_path, clip, saved=saved)
    assert result.path.exists()
    assert (service.session.call_count, service.upload.call_count) == (0, 0)
    assert (service.prompt.call_count, service.render.call_count) == (0, 0)
    assert str(service.status.calls.last.request.url).endswith("/render_111")


def test_resume_after_the_prompt_rereads_the_same_session(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    saved = Saved(
        {
            "step": "prompted",
            "session_id": "999",
            "task_id": "t",
            "uploaded": ["0:clip.mp4"],
            "prompt_sent": True,
            "claim_logged": True,
        }
    )
    run(engine, tmp_path, clip, saved=saved)
    assert service.prompt.call_count == 0
    assert service.session.call_count == 0
    assert "/999/" in str(service.state.calls.last.request.url)
    assert service.render.call_count == 1


def test_resume_with_an_unposted_render_id_posts_that_same_id(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.statuses.insert(0, {"success": False, "error": "render not found"})
    saved = Saved(
        {
            "step": "edited",
            "session_id": SID,
            "task_id": "t",
            "prompt_sent": True,
            "uploaded": ["0:clip.mp4"],
            "claim_logged": True,
            "render_id": "render_222",
            "render_posted": False,
        }
    )
    run(engine, tmp_path, clip, saved=saved)
    assert service.render_ids() == ["render_222"]


def test_resume_with_a_render_the_service_knows_does_not_post(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    saved = Saved(
        {
            "step": "edited",
            "session_id": SID,
            "task_id": "t",
            "prompt_sent": True,
            "uploaded": ["0:clip.mp4"],
            "claim_logged": True,
            "render_id": "render_333",
            "render_posted": False,
        }
    )
    run(engine, tmp_path, clip, saved=saved)
    assert service.render.call_count == 0


def test_a_duplicate_render_id_is_retried_once_with_a_fresh_id(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.render.mock(
        side_effect=[
            httpx.Response(200, json={"success": False, "error": "id already exists"}),
            httpx.Response(200, json={"success": True, "data": {}}),
        ]
    )
    _, saved, _ = run(engine, tmp_path, clip)
    first, second = service.render_ids()
    assert first != second
    assert saved.last["render_id"] == second


def test_a_second_duplicate_fails(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.render.respond(json={"success": False, "error": "duplicate id"})
    with pytest.raises(NemoRejected, match="duplicate"):
        run(engine, tmp_path, clip)
    assert service.render.call_count == 2


def test_1002_starts_the_job_over_in_a_new_session(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    gone = [True]

    def state(request: httpx.Request) -> httpx.Response:
        if gone.pop() if gone else False:
            return httpx.Response(200, json=fail(1002, "session not found"))
        return service.state_answer(request)

    service.state.mock(side_effect=state)
    _, saved, _ = run(engine, tmp_path, clip)
    assert service.session.call_count == 2
    assert saved.last["session_id"] == "4243"
    assert saved.last["restarts"] == 1
    assert any(cp == {"restarts": 1} for cp in saved.history)  # the checkpoint was cleared


def test_1002_twice_gives_up_for_this_attempt(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.state.respond(json=fail(1002, "session not found"))
    with pytest.raises(NemoSessionGone) as info:
        run(engine, tmp_path, clip)
    assert isinstance(info.value, TransientError)
    assert service.session.call_count == 2


def test_a_render_that_fails_twice_fails_with_the_reason(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.statuses = [{"status": "failed", "error": "codec"}]
    with pytest.raises(NemoRejected, match="render failed twice: codec"):
        run(engine, tmp_path, clip)
    first, second = service.render_ids()
    assert first != second
    assert render_drafts(service) == [DRAFT, DRAFT]
    assert service.prompt.call_count == 1


def test_a_failed_render_is_rendered_once_more_under_a_new_id(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    done = {"status": "completed", "output": {"url": f"{BASE}/files/out.mp4"}}
    service.statuses = [{"status": "failed", "error": "node lost"}, done]
    with captured_logs() as logs:
        result, saved, _ = run(engine, tmp_path, clip)
    assert result.path.read_bytes() == MP4
    first, second = service.render_ids()
    assert saved.last["render_id"] == second != first
    assert saved.last["render_retried"] is True
    assert any("node lost" in line and "once more" in line for line in logs)


def test_the_render_deadline(tmp_path: Path, service: Service, clip: Path) -> None:
    service.statuses = [{"success": True, "data": {"status": "processing", "progress": 5}}]
    with httpx.Client(base_url=BASE) as http:
        eng = NemoEngine(settings(render_deadline=0.05), tmp_path / "state", http=http, env={})
        with pytest.raises(PermanentError, match="did not finish") as info:
            run(eng, tmp_path, clip)
    assert info.value.fallback_ok


def test_402_on_export_falls_back(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.render.respond(402)
    with pytest.raises(PermanentError, match="export blocked on the free plan") as info:
        run(engine, tmp_path, clip)
    assert info.value.fallback_ok


def test_a_failing_review_link_is_only_a_warning(
    engine: NemoEngine, service: Service, tmp_path: Path, clip: Path
) -> None:
    service.claim.respond(500)
    with captured_logs() as logs:
        result, _, _ = run(engine, tmp_path, clip)
    assert result.path.exists()
    assert any("WARNING no review link" in line for line in logs)


# -- before upload ---------------------------------------------------------------------


def test_refusals_happen_before_any_request(
    engine: NemoEngine, service: Service, tmp_path: Path
) -> None:
    heic = tmp_path / "inbox" / "photo.heic"
    heic.parent.mkdir(parents=True, exist_ok=True)
    heic.write_bytes(b"x")
    with pytest.raises(NemoInputRefused):
        run(engine, tmp_path, heic)
    big = tmp_path / "inbox" / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(C.MAX_UPLOAD_BYTES + 1)
    with pytest.raises(NemoInputRefused, match="upload limit"):
        run(engine, tmp_path, big)
    assert len(service.api.calls) == 0


def test_shrink_oversize_uploads_the_smaller_copy(tmp_path: Path, service: Service) -> None:
    big = tmp_path / "inbox" / "big.mp4"
    big.parent.mkdir(parents=True, exist_ok=True)
    with big.open("wb") as handle:
        handle.truncate(C.MAX_UPLOAD_BYTES + 1)
    shrunk: list[Path] = []

    def shrinker(source: Path, dest: Path, _ctx: Any) -> Path:
        dest.write_bytes(b"small copy")
        shrunk.append(dest)
        return dest

    with httpx.Client(base_url=BASE) as http:
        eng = NemoEngine(settings(), tmp_path / "state", http=http, env={}, shrinker=shrinker)
        run(eng, tmp_path, big, shrink_oversize=True)
    assert b"small copy" in service.upload.calls.last.request.read()
    assert not shrunk[0].exists()  # the temporary copy is removed after upload


# -- the engine ------------------------------------------------------------------------


def test_out_of_credits_pauses_until_a_credits_check_shows_some(
    tmp_path: Path, service: Service, clip: Path
) -> None:
    now = [1000.0]
    service.session.respond(json=fail(2001, "no credits"))
    with httpx.Client(base_url=BASE) as http:
        eng = NemoEngine(
            settings(),
            tmp_path / "state",
            http=http,
            env={},
            clock=lambda: now[0],
            credits_check_every=600,
        )
        with captured_logs() as logs, pytest.raises(NemoOutOfCredits):
            run(eng, tmp_path, clip)
        how = [line for line in logs if "out of credits" in line and "ERROR" in line]
        assert len(how) == 1
        assert "register at https://nemovideo.com" in how[0] and "NEMO_TOKEN" in how[0]
        assert eng.available() is False
        # While paused, a job is refused at once, without touching the service.
        before = len(service.api.calls)
        with pytest.raises(NemoOutOfCredits):
            run(eng, tmp_path, clip)
        assert len(service.api.calls) == before
        now[0] += 599
        assert eng.available() is False
        assert service.credits.call_count == 0  # not yet 10 minutes
        now[0] += 2
        assert eng.available() is False  # checked: still 0 credits
        assert service.credits.call_count == 1
        now[0] += 60
        assert eng.available() is False
        assert service.credits.call_count == 1
        service.credits.respond(json=ok({"available": 50, "frozen": 0, "total": 150}))
        now[0] += 600
        assert eng.available() is True
        assert eng.available() is True
        assert service.credits.call_count == 2
