"""The database handle every module is given: an sqlite3 connection and the four members of
sqlite-utils' `Database` the tracker uses (`conn`, `execute`, `executescript`, `close`).

sqlite-utils takes ~45 ms to import (its 4,000-line `db` module, click, pluggy, dateutil), a third
of a whole `tracker scan`, which needs none of it: the tracker writes plain SQL. It is imported
only where it works, to apply pending migrations with `sqlite_utils.Migrations`
(`tracker.migrations.apply`, on a sqlite-utils `Database` over the same connection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any


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
        if parameters is None:
            return self.conn.execute(sql)
        return self.conn.execute(sql, parameters)  # type: ignore[arg-type]

    def executescript(self, sql: str) -> sqlite3.Cursor:
        return self.conn.executescript(sql)

    def close(self) -> None:
        self.conn.close()
