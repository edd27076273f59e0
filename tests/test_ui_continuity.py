"""The app shows replication age (and warns) and, per station, when its scans were merged."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import Static
from ui_helpers import async_test, build, ready, text

from tracker import store, sync
from tracker.replica import state as replica_state
from tracker.scan import scan

pytestmark = pytest.mark.timeout(60)


@async_test
async def test_dashboard_warns_on_old_replication_and_lists_merged_stations(
    seeded_db, db_path, plan, tmp_path
):
    seeded_db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other_path = tmp_path / "library.db"
    shutil.copy(db_path, other_path)
    other = store.open_db(other_path)
    other.execute("UPDATE station SET name = 'library-laptop'")
    scan(other, plan, "EKS-PAS-001", site="raadhus", step="packed", station="library")
    other.close()
    sync.merge(seeded_db, other_path)
    old = "2000-01-01T00:00:00.000+00:00"
    replica_state.write(
        db_path, replica_state.ReplicaState("file:///media/usb/rep", 1, old, old, 3, 3)
    )
    app = build(db_path, plan)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        title = text(app.screen.query_one("#dash-title", Static))
        assert "REPLICATION BEHIND" in title
        continuity = text(app.screen.query_one("#dash-continuity", Static))
        assert "file:///media/usb/rep" in continuity and "not running" in continuity
        assert "library-laptop" in continuity and "scans last merged" in continuity
