"""Review of the import speed work (bulk check, index rebuild, new-database migration).

Hostile files imported both ways (bulk and row loop, `test_import_bulk._both`) must leave the
same result and database; a large import must leave the schema a small one leaves; stored
values must be the plan's, whichever spelling the file used.
"""

from __future__ import annotations

import codecs

import pytest
from sqlite_utils import Database as SqliteUtilsDatabase
from test_import_bulk import FULL, _both, _write

from tracker import migrations, store, tallies
from tracker.database import Database
from tracker.inventory import cells
from tracker.inventory.importer import UnreadableFile, import_file
from tracker.inventory.merge import BULK, rebuilds

HEAD = "tag,kind,name,serial,site,step,hostname,notes\n"
TWO = "T-1,laptop,A,,raadhus,in_service,,\nT-2,laptop,B,,raadhus,in_service,,\n"


def test_a_department_in_any_case_is_stored_as_the_plan_spells_it(tmp_path, plan, monkeypatch):
    """Readiness compares departments exactly (`Function.counts_for`): an asset stored with
    'borgerservice' counted for no Borgerservice function, while 'BORGERSERVICE' did."""
    rows = [
        f"T-{i},laptop,A,,raadhus,in_service,,,,,,,{d},,,"
        for i, d in enumerate(["borgerservice", "BORGERSERVICE", "Borgerservice", "biblioteket"])
    ]
    f = _write(tmp_path, "in.csv", FULL + "\n".join(rows) + "\n")
    ((results, state),) = [_both(tmp_path, plan, monkeypatch, [f], bulk_expected=True)]
    assert results[0]["errors"] == []
    assert [a[13] for a in state["assets"]] == [
        "Borgerservice",
        "Borgerservice",
        "Borgerservice",
        "Biblioteket",
    ]
    assert {t[2] for t in state["tally"]} == {"Borgerservice", "Biblioteket"}


def test_a_nul_in_a_utf16_file_is_refused_like_one_in_utf8(tmp_path, plan, fresh_db):
    text = HEAD + "T-1,laptop,A\x00B,,raadhus,,,\n"
    for name, raw in (
        ("u8.csv", text.encode()),
        ("u16.csv", codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
    ):
        f = _write(tmp_path, name, "")
        f.write_bytes(raw)
        with pytest.raises(UnreadableFile, match=rf"{name}:2: not a text file \(a NUL byte\)"):
            import_file(fresh_db, plan, f)
    assert fresh_db.execute("SELECT count(*) FROM assets").fetchone() == (0,)
    assert cells.decode(codecs.BOM_UTF16_LE + "tag\nA\n".encode("utf-16-le")).text == "tag\nA\n"


@pytest.mark.parametrize(
    ("text", "bulk_expected"),
    [
        ("\ufeff" + HEAD + TWO, True),  # a BOM
        ((HEAD + TWO).replace("\n", "\r\n"), True),  # CRLF
        ((HEAD + TWO).replace("\n", "\r"), False),  # lone CR (old Mac)
        (HEAD + TWO + "\n\n", False),  # trailing empty lines
        (HEAD + TWO.replace("\n", "\n   \n", 1), False),  # a blank line mid-file
        ((HEAD + TWO).replace(",", "\t"), True),
        ((HEAD + TWO).replace(",", ";"), True),
        (HEAD.upper().replace(",", " , ") + TWO, True),  # header case and spaces
        (HEAD + TWO.rstrip("\n"), True),  # no newline at the end
        (HEAD + "T-1,laptop,=1+2,,raadhus,,,+45\nT-2,laptop,@x,,raadhus,,,-3\n", True),
        (HEAD + "T-1,laptop,'=1+2,,raadhus,,,'+45\n", True),
        (HEAD + "T-1\u00a0,laptop,A\u2028B\x85,,raadhus,,,x\x0b\x0c\x1c\n", True),
        (HEAD + "T-a,laptop,A,,raadhus,,,\nT-A,laptop,B,,raadhus,,,\n", False),
        (HEAD + "T-1-,laptop,A,,raadhus,,,\nT1,laptop,B,,raadhus,,,\n", False),
        (HEAD + "\u0422-1,laptop,A,,raadhus,,,\n", False),  # Cyrillic Te
        (HEAD + "T-1\x07,laptop,A,,raadhus,,,\n", False),
        (HEAD + "loc .1,laptop,A,,raadhus,,,\n", False),
        (HEAD + "T-1,laptop,A,,raadhus\n", False),  # a short row
        (HEAD + "T-1,laptop,A,,raadhus,,,,,\n", False),  # a long row, extra cells empty
        (HEAD + "T-1,laptop," + "x" * 200_000 + ",,raadhus,,,\n", True),
        (FULL + "T-1,laptop,A,,raadhus,,,,,,,01/23/2023,,,,\n", False),
        (FULL + "T-1,laptop,A,,raadhus,,,,,,,2023/1/2 10:00,,,,\n", True),
        (FULL + "M-1,mitid_displays,A,,raadhus,in_service,,,,,,,,,+5,\n", True),
        (FULL + "M-1,mitid_displays,A,,raadhus,in_service,,,,,,,,, 0 ,\n", True),
        (FULL + "M-1,mitid_displays,A,,raadhus,,,,,,,,,,1e3,\n", False),
        (FULL + "M-1,mitid_displays,A,,raadhus,,,,,,,,,,1_000,\n", False),
        (FULL + "M-1,mitid_displays,A,,raadhus,,,,,,,,,,1000001,\n", False),
        # A kit part at another site than its workstation.
        (FULL + "W-1,pass_ws,P,,raadhus,,,,,,,,,,,\nP-1,camera,A,,bib_nord,,,,,,,,,W-1,,\n", True),
    ],
)
def test_hostile_files_read_the_same_both_ways(tmp_path, plan, monkeypatch, text, bulk_expected):
    f = _write(tmp_path, "in.csv", text)
    _both(tmp_path, plan, monkeypatch, [f], bulk_expected=bulk_expected)


def _big(n: int, kind: str, *, q: str = "", site: str = "raadhus", **more: str) -> str:
    step, dept = more.get("step", "in_service"), more.get("dept", "")
    rows = (f"T-{i:05d},{kind},N{i},,{site},{step},,,,,,,{dept},,{q}," for i in range(n))
    return FULL + "\n".join(rows) + "\n"


def _schema(db) -> list[tuple]:
    return db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()


@pytest.mark.parametrize("n", [BULK - 1, BULK])
def test_a_reimport_at_the_bulk_threshold_keeps_schema_and_tally(tmp_path, plan, monkeypatch, n):
    """At BULK rows every index and the tally's triggers are dropped and built again: the
    database must come out with the schema a new one has, and a tally equal to a recount."""
    files = [
        _write(tmp_path, "a.csv", _big(n, "mitid_displays", q="5")),
        _write(tmp_path, "b.csv", _big(n, "mitid_displays", q="7", site="bib_nord")),
        _write(tmp_path, "c.csv", _big(n, "headset", dept="Biblioteket", step="faulty")),
    ]
    _both(tmp_path, plan, monkeypatch, files, bulk_expected=True)
    new = store.open_db(tmp_path / "new.db")
    for way in ("bulk", "loop"):
        db = store.open_db(tmp_path / f"{way}.db")
        assert _schema(db) == _schema(new), way
        assert tallies.differences(db.conn) == []
        assert db.execute("SELECT count(*) FROM readiness_tally").fetchone() == (0,)
        db.close()


def _m015_with_sqlite_utils(db) -> None:
    """A later migration as sqlite-utils' docs (and docs/style) write them."""
    db["assets"].add_column("warranty", str, not_null_default="")


def test_a_later_migration_using_sqlite_utils_works_on_a_new_database(tmp_path, monkeypatch):
    monkeypatch.setattr(migrations, "_FUNCTIONS", [*migrations._FUNCTIONS, _m015_with_sqlite_utils])
    monkeypatch.setattr(migrations, "_SET", [])
    old = Database(store.connect(tmp_path / "old.db"))
    with store.write(old):
        migrations.migrations.apply(SqliteUtilsDatabase(old.conn, execute_plugins=False))
    new = Database(store.connect(tmp_path / "new.db"))
    with store.write(new):
        migrations.apply(new)
    assert _schema(new) == _schema(old)


def test_a_database_made_new_takes_a_later_migration_as_one_sqlite_utils_made(
    tmp_path, monkeypatch
):
    made = []
    for name, by_sqlite_utils in (("ours.db", False), ("theirs.db", True)):
        db = Database(store.connect(tmp_path / name))
        with store.write(db):
            if by_sqlite_utils:
                migrations.migrations.apply(SqliteUtilsDatabase(db.conn, execute_plugins=False))
            else:
                migrations.apply(db)
        made.append(db)
    monkeypatch.setattr(migrations, "_FUNCTIONS", [*migrations._FUNCTIONS, _m015_with_sqlite_utils])
    monkeypatch.setattr(migrations, "_SET", [])
    for db in made:
        assert migrations.pending(db)
        with store.write(db):
            migrations.apply(db)  # not new: through sqlite-utils
    assert _schema(made[0]) == _schema(made[1])
    log = "SELECT id, migration_set, name FROM _sqlite_migrations ORDER BY id"
    assert made[0].execute(log).fetchall() == made[1].execute(log).fetchall()


def test_a_large_file_into_a_much_larger_table_keeps_its_indexes(fresh_db, plan, tmp_path):
    """Dropping and building every index costs the whole table: BULK rows into three times as
    many assets took 1.5 times as long as keeping the indexes (bench/bench_import_rebuild.py).
    """
    stored = _write(tmp_path, "stored.csv", _big(3 * BULK, "laptop"))
    assert import_file(fresh_db, plan, stored).created == 3 * BULK
    more = FULL + "".join(
        f"N-{i:05d},headset,N,,bib_nord,in_service,,,,,,,,,,\n" for i in range(BULK)
    )
    statements: list[str] = []
    fresh_db.conn.set_trace_callback(statements.append)
    result = import_file(fresh_db, plan, _write(tmp_path, "more.csv", more))
    fresh_db.conn.set_trace_callback(None)
    assert result.created == BULK and result.stored == 3 * BULK
    assert not [s for s in statements if s.startswith(("DROP", "CREATE"))]
    assert tallies.differences(fresh_db.conn) == []
    assert rebuilds(BULK, 2 * BULK) and rebuilds(BULK, 0) and not rebuilds(BULK - 1, 0)
    assert not rebuilds(BULK, 2 * BULK + 1)


SNIPE = "Asset Tag,Asset Name,Category,Location,Status,Kit\n"
KIT = FULL + (
    "W-1,pass_ws,P,,raadhus,in_service,,,,,,,,,,\nP-1,camera,C,,raadhus,in_service,,,,,,,,W-1,,\n"
)


@pytest.mark.parametrize(
    ("head", "second", "why"),
    [
        (HEAD, "W-1,laptop,P,,raadhus,in_service,,", "which would be a Bærbar"),
        (HEAD, "P-1,laptop,C,,raadhus,in_service,,", "has no place for it"),
        (FULL, "W-2,pass_ws,P,,raadhus,,,,,,,,,,,\nW-1,camera,P,,raadhus,,,,,,,,,W-2,,", "'W-2'"),
        (HEAD, "W-1,pass_ws,Renamed,,bib_nord,installed,,", ""),  # same kind: fine
        (HEAD, "P-1,signature_pad,C,,raadhus,in_service,,", ""),  # another slot, same kit
        (SNIPE, "P-1,C,laptop,raadhus,Ready to Deploy,", "no place"),  # empty Kit: kept
        (SNIPE, "P-1,C,camera,raadhus,Ready to Deploy,", ""),
    ],
)
def test_a_reimport_cannot_leave_stored_parts_in_the_kit_of_a_non_workstation(
    tmp_path, plan, monkeypatch, head, second, why
):
    """Both ways, a re-import changed the kind of a workstation whose stored parts name it as
    their kit (or of a part), leaving a camera in the kit of a laptop: a row an import refuses,
    so the database's export did not import again."""
    files = [_write(tmp_path, "a.csv", KIT), _write(tmp_path, "b.csv", f"{head}{second}\n")]
    ((results, state),) = [_both(tmp_path, plan, monkeypatch, files, bulk_expected=True)]
    errors = results[1]["errors"]
    if not why:
        assert errors == [] and results[1]["updated"] == 1
        return
    assert len(errors) == 1 and why in errors[0] and "'P-1'" in errors[0], errors
    assert errors[0].startswith(f"{files[1]}:")
    assert [a[2] for a in state["assets"]] == ["camera", "pass_ws"]  # nothing written


def test_a_reimport_cannot_leave_a_quantity_on_a_kind_that_is_not_stock(
    tmp_path, plan, monkeypatch
):
    files = [
        _write(tmp_path, "a.csv", FULL + "M-1,mitid_displays,A,,raadhus,in_service,,,,,,,,,5,\n"),
        _write(tmp_path, "b.csv", "tag,kind,name,site\nM-1,laptop,A,raadhus\n"),
    ]
    ((results, state),) = [_both(tmp_path, plan, monkeypatch, files, bulk_expected=True)]
    # Kept on a laptop, the box's 5 made a row the import itself refuses: an export of the
    # database did not import again.
    assert results[1]["errors"] == [
        f"{files[1]}:2: 'M-1' holds a quantity of 5, which a Bærbar arbejdscomputer cannot:"
        " only stock kinds are counted (give the row a quantity of 1)"
    ]
    assert state["assets"][0][2] == "mitid_displays"  # nothing written
    fixed = _write(tmp_path, "c.csv", "tag,kind,name,site,quantity\nM-1,laptop,A,raadhus,1\n")
    assert import_file(store.open_db(tmp_path / "bulk.db"), plan, fixed).ok
