"""The scan code path shared by `tracker scan` and the terminal app.

A scan resolves what the scanner typed (see `codes`), then, in one write transaction, appends an
event and updates the asset's current state. The function returns only after the commit is
fsynced, so whatever the caller shows as "recorded" survives a crash. Nothing is thrown away: an
unknown code is kept in the unknown-scans log, an unexpected asset is recorded and flagged.
"""

from __future__ import annotations

import getpass
import os
from contextlib import nullcontext
from dataclasses import dataclass

from tracker import autostep, codes, moves, store
from tracker.database import Database
from tracker.plan import Plan
from tracker.station import hostname

SCAN_STEPS = ("packed", "arrived", "installed", "faulty", "missing", "in_service")
AUTO = autostep.AUTO
STEP_CHOICES = (AUTO, *SCAN_STEPS)
"""What a scan station can be set to: "auto" (the move decides, see `autostep`) or a step."""

STEP_LABELS = {
    "auto": "auto",
    "in_service": "in service",
    "packed": "packed",
    "arrived": "arrived",
    "installed": "installed",
    "faulty": "faulty",
    "missing": "missing",
}


class ScanError(ValueError):
    """Bad scan parameters (unknown site or step); the message says which."""


@dataclass(frozen=True)
class ScanResult:
    """What happened to one scan, for the CLI line and the app's log."""

    outcome: str
    """recorded | repeat | unknown | site | step | refused | empty"""
    code: str
    message: str
    asset: store.Asset | None = None
    event_id: int | None = None
    flag: str = ""
    site_id: str | None = None
    step_id: str | None = None
    """The step a step card sets (outcome "step")."""
    reason: str = ""
    """Why the auto step chose what it chose, or refused."""
    parts: int = 0
    """Kit parts that moved with the workstation."""

    @property
    def ok(self) -> bool:
        """True when the user needs no second look (recorded without flag, or a site switch)."""
        return self.outcome in ("recorded", "site", "step") and not self.flag


def default_operator() -> str:
    try:
        return os.environ.get("TRACKER_OPERATOR") or getpass.getuser()
    except Exception:  # no user name in a minimal container: not worth failing a scan over
        return ""


def default_station() -> str:
    """TRACKER_STATION, else the host and its terminal: two terminals on one PC are two
    stations, so `tracker undo` in one never takes back the other's scans."""
    if station := os.environ.get("TRACKER_STATION"):
        return station
    host = hostname()
    tty = terminal_name()
    return f"{host}:{tty}" if tty else host


def terminal_name() -> str:
    """This process's terminal without /dev/ (pts/3, tty1), '' when it has none."""
    for fd in (0, 1, 2):
        try:
            return os.ttyname(fd).removeprefix("/dev/")
        except OSError:
            continue
    return ""


def check_site_step(plan: Plan, site: str, step: str) -> None:
    if site not in plan.sites:
        raise ScanError(f"unknown site {site!r} (known: {', '.join(plan.sites)})")
    if step not in STEP_CHOICES:
        raise ScanError(f"unknown step {step!r} (one of: {', '.join(STEP_CHOICES)})")


def scan(
    db: Database,
    plan: Plan,
    raw: str,
    *,
    site: str,
    step: str,
    operator: str | None = None,
    station: str | None = None,
    holder: str | None = None,
) -> ScanResult:
    """Apply `step` at `site` to whatever `raw` names; step "auto" lets the move decide
    (`autostep`). See the module docstring.

    `holder` names who takes the asset (at a home workplace); without it an asset keeps its
    holder at a home workplace and loses it anywhere else. The parts of a kit that are with
    their workstation (same site, same step) get the same step."""
    check_site_step(plan, site, step)
    if holder is not None and (len(holder.strip()) > MAX_HOLDER or not holder.isprintable()):
        raise ScanError(
            f"holder {holder[:40]!r}: a person's name, at most {MAX_HOLDER} printable characters"
        )
    operator = default_operator() if operator is None else operator
    station = default_station() if station is None else station
    code = codes.parse(raw)
    shown = raw.strip()
    if code is None:
        return ScanResult("empty", shown, "nothing to scan: the code was empty")
    if code.kind == "site":
        site_id = _site_by_key(plan, code.key)
        if site_id is not None:
            name = plan.sites[site_id].name
            return ScanResult("site", shown, f"site label: {name}", site_id=site_id)
        return keep_unknown(db, shown, site, step, operator, station, "no site has this label")
    if code.kind == "step":
        return ScanResult("step", shown, f"step card: {STEP_LABELS[code.key]}", step_id=code.key)

    with store.write(db):
        asset = store.asset_by_key(db, code.key)
        if asset is None:
            why = "no asset has this tag"
            if near := store.near_tags(db, code.key):
                why += f" - did you mean {' or '.join(near)}?"
            return keep_unknown(db, shown, site, step, operator, station, why)
        reason = ""
        if step == AUTO:
            decided = _auto(db, plan, asset, site, station, shown)
            if isinstance(decided, ScanResult):
                return decided
            step, reason = decided
        holder = _holder(plan, asset, site, holder)
        if asset.step == step and asset.site == site and asset.holder == holder:
            return ScanResult(
                "repeat",
                shown,
                f"{asset.tag} is already {STEP_LABELS[step]} at {plan.sites[site].name}:"
                " nothing changed",
                asset=asset,
            )
        move = moves.current_move(db)
        flag, dest = ("", None) if move is None else moves.match_scan(db, move, asset, step, site)
        at = store.now()
        move_id = move.id if move else None
        record = (at, step, site, holder, operator, station, move_id)
        event_id = _record(db, record, asset, shown, flag)
        parts = []
        if asset.kind in plan.kinds and plan.kinds[asset.kind].parts:
            # `kit != ''` lets SQLite use the partial kit index, and `+site`, `+step` make it
            # (else it took assets_readiness and read every asset at the site, every scan).
            parts = db.execute(
                f"SELECT {store.ASSET_COLUMNS} FROM assets WHERE kit != '' AND kit = ?"
                " AND +site = ? AND +step = ? ORDER BY tag",
                [asset.tag, asset.site, asset.step],
            ).fetchall()
        for part in parts:
            _record(db, record, store.Asset(*part), f"kit:{asset.tag}", "")
    new = store.Asset(
        **{**asset.__dict__, "step": step, "site": site, "last_seen": at, "holder": holder}
    )
    message = f"{asset.tag} {asset.name}: {STEP_LABELS[step]} at {plan.sites[site].name}"
    if reason:
        message += f" ({reason})"
    if holder and holder != asset.holder:
        message += f", held by {holder}"
    if parts:
        message += f", with {len(parts)} kit part(s)"
    if flag == "wrong_site":
        message += f" - WRONG SITE: the manifest sends it to {plan.sites[dest].name}"
    elif flag == "not_in_manifest":
        message += " - NOT IN THE MANIFEST of the active scenario"
    return ScanResult(
        "recorded",
        shown,
        message,
        asset=new,
        event_id=event_id,
        flag=flag,
        reason=reason,
        parts=len(parts),
    )


MAX_HOLDER = 80


def _holder(plan: Plan, asset: store.Asset, site: str, holder: str | None) -> str:
    """Who holds the asset after a scan at `site`."""
    if holder is not None:
        return holder.strip()
    return asset.holder if plan.sites[site].homes else ""


def _record(db: Database, record: tuple, asset: store.Asset, code: str, flag: str) -> int:
    """One scan event and the asset's new state; returns the event id."""
    at, step, site, holder, operator, station, move_id = record
    event_id = db.execute(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
        " station, code, move_id, flag, holder, prev_holder)"
        " VALUES (?, ?, 'scan', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [at, asset.tag, step, site, asset.step, asset.site, operator, station, code]
        + [move_id, flag, holder, asset.holder],
    ).lastrowid
    db.execute(
        "UPDATE assets SET step = ?, site = ?, holder = ?, last_seen = ?, updated_at = ?"
        " WHERE tag = ?",
        [step, site, holder, at, at, asset.tag],
    )
    return event_id


def _auto(
    db: Database, plan: Plan, asset: store.Asset, site: str, station: str, shown: str
) -> ScanResult | tuple[str, str]:
    """The inferred (step, reason), or the result when there is nothing to record."""
    ago = autostep.recent_scan(db, asset.tag, station, site, autostep.repeat_seconds())
    if ago is not None:
        return ScanResult(
            "repeat",
            shown,
            f"{asset.tag} was scanned here {ago} s ago (a double read?): nothing changed",
            asset=asset,
        )
    inferred = autostep.infer(db, plan, asset, site)
    if inferred.step is None:
        return ScanResult(
            "refused",
            shown,
            f"{asset.tag} NOT RECORDED: no step can be inferred: {inferred.reason};"
            " choose a step (F7, a step card or --step)",
            asset=asset,
            reason=inferred.reason,
        )
    if inferred.already:
        return ScanResult(
            "repeat",
            shown,
            f"{asset.tag} is already {STEP_LABELS[asset.step]} at {plan.sites[site].name}"
            f" ({inferred.reason}): nothing changed",
            asset=asset,
            reason=inferred.reason,
        )
    return inferred.step, inferred.reason


def _site_by_key(plan: Plan, key: str) -> str | None:
    for site_id in plan.sites:
        if codes.key_for(site_id) == key:
            return site_id
    return None


def keep_unknown(
    db: Database, shown: str, site: str, step: str, operator: str, station: str, why: str
) -> ScanResult:
    """Keep an unmatched code for later; it changes no asset."""
    with store.write(db) if not db.conn.in_transaction else nullcontext():
        db.execute(
            "INSERT INTO unknown_scans (at, code, site, step, operator, station)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [store.now(), shown, site, step, operator, station],
        )
    return ScanResult(
        "unknown", shown, f"unknown code {shown!r}: {why}; kept in the unknown-scans log"
    )


MAX_PARTS = 50
"""More parts in one kit than this is not a kit."""


def _undo_event(db: Database, event_id: int, at: str, operator: str, station: str) -> int:
    """Take one scan event back with an undo event; the caller rebuilds the asset's state."""
    undo_id = db.execute(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
        " station, code, move_id, flag, holder, prev_holder, quantity, prev_quantity)"
        " SELECT ?, tag, 'undo', prev_step, prev_site, step, site, ?, ?, '', move_id, '',"
        " prev_holder, holder, prev_quantity, quantity FROM events WHERE id = ?",
        [at, operator, station, event_id],
    ).lastrowid
    db.execute("UPDATE events SET undone_by = ? WHERE id = ?", [undo_id, event_id])
    return undo_id


def undo_last(
    db: Database, plan: Plan, *, station: str | None = None, operator: str | None = None
) -> ScanResult:
    """Undo this station's latest scan that is not undone yet, if nothing happened since.

    The undo is itself an event, so the log stays append-only and shows what was taken back.
    The kit parts that moved with a workstation's scan are taken back with it.
    """
    station = default_station() if station is None else station
    operator = default_operator() if operator is None else operator
    with store.write(db):
        row = db.execute(
            "SELECT id, tag, action FROM events"
            " WHERE station = ? AND action IN ('scan', 'count') AND undone_by IS NULL"
            " AND code NOT LIKE 'kit:%' ORDER BY id DESC LIMIT 1",
            [station],
        ).fetchone()
        if row is None:
            return ScanResult("empty", "", "nothing to undo")
        event_id, tag, action = row
        asset = store.asset_by_tag(db, tag)
        assert asset is not None
        # After a merge, local row ids are no time order: "since" is by time and global id,
        # and the state after the undo is what the events say, as `tracker sync` rebuilds it.
        from tracker import sync

        if sync.latest_event(db, tag) != event_id:
            return ScanResult(
                "repeat",
                "",
                f"cannot undo the scan of {tag}: it was scanned again since",
                asset=asset,
            )
        at = store.now()
        undo_id = _undo_event(db, event_id, at, operator, station)
        undone = [tag]
        # The kit parts that moved with it: the events right after it, from the same scan.
        for part_event, part_tag, code in db.execute(
            "SELECT id, tag, code FROM events WHERE id > ? AND station = ? ORDER BY id LIMIT ?",
            [event_id, station, MAX_PARTS],
        ).fetchall():
            if code != f"kit:{tag}":
                break
            if sync.latest_event(db, part_tag) == part_event:
                _undo_event(db, part_event, at, operator, station)
                undone.append(part_tag)
        sync.rebuild_assets(db, undone)
        new = store.asset_by_tag(db, tag)
    assert new is not None
    site_name = plan.sites[new.site].name if new.site in plan.sites else new.site
    parts = f", with {len(undone) - 1} kit part(s)" if len(undone) > 1 else ""
    state = f"is {STEP_LABELS.get(new.step, new.step)} at {site_name} again{parts}"
    if action == "count":
        state = f"the count is taken back: it holds {new.quantity} at {site_name} again"
    return ScanResult(
        "recorded",
        "",
        f"undone: {tag} {state}",
        asset=new,
        event_id=undo_id,
        parts=len(undone) - 1,
    )
