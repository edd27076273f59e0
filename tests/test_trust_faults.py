"""Faults get one line and an exit status scripts can tell apart (issue 10, items 8, 9, 14, 15):
a real full tmpfs, an immutable database, first start racing a scan, and no process left behind
by the test sshd."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV, tracker_exe
from sshd import Sshd

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs: needs root (CI is)")


def _run(db: Path, *args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [*tracker_exe(), "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def _one_line(r: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system to the last byte."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 16, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


WRITES = [
    ("scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed"),
    ("undo",),
    ("import", str(SAMPLE_CSV)),
    ("scenario", "start", "short_incident"),
]


def test_a_full_disk_is_one_line_exit_3_and_nothing_half_written(tmp_path):
    with tmpfs(tmp_path / "small", "3m") as disk:
        db = disk / "tracker.db"
        assert _run(db, "import", str(SAMPLE_CSV)).returncode == 0
        assert (
            _run(db, "scan", "EKS-KIO-001", "--site", "raadhus", "--step", "packed").returncode == 0
        )
        other = tmp_path / "more.csv"
        other.write_text("tag,kind,name,site\nFULL-1,laptop,PC,raadhus\n")
        filler = _fill(disk)
        for args in [*WRITES[:2], ("import", str(other)), WRITES[3]]:
            r = _run(db, *args)
            assert r.returncode == 3, (args, r.stdout, r.stderr)
            line = _one_line(r)
            assert str(db) in line and "full" in line and "nothing was recorded" in line, line
        r = _run(db, "export", str(disk / "out.csv"))
        assert r.returncode == 3 and "full" in _one_line(r)
        assert not (disk / "out.csv").exists()
        assert not [p for p in disk.iterdir() if p.name.startswith(".out.csv")]
        filler.unlink()
        # Room again: everything works, and nothing of the failed commands was recorded.
        r = _run(db, "scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
        assert r.returncode == 0, r.stderr
        history = json.loads(_run(db, "history", "EKS-PAS-001", "--json").stdout)
        assert [h["step"] for h in history] == ["packed"]
        assert "FULL-1" not in _run(db, "export", "-").stdout
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_immutable_database_is_one_line_exit_3(tmp_path):
    db = tmp_path / "tracker.db"
    assert _run(db, "import", str(SAMPLE_CSV)).returncode == 0
    assert _run(db, "scan", "EKS-KIO-001", "--site", "raadhus", "--step", "packed").returncode == 0
    subprocess.run(["chattr", "+i", str(db)], check=True)
    try:
        r = _run(db, "status")
        assert r.returncode == 0, r.stderr  # reading still works
        for args in WRITES:
            r = _run(db, *args)
            assert r.returncode == 3, (args, r.stderr)
            assert "read-only" in _one_line(r)
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)


def test_a_read_only_mount_is_one_line_exit_3(tmp_path):
    with tmpfs(tmp_path / "ro", "8m") as disk:
        db = disk / "tracker.db"
        assert _run(db, "import", str(SAMPLE_CSV)).returncode == 0
        scanned = _run(db, "scan", "EKS-KIO-001", "--site", "raadhus", "--step", "packed")
        assert scanned.returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for args in [*WRITES, ("status",)]:
            r = _run(db, *args)
            assert r.returncode == 3, (args, r.stderr)
            assert str(db) in _one_line(r)


# --- 9. exit statuses scripts can tell apart --------------------------------------------------


def test_exit_statuses(tmp_path):
    db = tmp_path / "tracker.db"
    assert _run(db, "import", str(SAMPLE_CSV)).returncode == 0
    scan = ("--site", "raadhus", "--step", "packed")
    assert _run(db, "scan", "EKS-PAS-001", *scan).returncode == 0
    assert _run(db, "scan", "EKS-PAS-001", *scan).returncode == 1  # repeat
    assert _run(db, "scan", "NOPE-1", *scan).returncode == 1  # unknown, logged
    assert _run(db, "scenario", "start", "borgerservice_to_library").returncode == 0
    flagged = _run(db, "scan", "EKS-PAS-002", "--site", "hjemme", "--step", "arrived")
    assert flagged.returncode == 1, flagged.stderr  # recorded, but flagged
    assert "WRONG SITE" in flagged.stdout or "NOT IN THE MANIFEST" in flagged.stdout
    assert _run(db, "scan", "X", "--site", "mars", "--step", "packed").returncode == 2
    assert _run(db, "scenario", "start", "short_incident").returncode == 2  # one is active
    assert _run(db, "history", "NOPE-1").returncode == 2
    assert _run(db, "undo", "--station", "nobody").returncode == 1  # nothing to undo


# --- 14. first start: creation and seeding are one step others wait for -----------------------


def test_a_scan_during_first_start_seeding_waits_and_finds_the_asset(tmp_path):
    big = tmp_path / "assets.csv"
    lines = SAMPLE_CSV.read_text().splitlines()
    assert lines[0].startswith("tag,kind,name,serial,site,step,hostname,notes")
    extra = "," * (lines[0].count(",") - 7)
    filler = [f"SEED-{i:06d},laptop,PC {i},,raadhus,,,{extra}" for i in range(60_000)]
    big.write_text("\n".join([lines[0], *lines[1:], *filler]) + "\n")
    db = tmp_path / "tracker.db"
    lock = tmp_path / ".tracker.db.creating"
    env = {**os.environ, "TRACKER_SEED_CSV": str(big)}
    # What `tracker` (the app) does first: create and seed; run here without a terminal.
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tracker.cli.common import Context; import sys;"
            f"Context({str(db)!r}, None, seed=True, create=True).db",
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not lock.exists():
        assert time.monotonic() < deadline and starter.poll() is None
        time.sleep(0.005)
    r = _run(db, "scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
    assert starter.wait(120) == 0, starter.stderr.read()
    assert r.returncode == 0, r.stderr
    assert "EKS-PAS-001" in r.stdout and "unknown" not in r.stderr
    assert not lock.exists()


# --- 15. the test sshd leaves nothing running ---------------------------------------------------


def test_sshd_stop_ends_a_session_frozen_after_login(tmp_path):
    sshd = Sshd(tmp_path / "sshd", modes={"*": "sleep"})
    with sshd:
        client = subprocess.Popen(
            [
                "ssh",
                "-p",
                str(sshd.ports[0]),
                "-i",
                str(sshd.user_key),
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                f"UserKnownHostsFile={tmp_path / 'kh'}",
                f"{sshd.user}@127.0.0.1",
                "check",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not sshd.session_pids():
            assert time.monotonic() < deadline, "the stub never started"
            time.sleep(0.05)
        pids = sshd.session_pids()
        client.kill()
        client.wait()
    # After stop (as after a failing test: Sshd is a context manager and a fixture's finaliser).
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"stub {pid} still running"


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_several_processes_upgrading_an_older_database_at_once(tmp_path):
    """A database from before the latest migrations, opened by six commands at once: one
    migrates, the others wait and find it done (no 'table already exists', no 'locked')."""
    from sqlite_utils import Database

    from tracker.migrations import migrations

    db_path = tmp_path / "old.db"
    old = Database(sqlite3.connect(db_path))
    old.execute("PRAGMA journal_mode=WAL")
    migrations.apply(old, stop_before="m004_global_ids")
    old.close()
    procs = [
        subprocess.Popen(
            [*tracker_exe(), "--db", str(db_path), "status"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0] * 6, results
    applied = [
        r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM _sqlite_migrations")
    ]
    assert len(applied) == len(set(applied)) == len(migrations._migrations)
