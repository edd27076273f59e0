"""No command loses, reverts or corrupts data (issue 10, items 1-4, 13, 14), through the real
`tracker` command: the output guard, imports against the current state, columns a file lacks,
foreign and newer databases, read-only commands on a missing database, first start."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV, tracker_exe

from tracker import store
from tracker.inventory import importer


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _seed(run_tracker) -> None:
    r = run_tracker("import", str(SAMPLE_CSV))
    assert r.returncode == 0, r.stderr


def _one_line(r: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def _state_matches_log(db_path: Path) -> None:
    """Every asset with events is where its latest event says."""
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT a.tag, a.step, a.site, e.step, e.site FROM assets a JOIN events e ON e.id ="
        " (SELECT max(id) FROM events WHERE tag = a.tag)"
    ).fetchall()
    conn.close()
    wrong = [r for r in rows if (r[1], r[2]) != (r[3], r[4])]
    assert not wrong, wrong


# --- 1. no command writes over the database ----------------------------------------------------


def test_export_never_writes_over_the_database_however_it_is_spelt(run_tracker, db_path, tmp_path):
    _seed(run_tracker)
    run_tracker("scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
    before = _digest(db_path)
    (tmp_path / "link.csv").symlink_to(db_path)
    os.link(db_path, tmp_path / "hard.csv")
    spellings = [
        str(db_path),
        "tracker.db",  # relative, from the database's folder
        f"./sub/../{db_path.name}",
        str(tmp_path / "link.csv"),
        str(tmp_path / "hard.csv"),
        f"{db_path}-wal",
        f"{db_path}-shm",
    ]
    (tmp_path / "sub").mkdir()
    for target in spellings:
        r = run_tracker("export", target)
        assert r.returncode == 2, (target, r.stdout, r.stderr)
        assert "database" in _one_line(r), target
    assert _digest(db_path) == before
    r = run_tracker("report", "--out", str(tmp_path / "db.html"))  # a fine report still works
    assert r.returncode == 0, r.stderr
    (tmp_path / "db-link.html").symlink_to(db_path)
    (tmp_path / "db-link.pdf").symlink_to(db_path)
    r = run_tracker("report", "--out", str(tmp_path / "db-link.html"))
    assert r.returncode == 2 and "database" in _one_line(r)
    r = run_tracker("labels", "--all", "--out", str(tmp_path / "db-link.pdf"))
    assert r.returncode == 2 and "database" in _one_line(r)
    assert _digest(db_path) == before
    history = json.loads(run_tracker("history", "EKS-PAS-001", "--json").stdout)
    assert [h["step"] for h in history] == ["packed"]


def test_outputs_refuse_folders_missing_folders_and_files_of_another_kind(run_tracker, tmp_path):
    _seed(run_tracker)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    cases = [
        (("export", str(tmp_path)), "folder"),
        (("export", str(tmp_path / "missing" / "out.csv")), "does not exist"),
        (("export", str(other)), "SQLite"),
        (("export", str(photo)), "not a CSV"),
        (("report", "--out", str(tmp_path / "nope" / "r.html")), "does not exist"),
        (("labels", "--all", "--out", str(tmp_path / "photo.pdf")), None),
    ]
    (tmp_path / "photo.pdf").write_bytes(photo.read_bytes())
    for args, said in cases:
        r = run_tracker(*args)
        assert r.returncode == 2, (args, r.stderr)
        line = _one_line(r)
        assert said is None or said in line, (args, line)
    assert photo.read_bytes().startswith(b"\x89PNG")
    assert sqlite3.connect(other).execute("SELECT count(*) FROM t").fetchone() == (0,)


# --- 2. an import never reverts a scan acknowledged while it ran ------------------------------


def test_import_reads_the_assets_inside_its_write_transaction(
    fresh_db, plan, db_path, tmp_path, monkeypatch
):
    assert importer.import_file(fresh_db, plan, SAMPLE_CSV).ok
    real_read_rows = importer.read_rows
    scanned = []

    def read_rows_with_a_scan_meanwhile(*args, **kwargs):
        header, rows, errors = real_read_rows(*args, **kwargs)

        def rows_then_scan():
            for n, row in enumerate(rows):
                if n == 5 and not scanned:
                    # Another station scans while the file is parsed, before the write lock.
                    r = subprocess.run(
                        [*tracker_exe(), "--db", str(db_path), "scan", "EKS-PAS-001"]
                        + ["--site", "raadhus", "--step", "packed"],
                        capture_output=True,
                        text=True,
                        timeout=60,
                    )
                    scanned.append(r)
                yield row

        return header, rows_then_scan(), errors

    monkeypatch.setattr(importer, "read_rows", read_rows_with_a_scan_meanwhile)
    result = importer.import_file(fresh_db, plan, SAMPLE_CSV)
    assert result.ok, result.errors
    assert scanned and scanned[0].returncode == 0, scanned[0].stderr
    asset = store.asset_by_tag(fresh_db, "EKS-PAS-001")
    assert (asset.step, asset.site) == ("in_service", "raadhus")
    steps = [(e["action"], e["step"]) for e in store.history(fresh_db, "EKS-PAS-001")]
    # The scan was acknowledged, and the import that came after it says so in the log.
    assert steps == [("scan", "packed"), ("import", "in_service")]
    _state_matches_log(db_path)


def test_two_imports_at_once_whose_tags_share_a_label_code(run_tracker, tmp_path, db_path):
    _seed(run_tracker)
    header = "tag,kind,name,site\n"
    files = []
    for i, tag in enumerate(("NEW-7", "NEW7")):
        f = tmp_path / f"n{i}.csv"
        f.write_text(header + f"{tag},laptop,PC {i},raadhus\n")
        files.append(f)
    procs = [
        subprocess.Popen(
            [*tracker_exe(), "--db", str(db_path), "import", str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    loser = next(text for code, text in results if code == 2)
    assert "same label code NEW7" in loser and "Traceback" not in loser


# --- 3. a column the file lacks leaves the field as it is --------------------------------------


def test_reimport_without_some_columns_keeps_those_fields(run_tracker, tmp_path, db_path):
    _seed(run_tracker)
    full = tmp_path / "full.csv"
    full.write_text(
        "tag,kind,name,serial,site,step,hostname,notes\n"
        "EKS-KIO-001,kiosk,Kiosk 1,SN-9,raadhus,installed,kiosk1.local,bolted to the wall\n"
    )
    assert run_tracker("import", str(full)).returncode == 0
    partial = tmp_path / "partial.csv"
    partial.write_text("tag,kind,name,site\nEKS-KIO-001,kiosk,Kiosk one,raadhus\n")
    r = run_tracker("import", str(partial))
    assert r.returncode == 0, r.stderr
    conn = sqlite3.connect(db_path)
    row = conn.execute(
        "SELECT name, serial, step, hostname, notes FROM assets WHERE tag = 'EKS-KIO-001'"
    ).fetchone()
    assert row == ("Kiosk one", "SN-9", "installed", "kiosk1.local", "bolted to the wall")
    # A Snipe-IT file has no hostname column: the hostname stays; its Status is a step change,
    # and that change is in the history.
    snipe = tmp_path / "snipe.csv"
    snipe.write_text(
        "Asset Tag,Asset Name,Category,Location,Status\n"
        "EKS-KIO-001,Kiosk one,kiosk,raadhus,Ready to deploy\n"
    )
    r = run_tracker("import", str(snipe))
    assert r.returncode == 0, r.stderr
    row = conn.execute(
        "SELECT serial, step, hostname, notes FROM assets WHERE tag = 'EKS-KIO-001'"
    ).fetchone()
    assert row == ("SN-9", "in_service", "kiosk1.local", "bolted to the wall")
    history = json.loads(run_tracker("history", "EKS-KIO-001", "--json").stdout)
    assert [(h["action"], h["step"]) for h in history][-2:] == [
        ("import", "installed"),
        ("import", "in_service"),
    ]
    _state_matches_log(db_path)


# --- 4. another program's SQLite file, or a newer tracker's, is left alone --------------------


def test_foreign_and_newer_databases_are_refused_unchanged(run_tracker, tmp_path):
    foreign = tmp_path / "photos.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.execute("INSERT INTO photos (path) VALUES ('a.jpg')")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    db = store.open_db(newer)
    db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('tracker', 'm999_from_the_future', '2030-01-01')"
    )
    db.conn.commit()
    db.close()
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    for path, said in (
        (foreign, "another program"),
        (newer, "newer version"),
        (text, "not an SQLite database"),
    ):
        before = _digest(path)
        listing = sorted(p.name for p in tmp_path.iterdir())
        for args in (
            ("status",),
            ("import", str(SAMPLE_CSV)),
            ("scan", "X", "--site", "raadhus", "--step", "packed"),
        ):
            r = subprocess.run(
                [*tracker_exe(), "--db", str(path), *args],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert r.returncode == 2, (path, args, r.stderr)
            line = _one_line(r)
            assert said in line and str(path) in line, line
        assert _digest(path) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == listing
    assert sqlite3.connect(foreign).execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_damaged_database_with_a_table_missing_is_one_line(run_tracker, db_path):
    _seed(run_tracker)
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE unknown_scans")
    conn.commit()
    conn.close()
    for args in (
        ("status",),
        ("unknown",),
        ("scan", "NOPE", "--site", "raadhus", "--step", "packed"),
    ):
        r = run_tracker(*args)
        assert r.returncode == 2, r.stderr
        assert "table 'unknown_scans' is missing" in _one_line(r)


# --- 13. read-only commands never create a database; the sample is marked -------------------


READ_ONLY = [
    ("status",),
    ("history", "EKS-PAS-001"),
    ("export", "-"),
    ("unknown",),
    ("kiosks", "list"),
    ("report", "--out", "r.html"),
    ("labels", "--all", "--out", "l.pdf"),
    ("scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed"),
    ("undo",),
    ("scenario", "start", "short_incident"),
]


@pytest.mark.parametrize("args", READ_ONLY, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_db_is_an_error_not_a_new_sample_database(tmp_path, args):
    (tmp_path / "assets.csv").write_bytes(SAMPLE_CSV.read_bytes())  # what seeding would use
    r = subprocess.run(
        [*tracker_exe(), "--db", "trakcer.db", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    line = _one_line(r)
    assert "trakcer.db: no such database" in line and "import" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assets.csv"]


def test_sample_marker_until_a_real_import(run_tracker, tmp_path, db_path):
    (tmp_path / "assets.csv").write_bytes(SAMPLE_CSV.read_bytes())
    from tracker.cli.common import Context

    ctx = Context(str(db_path), None, seed=True, create=True)  # what `tracker` does at start
    ctx.db.close()
    r = run_tracker("status")
    assert r.returncode == 0 and "SAMPLE" in r.stdout, r.stdout
    assert json.loads(run_tracker("status", "--json").stdout)["sample"]
    assert run_tracker("report", "--out", "r.html").returncode == 0
    assert "sample inventory" in (tmp_path / "r.html").read_text()
    real = tmp_path / "real.csv"
    real.write_text("tag,kind,name,site\nBS-PC-1,laptop,PC 1,raadhus\n")
    assert run_tracker("import", str(real)).returncode == 0
    r = run_tracker("status")
    assert "SAMPLE" not in r.stdout
    assert json.loads(run_tracker("status", "--json").stdout)["sample"] is None


# --- 14. first start by several processes at once ---------------------------------------------


def test_several_processes_creating_one_database_at_once(tmp_path):
    db = tmp_path / "new.db"
    procs = [
        subprocess.Popen(
            [*tracker_exe(), "--db", str(db), "import", str(SAMPLE_CSV)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0] * 6, results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"] + (
        ["new.db-shm", "new.db-wal"] if (tmp_path / "new.db-wal").exists() else []
    )
    conn = sqlite3.connect(db)
    rows = len(SAMPLE_CSV.read_text(encoding="utf-8").splitlines()) - 1
    assert conn.execute("SELECT count(*) FROM assets").fetchone() == (rows,)


@pytest.mark.timeout(60)
def test_app_header_says_sample_data_until_a_real_import(tmp_path, db_path, plan, monkeypatch):
    from textual.widgets import Static
    from ui_helpers import async_test, build, ready, text, wait_for

    from tracker.cli.common import Context

    monkeypatch.chdir(tmp_path)
    (tmp_path / "assets.csv").write_bytes(SAMPLE_CSV.read_bytes())
    Context(str(db_path), None, seed=True, create=True).db.close()  # the app's first start
    real = tmp_path / "real.csv"
    real.write_text("tag,kind,name,site\nBS-PC-1,laptop,PC 1,raadhus\n")

    @async_test
    async def check():
        app = build(db_path, plan)
        async with app.run_test(size=(120, 30)) as pilot:
            await ready(pilot)
            title = lambda: text(app.screen.query_one("#dash-title", Static))  # noqa: E731
            assert "SAMPLE DATA" in title()
            r = subprocess.run(
                [*tracker_exe(), "--db", str(db_path), "import", str(real)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert r.returncode == 0, r.stderr
            await wait_for(pilot, lambda: "SAMPLE DATA" not in title())

    check()
