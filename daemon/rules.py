"""Which rule a file matches, what its output is called, and where that may go (pure)."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from daemon.config import Rule, WatchFolder

# Names that mean "still being written": browsers, rsync, Syncthing, SMB copy tools.
# Dotfiles are ignored too (macOS ._ files, .syncthing.*.tmp, our own scratch files).
TEMPORARY_SUFFIXES = (".part", ".crdownload", ".tmp", ".download", ".partial", ".!qb", ".filepart")


def is_temporary(name: str) -> bool:
    """True for names that are not final yet and must be left alone until renamed."""
    lower = name.lower()
    return lower.startswith((".", "~$")) or lower.endswith(TEMPORARY_SUFFIXES)


def glob_matches(pattern: str, name: str, relative: PurePosixPath) -> bool:
    """Case-insensitive glob match: phones write IMG_0042.MOV, users write *.mov.

    A pattern with a slash is matched against the path relative to the watched folder.
    """
    subject = str(relative) if "/" in pattern else name
    return fnmatch.fnmatchcase(subject.lower(), pattern.lower())


def watch_folder_of(folders: Sequence[WatchFolder], path: Path) -> WatchFolder | None:
    """The watch folder a path belongs to (the deepest, if folders nest), or None."""
    best: WatchFolder | None = None
    for folder in folders:
        if (
            path.is_relative_to(folder.path)
            and (folder.recursive or path.parent == folder.path)
            and (best is None or len(folder.path.parts) > len(best.path.parts))
        ):
            best = folder
    return best


def lands_in_watch(folders: Sequence[WatchFolder], path: Path) -> WatchFolder | None:
    """The watch folder that would pick up a file written at `path` (symlinks resolved),
    or None. Outputs and moved originals must never land in one: they would be edited
    again, forever."""
    resolved = path.resolve()
    resolved_folders = [f.model_copy(update={"path": f.path.resolve()}) for f in folders]
    return watch_folder_of(resolved_folders, resolved)


def path_in_watch(folders: Sequence[WatchFolder], path: Path) -> PurePosixPath:
    """The path a rule's glob sees: relative to its watch folder, or the bare name for a
    file outside every watch folder. The one answer for the daemon, `check` and `process`."""
    folder = watch_folder_of(folders, path)
    if folder is None:
        return PurePosixPath(path.name)
    return PurePosixPath(path.relative_to(folder.path).as_posix())


def match_rule(
    rules: Sequence[Rule], name: str, relative: PurePosixPath | None = None
) -> Rule | None:
    """Return the first rule with a glob that matches, or None."""
    rel = relative if relative is not None else PurePosixPath(name)
    for rule in rules:
        if any(glob_matches(g, name, rel) for g in rule.glob):
            return rule
    return None


@dataclass(frozen=True)
class NameFields:
    """The values an output-name template can use (documented in rules.example.yaml)."""

    source: Path
    rule: str
    engine: str
    job: int
    when: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "stem": _safe(self.source.stem),
            "name": _safe(self.source.name),
            "ext": self.source.suffix.lstrip(".").lower(),
            "rule": _safe(self.rule),
            "engine": self.engine,
            "job": str(self.job),
            "date": self.when.strftime("%Y-%m-%d"),
            "time": self.when.strftime("%H%M%S"),
            "year": self.when.strftime("%Y"),
            "month": self.when.strftime("%m"),
            "day": self.when.strftime("%d"),
        }


def _safe(value: str) -> str:
    # A field value is one path component: no separators, no "..", no control characters.
    cleaned = re.sub(r"[/\\\x00-\x1f]", "_", value).strip()
    return "_" if cleaned in {"", ".", ".."} else cleaned


def output_path(folder: Path, template: str, fields: NameFields) -> Path:
    """Render the template inside `folder`. Raise ValueError if it would leave the folder."""
    relative = Path(template.format(**fields.as_dict()))
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"output name {str(relative)!r} leaves the output folder")
    target = folder / relative
    target = target.with_name(fit_name(target.name))
    base = folder.resolve()
    if not target.resolve().is_relative_to(base):
        raise ValueError(f"output name {str(relative)!r} leaves the output folder")
    return target


# Most filesystems allow 255 bytes per name; leave room for the "-12" of a numbered copy.
MAX_NAME_BYTES = 240


def fit_name(name: str) -> str:
    """`name`, with its stem shortened (at a character boundary) so the whole name fits
    MAX_NAME_BYTES in the filesystem's encoding; the extension is kept."""
    encoded = os.fsencode(name)
    if len(encoded) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    suffix = dot + ext
    budget = MAX_NAME_BYTES - len(os.fsencode(suffix)) - 1
    while stem and len(os.fsencode(stem)) > budget:
        stem = stem[:-1]
    return f"{stem}~{suffix}"


def numbered(path: Path, exists: Callable[[Path], bool]) -> Path:
    """Return `path`, or the first of `name-1.ext`, `name-2.ext`, … that does not exist."""
    if not exists(path):
        return path
    n = 1
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not exists(candidate):
            return candidate
        n += 1
