"""Encoder choice → argv (pure), and the pick with fake device nodes and test encodes."""

from __future__ import annotations

import pytest

from daemon.media.encoders import Encoder, concrete, device_args, encode_args, upload_filter
from daemon.media.hwprobe import pick


@pytest.mark.parametrize(
    ("name", "codec", "expected"),
    [
        ("x264", "h264", ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20")),
        ("x265", "hevc", ("-c:v", "libx265", "-preset", "veryfast", "-crf", "25")),
        ("nvenc", "h264", ("-c:v", "h264_nvenc", "-preset", "p4", "-rc", "vbr", "-cq", "22")),
        ("vaapi", "hevc", ("-c:v", "hevc_vaapi", "-rc_mode", "CQP", "-qp", "22")),
        ("qsv", "h264", ("-c:v", "h264_qsv", "-global_quality", "22")),
        ("v4l2m2m", "h264", ("-c:v", "h264_v4l2m2m", "-b:v", "8000000")),
    ],
)
def test_quality_is_mapped_per_encoder(name: str, codec: str, expected: tuple[str, ...]) -> None:
    args = encode_args(concrete(name, codec), crf=20, preset="veryfast")  # type: ignore[arg-type]
    assert args[: len(expected)] == expected


def test_hevc_is_tagged_hvc1_and_h264_is_high() -> None:
    hevc = encode_args(Encoder("nvenc", "hevc"), crf=20, preset="fast")
    assert hevc[hevc.index("-tag:v") + 1] == "hvc1" and "main" in hevc
    assert "-tag:v" not in encode_args(Encoder("x264", "h264"), crf=20, preset="fast")
    assert concrete("x264", "hevc") == Encoder("x265", "hevc")


def test_size_targets_cap_the_rate_on_every_encoder() -> None:
    for name in ("x264", "nvenc", "vaapi", "qsv"):
        args = encode_args(concrete(name, "h264"), crf=20, preset="fast", bitrate=900_000)  # type: ignore[arg-type]
        assert args[args.index("-maxrate") + 1] == "900000" and "-crf" not in args
        assert "-cq" not in args and "-qp" not in args


def test_gpu_frames_are_uploaded_where_the_encoder_needs_it() -> None:
    assert upload_filter(Encoder("vaapi", "h264")) == "format=nv12,hwupload"
    assert device_args(Encoder("vaapi", "h264")) == ("-vaapi_device", "/dev/dri/renderD128")
    assert upload_filter(Encoder("nvenc", "h264")) is None
    assert "-pix_fmt" not in encode_args(Encoder("vaapi", "h264"), crf=20, preset="fast")


def test_auto_without_devices_is_software_and_never_test_encodes() -> None:
    def never(_ffmpeg: str, _enc: Encoder) -> str | None:
        raise AssertionError("no device, no test encode")

    chosen = pick("ffmpeg", "auto", "h264", exists=lambda _p: False, test=never)
    assert chosen.encoder == Encoder("x264", "h264")
    assert chosen.reason == "libx264 (auto: no hardware encoder device)"


def test_auto_takes_the_first_hardware_that_passes_its_test() -> None:
    tried: list[str] = []

    def test(_ffmpeg: str, enc: Encoder) -> str | None:
        tried.append(enc.ffmpeg_name)
        return None if enc.name == "vaapi" else "Cannot load libcuda.so.1"

    nodes = {"/dev/nvidia0", "/dev/dri/renderD128"}
    chosen = pick("ffmpeg", "auto", "hevc", exists=nodes.__contains__, test=test)
    assert chosen.encoder == Encoder("vaapi", "hevc") and tried == ["hevc_nvenc", "hevc_vaapi"]
    failing = pick("ffmpeg", "auto", "h264", exists=nodes.__contains__, test=lambda *_: "no")
    assert failing.encoder == Encoder("x264", "h264")
    assert failing.reason == (
        "libx264 (auto: test encode failed: h264_nvenc: no; h264_vaapi: no; h264_qsv: no)"
    )


def test_an_explicit_choice_is_taken_as_configured() -> None:
    chosen = pick("ffmpeg", "nvenc", "h264", exists=lambda _p: False, test=lambda *_: "no")
    assert chosen.encoder == Encoder("nvenc", "h264") and chosen.encoder.hardware
    assert chosen.encoder.software() == Encoder("x264", "h264")
