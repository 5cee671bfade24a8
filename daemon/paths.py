"""Where rules.yaml and the state live: light enough for `status` (no pydantic).

config.py validates the whole file; `status` and `retry` need only the state dir, and
must work even while the rest of rules.yaml has an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from platformdirs import user_config_path, user_state_path

from daemon import yamlines

APP_NAME = "videofree"
CONFIG_ENV = "VIDEOFREE_CONFIG"
# rules.yaml is a few kilobytes; a file past this is a mistake (or an attack), and reading
# it whole would cost the daemon its memory on every reload.
MAX_CONFIG_BYTES = 1024 * 1024


def default_config_path() -> Path:
    """Where `videofree init` writes rules.yaml and where the daemon looks for it."""
    return user_config_path(APP_NAME) / "rules.yaml"


def default_state_dir() -> Path:
    """The XDG state dir (~/.local/state/videofree): the ledger and the NemoVideo token."""
    return user_state_path(APP_NAME)


def resolve_config_path(explicit: str | None) -> Path:
    """--config wins, then $VIDEOFREE_CONFIG, then ~/.config/videofree/rules.yaml."""
    chosen = explicit or os.environ.get(CONFIG_ENV)
    return Path(chosen).expanduser() if chosen else default_config_path()


def read_state_dir(path: Path) -> Path | None:
    """The state dir the config at `path` names, read leniently (only `state_dir:`, the
    way the full config reads it); None when the file cannot tell (unreadable, not YAML,
    not a mapping, a state_dir that is not text): the full config then says why."""
    data = read_config_mapping(path)
    if data is None:
        return None
    raw = data.get("state_dir")
    if raw is None:
        return default_state_dir()
    if not isinstance(raw, str):
        return None
    folder = Path(os.path.expandvars(raw)).expanduser()
    return folder if folder.is_absolute() else path.parent / folder


def read_config_mapping(path: Path) -> dict[str, Any] | None:
    """The config at `path` as plain YAML, with no validation; None when it cannot be read
    as a mapping (unreadable, too large, not UTF-8, not YAML, an alias bomb)."""
    try:
        with path.open("rb") as f:
            text = f.read(MAX_CONFIG_BYTES + 1)
        if len(text) > MAX_CONFIG_BYTES:
            return None
        # yamlines refuses alias bombs, which yaml.safe_load would expand in memory.
        data = yamlines.load(text.decode("utf-8"))
    except (OSError, UnicodeDecodeError, RecursionError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None
