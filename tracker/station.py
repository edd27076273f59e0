"""This database's station identity: the prefix of the global ids of the rows it records.

A global id (`gid`) is `UUID:LOCAL_ID`; two stations never share a uuid, so rows they record
apart never share a gid, and `tracker sync` can tell what the other side lacks. A copy of a
database file is the one way two stations could end up with one uuid, so the identity is bound
to the host and the file it was made for: opened anywhere else (a copy on a USB stick, a
restored replica) the database takes a fresh uuid before it records anything. Changing the
uuid is always safe: rows already recorded keep their gids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tracker.database import Database

UUID_LEN = 16


@dataclass(frozen=True)
class Station:
    """This database's identity: the uuid its rows' gids start with, and where it was made."""

    uuid: str
    name: str
    host: str
    path: str
    created_at: str


def identity(db: Database) -> Station:
    row = db.execute("SELECT uuid, name, host, path, created_at FROM station").fetchone()
    return Station(*row)


def hostname() -> str:
    """`socket.gethostname()`, without importing socket (2 ms of every command) where the
    kernel's node name, which it returns, can be read directly."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _here(db_path: str) -> tuple[str, str]:
    return hostname(), os.path.realpath(db_path)


def bind(db: Database, db_path: str, name: str) -> Station:
    """Keep the identity if this is the host and file it was made for, else take a new one.

    Runs inside the caller's write transaction (`store.open_db`).
    """
    current = identity(db)
    host, path = _here(db_path)
    if (current.host, current.path) == (host, path):
        return current
    if current.host or current.path:
        _record_old(db, current)
    import secrets  # here: only a new identity needs it (hashlib, random: 2 ms to import)

    db.execute(
        "UPDATE station SET uuid = ?, name = ?, host = ?, path = ?,"
        " created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        [secrets.token_hex(UUID_LEN // 2), name or current.name, host, path],
    )
    return identity(db)


def _record_old(db: Database, old: Station) -> None:
    """The previous identity stays known as a peer, so its rows are still shown by name."""
    db.execute(
        "INSERT INTO peers (uuid, name) VALUES (?, ?) ON CONFLICT(uuid) DO NOTHING",
        [old.uuid, old.name],
    )


def default_name() -> str:
    """What a new identity is called: `$TRACKER_STATION`, else the host name (as in scans)."""
    return os.environ.get("TRACKER_STATION") or hostname()


def needs_binding(db: Database, db_path: str) -> bool:
    """True when this database was made for another host or file (a cheap read at open)."""
    row = db.execute("SELECT host, path FROM station").fetchone()
    return row is None or (row[0], row[1]) != _here(db_path)


def origin(gid: str) -> str:
    """The uuid of the station that recorded the row with this gid."""
    return gid[:UUID_LEN]
