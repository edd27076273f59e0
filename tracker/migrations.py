"""The database schema, as append-only migrations applied at start-up by every entry point.

Never edit a migration that has shipped: add the next ``mNNN_`` function instead, and name any
new table in `TABLES`.

They are applied by `sqlite_utils.Migrations` (`migrations`, built on first use), which records
them in `_sqlite_migrations`. Finding none pending takes one query and no sqlite-utils
(`pending`): every command checks that, and importing sqlite-utils costs ~45 ms. A new, empty
database is migrated here without it, into the same schema and log (`_apply_to_new`); a
migration there may still use sqlite-utils' table API, which then loads (`_Handle`).
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

    from sqlite_utils import Database, Migrations

    from tracker import database

SET_NAME = "tracker"
"""The migration set's name in `_sqlite_migrations`."""
_FUNCTIONS: list[Callable[[Database], None]] = []
_SET: list[Migrations] = []


def _migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    _FUNCTIONS.append(fn)
    return fn


def names() -> list[str]:
    """Every migration's name, in the order they apply."""
    return [fn.__name__ for fn in _FUNCTIONS]


def __getattr__(name: str) -> Any:
    """`migrations`: the `sqlite_utils.Migrations` of every migration here, made on first use."""
    if name != "migrations":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _migration_set()


def _migration_set() -> Migrations:
    if not _SET:
        from sqlite_utils import Migrations

        made = Migrations(SET_NAME)
        for fn in _FUNCTIONS:
            made()(fn)
        _SET.append(made)
    return _SET[0]


def pending(db: database.Database) -> bool:
    """True when a migration is not applied yet (read only, one query)."""
    conn = db.conn
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone():
        return True
    applied = {
        row[0]
        for row in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [SET_NAME]
        )
    }
    return any(name not in applied for name in names())


def apply(db: database.Database) -> None:
    """Apply the pending migrations (inside the caller's write transaction, if any)."""
    conn = db.conn
    if conn.in_transaction and conn.execute("SELECT 1 FROM sqlite_master").fetchone() is None:
        _apply_to_new(db)
        return
    from sqlite_utils import Database

    _migration_set().apply(Database(conn, execute_plugins=False))


# `_sqlite_migrations` as sqlite-utils' Migrations makes it (tests/test_migrations_new.py
# compares the two databases), so that it finds nothing pending in a database made here.
_LOG_TABLE = (
    'CREATE TABLE "_sqlite_migrations" (\n   "id" INTEGER PRIMARY KEY,\n   "migration_set" TEXT,'
    '\n   "name" TEXT,\n   "applied_at" TEXT\n)'
)
_LOG_INDEX = (
    'CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"\n'
    '    ON "_sqlite_migrations" ("migration_set", "name")'
)


class _Handle:
    """What a migration is given on a new database: the tracker's handle, and sqlite-utils'
    table API (`db["assets"].transform(...)`, `db.table(...)`) over the same connection, loaded
    only when a migration asks for it, so that a migration works alike on a new database and
    on one sqlite-utils migrates."""

    def __init__(self, db: database.Database) -> None:
        self._db, self.conn, self._full = db, db.conn, None

    def execute(self, sql: str, parameters: Any = None) -> Any:
        return self._db.execute(sql, parameters)

    def executescript(self, sql: str) -> Any:
        return self._db.executescript(sql)

    def _sqlite_utils(self) -> Any:
        if self._full is None:
            from sqlite_utils import Database

            self._full = Database(self.conn, execute_plugins=False)
        return self._full

    def __getitem__(self, name: str) -> Any:
        return self._sqlite_utils()[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqlite_utils(), name)


def _apply_to_new(db: database.Database) -> None:
    """Every migration on a new, empty database, recorded as sqlite-utils records them, without
    importing sqlite-utils: a first `tracker import` of 100,000 rows spent a twentieth of its
    time on that import. Each migration in a savepoint, as sqlite-utils' `atomic` runs it."""
    import datetime

    conn = db.conn
    conn.execute(_LOG_TABLE)
    conn.execute(_LOG_INDEX)
    handle = _Handle(db)
    for fn in _FUNCTIONS:
        conn.execute("SAVEPOINT tracker_migration")
        try:
            fn(handle)  # type: ignore[arg-type]
            conn.execute(
                'INSERT INTO "_sqlite_migrations" ("migration_set", "name", "applied_at")'
                " VALUES (?, ?, ?)",
                [SET_NAME, fn.__name__, str(datetime.datetime.now(datetime.UTC))],
            )
        except BaseException:
            if conn.in_transaction:  # a RAISE(ROLLBACK) may have ended it already
                conn.execute("ROLLBACK TO SAVEPOINT tracker_migration")
                conn.execute("RELEASE SAVEPOINT tracker_migration")
            raise
        conn.execute("RELEASE SAVEPOINT tracker_migration")


@_migration
def m001_create_inventory(db: Database) -> None:
    """Assets with their current state, and the append-only event log they are derived from."""
    db.executescript(
        """
        CREATE TABLE assets (
            tag TEXT PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,          -- codes.key_for(tag): what a label resolves to
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            serial TEXT NOT NULL DEFAULT '',
            home_site TEXT NOT NULL,
            site TEXT NOT NULL,
            step TEXT NOT NULL,
            hostname TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            last_seen TEXT,                    -- time of the latest scan
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- Covers the readiness query: counts by site and kind of assets in a counted step.
        CREATE INDEX assets_site_kind_step ON assets(site, kind, step);

        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            tag TEXT NOT NULL,
            action TEXT NOT NULL,              -- scan | undo
            step TEXT NOT NULL,
            site TEXT NOT NULL,
            prev_step TEXT NOT NULL,
            prev_site TEXT NOT NULL,
            operator TEXT NOT NULL DEFAULT '',
            station TEXT NOT NULL DEFAULT '',
            code TEXT NOT NULL DEFAULT '',     -- what the scanner typed
            move_id INTEGER,
            flag TEXT NOT NULL DEFAULT '',     -- '' | wrong_site | not_in_manifest
            undone_by INTEGER
        );
        CREATE INDEX events_tag ON events(tag, id);
        CREATE INDEX events_station ON events(station, id);

        CREATE TABLE unknown_scans (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            code TEXT NOT NULL,
            site TEXT NOT NULL,
            step TEXT NOT NULL,
            operator TEXT NOT NULL DEFAULT '',
            station TEXT NOT NULL DEFAULT ''
        );
        """
    )


@_migration
def m002_create_moves(db: Database) -> None:
    """Scenario moves and their manifests (outbound and return legs)."""
    db.executescript(
        """
        CREATE TABLE moves (
            id INTEGER PRIMARY KEY,
            scenario TEXT NOT NULL,
            status TEXT NOT NULL,              -- active | returning | closed
            started_at TEXT NOT NULL,
            started_by TEXT NOT NULL DEFAULT '',
            ended_at TEXT,
            ended_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX moves_status ON moves(status);

        CREATE TABLE manifest (
            id INTEGER PRIMARY KEY,
            move_id INTEGER NOT NULL REFERENCES moves(id),
            leg TEXT NOT NULL,                 -- out | return
            kind TEXT NOT NULL,
            tag TEXT,                          -- NULL: no working asset of the kind was free
            origin TEXT NOT NULL,
            dest TEXT NOT NULL
        );
        CREATE INDEX manifest_move ON manifest(move_id, leg, kind);
        CREATE UNIQUE INDEX manifest_tag ON manifest(move_id, leg, tag);
        """
    )


@_migration
def m003_create_kiosk_checks(db: Database) -> None:
    """Kiosk-agent results: the full history, and the latest per kiosk for readiness."""
    db.executescript(
        """
        CREATE TABLE kiosk_checks (
            id INTEGER PRIMARY KEY,
            tag TEXT NOT NULL,
            host TEXT NOT NULL,
            verdict TEXT NOT NULL,  -- ok|warn|crit|unknown|unreachable|hostkey|invalid
            checked_at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            report TEXT                        -- the agent's JSON report, when there was one
        );
        CREATE INDEX kiosk_checks_tag ON kiosk_checks(tag, id);

        CREATE TABLE kiosk_latest (
            tag TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            verdict TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        """
    )


# Tables whose rows get a global identity (see tracker/station.py): a station's uuid and the
# row's local id, so rows two stations recorded apart never share one. The trigger fills it for
# every insert, whichever module does it; rows merged from another station bring their own.
GLOBAL_ID_TABLES = ("events", "unknown_scans", "moves", "manifest", "kiosk_checks")


def _add_global_id(db: Database, table: str) -> None:
    """A `gid` for every row of `table`: existing rows now, new ones by trigger."""
    db.execute(f"ALTER TABLE {table} ADD COLUMN gid TEXT")
    db.execute(f"UPDATE {table} SET gid = (SELECT uuid FROM station) || ':' || id")
    db.execute(f"CREATE UNIQUE INDEX {table}_gid ON {table}(gid)")
    db.execute(
        f"CREATE TRIGGER {table}_gid AFTER INSERT ON {table} WHEN NEW.gid IS NULL BEGIN"
        f" UPDATE {table} SET gid = (SELECT uuid FROM station) || ':' || NEW.id"
        " WHERE id = NEW.id; END"
    )


@_migration
def m004_global_ids(db: Database) -> None:
    """A station identity per database and a global id on every recorded row (issue 14)."""
    import secrets

    statements = [
        """CREATE TABLE station (
            only INTEGER PRIMARY KEY CHECK (only = 1),
            uuid TEXT NOT NULL,                -- 16 hex digits: the prefix of this station's gids
            name TEXT NOT NULL DEFAULT '',
            host TEXT NOT NULL DEFAULT '',     -- where the identity was made: a copy opened
            path TEXT NOT NULL DEFAULT '',     -- elsewhere takes a new one (tracker/station.py)
            created_at TEXT NOT NULL
        )""",
        # Every station whose rows this database holds, and when they last came in by `sync`.
        """CREATE TABLE peers (
            uuid TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            merged_at TEXT,                    -- this station's clock when rows last came in
            rows_added INTEGER NOT NULL DEFAULT 0,
            newest_at TEXT                     -- the newest event of theirs this database holds
        )""",
        "ALTER TABLE events ADD COLUMN undoes TEXT",  # gid of the event an undo took back
    ]
    for sql in statements:
        db.execute(sql)
    db.execute(
        "INSERT INTO station (only, uuid, created_at)"
        " VALUES (1, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        [secrets.token_hex(8)],
    )
    for table in GLOBAL_ID_TABLES:
        _add_global_id(db, table)
    db.execute(
        "UPDATE events SET undoes = (SELECT s.gid FROM events s WHERE s.undone_by = events.id)"
        " WHERE action = 'undo'"
    )
    # The undo names the event it took back by gid, whichever module wrote undone_by.
    db.execute(
        "CREATE TRIGGER events_undoes AFTER UPDATE OF undone_by ON events"
        " WHEN NEW.undone_by IS NOT NULL BEGIN"
        " UPDATE events SET undoes = NEW.gid WHERE id = NEW.undone_by AND undoes IS NULL; END"
    )
    db.execute("CREATE INDEX events_undoes ON events(undoes)")


@_migration
def m005_asset_details(db: Database) -> None:
    """Manufacturer, model and purchase date: what an inventory system such as Snipe-IT holds
    about an asset besides its tag and serial, kept so an import and export loses none of it."""
    for column in ("manufacturer", "model", "purchase_date"):
        db.execute(f"ALTER TABLE assets ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


@_migration
def m006_network_checks(db: Database) -> None:
    """Staff network checks per site (issue 15): the agent's staff-profile report, kept whole."""
    db.executescript(
        """
        CREATE TABLE network_checks (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            host TEXT NOT NULL,
            verdict TEXT NOT NULL,           -- ok|warn|crit|unknown (the agent's verdict)
            checked_at TEXT NOT NULL,        -- when the check ran (the report's started_at)
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL,            -- check (run here) or the report file's name
            detail TEXT NOT NULL DEFAULT '', -- the failing checks, one line
            report TEXT NOT NULL
        );
        CREATE INDEX network_checks_site ON network_checks(site, checked_at);
        """
    )


@_migration
def m007_create_audits(db: Database) -> None:
    """Stocktakes (tracker/audit.py): one per site at a time, and what each station saw."""
    db.executescript(
        """
        CREATE TABLE audits (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            status TEXT NOT NULL,              -- open | closed
            started_at TEXT NOT NULL,
            started_by TEXT NOT NULL DEFAULT '',
            closed_at TEXT,
            closed_by TEXT NOT NULL DEFAULT '',
            result TEXT                        -- JSON of found/missing/unexpected/unknown
        );
        -- At most one open stocktake per site: stations that start one join it.
        CREATE UNIQUE INDEX audits_open_site ON audits(site) WHERE status = 'open';

        CREATE TABLE audit_scans (
            id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL REFERENCES audits(id),
            at TEXT NOT NULL,
            code TEXT NOT NULL,                -- what the scanner typed
            tag TEXT,                          -- NULL: the code matched no asset
            result TEXT NOT NULL,              -- found | unexpected | unknown
            operator TEXT NOT NULL DEFAULT '',
            station TEXT NOT NULL DEFAULT '',
            event_id INTEGER                   -- the 'seen' event in the asset's history
        );
        CREATE INDEX audit_scans_audit ON audit_scans(audit_id, tag);
        """
    )


@_migration
def m008_network_checks_gid(db: Database) -> None:
    """Staff network checks get a global id too, so `tracker sync` merges them (issue 14)."""
    _add_global_id(db, "network_checks")


@_migration
def m009_event_notes(db: Database) -> None:
    """Why an asset was marked faulty or missing (tracker/marks.py), kept with the event."""
    db.execute("ALTER TABLE events ADD COLUMN note TEXT NOT NULL DEFAULT ''")


@_migration
def m010_create_settings(db: Database) -> None:
    """Facts about the database itself, e.g. that it holds the sample inventory."""
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@_migration
def m011_audit_global_ids(db: Database) -> None:
    """Stocktakes and their scans get a global id, so `tracker sync` merges them (issue 14)."""
    _add_global_id(db, "audits")
    _add_global_id(db, "audit_scans")


@_migration
def m012_manifest_places(db: Database) -> None:
    """Whose place a substitute took (so an undo gives it back), and why a returning move was
    closed by hand (`tracker scenario close`)."""
    db.execute("ALTER TABLE manifest ADD COLUMN replaced TEXT")
    db.execute("ALTER TABLE manifest ADD COLUMN taken_at TEXT")
    db.execute("ALTER TABLE moves ADD COLUMN closed_at TEXT")
    db.execute("ALTER TABLE moves ADD COLUMN closed_by TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE moves ADD COLUMN close_note TEXT NOT NULL DEFAULT ''")


READINESS_INDEX = (
    "assets_readiness ON assets(site, kind, department, holder, step, quantity, last_seen)"
)


@_migration
def m013_departments_kits_custody(db: Database) -> None:
    """Readiness that tells the truth (issue 11): an asset's department, the workstation a kit
    part belongs to, who holds it at a home workplace, and a counted quantity for stock."""
    for column in ("department", "kit", "holder"):
        db.execute(f"ALTER TABLE assets ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE assets ADD COLUMN quantity INTEGER NOT NULL DEFAULT 1")
    # Readiness groups counted equipment by site, kind, department and holder: one covering
    # index in that order (it also serves every lookup by site and kind the old one did).
    db.execute("DROP INDEX assets_site_kind_step")
    db.execute(f"CREATE INDEX {READINESS_INDEX}")
    # A workstation is whole when each slot of its kit has a part at its site in a counted step.
    db.execute("CREATE INDEX assets_kit ON assets(kit, kind, site, step) WHERE kit != ''")
    # What a scan or a count changed besides step and site, so undo and sync can rebuild it.
    db.execute("ALTER TABLE events ADD COLUMN holder TEXT")
    db.execute("ALTER TABLE events ADD COLUMN prev_holder TEXT")
    db.execute("ALTER TABLE events ADD COLUMN quantity INTEGER")
    db.execute("ALTER TABLE events ADD COLUMN prev_quantity INTEGER")


@_migration
def m014_readiness_tally(db: Database) -> None:
    """Counted equipment per (site, kind, department, holder), kept by triggers, so that
    readiness reads a few thousand rows instead of grouping every asset (see tallies)."""
    from tracker import tallies

    tallies.create(db.conn)


TABLES = frozenset(
    {
        "_sqlite_migrations",
        "assets",
        "audit_scans",
        "audits",
        "events",
        "kiosk_checks",
        "kiosk_latest",
        "manifest",
        "moves",
        "network_checks",
        "peers",
        "readiness_tally",
        "settings",
        "station",
        "unknown_scans",
    }
)
"""The tables the migrations make: a database without one of them is damaged (`store`). Written
out, as learning them by migrating an in-memory database cost every command ~10 ms; a test
checks them against the migrations."""
