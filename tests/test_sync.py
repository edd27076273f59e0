"""Merging two stations' records: global ids, convergence, and the conflict rules (issue 14)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tracker import moves, station, store, sync
from tracker.scan import scan, undo_last

SCENARIO = "borgerservice_to_library"


@pytest.fixture
def two(seeded_db, db_path: Path, tmp_path: Path):
    """Station A (the seeded database) and B (a copy of it taken to another laptop)."""
    b_path = tmp_path / "b" / "tracker.db"
    b_path.parent.mkdir()
    seeded_db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(db_path, b_path)
    b = store.open_db(b_path)
    yield seeded_db, db_path, b, b_path
    b.close()


def states(db) -> dict[str, tuple[str, str]]:
    return {a.tag: (a.site, a.step) for a in store.assets(db)}


def events(db) -> set[tuple]:
    return set(db.execute("SELECT gid, at, tag, action, step, site, undoes FROM events").fetchall())


def test_every_row_has_a_global_id_and_a_copy_takes_its_own_identity(two, plan):
    a, _, b, _ = two
    assert station.identity(a).uuid != station.identity(b).uuid
    ra = scan(a, plan, "EKS-PAS-001", site="raadhus", step="packed", station="a")
    rb = scan(b, plan, "EKS-PAS-001", site="raadhus", step="packed", station="b")
    ga = a.execute("SELECT gid FROM events WHERE id = ?", [ra.event_id]).fetchone()[0]
    gb = b.execute("SELECT gid FROM events WHERE id = ?", [rb.event_id]).fetchone()[0]
    assert ra.event_id == rb.event_id  # same local id on both laptops ...
    assert ga != gb  # ... but never the same global id
    assert ga.startswith(station.identity(a).uuid + ":")
    for table in ("events", "unknown_scans", "moves", "manifest", "kiosk_checks"):
        assert a.execute(f"SELECT count(*) FROM {table} WHERE gid IS NULL").fetchone()[0] == 0


def test_apart_scans_merge_both_ways_to_the_same_state_and_again_adds_nothing(two, plan):
    a, a_path, b, b_path = two
    scan(a, plan, "EKS-PRN-001", site="raadhus", step="packed", station="a")
    scan(a, plan, "ZZ-UNKNOWN", site="raadhus", step="packed", station="a")
    store.record_kiosk_result(a, tag="EKS-KIO-001", host="k1", verdict="ok", detail="", report=None)
    with store.write(a):
        a.execute(
            "INSERT INTO network_checks (site, host, verdict, checked_at, recorded_at, source,"
            " report) VALUES ('raadhus', 'pc1', 'ok', ?, ?, 'check', '{}')",
            [store.now(), store.now()],
        )
    scan(b, plan, "EKS-BAR-005", site="hovedbibliotek", step="installed", station="b")
    scan(b, plan, "EKS-HS-004", site="it_lager", step="faulty", station="b")

    first = sync.merge(a, b_path)
    assert first.added["events"] == 2 and first.assets_rebuilt == 2
    second = sync.merge(b, a_path)
    assert second.added == {
        "moves": 0,
        "manifest lines": 0,
        "events": 1,
        "unknown_scans": 1,
        "kiosk_checks": 1,
        "network_checks": 1,
        "stocktakes": 0,
        "stocktake scans": 0,
    }
    assert states(a) == states(b)
    assert events(a) == events(b)
    assert store.kiosk_latest(b)["EKS-KIO-001"]["verdict"] == "ok"
    assert b.execute("SELECT host FROM network_checks").fetchall() == [("pc1",)]
    assert sync.merge(a, b_path).total == 0
    assert "nothing new" in sync.merge(b, a_path).summary()


def test_same_asset_on_both_sides_the_later_scan_wins_and_both_stay(two, plan):
    a, a_path, b, b_path = two
    scan(b, plan, "EKS-PAS-002", site="raadhus", step="packed", station="b")
    time.sleep(0.01)
    scan(a, plan, "EKS-PAS-002", site="hovedbibliotek", step="arrived", station="a")
    sync.merge(a, b_path)
    sync.merge(b, a_path)
    for db in (a, b):
        assert states(db)["EKS-PAS-002"] == ("hovedbibliotek", "arrived")
        hist = store.history(db, "EKS-PAS-002")
        assert [(h["station"], h["step"]) for h in hist if h["action"] == "scan"] == [
            ("b", "packed"),
            ("a", "arrived"),
        ] or [(h["station"], h["step"]) for h in hist if h["action"] == "scan"] == [
            ("a", "arrived"),
            ("b", "packed"),
        ]


def test_an_undo_takes_back_the_scan_it_names_on_every_station(two, plan):
    a, a_path, b, b_path = two
    scan(b, plan, "EKS-NID-001", site="raadhus", step="packed", station="b")
    sync.merge(a, b_path)
    assert states(a)["EKS-NID-001"] == ("raadhus", "packed")
    undone = undo_last(b, plan, station="b")
    assert undone.outcome == "recorded"
    sync.merge(a, b_path)
    assert states(a)["EKS-NID-001"] == ("raadhus", "in_service")
    (scanned,) = [h for h in store.history(a, "EKS-NID-001") if h["action"] == "scan"]
    assert scanned["undone_by"] is not None
    undo_gid = a.execute("SELECT undoes FROM events WHERE action = 'undo'").fetchone()[0]
    assert (
        undo_gid == a.execute("SELECT gid FROM events WHERE id = ?", [scanned["id"]]).fetchone()[0]
    )


def test_a_scenario_started_on_both_sides_keeps_one_move_and_flags_the_others_scans(two, plan):
    a, a_path, b, b_path = two
    first = moves.start(a, plan, SCENARIO, operator="a")
    time.sleep(0.01)
    moves.start(b, plan, SCENARIO, operator="b")
    scan(b, plan, "EKS-PAS-001", site="raadhus", step="packed", station="b")
    scan(a, plan, "EKS-PAS-003", site="raadhus", step="packed", station="a")
    result = sync.merge(a, b_path)
    assert len(result.superseded) == 1 and "superseded" in result.summary()
    sync.merge(b, a_path)
    for db in (a, b):
        current = moves.current_move(db)
        assert current is not None and current.started_at == first.started_at
        statuses = sorted(r[0] for r in db.execute("SELECT status FROM moves"))
        assert statuses == ["active", "superseded"]
        flags = dict(
            db.execute(  # the workstations' own scans (their kit parts moved with them)
                "SELECT tag, flag FROM events WHERE action = 'scan' AND code NOT LIKE 'kit:%'"
            ).fetchall()
        )
        assert flags == {"EKS-PAS-001": sync.SUPERSEDED_FLAG, "EKS-PAS-003": ""}
        assert states(db)["EKS-PAS-001"] == ("raadhus", "packed")  # the scan still counts


def test_a_clock_ahead_is_refused_naming_the_difference(two, plan):
    a, _, b, b_path = two
    scan(b, plan, "EKS-PRN-001", site="raadhus", step="packed", station="b")
    newest = b.execute("SELECT max(at) FROM events").fetchone()[0]
    # This station's clock reads five minutes earlier than B's stamps.
    with pytest.raises(sync.SyncError, match=r"at least (29\d|300) s ahead"):
        sync.merge(a, b_path, now=_shift(newest, -300))
    assert a.execute("SELECT count(*) FROM events WHERE station = 'b'").fetchone()[0] == 0
    assert sync.merge(a, b_path, now=_shift(newest, 30)).added["events"] == 1


def test_a_clock_behind_is_refused_when_both_checked_kiosks(two, plan):
    a, _, b, b_path = two
    report = '{"started_at": "%s", "duration_ms": 1000, "verdict": "ok"}'
    now = store.now()
    # A's kiosk checks land 1.5 s after the kiosk started; B's clock is 3 minutes slow.
    store.record_kiosk_result(
        a,
        tag="EKS-KIO-001",
        host="k1",
        verdict="ok",
        detail="",
        report=report % _shift(now, -1.5),
        checked_at=now,
    )
    store.record_kiosk_result(
        b,
        tag="EKS-KIO-002",
        host="k2",
        verdict="ok",
        detail="",
        report=report % _shift(now, -1.5),
        checked_at=_shift(now, -180),
    )
    with pytest.raises(sync.SyncError, match=r"about 180 s behind this one, measured against"):
        sync.merge(a, b_path)


def test_a_clock_behind_is_refused_when_its_record_shows_it_wrote_after_ours(
    seeded_db, db_path, plan, tmp_path
):
    """B took a copy of A's file, then scanned with a clock five minutes slow: its scans came
    after A's in fact (they follow them in B's file), yet are stamped earlier."""
    a = seeded_db
    scan(a, plan, "EKS-PAS-001", site="raadhus", step="packed", station="a")
    a.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    b_path = tmp_path / "b" / "tracker.db"
    b_path.parent.mkdir()
    shutil.copy(db_path, b_path)
    b = store.open_db(b_path)
    scan(b, plan, "EKS-PRN-001", site="raadhus", step="packed", station="b")
    ours = a.execute("SELECT max(at) FROM events").fetchone()[0]
    with store.write(b):
        b.execute("UPDATE events SET at = ? WHERE station = 'b'", [_shift(ours, -300)])
    b.close()
    with pytest.raises(sync.SyncError, match=r"at least (29\d|300) s behind this one: it recorded"):
        sync.merge(a, b_path)
    assert a.execute("SELECT count(*) FROM events WHERE station = 'b'").fetchone()[0] == 0

    b = store.open_db(b_path)
    with store.write(b):  # within a minute: merged
        b.execute("UPDATE events SET at = ? WHERE station = 'b'", [_shift(ours, -30)])
    b.close()
    assert sync.merge(a, b_path).added["events"] == 1


def test_two_copies_that_kept_one_identity_and_both_recorded_are_refused(
    seeded_db, db_path, plan, tmp_path
):
    seeded_db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    twin_path = tmp_path / "twin.db"
    shutil.copy(db_path, twin_path)
    twin = store.open_db(twin_path, bind=False)  # as if it never noticed it was copied
    scan(seeded_db, plan, "EKS-PAS-001", site="raadhus", step="packed")
    scan(twin, plan, "EKS-PAS-002", site="raadhus", step="packed")
    twin.close()
    with pytest.raises(sync.SyncError, match="same station identity"):
        sync.merge(seeded_db, twin_path)


def test_bad_others_are_named(fresh_db, tmp_path):
    with pytest.raises(sync.SyncError, match="no such database file"):
        sync.merge(fresh_db, tmp_path / "nope.db")
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite at all" * 100)
    with pytest.raises(sync.SyncError, match="junk.db"):
        sync.merge(fresh_db, junk)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE x (y)").connection.close()
    with pytest.raises(sync.SyncError, match="not a tracker database"):
        sync.merge(fresh_db, empty)


def test_merge_both_writes_the_union_into_the_other_file(two, plan):
    a, a_path, b, b_path = two
    scan(a, plan, "EKS-PAS-001", site="raadhus", step="packed", station="a")
    b.close()
    sync.merge_both(a, b_path)
    b2 = store.open_db(b_path)
    try:
        assert events(a) == events(b2)
        assert states(a) == states(b2)
    finally:
        b2.close()


def test_peers_show_when_each_station_was_last_merged(two, plan):
    a, _, b, b_path = two
    scan(b, plan, "EKS-PRN-001", site="raadhus", step="packed", station="b")
    sync.merge(a, b_path)
    (peer,) = sync.peers(a)
    assert peer.uuid == station.identity(b).uuid
    assert peer.rows_added == 1 and peer.merged_at is not None


def _shift(at: str, seconds: float) -> str:
    from datetime import datetime, timedelta

    t = datetime.fromisoformat(at) + timedelta(seconds=seconds)
    return t.isoformat(timespec="milliseconds")


def test_a_stocktake_opened_on_both_sides_keeps_one_and_counts_both_stations_scans(two, plan):
    from tracker import audit

    a, a_path, b, b_path = two
    first, _ = audit.start(a, plan, "raadhus", operator="a")
    time.sleep(0.01)
    audit.start(b, plan, "raadhus", operator="b")
    audit.scan(a, plan, "raadhus", "EKS-PAS-001", station="a")
    audit.scan(b, plan, "raadhus", "EKS-PAS-002", station="b")
    audit.scan(b, plan, "raadhus", "EKS-HS-004", station="b")  # recorded at it_lager
    assert sync.merge(b, a_path).added["stocktakes"] == 1  # B learns of A's, started first
    sync.merge(a, b_path)
    for db in (a, b):
        statuses = sorted(r[0] for r in db.execute("SELECT status FROM audits"))
        assert statuses == ["open", "superseded"]
        assert audit.open_audit(db, "raadhus").started_at == first.started_at
    done = audit.close(a, plan, "raadhus", operator="a")
    result = json.loads(done.result) if isinstance(done.result, str) else done.result
    assert {"EKS-PAS-001", "EKS-PAS-002"} <= set(result["found"])
    assert result["unexpected"] == ["EKS-HS-004"]
    sync.merge(b, a_path)
    assert audit.open_audit(b, "raadhus") is None  # closed on A, closed on B
    assert states(a) == states(b)


def test_an_undo_after_a_merge_goes_by_time_and_global_id_not_by_local_row(two, plan):
    """The merge gives the other side's older scan a higher local row id than ours: our undo
    must still take back our scan (the latest by time), and leave the asset as the events
    without it say (the other side's scan), the same state the other side reaches."""
    a, a_path, b, b_path = two
    scan(b, plan, "EKS-PAS-002", site="hovedbibliotek", step="arrived", station="b")
    time.sleep(0.01)
    mine = scan(a, plan, "EKS-PAS-002", site="raadhus", step="packed", station="a")
    sync.merge(a, b_path)  # b's older scan comes in after ours: a higher local id
    older = a.execute("SELECT id FROM events WHERE station = 'b'").fetchone()[0]
    assert older > mine.event_id
    assert states(a)["EKS-PAS-002"] == ("raadhus", "packed")

    undone = undo_last(a, plan, station="a")
    assert undone.outcome == "recorded", undone.message
    assert states(a)["EKS-PAS-002"] == ("hovedbibliotek", "arrived")
    assert undone.asset.site == "hovedbibliotek" and undone.asset.step == "arrived"
    sync.merge(b, a_path)
    assert states(b)["EKS-PAS-002"] == ("hovedbibliotek", "arrived")
    assert events(a) == events(b)


def test_an_undo_is_refused_when_a_merged_scan_is_later_than_ours(two, plan):
    a, a_path, b, b_path = two
    mine = scan(a, plan, "EKS-PAS-002", site="raadhus", step="packed", station="a")
    time.sleep(0.01)
    scan(b, plan, "EKS-PAS-002", site="hovedbibliotek", step="arrived", station="b")
    sync.merge(a, b_path)
    refused = undo_last(a, plan, station="a")
    assert refused.outcome == "repeat"
    assert "scanned again since" in refused.message
    row = a.execute("SELECT undone_by FROM events WHERE id = ?", [mine.event_id]).fetchone()
    assert row[0] is None
    assert states(a)["EKS-PAS-002"] == ("hovedbibliotek", "arrived")
