"""The database handle every module is given: an sqlite3 connection and the members of
sqlite-utils' `Database` the tracker uses (`conn`, `execute`, `executescript`, `close`), with
sqlite-utils' transaction rules.

sqlite-utils takes ~45 ms to import (its 4,000-line `db` module, click, pluggy, dateutil), a third
of a whole `tracker scan`, which needs none of it: the tracker writes plain SQL. It is imported
only where it works, to apply pending migrations with `sqlite_utils.Migrations`
(`tracker.migrations.apply`, on a sqlite-utils `Database` over the same connection).

The rules, as sqlite-utils 4 has them (tests/test_database.py holds the two side by side): a
write outside a transaction is committed at once (and rolled back if it fails); inside one
(`store.write`) it waits for the transaction's COMMIT; a script run inside a transaction runs
statement by statement, as sqlite3's `executescript` would commit first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

_TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"})


class Database:
    """An open tracker database; `store.open_db` makes it with the durability settings."""

    conn: sqlite3.Connection
    """The connection: `conn.execute`, `conn.executemany`, `conn.in_transaction`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        # As sqlite-utils' Database sets it, so a trigger behaves the same whichever opened it.
        conn.execute("PRAGMA recursive_triggers=on")

    def execute(
        self, sql: str, parameters: Iterable[Any] | Mapping[str, Any] | None = None
    ) -> sqlite3.Cursor:
        """Run one statement; a write outside a transaction is committed (see the module)."""
        conn = self.conn
        was_in_transaction = conn.in_transaction
        try:
            cursor = conn.execute(sql) if parameters is None else conn.execute(sql, parameters)
        except Exception:
            if not was_in_transaction and conn.in_transaction:
                conn.execute("ROLLBACK")  # the implicit transaction the failed write opened
            raise
        if (
            not was_in_transaction
            and conn.in_transaction
            and cursor.description is None
            and _first_keyword(sql) not in _TRANSACTION_CONTROL
        ):
            conn.execute("COMMIT")
        return cursor

    def executescript(self, sql: str) -> sqlite3.Cursor:
        """Run several statements; inside a transaction without committing it first."""
        if self.conn.in_transaction:
            cursor = self.conn.cursor()
            for statement in _statements(sql):
                cursor.execute(statement)
            return cursor
        return self.conn.executescript(sql)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_keyword(sql: str) -> str:
    """The statement's first keyword, upper case, past blanks, comments, `;` and a BOM."""
    i, n = 0, len(sql)
    while i < n:
        if sql[i].isspace() or sql[i] in (";", "\ufeff"):
            i += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            if newline == -1:
                return ""
            i = newline + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                return ""
            i = end + 2
        else:
            break
    j = i
    while j < n and (sql[j].isalpha() or sql[j] == "_"):
        j += 1
    return sql[i:j].upper()


def _statements(sql: str) -> Iterator[str]:
    """The complete statements of a script, as SQLite tells them apart: the ones sqlite-utils'
    character-by-character loop yields, tried only at each `;` (a complete statement ends in
    one), not by joining the text again at every character (6 of a new database's 17 ms)."""
    start = 0
    at = sql.find(";")
    while at != -1:
        text = sql[start : at + 1].strip()
        if text and sqlite3.complete_statement(text):
            yield text
            start = at + 1
        at = sql.find(";", at + 1)
    text = sql[start:].strip()
    if text:
        yield text
