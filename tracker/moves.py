"""Scenario moves: starting a scenario builds a manifest, ending it plans the way home.

The manifest is chosen by kind and count from the plan, not by fixed tags: at start the tracker
assigns working assets of the kind (preferring those at the move's origin), and at scan time any
other working asset of the same kind can take the place of one that has not been touched yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker import store
from tracker.database import Database
from tracker.plan import Plan, Scenario

WORKING_STEPS = ("in_service", "installed")
ACCOUNTED_STEPS = ("faulty", "missing")
"""A return line whose asset is marked faulty or missing is accounted for: it does not keep
the move returning (the mark and its note say where it stands)."""


class MoveError(ValueError):
    """A scenario cannot be started or ended now; the message says why."""


@dataclass(frozen=True)
class ActiveMove:
    """A scenario's move being worked on: `active` (going out) or `returning` (going home)."""

    id: int
    scenario: str
    status: str
    started_at: str
    ended_at: str | None


def _local_time(at: str) -> str:
    from tracker import timefmt  # here: zoneinfo costs a scan 1.5 ms, for an error message

    return timefmt.local_time(at)


def current_move(db: Database) -> ActiveMove | None:
    """The move being worked on: the active one, else one still returning home."""
    row = db.execute(
        "SELECT id, scenario, status, started_at, ended_at FROM moves"
        " WHERE status IN ('active', 'returning')"
        " ORDER BY status = 'active' DESC, id DESC LIMIT 1"
    ).fetchone()
    return ActiveMove(*row) if row else None


def active_scenario(db: Database, plan: Plan) -> Scenario | None:
    """The scenario whose functions are in force (None while returning or in normal operation)."""
    move = current_move(db)
    if move is None or move.status != "active":
        return None
    return plan.scenarios.get(move.scenario)


def start(db: Database, plan: Plan, scenario_id: str, operator: str = "") -> ActiveMove:
    """Start a scenario: record the move and choose its manifest, in one transaction."""
    scenario = plan.scenarios.get(scenario_id)
    if scenario is None:
        known = ", ".join(plan.scenarios)
        raise MoveError(f"unknown scenario {scenario_id!r} (known: {known})")
    with store.write(db):
        move = current_move(db)
        if move is not None and move.status == "active":
            raise MoveError(
                f"scenario {move.scenario!r} is active since"
                f" {_local_time(move.started_at)}: end it first"
            )
        at = store.now()
        move_id = db.execute(
            "INSERT INTO moves (scenario, status, started_at, started_by)"
            " VALUES (?, 'active', ?, ?)",
            [scenario.id, at, operator],
        ).lastrowid
        taken: set[str] = set()
        for line in scenario.moves:
            picked = _pick(db, line.kind, line.origin, line.to, line.count, taken)
            taken.update(picked)
            picked += [None] * (line.count - len(picked))
            db.conn.executemany(
                "INSERT INTO manifest (move_id, leg, kind, tag, origin, dest)"
                " VALUES (?, 'out', ?, ?, ?, ?)",
                [(move_id, line.kind, tag, line.origin or "", line.to) for tag in picked],
            )
    return ActiveMove(move_id, scenario.id, "active", at, None)


def _pick(
    db: Database, kind: str, origin: str | None, dest: str, count: int, taken: set[str]
) -> list[str | None]:
    """Working assets of `kind` not already at `dest`, those at `origin` first."""
    rows = db.execute(
        "SELECT tag FROM assets WHERE kind = ? AND step IN ('in_service', 'installed')"
        " AND site != ? ORDER BY site = ? DESC, tag",
        [kind, dest, origin or ""],
    ).fetchall()
    return [tag for (tag,) in rows if tag not in taken][:count]


def end(db: Database, operator: str = "") -> ActiveMove:
    """End the active scenario: every asset of the outbound manifest that is not working at
    home (moved, packed but never gone, arrived and never installed, faulty, missing) gets a
    return line from where it is to its home site."""
    with store.write(db):
        move = current_move(db)
        if move is None or move.status != "active":
            raise MoveError("no scenario is active")
        at = store.now()
        db.execute(
            "INSERT INTO manifest (move_id, leg, kind, tag, origin, dest)"
            " SELECT m.move_id, 'return', m.kind, m.tag, a.site, a.home_site"
            " FROM manifest m JOIN assets a ON a.tag = m.tag"
            " WHERE m.move_id = ? AND m.leg = 'out'"
            " AND NOT (a.site = a.home_site AND a.step IN ('in_service', 'installed'))",
            [move.id],
        )
        status = "returning" if _open_return_lines(db, move.id) else "closed"
        db.execute(
            "UPDATE moves SET status = ?, ended_at = ?, ended_by = ? WHERE id = ?",
            [status, at, operator, move.id],
        )
    return ActiveMove(move.id, move.scenario, status, move.started_at, at)


def close(db: Database, reason: str, operator: str = "") -> ActiveMove:
    """Close the way home by hand, with the reason why the lines still open may stay so (an
    item sent for repair, one given up): kept with the move."""
    reason = " ".join(reason.split())
    if not reason:
        raise MoveError("scenario close needs a reason (--reason TEXT): it is kept with the move")
    with store.write(db):
        move = current_move(db)
        if move is None:
            raise MoveError("no scenario is active or returning")
        if move.status == "active":
            raise MoveError(
                f"scenario {move.scenario!r} is still active: `tracker scenario end` plans the"
                " way home first"
            )
        db.execute(
            "UPDATE moves SET status = 'closed', closed_at = ?, closed_by = ?, close_note = ?"
            " WHERE id = ?",
            [store.now(), operator, reason, move.id],
        )
    return ActiveMove(move.id, move.scenario, "closed", move.started_at, move.ended_at)


def _open_return_lines(db: Database, move_id: int, skip_tag: str = "") -> int:
    """Return lines (other than `skip_tag`'s) whose asset neither works at home nor is
    accounted for (ACCOUNTED_STEPS)."""
    return db.execute(
        "SELECT count(*) FROM manifest m JOIN assets a ON a.tag = m.tag"
        " WHERE m.move_id = ? AND m.leg = 'return' AND m.tag != ?"
        " AND NOT (a.site = m.dest AND a.step IN ('installed', 'in_service'))"
        " AND a.step NOT IN ('faulty', 'missing')",
        [move_id, skip_tag],
    ).fetchone()[0]


def close_if_home(db: Database, tag: str = "", step: str = "", site: str = "") -> None:
    """Close a returning move once nothing is left open; `tag` at `step` and `site` is the
    change being written in this transaction (a scan or a mark), not yet in `assets`."""
    move = current_move(db)
    if move is None or move.status != "returning":
        return
    if tag:
        row = db.execute(
            "SELECT dest FROM manifest WHERE move_id = ? AND leg = 'return' AND tag = ?",
            [move.id, tag],
        ).fetchone()
        if row is None:
            tag = ""  # not on the way home: its change decides nothing here
        elif not ((site == row[0] and step in WORKING_STEPS) or step in ACCOUNTED_STEPS):
            return
    if _open_return_lines(db, move.id, tag) == 0:
        db.execute("UPDATE moves SET status = 'closed' WHERE id = ?", [move.id])


@dataclass(frozen=True)
class ManifestItem:
    """One manifest line of the current leg, with how far its asset got."""

    kind: str
    tag: str | None
    name: str | None
    origin: str
    dest: str
    site: str | None
    step: str | None
    state: str
    """at_origin | packed | arrived | installed | missing (faulty, lost, or never assigned)."""


PROGRESS_STATES = ("at_origin", "packed", "arrived", "installed", "missing")


def manifest(db: Database, move: ActiveMove | None = None) -> list[ManifestItem]:
    """The current leg's manifest with each line's progress."""
    move = move or current_move(db)
    if move is None:
        return []
    leg = "out" if move.status == "active" else "return"
    rows = db.execute(
        "SELECT m.kind, m.tag, a.name, m.origin, m.dest, a.site, a.step FROM manifest m"
        " LEFT JOIN assets a ON a.tag = m.tag WHERE m.move_id = ? AND m.leg = ?"
        " ORDER BY m.dest, m.kind, m.tag IS NULL, m.tag",
        [move.id, leg],
    ).fetchall()
    return [ManifestItem(*row, _state(row[4], row[5], row[6])) for row in rows]


def _state(dest: str, site: str | None, step: str | None) -> str:
    if step is None or step in ("faulty", "missing"):
        return "missing"
    if site == dest and step in ("installed", "in_service"):
        return "installed"
    if site == dest and step == "arrived":
        return "arrived"
    if step in ("packed", "arrived"):
        return "packed"  # on its way, or arrived somewhere else
    return "at_origin"


def progress(items: list[ManifestItem]) -> dict[str, int]:
    counts = dict.fromkeys(PROGRESS_STATES, 0)
    for item in items:
        counts[item.state] += 1
    return counts


def match_scan(
    db: Database, move: ActiveMove, asset: store.Asset, step: str, site: str
) -> tuple[str, str | None]:
    """Check a scan against the manifest; returns (flag, dest). Runs inside the scan's
    write transaction, so a substitution and the scan land together.

    - In the manifest: arrivals and installs anywhere but its destination are `wrong_site`.
    - Not in it: it takes the place `free_line` gives (the one the auto step explains), so
      any working asset of the kind counts; otherwise `not_in_manifest`.
    """
    leg = "out" if move.status == "active" else "return"
    row = db.execute(
        "SELECT id, dest FROM manifest WHERE move_id = ? AND leg = ? AND tag = ?",
        [move.id, leg, asset.tag],
    ).fetchone()
    arriving = step in ("arrived", "installed")
    if row is not None:
        dest = row[1]
        if arriving and site != dest:
            return "wrong_site", dest
        if leg == "return":
            close_if_home(db, asset.tag, step, site)
        return "", dest
    if step not in ("packed", "arrived", "installed") or leg == "return":
        return "", None
    free = free_line(db, move, asset, step, site)
    if free is None:
        return "not_in_manifest", None
    # `replaced` keeps whose place it was, so undoing this scan gives it back (`give_back`).
    db.execute(
        "UPDATE manifest SET replaced = tag, taken_at = ?, tag = ? WHERE id = ?",
        [store.now(), asset.tag, free[0]],
    )
    return "", free[2]


def free_line(
    db: Database, move: ActiveMove, asset: store.Asset, step: str, site: str
) -> tuple[int, str, str] | None:
    """The untouched outbound line of `asset`'s kind that a scan of it at `site` takes:
    (id, origin, dest), or None. Unassigned, or its asset working and not scanned since the
    move started (a stocktake sighting moves nothing). One rule for the recorded scan
    (`match_scan`) and the auto step's explanation (`autostep`): a line starting where the
    asset is comes first (the scan's site for packing, its last site for an arrival), then a
    line from anywhere, then the rest; an arrival only on a line to `site`, a packing never
    on one to `site`."""
    arriving = step in ("arrived", "installed")
    here = asset.site if arriving else site
    return db.execute(
        "SELECT m.id, m.origin, m.dest FROM manifest m LEFT JOIN assets a ON a.tag = m.tag"
        " WHERE m.move_id = ? AND m.leg = 'out' AND m.kind = ?"
        " AND (m.tag IS NULL OR (a.step IN ('in_service', 'installed')"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tag = m.tag AND e.action = 'scan'"
        " AND e.undone_by IS NULL AND e.at >= ?)))"
        + (" AND m.dest = ?" if arriving else " AND m.dest != ?")
        + " ORDER BY m.origin = ? DESC, m.origin = '' DESC, m.tag IS NULL DESC, m.id LIMIT 1",
        [move.id, asset.kind, move.started_at, site, here],
    ).fetchone()


def give_back(db: Database, tags: list[str]) -> None:
    """Places in a current move's manifest that `tags` took by a scan since undone go back to
    the asset they were taken from (left free if it holds another line by now): the manifest
    is as before the scan. Called where the events are replayed (`sync.rebuild_assets`)."""
    taken = {r[0] for r in db.execute("SELECT tag FROM manifest WHERE taken_at IS NOT NULL")}
    for tag in (t for t in tags if t in taken):  # a sync replays thousands; few took a place
        rows = db.execute(
            "SELECT m.id, m.move_id, m.replaced FROM manifest m JOIN moves v ON v.id = m.move_id"
            " WHERE m.tag = ? AND m.leg = 'out' AND m.taken_at IS NOT NULL"
            " AND v.status IN ('active', 'returning')"
            " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tag = m.tag AND e.action = 'scan'"
            " AND e.undone_by IS NULL AND e.move_id = m.move_id AND e.at >= m.taken_at)",
            [tag],
        ).fetchall()
        for line_id, move_id, replaced in rows:
            if (
                replaced is not None
                and db.execute(
                    "SELECT 1 FROM manifest WHERE move_id = ? AND leg = 'out' AND tag = ?",
                    [move_id, replaced],
                ).fetchone()
            ):
                replaced = None
            db.execute(
                "UPDATE manifest SET tag = ?, replaced = NULL, taken_at = NULL WHERE id = ?",
                [replaced, line_id],
            )
