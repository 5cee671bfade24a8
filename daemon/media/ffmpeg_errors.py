"""ffmpeg's stderr reduced to the words that say what went wrong (pure).

Since ffmpeg 7 every stage (demuxer, decoder, filter graph, encoder, muxer) runs in its own
thread, and when one fails each of the others reports its own teardown after it:

    [h264_nvenc @ 0x55ea11bf6d00] Cannot load libcuda.so.1          ← the cause
    [vf#0:0 @ 0x55ea11c11f00] Error sending frames to consumers: Operation not permitted
    [vf#0:0 @ 0x55ea11c11f00] Task finished with error code: -1 (Operation not permitted)
    … five more lines like these …
    [out#0/null @ 0x55ea11bf55c0] Nothing was written into output file, because …

So the cause is the first line, not the last, and the teardown lines say nothing a person
can act on. A job's error (and a hardware fallback's note) carries the first few lines
that are not teardown, with the memory addresses taken out.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable

# How many lines are kept from the start (where the cause is) and from the end (the
# teardown, and "Conversion failed!" when nothing else was said). A corrupt clip can print
# a decode error per frame, so the middle is dropped rather than kept.
HEAD_LINES = 40
TAIL_LINES = 6
# How many distinct cause lines a job's error shows.
CAUSE_LINES = 3

# ffmpeg's own wording of a stage stopping because another one failed (fftools/ffmpeg_*.c).
_TEARDOWN = re.compile(
    r"Task finished with error code"
    r"|Terminating thread with return code"
    r"|Could not open encoder before EOF"
    r"|Nothing was written into output file"
    r"|Error sending frames to consumers"
    r"|Error marking filters as finished"
    r"|Error while filtering: (?:Operation not permitted|Invalid argument|End of file)"
    r"|^Conversion failed!?$"
)
# ffmpeg's generic follow-up to an encoder's own error; it guesses at causes ("maybe
# incorrect parameters such as bit_rate") that mislead after a specific line, so it is
# kept only when nothing more specific was said.
_GENERIC = re.compile(r"Error while opening encoder - maybe incorrect parameters")
# "[h264_nvenc @ 0x55ea11bf6d00]": the address differs in every run and means nothing.
_ADDRESS = re.compile(r" @ 0x[0-9a-fA-F]+")


class ErrorLog:
    """The stderr lines of one ffmpeg run, bounded: the first HEAD_LINES and the last
    TAIL_LINES (a flood of per-frame errors in between is dropped)."""

    def __init__(self) -> None:
        self._head: list[str] = []
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)

    def add(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if len(self._head) < HEAD_LINES:
            self._head.append(text)
        else:
            self._tail.append(text)

    def lines(self) -> list[str]:
        return [*self._head, *self._tail]


def cause(lines: Iterable[str], limit: int = CAUSE_LINES) -> str:
    """Given ffmpeg's stderr lines, return the first `limit` distinct lines that are not
    teardown (nor a generic guess after a specific line), joined by " | ", without
    addresses; the last line when all are teardown; "" when there were none."""
    kept: list[str] = []
    last = ""
    for raw in lines:
        text = _ADDRESS.sub("", raw.strip())
        if not text:
            continue
        last = text
        if _TEARDOWN.search(text) or text in kept or (kept and _GENERIC.search(text)):
            continue
        kept.append(text)
        if len(kept) == limit:
            break
    return " | ".join(kept) or last
