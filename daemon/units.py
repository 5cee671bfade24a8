"""Times, percentages and numbers as people write them: "2s", "1:30", "1.5 minutes", "35%".

Shared by the prompt parser and the `edits:` YAML so both read "90 seconds" the same way.
"""

from __future__ import annotations

import math
import re

# Small number words people type instead of digits ("cut the first two seconds").
NUMBER_WORDS = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "two": 2.0,
    "three": 3.0,
    "four": 4.0,
    "five": 5.0,
    "six": 6.0,
    "seven": 7.0,
    "eight": 8.0,
    "nine": 9.0,
    "ten": 10.0,
    "fifteen": 15.0,
    "twenty": 20.0,
    "thirty": 30.0,
    "half a": 0.5,
    "a half": 0.5,
    "half": 0.5,
}
_NUMBER_WORD_RE = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))

_UNIT_SECONDS = {
    "ms": 0.001,
    "millisecond": 0.001,
    "milliseconds": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}

# A clock time (1:30, 0:01:05.5) or a number with an optional unit (2s, 2 sec, 1.5 minutes,
# two seconds). Used inside bigger patterns, so it has no anchors and one named group.
# Minutes and seconds take two digits after a colon ("1:05"): "4:3" is an aspect ratio, and
# reading it as 4 min 3 s made "make it 4:3" a 4-minute length limit.
CLOCK = r"\d{1,2}(?::\d{2}){1,2}(?:\.\d+)?(?!\d)"
UNIT = r"(?:ms|milliseconds?|secs?|seconds?|s|mins?|minutes?|m|hrs?|hours?|h)\b"
NUMBER = rf"(?:\d+(?:\.\d+)?|\.\d+|{_NUMBER_WORD_RE})"
# A bare number is a time in seconds, but never a percentage: "the first 10% of the video"
# cut 10 seconds. (The digit check stops "10%" matching as "1".)
TIME = rf"(?:{CLOCK}|{NUMBER}\s*-?\s*{UNIT}|{NUMBER}(?![\d.:]|\s*(?:%|percent|per\s+cent)))"
TIME_WITH_UNIT = rf"(?:{CLOCK}|{NUMBER}\s*-?\s*{UNIT})"

_TIME_FULL = re.compile(
    rf"^\s*(?:(?P<clock>{CLOCK})|(?P<num>{NUMBER})\s*-?\s*(?P<unit>{UNIT})?)\s*$", re.I
)
_PERCENT = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%|percent|per cent)?\s*$", re.I)
_DB = re.compile(r"^\s*(?P<num>[-+]?\d+(?:\.\d+)?)\s*db\s*$", re.I)


def number(text: str) -> float:
    """Given "2", "1.5" or "two", return the number. Raise ValueError otherwise."""
    word = text.strip().lower()
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    return float(word)


def seconds(text: str | float, *, default_unit: str = "s") -> float:
    """Given "2s", "2 sec", "1:30", "90 seconds", "1.5 minutes" or 2, return seconds.

    A bare number is in `default_unit`. Raise ValueError for anything else or a negative time.
    """
    if isinstance(text, bool):
        raise ValueError(f"expected a time such as 2s or 1:30 [got {text!r}]")
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = _TIME_FULL.match(text)
        if match is None:
            raise ValueError(f"expected a time such as 2s, 1:30 or 1.5 minutes [got {text!r}]")
        if match["clock"]:
            value = clock(match["clock"])
        else:
            unit = (match["unit"] or default_unit).lower()
            value = number(match["num"]) * _UNIT_SECONDS[unit]
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"a time must be a finite, non-negative number [got {text!r}]")
    return value


def clock(text: str) -> float:
    """Given "1:30" (m:ss) or "1:02:03.5" (h:mm:ss), return seconds."""
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def fraction(text: str | float) -> float:
    """Given "35%", "35 percent", 0.35 or "0.35", return 0.35. A bare number above 2 is
    read as a percentage (volume 150 means 150 %). Raise ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError(f"expected a percentage such as 35% [got {text!r}]")
    if isinstance(text, int | float):
        value = float(text)
        return value / 100 if value > 2 else value
    match = _PERCENT.match(text)
    if match is None:
        raise ValueError(
            f"expected a percentage such as 35% or a factor such as 0.35 [got {text!r}]"
        )
    value = float(match["num"])
    return value / 100 if match["pct"] or value > 2 else value


def decibels(text: str | float) -> float:
    """Given "-35dB", "-35 dB" or -35, return -35.0. Raise ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError(f"expected decibels such as -35dB [got {text!r}]")
    if isinstance(text, int | float):
        return float(text)
    match = _DB.match(text) or re.match(r"^\s*(?P<num>[-+]?\d+(?:\.\d+)?)\s*$", text)
    if match is None:
        raise ValueError(f"expected decibels such as -35dB [got {text!r}]")
    return float(match["num"])


_SIZE_UNITS = {
    "mb": 1_000_000,
    "megabyte": 1_000_000,
    "megabytes": 1_000_000,
    "meg": 1_000_000,
    "megs": 1_000_000,
    "gb": 1_000_000_000,
    "gigabyte": 1_000_000_000,
    "gigabytes": 1_000_000_000,
    "gig": 1_000_000_000,
    "gigs": 1_000_000_000,
    "mib": 1_048_576,
    "gib": 1_073_741_824,
    "b": 1,
    "byte": 1,
    "bytes": 1,
}
# "megs" and "gigs" are how people say it ("under 20 megs").
SIZE = r"(?:mb|megabytes?|megs?|gb|gigabytes?|gigs?|mib|gib|bytes?)"
_SIZE_FULL = re.compile(rf"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>{SIZE})?\s*$", re.I)


def size_bytes(text: str | float) -> int:
    """Given "25MB", "1.5 GB", "100 MiB", "25000000 bytes" or 25 (MB), return bytes. Raise
    ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError(f"expected a size such as 25MB [got {text!r}]")
    if isinstance(text, int | float):
        value = float(text) * _SIZE_UNITS["mb"]
    else:
        match = _SIZE_FULL.match(text)
        if match is None:
            raise ValueError(f"expected a size such as 25MB or 1.5GB [got {text!r}]")
        value = float(match["num"]) * _SIZE_UNITS[(match["unit"] or "mb").lower()]
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"a size must be a positive number [got {text!r}]")
    return int(value)


def fmt_seconds(value: float) -> str:
    """Seconds as a short human string: 3 → "3 s", 90.5 → "1:30.5"."""
    if value < 60:
        return f"{value:g} s"
    minutes, secs = divmod(value, 60)
    if secs == int(secs):
        return f"{int(minutes)}:{int(secs):02d}"
    return f"{int(minutes)}:{secs:04.1f}"
