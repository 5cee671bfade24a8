"""Where the NemoVideo token comes from, and where it is kept.

NEMO_TOKEN from the environment wins and is never written anywhere. Otherwise the engine
uses an anonymous token fetched with a client id; the service hands out one per client id
per 7 days and only a few per IP address, so the client id and the token are kept in the
state dir (files of mode 0600, repaired if found wider) and reused across jobs and restarts.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from loguru import logger

from daemon.engines.nemo import constants as C
from daemon.engines.nemo.models import AnonymousToken

FetchToken = Callable[[str], AnonymousToken]


class TokenStore:
    """Hands out the bearer token; refreshes an anonymous one when the service says 1001.

    Thread-safe: jobs run in parallel and must not fetch two anonymous tokens at once.
    """

    def __init__(
        self,
        state_dir: Path,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state_dir = state_dir
        self._env_token = (env if env is not None else os.environ).get(C.TOKEN_ENV, "").strip()
        self._clock = clock
        self._lock = threading.RLock()  # re-entered: fetching a token asks for the client id
        self._token: str | None = None

    @property
    def from_env(self) -> bool:
        return bool(self._env_token)

    @property
    def token_path(self) -> Path:
        return self.state_dir / C.TOKEN_FILE

    @property
    def client_id_path(self) -> Path:
        return self.state_dir / C.CLIENT_ID_FILE

    def describe(self) -> str:
        """Where the token comes from, for `videofree credits` (never the token itself)."""
        if self.from_env:
            return f"token from ${C.TOKEN_ENV}"
        return f"anonymous token kept in {self.token_path}"

    def known_secrets(self) -> tuple[str, ...]:
        """The tokens in use, so messages can be scrubbed of them."""
        return tuple(t for t in (self._env_token, self._token) if t)

    def bind_id(self) -> str | None:
        """The anonymous user's id for the registration link (`?bind=`); None with NEMO_TOKEN.

        The id the anonymous-token answer gave, else the client id that token was issued to.
        """
        if self.from_env:
            return None
        with self._lock:
            saved = _load_json(read_secret(self.token_path))
            user_id = saved.get("user_id")
            if isinstance(user_id, str) and user_id:
                return user_id
            return self._client_id_locked()

    def client_id(self) -> str:
        """Return this machine's client id, creating and persisting it the first time."""
        with self._lock:
            return self._client_id_locked()

    def token(self, fetch: FetchToken) -> str:
        """Return the token to send: NEMO_TOKEN, else the saved anonymous one, else a new one."""
        if self.from_env:
            return self._env_token
        with self._lock:
            if self._token is None:
                self._token = self._load_token()
            if self._token is None:
                self._token = self._fetch_locked(fetch)
            return self._token

    def refresh(self, fetch: FetchToken, stale: str) -> bool:
        """Replace the anonymous token `stale` that the service refused (1001).

        Return False when there is nothing to refresh (NEMO_TOKEN is set). A token another
        thread already replaced is not fetched again.
        """
        if self.from_env:
            return False
        with self._lock:
            if self._token is not None and self._token != stale:
                return True
            self._token = self._fetch_locked(fetch)
            return True

    def _fetch_locked(self, fetch: FetchToken) -> str:
        answer = fetch(self._client_id_locked())
        logger.info(
            "NemoVideo: new anonymous token (valid until {}, {} credits); saved in {}",
            answer.expires_at or "unknown",
            _credits(answer.credits),
            self.token_path,
        )
        payload = {"token": answer.token, "expires_at": answer.expires_at}
        if answer.user_id:
            payload["user_id"] = answer.user_id
        write_secret(self.token_path, json.dumps(payload))
        return answer.token

    def _client_id_locked(self) -> str:
        saved = read_secret(self.client_id_path)
        if saved:
            return saved
        new = str(uuid.uuid4())
        write_secret(self.client_id_path, new)
        return new

    def _load_token(self) -> str | None:
        saved = _load_json(read_secret(self.token_path))
        token = saved.get("token")
        if not isinstance(token, str) or not token:
            return None
        expires = _parse_expiry(saved.get("expires_at"))
        if expires is not None and expires <= self._clock():
            return None
        return token


def _load_json(text: str | None) -> dict[str, object]:
    if not text:
        return {}
    try:
        saved = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return saved if isinstance(saved, dict) else {}


def _credits(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g}"


def _parse_expiry(value: object) -> float | None:
    """Epoch seconds (or ms) or an ISO timestamp → epoch seconds; None if unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000 if value > 10**11 else float(value)
    if isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            return _parse_expiry(float(value))
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
    return None


def read_secret(path: Path) -> str | None:
    """Return the stripped text of a secret file, first narrowing its mode to 0600."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None
    if mode != C.SECRET_FILE_MODE:
        logger.warning("{} had mode {:o}; set it back to 600", path, mode)
        path.chmod(C.SECRET_FILE_MODE)
    return path.read_text(encoding="utf-8").strip() or None


def write_secret(path: Path, text: str) -> None:
    """Write a secret file atomically, readable by its owner only from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # os.open with the mode creates the file private; open() would make it 0644 first.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, C.SECRET_FILE_MODE)
    try:
        os.fchmod(fd, C.SECRET_FILE_MODE)  # the umask may narrow the mode, never widen it
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if fd != -1:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
