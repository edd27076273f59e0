"""Snapshot tests of the main screens at 80x24 (pytest-textual-snapshot).

The app's clock is frozen and the cursor does not blink, so the pictures are stable. Update
them after a deliberate change with `pytest tests/test_ui_snapshots.py --snapshot-update`, and
look at the report before committing.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable
from ui_helpers import build, ready, wait_for

from tracker import moves
from tracker.ui.screens.asset_detail import AssetDetailScreen

pytestmark = pytest.mark.timeout(60)


def test_dashboard(seeded_db, db_path, plan, snap_compare):
    assert snap_compare(build(db_path, plan), run_before=ready)


def test_dashboard_after_the_move_starts(seeded_db, db_path, plan, snap_compare):
    """Is the library ready to open? The first lines answer it at 80x24."""
    moves.start(seeded_db, plan, "borgerservice_to_library")
    assert snap_compare(build(db_path, plan), run_before=ready)


def test_scan_screen_at_home_with_a_holder(seeded_db, db_path, plan, snap_compare):
    async def holder(pilot):
        await ready(pilot)
        pilot.app.choose_holder("Mette Eksempel")
        await pilot.press(*"EKSBAR003", "enter")
        await wait_for(pilot, lambda: pilot.app.screen.recorded == 1)

    moves.start(seeded_db, plan, "borgerservice_to_library")
    app = build(db_path, plan, mode="scan", site="hjemme", step="installed")
    assert snap_compare(app, run_before=holder)


def test_scan_screen_after_scans(seeded_db, db_path, plan, snap_compare):
    async def scans(pilot):
        await ready(pilot)
        for code in ("EKSPAS001", "LOC.HOVEDBIBLIOTEK", "EKSPAS002", "NOPE"):
            await pilot.press(*code, "enter")
        await wait_for(pilot, lambda: pilot.app.screen.recorded == 2)
        await wait_for(pilot, lambda: pilot.app.screen.problems == 1)

    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    assert snap_compare(app, run_before=scans)


def test_assets_screen(seeded_db, db_path, plan, snap_compare):
    async def loaded(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.query_one(DataTable).row_count == 47)

    assert snap_compare(build(db_path, plan, mode="assets"), run_before=loaded)


def test_asset_detail_with_qr(seeded_db, db_path, plan, snap_compare):
    async def detail(pilot):
        await ready(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.query_one(DataTable).row_count == 47)
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, AssetDetailScreen))
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#detail-qr").content)

    assert snap_compare(build(db_path, plan, mode="assets"), run_before=detail)


def test_plan_screen(seeded_db, db_path, plan, snap_compare):
    assert snap_compare(build(db_path, plan, mode="plan"), run_before=ready)


def test_help_screen(seeded_db, db_path, plan, snap_compare):
    async def help_(pilot):
        await ready(pilot)
        await pilot.press("f1")

    assert snap_compare(build(db_path, plan), run_before=help_)
