"""The restore's check of its result: the full integrity check on one core, the migrations and
counts beside it on the other, and the check's verdict first whatever the counting met.

These run on files made here (no Litestream): the restore's own check, as `tracker restore`
and `tracker sync URL` use it after Litestream wrote the hidden file (tests/test_replica.py
runs the whole restores)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tracker import store
from tracker.replica import restore
from tracker.replica.target import ReplicaError, parse

TARGET = parse("file:///replica")


def _copy_of(db_path: Path, to: Path) -> Path:
    """The database as one file, the way Litestream leaves a restore."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM INTO ?", [str(to)])
    conn.close()
    return to


def test_a_whole_database_is_counted_beside_its_check(seeded_db, db_path, tmp_path):
    events = seeded_db.execute("SELECT count(*) FROM events").fetchone()[0]
    assets = store.count_assets(seeded_db)
    newest = store.latest_scan_at(seeded_db)
    copy = _copy_of(db_path, tmp_path / "copy.db")
    clock = restore.Clock()
    counts = restore._checked_and_counted(copy, TARGET, clock)
    assert (counts.assets, counts.events, counts.newest_event) == (assets, events, newest)
    assert list(clock.took) == ["integrity check", "migrations and counts (beside the check)"]
    assert all(seconds > 0 for seconds in clock.took.values())


def test_the_check_speaks_first_when_the_file_is_damaged(seeded_db, db_path, tmp_path):
    """An index dropped from the schema only: its pages are never used, the counts would pass."""
    copy = _copy_of(db_path, tmp_path / "copy.db")
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("DELETE FROM sqlite_master WHERE name = 'events_tag'")
    conn.commit()
    conn.close()
    with pytest.raises(restore.Damaged, match="fails its integrity check: .*never used"):
        restore._checked_and_counted(copy, TARGET, restore.Clock())


def test_another_programs_database_is_named_by_the_check_not_by_the_store(tmp_path):
    """The store refuses it too (with its own words) while the check runs; the check's
    verdict is the one reported."""
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(ReplicaError, match="is not a tracker database"):
        restore._checked_and_counted(other, TARGET, restore.Clock())


def test_a_file_that_is_no_database_is_damaged(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all " * 512)
    with pytest.raises(restore.Damaged, match="not a usable database"):
        restore._checked_and_counted(junk, TARGET, restore.Clock())
