"""What to do with a file in a watch folder: wait, skip (why) or queue (pure).

The daemon gathers the facts (fileio.py: stat, readability, open writers, fingerprints)
and carries out the decisions (ledger writes, the runner); every choice in between is
made here, from the facts, the injected clock, the rules and a read-only ledger view:

    observe(facts)          → Wait(settling) | Skip(temporary, outside, gone, not a file, unchanged)
    settled(facts, ledger)  → Wait(being written | combine) | Skip(no rule, duplicate)
                              | Examine(rule) | Fingerprint(rule) | Queue(rule, sources, fp)
    examined(..., media)    → Skip(the rule's conditions, a Live Photo) | as settled
    fingerprinted(...)      → as settled, once the content is known
    flush(order)            → Queue for each combine group that stopped growing

A new skip condition is a new `SkipWhy` member and one check in `_skip_before_settle`
or, for conditions that need the rule, in `settled` (facts a probe gives, such as a
duration, arrive in `FileFacts` too); a folder that went offline is a `FileKind`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from daemon.config import Rule, WatchFolder
from daemon.ledger import JobRecord
from daemon.rules import is_temporary, match_rule, path_in_watch, watch_folder_of
from daemon.settle import SettleTracker
from daemon.skips import needs_facts, skip_reason

if TYPE_CHECKING:
    from daemon.facts import SourceFacts


class FileKind(StrEnum):
    FILE = "file"
    OTHER = "other"  # a folder, FIFO, device node, socket: never read
    MISSING = "missing"


@dataclass(frozen=True)
class FileFacts:
    """What the daemon found out about one path, without blocking (fileio.file_facts)."""

    path: Path
    kind: FileKind
    size: int = 0
    mtime_ns: int = 0
    # Seconds since the file's mtime by the wall clock: credited towards settling.
    mtime_age: float = 0.0
    # Looked at only once the file has settled (the costly checks).
    readable: bool = True
    open_for_writing: bool = False

    @property
    def version(self) -> tuple[int, int]:
        return self.size, self.mtime_ns


class SkipWhy(StrEnum):
    TEMPORARY = "a temporary name"
    OUTSIDE = "not inside a watch folder"
    GONE = "gone"
    NOT_A_FILE = "not a regular file"
    UNCHANGED = "already handled"
    NO_RULE = "no rule matches; left alone"
    DUPLICATE = "same content as an earlier job"
    CONDITION = "left alone by its rule"


@dataclass(frozen=True)
class Wait:
    path: Path
    why: str
    # True when a person wants to hear about it (a clip held for its combine group).
    news: bool = False


@dataclass(frozen=True)
class Skip:
    path: Path
    why: SkipWhy
    detail: str = ""
    # False when the same skip was already reported: the daemon logs it only once.
    news: bool = False


@dataclass(frozen=True)
class Examine:
    """The rule has conditions (or skips Live Photos): the file's media facts must be read
    (I/O) before deciding; then call `examined`."""

    path: Path
    rule: Rule
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Fingerprint:
    """The content must be hashed (I/O) before deciding; then call `fingerprinted`."""

    path: Path
    rule: Rule
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Queue:
    rule: Rule
    sources: tuple[Path, ...]
    fingerprint: str


Decision = Wait | Skip | Examine | Fingerprint | Queue


class LedgerView(Protocol):
    """The read-only part of the ledger that intake consults."""

    def seen_fingerprint(self, path: Path, size: int, mtime_ns: int) -> str | None: ...

    def find(self, fingerprint: str, rule: str) -> JobRecord | None: ...


@dataclass
class _Group:
    """Files that arrive together for a `combine:` rule, joined into one job."""

    rule: Rule
    members: dict[Path, str] = field(default_factory=dict)
    last_added: float = 0.0


class Intake:
    """The intake decisions and the little state they need (settling files, files already
    handled, open combine groups). Called from one thread only: the daemon's tick."""

    def __init__(
        self,
        rules: Sequence[Rule],
        folders: Sequence[WatchFolder],
        settle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = list(rules)
        self.folders = list(folders)
        self._clock = clock
        self.tracker = SettleTracker(settle_seconds, clock)
        self._handled: dict[Path, tuple[int, int]] = {}
        self._unmatched: set[Path] = set()
        self._groups: dict[tuple[str, Path], _Group] = {}
        # Skips already reported (copies, rule conditions): a reload looks at every file
        # again and must not repeat each one's line (kept across reconfigure).
        self._said: set[tuple[Path, SkipWhy, str]] = set()

    def reconfigure(
        self, rules: Sequence[Rule], folders: Sequence[WatchFolder], settle_seconds: float
    ) -> None:
        """New rules: files that matched nothing (or were handled) are looked at again."""
        self.rules, self.folders = list(rules), list(folders)
        self.tracker.settle_seconds = settle_seconds
        self._unmatched.clear()
        self._handled.clear()

    # --- settling ------------------------------------------------------------------------

    def observe(self, facts: FileFacts) -> Wait | Skip:
        """A path was reported (event, scan) or is still settling: note its size and mtime."""
        path = facts.path
        skip = self._skip_before_settle(facts)
        if skip is not None:
            self.tracker.forget(path)
            return skip
        self.tracker.observe(path, facts.size, facts.mtime_ns, facts.mtime_age)
        return Wait(path, "settling")

    def pending(self) -> list[Path]:
        return self.tracker.pending()

    def due(self) -> list[Path]:
        """Paths whose size and mtime held still for the settle time."""
        return self.tracker.due()

    def _skip_before_settle(self, facts: FileFacts) -> Skip | None:
        path = facts.path
        if is_temporary(path.name):
            return Skip(path, SkipWhy.TEMPORARY)
        if watch_folder_of(self.folders, path) is None:
            return Skip(path, SkipWhy.OUTSIDE)
        if facts.kind is FileKind.MISSING:
            return Skip(path, SkipWhy.GONE)
        if facts.kind is FileKind.OTHER:
            return Skip(path, SkipWhy.NOT_A_FILE)
        if self._handled.get(path) == facts.version:
            return Skip(path, SkipWhy.UNCHANGED)
        return None

    def settled(self, facts: FileFacts, ledger: LedgerView) -> Decision:
        """A due path, with its costly facts (readable, open for writing) gathered."""
        path = facts.path
        self.tracker.forget(path)
        if facts.kind is not FileKind.FILE:
            return Skip(
                path, SkipWhy.GONE if facts.kind is FileKind.MISSING else SkipWhy.NOT_A_FILE
            )
        if not facts.readable or facts.open_for_writing:
            # Still being written (or locked by the copier): a whole new settle period.
            self.tracker.observe(path, facts.size, facts.mtime_ns)
            return Wait(path, "still being written")
        self._handled[path] = facts.version
        rule = match_rule(self.rules, path.name, path_in_watch(self.folders, path))
        if rule is None:
            news = path not in self._unmatched
            self._unmatched.add(path)
            return Skip(path, SkipWhy.NO_RULE, news=news)
        if needs_facts(rule, path.suffix):
            return Examine(path, rule, facts.size, facts.mtime_ns)
        return self._content(path, rule, facts.size, facts.mtime_ns, ledger)

    def examined(self, need: Examine, media: SourceFacts | None, ledger: LedgerView) -> Decision:
        """The media facts are read (None: unreadable as a video, so the job's own error
        will say more than a skip would): skip by the rule's conditions, or go on."""
        reason = None if media is None else skip_reason(need.rule, media)
        if reason is not None:
            return self._said_once(need.path, SkipWhy.CONDITION, f"rule {need.rule.name}: {reason}")
        return self._content(need.path, need.rule, need.size, need.mtime_ns, ledger)

    def _content(
        self, path: Path, rule: Rule, size: int, mtime_ns: int, ledger: LedgerView
    ) -> Decision:
        fp = ledger.seen_fingerprint(path, size, mtime_ns)
        if fp is None:
            return Fingerprint(path, rule, size, mtime_ns)
        return self.fingerprinted(path, rule, fp, ledger)

    def unreadable(self, path: Path) -> None:
        """Hashing failed: forget the file was handled, so the next scan retries it."""
        self._handled.pop(path, None)

    # --- dedupe and combine --------------------------------------------------------------

    def fingerprinted(self, path: Path, rule: Rule, fp: str, ledger: LedgerView) -> Decision:
        """The content is known: queue it, hold it for its combine group, or skip a copy."""
        if rule.combine:
            group = self._groups.setdefault((rule.name, path.parent), _Group(rule))
            group.members[path] = fp
            group.last_added = self._clock()
            why = f"waits {rule.combine:g} s for more clips to combine (rule {rule.name})"
            return Wait(path, why, news=True)
        return self._queue_or_duplicate(rule, (path,), fp, ledger)

    def flush(
        self, ledger: LedgerView, order: Callable[[Path], tuple[float, str]]
    ) -> list[Decision]:
        """Close every combine group that stopped growing: one job per group, its clips in
        `order` (capture time, from the metadata: I/O the daemon supplies)."""
        now = self._clock()
        decisions: list[Decision] = []
        for key, group in list(self._groups.items()):
            if group.rule.combine is not None and now - group.last_added >= group.rule.combine:
                del self._groups[key]
                sources = tuple(sorted(group.members, key=order))
                digest = hashlib.blake2b(digest_size=16)
                for source in sources:
                    digest.update(group.members[source].encode())
                fp = f"combined-{digest.hexdigest()}"
                decisions.append(self._queue_or_duplicate(group.rule, sources, fp, ledger))
        return decisions

    def _queue_or_duplicate(
        self, rule: Rule, sources: tuple[Path, ...], fp: str, ledger: LedgerView
    ) -> Queue | Skip:
        earlier = ledger.find(fp, rule.name)
        if earlier is None:
            return Queue(rule, sources, fp)
        if earlier.sources == sources:
            return Skip(sources[0], SkipWhy.UNCHANGED)  # the same file seen again
        detail = f"job {earlier.id} ({earlier.source.name}), already {earlier.state}"
        return self._said_once(sources[0], SkipWhy.DUPLICATE, detail)

    def _said_once(self, path: Path, why: SkipWhy, detail: str) -> Skip:
        """A skip that is news only the first time this file is skipped for this reason."""
        key = (path, why, detail)
        news = key not in self._said
        self._said.add(key)
        return Skip(path, why, detail, news=news)
