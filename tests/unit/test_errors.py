"""How filesystem errors become job errors a person can act on."""

from __future__ import annotations

import errno
import os

import pytest

from daemon.engines.nemo.errors import NemoOutOfCredits
from daemon.errors import Cancelled, PermanentError, TransientError, from_os_error


@pytest.mark.parametrize(
    ("code", "kind", "advice"),
    [
        (errno.ENOSPC, TransientError, "the disk is full; free some space"),
        (errno.EIO, TransientError, "I/O error"),
        (errno.EAGAIN, TransientError, "the file was busy"),
        (errno.EACCES, PermanentError, "permission denied"),
        (errno.ENOTDIR, PermanentError, "a part of the path is a file, not a folder"),
        (errno.ENAMETOOLONG, PermanentError, "the name is too long; shorten output_name"),
        (errno.ELOOP, TransientError, "Too many levels"),  # unlisted: its own text, retried
    ],
)
def test_os_errors_map_to_transient_or_permanent(code: int, kind: type, advice: str) -> None:
    exc = OSError(code, os.strerror(code), "/out/x.mp4")
    mapped = from_os_error(exc, "cannot deliver to /out")
    assert type(mapped) is kind
    assert mapped.reason.startswith("cannot deliver to /out: ")
    assert advice in mapped.reason
    assert mapped.reason.endswith("(/out/x.mp4)")


def test_cancelled_is_transient_with_one_message() -> None:
    assert isinstance(Cancelled(), TransientError)
    assert Cancelled().reason == "stopped by shutdown; the job will resume"


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ("", "NemoVideo is out of credits (2001)"),
        ("top up", "NemoVideo is out of credits (2001): top up"),
    ],
)
def test_out_of_credits_is_built_in_one_place(detail: str, reason: str) -> None:
    exc = NemoOutOfCredits(detail)
    assert (exc.reason, exc.pause_engine, exc.fallback_ok) == (reason, True, True)
    assert isinstance(exc, PermanentError)
