"""The `videofree` commands that need no daemon: init, check, install-service, plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.daemonproc import write_config

pytestmark = pytest.mark.integration


def run(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }
    env.pop("VIDEOFREE_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        capture_output=True,
        text=True,
        env=env,
        check=check,
        timeout=60,
    )


def test_init_writes_example_and_creates_folders(tmp_path: Path) -> None:
    result = run("init", home=tmp_path)
    config = tmp_path / ".config" / "videofree" / "rules.yaml"
    assert config.read_text() == Path("rules.example.yaml").read_text()
    assert (tmp_path / "Inbox").is_dir()
    assert (tmp_path / "Videos" / "Edited").is_dir()
    assert f"wrote {config}" in result.stdout
    again = run("init", home=tmp_path, check=False)
    assert again.returncode == 1 and "exists" in again.stderr
    # The written config is the default one for every other command.
    assert "OK, 2 rule(s)" in run("check", home=tmp_path).stdout


def test_check_shows_rule_and_output_for_each_file(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "IMG_1-edited.mp4").write_bytes(b"taken")
    result = run(
        "check",
        "--config",
        str(config),
        str(tmp_path / "inbox" / "IMG_1.MOV"),
        "notes.txt",
        home=tmp_path,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"{config}: OK, 1 rule(s)"
    assert f"IMG_1.MOV: rule clips (local) → {tmp_path / 'out' / 'IMG_1-edited-1.mp4'}" in lines[-2]
    assert lines[-1] == "notes.txt: no rule matches; it would be left alone"


def test_check_names_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text("rules:\n  - name: a\n    glob: '*.mp4'\n    output: out\n    promt: hi\n")
    result = run("check", "--config", str(config), home=tmp_path, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "rules.yaml:5: rules[0].promt: unknown key (check the spelling; see rules.example.yaml)"
    )


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    result = run("run", home=tmp_path, check=False)
    assert result.returncode == 1
    assert "run `videofree init`" in result.stderr


def test_install_service_fills_in_paths(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    unit = run("install-service", "--print", "--config", str(config), home=tmp_path).stdout
    assert f'"run" "--config" "{config}"' in unit
    rw = next(line for line in unit.splitlines() if line.startswith("ReadWritePaths="))
    for folder in ("state", "inbox", "out"):
        assert f"-{tmp_path / folder}" in rw
    assert "Restart=on-failure" in unit
    run("install-service", "--config", str(config), home=tmp_path)
    written = tmp_path / ".config" / "systemd" / "user" / "videofree.service"
    assert written.read_text() == unit.removesuffix("\n")


def _ffmpeg_line(stdout: str) -> str:
    lines = stdout.splitlines()
    return lines[lines.index("ffmpeg:") + 1]


def test_plan_reads_local_settings_even_when_a_rule_is_broken(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text(
        "local:\n  crf: 28\n  preset: fast\n"
        "rules:\n  - name: a\n    glob: '*.mp4'\n    output: out\n    promt: hi\n"
    )
    result = run("plan", "speed up 2x", "--config", str(config), home=tmp_path)
    assert result.stderr == ""
    assert "speed 2x" in result.stdout
    assert "-preset fast -crf 28" in _ffmpeg_line(result.stdout)


def test_plan_says_when_local_settings_are_wrong_and_uses_the_defaults(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text("rules: []\nlocal:\n  crf: 99\n")
    result = run("plan", "speed up 2x", "--config", str(config), home=tmp_path)
    assert result.stderr.startswith("rules.yaml:3: local.crf: ")
    assert result.stderr.strip().endswith("; planning with the default local settings")
    assert "-preset veryfast -crf 20" in _ffmpeg_line(result.stdout)


def test_plan_needs_no_rules_yaml_and_plan_rule_uses_its_edits(tmp_path: Path) -> None:
    alone = run("plan", "make it vertical", home=tmp_path)
    assert alone.stderr == "" and "1080x1920" in alone.stdout
    named = run("plan", "make it vertical", "--config", str(tmp_path / "nope.yaml"), home=tmp_path)
    assert named.stderr.startswith("nope.yaml: not found")
    assert named.stderr.strip().endswith("planning with the default local settings")
    config = write_config(
        tmp_path,
        rules=[
            {
                "name": "clips",
                "glob": "*.mp4",
                "output": str(tmp_path / "out"),
                "prompt": "speed up 2x",
                "edits": {"cut_start": "3s"},
            }
        ],
    )
    planned = run("plan", "--rule", "clips", "--config", str(config), home=tmp_path).stdout
    assert "cut the first 3 s" in planned and "speed 2x" in planned
    assert "-preset superfast" in _ffmpeg_line(planned)


def test_plan_shows_the_encoder_and_codec_a_job_would_use(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text("rules: []\nlocal:\n  encoder: x264\n  codec: hevc\n")
    planned = run("plan", "speed up 2x", "--config", str(config), home=tmp_path).stdout
    assert "HEVC + AAC MP4" in planned
    assert "encoder: libx265 (configured)" in planned
    assert "-c:v libx265" in _ffmpeg_line(planned) and "hvc1" in _ffmpeg_line(planned)
    config.write_text("rules: []\nlocal:\n  encoder: nvenc\n")
    forced = run("plan", "speed up 2x", "--config", str(config), home=tmp_path).stdout
    assert "encoder: h264_nvenc (configured)" in forced
    assert "-c:v h264_nvenc" in _ffmpeg_line(forced)


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert run("frobnicate", home=tmp_path, check=False).returncode == 2


def test_credits_against_a_loopback_nemovideo(tmp_path: Path) -> None:
    from tests.fakes.nemo_server import FakeNemo

    with FakeNemo() as fake:
        fake.faults.credits_available = 42
        config = write_config(tmp_path, nemo={"api_base": fake.url})
        out = run("credits", "--config", str(config), home=tmp_path).stdout
        assert out.startswith("NemoVideo credits: 42 available")
        token = json.loads((tmp_path / "state" / "nemo-token").read_text())["token"]
        assert token.startswith("nmv_") and token not in out
        assert fake.requests_missing_headers() == []
    # Nothing listening: a clear one-line failure, exit 1.
    config = write_config(tmp_path, nemo={"api_base": "http://127.0.0.1:9"})
    failed = run("credits", "--config", str(config), home=tmp_path, check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("videofree: ")
    assert "Traceback" not in failed.stderr
