"""The SQLite store: opening it safely, write transactions, and the read queries others share.

Durability and concurrency are decided here, once:
- WAL with ``synchronous=FULL``: a commit is fsynced before the caller is told it succeeded, so an
  acknowledged scan survives a killed process or a power cut.
- Every write transaction starts with ``BEGIN IMMEDIATE`` and the connection waits up to
  ``BUSY_TIMEOUT_MS`` for the write lock. A deferred transaction that reads and then writes can
  fail at once with "database is locked" when another process committed in between; taking the
  write lock first makes concurrent writers queue instead.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tracker import dbfile, files, migrations, station, tallies
from tracker.database import Database
from tracker.dbfile import StoreError  # re-exported: callers catch store.StoreError
from tracker.replica import state as replica_state

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["StoreError"]

BUSY_TIMEOUT_MS = 60_000
STEPS = ("in_service", "packed", "arrived", "installed", "faulty", "missing")
COUNTED_STEPS = tallies.COUNTED_STEPS
"""Steps in which an asset at a site counts towards that site's readiness."""


def default_db_path() -> str:
    return os.environ.get("TRACKER_DB") or "tracker.db"


def now() -> str:
    """UTC time as ISO 8601 with milliseconds; sorts as text."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def connect(path: str | Path) -> sqlite3.Connection:
    """A raw connection with the tracker's durability and locking settings (no migrations).

    For a second connection to a database `open_db` already opened, e.g. in a worker thread.
    """
    path = str(path)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    if path != ":memory:":
        # From now on SQLite may hold locks on it: no plain file I/O on it (dbfile docstring).
        dbfile.hold(path)
        files.protect(path)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal" and path != ":memory:":
        raise StoreError(f"{path}: cannot switch to WAL journal mode (got {mode})")
    conn.execute("PRAGMA synchronous=FULL")
    if path != ":memory:" and replica_state.active(path):
        # Litestream replicates this database and does its checkpoints (PASSIVE, TRUNCATE
        # past ~500 MB). Ours would only race it for the WAL; see docs/continuity.md.
        conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("PRAGMA foreign_keys=ON")
    # Index builds and sorts of a large import stay in memory instead of a temp file.
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA cache_size=-32000")
    return conn


def open_db(
    path: str | Path,
    *,
    create: bool = True,
    init: Callable[[Database], str] | None = None,
    bind: bool = True,
) -> Database:
    """Open and migrate the tracker database at `path`.

    A missing file is made (schema, then `init`, e.g. seeding) in one step other processes wait
    for, when `create`; else it is an error naming the path. A file that is not a tracker
    database this version can open is refused unchanged (see `dbfile`). `bind=False` leaves
    the station identity alone: for another station's file opened only to merge into it
    (`tracker sync --both`)."""
    path = str(path)
    if path != ":memory:":
        if not os.path.exists(path):
            dbfile.wait_for_creation(path)
        if not os.path.exists(path):
            if not create:
                raise StoreError(dbfile.missing_message(path))

            def build(tmp: str) -> None:
                db = _open_checked(tmp, bind=False)  # bound under its real name below
                try:
                    if init is not None:
                        message = init(db)
                        if message:
                            created_messages.append(message)
                finally:
                    db.close()

            dbfile.create_new(path, build)
        kind = dbfile.check_existing(path, migrations.SET_NAME, set(migrations.names()))
        if kind == "empty" and not create:
            raise StoreError(f"{path} is an empty file, not a tracker database yet")
    db = _open_checked(path, bind=bind)
    files.protect(path)
    return db


created_messages: list[str] = []
"""What `init` said when this process made a new database (the CLI prints it)."""


def _open_checked(path: str, *, bind: bool) -> Database:
    try:
        db = Database(connect(path))
        if migrations.pending(db):
            if str(path) == ":memory:":
                with write(db):
                    migrations.apply(db)
            else:
                db.close()
                _migrate(path)
                db = Database(connect(path))
        missing = required_tables() - {
            r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if (
            not missing
            and bind
            and str(path) != ":memory:"
            and station.needs_binding(db, str(path))
        ):
            with write(db):
                station.bind(db, str(path), station.default_name())
    except sqlite3.OperationalError:
        raise  # full, read-only, locked, I/O: a fault of the disk, not of the file (faults.py)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: cannot open the tracker database: {e}") from e
    if missing:
        db.close()
        raise StoreError(
            f"{path}: damaged tracker database: table {sorted(missing)[0]!r} is missing;"
            " restore it from a backup"
        )
    return db


def _migrate(path: str) -> None:
    """Apply pending migrations on a connection of their own, closed before the lock is let go.

    A migration written with executescript commits the write transaction midway; the lock (a
    descriptor of the file) keeps a second process from starting the same migrations meanwhile.
    Closing that descriptor drops every POSIX lock this process holds on the file, so no
    connection may be open across it: one that was went on unlocked, another process deleted
    the -wal it was reading, and its later writes were lost (see dbfile.check_existing)."""
    with dbfile.migration_lock(path):
        db = Database(connect(path))
        try:
            with write(db):
                if migrations.pending(db):  # another process may have migrated meanwhile
                    migrations.apply(db)
        finally:
            db.close()


def required_tables() -> set[str]:
    """The tables the migrations make."""
    return set(migrations.TABLES)


def db_file(db: Database) -> str:
    """The file behind `db` ('' for an in-memory database)."""
    return db.execute("PRAGMA database_list").fetchone()[2]


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction that queues for the lock instead of failing (see module docstring)."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def snapshot(db: Database) -> Iterator[None]:
    """A read transaction: every query inside sees the same committed state (WAL readers do
    not block writers). Inside a transaction already, that one serves."""
    conn = db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def sample_source(db: Database) -> str | None:
    """The sample inventory this database was seeded from, until a real import replaces it."""
    row = db.execute("SELECT value FROM settings WHERE key = 'sample_inventory'").fetchone()
    return row[0] if row else None


def set_sample_source(db: Database, source: str | None) -> None:
    """Mark (or, with None, unmark) the database as holding the sample inventory; call inside
    `write`."""
    if source is None:
        db.execute("DELETE FROM settings WHERE key = 'sample_inventory'")
    else:
        db.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('sample_inventory', ?)", [source]
        )


def data_version(db: Database) -> int:
    """Changes whenever another connection commits: a constant-cost way to notice new data."""
    return db.conn.execute("PRAGMA data_version").fetchone()[0]


@dataclass(frozen=True)
class Asset:
    """An asset as the `assets` table holds it now: what it is, where, in which step."""

    tag: str
    key: str
    kind: str
    name: str
    serial: str
    home_site: str
    site: str
    step: str
    hostname: str
    notes: str
    last_seen: str | None
    updated_at: str
    manufacturer: str = ""
    model: str = ""
    purchase_date: str = ""
    department: str = ""
    kit: str = ""
    """The tag of the workstation this part belongs to ('' for stand-alone equipment)."""
    holder: str = ""
    """Who took it home (a home workplace), '' otherwise."""
    quantity: int = 1
    """How many a box of stock holds (1 for equipment)."""


ASSET_COLUMNS = ", ".join(Asset.__dataclass_fields__)


def _asset(row: tuple[Any, ...] | None) -> Asset | None:
    return Asset(*row) if row else None


def asset_by_key(db: Database, key: str) -> Asset | None:
    return _asset(db.execute(f"SELECT {ASSET_COLUMNS} FROM assets WHERE key = ?", [key]).fetchone())


def asset_by_tag(db: Database, tag: str) -> Asset | None:
    return _asset(db.execute(f"SELECT {ASSET_COLUMNS} FROM assets WHERE tag = ?", [tag]).fetchone())


def find_asset(db: Database, tag_or_code: str) -> Asset | None:
    """An asset by its exact tag, or by what its label carries."""
    from tracker import codes

    found = asset_by_tag(db, tag_or_code)
    if found is None:
        code = codes.parse(tag_or_code)
        if code is not None and code.kind == "asset":
            found = asset_by_key(db, code.key)
    return found


def assets(
    db: Database,
    *,
    search: str = "",
    order_by: str = "tag",
    descending: bool = False,
    limit: int | None = None,
    offset: int = 0,
    kind: str | None = None,
) -> list[Asset]:
    """Assets for listings: `search` matches tag, name, serial, site, kind or hostname."""
    if order_by not in Asset.__dataclass_fields__:
        raise ValueError(f"cannot sort by {order_by!r}")
    where, params = [], []
    if search:
        like = f"%{search}%"
        where.append(
            "(tag LIKE ? OR name LIKE ? OR serial LIKE ? OR site LIKE ? OR kind LIKE ?"
            " OR hostname LIKE ?)"
        )
        params += [like] * 6
    if kind:
        where.append("kind = ?")
        params.append(kind)
    sql = f"SELECT {ASSET_COLUMNS} FROM assets"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {order_by} {'DESC' if descending else 'ASC'}, tag"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [Asset(*row) for row in db.execute(sql, params).fetchall()]


def count_assets(db: Database, search: str = "") -> int:
    if not search:
        return db.execute("SELECT count(*) FROM assets").fetchone()[0]
    like = f"%{search}%"
    return db.execute(
        "SELECT count(*) FROM assets WHERE tag LIKE ? OR name LIKE ? OR serial LIKE ?"
        " OR site LIKE ? OR kind LIKE ? OR hostname LIKE ?",
        [like] * 6,
    ).fetchone()[0]


def _dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def history(db: Database, tag: str) -> list[dict[str, Any]]:
    """An asset's events, oldest first."""
    cur = db.execute(
        "SELECT id, at, action, step, site, prev_step, prev_site, operator, station, code,"
        " flag, undone_by, note FROM events WHERE tag = ? ORDER BY id",
        [tag],
    )
    return _dicts(cur)


def recent_events(db: Database, limit: int = 50, *, flagged_only: bool = False) -> list[dict]:
    """The newest events first: the move's timeline and its exceptions."""
    sql = (
        "SELECT e.id, e.at, e.tag, a.name, a.kind, e.action, e.step, e.site, e.operator,"
        " e.station, e.flag, e.undone_by, e.code FROM events e LEFT JOIN assets a ON a.tag = e.tag"
    )
    if flagged_only:
        sql += " WHERE e.flag != '' AND e.undone_by IS NULL"
    sql += " ORDER BY e.id DESC LIMIT ?"
    cur = db.execute(sql, [limit])
    return _dicts(cur)


def unknown_scans(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    cur = db.execute(
        "SELECT id, at, code, site, step, operator, station FROM unknown_scans"
        " ORDER BY id DESC LIMIT ?",
        [limit],
    )
    return _dicts(cur)


def latest_scan_at(db: Database) -> str | None:
    return db.execute("SELECT max(at) FROM events").fetchone()[0]


def record_kiosk_result(
    db: Database,
    *,
    tag: str,
    host: str,
    verdict: str,
    detail: str,
    report: str | None,
    checked_at: str | None = None,
) -> None:
    """Store one kiosk check in the history and as the kiosk's latest result, atomically."""
    at = checked_at or now()
    with write(db):
        db.execute(
            "INSERT INTO kiosk_checks (tag, host, verdict, checked_at, detail, report)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [tag, host, verdict, at, detail, report],
        )
        db.execute(
            "INSERT INTO kiosk_latest (tag, host, verdict, checked_at, detail)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(tag) DO UPDATE SET host = excluded.host,"
            " verdict = excluded.verdict, checked_at = excluded.checked_at,"
            " detail = excluded.detail",
            [tag, host, verdict, at, detail],
        )


def kiosk_latest(db: Database) -> dict[str, dict[str, str]]:
    """The latest check of every kiosk that has one, by tag."""
    cur = db.execute("SELECT tag, host, verdict, checked_at, detail FROM kiosk_latest")
    return {
        row[0]: {"host": row[1], "verdict": row[2], "checked_at": row[3], "detail": row[4]}
        for row in cur.fetchall()
    }


def kiosk_history(db: Database, tag: str, limit: int = 50) -> list[dict[str, Any]]:
    cur = db.execute(
        "SELECT id, host, verdict, checked_at, detail, report FROM kiosk_checks WHERE tag = ?"
        " ORDER BY id DESC LIMIT ?",
        [tag, limit],
    )
    return _dicts(cur)


NEAR_BY_INDEX_UP_TO = 40
"""Keys up to this long have their one-slip variants looked up in the key index; a longer one
(a long QR code, garbage from a scanner) is compared with the keys of about its length
instead, as the variants grow with the square of the length (5,000 characters: 23 GB)."""


def near_tags(db: Database, key: str, limit: int = 3) -> list[str]:
    """Tags whose label code is one typing slip away from `key` (`codes.one_edit_apart`): the
    "did you mean" of an unknown code. The slips are looked up in the key index; reading
    every asset's key took 13 ms of an unknown scan at 100,000 assets."""
    from tracker import codes

    if len(key) < 3:
        return []
    if len(key) > NEAR_BY_INDEX_UP_TO:
        rows = db.execute(
            "SELECT key, tag FROM assets WHERE length(key) BETWEEN ? AND ? ORDER BY tag",
            [len(key) - 1, len(key) + 1],
        )
        return [tag for other, tag in rows if codes.one_edit_apart(key, other)][:limit]
    near = sorted(codes.one_edit_keys(key))
    rows = db.execute(
        "SELECT tag FROM assets WHERE key IN (SELECT value FROM json_each(?)) ORDER BY tag LIMIT ?",
        [json.dumps(near), limit],
    )
    return [tag for (tag,) in rows]
