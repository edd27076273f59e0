"""Helpers for the terminal-app tests: build the app on a test database, wait, read the screen."""

from __future__ import annotations

import asyncio
import functools
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import RichLog, Static

from tracker.ui.app import TrackerApp, make_app

FROZEN = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
"""The app's clock in tests, so ages and log times do not change between runs."""


def async_test(fn):
    """Run an async test with asyncio (no pytest-asyncio plugin needed); fixtures still work."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


def build(db_path, plan, **options) -> TrackerApp:
    options.setdefault("cursor_blink", False)
    options.setdefault("clock", lambda: FROZEN)
    options.setdefault("poll_seconds", 0.1)
    return make_app(db_path, plan, **options)


async def wait_for(pilot: Pilot, cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `cond()` holds (the DB worker answers asynchronously)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {cond}")
        await pilot.pause(0.02)
    await pilot.pause()


async def ready(pilot: Pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.overview is not None)


def text(static: Static) -> str:
    """What a Static shows, as plain text (markup would show here as interpreted)."""
    console = Console(width=200, file=io.StringIO(), color_system=None, record=True)
    console.print(static.content)
    return console.export_text()


def log_lines(log: RichLog) -> list[str]:
    return [strip.text.rstrip() for strip in log.lines]
