"""What a new user hit on a fresh machine (the new-user trial): each test fails on the
code before its fix. Real processes, real files."""

from __future__ import annotations

import os
import selectors
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.config import load_config
from daemon.fileio import fingerprint
from daemon.ledger import JobState, open_ledger
from daemon.queue import queue_job
from tests.e2e.daemonproc import write_config
from tests.integration.test_cli import run

pytestmark = pytest.mark.integration


def _env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }
    env.pop("VIDEOFREE_CONFIG", None)
    return env


def _line(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    ready = sel.select(timeout)
    sel.close()
    return proc.stdout.readline() if ready else ""


def test_process_follows_a_job_the_running_daemon_took_first(tmp_path: Path) -> None:
    """`process` queues the job; a running daemon polls the ledger every 2 s and often
    claims it first. `process` used to print `job 1 failed: None` and exit 1 while the
    daemon was making the video; it now waits for the daemon's outcome and reports it."""
    config_path = write_config(tmp_path)
    config = load_config(config_path)
    clip = tmp_path / "elsewhere" / "clip.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"not looked at: the job is someone else's" * 100)
    ledger = open_ledger(None, config.state_dir)
    try:
        record, _ = queue_job(ledger, config, config.rules[0], [clip], fingerprint(clip))
        assert record is not None
        # This test process plays the daemon: it holds the job (its owner is alive).
        assert ledger.claim(record.id, "local") is not None
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "process", "--config", str(config_path), str(clip)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(tmp_path),
        )
        try:
            first = _line(proc)
            assert first.startswith(f"job {record.id} is being made by another videofree")
            output = tmp_path / "out" / "clip-edited.mp4"
            output.parent.mkdir()
            output.write_bytes(b"made by the daemon")
            ledger.finish(record.id, output, "local", ())
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    finally:
        ledger.close()
    assert proc.returncode == 0, err
    assert out.strip() == str(output)
    assert "None" not in err


def test_process_says_when_the_daemon_holding_its_job_has_stopped(tmp_path: Path) -> None:
    """The daemon that claimed the job was killed: `process` must not wait forever, and
    must not say `failed: None`."""
    config_path = write_config(tmp_path)
    config = load_config(config_path)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x" * 1000)
    ledger = open_ledger(None, config.state_dir)
    try:
        record, _ = queue_job(ledger, config, config.rules[0], [clip], fingerprint(clip))
        assert record is not None
        assert ledger.claim(record.id, "local") is not None
    finally:
        ledger.close()
    # Hand the claim to a pid above the kernel's limit: a process that has ended (as
    # after `kill -9` of the daemon).
    db = sqlite3.connect(config.state_dir / "jobs.db")
    with db:
        db.execute(
            "UPDATE jobs SET owner_pid=?, owner_start=NULL WHERE id=?", (2**22 + 1, record.id)
        )
    db.close()
    result = run("process", "--config", str(config_path), str(clip), home=tmp_path, check=False)
    assert result.returncode == 1
    assert "None" not in result.stderr
    assert "resumes it at its next start" in result.stderr
    check = open_ledger(None, config.state_dir)
    try:
        job = check.get(record.id)
        assert job is not None and job.state is JobState.RUNNING
    finally:
        check.close()


def test_the_env_file_counts_outside_systemd_too(tmp_path: Path) -> None:
    """README: a NemoVideo token goes in ~/.config/videofree/env. Only the systemd unit
    read it: `videofree credits` (and `run` in a terminal) fetched an anonymous token
    instead of using the account's."""
    from tests.fakes.nemo_server import FakeNemo

    with FakeNemo() as fake:
        mine = fake.new_token()
        env_file = tmp_path / ".config" / "videofree" / "env"
        env_file.parent.mkdir(parents=True)
        env_file.write_text(f"# my account\nNEMO_TOKEN={mine}\n")
        env_file.chmod(0o600)
        config = write_config(tmp_path, nemo={"api_base": fake.url})
        home_env = {k: v for k, v in _env(tmp_path).items() if k != "NEMO_TOKEN"}
        out = subprocess.run(
            [sys.executable, "-m", "daemon", "credits", "--config", str(config)],
            capture_output=True,
            text=True,
            env=home_env,
            check=True,
            timeout=60,
        ).stdout
        assert out.startswith("NemoVideo credits:")
        assert fake.issued == [mine]  # no anonymous token was fetched
        assert not (tmp_path / "state" / "nemo-token").exists()
        assert mine not in out


def test_check_warns_about_prompt_words_the_local_engine_ignores(tmp_path: Path) -> None:
    """`check` said OK to a prompt the local engine only partly understands; the user found
    out from the log after the first video. It now says which words, and for which rule."""
    config = write_config(
        tmp_path,
        rules=[
            {
                "name": "clips",
                "glob": "*.mp4",
                "output": str(tmp_path / "out"),
                "prompt": "trim the first second and make it cinematic",
            },
            {
                "name": "strict-clips",
                "glob": "*.mov",
                "output": str(tmp_path / "out"),
                "prompt": "make it cinematic",
                "strict": True,
            },
            {
                "name": "cloud",
                "glob": "cloud/*",
                "output": str(tmp_path / "out"),
                "prompt": "make it cinematic",
                "engine": "nemo",
            },
            {
                "name": "fine",
                "glob": "*.mkv",
                "output": str(tmp_path / "out"),
                "prompt": "trim the first second",
            },
        ],
    )
    result = run("check", "--config", str(config), home=tmp_path)
    lines = result.stdout.splitlines()
    warnings = [line.strip() for line in lines if line.strip().startswith("warning:")]
    assert warnings == [
        'warning: the local engine does not understand "make it cinematic": the rest of the'
        " prompt is done (`videofree plan --rule clips` shows the plan)",
        'warning: the local engine does not understand "make it cinematic": its jobs fail'
        " (strict: true) (`videofree plan --rule strict-clips` shows the plan)",
    ]
    # Each warning sits under its rule's line; a NemoVideo rule without a local fallback
    # is NemoVideo's to read.
    assert lines[2].startswith("    warning:") and lines[1].startswith("  clips:")
    assert result.returncode == 0


def test_status_columns_stay_lined_up_while_a_job_runs(tmp_path: Path) -> None:
    """`running 24%` is wider than the STATE column was: that row's RULE, ENGINE and
    SOURCE were pushed right of everyone else's."""
    config_path = write_config(tmp_path)
    config = load_config(config_path)
    ledger = open_ledger(None, config.state_dir)
    try:
        for name in ("a.mp4", "b.mp4"):
            clip = tmp_path / name
            clip.write_bytes(name.encode() * 100)
            queued, _ = queue_job(ledger, config, config.rules[0], [clip], fingerprint(clip))
            assert queued is not None
        assert ledger.claim(1, "local") is not None
        ledger.set_progress(1, 100.0)
    finally:
        ledger.close()
    lines = run("status", "--config", str(config_path), home=tmp_path).stdout.splitlines()
    assert "running 100%" in lines[2] and "queued" in lines[1]
    columns = [line.index("clips") for line in lines[1:]]
    assert columns == [lines[0].index("RULE")] * 2


def test_a_web_host_without_password_is_said_once() -> None:
    from daemon.errors import ConfigError
    from daemon.web.security import Guard

    with pytest.raises(ConfigError) as info:
        Guard.build("0.0.0.0", (), None)  # noqa: S104 - the wildcard is what is tested
    message = info.value.render()
    assert message.startswith("web.host: 0.0.0.0 is reachable from other machines")
    assert "~/.config/videofree/env" in message


def test_a_missing_rules_yaml_says_where_it_was_looked_for(tmp_path: Path) -> None:
    """`rules.yaml: not found` did not say which folder: a --config relative to another
    folder, or $VIDEOFREE_CONFIG, left the user guessing."""
    result = run("check", home=tmp_path, check=False)
    expected = tmp_path / ".config" / "videofree" / "rules.yaml"
    assert result.returncode == 1
    assert f"(looked for {expected})" in result.stderr
    assert "run `videofree init`" in result.stderr
    relative = run("run", "--config", "my-rules.yaml", home=tmp_path, check=False)
    assert f"looked for {Path.cwd() / 'my-rules.yaml'}" in relative.stderr


def test_nemovideo_unreachable_says_where_and_never_the_token(tmp_path: Path) -> None:
    """A NemoVideo set up as documented (a token in the env file) but pointed at nothing:
    one clear line naming the address tried (it used to say only 'unreachable'), exit 1,
    no traceback, no token."""
    token = "nmv_usr_0123456789abcdef01234567"
    env_file = tmp_path / ".config" / "videofree" / "env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text(f"NEMO_TOKEN={token}\n")
    config = write_config(tmp_path, nemo={"api_base": "http://127.0.0.1:9"})
    failed = run("credits", "--config", str(config), home=tmp_path, check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("videofree: NemoVideo unreachable at http://127.0.0.1:9 (")
    assert "Traceback" not in failed.stderr
    assert token not in failed.stderr + failed.stdout


def _processes_naming(needle: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle.encode() in argv and b"ffmpeg" in argv:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"]
)
def test_stopping_process_mid_render_leaves_the_job_queued(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Ctrl-C on `videofree process` left ffmpeg rendering on its own and the job
    'running 13%' in the ledger until the next daemon start; SIGTERM said
    'did not finish (None)'; a closed terminal (SIGHUP) killed it outright. All three now
    stop ffmpeg and leave the job queued, saying so."""
    from tests.mediagen import make_clip

    config_path = write_config(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    clip = make_clip(tmp_path / "elsewhere" / "long.mp4", duration=40, size=(320, 240))
    env = _env(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "process", "--config", str(config_path), str(clip)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A child of a non-interactive shell may inherit SIGINT ignored; a terminal's is not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    try:
        assert proc.stderr is not None
        for _ in range(200):
            line = proc.stderr.readline()
            if "render" in line or not line:
                break
        assert "render" in line, "the render never started"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == (130 if sig == signal.SIGINT else 1)
    assert "it stays queued" in err and "None" not in err
    assert "Traceback" not in err
    assert _processes_naming(str(tmp_path)) == []
    ledger = open_ledger(None, load_config(config_path).state_dir)
    try:
        job = ledger.get(1)
        assert job is not None and job.state is JobState.QUEUED
    finally:
        ledger.close()
    assert not list((tmp_path / "out").glob("*.mp4"))


def test_check_warns_about_an_on_done_command_that_cannot_start(tmp_path: Path) -> None:
    """A hook whose command is missing failed after every video, found only in the log."""
    config = write_config(
        tmp_path,
        rules=[
            {
                "name": "upload",
                "glob": "*.mp4",
                "output": str(tmp_path / "out"),
                "on_done": ["no-such-uploader-here", "{output}"],
            },
            {
                "name": "copy",
                "glob": "*.mov",
                "output": str(tmp_path / "out"),
                "on_done": ["cp", "{output}", str(tmp_path)],
            },
        ],
    )
    result = run("check", "--config", str(config), home=tmp_path)
    warnings = [line.strip() for line in result.stdout.splitlines() if "warning:" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("warning: on_done command 'no-such-uploader-here' is not found")
    assert result.returncode == 0


def test_a_taken_web_port_says_what_to_do(tmp_path: Path) -> None:
    """A second `videofree run` beside the service logged only 'Address already in use'."""
    from loguru import logger

    from tests.integration.test_web import serve

    lines: list[str] = []
    for site in serve(tmp_path / "a", {}):
        sink = logger.add(lines.append, level="ERROR", format="{message}")
        try:
            for other in serve(tmp_path / "b", {}, web=f"{{port: {site.server.port}}}"):
                assert other.server.port is None
        finally:
            logger.remove(sink)
    assert len(lines) == 1
    assert "is another videofree running? Otherwise set web: {port: …} or web: off" in lines[0]


def test_check_warns_when_apprise_is_set_but_not_installed(tmp_path: Path) -> None:
    """`apprise:` without `pip install 'videofree[apprise]'` failed every notification,
    found only in the log. The package is hidden from the child here."""
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['apprise'] = None\n")
    config = write_config(tmp_path, notify={"apprise": ["json://127.0.0.1:9/hook"]})
    env = {**_env(tmp_path), "PYTHONPATH": f"{hide}{os.pathsep}{Path.cwd()}"}
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert (
        "warning: notify.apprise is set but apprise is not installed:"
        " pip install 'videofree[apprise]'"
    ) in result.stdout
    shown = run("check", "--config", str(config), home=tmp_path)  # installed: no warning
    assert "warning" not in shown.stdout


def test_the_rules_page_shows_checks_warnings(tmp_path: Path) -> None:
    """/rules shows `check`'s verdict: the warnings too, not only 'OK'."""
    from tests.integration.test_web import serve

    for site in serve(tmp_path, {}):
        rules = tmp_path / "rules.yaml"
        rules.write_text(
            rules.read_text().replace(
                "output:", "prompt: 'make it cinematic and trim the first second', output:"
            )
        )
        html = site.http.get("/rules").text
        assert "OK, 1 rule(s)" in html
        assert "clips: warning: the local engine does not understand" in html
        assert "make it cinematic" in html


def test_check_refuses_an_ffmpeg_that_run_would_stop_on(tmp_path: Path) -> None:
    """`ffmpeg: /nonexistent/ffmpeg`: `check` said OK, then `run` exited 1 on it."""
    config = write_config(tmp_path, ffmpeg=str(tmp_path / "no-ffmpeg"))
    checked = run("check", "--config", str(config), home=tmp_path, check=False)
    assert checked.returncode == 1
    line = 1 + config.read_text().splitlines().index(f"ffmpeg: {tmp_path / 'no-ffmpeg'}")
    assert checked.stderr.startswith(f"rules.yaml:{line}: ffmpeg: ffmpeg not found")
    assert "OK" not in checked.stdout
    # The page's verdict says the same.
    from tests.integration.test_web import serve

    for site in serve(tmp_path / "page", {}):
        rules = tmp_path / "page" / "rules.yaml"
        rules.write_text(f"ffmpeg: {tmp_path / 'no-ffmpeg'}\n" + rules.read_text())
        html = site.http.get("/rules").text
        assert "has errors" in html and "ffmpeg not found" in html


def test_process_of_a_done_file_says_how_to_make_it_again(tmp_path: Path) -> None:
    """`process FILE --output DIR` for content already edited under the rule made nothing
    and said only 'already done': the user did not learn how to get a new one."""
    config_path = write_config(tmp_path)
    config = load_config(config_path)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"done before" * 100)
    ledger = open_ledger(None, config.state_dir)
    try:
        record, _ = queue_job(ledger, config, config.rules[0], [clip], fingerprint(clip))
        assert record is not None and ledger.claim(record.id, "local") is not None
        ledger.finish(record.id, tmp_path / "out" / "clip-edited.mp4", "local", ())
    finally:
        ledger.close()
    result = run(
        "process",
        "--config",
        str(config_path),
        str(clip),
        "--output",
        str(tmp_path / "x"),
        home=tmp_path,
    )
    lines = result.stdout.splitlines()
    assert lines[0] == f"already done as job 1: {tmp_path / 'out' / 'clip-edited.mp4'}"
    assert "`videofree retry 1` makes it again" in lines[1]
