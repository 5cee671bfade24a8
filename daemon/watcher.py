"""Watch inbox folders: watchdog observers (inotify, or polling for network shares) and
full scans (at start and periodically) that catch whatever the observers missed.

This module only reports paths; deciding what a path means is the daemon's job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from loguru import logger
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from daemon.config import WatchFolder
from daemon.rules import watch_folder_of

# How often a PollingObserver lists a network share; cheap enough for SMB, quick enough.
POLLING_INTERVAL = 2.0
_EVENTS = {"created", "modified", "closed", "moved"}


class _Handler(FileSystemEventHandler):
    def __init__(self, on_path: Callable[[Path], None]) -> None:
        self._on_path = on_path

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in _EVENTS:
            return
        raw = event.dest_path if event.event_type == "moved" else event.src_path
        self._on_path(Path(os.fsdecode(raw)))


class FolderWatcher:
    """Observers for a set of watch folders, reporting file paths to `on_path`."""

    def __init__(self, folders: Sequence[WatchFolder], on_path: Callable[[Path], None]) -> None:
        self.folders = list(folders)
        self._on_path = on_path
        self._observers: list[BaseObserver] = []

    def start(self) -> None:
        handler = _Handler(self._on_path)
        for folder in self.folders:
            if not folder.path.is_dir():
                folder.path.mkdir(parents=True, exist_ok=True)
                logger.info("created the watch folder {}", folder.path)
            observer: BaseObserver = (
                PollingObserver(timeout=POLLING_INTERVAL) if folder.polling else Observer()
            )
            observer.schedule(handler, str(folder.path), recursive=folder.recursive)
            observer.daemon = True
            observer.start()
            self._observers.append(observer)
            logger.info(
                "watching {}{}{}",
                folder.path,
                " (recursive)" if folder.recursive else "",
                " (polling)" if folder.polling else "",
            )

    def stop(self) -> None:
        for observer in self._observers:
            observer.stop()
        for observer in self._observers:
            observer.join(timeout=5)
        self._observers.clear()

    def scan(self) -> Iterator[Path]:
        """Every file in the watch folders now (what the observers may have missed)."""
        for folder in self.folders:
            yield from _files(folder)

    def folder_of(self, path: Path) -> WatchFolder | None:
        """The watch folder a path belongs to (the deepest, if folders nest)."""
        return watch_folder_of(self.folders, path)


def _files(folder: WatchFolder) -> Iterator[Path]:
    try:
        if not folder.recursive:
            with os.scandir(folder.path) as entries:
                yield from (Path(e.path) for e in entries if e.is_file(follow_symlinks=False))
            return
        for root, dirs, files in os.walk(folder.path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            yield from (Path(root) / name for name in files)
    except FileNotFoundError:
        return
