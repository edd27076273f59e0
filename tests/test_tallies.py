"""The readiness tally (tracker/tallies.py) stays equal to a fresh count through every path
that writes an asset, driven through the real `tracker`; and readiness read from it is the
readiness a recount gives."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from test_trust_faults import _fill, _run, tmpfs

from tracker import tallies

REPO = Path(__file__).resolve().parent.parent
LIB = "hovedbibliotek"


def differences(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return tallies.differences(conn)


def recounted_status(tk, db_path: Path, tmp_path: Path) -> dict:
    """`tracker status --json` of a copy whose tally was rebuilt from scratch."""
    copy = tmp_path / "recount.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(db_path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM readiness_tally")  # a wrong tally would show here
        tallies.rebuild(conn)
    return json.loads(tk("--db", str(copy), "status", "--json"))


def strip(doc: dict) -> dict:
    return {**doc, "generated_at": None}


def test_every_write_path_keeps_the_tally_equal_to_a_recount(tk, db_path, tmp_path):
    assert differences(db_path) == []
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM readiness_tally").fetchone()[0] > 0
    tk("scenario", "start", "borgerservice_to_library")
    tk("scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
    tk("scan", "EKS-PAS-001", "--site", LIB, "--step", "arrived")
    tk("scan", "EKS-PAS-001", "--site", LIB, "--step", "installed")
    tk("scan", "EKS-BAR-001", "--site", "hjemme", "--step", "in_service", "--holder", "Mette")
    tk("scan", "EKS-HS-001", "--site", "hjemme", "--step", "in_service", "--holder", "Mette")
    tk("count", "EKS-MID-001", "12", "--site", "raadhus")
    tk("mark", "EKS-PRN-001", "faulty", "--note", "papirstop")
    tk("scan", "EKS-BAR-002", "--site", LIB, "--step", "installed")
    tk("undo")
    tk("audit", "start", "raadhus")
    tk("audit", "scan", "raadhus", "EKS-PAS-002")
    assert differences(db_path) == []
    before = json.loads(tk("status", "--json"))
    assert strip(recounted_status(tk, db_path, tmp_path)) == strip(before)
    lib = next(s for s in before["sites"] if s["id"] == LIB)
    passports = next(f for f in lib["functions"] if f["id"] == "passports")
    assert passports["have"] == 1  # the installed workstation counts, read from the tally


def test_a_re_import_that_changes_kind_department_and_quantity_is_tallied(tk, db_path, tmp_path):
    rows = list(csv.DictReader((REPO / "assets.csv").open(encoding="utf-8")))
    for row in rows:
        if row["tag"] == "EKS-MID-002":
            row["quantity"] = "3"
        if row["tag"] == "EKS-BAR-003":
            row["department"] = "Biblioteket"
        if row["tag"] == "EKS-HS-003":
            row["step"] = "packed"
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    tk("import", str(changed))
    assert differences(db_path) == []


def big_csv(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tag", "kind", "name", "site", "step", "department"])
        for i in range(n):
            w.writerow([f"BULK-{i:05d}", "laptop", f"Laptop {i}", "raadhus", "in_service", ""])
    return path


def test_a_bulk_import_rebuilds_the_tally_and_its_triggers(tk, db_path, tmp_path):
    tk("import", str(big_csv(tmp_path / "big.csv", 10_500)))
    assert differences(db_path) == []
    with sqlite3.connect(db_path) as conn:
        n = conn.execute(
            "SELECT n FROM readiness_tally WHERE site = 'raadhus' AND kind = 'laptop'"
            " AND department = 'Borgerservice' AND holder = ''"
        ).fetchone()[0]
        triggers = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        indexes = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert n >= 10_500
    assert set(tallies.TRIGGERS) <= triggers and "assets_counted" in indexes
    # ... and the triggers work afterwards.
    tk("scan", "BULK-00001", "--site", LIB, "--step", "installed")
    assert differences(db_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs: needs root (CI is)")
def test_a_bulk_import_failing_on_a_full_disk_leaves_tally_triggers_and_index(tmp_path):
    """The bulk path drops the triggers and the index inside its transaction: a real full
    disk makes it fail half-way, and the database must come back with them."""
    big = big_csv(tmp_path / "big.csv", 10_500)
    with tmpfs(tmp_path / "small", "3m") as disk:
        db = disk / "tracker.db"
        assert _run(db, "import", str(REPO / "assets.csv")).returncode == 0
        filler = _fill(disk)
        r = _run(db, "import", str(big))
        assert r.returncode == 3, r.stderr
        filler.unlink()
        with sqlite3.connect(db) as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            bulk = conn.execute("SELECT count(*) FROM assets WHERE tag LIKE 'BULK-%'").fetchone()
        assert bulk == (0,)
        assert set(tallies.TRIGGERS) <= names and "assets_counted" in names
        r = _run(db, "scan", "EKS-PAS-001", "--site", LIB, "--step", "installed")
        assert r.returncode == 0, r.stderr
        assert differences(db) == []


def test_a_merge_of_another_stations_scans_is_tallied(tk, run_tracker, db_path, tmp_path):
    tk("scenario", "start", "borgerservice_to_library")
    other = tmp_path / "other.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(db_path, other)
    tk("--db", str(other), "scan", "EKS-PAS-002", "--site", LIB, "--step", "installed")
    tk("--db", str(other), "scan", "EKS-BAR-001", "--site", "raadhus", "--step", "faulty")
    tk("sync", str(other))
    assert differences(db_path) == []
    doc = json.loads(tk("status", "--json"))
    lib = next(s for s in doc["sites"] if s["id"] == LIB)
    assert "EKS-PAS-002" in json.dumps(lib["functions"])


def test_a_database_whose_triggers_were_dropped_outside_the_tracker_is_counted_anew(
    tk, db_path, tmp_path
):
    """Someone's sqlite3 shell dropped a trigger: the tally goes stale, readiness must not."""
    tk("scenario", "start", "borgerservice_to_library")
    for tag in ("EKS-BAR-001", "EKS-BAR-002"):
        tk("scan", tag, "--site", LIB, "--step", "installed")
    counted = json.loads(tk("status", "--json"))
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER readiness_tally_update")
    for tag in ("EKS-BAR-001", "EKS-BAR-002"):
        tk("mark", tag, "faulty", "--note", "skærm knust")
    assert differences(db_path) != []  # the tally is stale ...
    doc = json.loads(tk("status", "--json"))
    assert strip(recounted_status(tk, db_path, tmp_path)) == strip(doc)  # ... readiness is not
    assert strip(doc) != strip(counted)  # the two faulty laptops no longer count
