"""The env file beside the default rules.yaml (~/.config/videofree/env): secrets kept out
of rules.yaml (NEMO_TOKEN, VIDEOFREE_WEB_PASSWORD, VIDEOFREE_WEBHOOK_SECRET,
VIDEOFREE_LEDGER_PASSWORD).

The systemd unit reads it with `EnvironmentFile=`; the `videofree` command reads it too, so
`videofree run` in a terminal, `status` on a shared ledger and `credits` see the same
settings as the service. Variables already in the environment win, as they do over a
unit's file when set in the unit. Only systemd's plain form is understood: `KEY=value`
lines, `#` or `;` comments, a value optionally in matching quotes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from daemon.paths import default_config_path

ENV_FILE_NAME = "env"
# An env file is a handful of lines; anything larger is not one.
MAX_ENV_BYTES = 64 * 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_env(text: str) -> dict[str, str]:
    """Given the text of an env file, return its variables (malformed lines are skipped,
    as systemd skips them)."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if not _NAME.fullmatch(name):
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[name] = value
    return found


def env_file_path() -> Path:
    """The user's env file: beside the default rules.yaml (~/.config/videofree/env)."""
    return default_config_path().parent / ENV_FILE_NAME


def load_env_file(path: Path, environ: MutableMapping[str, str]) -> Mapping[str, str]:
    """Add the variables of the env file at `path` that `environ` lacks; return those
    added. A missing or unreadable file adds nothing: the file is optional."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_ENV_BYTES + 1)
    except OSError:
        return {}
    if len(raw) > MAX_ENV_BYTES:
        return {}
    added = {k: v for k, v in parse_env(raw.decode("utf-8", "replace")).items() if k not in environ}
    environ.update(added)
    return added


def load_user_env_file() -> Mapping[str, str]:
    """Read the user's env file into os.environ (see the module docstring)."""
    return load_env_file(env_file_path(), os.environ)
