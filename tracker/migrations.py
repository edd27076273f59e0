"""The database schema, as append-only migrations applied at start-up by every entry point.

Never edit a migration that has shipped: add the next ``mNNN_`` function instead.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("tracker")


@migrations()
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


@migrations()
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


@migrations()
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


@migrations()
def m005_create_settings(db: Database) -> None:
    """Facts about the database itself, e.g. that it holds the sample inventory."""
    db.executescript(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )
