"""Small HTML building blocks for the readiness report, each escaping the data it is given.

Kept apart from `build` so the report reads as a list of sections, and so every place that
turns data into markup goes through `t()`: inventory names are text, never markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime

from tracker.textsafe import one_line
from tracker.timefmt import HUMAN_FORMAT, local_time

Column = tuple[str, int] | tuple[str, int, str]
"""A table column: its heading, its share of the width in percent, and a class for the cell."""


def t(value: object) -> str:
    """Data as HTML text: control characters made visible, then escaped."""
    return html.escape(one_line("" if value is None else value), quote=True)


def local(at: datetime | str | None, fmt: str = HUMAN_FORMAT) -> str:
    """A time as the people in the meeting read it: local time of the machine making it."""
    return local_time(at, fmt)


def when(at: str | None) -> str:
    """A table cell's time: the date over the time of day, so the column stays narrow."""
    return "<br>".join(f"<span class='nowrap'>{t(p)}</span>" for p in local(at).split(" ", 1))


def mark(css: str, word: str) -> str:
    """A coloured state mark that says its state in words too (for black-and-white paper)."""
    return f'<span class="st {css}">{t(word)}</span>'


def table(cols: list[Column], rows: Iterable[str], empty: str) -> str:
    """A fixed-layout table (predictable on paper) whose header repeats on every page."""
    rows = list(rows)
    if not rows:
        return f'<p class="muted">{t(empty)}</p>'
    widths = "".join(f'<col style="width:{c[1]}%">' for c in cols)
    head = "".join(
        f'<th class="{c[2]}">{t(c[0])}</th>' if len(c) > 2 else f"<th>{t(c[0])}</th>" for c in cols
    )
    return (
        f"<table><colgroup>{widths}</colgroup><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def section(ident: str, title: str, *parts: str, css: str = "") -> str:
    """A report section with its heading; `title` is text, `parts` are markup."""
    klass = f' class="{t(css)}"' if css else ""
    return f'<section id="{t(ident)}"{klass}><h2>{t(title)}</h2>' + "".join(parts) + "</section>"
