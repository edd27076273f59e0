"""Messages the database worker posts back to the app (it never touches widgets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from tracker.scan import ScanResult
from tracker.ui.jobs import Overview

COUNT = "count"
"""The `step` of a ScanDone that answers a count of a box (F12), not a scan."""
CLOSE = "close"
"""The `step` of a ScanDone that answers closing a stocktake (F11, or a site label in it)."""


@dataclass
class ScanDone(Message):
    """One scan was processed (in the order it was typed); `error` when it was not recorded."""

    code: str
    site: str
    step: str
    result: ScanResult | None
    error: str = ""
    undo: bool = False


@dataclass
class OverviewReady(Message):
    """Fresh dashboard data after a write here or in another process."""

    overview: Overview


@dataclass
class AssetsPage(Message):
    """One page of the assets table."""

    request: int
    rows: list[Any]
    total: int
    offset: int


@dataclass
class AssetDetail(Message):
    """An asset with its event history and kiosk checks, for the detail view."""

    tag: str
    asset: Any
    history: list[dict[str, Any]]
    kiosk: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StationChanged(Message):
    """The worker's site and step changed (a site label, F6, F7): the screen shows these."""

    site: str
    step: str
    note: str = ""
    """Why the step changed by itself (a scenario started), shown on the scan screen."""


@dataclass
class Done(Message):
    """A one-off command (scenario start/end, report) finished; `error` when it failed."""

    text: str
    error: bool = False
