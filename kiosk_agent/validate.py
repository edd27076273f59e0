"""One validator per kind of value: finite numbers in a range, bounded integers, ports, URLs.

The plan, the CLI's options and the kiosk agent's configuration all check their values here,
so ``nan``, ``inf``, ``1e20``, a port written ``²`` or with 5000 digits, or a URL like
``http://[::1`` is refused with one line everywhere instead of passing into a timeout, a loop
count or a socket call. kiosk_agent/validate.py is a copy (the agent ships alone); a test
keeps the two identical.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

# ASCII digits only: str.isdigit() accepts '²' and other digits int() refuses or misreads.
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})(?:[eE][+-]?[0-9]{1,3})?"
)


class Invalid(ValueError):
    """The value is not acceptable; the message says what was expected and what was given."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def number(value: Any, *, low: float | None = None, high: float | None = None) -> float:
    """A finite number (int, float or its decimal text) within [low, high]."""
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise Invalid(f"must be a number, got {_shown(value)}")
        value = float(text)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"must be a number, got {type(value).__name__} {_shown(value)}")
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise Invalid(f"must be a finite number, got {_shown(value)}")
    if (low is not None and result < low) or (high is not None and result > high):
        raise Invalid(f"must be {_range(low, high)}, got {_shown(value)}")
    return result


def positive(value: Any, *, high: float) -> float:
    """A finite number above zero, at most `high`."""
    result = number(value, high=high)
    if result <= 0:
        raise Invalid(f"must be above 0, got {_shown(value)}")
    return result


def integer(value: Any, *, low: int, high: int) -> int:
    """A whole number (int, or ASCII decimal digits) within [low, high]."""
    if isinstance(value, str):
        if not _INT.fullmatch(value.strip()):
            raise Invalid(f"must be a whole number, got {_shown(value)}")
        value = int(value.strip())
    elif isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"must be a whole number, got {type(value).__name__} {_shown(value)}")
    if not low <= value <= high:
        raise Invalid(f"must be {_range(low, high)}, got {_shown(value)}")
    return value


def port(value: Any) -> int:
    """A TCP port, 1-65535."""
    try:
        return integer(value, low=1, high=65535)
    except Invalid as e:
        raise Invalid(f"port {e}") from None


def url(text: Any, schemes: tuple[str, ...]) -> str:
    """A URL with one of `schemes`, a host, and a valid port if it has one."""
    if not isinstance(text, str):
        raise Invalid(f"must be a URL string, got {type(text).__name__} {_shown(text)}")
    try:
        parts = urlsplit(text)
        host, the_port = parts.hostname, parts.port  # port is only checked when read
    except ValueError as e:
        raise Invalid(f"is not a valid URL: {_shown(text)} ({e})") from None
    if parts.scheme not in schemes or not host:
        raise Invalid(f"must be a {'/'.join(schemes)} URL with a host, got {_shown(text)}")
    if the_port is not None and the_port == 0:
        raise Invalid(f"port must be between 1 and 65535 in {_shown(text)}")
    return text
