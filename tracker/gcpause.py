"""Python's cycle collector paused around work that makes many small objects and no cycles.

A 100,000-row import, or readiness over 100,000 assets, makes enough tuples to set off
collection after collection, each walking all of them: as costly as making them. The pause
is process-wide (a UI thread waits at most as long as the work) and ends with it; a collector
already off stays off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """As `with paused():`, or `@paused()` on a function."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
