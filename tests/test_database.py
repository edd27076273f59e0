"""`tracker.database.Database` keeps sqlite-utils' transaction rules: the same steps through it
and through a sqlite-utils `Database` leave the same rows, seen from a second connection."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database as SqliteUtilsDatabase

from tracker import store
from tracker.database import Database, _first_keyword


def _steps(db, path) -> list:
    """What another connection sees after each step, and whether a transaction is open."""
    other = sqlite3.connect(path)
    seen = []

    def look(label: str) -> None:
        rows = [r[0] for r in other.execute("SELECT x FROM t ORDER BY x")]
        seen.append((label, rows, db.conn.in_transaction))

    db.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (?)", [1])
    look("a write outside a transaction is committed")
    db.execute("/* note */ -- and another\n INSERT INTO t VALUES (:x)", {"x": 2})
    look("also after comments, with named parameters")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO t VALUES (1)")
    look("a failed write leaves no transaction open")
    with store.write(db):
        db.execute("INSERT INTO t VALUES (3)")
        look("inside a transaction: not yet")
        db.executescript("INSERT INTO t VALUES (4); INSERT INTO t VALUES (5);")
        look("a script inside a transaction does not commit it")
    look("all at the commit")
    with pytest.raises(RuntimeError), store.write(db):
        db.executescript("INSERT INTO t VALUES (6); DELETE FROM t WHERE x = 1;")
        raise RuntimeError
    look("a script rolled back with its transaction")
    db.execute("BEGIN")
    db.execute("INSERT INTO t VALUES (7)")
    look("an explicit BEGIN is left open")
    db.execute("COMMIT")
    db.executescript("INSERT INTO t VALUES (8); INSERT INTO t VALUES (9);")
    look("a script outside a transaction is committed")
    assert [r[0] for r in db.execute("SELECT x FROM t WHERE x > ?", [7])] == [8, 9]
    other.close()
    return seen


def test_the_same_steps_leave_the_same_rows_as_with_sqlite_utils(tmp_path):
    ours = _steps(Database(sqlite3.connect(tmp_path / "ours.db")), tmp_path / "ours.db")
    theirs = _steps(
        SqliteUtilsDatabase(sqlite3.connect(tmp_path / "theirs.db"), execute_plugins=False),
        tmp_path / "theirs.db",
    )
    assert ours == theirs
    assert ours[0] == ("a write outside a transaction is committed", [1], False)
    assert ours[3] == ("inside a transaction: not yet", [1, 2], True)
    assert ours[5][1] == [1, 2, 3, 4, 5]
    assert ours[6][1] == [1, 2, 3, 4, 5]
    assert ours[7] == ("an explicit BEGIN is left open", [1, 2, 3, 4, 5], True)


@pytest.mark.parametrize(
    ("sql", "keyword"),
    [
        ("  begin immediate", "BEGIN"),
        ("\ufeff;; -- x\n/* y */ Commit", "COMMIT"),
        ("-- only a comment", ""),
        ("/* unterminated", ""),
        ("insert_x", "INSERT_X"),
    ],
)
def test_the_first_keyword_is_found_past_comments(sql, keyword):
    assert _first_keyword(sql) == keyword
