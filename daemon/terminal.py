"""Text as a terminal shows it: light (no logging, no pydantic), for `videofree status`."""

from __future__ import annotations


def printable(text: str) -> str:
    """`text` (a file name) safe to show on one terminal line: control characters as
    escapes (\\n, \\x1b) and the undecodable bytes of a non-UTF-8 name as \\xNN."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the raw byte it stands for
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F:
            out.append(repr(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)
