"""Purchase dates as files write them, stored as ``YYYY-MM-DD``.

Read: ISO (``2023-01-23``, also with ``/`` or ``.``, and Snipe-IT's ``2023-01-23 00:00:01``),
and Danish day-first dates (``23-01-2023``, ``23/01/2023``, ``23.01.2023``, what Danish Excel
writes). Day first is the rule for every two-part-then-year date, so ``05/04/2023`` is the 5th
of April; a date that only reads month first (``01/23/2023``, a US export) is refused with the
ISO spelling to use instead, never turned around silently.
"""

from __future__ import annotations

import datetime as dt
import re

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_YEAR_FIRST = re.compile(rf"(\d{{4}})([-/.])(\d{{1,2}})\2(\d{{1,2}}){_TIME}")
_DAY_FIRST = re.compile(rf"(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}){_TIME}")

FORMS = "yyyy-mm-dd, or day first: dd-mm-yyyy, dd/mm/yyyy, dd.mm.yyyy"


def _date(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse(text: str) -> tuple[str, str | None]:
    """(``YYYY-MM-DD``, None) for a date the rules above read, or ("", why it is refused)."""
    m = _YEAR_FIRST.fullmatch(text)
    if m:
        date = _date(m.group(1), m.group(3), m.group(4))
        if date:
            return date.isoformat(), None
        return "", f"purchase date {text!r}: no such day ({FORMS})"
    m = _DAY_FIRST.fullmatch(text)
    if m:
        first, second, year = m.group(1), m.group(3), m.group(4)
        date = _date(year, second, first)
        if date:
            return date.isoformat(), None
        us = _date(year, first, second)
        if us:
            return "", (
                f"purchase date {text!r}: dates are read day first; this one only reads month"
                f" first (US): write it as {us.isoformat()}, and check the file's other dates"
            )
        return "", f"purchase date {text!r}: no such day ({FORMS})"
    return "", f"purchase date {text!r} is not a date ({FORMS})"
