"""A second connection in one process must not drop the first one's SQLite locks.

Closing any descriptor of a file drops all of the process's POSIX locks on it, SQLite's too.
If opening the database a second time (the app's database worker, a kiosk check thread) read
the file with plain file I/O, another process closing its connection would take itself for the
last one, checkpoint and delete the WAL under our feet, and our next commit would go to a
deleted -wal: lost, and the file could end corrupt. These tests run that sequence for real.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV, tracker_exe

from tracker import dbfile, files, store
from tracker.scan import scan


def _check(db_path: Path) -> tuple[list, set[tuple[str, str]]]:
    """Integrity and (tag, station) of every scan, read by a process of its own."""
    code = textwrap.dedent(
        """
        import json, sqlite3, sys
        conn = sqlite3.connect(sys.argv[1])
        check = conn.execute("PRAGMA integrity_check").fetchall()
        rows = conn.execute("SELECT tag, station FROM events WHERE action = 'scan'"
                            " AND code NOT LIKE 'kit:%'").fetchall()  # not the kit parts
        print(json.dumps([check, rows]))
        """
    )
    import json

    out = subprocess.run(
        [sys.executable, "-c", code, str(db_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    check, rows = json.loads(out.stdout)
    return check, {tuple(r) for r in rows}


@pytest.mark.parametrize("second", ["open_db", "connect_then_open_db"])
def test_second_open_in_process_keeps_the_first_ones_writes(
    seeded_db, plan, run_tracker, db_path: Path, second: str
) -> None:
    first = seeded_db  # the app's own connection
    r = scan(first, plan, "EKS-PAS-001", site="raadhus", step="packed", station="app")
    assert r.outcome == "recorded", r.message
    # The app's database worker (or a kiosk check thread) opens the same file again.
    if second == "connect_then_open_db":
        store.connect(db_path).close()
    worker = store.open_db(db_path)
    # Another station looks at the status and scans, then exits: the last connection?
    done = run_tracker("status")
    assert done.returncode == 0, done.stderr
    done = run_tracker("scan", "EKS-PAS-002", "--site", "raadhus", "--step", "packed", env={})
    assert done.returncode == 0, done.stdout + done.stderr
    r = scan(first, plan, "EKS-PAS-003", site="raadhus", step="packed", station="app")
    assert r.outcome == "recorded", r.message
    r = scan(worker, plan, "EKS-NID-001", site="raadhus", step="packed", station="app")
    assert r.outcome == "recorded", r.message
    worker.close()
    first.close()
    check, scans = _check(db_path)
    assert check == [["ok"]]
    assert {
        ("EKS-PAS-001", "app"),
        ("EKS-PAS-002", "station-1"),
        ("EKS-PAS-003", "app"),
        ("EKS-NID-001", "app"),
    } <= scans


PROBE = textwrap.dedent(
    """
    import fcntl, os, struct, sys
    # F_GETLK: who holds a lock that would block a write lock on SQLite's SHARED range
    # (PENDING_BYTE + 2, 510 bytes)? The probe takes no lock itself.
    fd = os.open(sys.argv[1], os.O_RDONLY)
    req = struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0x40000002, 510, 0)
    got = fcntl.fcntl(fd, fcntl.F_GETLK, req)
    kind, _, _, _, pid = struct.unpack("hhqqi4x", got)
    print(pid if kind != fcntl.F_UNLCK else 0)
    """
)


def _lock_holder(path: Path) -> int:
    """The process holding SQLite's shared lock on `path` (0: nobody), asked from outside."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_sqlite_locks_survive_everything_that_looks_at_the_file(
    seeded_db, db_path: Path, tmp_path: Path
) -> None:
    """Each way this process may look at its own database again keeps SQLite's locks."""
    me = os.getpid()
    assert _lock_holder(db_path) == me
    assert dbfile.held(db_path)
    other = store.open_db(db_path)  # check_existing, migrations check, station binding
    assert _lock_holder(db_path) == me
    other.close()
    assert _lock_holder(db_path) == me
    link = tmp_path / "same.db"
    os.link(db_path, link)  # the same file under another name
    with pytest.raises(files.OutputError):
        files.check_output(link, "csv")
    with dbfile.migration_lock(str(db_path)):
        pass
    assert _lock_holder(db_path) == me
    assert not (tmp_path / ".tracker.db.migrating").exists()
    seeded_db.close()
    assert not dbfile.held(db_path)  # closed: the file may be read plainly again


def test_not_a_database_is_still_refused_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"hello, not sqlite\n")
    with pytest.raises(store.StoreError, match="is not an SQLite database"):
        store.open_db(path)
    assert path.read_bytes() == b"hello, not sqlite\n"
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["import", "{db}"],
        ["import", "{csv}", "--map", "{db}-wal"],
        ["network", "record", "--site", "hovedbibliotek", "{db}"],
    ],
    ids=["import", "import-map", "network-record"],
)
def test_the_database_is_never_read_as_input(
    seeded_db, run_tracker, db_path: Path, tmp_path: Path, args: list[str]
) -> None:
    csv = tmp_path / "inv.csv"
    csv.write_text("tag,kind,name\n", encoding="utf-8")
    before = seeded_db.execute("SELECT count(*) FROM events").fetchone()[0]
    done = run_tracker(*[a.format(db=db_path, csv=csv) for a in args])
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is the tracker database" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert seeded_db.execute("SELECT count(*) FROM events").fetchone()[0] == before


@pytest.mark.timeout(120)
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_app_keeps_its_scans_while_other_stations_come_and_go(tmp_path: Path) -> None:
    """The real app in tmux (its own connection and its database worker's), while `tracker
    status` and a CLI scan run and exit beside it."""
    from test_ui_tmux import Tmux, start

    db_path = tmp_path / "bay.db"
    cli = [*tracker_exe(), "--db", str(db_path)]
    done = subprocess.run([*cli, "import", str(SAMPLE_CSV)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    tmux = Tmux(f"tracker-locks-{uuid.uuid4().hex[:8]}", tmp_path / "tmux.conf")
    try:
        start(tmux, tmp_path, "--db", str(db_path), "scan", "--site", "raadhus", "--step", "packed")
        tmux.wait_for("scan here")
        tmux.run("send-keys", "-t", tmux.name, "EKSPAS001", "Enter")
        tmux.wait_for("1 recorded")
        for args in (["status"], ["scan", "EKS-PAS-002", "--site", "raadhus", "--step", "packed"]):
            done = subprocess.run([*cli, *args], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stdout + done.stderr
        tmux.run("send-keys", "-t", tmux.name, "EKSPAS003", "Enter")
        tmux.wait_for("2 recorded")
        tmux.run("send-keys", "-t", tmux.name, "C-q")
        tmux.wait_for("EXIT=")
    finally:
        subprocess.run([*tmux.base, "kill-server"], capture_output=True)
    check, scans = _check(db_path)
    assert check == [["ok"]]
    assert {tag for tag, _ in scans} == {"EKS-PAS-001", "EKS-PAS-002", "EKS-PAS-003"}


def test_without_proc_every_file_ever_connected_to_counts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Where open descriptors cannot be listed, `held` errs on the safe side."""
    monkeypatch.setattr(dbfile, "_OPEN_FDS", str(tmp_path / "no-proc"))
    path = tmp_path / "t.db"
    store.open_db(path).close()
    assert dbfile.held(path)
    assert not dbfile.held(tmp_path / "t.db-journal")
    store.open_db(path).close()  # the second open reads the header through SQLite only
