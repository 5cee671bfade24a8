"""`process` picks its rule the way the daemon and `check` do: one path-in-watch answer."""

from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath

import pytest

from daemon.config import Config, parse_config
from daemon.engines.base import EngineResult, JobContext, JobSpec
from daemon.engines.local.engine import LocalEngine
from daemon.ledger import JobState
from daemon.process import Override, ProcessError, process, rule_for
from daemon.rules import match_rule, path_in_watch
from tests.mediagen import make_clip

INBOX = Path("/in")


@pytest.fixture
def config() -> Config:
    text = (
        f"watch:\n  - path: {INBOX}\n    recursive: true\n"
        "rules:\n"
        "  - name: phone\n    glob: phone/*.mov\n    output: /out/phone\n"
        "  - name: any-mp4\n    glob: '*.mp4'\n    output: /out/mp4\n"
    )
    return parse_config(text, Path("/etc/rules.yaml"))


def test_a_glob_with_a_folder_matches_in_process_as_in_check(config: Config) -> None:
    """Regression: `check` matched phone/IMG_1.MOV, `process` said no rule matches."""
    path = INBOX / "phone" / "IMG_1.MOV"
    checked = match_rule(config.rules, path.name, path_in_watch(config.watch, path))
    assert checked is not None
    assert rule_for(config, path, Override()).name == checked.name == "phone"


def test_a_file_outside_the_watch_folders_matches_by_its_name(config: Config) -> None:
    assert path_in_watch(config.watch, Path("/tmp/x/clip.mp4")) == PurePosixPath("clip.mp4")
    assert rule_for(config, Path("/tmp/x/clip.mp4"), Override()).name == "any-mp4"
    with pytest.raises(ProcessError, match="no rule matches"):
        rule_for(config, Path("/tmp/phone/IMG_1.MOV"), Override())


def test_overrides(config: Config) -> None:
    path = INBOX / "phone" / "IMG_1.MOV"
    by_name = rule_for(config, path, Override(rule="any-mp4", engine="nemo"))
    assert (by_name.name, by_name.engine) == ("any-mp4", "nemo")
    prompted = rule_for(config, path, Override(prompt="trim 2s", output=Path("/o")))
    assert (prompted.name.startswith("prompt-"), prompted.prompt, prompted.output) == (
        True,
        "trim 2s",
        Path("/o"),
    )
    assert rule_for(config, path, Override(prompt="trim 2s")).output == Path("/out/phone")
    with pytest.raises(ProcessError, match="no rule named 'nope'; rules: phone, any-mp4"):
        rule_for(config, path, Override(rule="nope"))


def test_process_checks_an_output_before_placing_it_as_the_daemon_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output cut short after its render (here: truncated on purpose) is caught by the
    daemon's output check and not delivered; `process` used to place it as done."""
    clip = make_clip(tmp_path / "clip.mp4", duration=1.0, size=(160, 120))
    config = parse_config(
        f"state_dir: {tmp_path / 'state'}\nwatch: [{tmp_path / 'in'}]\n"
        f'rules: [{{name: r, glob: "*", output: {tmp_path / "out"}}}]\n',
        tmp_path / "rules.yaml",
    )
    rendered = LocalEngine.run

    def cut_short(self: LocalEngine, job: JobSpec, ctx: JobContext) -> EngineResult:
        result = rendered(self, job, ctx)
        with result.path.open("r+b") as f:
            f.truncate(result.path.stat().st_size // 2)
        return result

    monkeypatch.setattr(LocalEngine, "run", cut_short)
    outcome = process(config, clip, Override(prompt="speed up 2x"), threading.Event())
    assert outcome.record.state is not JobState.DONE
    assert "the output" in (outcome.record.error or "")
    assert not list((tmp_path / "out").glob("*.mp4"))
