"""What the app's database worker runs: plain functions over a connection, no Textual.

They run in the worker thread on the worker's own connection (a sqlite connection cannot cross
threads) and call the same domain functions as the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker import audit, moves, readiness, scan, stock, store, sync
from tracker.database import Database
from tracker.plan import Plan
from tracker.replica import state as replica_state


@dataclass(frozen=True)
class KioskRow:
    """A self-service PC and its latest kiosk check (verdict '' when never checked)."""

    tag: str
    name: str
    site: str
    step: str
    verdict: str = ""
    checked_at: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Overview:
    """Everything the dashboard shows, read in one go."""

    readiness: readiness.Readiness
    move: moves.ActiveMove | None
    scenario_name: str
    progress: dict[str, int]
    manifest_total: int
    kiosks: tuple[KioskRow, ...]
    flagged: tuple[dict[str, Any], ...]
    unknown: tuple[dict[str, Any], ...]
    latest_scan: str | None
    asset_count: int
    extra: dict[str, Any] = field(default_factory=dict)
    replication: replica_state.Summary | None = None
    """When the database was last replicated (tracker.replica.state)."""
    peers: tuple[sync.PeerState, ...] = ()
    """Other stations, and when their scans were last merged here."""
    holdings: tuple[stock.Holding, ...] = ()
    """Who holds what at the home workplaces, by site then person."""


def overview(db: Database, plan: Plan, exceptions: int = 20) -> Overview:
    """The dashboard's data. Its cost is a few indexed aggregates, run only after a change."""
    move = moves.current_move(db)
    items = moves.manifest(db, move) if move else []
    scenario = plan.scenarios.get(move.scenario) if move else None
    name = ""
    if move is not None:
        name = scenario.name if scenario else move.scenario
    latest = store.kiosk_latest(db)
    kiosks = []
    for kind in sorted(plan.kiosk_kinds()):
        for asset in store.assets(db, kind=kind):
            check = latest.get(asset.tag, {})
            kiosks.append(
                KioskRow(
                    asset.tag,
                    asset.name,
                    asset.site,
                    asset.step,
                    check.get("verdict", ""),
                    check.get("checked_at"),
                    check.get("detail", ""),
                )
            )
    return Overview(
        readiness=readiness.compute(db, plan, tags=False),  # the dashboard names none
        move=move,
        scenario_name=name,
        progress=moves.progress(items),
        manifest_total=len(items),
        kiosks=tuple(kiosks),
        flagged=tuple(store.recent_events(db, exceptions, flagged_only=True)),
        unknown=tuple(store.unknown_scans(db, exceptions)),
        latest_scan=store.latest_scan_at(db),
        asset_count=store.count_assets(db),
        replication=replica_state.summary(store.db_file(db)) if store.db_file(db) else None,
        peers=tuple(sync.peers(db)),
        holdings=tuple(stock.holdings(db, plan)),
    )


def asset_page(
    db: Database, search: str, order_by: str, descending: bool, limit: int, offset: int
) -> tuple[list[store.Asset], int, int]:
    """(page, matches, offset): the table never holds more than one page of assets."""
    total = store.count_assets(db, search)
    if offset >= total:
        offset = max(0, (total - 1) // limit * limit)
    rows = store.assets(
        db, search=search, order_by=order_by, descending=descending, limit=limit, offset=offset
    )
    return rows, total, offset


AUDIT = "audit"
"""The scan screen's stocktake mode (not a step: a stocktake never changes one)."""


def audit_scan(
    db: Database, plan: Plan, site: str, code: str, *, operator: str, station: str
) -> scan.ScanResult:
    """A scan in stocktake mode (`tracker.audit`), opening the site's stocktake if none is,
    as a result the scan screen shows like any other."""
    seen = audit.scan(db, plan, site, code, operator=operator, station=station, open_if_needed=True)
    flag = audit.UNEXPECTED_FLAG if seen.outcome == "unexpected" else ""
    asset = store.asset_by_tag(db, seen.tag) if seen.tag else None
    return scan.ScanResult(
        seen.outcome,
        seen.code,
        seen.message,
        asset=asset,
        flag=flag,
        site_id=seen.site_id,
        step_id=seen.step_id,
    )
