"""End to end: the real daemon process, real folders, real ffmpeg, real SQLite."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.daemonproc import (
    DaemonProcess,
    cli,
    drop,
    ffmpeg_writing,
    jobs_in,
    start,
    status,
    wait_for,
    write_config,
)
from tests.mediagen import make_clip, probe_output

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s landscape clip with audio (the content every test copies in)."""
    return make_clip(tmp_path_factory.mktemp("media") / "clip.mp4", duration=2)


@pytest.fixture(scope="session")
def portrait_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A phone-style portrait clip: landscape pixels plus a 90° display rotation."""
    return make_clip(
        tmp_path_factory.mktemp("media") / "portrait.mov", duration=2, size=(320, 180), rotation=90
    )


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough that its render can be interrupted mid-way."""
    return make_clip(tmp_path_factory.mktemp("media") / "long.mp4", duration=12, size=(320, 240))


def outputs(root: Path) -> list[Path]:
    out = root / "out"
    return sorted(p for p in out.iterdir() if not p.name.startswith(".")) if out.exists() else []


def test_phone_clip_becomes_upright_1080p_mp4(
    tmp_path: Path, daemons: list[DaemonProcess], portrait_clip: Path
) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    drop(portrait_clip, tmp_path / "inbox", "IMG_0042.MOV")
    wait_for(lambda: jobs_in(config, "done"), 60, "job done", d)
    [job] = status(config)
    assert job["state"] == "done"
    assert job["rule"] == "clips"
    assert job["engine"] == "local"
    assert job["error"] is None
    out = Path(job["output"])
    assert out == tmp_path / "out" / "IMG_0042-edited.mp4"
    probed = probe_output(out)
    assert probed.display_size == (1080, 1920)
    assert probed.video_codec == "h264" and probed.profile == "High"
    assert probed.pix_fmt == "yuv420p"
    assert probed.audio_codec == "aac" and probed.audio_rate == 48000
    assert probed.faststart
    assert abs(probed.duration - 2.0) < 0.1
    assert (tmp_path / "inbox" / "IMG_0042.MOV").exists(), "the original is kept by default"
    assert d.stop() == 0
    assert "stopping" in d.log


def test_file_present_before_start_is_processed(
    tmp_path: Path, daemons: list[DaemonProcess], clip: Path
) -> None:
    config = write_config(tmp_path)
    shutil.copyfile(clip, tmp_path / "inbox" / "early.mp4")
    d = start(daemons, config)
    wait_for(lambda: jobs_in(config, "done"), 60, "job done", d)
    assert [p.name for p in outputs(tmp_path)] == ["early-edited.mp4"]


def test_same_content_under_new_name_is_not_processed_twice(
    tmp_path: Path, daemons: list[DaemonProcess], clip: Path
) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    drop(clip, tmp_path / "inbox", "a.mp4")
    wait_for(lambda: jobs_in(config, "done"), 60, "first job done", d)
    drop(clip, tmp_path / "inbox", "b.mp4")
    d.wait_log("b.mp4: same content as job 1", timeout=30)
    assert len(status(config)) == 1
    assert [p.name for p in outputs(tmp_path)] == ["a-edited.mp4"]


def test_corrupt_video_fails_with_reason_and_daemon_goes_on(
    tmp_path: Path, daemons: list[DaemonProcess], clip: Path
) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    (tmp_path / "inbox" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
    wait_for(lambda: jobs_in(config, "failed"), 60, "job failed", d)
    [failed] = jobs_in(config, "failed")
    assert failed["source"].endswith("broken.mp4")
    assert "not a readable video" in failed["error"]
    assert d.running()
    drop(clip, tmp_path / "inbox", "good.mp4")
    wait_for(lambda: jobs_in(config, "done"), 60, "good job done", d)
    assert [p.name for p in outputs(tmp_path)] == ["good-edited.mp4"]
    assert (tmp_path / "inbox" / "broken.mp4").exists()


@pytest.mark.slow  # a 12 s clip rendered to 1080p twice: about a minute each
def test_kill_9_mid_job_resumes_and_completes_once(
    tmp_path: Path, daemons: list[DaemonProcess], long_clip: Path
) -> None:
    # A slower preset so the render is surely still going when the daemon is killed.
    config = write_config(tmp_path, local={"preset": "medium"})
    d = start(daemons, config)
    drop(long_clip, tmp_path / "inbox", "long.mp4")
    d.wait_log("render 10 %", timeout=60)
    d.kill()
    [job] = status(config)
    assert job["state"] == "running"
    # The orphaned ffmpeg of the killed daemon is still writing its scratch file.
    marker = f".videofree-{job['id']}-"
    d2 = start(daemons, config)
    wait_for(lambda: jobs_in(config, "done"), 120, "resumed job done", d2)
    assert "resuming 1 interrupted job" in d2.log
    assert not ffmpeg_writing(marker), "the orphaned ffmpeg was not stopped"
    [job] = status(config)
    assert job["attempts"] == 1, "a crash does not count as a failed attempt"
    assert [p.name for p in outputs(tmp_path)] == ["long-edited.mp4"]
    assert not list((tmp_path / "out").glob(".videofree-*")), "scratch files left behind"
    assert abs(probe_output(tmp_path / "out" / "long-edited.mp4").duration - 12.0) < 0.1


@pytest.mark.slow  # a 12 s clip rendered to 1080p twice: about a minute each
def test_sigterm_leaves_running_job_resumable(
    tmp_path: Path, daemons: list[DaemonProcess], long_clip: Path
) -> None:
    config = write_config(tmp_path, local={"preset": "medium"})
    d = start(daemons, config)
    drop(long_clip, tmp_path / "inbox", "long.mp4")
    d.wait_log("render 10 %", timeout=60)
    began = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0
    assert time.monotonic() - began < 15
    [job] = status(config)
    assert job["state"] == "queued"
    d2 = start(daemons, config)
    wait_for(lambda: jobs_in(config, "done"), 120, "resumed job done", d2)
    assert [p.name for p in outputs(tmp_path)] == ["long-edited.mp4"]


def test_invalid_rules_refuse_to_start(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text("watch: [inbox]\nrules:\n  - name: clips\n    glob: 42\n    output: out\n")
    result = cli(config, "run", check=False)
    assert result.returncode == 1
    assert "rules.yaml:4: rules[0].glob: expected a string or a list of strings" in result.stderr


def test_rules_edit_is_reloaded_and_bad_edit_keeps_last_good(
    tmp_path: Path, daemons: list[DaemonProcess], clip: Path
) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    good = config.read_text()
    config.write_text(good + "bogus_key: 1\n")
    d.wait_log("keeping the last good rules", timeout=15)
    assert "bogus_key: unknown key" in d.log
    # Still working on the last good rules:
    drop(clip, tmp_path / "inbox", "one.mp4")
    wait_for(lambda: jobs_in(config, "done"), 60, "job under old rules", d)
    # A valid edit: a new output name.
    config.write_text(good.replace("name: clips", "name: clips\n  output_name: '{stem}-v2.mp4'"))
    d.wait_log("rules reloaded", timeout=15)
    second = make_clip(tmp_path / "other.mp4", duration=1, size=(160, 120))
    drop(second, tmp_path / "inbox", "two.mp4")
    wait_for(lambda: len(jobs_in(config, "done")) == 2, 60, "job under new rules", d)
    assert {p.name for p in outputs(tmp_path)} == {"one-edited.mp4", "two-v2.mp4"}


def test_unmatched_and_temporary_files_are_left_alone(
    tmp_path: Path, daemons: list[DaemonProcess], clip: Path
) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    (tmp_path / "inbox" / "notes.txt").write_text("hello")
    shutil.copyfile(clip, tmp_path / "inbox" / "clip.mp4.part")
    d.wait_log("notes.txt: no rule matches", timeout=15)
    time.sleep(2)
    assert status(config) == []
    assert d.log.count("notes.txt: no rule matches") == 1
    (tmp_path / "inbox" / "clip.mp4.part").rename(tmp_path / "inbox" / "clip.mp4")
    wait_for(lambda: jobs_in(config, "done"), 60, "renamed file processed", d)


def test_process_status_and_retry_commands(tmp_path: Path, clip: Path) -> None:
    config = write_config(tmp_path)
    src = tmp_path / "elsewhere" / "clip.mp4"
    src.parent.mkdir()
    shutil.copyfile(clip, src)
    done = cli(config, "process", str(src))
    assert done.stdout.strip().endswith("clip-edited.mp4")
    again = cli(config, "process", str(src))
    assert "already done as job 1" in again.stdout
    bad = tmp_path / "elsewhere" / "bad.mp4"
    bad.write_bytes(b"not a video")
    failed = cli(config, "process", str(bad), check=False)
    assert failed.returncode == 1
    assert "job 2 failed: not a readable video" in failed.stderr
    assert cli(config, "retry", "2").returncode == 0
    assert jobs_in(config, "queued")[0]["id"] == 2
    assert cli(config, "retry", "99", check=False).returncode == 1


def test_polling_recursive_watch_with_path_glob_and_move(
    tmp_path: Path, daemons: list[DaemonProcess], clip: Path
) -> None:
    # A network-share setup: polling observer, sub-folders, a rule for one sub-folder,
    # originals moved away after delivery.
    config = write_config(
        tmp_path,
        watch=[{"path": str(tmp_path / "inbox"), "polling": True, "recursive": True}],
        rules=[
            {
                "name": "trip",
                "glob": "trip/*.mp4",
                "output": str(tmp_path / "out"),
                "output_name": "{rule}/{stem}.mp4",
                "original": {"move_to": str(tmp_path / "done")},
            },
        ],
    )
    d = start(daemons, config)
    assert "(polling)" in d.log
    (tmp_path / "inbox" / "trip").mkdir()
    (tmp_path / "inbox" / "other").mkdir()
    drop(clip, tmp_path / "inbox" / "trip", "beach.mp4")
    drop(clip, tmp_path / "inbox" / "other", "skip.mp4")
    wait_for(lambda: jobs_in(config, "done"), 60, "job done", d)
    assert (tmp_path / "out" / "trip" / "beach.mp4").is_file()
    wait_for((tmp_path / "done" / "beach.mp4").is_file, 10, "original moved", d)
    assert not (tmp_path / "inbox" / "trip" / "beach.mp4").exists()
    d.wait_log("skip.mp4: no rule matches", timeout=15)
    assert len(status(config)) == 1


def test_sighup_reloads_rules(tmp_path: Path, daemons: list[DaemonProcess]) -> None:
    config = write_config(tmp_path)
    d = start(daemons, config)
    assert d.proc is not None
    d.proc.send_signal(signal.SIGHUP)
    d.wait_log("rules reloaded", timeout=15)
    assert d.running()


def test_combine_joins_clips_that_arrive_together(
    tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    config = write_config(
        tmp_path,
        rules=[
            {
                "name": "trip",
                "glob": "*.mp4",
                "output": str(tmp_path / "out"),
                "prompt": "crossfade between clips for 0.5 seconds",
                "combine": "2s",
            },
        ],
    )
    media = tmp_path / "media"
    media.mkdir()
    # Named against capture order: the daemon must order by creation_time, not by name.
    first = make_clip(
        media / "first.mp4", duration=2, extra=("-metadata", "creation_time=2026-05-01T10:00:00Z")
    )
    second = make_clip(
        media / "second.mp4",
        duration=3,
        size=(160, 120),
        extra=("-metadata", "creation_time=2026-05-01T10:05:00Z"),
    )
    d = start(daemons, config)
    drop(second, tmp_path / "inbox", "a-later.mp4")
    drop(first, tmp_path / "inbox", "b-earlier.mp4")
    wait_for(lambda: jobs_in(config, "done"), 90, "combined job done", d)
    [job] = status(config)
    assert [Path(s).name for s in job["sources"]] == ["b-earlier.mp4", "a-later.mp4"]
    probed = probe_output(Path(job["output"]))
    assert abs(probed.duration - (2 + 3 - 0.5)) < 0.1
    assert (probed.width, probed.height) == (1440, 1080)
