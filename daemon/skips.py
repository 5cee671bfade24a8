"""Which inbox files a rule leaves alone, decided before a job is queued.

Pure: the rule's conditions against SourceFacts (daemon.facts). A rule may ask for
`min_duration`, `max_duration`, `min_size`, `max_size`, `min_height` (the short side of
the picture, so 720 means "720p or better" for portrait and landscape alike) and `codec`
(the video codecs it takes). A file that cannot be read as a video is never skipped here:
its job fails with the reader's reason, which says more than a skip would.

iPhone Live Photos: the camera writes a ~2-3 s movie beside every Live Photo still, and a
`*.mov` glob would "edit" each one. With `live_photos: skip` (the default) a movie is a
Live Photo companion when it is at most LIVE_PHOTO_MAX_SECONDS long and either sits beside
a still of the same stem (IMG_0042.HEIC / .JPG) or carries Apple's live-photo content
identifier. Slow-motion, time-lapse and screen recordings have neither, and are edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from daemon.facts import SourceFacts
from daemon.metadata import LIVE_PHOTO_ID

if TYPE_CHECKING:
    from daemon.config import Rule

# Live Photo movies are 1.5 s before and after the still, ~3 s; 3.5 s leaves room for
# rounding in exports while a deliberately short clip is rarely that short *and* paired.
LIVE_PHOTO_MAX_SECONDS = 3.5
# Movie containers a Live Photo companion comes in.
LIVE_PHOTO_SUFFIXES = frozenset({".mov", ".mp4"})


def skip_for(path: Path, rule: Rule, read: Callable[[Path], SourceFacts]) -> str | None:
    """Given a file, its matched rule and a reader of facts (daemon.facts.read_facts),
    return why the file is not edited, or None. Reads nothing when the rule has nothing
    to check for this kind of file; a file that vanished is not skipped here."""
    if not needs_facts(rule, path.suffix):
        return None
    try:
        return skip_reason(rule, read(path))
    except OSError:
        return None


def needs_facts(rule: Rule, suffix: str) -> bool:
    """True when deciding about a file with this suffix under `rule` needs its facts read."""
    return has_conditions(rule) or (
        rule.live_photos == "skip" and suffix.casefold() in LIVE_PHOTO_SUFFIXES
    )


def has_conditions(rule: Rule) -> bool:
    return any(
        value is not None
        for value in (
            rule.min_duration,
            rule.max_duration,
            rule.min_size,
            rule.max_size,
            rule.min_height,
            rule.codec,
        )
    )


def is_live_photo(facts: SourceFacts) -> bool:
    """True for an iPhone Live Photo's movie (see the module docstring)."""
    if facts.path.suffix.casefold() not in LIVE_PHOTO_SUFFIXES:
        return False
    if not facts.readable or facts.duration > LIVE_PHOTO_MAX_SECONDS:
        return False
    return facts.still_beside or bool(facts.tags.get(LIVE_PHOTO_ID))


def skip_reason(rule: Rule, facts: SourceFacts) -> str | None:
    """Given a matched rule and the file's facts, return why the file is not edited
    (one line a person can read), or None to edit it."""
    if rule.live_photos == "skip" and is_live_photo(facts):
        why = "beside its photo" if facts.still_beside else "Apple live-photo identifier"
        return (
            f"a Live Photo movie ({facts.duration:.1f} s, {why}); "
            "set live_photos: edit on the rule to edit these"
        )
    if not facts.readable:
        return None
    return _condition_reason(rule, facts)


def _condition_reason(rule: Rule, facts: SourceFacts) -> str | None:
    return next((reason for reason in _failed_conditions(rule, facts) if reason), None)


def _failed_conditions(rule: Rule, facts: SourceFacts) -> Iterator[str | None]:
    """One reason per condition the file fails (None for each it passes), in rule order."""
    seconds = facts.duration
    if rule.min_duration is not None and seconds < rule.min_duration:
        yield f"shorter than min_duration ({seconds:.1f} s < {rule.min_duration:g} s)"
    if rule.max_duration is not None and seconds > rule.max_duration:
        yield f"longer than max_duration ({seconds:.1f} s > {rule.max_duration:g} s)"
    if rule.min_size is not None and facts.size < rule.min_size:
        yield f"smaller than min_size ({_bytes(facts.size)} < {_bytes(rule.min_size)})"
    if rule.max_size is not None and facts.size > rule.max_size:
        yield f"larger than max_size ({_bytes(facts.size)} > {_bytes(rule.max_size)})"
    short_side = min(facts.width, facts.height)
    if rule.min_height is not None and short_side < rule.min_height:
        yield f"below min_height ({short_side}p < {rule.min_height}p)"
    if rule.codec is not None and facts.codec.casefold() not in rule.codec:
        yield f"codec {facts.codec or 'unknown'} is not one of codec: {', '.join(rule.codec)}"
    yield None


def _bytes(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
