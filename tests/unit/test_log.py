"""Secrets never reach the log: redaction and the configured loguru sink."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from loguru import logger

from daemon.log import REDACTED, journal_prefix, redact, setup
from tests.conftest import reset_loguru

TOKEN = "nmv_usr_Zx81kQ0aB7cD9eF1"


@pytest.fixture
def restore_logger() -> Iterator[None]:
    handlers, level = list(logging.root.handlers), logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)
    reset_loguru()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token is {TOKEN}", TOKEN),
        (f"url https://x/api?token={TOKEN}&a=1", TOKEN),
        ("Authorization: Bearer eyJhbGciOi.J9.abc-def_", "eyJhbGciOi.J9.abc-def_"),
        ("headers={'authorization': 'bearer s3cr3tvalue42'}", "s3cr3tvalue42"),
        ('{"token": "abcdefgh12345678"}', "abcdefgh12345678"),
        ("token=opaque-value-123", "opaque-value-123"),
    ],
)
def test_redact_removes_tokens(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


@pytest.mark.parametrize(
    "text",
    ["queued IMG_0042.MOV → rule phone-clips", "render 63 %", "done → /out/a-edited.mp4 (41 s)"],
)
def test_redact_leaves_ordinary_lines_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_keeps_the_words_around_a_bearer_token() -> None:
    assert redact("sent Authorization: Bearer abc.def to /v1") == (
        f"sent Authorization: Bearer {REDACTED} to /v1"
    )


def test_redact_extra_secrets() -> None:
    assert redact("key plainsecret here", ("plainsecret",)) == f"key {REDACTED} here"
    assert redact("nothing", ("",)) == "nothing"  # an empty secret must not match everywhere


@pytest.mark.usefixtures("restore_logger")
def test_setup_redacts_every_logged_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env_token = "opaque-env-token-value"
    monkeypatch.setenv("NEMO_TOKEN", env_token)
    setup("INFO")
    logger.bind(job=12).info("uploading with {} and {}", TOKEN, env_token)
    logger.info("header Authorization: Bearer abc123def456")
    logger.debug("below the level")
    try:
        raise RuntimeError(f"request failed for {TOKEN} / {env_token}")
    except RuntimeError:
        logger.exception("boom")
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert env_token not in err
    assert "abc123def456" not in err
    assert "below the level" not in err
    assert "[job 12] uploading with [redacted] and [redacted]" in err
    assert "RuntimeError: request failed for [redacted]" in err


def _stderr_stream() -> str:
    st = os.fstat(2)
    return f"{st.st_dev}:{st.st_ino}"


@pytest.mark.usefixtures("restore_logger")
@pytest.mark.parametrize(
    ("journal_stream", "stamped"),
    [("stderr", False), (None, True), ("8:1234", True)],  # 8:1234: some other stream
)
def test_setup_timestamps_only_outside_journald(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    journal_stream: str | None,
    stamped: bool,
) -> None:
    if journal_stream is None:
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    else:
        value = _stderr_stream() if journal_stream == "stderr" else journal_stream
        monkeypatch.setenv("JOURNAL_STREAM", value)
    setup()
    logger.info("hello")
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO    hello")
    assert line[:4].isdigit() is stamped
    assert line.startswith("<6>") is not stamped


@pytest.mark.usefixtures("restore_logger")
def test_journald_lines_carry_their_priority(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", _stderr_stream())
    setup("DEBUG")
    logger.debug("looking")
    logger.info("queued a.mov")
    logger.warning("attempt 1 failed")
    logger.bind(job=7).error("failed: not a video\nsecond line")
    logger.critical("gone")
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "<7>DEBUG   looking",
        "<6>INFO    queued a.mov",
        "<4>WARNING attempt 1 failed",
        "<3>ERROR   [job 7] failed: not a video",
        "<3>    second line",
        "<2>CRITICAL gone",
    ]


@pytest.mark.parametrize(("level", "prefix"), [("INFO", "<6>"), ("SUCCESS", "<5>"), ("X", "<6>")])
def test_journal_prefix(level: str, prefix: str) -> None:
    assert journal_prefix(level) == prefix


@pytest.mark.usefixtures("restore_logger")
def test_webhook_secret_is_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOFREE_WEBHOOK_SECRET", "hunter2-webhook")
    setup()
    logger.info("signing with hunter2-webhook")
    err = capsys.readouterr().err
    assert "hunter2-webhook" not in err and REDACTED in err


@pytest.mark.usefixtures("restore_logger")
def test_stdlib_warnings_use_our_format_and_redaction(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", _stderr_stream())
    setup()
    logging.getLogger("apscheduler.executors.default").warning(
        "Run time of job %r was missed by %s", "tick", "0:00:01"
    )
    logging.getLogger("some.lib").info("chatter below the threshold")
    assert capsys.readouterr().err.splitlines() == [
        "<4>WARNING apscheduler.executors.default: Run time of job 'tick' was missed by 0:00:01"
    ]


@pytest.mark.usefixtures("restore_logger")
def test_a_newline_in_a_name_cannot_forge_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    setup()
    logger.info("queued {} → rule clips", "a.mp4\n2026-01-01 00:00:00 ERROR   forged")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[1] == "    2026-01-01 00:00:00 ERROR   forged → rule clips"
