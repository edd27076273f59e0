"""CSV import and export: real-world encodings and formats, all rows or none, clear row errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import loads_module

from tracker import store
from tracker.inventory.exporter import export
from tracker.inventory.importer import import_file

HEADER = "tag,kind,name,serial,site,step,hostname,notes\n"


def _csv(tmp_path: Path, body: str, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(body.encode(encoding))
    return p


def _count(db) -> int:
    return db.execute("SELECT count(*) FROM assets").fetchone()[0]


def test_sample_inventory_imports_and_exercises_the_plan(fresh_db, plan):
    from tests.conftest import SAMPLE_CSV

    result = import_file(fresh_db, plan, SAMPLE_CSV)
    assert result.ok, result.errors
    kinds = dict(fresh_db.execute("SELECT kind, count(*) FROM assets GROUP BY kind").fetchall())
    assert kinds["pass_ws"] >= 3 and kinds["mitid_ws"] >= 2 and kinds["printer"] >= 2
    assert kinds["kiosk"] >= 4 and kinds["laptop"] >= 2 and kinds["headset"] >= 2
    with_host = fresh_db.execute(
        "SELECT count(*) FROM assets WHERE kind = 'kiosk' AND hostname != ''"
    ).fetchone()[0]
    assert with_host >= 4
    sites = {r[0] for r in fresh_db.execute("SELECT DISTINCT site FROM assets")}
    assert len(sites) >= 4


def test_utf8_bom_and_danish_letters(fresh_db, plan, tmp_path):
    p = _csv(tmp_path, HEADER + "X-1,laptop,Bærbar ØÅ,S1,raadhus,,,æøå\n", encoding="utf-8-sig")
    assert import_file(fresh_db, plan, p).ok
    a = store.asset_by_tag(fresh_db, "X-1")
    assert (a.name, a.notes, a.step) == ("Bærbar ØÅ", "æøå", "in_service")


def test_danish_excel_export_semicolons_windows_1252(fresh_db, plan, tmp_path):
    body = (
        "tag;kind;name;serial;site;step;hostname;notes\r\n"
        "X-2;printer;Printer på 1. sal;P9;Rådhuset;in_service;;Vielsespapirer\r\n"
        ";;;;;;;\r\n"
    )
    p = _csv(tmp_path, body, encoding="cp1252")
    result = import_file(fresh_db, plan, p)
    assert result.ok, result.errors
    a = store.asset_by_tag(fresh_db, "X-2")
    assert a.name == "Printer på 1. sal" and a.site == "raadhus"


def test_snipeit_importer_and_report_column_names(fresh_db, plan, tmp_path):
    importer_style = (
        "Asset Tag,Asset Name,Serial Number,Category,Model Name,Location,Status,Asset Notes\n"
        "S-1,Pas 9,SN1,Pas- og kørekortarbejdsstation,HP Z2,Rådhuset,Ready to Deploy,n\n"
    )
    report_style = (
        "Asset Tag,Name,Serial,Category,Model,Location,Status\n"
        "S-2,Headset 9,SN2,headset,Jabra,Hovedbiblioteket,Broken\n"
    )
    assert import_file(fresh_db, plan, _csv(tmp_path, importer_style, "a.csv")).ok
    assert import_file(fresh_db, plan, _csv(tmp_path, report_style, "b.csv")).ok
    s1, s2 = store.asset_by_tag(fresh_db, "S-1"), store.asset_by_tag(fresh_db, "S-2")
    assert (s1.kind, s1.site, s1.step, s1.serial) == ("pass_ws", "raadhus", "in_service", "SN1")
    assert (s2.kind, s2.site, s2.step) == ("headset", "hovedbibliotek", "faulty")


def test_every_bad_row_is_reported_and_nothing_is_written(fresh_db, plan, tmp_path):
    body = HEADER + (
        "OK-1,laptop,Fine,S,raadhus,,,\n"  # line 2: fine
        "OK-1,laptop,Again,S,raadhus,,,\n"  # line 3: duplicate tag
        "K-1,toaster,Toaster,S,raadhus,,,\n"  # line 4: unknown kind
        "K-2,laptop,Lap,S,mars,,,\n"  # line 5: unknown site
        ",laptop,No tag,S,raadhus,,,\n"  # line 6: empty tag
        "K-3,laptop,,S,raadhus,,,\n"  # line 7: empty name
        "K-4,laptop,Lap,S,raadhus,flying,,\n"  # line 8: unknown step
        "K-5,kiosk,Kiosk,S,raadhus,,host:99999,\n"  # line 9: bad port
        "OK/1,laptop,Same code,S,raadhus,,,\n"  # line 10: same label code as OK-1
        'K-6,laptop,Lap æ,S,raadhus,,,"multi\nline note"\n'  # lines 11-12: fine
        "KØ-7,laptop,Lap,S,raadhus,,,\n"  # line 13: tag with a letter a label can't carry
    )
    p = _csv(tmp_path, body)
    result = import_file(fresh_db, plan, p)
    errors = "\n".join(result.errors)
    assert f"{p}:3: duplicate tag 'OK-1' (first on line 2)" in errors
    assert f"{p}: unknown kind 'toaster' on 1 row, line 4" in errors
    assert f"{p}: unknown site 'mars' on 1 row, line 5" in errors
    assert f"{p}:6: empty tag" in errors
    assert f"{p}:7: empty name" in errors
    assert f"{p}: unknown step 'flying' on 1 row, line 8" in errors
    assert (
        f"{p}: 3 value(s) are not in the plan: map each to a kind or site or step"
        in (result.hints[0])
    )
    assert f"{p}:9: hostname 'host:99999': port must be 1-65535" in errors
    assert f"{p}:10: tag 'OK/1' has the same label code OK1 as 'OK-1' on line 2" in errors
    assert f"{p}:13: tag 'KØ-7'" in errors
    assert len(result.errors) == 9  # the hint how to map the 3 values is not a problem
    assert _count(fresh_db) == 0


def test_cli_import_exit_status_and_messages(run_tracker, tmp_path):
    bad = _csv(tmp_path, HEADER + "A-1,laptop,L,S,raadhus,,,\nA-2,sofa,L,S,raadhus,,,\n")
    r = run_tracker("import", str(bad))
    assert r.returncode == 2
    assert f"{bad}: unknown kind 'sofa' on 1 row, line 3" in r.stderr
    assert "nothing was imported" in r.stderr
    r = run_tracker("status", "--json")
    assert r.returncode == 0
    good = _csv(tmp_path, HEADER + "A-1,laptop,L,S,raadhus,,,\n", "good.csv")
    r = run_tracker("import", str(good), "--dry-run")
    assert r.returncode == 0 and "would import 1 row(s)" in r.stdout
    r = run_tracker("history", "A-1")
    assert r.returncode == 2  # the dry run wrote nothing: no such asset
    r = run_tracker("import", str(good))
    assert r.returncode == 0 and "1 new" in r.stdout


def test_missing_columns_and_unreadable_file(fresh_db, plan, tmp_path, run_tracker):
    p = _csv(tmp_path, "tag,name\nA,B\n")
    result = import_file(fresh_db, plan, p)
    assert result.errors == [f"{p}:1: missing column(s): kind, site"]
    r = run_tracker("import", str(tmp_path / "absent.csv"))
    assert r.returncode == 2 and "absent.csv: cannot read" in r.stderr


def test_reimport_updates_and_never_duplicates(fresh_db, plan, tmp_path):
    p = _csv(tmp_path, HEADER + "R-1,laptop,Old name,S,raadhus,,,\n")
    assert import_file(fresh_db, plan, p).ok
    p2 = _csv(tmp_path, HEADER + "R-1,laptop,New name,S,bib_nord,faulty,,\n", "b.csv")
    result = import_file(fresh_db, plan, p2)
    assert (result.created, result.updated) == (0, 1)
    assert _count(fresh_db) == 1
    a = store.asset_by_tag(fresh_db, "R-1")
    assert (a.name, a.site, a.step, a.home_site) == ("New name", "bib_nord", "faulty", "raadhus")
    # The change of place and step is explained in the asset's history.
    (event,) = store.history(fresh_db, "R-1")
    assert (event["action"], event["step"], event["prev_site"]) == ("import", "faulty", "raadhus")


def test_export_round_trips_in_both_formats(seeded_db, plan, tmp_path, db_path):
    for fmt in ("tracker", "snipeit"):
        buf = io.StringIO()
        n = export(seeded_db, plan, buf, fmt)
        assert n == _count(seeded_db)
        path = _csv(tmp_path, buf.getvalue(), f"export-{fmt}.csv")
        other = store.open_db(tmp_path / f"copy-{fmt}.db")
        assert import_file(other, plan, path).ok
        assert store.assets(other) == [
            a.__class__(**{**a.__dict__, "updated_at": b.updated_at, "last_seen": None})
            for a, b in zip(store.assets(seeded_db), store.assets(other), strict=True)
        ]
        if fmt == "snipeit":
            header = next(csv.reader(io.StringIO(buf.getvalue())))
            assert header[:3] == ["Asset Tag", "Item Name", "Serial Number"]


def test_large_import_is_all_or_nothing_too(fresh_db, plan, tmp_path):
    """From BULK rows on, the indexes are rebuilt in the same transaction."""
    from tracker.inventory.merge import BULK

    good = [f"B-{i:06d},laptop,Laptop {i},S{i},bib_nord,,," for i in range(BULK + 100)]
    bad = _csv(tmp_path, HEADER + "\n".join([*good, "B-X,laptop,Late error,S,atlantis,,,"]))
    result = import_file(fresh_db, plan, bad)
    assert result.errors[0] == f"{bad}: unknown site 'atlantis' on 1 row, line {len(good) + 2}"
    assert len(result.errors) == 1 and len(result.hints) == 1
    assert _count(fresh_db) == 0
    ok = _csv(tmp_path, HEADER + "\n".join(good), "ok.csv")
    assert import_file(fresh_db, plan, ok).ok
    assert _count(fresh_db) == len(good)
    indexes = {r[1] for r in fresh_db.execute("PRAGMA index_list(assets)")}
    assert "assets_readiness" in indexes
    from tracker import readiness

    loans = next(s for s in readiness.compute(fresh_db, plan).sites if s.id == "bib_nord")
    # Counted up to the target; the rest is spare at the site.
    assert loans.functions[0].have == 2 and loans.spare == {"laptop": len(good) - 2}


def _indexes(db) -> list[tuple[str, str]]:
    """The assets' indexes and triggers (the readiness tally's), as the schema holds them."""
    return db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        " AND tbl_name = 'assets' AND name != 'refuse' ORDER BY name"
    ).fetchall()


def test_large_import_builds_every_assets_index_again(fresh_db, plan, tmp_path):
    """The bulk path drops the indexes made by migrations and builds each again, the same:
    kit parts are found through the partial kit index, counts through the readiness one."""
    from tracker.inventory.merge import BULK

    before = _indexes(fresh_db)
    assert {"assets_readiness", "assets_kit"} <= {name for name, _ in before}
    header = "tag,kind,name,serial,site,step,hostname,notes,kit\n"
    rows = [f"W-{i:05d},pass_ws,Pas {i},S{i},raadhus,,,," for i in range(BULK // 2)]
    rows += [f"P-{i:05d},camera,Kamera {i},C{i},raadhus,,,,W-{i:05d}" for i in range(BULK // 2)]
    result = import_file(fresh_db, plan, _csv(tmp_path, header + "\n".join(rows)))
    assert result.ok, result.errors[:3]
    assert _indexes(fresh_db) == before
    plan_sql = " ".join(
        r[3]
        for r in fresh_db.execute(
            "EXPLAIN QUERY PLAN SELECT tag FROM assets WHERE kit != '' AND kit = 'W-00007'"
        )
    )
    assert "assets_kit" in plan_sql
    assert [r[0] for r in fresh_db.execute("PRAGMA integrity_check")] == ["ok"]


def test_large_import_failing_after_the_indexes_were_dropped_writes_nothing(
    fresh_db, plan, tmp_path
):
    """A failure inside the bulk write (here SQLite itself aborts the last row) rolls back
    the rows, the events and the dropped indexes together: the database is as it was."""
    import sqlite3

    import pytest

    from tracker.inventory.merge import BULK

    first = _csv(tmp_path, HEADER + "A-1,laptop,Old,S,raadhus,,,\n", "first.csv")
    assert import_file(fresh_db, plan, first).ok
    fresh_db.execute(
        "CREATE TRIGGER refuse AFTER INSERT ON assets WHEN NEW.tag = 'B-LAST'"
        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    before = _indexes(fresh_db)
    rows = [f"B-{i:06d},laptop,Laptop {i},S{i},bib_nord,,," for i in range(BULK)]
    rows += ["A-1,laptop,New,S,bib_syd,,,", "B-LAST,laptop,Last,S,bib_nord,,,"]
    big = _csv(tmp_path, HEADER + "\n".join(rows))
    with pytest.raises(sqlite3.IntegrityError, match="refused by the test"):
        import_file(fresh_db, plan, big)
    assert _indexes(fresh_db) == before
    assert _count(fresh_db) == 1
    assert store.asset_by_tag(fresh_db, "A-1").name == "Old"
    assert (
        fresh_db.execute("SELECT count(*) FROM events WHERE action = 'import'").fetchone()[0] == 0
    )
    assert not fresh_db.conn.in_transaction


def test_key_for_valid_tag_is_key_for_of_every_good_tag():
    import random

    from tracker import codes

    rnd = random.Random(5)
    chars = "LOCloc Ab19._/+-"
    tags = {"".join(rnd.choice(chars) for _ in range(rnd.randint(1, 8))) for _ in range(20_000)}
    good = [t for t in tags if codes.GOOD_TAG.match(t)]
    assert len(good) > 1000
    for tag in tags:
        # The importer's fast test agrees with the rule it stands for.
        assert bool(codes.GOOD_TAG.match(tag)) == (codes.tag_problem(tag) is None), tag
    for tag in good:
        assert codes.key_for_valid_tag(tag) == codes.key_for(tag), tag


def test_a_reimport_does_not_import_sqlite_utils(seeded_db, db_path, tmp_path):
    """sqlite-utils costs ~50 ms to import and only applies migrations: an import into an
    existing database writes through `tracker.database`."""
    csv_path = _csv(tmp_path, HEADER + "X-1,laptop,Laptop,S1,raadhus,,,\n")
    assert loads_module(["--db", str(db_path), "import", str(csv_path)], "sqlite_utils") == (
        0,
        False,
    )
