"""A new database is migrated without sqlite-utils, into the same schema sqlite-utils makes.

`migrations.apply` on an empty database runs every migration itself (sqlite-utils takes ~45 ms
to import, a twentieth of a first `tracker import` of 100,000 rows); any other database goes
through `sqlite_utils.Migrations`. The two must be indistinguishable, or a later migration run
by sqlite-utils would find a log it does not know.
"""

from __future__ import annotations

import re

import pytest
from conftest import loads_module
from sqlite_utils import Database as SqliteUtilsDatabase

from tracker import migrations, store
from tracker.database import Database


def _new(path, *, by_sqlite_utils: bool) -> Database:
    db = Database(store.connect(path))
    with store.write(db):
        if by_sqlite_utils:
            migrations.migrations.apply(SqliteUtilsDatabase(db.conn, execute_plugins=False))
        else:
            migrations.apply(db)
    return db


def _schema(db) -> list[tuple]:
    return db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()


def test_a_new_database_gets_the_schema_and_log_sqlite_utils_makes(tmp_path):
    ours = _new(tmp_path / "ours.db", by_sqlite_utils=False)
    theirs = _new(tmp_path / "theirs.db", by_sqlite_utils=True)
    assert _schema(ours) == _schema(theirs)
    log = "SELECT id, migration_set, name FROM _sqlite_migrations ORDER BY id"
    assert ours.execute(log).fetchall() == theirs.execute(log).fetchall()
    assert [r[2] for r in ours.execute(log)] == migrations.names()
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\+00:00")
    for db in (ours, theirs):
        for (at,) in db.execute("SELECT applied_at FROM _sqlite_migrations"):
            assert stamp.fullmatch(at), at
    for table in migrations.TABLES:
        count = f"SELECT count(*) FROM {table}"
        assert ours.execute(count).fetchone() == theirs.execute(count).fetchone(), table
    # sqlite-utils finds nothing to do in ours, and changes nothing applying it.
    before = _schema(ours)
    wrapped = SqliteUtilsDatabase(ours.conn, execute_plugins=False)
    assert migrations.migrations.pending(wrapped) == []
    with store.write(ours):
        migrations.migrations.apply(wrapped)
    assert _schema(ours) == before
    assert not migrations.pending(ours)


def test_a_failing_migration_leaves_the_new_database_empty(tmp_path, monkeypatch):
    def m999_broken(db) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("broken migration")

    monkeypatch.setattr(migrations, "_FUNCTIONS", [*migrations._FUNCTIONS, m999_broken])
    db = Database(store.connect(tmp_path / "new.db"))
    with pytest.raises(RuntimeError, match="broken migration"), store.write(db):
        migrations.apply(db)
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_a_first_import_into_a_new_database_does_not_import_sqlite_utils(tmp_path):
    csv_path = tmp_path / "in.csv"
    csv_path.write_text("tag,kind,name,site\nX-1,laptop,Laptop,raadhus\n", encoding="utf-8")
    db_path = tmp_path / "new.db"
    assert loads_module(["--db", str(db_path), "import", str(csv_path)], "sqlite_utils") == (
        0,
        False,
    )
    assert not migrations.pending(store.open_db(db_path))
