"""Two connections to one database in one process (the app: the CLI's and the worker's, the
kiosk checks'), while other `tracker` processes write: each write must stay visible here.

Opening a second connection used to read the file's header with a plain open() and close(),
which drops every POSIX lock the process holds on the file; the next `tracker scan` in another
process then found the database unused, deleted its -wal on close, and this process's
connections went on reading (and writing) a deleted file: a frozen dashboard, lost scans, and
"disk I/O error" for the next process to open it.
"""

from __future__ import annotations

from tracker import scan, store


def test_writes_by_other_processes_stay_visible_to_a_second_connection(
    seeded_db, db_path, plan, run_tracker
):
    second = store.open_db(db_path, create=False)  # seeded_db is still open in this process
    try:
        faulty = []
        for code, tag in (("EKSBAR001", "EKS-BAR-001"), ("EKSBAR002", "EKS-BAR-002")):
            done = run_tracker("scan", code, "--site", "raadhus", "--step", "faulty")
            assert done.returncode == 0, done.stderr
            faulty.append(tag)
            for db in (seeded_db, second):
                seen = db.execute(
                    "SELECT tag FROM assets WHERE step = 'faulty' AND kind = 'laptop' ORDER BY tag"
                )
                assert [t for (t,) in seen] == faulty
        scan.scan(second, plan, "EKSBAR003", site="raadhus", step="faulty")
    finally:
        second.close()
    done = run_tracker("history", "EKS-BAR-003")
    assert done.returncode == 0, done.stderr
    assert "faulty" in done.stdout


def test_a_connection_that_migrated_the_database_stays_locked(db_path, plan, run_tracker):
    """The first start after an upgrade migrates: the app's connection went on unlocked after
    the migration lock's descriptor was closed, and froze at the next outside write."""
    import sqlite3

    from sqlite_utils import Database

    from tracker import migrations

    old = Database(sqlite3.connect(db_path))
    old.execute("PRAGMA journal_mode=WAL")
    last = [m.name for m in migrations.migrations._migrations][-1]
    migrations.migrations.apply(old, stop_before=last)  # as the previous version left it
    old.execute(
        "INSERT INTO assets (tag, key, kind, name, home_site, site, step, updated_at) VALUES"
        " ('OLD-1', 'OLD1', 'laptop', 'a', 'raadhus', 'raadhus', 'in_service', ''),"
        " ('OLD-2', 'OLD2', 'laptop', 'b', 'raadhus', 'raadhus', 'in_service', '')"
    )
    old.conn.commit()
    old.close()
    db = store.open_db(db_path, create=False)  # applies the last migration here
    try:
        assert not migrations.pending(db)
        faulty = []
        for code, tag in (("OLD1", "OLD-1"), ("OLD2", "OLD-2")):
            done = run_tracker("scan", code, "--site", "raadhus", "--step", "faulty")
            assert done.returncode == 0, done.stderr
            faulty.append(tag)
            seen = db.execute("SELECT tag FROM assets WHERE step = 'faulty' ORDER BY tag")
            assert [t for (t,) in seen] == faulty
    finally:
        db.close()
