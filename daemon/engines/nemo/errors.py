"""What can go wrong with NemoVideo, as exceptions the scheduler already understands.

    JobError (daemon.errors)
     ├── TransientError
     │    └── NemoTransientError        retry later with backoff
     │         ├── NemoUnreachable      connect refused, DNS, timeouts   fallback_ok
     │         ├── NemoServerError      HTTP 5xx (envelope code 5xx too), after one repeat
     │         ├── NemoRateLimited      429 (HTTP or envelope) twice     retry_after
     │         └── NemoSessionGone      1002 again after starting the job over
     └── PermanentError
          └── NemoPermanentError        retrying will not help
               ├── NemoOutOfCredits     2001                 pause_engine, fallback_ok
               ├── NemoExportBlocked    402 free plan        fallback_ok
               ├── NemoTokenRejected    1001 with NEMO_TOKEN set, or after one refresh
               ├── NemoRejected         4001, 4002, HTTP 400 twice, other codes
               ├── NemoInputRefused     refused before upload (size, type)   fallback_ok
               ├── NemoNothingToExport  the edit left no segments on the timeline
               └── NemoEditChangedNothing  the draft never changed after the prompt  fallback_ok

Every class also derives from NemoError, which carries the service's `code` (envelope
code, or None) and `status` (HTTP status, or None), so a caller can tell them apart
without parsing messages. No message ever holds the token.
"""

from __future__ import annotations

from daemon.engines.nemo import constants as C
from daemon.errors import JobError, PermanentError, TransientError


class NemoError(JobError):
    """A NemoVideo failure; `code` is the envelope code and `status` the HTTP status."""

    code: int | None = None
    status: int | None = None


class NemoTransientError(NemoError, TransientError):
    """Retry later."""


class NemoPermanentError(NemoError, PermanentError):
    """Do not retry."""


class NemoUnreachable(NemoTransientError):
    """The service could not be reached at all."""


class NemoServerError(NemoTransientError):
    """The service answered 5xx."""


class NemoRateLimited(NemoTransientError):
    """The service said 429 twice in a row."""

    status = 429


class NemoSessionGone(NemoTransientError):
    """1002: the session expired or vanished (handled by starting over once)."""

    code = C.CODE_SESSION_GONE


class NemoOutOfCredits(NemoPermanentError):
    """2001: the account has no credits left. Always pauses the engine and allows the
    fallback, so it is built here and nowhere else: callers give only the detail."""

    code = C.CODE_OUT_OF_CREDITS

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        reason = f"NemoVideo is out of credits ({self.code})" + (f": {detail}" if detail else "")
        super().__init__(reason, pause_engine=True, fallback_ok=True)


class NemoExportBlocked(NemoPermanentError):
    """402: the plan does not allow exports (or attribution headers were missing)."""

    status = 402


class NemoTokenRejected(NemoPermanentError):
    """1001 that a fresh token cannot fix (NEMO_TOKEN is set, or refreshing did not help)."""

    code = C.CODE_TOKEN_EXPIRED


class NemoRejected(NemoPermanentError):
    """The service refused the request for a reason that will not change on retry."""


class NemoInputRefused(NemoPermanentError):
    """The source cannot be sent: too large or of a type the service does not take."""


class NemoNothingToExport(NemoPermanentError):
    """The edit finished but the draft has no segments to render."""


class NemoEditChangedNothing(NemoPermanentError):
    """The draft after the prompt is the draft before it: rendering it would deliver the
    unedited video, so the job fails (and a fallback engine may make it)."""


def with_code(exc: NemoError, *, code: int | None = None, status: int | None = None) -> NemoError:
    """Return `exc` with the service's code and HTTP status recorded on it."""
    if code is not None:
        exc.code = code
    if status is not None:
        exc.status = status
    return exc
