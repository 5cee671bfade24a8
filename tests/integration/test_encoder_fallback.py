"""Encoder selection end to end: auto without a GPU is libx264 with nothing said; a
hardware encoder that fails mid-job falls back to software and says so; HEVC is hvc1."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from loguru import logger

from daemon.config import Config, LocalSettings
from daemon.engines.base import JobContext, JobSpec
from daemon.engines.local.engine import LocalEngine
from daemon.media import hwprobe
from daemon.media.encoders import Encoder
from tests.mediagen import FFMPEG, make_clip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("enc") / "a.mp4", duration=1.0, size=(160, 120))


def _run(tmp_path: Path, clip: Path, **settings: object) -> tuple[Path, JobContext, LocalEngine]:
    config = Config.model_validate(
        {
            "watch": [str(tmp_path / "in")],
            "rules": [{"name": "r", "glob": "*", "output": str(tmp_path / "out")}],
        }
    )
    job = JobSpec(job_id=1, sources=(clip,), rule=config.rules[0])
    ctx = JobContext(scratch=tmp_path / "scratch.mp4", log=logger)
    engine = LocalEngine(
        LocalSettings.model_validate({"preset": "superfast", "crf": 30, **settings}), FFMPEG
    )
    return engine.run(job, ctx).path, ctx, engine


def _codec(path: Path) -> tuple[str, str]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        return stream.codec_context.name, stream.codec_tag


def test_auto_without_a_gpu_uses_libx264_silently(tmp_path: Path, clip: Path) -> None:
    if hwprobe.pick(FFMPEG, "auto", "h264").encoder.hardware:
        pytest.skip("this machine has a working hardware encoder")
    out, ctx, engine = _run(tmp_path, clip)
    assert _codec(out)[0] == "h264" and ctx.notes == []
    assert engine.encoder(ctx).reason.startswith("libx264 (auto:")


def test_a_failing_hardware_encoder_falls_back_for_the_job(tmp_path: Path, clip: Path) -> None:
    # NVENC without an NVIDIA GPU: ffmpeg has the encoder built in, and it fails to open.
    if hwprobe.works(FFMPEG, Encoder("nvenc", "h264")):
        pytest.skip("NVENC works here")
    out, ctx, _ = _run(tmp_path, clip, encoder="nvenc")
    assert _codec(out)[0] == "h264"
    assert len(ctx.notes) == 1
    assert ctx.notes[0].startswith("hardware encoder h264_nvenc failed (")
    assert ctx.notes[0].endswith("encoded with libx264 instead")
    # The note says the cause (e.g. "[h264_nvenc] Cannot load libcuda.so.1"), not the
    # teardown of ffmpeg's other threads that follows it.
    assert "[h264_nvenc]" in ctx.notes[0]
    assert " @ 0x" not in ctx.notes[0] and "Terminating thread" not in ctx.notes[0]


def test_hevc_output_is_tagged_hvc1(tmp_path: Path, clip: Path) -> None:
    out, ctx, _ = _run(tmp_path, clip, encoder="x264", codec="hevc")
    assert _codec(out) == ("hevc", "hvc1") and ctx.notes == []
