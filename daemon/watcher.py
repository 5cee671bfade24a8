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
    """Observers for a set of watch folders, reporting file paths to `on_path`.

    A folder that disappears (moved away, or its share unmounted) is *offline*: its
    observer is dropped, and re-armed when the folder returns (`check_online`).
    """

    def __init__(self, folders: Sequence[WatchFolder], on_path: Callable[[Path], None]) -> None:
        self.folders = list(folders)
        self._on_path = on_path
        self._handler = _Handler(on_path)
        self._observers: dict[Path, BaseObserver] = {}
        # Folders that were mount points when first seen: back to a plain directory means
        # the share was unmounted (the empty mount point is not the user's inbox).
        self._mounted: set[Path] = set()
        self.offline: set[Path] = set()

    def start(self) -> None:
        for folder in self.folders:
            if not folder.path.is_dir():
                folder.path.mkdir(parents=True, exist_ok=True)
                logger.info("created the watch folder {}", folder.path)
            if os.path.ismount(folder.path):
                self._mounted.add(folder.path)
            self._arm(folder)
            logger.info(
                "watching {}{}{}",
                folder.path,
                " (recursive)" if folder.recursive else "",
                " (polling)" if folder.polling else "",
            )

    def _arm(self, folder: WatchFolder) -> None:
        observer: BaseObserver = (
            PollingObserver(timeout=POLLING_INTERVAL) if folder.polling else Observer()
        )
        observer.schedule(self._handler, str(folder.path), recursive=folder.recursive)
        observer.daemon = True
        observer.start()
        self._observers[folder.path] = observer

    def _disarm(self, folder: WatchFolder) -> None:
        observer = self._observers.pop(folder.path, None)
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def online(self, folder: WatchFolder) -> bool:
        """True when the folder is there (and still mounted, if it was a mount point)."""
        if not folder.path.is_dir():
            return False
        return folder.path not in self._mounted or os.path.ismount(folder.path)

    def check_online(self) -> list[WatchFolder]:
        """Notice folders that went offline or came back (logged once each way). Return
        the folders that came back: their observers are re-armed; the caller scans them."""
        back: list[WatchFolder] = []
        for folder in self.folders:
            up = self.online(folder)
            if not up and folder.path not in self.offline:
                self.offline.add(folder.path)
                self._disarm(folder)
                logger.warning(
                    "watch folder {} is offline; its queued jobs wait for it", folder.path
                )
            elif up and folder.path in self.offline:
                self.offline.discard(folder.path)
                try:
                    self._arm(folder)
                except OSError as exc:  # gone again already: try at the next check
                    self.offline.add(folder.path)
                    logger.debug("re-arming {} failed: {}", folder.path, exc)
                    continue
                logger.info("watch folder {} is back; resuming", folder.path)
                back.append(folder)
        return back

    def offline_folder_of(self, path: Path) -> WatchFolder | None:
        """The watch folder of `path`, if that folder is offline right now (checked live:
        a job may start before the next check)."""
        folder = self.folder_of(path)
        return folder if folder is not None and not self.online(folder) else None

    def stop(self) -> None:
        observers = list(self._observers.values())
        for observer in observers:
            observer.stop()
        for observer in observers:
            observer.join(timeout=5)
        self._observers.clear()

    def scan_folder(self, folder: WatchFolder) -> Iterator[Path]:
        yield from _files(folder)

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
