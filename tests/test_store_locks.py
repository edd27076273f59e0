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
