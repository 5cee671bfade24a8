"""Whole NemoVideo jobs through NemoEngine.run against the fake server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.engines.base import EngineResult
from daemon.engines.nemo import NemoEngine, create_nemo_engine, credits_summary
from daemon.engines.nemo.errors import (
    NemoEditChangedNothing,
    NemoOutOfCredits,
    NemoUnreachable,
)
from daemon.errors import PermanentError, TransientError
from tests.fakes.nemo_helpers import Saved, captured_logs, make_ctx, make_job, settings
from tests.fakes.nemo_server import FakeNemo, Faults
from tests.mediagen import make_clip, probe_output

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("nemo-media")
    return {
        "render": make_clip(folder / "render.mp4", duration=1.5, size=(320, 180)),
        "source": make_clip(folder / "IMG_0042.mp4", duration=1.0, size=(160, 120)),
    }


@pytest.fixture
def fake(media: dict[str, Path]) -> Iterator[FakeNemo]:
    with FakeNemo(media=media["render"]) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEMO_TOKEN", raising=False)


@pytest.fixture
def source(tmp_path: Path, media: dict[str, Path]) -> Path:
    path = tmp_path / "inbox" / "IMG_0042.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(media["source"].read_bytes())
    return path


def run_job(
    fake: FakeNemo, tmp_path: Path, source: Path, saved: Saved | None = None, **nemo: Any
) -> tuple[EngineResult, Saved]:
    job = make_job(tmp_path, [source], nemo=settings(fake.url, **nemo))
    engine = create_nemo_engine(job.config)
    ctx, store = make_ctx(tmp_path, saved)
    try:
        return engine.run(job, ctx), store
    finally:
        engine.close()


def assert_one_prompt_one_render(fake: FakeNemo) -> None:
    stats = fake.stats()
    assert stats["prompts"], "no prompt reached the server"
    assert set(stats["prompts"].values()) == {1}
    assert set(stats["renders"].values()) == {1}
    assert stats["renders"].keys() <= stats["prompts"].keys()
    assert fake.requests_missing_headers() == []


def assert_delivered(result: EngineResult, media: dict[str, Path]) -> None:
    assert result.engine == "nemo"
    assert result.path.read_bytes() == media["render"].read_bytes()
    probed = probe_output(result.path)
    assert probed.video_codec == "h264"
    assert (probed.width, probed.height) == (320, 180)
    assert probed.duration == pytest.approx(1.5, abs=0.1)


def test_a_whole_job_with_heartbeats(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.sse = "heartbeats"
    fake.faults.sse_heartbeats = 5
    with captured_logs() as logs:
        result, saved = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    (upload,) = fake.stats()["uploads"]
    assert upload["filename"] == "IMG_0042.mp4"
    assert upload["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert upload["size"] == source.stat().st_size
    text = "\n".join(logs)
    assert "NemoVideo: Added lo-fi music and a title." in text
    assert "Timeline (3 tracks): Video 0-1.8s; BGM 0-2s; Title 0-2s" in text
    assert text.count("https://nemovideo.com/workspace/claim?ct=ct-") == 1
    token = json.loads((tmp_path / "state" / "nemo-token").read_text())["token"]
    assert token.startswith("nmv_usr_")
    assert token not in text
    assert all(token not in json.dumps(cp) for cp in saved.history)
    assert oct((tmp_path / "state" / "nemo-token").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("mode", ["silent", "broken"])
def test_a_stream_without_text_is_not_resent(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path], mode: str
) -> None:
    fake.faults.sse = mode
    fake.faults.edit_delay = 0.5  # the edit shows in the state only after the stream
    result, _ = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    assert fake.stats()["renders_of_unedited_drafts"] == []


def test_a_429_and_an_expired_token(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.rate_limit_next = 1
    fake.faults.expire_token_next = True
    result, _ = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    assert fake.stats()["tokens_issued"] == 2


def test_top_level_render_shape_and_the_proxy_download(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.render_shape = "top"
    fake.faults.break_output_url = True
    fake.faults.duplicate_render_once = True
    result, _ = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    stats = fake.stats()
    assert len(stats["refused_renders"]) == 1
    assert len(stats["render_ids"]) == 1
    assert any(r["path"].endswith("/download") for r in stats["requests"])


def test_a_restart_while_polling_keeps_one_render(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.render_polls = 1000
    job = make_job(tmp_path, [source], nemo=settings(fake.url))
    cancel = threading.Event()
    progress: list[float] = []

    def stop_after_two_polls(pct: float) -> None:
        progress.append(pct)
        if len(progress) >= 2:
            cancel.set()  # the daemon is shutting down mid-poll

    first = create_nemo_engine(job.config)
    ctx, saved = make_ctx(tmp_path, cancel=cancel)
    ctx.progress = stop_after_two_polls
    with pytest.raises(TransientError, match="shutdown"):
        first.run(job, ctx)
    first.close()
    assert saved.last["step"] == "rendering"
    render_id = saved.last["render_id"]

    fake.faults.render_polls = fake.renders[render_id].polls + 2
    second = create_nemo_engine(job.config)  # a new process: same state dir, new engine
    ctx2, _ = make_ctx(tmp_path, saved)
    result = second.run(job, ctx2)
    second.close()
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    stats = fake.stats()
    assert stats["render_ids"] == [render_id]
    assert stats["tokens_issued"] == 1  # the token file was reused after the restart
    assert len(stats["uploads"]) == 1


def test_a_restart_during_the_edit_stream_never_resends(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.sse = "hang"  # heartbeats, then nothing at all
    fake.faults.edit_delay = 0.0
    job = make_job(tmp_path, [source], nemo=settings(fake.url))
    cancel = threading.Event()
    watcher = threading.Thread(target=_cancel_once_prompted, args=(fake, cancel))
    watcher.start()
    engine = create_nemo_engine(job.config)
    ctx, saved = make_ctx(tmp_path, cancel=cancel)
    try:
        with pytest.raises(TransientError, match="shutdown"):
            engine.run(job, ctx)
    finally:
        cancel.set()
        watcher.join()
        engine.close()
    assert saved.last["prompt_sent"] is True
    result, _ = run_job(fake, tmp_path, source, saved=saved)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)


def test_a_shutdown_ends_a_long_upload_at_once(
    fake: FakeNemo, tmp_path: Path, source: Path
) -> None:
    """A 16 MB clip on a slow link (the fake reads 64 KiB every 50 ms: ~13 s): a shutdown
    a moment in stops the upload at the next read, not when it is done."""
    with source.open("ab") as grow:  # bytes after the MP4's boxes: still the same video
        grow.write(bytes(16 * 1024 * 1024))
    fake.faults.upload_read_delay = 0.05
    job = make_job(tmp_path, [source], nemo=settings(fake.url))
    cancel = threading.Event()
    engine = create_nemo_engine(job.config)
    ctx, saved = make_ctx(tmp_path, cancel=cancel)
    timer = threading.Timer(1.0, cancel.set)
    timer.start()
    try:
        with pytest.raises(TransientError, match="shutdown"):
            engine.run(job, ctx)
    finally:
        timer.cancel()
        engine.close()
    assert fake.stats()["uploads"] == []  # it never finished
    assert not saved.last.get("prompt_sent")


def _cancel_once_prompted(fake: FakeNemo, cancel: threading.Event) -> None:
    while not cancel.is_set() and not fake.stats()["prompts"]:
        cancel.wait(0.02)
    cancel.set()


def test_the_stream_hands_its_connection_back_unharmed(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    # Once the stream is read to its end, httpx pools its connection and the next call
    # (here: the state read) reuses it. Shutting that socket down after the end broke
    # whatever request another job had on it (reset reads, a prompt sent twice).
    result, _ = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    calls = [r for r in fake.requests if not r["path"].startswith("/_fake/")]
    stream = next(i for i, r in enumerate(calls) if r["path"] == "/run_sse")
    after = calls[stream + 1]
    assert after["path"].endswith("/latest"), after
    assert after["peer"] == calls[stream]["peer"], "the stream's connection was shut down"


def test_two_jobs_at_once_share_one_token(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    job = make_job(tmp_path, [source], nemo=settings(fake.url))
    engine = create_nemo_engine(job.config)
    results: list[EngineResult] = []

    def one(job_id: int) -> None:
        ctx, _ = make_ctx(tmp_path / f"j{job_id}", job_id=job_id)
        results.append(engine.run(job, ctx))

    threads = [threading.Thread(target=one, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    engine.close()
    assert len(results) == 2
    for result in results:
        assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    stats = fake.stats()
    assert len(stats["prompts"]) == 2
    assert stats["tokens_issued"] == 1


def test_export_blocked_on_the_free_plan(fake: FakeNemo, tmp_path: Path, source: Path) -> None:
    fake.faults.export_402 = True
    with pytest.raises(PermanentError, match="export blocked on the free plan") as info:
        run_job(fake, tmp_path, source)
    assert info.value.fallback_ok


def test_out_of_credits_pauses_the_engine(fake: FakeNemo, tmp_path: Path, source: Path) -> None:
    fake.faults.credits_available = 0
    job = make_job(tmp_path, [source], nemo=settings(fake.url))
    engine = NemoEngine(job.config.nemo, tmp_path / "state", env={}, credits_check_every=0.0)
    ctx, _ = make_ctx(tmp_path)
    with pytest.raises(NemoOutOfCredits) as info:
        engine.run(job, ctx)
    assert info.value.pause_engine and info.value.fallback_ok
    assert engine.available() is False
    fake.faults.credits_available = 40
    assert engine.available() is True
    assert "NemoVideo credits: 40 available" in credits_summary(job.config)
    engine.close()


def test_an_unreachable_service_falls_back(tmp_path: Path, source: Path) -> None:
    with FakeNemo(media=source) as gone:
        url = gone.url  # a port that was just open and is now closed
    job = make_job(tmp_path, [source], nemo=settings(url))
    engine = create_nemo_engine(job.config)
    ctx, _ = make_ctx(tmp_path)
    with pytest.raises(NemoUnreachable) as info:
        engine.run(job, ctx)
    engine.close()
    assert info.value.fallback_ok
    assert isinstance(info.value, TransientError)


def test_the_fake_runs_as_a_script(tmp_path: Path, media: dict[str, Path]) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.nemo_server",
            "--port",
            "0",
            "--media",
            str(media["render"]),
            "--render-polls",
            "2",
            "--sse",
            "silent",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(
            f"{url}/_fake/faults", method="POST", data=json.dumps({"render_shape": "top"}).encode()
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            faults = json.loads(answer.read())
        assert (faults["render_shape"], faults["render_polls"], faults["sse"]) == (
            "top",
            2,
            "silent",
        )
        # Flags that default to on stay on unless the command line turns them off.
        assert faults["upload_fills_draft"] is True
        assert faults["upload_lists_files"] is True
        with urllib.request.urlopen(f"{url}/_fake/stats", timeout=5) as answer:
            assert json.loads(answer.read())["prompts"] == {}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0


def test_faults_default_to_a_well_behaved_service() -> None:
    assert Faults().sse == "normal"
    assert Faults().render_polls >= 2


# -- what the real service does (issue 9) --------------------------------------------------


def test_a_503_on_the_prompt_is_sent_again_and_charged_once(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.fail = {"/run_sse": [503]}
    result, saved = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    stats = fake.stats()
    assert stats["refused"] == [{"path": "/run_sse", "answer": 503}]
    assert list(stats["credits_spent"].values()) == [50.0]
    assert saved.last["prompt_sent"] is True


def test_a_prompt_refused_until_the_attempt_ends_leaves_it_unsent(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.fail = {"/run_sse": ["reset", 503]}
    with pytest.raises(TransientError):
        run_job(fake, tmp_path, source)
    job = make_job(tmp_path, [source], nemo=settings(fake.url))
    assert fake.stats()["prompts"] == {}
    # The checkpoint of that attempt does not claim the prompt: the next attempt sends it.
    engine = create_nemo_engine(job.config)
    ctx, saved = make_ctx(tmp_path)
    with pytest.raises(TransientError):
        fake.faults.fail = {"/run_sse": [503, 503]}
        engine.run(job, ctx)
    assert "prompt_sent" not in saved.last
    result = engine.run(job, make_ctx(tmp_path, saved)[0])
    engine.close()
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)


def test_an_envelope_429_with_http_200_waits_and_goes_on(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.fail = {"/api/state/": ["code:429"]}
    result, _ = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)
    [refused] = fake.stats()["refused"]
    assert refused["path"].startswith("/api/state/") and refused["answer"] == "code:429"


def test_a_failed_render_is_rendered_once_more(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.render_fail_first = 1
    result, saved = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    stats = fake.stats()
    assert set(stats["prompts"].values()) == {1}
    failed, retried = stats["render_ids"]
    assert stats["failed_renders"] == [failed]
    assert saved.last["render_id"] == retried
    assert stats["renders_of_unedited_drafts"] == []


def test_an_edit_that_changes_nothing_is_never_rendered(
    fake: FakeNemo, tmp_path: Path, source: Path
) -> None:
    fake.faults.edit_noop = True
    with pytest.raises(NemoEditChangedNothing, match="changed nothing") as info:
        run_job(fake, tmp_path, source)
    assert "Added lo-fi music and a title." in info.value.reason
    assert info.value.fallback_ok
    assert fake.stats()["render_ids"] == []


def test_an_upload_answer_without_files_is_confirmed_from_the_state(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path]
) -> None:
    fake.faults.upload_lists_files = False
    result, _ = run_job(fake, tmp_path, source)
    assert_delivered(result, media)
    assert_one_prompt_one_render(fake)


def test_out_of_credits_gives_the_bind_link(fake: FakeNemo, tmp_path: Path, source: Path) -> None:
    fake.faults.credits_available = 0
    with pytest.raises(NemoOutOfCredits) as info:
        run_job(fake, tmp_path, source)
    assert f"https://nemovideo.com/?bind={fake.anonymous_user_id}" in info.value.reason
    assert fake.stats()["prompts"] == {}


@pytest.mark.parametrize("stop", ["cancel", "deadline"])
def test_a_silent_server_is_left_within_a_second(
    fake: FakeNemo, tmp_path: Path, source: Path, media: dict[str, Path], stop: str
) -> None:
    fake.faults.sse = "hang"
    fake.faults.edit_delay = 0.0
    job = make_job(tmp_path, [source], nemo=settings(fake.url, sse_timeout=0.5))
    engine = create_nemo_engine(job.config)
    cancel = threading.Event()
    ctx, saved = make_ctx(tmp_path, cancel=cancel)
    stopped_at: list[float] = []

    def stop_when_prompted() -> None:
        while not fake.stats()["prompts"]:
            time.sleep(0.01)
        stopped_at.append(time.monotonic())
        if stop == "cancel":
            cancel.set()

    watcher = threading.Thread(target=stop_when_prompted)
    watcher.start()
    try:
        if stop == "cancel":
            with pytest.raises(TransientError, match="shutdown"):
                engine.run(job, ctx)
        else:
            assert_delivered(engine.run(job, ctx), media)
        ended = time.monotonic()
    finally:
        watcher.join()
        engine.close()
    allowed = 1.0 if stop == "cancel" else 0.5 + 1.0
    assert ended - stopped_at[0] < allowed
    assert saved.last["prompt_sent"] is True
    assert set(fake.stats()["prompts"].values()) == {1}
