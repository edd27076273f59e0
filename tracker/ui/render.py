"""Turning data into Rich text that is shown literally.

Names, tags and kiosk output are data: they go into `Text` objects (never markup strings) and
their control characters are made visible, so ``[bold red]x[/]`` or an escape sequence shows as
typed instead of restyling or moving the terminal.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from tracker import timefmt
from tracker.readiness import VERDICT_WORDS
from tracker.textsafe import one_line

STATE_STYLE = {"ready": "bold green", "degraded": "bold yellow", "not_ready": "bold red"}
STATE_WORDS = {"ready": "READY", "degraded": "DEGRADED", "not_ready": "NOT READY"}
VERDICT_STYLE = {"ok": "bold green", "warn": "bold yellow", "unknown": "bold"}
"""Kiosk verdicts; any other (crit, unreachable, hostkey, invalid) shows red."""


def lit(value: object, style: str = "", limit: int | None = None) -> Text:
    """`value` as literal text on one line, control characters shown as escapes."""
    return Text(one_line("" if value is None else value, limit), style=style)


def state_text(state: str) -> Text:
    """A readiness state in colour and in words, so it reads without colour too."""
    return Text(STATE_WORDS.get(state, state.upper()), style=STATE_STYLE.get(state, "bold"))


def verdict_text(state: str | None) -> Text:
    """A site's verdict in colour and in words ("NOT READY: cannot open"), as `status` says it."""
    return Text(VERDICT_WORDS.get(state, str(state)), style=STATE_STYLE.get(state or "", "dim"))


def clock_time(at: str | None) -> str:
    """A stored UTC timestamp as local wall-clock time (HH:MM:SS), '' when absent."""
    return timefmt.clock(at)


def age(at: str | None, now: datetime) -> str:
    """How long ago `at` was, worded as in the CLI and the report (timefmt); 'never' if absent."""
    return timefmt.age(at, now, missing="never")


def bar(have: int, target: int, width: int = 12) -> Text:
    """A text progress bar of have/target; plain characters survive any terminal."""
    filled = width if target <= 0 else min(width, round(width * have / target))
    style = "green" if have >= target else ("yellow" if have > 0 else "red")
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "grey50"))
