"""path_map: shared names ↔ this machine's names, and the config that declares them."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.config import parse_config
from daemon.errors import ConfigError
from daemon.pathmap import PathMap

MAP = PathMap.of({"/mnt/nas/Inbox": "/Volumes/Inbox", "/mnt/nas": "/Volumes/nas"})


@pytest.mark.parametrize(
    ("shared", "local"),
    [
        ("/mnt/nas/Inbox/a.mov", "/Volumes/Inbox/a.mov"),  # the longest prefix wins
        ("/mnt/nas/Edited/a.mp4", "/Volumes/nas/Edited/a.mp4"),
        ("/mnt/nas/Inbox2/a.mov", "/Volumes/nas/Inbox2/a.mov"),  # components, not text
        ("/home/me/a.mov", "/home/me/a.mov"),  # unmapped: as is
        ("/mnt/nas/Inbox", "/Volumes/Inbox"),
    ],
)
def test_round_trip(shared: str, local: str) -> None:
    assert MAP.to_local(Path(shared)) == Path(local)
    assert MAP.to_shared(Path(local)) == Path(shared)


def test_empty_map_changes_nothing() -> None:
    assert PathMap.of({}).to_local(Path("/a/b")) == Path("/a/b")


BASE = "rules:\n  - {name: r, glob: '*.mov', output: /tmp/out}\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("ledger: mysql://h/db\n", "expected postgresql://user@host/db"),
        ("ledger: postgresql://u:secret@h/db\n", "VIDEOFREE_LEDGER_PASSWORD"),
        ("path_map: {relative: /x}\n", "expected absolute paths"),
        ("lease_seconds: 1\n", "lease_seconds"),
    ],
)
def test_bad_shared_settings_are_config_errors(extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(extra + BASE, Path("/etc/rules.yaml"))
    assert message in str(err.value)
    assert "secret" not in str(err.value)


def test_shared_settings_parse() -> None:
    config = parse_config(
        "ledger: postgresql://videofree@nas/videofree\n"
        "path_map: {/mnt/nas/Inbox/: /Volumes/Inbox}\nlease_seconds: 20s\n" + BASE,
        Path("/etc/rules.yaml"),
    )
    assert config.ledger == "postgresql://videofree@nas/videofree"
    assert config.path_map == {"/mnt/nas/Inbox": "/Volumes/Inbox"}
    assert config.lease_seconds == 20.0
