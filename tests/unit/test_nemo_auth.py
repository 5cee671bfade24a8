"""Token files: NEMO_TOKEN wins, anonymous tokens are kept in 0600 files and reused."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from daemon.engines.nemo.auth import TokenStore, read_secret, write_secret
from daemon.engines.nemo.models import AnonymousToken
from tests.fakes.nemo_helpers import ENV_TOKEN, TOKEN, TOKEN_2


class Fetcher:
    def __init__(self, *tokens: str, expires: str = "2099-01-01T00:00:00Z") -> None:
        self.tokens = list(tokens)
        self.client_ids: list[str] = []
        self.expires = expires

    def __call__(self, client_id: str) -> AnonymousToken:
        self.client_ids.append(client_id)
        return AnonymousToken(token=self.tokens.pop(0), expires_at=self.expires, credits=100)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_env_token_wins_and_is_never_written(tmp_path: Path) -> None:
    store = TokenStore(tmp_path, env={"NEMO_TOKEN": ENV_TOKEN})
    fetch = Fetcher(TOKEN)
    assert store.token(fetch) == ENV_TOKEN
    assert store.refresh(fetch, ENV_TOKEN) is False
    assert fetch.client_ids == []
    assert not store.token_path.exists()
    assert "NEMO_TOKEN" in store.describe()


def test_anonymous_token_is_saved_0600_and_reused_across_restarts(tmp_path: Path) -> None:
    fetch = Fetcher(TOKEN)
    first = TokenStore(tmp_path / "state", env={})
    assert first.token(fetch) == TOKEN
    assert mode(first.token_path) == 0o600
    assert mode(first.client_id_path) == 0o600
    # A new process (restart) reads the files instead of asking the service again.
    again = TokenStore(tmp_path / "state", env={})
    assert again.token(Fetcher()) == TOKEN
    assert again.client_id() == first.client_id() == fetch.client_ids[0]
    assert json.loads(first.token_path.read_text())["token"] == TOKEN


def test_an_expired_saved_token_is_replaced(tmp_path: Path) -> None:
    store = TokenStore(tmp_path, env={}, clock=lambda: 2_000_000_000.0)
    write_secret(store.token_path, json.dumps({"token": TOKEN, "expires_at": 1_000_000_000}))
    assert store.token(Fetcher(TOKEN_2)) == TOKEN_2


def test_refresh_replaces_only_the_stale_token(tmp_path: Path) -> None:
    store = TokenStore(tmp_path, env={})
    fetch = Fetcher(TOKEN, TOKEN_2)
    assert store.token(fetch) == TOKEN
    assert store.refresh(fetch, TOKEN) is True
    assert store.token(fetch) == TOKEN_2
    # Another job that still holds the old token must not burn a third one.
    assert store.refresh(fetch, TOKEN) is True
    assert len(fetch.client_ids) == 2
    assert len(set(fetch.client_ids)) == 1


def test_a_widened_mode_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "nemo-client-id"
    path.write_text("abc")
    os.chmod(path, 0o644)
    assert read_secret(path) == "abc"
    assert mode(path) == 0o600


def test_secret_files_are_private_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_secret(tmp_path / "sub" / "nemo-token", "x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "sub" / "nemo-token") == 0o600
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["nemo-token"]


def test_anonymous_token_repr_hides_the_token() -> None:
    assert TOKEN not in repr(AnonymousToken(token=TOKEN, expires_at="x", credits=1))
