"""Several processes scanning into one file, and a scanning process killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tracker import store
from tracker.inventory.importer import import_file

WORKER = textwrap.dedent(
    """
    import sys
    from tracker import store
    from tracker.plan import load_plan
    from tracker.scan import scan

    db_path, prefix, n, station = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    db = store.open_db(db_path)
    plan = load_plan()
    steps = ["packed", "arrived", "installed"]
    sites = ["raadhus", "hovedbibliotek", "hovedbibliotek"]
    for i in range(n):
        k = i % 3
        tag = f"{prefix}-{i // 3:04d}"
        if i % 25 == 0:
            store.record_kiosk_result(db, tag="EKS-KIO-001", host="h", verdict="ok",
                                      detail=station, report=None)
        r = scan(db, plan, tag, site=sites[k], step=steps[k], operator=prefix, station=station)
        assert r.outcome == "recorded", r.message
        print("ACK", r.event_id, tag, steps[k], flush=True)
    """
)


def _inventory(tmp_path: Path, prefixes: list[str], per_prefix: int) -> Path:
    lines = ["tag,kind,name,serial,site,step,hostname,notes"]
    for p in prefixes:
        lines += [f"{p}-{i:04d},laptop,Laptop {p} {i},SN{i},raadhus,,," for i in range(per_prefix)]
    path = tmp_path / "inv.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _worker(tmp_path: Path, db_path: Path, prefix: str, n: int) -> subprocess.Popen:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(db_path), prefix, str(n), f"station-{prefix}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_processes_never_lock_out_or_lose_events(fresh_db, plan, tmp_path, db_path):
    prefixes = ["A", "B", "C", "D"]
    n = 150
    assert import_file(fresh_db, plan, _inventory(tmp_path, prefixes, n // 3)).ok
    procs = [_worker(tmp_path, db_path, p, n) for p in prefixes]
    outputs = [p.communicate(timeout=240) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    acked = {int(line.split()[1]) for out, _ in outputs for line in out.splitlines()}
    assert len(acked) == len(prefixes) * n
    rows = fresh_db.execute("SELECT id, station FROM events").fetchall()
    assert {r[0] for r in rows} == acked
    for p in prefixes:
        assert sum(1 for r in rows if r[1] == f"station-{p}") == n
        # Every asset ended where its last scan put it.
        steps = {a.step for a in store.assets(fresh_db, search=f"{p}-")}
        assert steps == {"installed"}
    assert len(store.kiosk_history(fresh_db, "EKS-KIO-001", limit=1000)) == len(prefixes) * 6


def test_every_acknowledged_scan_survives_a_killed_process(fresh_db, plan, tmp_path, db_path):
    assert import_file(fresh_db, plan, _inventory(tmp_path, ["K"], 400)).ok
    proc = _worker(tmp_path, db_path, "K", 1200)
    acked = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acked.append(line.split())
        if len(acked) == 150:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    db = store.open_db(db_path)  # a new connection, as after a restart
    for _, event_id, tag, step in acked:
        row = db.execute("SELECT tag, step FROM events WHERE id = ?", [int(event_id)]).fetchone()
        assert row == (tag, step)
    # Current state agrees with the event log for every asset the killed process touched.
    for tag, step in db.execute(
        "SELECT e.tag, e.step FROM events e WHERE e.id = (SELECT max(id) FROM events x"
        " WHERE x.tag = e.tag)"
    ):
        assert store.asset_by_tag(db, tag).step == step


def test_database_is_opened_for_durable_commits(fresh_db):
    assert fresh_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh_db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsync each commit


def test_the_required_tables_are_the_tables_the_migrations_make():
    """`store` refuses a database missing one of `migrations.TABLES`: the list is written out
    (learning it cost every start a migrated in-memory database), so it must stay true."""
    import sqlite3

    from tracker import migrations
    from tracker.database import Database

    mem = Database(sqlite3.connect(":memory:"))
    assert migrations.pending(mem)
    migrations.apply(mem)
    assert not migrations.pending(mem)
    made = {r[0] for r in mem.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert made == migrations.TABLES
    assert [m.name for m in migrations.migrations._migrations] == migrations.names()


def test_several_processes_creating_the_same_new_database_at_once(tmp_path):
    path = tmp_path / "new.db"
    code = (
        "import sys; from tracker import store; db = store.open_db(sys.argv[1]);"
        " print(db.execute('SELECT count(*) FROM assets').fetchone()[0])"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [e for _, e in results]
    db = store.open_db(path)
    names = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names)) >= 3
