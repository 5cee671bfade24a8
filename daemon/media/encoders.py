"""Video encoders: which ffmpeg encoder a choice means, and its argv (pure).

    choice (rules.yaml local.encoder) + codec ──► Encoder ──► encode_args / upload filter
    "auto" ──► hwprobe.pick (device node + 1-frame test encode, once) ──► Encoder

Quality is given once, as an x264-style CRF (local.crf), and mapped per encoder so that
the same number looks about the same (docs/encoders.md has the table and its sources):
x265 at CRF+5 matches x264 at CRF (x265's own guidance: 28 ≈ x264's 23) at about half
the size; NVENC's -cq, VAAPI's -qp and QSV's -global_quality sit about 2 above x264's
CRF for the same look; V4L2 M2M encoders have no quality mode, so CRF becomes a bitrate
(8 Mb/s at CRF 20 for 1080p, doubling every 6 steps down, as CRF does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from daemon.media.tools import quiet_args

EncoderName = Literal["x264", "x265", "vaapi", "qsv", "nvenc", "v4l2m2m"]
EncoderChoice = Literal["auto", "x264", "x265", "vaapi", "qsv", "nvenc", "v4l2m2m"]
Codec = Literal["h264", "hevc"]

# How an output's codec is named to a person ("H.264 + AAC MP4").
CODEC_NAMES: dict[Codec, str] = {"h264": "H.264", "hevc": "HEVC"}
HARDWARE: tuple[EncoderName, ...] = ("nvenc", "vaapi", "qsv", "v4l2m2m")
# The render node VAAPI and QSV open (the first GPU).
DRI_NODE = "/dev/dri/renderD128"
# Device nodes whose absence rules an encoder out without starting ffmpeg.
DEVICE_NODES: dict[EncoderName, tuple[str, ...]] = {
    "nvenc": ("/dev/nvidia0", "/dev/nvidiactl"),
    "vaapi": (DRI_NODE,),
    "qsv": (DRI_NODE,),
    "v4l2m2m": ("/dev/video0", "/dev/video10", "/dev/video11"),
}
_FFMPEG_NAMES: dict[tuple[EncoderName, Codec], str] = {
    ("x264", "h264"): "libx264",
    ("x265", "hevc"): "libx265",
    ("nvenc", "h264"): "h264_nvenc",
    ("nvenc", "hevc"): "hevc_nvenc",
    ("vaapi", "h264"): "h264_vaapi",
    ("vaapi", "hevc"): "hevc_vaapi",
    ("qsv", "h264"): "h264_qsv",
    ("qsv", "hevc"): "hevc_qsv",
    ("v4l2m2m", "h264"): "h264_v4l2m2m",
    ("v4l2m2m", "hevc"): "hevc_v4l2m2m",
}
# Offsets from x264's CRF to each encoder's constant-quality number (see the docstring).
X265_CRF_OFFSET = 5
HW_QUALITY_OFFSET = 2
# V4L2 M2M: the bitrate for 1080p at CRF 20, doubling every 6 CRF steps down.
M2M_BITRATE_AT_20 = 8_000_000
M2M_CRF_DOUBLING = 6
NVENC_PRESET = "p4"


@dataclass(frozen=True)
class Encoder:
    """One concrete encoder: our name, the codec, and ffmpeg's encoder name."""

    name: EncoderName
    codec: Codec

    @property
    def ffmpeg_name(self) -> str:
        return _FFMPEG_NAMES[(self.name, self.codec)]

    @property
    def hardware(self) -> bool:
        return self.name in HARDWARE

    def software(self) -> Encoder:
        """The software encoder of the same codec (the fallback when hardware fails)."""
        return Encoder("x265" if self.codec == "hevc" else "x264", self.codec)


def concrete(choice: EncoderName, codec: Codec) -> Encoder:
    """Given an explicit choice and codec, return the Encoder; x264 and x265 name their
    codec themselves (x264 with codec hevc is x265, and the other way round)."""
    if choice in ("x264", "x265"):
        return Encoder("x265" if codec == "hevc" else "x264", codec)
    return Encoder(choice, codec)


def device_args(enc: Encoder) -> tuple[str, ...]:
    """Global options before the inputs that open the encoder's device."""
    if enc.name == "vaapi":
        return ("-vaapi_device", DRI_NODE)
    return ()


def upload_filter(enc: Encoder) -> str | None:
    """The filter that hands yuv420p frames to the encoder, or None when it takes them."""
    if enc.name == "vaapi":
        return "format=nv12,hwupload"
    if enc.name == "qsv":
        return "format=nv12"
    return None


def encode_args(
    enc: Encoder, *, crf: int, preset: str, bitrate: int | None = None
) -> tuple[str, ...]:
    """Return `-c:v …` with quality, profile and tag for `enc`: constant quality from
    `crf` (mapped per encoder), or, with `bitrate`, a capped rate with a one-second buffer
    (size targets: the file cannot overshoot by much)."""
    args: list[str] = ["-c:v", enc.ffmpeg_name]
    if enc.name in ("x264", "x265"):
        args += ["-preset", preset]
    elif enc.name == "nvenc":
        args += ["-preset", NVENC_PRESET]
    if bitrate is not None:
        rate = str(bitrate)
        if enc.name == "nvenc":
            args += ["-rc", "vbr"]
        elif enc.name == "vaapi":
            args += ["-rc_mode", "VBR"]
        args += ["-b:v", rate, "-maxrate", rate, "-bufsize", rate]
    else:
        args += _quality(enc, crf)
    if enc.codec == "h264":
        args += ["-profile:v", "high"]
    else:
        # hvc1, not hev1: Apple players only open HEVC in MP4 tagged this way.
        args += ["-profile:v", "main", "-tag:v", "hvc1"]
        if enc.name == "x265":
            args += ["-x265-params", "log-level=error"]
    if upload_filter(enc) is None:
        args += ["-pix_fmt", "yuv420p"]
    return tuple(args)


def _quality(enc: Encoder, crf: int) -> list[str]:
    hw = str(crf + HW_QUALITY_OFFSET)
    match enc.name:
        case "x264":
            return ["-crf", str(crf)]
        case "x265":
            return ["-crf", str(min(51, crf + X265_CRF_OFFSET))]
        case "nvenc":
            return ["-rc", "vbr", "-cq", hw, "-b:v", "0"]
        case "vaapi":
            return ["-rc_mode", "CQP", "-qp", hw]
        case "qsv":
            return ["-global_quality", hw]
        case "v4l2m2m":
            rate = int(M2M_BITRATE_AT_20 * 2 ** ((20 - crf) / M2M_CRF_DOUBLING))
            return ["-b:v", str(rate)]


def probe_encode_args(ffmpeg: str, enc: Encoder) -> tuple[str, ...]:
    """The argv of a one-frame encode that proves `enc` works here (device, driver,
    encoder built in): a small grey frame, encoded and thrown away."""
    upload = upload_filter(enc)
    graph = "format=yuv420p" + (f",{upload}" if upload else "")
    return (
        ffmpeg,
        *quiet_args(),
        *device_args(enc),
        "-f",
        "lavfi",
        "-i",
        "color=c=gray:s=256x256:r=30:d=0.1",
        "-vf",
        graph,
        "-frames:v",
        "1",
        *encode_args(enc, crf=23, preset="veryfast"),
        "-f",
        "null",
        "-",
    )
