"""The systemd user unit: the shipped template (assets/videofree.service, a copy of
systemd/videofree.service) filled in with this install's command, config and folders."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from daemon.config import Config

SERVICE_NAME = "videofree.service"


def user_unit_dir(env: Mapping[str, str]) -> Path:
    """$XDG_CONFIG_HOME/systemd/user; the XDG spec says to ignore a relative value."""
    base = env.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "systemd" / "user"


def unit_path(env: Mapping[str, str] | None = None) -> Path:
    """Where `videofree install-service` writes the unit."""
    return user_unit_dir(os.environ if env is None else env) / SERVICE_NAME


def executable() -> tuple[str, ...]:
    """The command that starts videofree: the installed script, else this interpreter."""
    found = shutil.which("videofree")
    return (found,) if found else (sys.executable, "-m", "daemon")


def unit_word(value: str, *, exec_line: bool = False) -> str:
    """One word of a unit setting, safe whatever it holds: double-quoted (spaces),
    backslashes and quotes escaped, '%' doubled (specifiers) and, on Exec lines, '$'
    doubled (variable expansion)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    if exec_line:
        escaped = escaped.replace("$", "$$")
    return f'"{escaped}"'


def render_unit(config: Config, command: Sequence[str]) -> str:
    """The shipped unit, with this install's command, config and writable folders."""
    template = resources.files("daemon").joinpath("assets", SERVICE_NAME).read_text("utf-8")
    folders = [config.state_dir, *(w.path for w in config.watch)]
    for rule in config.rules:
        folders.append(rule.output)
        if rule.original is not None:
            folders.append(rule.original.move_to)
    # The '-' (ignore a folder that does not exist) goes inside the quotes.
    paths = " ".join(unit_word(f"-{p}") for p in dict.fromkeys(folders))
    argv = [*command, "run", "--config", str(config.source)]
    exec_start = " ".join(unit_word(a, exec_line=True) for a in argv)
    lines = []
    for line in template.splitlines():
        if line.startswith("ExecStart="):
            lines.append(f"ExecStart={exec_start}")
        elif line.startswith("ReadWritePaths="):
            lines.append(f"ReadWritePaths={paths}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"
