"""Counted equipment per (site, kind, department, holder), kept current by triggers.

Readiness needs, on every refresh, how many assets of each kind count at each site. Grouping
100,000 assets for that costs tens of milliseconds each time; a tally kept up to date as
assets change costs a few microseconds per write and a read of a few thousand rows. SQLite
triggers keep it, so every path that writes an asset (scan, undo, import, count, mark,
stocktake, sync) is covered without having to remember it. A bulk import drops the triggers,
writes, then rebuilds the tally in the same transaction (`suspend`, `rebuild`).

A later migration that rebuilds `assets` (a new table copied over) drops its triggers: it
must call `rebuild`; so must one that changes `TRIGGERS` (tests/test_review11.py checks that
a migrated database has exactly the triggers this module makes).

Only plain counts live here: whether a kiosk's check is fresh or a workstation's kit is whole
depends on the clock and on other rows, so `units` reads those kinds from the assets.
"""

from __future__ import annotations

import sqlite3

COUNTED_STEPS = ("in_service", "installed")
"""The steps in which an asset counts towards readiness."""

TABLE = """CREATE TABLE IF NOT EXISTS readiness_tally (
    site TEXT NOT NULL, kind TEXT NOT NULL, department TEXT NOT NULL, holder TEXT NOT NULL,
    n INTEGER NOT NULL, quantity INTEGER NOT NULL,
    PRIMARY KEY (site, kind, department, holder)
) WITHOUT ROWID"""

_IN = f"IN ({', '.join(repr(s) for s in COUNTED_STEPS)})"
_KEY = "site = {r}.site AND kind = {r}.kind AND department = {r}.department AND holder = {r}.holder"
_ADD = (
    "INSERT INTO readiness_tally (site, kind, department, holder, n, quantity)"
    " SELECT NEW.site, NEW.kind, NEW.department, NEW.holder, 1, NEW.quantity"
    f" WHERE NEW.step {_IN}"
    " ON CONFLICT (site, kind, department, holder)"
    " DO UPDATE SET n = n + 1, quantity = quantity + excluded.quantity;"
)
_REMOVE = (
    "UPDATE readiness_tally SET n = n - 1, quantity = quantity - OLD.quantity"
    f" WHERE OLD.step {_IN} AND {_KEY.format(r='OLD')};"
    f" DELETE FROM readiness_tally WHERE n <= 0 AND {_KEY.format(r='OLD')};"
)
TRIGGERS = {
    "readiness_tally_insert": f"AFTER INSERT ON assets WHEN NEW.step {_IN} BEGIN {_ADD} END",
    "readiness_tally_delete": f"AFTER DELETE ON assets WHEN OLD.step {_IN} BEGIN {_REMOVE} END",
    "readiness_tally_update": (
        "AFTER UPDATE OF site, kind, department, holder, step, quantity ON assets"
        f" WHEN OLD.step {_IN} OR NEW.step {_IN} BEGIN {_REMOVE} {_ADD} END"
    ),
}
INDEX = (
    "CREATE INDEX IF NOT EXISTS assets_counted ON assets"
    f"(kind, site, department, holder, tag, quantity, step) WHERE step {_IN}"
)
"""Counted assets by kind: kiosks and kit workstations, whose conditions are checked asset by
asset, are found without a pass over every asset."""
FILL = (
    "INSERT INTO readiness_tally (site, kind, department, holder, n, quantity)"
    " SELECT site, kind, department, holder, count(*), sum(quantity) FROM assets"
    f" WHERE step {_IN} GROUP BY site, kind, department, holder"
)


def create(conn: sqlite3.Connection) -> None:
    """The table, filled from the assets, and its triggers (a migration calls this)."""
    conn.execute(TABLE)
    rebuild(conn)


def suspend(conn: sqlite3.Connection) -> None:
    """Drop the triggers and the index before a bulk write; `rebuild` afterwards, in the same
    transaction (so a failed import still writes nothing)."""
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("DROP INDEX IF EXISTS assets_counted")


def rebuild(conn: sqlite3.Connection) -> None:
    """Count again from the assets and (re)create the index and the triggers."""
    suspend(conn)
    conn.execute("DELETE FROM readiness_tally")
    conn.execute(FILL)
    conn.execute(INDEX)
    for name, body in TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER {name} {body}")


def intact(conn: sqlite3.Connection) -> bool:
    """Whether the triggers that keep the tally are all there (a database changed outside the
    tracker may have lost them: then the tally cannot be trusted, and `units` counts anew)."""
    found = conn.execute(
        f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN"
        f" ({', '.join('?' * len(TRIGGERS))})",
        list(TRIGGERS),
    ).fetchone()[0]
    return found == len(TRIGGERS)


def differences(conn: sqlite3.Connection) -> list[tuple]:
    """Rows where the tally and a fresh count disagree (none, unless something bypassed the
    triggers): for the tests."""
    return conn.execute(
        "SELECT * FROM (SELECT site, kind, department, holder, n, quantity FROM readiness_tally"
        " EXCEPT SELECT site, kind, department, holder, count(*), sum(quantity) FROM assets"
        f" WHERE step {_IN} GROUP BY 1, 2, 3, 4)"
        " UNION ALL SELECT * FROM (SELECT site, kind, department, holder, count(*),"
        f" sum(quantity) FROM assets WHERE step {_IN} GROUP BY 1, 2, 3, 4"
        " EXCEPT SELECT site, kind, department, holder, n, quantity FROM readiness_tally)"
    ).fetchall()
