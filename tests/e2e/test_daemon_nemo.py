"""End to end with NemoVideo: the real daemon process against a NemoVideo-like server on
127.0.0.1 (tests/fakes/nemo_server.py), with the faults the real service shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.daemonproc import (
    DaemonProcess,
    cli,
    drop,
    jobs_in,
    start,
    status,
    wait_for,
    write_config,
)
from tests.fakes.nemo_server import FakeNemo
from tests.mediagen import make_clip, probe_output

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("nemo-media")
    return [
        make_clip(folder / f"clip{i}.mp4", duration=1 + i, size=(160 + 16 * i, 120))
        for i in range(2)
    ]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeNemo]:
    rendered = make_clip(tmp_path / "rendered.mp4", duration=3, size=(1920, 1080), audio=True)
    with FakeNemo(media=rendered) as server:
        yield server


def nemo_config(
    root: Path,
    api_base: str,
    *,
    fallback: str | None = None,
    output: Path | None = None,
    shared: dict[str, Any] | None = None,
    **nemo: Any,
) -> Path:
    """A config with one NemoVideo rule; `shared` adds top-level settings (a worker's)."""
    rule: dict[str, Any] = {
        "name": "cloud",
        "glob": "*.mp4",
        "prompt": "trim, add transitions, and export this",
        "output": str(output or root / "out"),
        "engine": "nemo",
    }
    if fallback:
        rule["fallback"] = fallback
    settings = {
        "api_base": api_base,
        "poll_interval": 0.2,
        "rate_limit_wait": 0.2,
        "change_deadline": 10,
        "retry_wait": 0.2,
        "request_timeout": 10,
        **nemo,
    }
    return write_config(root, nemo=settings, rules=[rule], max_attempts=2, **(shared or {}))


def token_of(root: Path) -> str:
    token: str = json.loads((root / "state" / "nemo-token").read_text())["token"]
    return token


def assert_one_prompt_and_render_per_job(fake: FakeNemo, jobs: int) -> None:
    stats = fake.stats()
    assert sum(stats["prompts"].values()) == jobs, stats["prompts"]
    assert all(n == 1 for n in stats["prompts"].values()), stats["prompts"]
    assert all(n == 1 for n in stats["renders"].values()), stats["renders"]
    assert len(stats["render_ids"]) == jobs
    assert fake.requests_missing_headers() == []


def test_jobs_through_the_daemon_survive_429_and_expired_token(
    tmp_path: Path, daemons: list[DaemonProcess], fake: FakeNemo, clips: list[Path]
) -> None:
    fake.faults.sse = "heartbeats"
    fake.faults.rate_limit_next = 1
    fake.faults.expire_token_next = True
    config = nemo_config(tmp_path, fake.url)
    d = start(daemons, config)
    drop(clips[0], tmp_path / "inbox", "a.mp4")
    drop(clips[1], tmp_path / "inbox", "b.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == 2, 90, "two nemo jobs done", d)
    assert_one_prompt_and_render_per_job(fake, 2)
    for job in status(config):
        assert job["engine"] == "nemo"
        probed = probe_output(Path(job["output"]))
        assert (probed.width, probed.height) == (1920, 1080)
        assert abs(probed.duration - 3.0) < 0.1
    uploads = fake.stats()["uploads"]
    assert len(uploads) == 2
    token = token_of(tmp_path)
    assert token not in d.log
    assert oct((tmp_path / "state" / "nemo-token").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("sse", ["silent", "broken"])
def test_stream_without_text_or_broken_is_not_prompted_twice(
    tmp_path: Path, daemons: list[DaemonProcess], fake: FakeNemo, clips: list[Path], sse: str
) -> None:
    fake.faults.sse = sse
    config = nemo_config(tmp_path, fake.url)
    d = start(daemons, config)
    drop(clips[0], tmp_path / "inbox", "a.mp4")
    wait_for(lambda: jobs_in(config, "done"), 90, "nemo job done", d)
    assert_one_prompt_and_render_per_job(fake, 1)


def test_daemon_restart_while_render_polls_keeps_one_render(
    tmp_path: Path, daemons: list[DaemonProcess], fake: FakeNemo, clips: list[Path]
) -> None:
    fake.faults.render_polls = 40  # ~8 s of polling at 0.2 s
    config = nemo_config(tmp_path, fake.url)
    d = start(daemons, config)
    drop(clips[0], tmp_path / "inbox", "a.mp4")
    wait_for(lambda: fake.stats()["render_ids"], 60, "render started", d)
    d.kill()
    d2 = start(daemons, config)
    wait_for(lambda: jobs_in(config, "done"), 90, "resumed nemo job done", d2)
    assert_one_prompt_and_render_per_job(fake, 1)
    assert fake.stats()["tokens_issued"] == 1, "the token was reused across the restart"


def test_unreachable_api_falls_back_to_local(
    tmp_path: Path, daemons: list[DaemonProcess], clips: list[Path]
) -> None:
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    config = nemo_config(tmp_path, "http://127.0.0.1:9", fallback="local")
    d = start(daemons, config)
    drop(clips[0], tmp_path / "inbox", "a.mp4")
    wait_for(lambda: jobs_in(config, "done"), 90, "fallback job done", d)
    [job] = status(config)
    assert job["engine"] == "local"
    assert any("fallback" in note for note in job["notes"])
    probed = probe_output(Path(job["output"]))
    assert min(probed.width, probed.height) == 1080  # made locally at 1080p


def test_out_of_credits_gives_the_bind_link_and_pauses_nemo_jobs(
    tmp_path: Path, daemons: list[DaemonProcess], fake: FakeNemo, clips: list[Path]
) -> None:
    fake.faults.credits_available = 0  # /run_sse answers {"code": 2001} before any stream
    config = nemo_config(tmp_path, fake.url)
    d = start(daemons, config)
    drop(clips[0], tmp_path / "inbox", "a.mp4")
    wait_for(lambda: jobs_in(config, "failed"), 60, "job failed for credits", d)
    [job] = status(config)
    link = f"https://nemovideo.com/?bind={fake.anonymous_user_id}"
    assert "credit" in job["error"].lower()
    assert link in job["error"]
    assert "NEMO_TOKEN" in d.log, "the log says how to get more credits"
    # The next NemoVideo job waits for credits instead of failing or running.
    drop(clips[1], tmp_path / "inbox", "b.mp4")
    wait_for(
        lambda: any("unavailable" in (j["error"] or "") for j in jobs_in(config, "queued")),
        60,
        "second job waiting",
        d,
    )
    assert d.running()
    assert fake.stats()["prompts"] == {}


def test_out_of_credits_does_not_hang_videofree_process(
    tmp_path: Path, fake: FakeNemo, clips: list[Path]
) -> None:
    fake.faults.credits_available = 0
    config = nemo_config(tmp_path, fake.url)
    src = tmp_path / "elsewhere" / "clip.mp4"
    src.parent.mkdir()
    src.write_bytes(clips[0].read_bytes())
    done = cli(config, "process", str(src), check=False)
    assert done.returncode == 1
    assert f"?bind={fake.anonymous_user_id}" in done.stderr
    assert fake.stats()["prompts"] == {}


def test_done_when_a_service_as_awkward_as_the_real_one(
    tmp_path: Path, daemons: list[DaemonProcess], fake: FakeNemo, clips: list[Path]
) -> None:
    # Issue 9's scenario: the upload fills the draft at once (the fake's default), the
    # first /run_sse is refused with 503, the stream closes without a word and the edit
    # shows in the state seconds later, the first render fails, and one call is answered
    # {"code": 429} with HTTP 200.
    fake.faults.fail = {"/run_sse": [503], "/api/state/": ["code:429"]}
    fake.faults.sse = "silent"
    fake.faults.edit_delay = 2.0
    fake.faults.render_fail_first = 1
    config = nemo_config(tmp_path, fake.url, fallback="local")
    d = start(daemons, config)
    drop(clips[0], tmp_path / "inbox", "a.mp4")
    drop(clips[1], tmp_path / "inbox", "b.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == 2, 120, "two nemo jobs done", d)
    stats = fake.stats()
    assert sorted(str(r["answer"]) for r in stats["refused"]) == ["503", "code:429"]
    assert sum(stats["prompts"].values()) == 2 and set(stats["prompts"].values()) == {1}
    assert set(stats["credits_spent"].values()) == {50.0}, "no credits spent twice"
    assert len(stats["failed_renders"]) == 1
    assert len(stats["render_ids"]) == 3
    assert stats["renders_of_unedited_drafts"] == []
    assert fake.requests_missing_headers() == []
    for job in status(config):
        assert job["engine"] == "nemo"
        assert not any("fallback" in note for note in job["notes"])
        probed = probe_output(Path(job["output"]))
        assert (probed.width, probed.height) == (1920, 1080)
    assert token_of(tmp_path) not in d.log


def test_another_worker_resumes_a_cloud_job_whose_worker_was_killed(
    tmp_path: Path, pg_url: str, daemons: list[DaemonProcess], fake: FakeNemo, clips: list[Path]
) -> None:
    """Two workers on one PostgreSQL ledger and one NemoVideo account (NEMO_TOKEN): the
    first is SIGKILLed while its render polls; the second, with its own state folder,
    resumes from the ledger's checkpoint — the same session and render, nothing paid twice."""
    pytest.importorskip("psycopg")
    fake.faults.render_polls = 40  # ~8 s of polling at 0.2 s
    account = {"NEMO_TOKEN": fake.new_token()}
    inbox, out = tmp_path / "share" / "Inbox", tmp_path / "share" / "Edited"
    inbox.mkdir(parents=True)

    def worker(name: str) -> DaemonProcess:
        folder = tmp_path / name
        folder.mkdir()
        shared = {
            "watch": [str(inbox)],
            "ledger": pg_url,
            "lease_seconds": 4,
            "settle_seconds": 0.5,
        }
        config = nemo_config(folder, fake.url, output=out, shared=shared)
        d = DaemonProcess(config, env=account).start()
        daemons.append(d)
        d.wait_running(timeout=30)
        return d

    first = worker("first")
    drop(clips[0], inbox, "a.mp4")
    wait_for(lambda: fake.stats()["render_ids"], 60, "render started", first)
    first.kill()
    second = worker("second")
    done = wait_for(lambda: jobs_in(second.config, "done"), 90, "the job done", second)
    assert len(done) == 1
    assert_one_prompt_and_render_per_job(fake, 1)
    assert fake.stats()["tokens_issued"] == 1  # the account's token only: none fetched
    assert "resum" in second.log.lower(), second.log[-2000:]
    outputs = [p for p in out.glob("*.mp4") if not p.name.startswith(".")]
    assert len(outputs) == 1 and probe_output(outputs[0]).height == 1080
