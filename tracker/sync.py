"""Merging another station's record into this one (`tracker sync`).

Rows are matched by global id (see `station`): what this database lacks is added, nothing is
changed or removed, so merging twice adds nothing. The current state of every asset a merge
touched is then rebuilt from its events in time order (`rebuild_assets`), so two stations that
merged each other end with the same state whichever merged first. Conflict rules:

- The same asset scanned on both sides: both events stay in the history; the later one (by its
  time stamp, then by gid) sets the current state. An undo names the event it took back by gid
  (`events.undoes`), so it takes back that scan on every station.
- A scenario started on both sides while apart: the move started first survives; the other
  becomes `superseded` and its scans stay in the history flagged `superseded_move`.
- Clocks: a station whose clock is more than a minute off is refused (see `clocks.problem`
  for what can be detected).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tracker import clocks, dbfile, moves, station, store, sync_audits
from tracker.database import Database

MOVE_RANK = {"active": 0, "returning": 1, "closed": 2, "superseded": 3}
SUPERSEDED_FLAG = "superseded_move"


class SyncError(ValueError):
    """The other record cannot be merged; the message says why and what to do."""


@dataclass
class MergeResult:
    other: str
    other_station: station.Station
    added: dict[str, int] = field(default_factory=dict)
    assets_added: int = 0
    assets_rebuilt: int = 0
    superseded: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.added.values()) + self.assets_added

    def summary(self) -> str:
        if not self.total and not self.superseded:
            return f"{self.other}: nothing new (already merged)"
        parts = [f"{n} {table.replace('_', ' ')}" for table, n in self.added.items() if n]
        if self.assets_added:
            parts.append(f"{self.assets_added} new asset(s)")
        text = f"{self.other}: added {', '.join(parts) or 'nothing'}"
        text += f"; state rebuilt for {self.assets_rebuilt} asset(s)"
        for move in self.superseded:
            text += f"; scenario move {move} was started on both sides: superseded, its scans"
            text += f" kept and flagged {SUPERSEDED_FLAG}"
        return text


def _columns(db: Database, schema: str, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA {schema}.table_info({table})").fetchall()]


def _common(db: Database, table: str, skip: tuple[str, ...] = ("id",)) -> list[str]:
    theirs = set(_columns(db, "other", table))
    return [c for c in _columns(db, "main", table) if c in theirs and c not in skip]


def _other_station(db: Database, path: str) -> station.Station:
    tables = {r[0] for r in db.execute("SELECT name FROM other.sqlite_master WHERE type='table'")}
    if "events" not in tables:
        raise SyncError(f"{path}: not a tracker database (it has no events table)")
    if "station" not in tables:
        raise SyncError(
            f"{path}: written by an older tracker without station identities: open it once"
            f" with this version (tracker --db {path} status), then sync again"
        )
    row = db.execute("SELECT uuid, name, host, path, created_at FROM other.station").fetchone()
    return station.Station(*row)


def merge(db: Database, other_path: str | Path, *, now: str | None = None) -> MergeResult:
    """Add to `db` every row of the tracker database at `other_path` that it lacks."""
    other_path = str(other_path)
    if not Path(other_path).is_file():
        raise SyncError(f"{other_path}: no such database file")
    if store.db_file(db) and Path(store.db_file(db)).resolve() == Path(other_path).resolve():
        raise SyncError(f"{other_path}: that is this database itself")
    # SQLite holds locks on it now: no plain file I/O on it from here on (tracker.dbfile).
    dbfile.hold(other_path)
    try:
        db.execute("ATTACH DATABASE ? AS other", [other_path])
    except sqlite3.DatabaseError as e:
        raise SyncError(f"{other_path}: cannot open it as a database: {e}") from e
    try:
        try:
            other = _other_station(db, other_path)
        except sqlite3.DatabaseError as e:
            raise SyncError(f"{other_path}: not a tracker database: {e}") from e
        now = now or store.now()
        why = clocks.problem(db, other, now)
        if why:
            raise SyncError(why)
        result = MergeResult(other_path, other)
        with store.write(db):
            _check_collisions(db, other_path)
            _merge_rows(db, result, now)
        return result
    finally:
        db.execute("DETACH DATABASE other")


def _check_collisions(db: Database, path: str) -> None:
    """Same gid, different event: two databases that share an identity both recorded."""
    row = db.execute(
        "SELECT m.gid FROM other.events o JOIN main.events m ON m.gid = o.gid"
        " WHERE m.at != o.at OR m.tag != o.tag OR m.action != o.action LIMIT 1"
    ).fetchone()
    if row:
        raise SyncError(
            f"{path}: it holds another event under the id {row[0]} that this database gave one"
            " of its own: one of the two is a copy of the other that recorded on its own"
            " while still carrying the same station identity; not merged"
        )


def _insert_missing(db: Database, table: str, mapped: dict[str, str] | None = None) -> int:
    """Rows of other.`table` whose gid main lacks; `mapped` gives SQL for translated columns."""
    mapped = mapped or {}
    cols = _common(db, table, skip=("id", *mapped))
    names = cols + list(mapped)
    values = [f"o.{c}" for c in cols] + list(mapped.values())
    cur = db.execute(
        f"INSERT INTO main.{table} ({', '.join(names)}) SELECT {', '.join(values)}"
        f" FROM other.{table} o WHERE o.gid NOT IN (SELECT gid FROM main.{table})"
        " ORDER BY o.id"
    )
    return cur.rowcount


MOVE_OF = (
    "(SELECT mm.id FROM main.moves mm JOIN other.moves om ON om.gid = mm.gid"
    " WHERE om.id = o.move_id)"
)


def _merge_rows(db: Database, result: MergeResult, now: str) -> None:
    db.execute("DROP TABLE IF EXISTS temp.sync_new")
    db.execute("CREATE TEMP TABLE sync_new (gid TEXT PRIMARY KEY, tag TEXT, at TEXT)")
    db.execute(
        "INSERT INTO temp.sync_new SELECT o.gid, o.tag, o.at FROM other.events o"
        " WHERE o.gid NOT IN (SELECT gid FROM main.events)"
    )
    result.added["moves"] = _insert_missing(db, "moves")
    _advance_moves(db)
    result.added["manifest lines"] = _merge_manifest(db)
    result.assets_added = db.execute(
        f"INSERT INTO main.assets ({', '.join(_common(db, 'assets', skip=()))})"
        f" SELECT {', '.join(_common(db, 'assets', skip=()))} FROM other.assets"
        " WHERE tag NOT IN (SELECT tag FROM main.assets)"
    ).rowcount
    result.added["events"] = _insert_missing(
        db, "events", {"move_id": MOVE_OF, "undone_by": "NULL"}
    )
    if result.added["events"]:
        _link_undos(db)
    result.added["unknown_scans"] = _insert_missing(db, "unknown_scans")
    result.added["kiosk_checks"] = _insert_missing(db, "kiosk_checks")
    if "gid" in _common(db, "network_checks", skip=()):
        result.added["network_checks"] = _insert_missing(db, "network_checks")
    result.superseded = _resolve_moves(db, new_events=bool(result.added["events"]))
    result.added.update(sync_audits.merge(db, _common))
    tags = [r[0] for r in db.execute("SELECT DISTINCT tag FROM temp.sync_new")]
    result.assets_rebuilt = rebuild_assets(db, tags)
    if result.added["kiosk_checks"]:
        _rebuild_kiosk_latest(db)
    _record_peers(db, result, now)
    db.execute("DROP TABLE temp.sync_new")


def _advance_moves(db: Database) -> None:
    """A move both sides hold takes the status furthest along (active < returning < closed)."""
    rank = " ".join(f"WHEN '{s}' THEN {r}" for s, r in MOVE_RANK.items())
    cols = [
        c
        for c in _common(db, "moves")
        if c in ("status", "ended_at", "ended_by", "closed_at", "closed_by", "close_note")
    ]
    db.execute(
        "UPDATE main.moves SET "
        + ", ".join(f"{c} = o.{c}" for c in cols)
        + " FROM other.moves o WHERE o.gid = main.moves.gid"
        f" AND (CASE o.status {rank} END) > (CASE main.moves.status {rank} END)"
    )


def _merge_manifest(db: Database) -> int:
    """New manifest lines (a leg the other side planned); tags the other side assigned to a
    line that is still open here. A tag already on another line of the leg is not repeated."""
    taken = (
        "EXISTS (SELECT 1 FROM main.manifest t WHERE t.move_id = {move} AND t.leg = o.leg"
        " AND t.tag = o.tag)"
    )
    move = MOVE_OF
    added = _insert_missing(
        db,
        "manifest",
        {
            "move_id": move,
            "tag": f"CASE WHEN {taken.format(move=move)} THEN NULL ELSE o.tag END",
        },
    )
    db.execute(
        "UPDATE main.manifest SET tag = o.tag FROM other.manifest o"
        " WHERE o.gid = main.manifest.gid AND main.manifest.tag IS NULL AND o.tag IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM main.manifest t WHERE t.move_id = main.manifest.move_id"
        " AND t.leg = main.manifest.leg AND t.tag = o.tag)"
    )
    return added


def _link_undos(db: Database) -> None:
    """undone_by (a local row id) from the gid an undo names, for rows that came in."""
    db.execute(
        "UPDATE main.events SET undone_by = u.id FROM main.events u"
        " WHERE u.undoes IS NOT NULL AND u.undoes = main.events.gid"
        " AND main.events.undone_by IS NULL"
        " AND (u.gid IN (SELECT gid FROM temp.sync_new)"
        " OR main.events.gid IN (SELECT gid FROM temp.sync_new))"
    )


def _resolve_moves(db: Database, *, new_events: bool) -> list[str]:
    """Two scenarios active at once were started apart: the first started survives."""
    active = db.execute(
        "SELECT id, gid, scenario FROM main.moves WHERE status = 'active' ORDER BY started_at, gid"
    ).fetchall()
    superseded = []
    for move_id, gid, scenario in active[1:]:
        db.execute("UPDATE main.moves SET status = 'superseded' WHERE id = ?", [move_id])
        superseded.append(f"{scenario} ({gid})")
    if not superseded and not new_events:
        return superseded  # nothing new to flag: a repeated merge stays cheap
    db.execute(
        "UPDATE main.events SET flag = ? WHERE flag = '' AND move_id IN"
        " (SELECT id FROM main.moves WHERE status = 'superseded')",
        [SUPERSEDED_FLAG],
    )
    return superseded


EVENT_ORDER = "at {d}, substr(gid, 1, 16) {d}, CAST(substr(gid, 18) AS INTEGER) {d}"
"""Events in the order every station agrees on: time stamp, then station id, then that
station's own sequence. Local row ids are no order: a merge gives older rows higher ids."""


def latest_event(db: Database, tag: str) -> int | None:
    """The local id of the asset's latest event in `EVENT_ORDER` (any action)."""
    row = db.execute(
        "SELECT id FROM main.events WHERE tag = ? ORDER BY "
        + EVENT_ORDER.format(d="DESC")
        + " LIMIT 1",
        [tag],
    ).fetchone()
    return row[0] if row else None


def rebuild_assets(db: Database, tags: list[str]) -> int:
    """Set each asset's state from its events in time order.

    The state is that of the latest event (by time, then station, then local id) that is not
    an undo and not undone; an asset whose every change was taken back is as before its first
    event. This is what recording the same events one by one on a single station gives.
    Manifest places the assets took by scans since undone are given back too.
    """
    if not tags:
        return 0
    db.execute("DROP TABLE IF EXISTS temp.sync_tags")
    db.execute("CREATE TEMP TABLE sync_tags (tag TEXT PRIMARY KEY)")
    db.conn.executemany("INSERT OR IGNORE INTO temp.sync_tags VALUES (?)", [(t,) for t in tags])
    order = EVENT_ORDER
    db.execute(
        "UPDATE main.assets SET step = s.step, site = s.site, last_seen = s.seen,"
        " updated_at = max(main.assets.updated_at, s.newest) FROM ("
        " SELECT e.tag,"
        "  coalesce(eff.step, first.prev_step) AS step,"
        "  coalesce(eff.site, first.prev_site) AS site,"
        "  (SELECT max(at) FROM main.events x WHERE x.tag = e.tag"
        "   AND x.action NOT IN ('undo', 'import')) AS seen,"
        "  (SELECT max(at) FROM main.events x WHERE x.tag = e.tag) AS newest"
        " FROM temp.sync_tags e"
        " LEFT JOIN (SELECT tag, step, site, row_number() OVER (PARTITION BY tag ORDER BY "
        + order.format(d="DESC")
        + ") AS n FROM main.events WHERE tag IN (SELECT tag FROM temp.sync_tags)"
        "   AND action != 'undo' AND undone_by IS NULL) eff ON eff.tag = e.tag AND eff.n = 1"
        " LEFT JOIN (SELECT tag, prev_step, prev_site, row_number() OVER (PARTITION BY tag"
        " ORDER BY "
        + order.format(d="ASC")
        + ") AS n FROM main.events WHERE tag IN (SELECT tag FROM temp.sync_tags)) first"
        "  ON first.tag = e.tag AND first.n = 1"
        ") s WHERE s.tag = main.assets.tag AND s.step IS NOT NULL"
        # Said again for the assets side, so SQLite looks the tags up instead of reading every
        # asset to join (30 ms of each `tracker undo` at 100,000 assets).
        " AND main.assets.tag IN (SELECT tag FROM temp.sync_tags)"
    )
    # Who holds it and how many a box holds: from the latest event that set them (scan --holder,
    # count), so a count or a hand-over recorded on another station arrives too.
    latest = (
        "(SELECT x.{c} FROM main.events x WHERE x.tag = main.assets.tag AND x.{c} IS NOT NULL"
        " AND x.action != 'undo' AND x.undone_by IS NULL ORDER BY "
        + order.format(d="DESC").replace("at ", "x.at ").replace("gid", "x.gid")
        + " LIMIT 1)"
    )
    # None left in force (all undone): as before the first event that set it.
    before = (
        "(SELECT x.prev_{c} FROM main.events x WHERE x.tag = main.assets.tag"
        " AND x.prev_{c} IS NOT NULL AND x.action != 'undo' ORDER BY "
        + order.format(d="ASC").replace("at ", "x.at ").replace("gid", "x.gid")
        + " LIMIT 1)"
    )
    db.execute(
        f"UPDATE main.assets SET holder = coalesce({latest.format(c='holder')},"
        f" {before.format(c='holder')}, holder), quantity = coalesce("
        f"{latest.format(c='quantity')}, {before.format(c='quantity')}, quantity)"
        " WHERE tag IN (SELECT tag FROM temp.sync_tags)"
    )
    n = db.execute("SELECT count(*) FROM temp.sync_tags").fetchone()[0]
    db.execute("DROP TABLE temp.sync_tags")
    # A manifest place taken by a scan that is now undone goes back (moves.give_back).
    moves.give_back(db, tags)
    return n


def _rebuild_kiosk_latest(db: Database) -> None:
    """Each kiosk's latest result is its newest check, whichever station ran it."""
    db.execute(
        "INSERT INTO main.kiosk_latest (tag, host, verdict, checked_at, detail)"
        " SELECT tag, host, verdict, checked_at, detail FROM ("
        "  SELECT tag, host, verdict, checked_at, detail, row_number() OVER (PARTITION BY tag"
        "  ORDER BY checked_at DESC, gid DESC) AS n FROM main.kiosk_checks"
        "  WHERE tag IN (SELECT tag FROM other.kiosk_checks)) WHERE n = 1"
        " ON CONFLICT(tag) DO UPDATE SET host = excluded.host, verdict = excluded.verdict,"
        " checked_at = excluded.checked_at, detail = excluded.detail"
    )


def _record_peers(db: Database, result: MergeResult, now: str) -> None:
    """Which stations' rows came in, and when: for the dashboard and the clock check."""
    other = result.other_station
    me = station.identity(db)
    db.execute(
        "INSERT INTO main.peers (uuid, name) SELECT uuid, name FROM other.peers WHERE uuid != ?"
        " ON CONFLICT(uuid) DO UPDATE SET name = CASE WHEN main.peers.name = ''"
        " THEN excluded.name ELSE main.peers.name END",
        [me.uuid],
    )
    counts = db.execute(
        "SELECT substr(gid, 1, 16), count(*), max(at) FROM temp.sync_new GROUP BY 1"
    ).fetchall()
    for uuid, n, newest in counts:
        if uuid == me.uuid:
            continue
        db.execute(
            "INSERT INTO main.peers (uuid, merged_at, rows_added, newest_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(uuid) DO UPDATE SET merged_at = excluded.merged_at,"
            " rows_added = main.peers.rows_added + excluded.rows_added,"
            " newest_at = max(coalesce(main.peers.newest_at, ''), excluded.newest_at)",
            [uuid, now, n, newest],
        )
    db.execute(
        "INSERT INTO main.peers (uuid, name, merged_at, newest_at) VALUES (?, ?, ?,"
        " (SELECT max(at) FROM main.events WHERE gid > ? || ':' AND gid < ? || ';'))"
        " ON CONFLICT(uuid) DO UPDATE SET name = excluded.name, merged_at = excluded.merged_at,"
        " newest_at = excluded.newest_at",
        [other.uuid, other.name, now, other.uuid, other.uuid],
    )


@dataclass(frozen=True)
class PeerState:
    uuid: str
    name: str
    merged_at: str | None
    rows_added: int
    newest_at: str | None


def peers(db: Database) -> list[PeerState]:
    """Stations whose rows this database received by sync, most recently merged first."""
    rows = db.execute(
        "SELECT uuid, name, merged_at, rows_added, newest_at FROM peers"
        " WHERE merged_at IS NOT NULL ORDER BY merged_at DESC, name"
    ).fetchall()
    return [PeerState(*r) for r in rows]


def merge_both(db: Database, other_path: str | Path) -> tuple[MergeResult, MergeResult]:
    """Merge OTHER into this database, then this one into OTHER (`--both`)."""
    first = merge(db, other_path)
    other_db = store.open_db(other_path, bind=False)
    try:
        second = merge(other_db, store.db_file(db))
    finally:
        other_db.close()
    return first, second
