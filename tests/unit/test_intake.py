"""Intake decisions with a fake clock, file facts written by hand and a real ledger file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.config import Config, parse_config
from daemon.facts import SourceFacts
from daemon.intake import (
    Examine,
    FileFacts,
    FileKind,
    Fingerprint,
    Intake,
    Queue,
    Skip,
    SkipWhy,
    Wait,
)
from daemon.ledger import Ledger

INBOX = Path("/in")
SETTLE = 5.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def config(rules: str, recursive: bool = False) -> Config:
    text = (
        f"watch:\n  - path: {INBOX}\n    recursive: {str(recursive).lower()}\n"
        f"settle_seconds: {SETTLE}\nrules:\n{rules}"
    )
    return parse_config(text, Path("/etc/rules.yaml"))


# live_photos: edit, so these rules decide without reading the media (see the Examine tests).
PHONE = "  - name: phone\n    glob: '*.mov'\n    live_photos: edit\n    output: /out\n"
COMBINE = (
    "  - name: joined\n    glob: '*.mp4'\n    live_photos: edit\n    combine: 10\n"
    "    output: /out\n"
)
SHORT_OK = "  - name: long\n    glob: '*.mov'\n    min_duration: 10s\n    output: /out\n"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(tmp_path / "jobs.db")
    yield led
    led.close()


def make_intake(clock: FakeClock, rules: str = PHONE + COMBINE, recursive: bool = False) -> Intake:
    cfg = config(rules, recursive)
    return Intake(cfg.rules, cfg.watch, cfg.settle_seconds, clock)


def facts(name: str, size: int = 10, mtime_ns: int = 1, **extra: object) -> FileFacts:
    return FileFacts(INBOX / name, FileKind.FILE, size=size, mtime_ns=mtime_ns, **extra)  # type: ignore[arg-type]


def settle_and_decide(intake: Intake, clock: FakeClock, f: FileFacts, ledger: Ledger) -> object:
    intake.observe(f)
    clock.now += SETTLE
    assert intake.due() == [f.path]
    return intake.settled(f, ledger)


# --- settling ----------------------------------------------------------------------------


def test_a_file_is_due_after_the_settle_time_and_then_needs_its_fingerprint(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock)
    f = facts("IMG_1.MOV")
    assert intake.observe(f) == Wait(f.path, "settling")
    clock.now += SETTLE - 0.1
    assert intake.due() == []
    clock.now += 0.1
    assert intake.due() == [f.path]
    decision = intake.settled(f, ledger)
    assert isinstance(decision, Fingerprint)
    assert (decision.path, decision.rule.name, decision.size) == (f.path, "phone", 10)
    assert intake.pending() == []


def test_a_slow_copy_closed_between_writes_is_queued_only_once_it_stops_growing(
    clock: FakeClock, ledger: Ledger
) -> None:
    """The copier opens, appends and closes the file every 3 s (less than the settle
    time): no writer is ever seen, yet the file must not be taken while it grows."""
    intake = make_intake(clock)
    path = INBOX / "IMG_2.MOV"
    for chunk in range(1, 6):
        intake.observe(facts("IMG_2.MOV", size=chunk * 100, mtime_ns=chunk))
        assert intake.due() == []
        clock.now += 3
    final = facts("IMG_2.MOV", size=500, mtime_ns=5)
    intake.observe(final)  # the last look before it holds still
    clock.now += SETTLE - 3
    assert intake.due() == [path]
    ledger.remember(path, 500, 5, "fp-2")
    decision = intake.settled(final, ledger)
    assert isinstance(decision, Queue)
    assert (decision.rule.name, decision.sources, decision.fingerprint) == (
        "phone",
        (path,),
        "fp-2",
    )


@pytest.mark.parametrize(
    "extra", [{"open_for_writing": True}, {"readable": False}], ids=["writer", "locked"]
)
def test_a_stalled_copy_still_open_or_locked_waits_a_whole_new_settle_period(
    clock: FakeClock, ledger: Ledger, extra: dict[str, bool]
) -> None:
    intake = make_intake(clock)
    f = facts("IMG_3.MOV", **extra)
    assert settle_and_decide(intake, clock, f, ledger) == Wait(f.path, "still being written")
    clock.now += SETTLE - 0.1
    assert intake.due() == []
    clock.now += 0.1
    assert intake.due() == [f.path]


def test_an_old_file_found_by_a_scan_is_due_at_once(clock: FakeClock) -> None:
    intake = make_intake(clock)
    intake.observe(facts("IMG_4.MOV", mtime_age=3600.0))
    assert intake.due() == [INBOX / "IMG_4.MOV"]


@pytest.mark.parametrize(
    ("f", "why"),
    [
        (facts("IMG_5.MOV.part"), SkipWhy.TEMPORARY),
        (facts(".videofree-1-ab.part.mp4"), SkipWhy.TEMPORARY),
        (FileFacts(Path("/elsewhere/a.mov"), FileKind.FILE), SkipWhy.OUTSIDE),
        (FileFacts(INBOX / "sub" / "a.mov", FileKind.FILE), SkipWhy.OUTSIDE),  # not recursive
        (FileFacts(INBOX / "gone.mov", FileKind.MISSING), SkipWhy.GONE),
        (FileFacts(INBOX / "fifo.mov", FileKind.OTHER), SkipWhy.NOT_A_FILE),
    ],
)
def test_paths_skipped_before_settling(clock: FakeClock, f: FileFacts, why: SkipWhy) -> None:
    intake = make_intake(clock)
    assert intake.observe(f) == Skip(f.path, why)
    assert intake.pending() == []


def test_a_file_that_vanished_while_settling_is_skipped(clock: FakeClock, ledger: Ledger) -> None:
    intake = make_intake(clock)
    intake.observe(facts("IMG_6.MOV"))
    clock.now += SETTLE
    gone = FileFacts(INBOX / "IMG_6.MOV", FileKind.MISSING)
    assert intake.settled(gone, ledger) == Skip(gone.path, SkipWhy.GONE)


def test_a_handled_file_is_skipped_until_it_changes(clock: FakeClock, ledger: Ledger) -> None:
    intake = make_intake(clock)
    f = facts("IMG_7.MOV")
    settle_and_decide(intake, clock, f, ledger)
    assert intake.observe(f) == Skip(f.path, SkipWhy.UNCHANGED)
    assert intake.observe(facts("IMG_7.MOV", size=11, mtime_ns=2)) == Wait(f.path, "settling")


def test_an_unreadable_file_is_looked_at_again(clock: FakeClock, ledger: Ledger) -> None:
    intake = make_intake(clock)
    f = facts("IMG_8.MOV")
    settle_and_decide(intake, clock, f, ledger)
    intake.unreadable(f.path)
    assert intake.observe(f) == Wait(f.path, "settling")


# --- matching ----------------------------------------------------------------------------


def test_no_rule_is_reported_once_and_again_after_a_reload(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock)
    f = facts("notes.txt")
    assert settle_and_decide(intake, clock, f, ledger) == Skip(f.path, SkipWhy.NO_RULE, news=True)
    intake.unreadable(f.path)  # forget it was handled, to look again
    assert settle_and_decide(intake, clock, f, ledger) == Skip(f.path, SkipWhy.NO_RULE)
    cfg = config(PHONE)
    intake.reconfigure(cfg.rules, cfg.watch, cfg.settle_seconds)
    assert settle_and_decide(intake, clock, f, ledger) == Skip(f.path, SkipWhy.NO_RULE, news=True)


def test_a_glob_with_a_folder_matches_the_path_inside_the_watch_folder(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock, "  - name: phone\n    glob: phone/*.mov\n    output: /out\n", True)
    f = FileFacts(INBOX / "phone" / "IMG_9.MOV", FileKind.FILE, size=1, mtime_ns=1)
    decision = settle_and_decide(intake, clock, f, ledger)
    assert isinstance(decision, Examine)  # live_photos: skip, the default, reads the media
    other = FileFacts(INBOX / "camera" / "IMG_9.MOV", FileKind.FILE, size=1, mtime_ns=1)
    assert settle_and_decide(intake, clock, other, ledger) == Skip(
        other.path, SkipWhy.NO_RULE, news=True
    )


# --- dedupe ------------------------------------------------------------------------------


def test_a_copy_of_content_already_queued_for_the_rule_is_skipped(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock)
    first = ledger.add_job([INBOX / "IMG_10.MOV"], "fp-10", "phone", "{}", "local")
    assert first is not None
    copy = INBOX / "IMG_10 copy.MOV"
    rule = config(PHONE).rules[0]
    decision = intake.fingerprinted(copy, rule, "fp-10", ledger)
    assert decision == Skip(
        copy, SkipWhy.DUPLICATE, f"job {first.id} (IMG_10.MOV), already queued", news=True
    )
    # The same file seen again (a rescan after a restart) is not news.
    assert intake.fingerprinted(INBOX / "IMG_10.MOV", rule, "fp-10", ledger) == Skip(
        INBOX / "IMG_10.MOV", SkipWhy.UNCHANGED
    )
    assert intake.fingerprinted(copy, rule, "fp-other", ledger) == Queue(rule, (copy,), "fp-other")


# --- combine -----------------------------------------------------------------------------


def test_clips_arriving_together_are_combined_in_capture_order(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock)
    rule = config(COMBINE).rules[0]
    a, b = INBOX / "a.mp4", INBOX / "b.mp4"
    captured = {a: 20.0, b: 10.0}  # b was filmed first

    def order(path: Path) -> tuple[float, str]:
        return captured[path], path.name

    assert intake.fingerprinted(a, rule, "fp-a", ledger) == Wait(
        a, "waits 10 s for more clips to combine (rule joined)", news=True
    )
    clock.now += 6
    intake.fingerprinted(b, rule, "fp-b", ledger)
    clock.now += 9.9  # 15.9 s after a, 9.9 s after b: the group is still growing
    assert intake.flush(ledger, order) == []
    clock.now += 0.1
    [decision] = intake.flush(ledger, order)
    assert isinstance(decision, Queue)
    assert decision.sources == (b, a)
    assert decision.fingerprint.startswith("combined-")
    assert intake.flush(ledger, order) == []  # closed: a later clip starts a new group

    # The same clips again (a restart) make the same fingerprint: a duplicate, not news.
    ledger.add_job(list(decision.sources), decision.fingerprint, "joined", "{}", "local")
    intake.fingerprinted(a, rule, "fp-a", ledger)
    intake.fingerprinted(b, rule, "fp-b", ledger)
    clock.now += 10
    assert intake.flush(ledger, order) == [Skip(b, SkipWhy.UNCHANGED)]


def test_combine_groups_are_per_folder(clock: FakeClock, ledger: Ledger) -> None:
    intake = make_intake(clock, COMBINE, recursive=True)
    rule = intake.rules[0]
    intake.fingerprinted(INBOX / "x" / "a.mp4", rule, "fp-a", ledger)
    intake.fingerprinted(INBOX / "y" / "b.mp4", rule, "fp-b", ledger)
    clock.now += 10
    decisions = intake.flush(ledger, lambda p: (0.0, p.name))
    assert sorted(d.sources for d in decisions if isinstance(d, Queue)) == [
        (INBOX / "x" / "a.mp4",),
        (INBOX / "y" / "b.mp4",),
    ]


# --- rule conditions and Live Photos: the media facts are read before deciding ------------


def media(name: str, duration: float, **extra: object) -> SourceFacts:
    return SourceFacts(
        INBOX / name,
        mtime=1.0,
        size=10,
        readable=True,
        duration=duration,
        width=1920,
        height=1080,
        codec="h264",
        **extra,
    )  # type: ignore[arg-type]


def test_a_rule_with_conditions_asks_for_the_media_facts_then_skips_once(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock, SHORT_OK)
    need = settle_and_decide(intake, clock, facts("a.mov"), ledger)
    assert isinstance(need, Examine)
    assert need.rule.name == "long"
    decision = intake.examined(need, media("a.mov", 4.0), ledger)
    assert isinstance(decision, Skip)
    assert decision.why is SkipWhy.CONDITION
    assert decision.news
    assert "rule long: shorter than min_duration (4.0 s < 10 s)" in decision.detail
    # The same version is not looked at again (the skip is logged once).
    assert intake.observe(facts("a.mov")) == Skip(INBOX / "a.mov", SkipWhy.UNCHANGED)


def test_a_file_that_meets_the_conditions_goes_on_to_its_fingerprint(
    clock: FakeClock, ledger: Ledger
) -> None:
    intake = make_intake(clock, SHORT_OK)
    need = settle_and_decide(intake, clock, facts("a.mov"), ledger)
    assert isinstance(need, Examine)
    assert isinstance(intake.examined(need, media("a.mov", 12.0), ledger), Fingerprint)
    # Unreadable as a video: not skipped, so the job's own error says why.
    assert isinstance(intake.examined(need, None, ledger), Fingerprint)


def test_a_live_photo_movie_is_skipped_by_default(clock: FakeClock, ledger: Ledger) -> None:
    intake = make_intake(clock, "  - name: phone\n    glob: '*.mov'\n    output: /out\n")
    need = settle_and_decide(intake, clock, facts("IMG_1.mov"), ledger)
    assert isinstance(need, Examine)
    decision = intake.examined(need, media("IMG_1.mov", 2.5, still_beside=True), ledger)
    assert isinstance(decision, Skip)
    assert "Live Photo" in decision.detail
