"""Making data safe to show: inventory and kiosk output are data, never terminal control.

An asset called ``[red]x`` or one carrying escape sequences must show literally, in the CLI
(control characters made visible here) and in the app (Rich markup escaped by the UI layer).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: object) -> str:
    """`text` with every control character (ESC, BEL, CR, C1 ...) shown as an escape: \\x1b."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def one_line(text: object, limit: int | None = None) -> str:
    """`visible`, with newlines and tabs shown too, cut to `limit` characters."""
    out = visible(text).replace("\n", "\\n").replace("\t", "\\t")
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out
