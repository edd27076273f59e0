"""Argparse types for numeric options, checked by `tracker.validate` like every other number."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tracker import validate


def bounded(kind: type, low: float, high: float, *, above: bool = False) -> Callable[[str], Any]:
    """An argparse type: a finite `kind` (int or float) in [low, high] (or (low, high] when
    `above`); `nan`, `inf` and `1e20` are usage errors, not values."""

    def parse(text: str) -> Any:
        try:
            if kind is int:
                return validate.integer(text, low=int(low), high=int(high))
            if above:
                if validate.number(text, high=high) <= low:
                    raise validate.Invalid(f"must be above {low:g}, got {text!r}")
                return validate.number(text, high=high)
            return validate.number(text, low=low, high=high)
        except validate.Invalid as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse
