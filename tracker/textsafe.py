"""Making data safe to show: inventory and kiosk output are data, never terminal control.

An asset called ``[red]x`` or one carrying escape sequences must show literally, in the CLI
(control characters made visible here) and in the app (Rich markup escaped by the UI layer).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

# Bidirectional overrides, embeddings and isolates reorder the text around them on screen: an
# asset called "\u202egnp.exe" shows as "exe.png". Shown as escapes like control characters.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_HIDDEN = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI}]")


def _escape(m: re.Match[str]) -> str:
    n = ord(m.group())
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text: object) -> str:
    """`text` with every control character (ESC, BEL, CR, C1 ...) and bidi override shown as an
    escape: \\x1b, \\u202e."""
    return _HIDDEN.sub(_escape, str(text))


class VisibleWriter:
    """A text stream that shows what it is given as `visible` (newlines and tabs kept): CSV or
    JSON written to a terminal."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(visible(text))


def one_line(text: object, limit: int | None = None) -> str:
    """`visible`, with newlines and tabs shown too, cut to `limit` characters."""
    out = visible(text).replace("\n", "\\n").replace("\t", "\\t")
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out
