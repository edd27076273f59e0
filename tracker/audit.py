"""Stocktakes: walk through a site, scan everything there, and learn what is missing.

After a fire, or before the way home, someone scans every item in a room. Each asset seen is
`found` (recorded at this site), or `unexpected` (recorded elsewhere: its site is corrected by
a `seen` event flagged `unexpected_site`, so the dashboard lists it); a code that matches
nothing is `unknown` and kept in the unknown-scans log as any scan. Closing the stocktake adds
`missing`: what is recorded at the site and was not seen. A stocktake never changes a step.

There is at most one open stocktake per site; a second station that starts one joins it, so
several people can scan one site at once. Every scan is its own durable write transaction,
like a scan of the move workflow (`store.write`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tracker import codes, store
from tracker.database import Database
from tracker.plan import Plan

UNEXPECTED_FLAG = "unexpected_site"


class AuditError(ValueError):
    """No such site, or no open stocktake where one is needed; the message says which."""


@dataclass(frozen=True)
class Audit:
    id: int
    site: str
    status: str
    started_at: str
    started_by: str
    closed_at: str | None
    closed_by: str
    result: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """One scan in a stocktake, for the CLI line and the scan screen's log."""

    outcome: str
    """found | unexpected | unknown | repeat | site | step | empty"""
    code: str
    message: str
    tag: str | None = None
    site_id: str | None = None
    step_id: str | None = None


_COLUMNS = "id, site, status, started_at, started_by, closed_at, closed_by, result"


def _audit(row: tuple | None) -> Audit | None:
    if row is None:
        return None
    *head, result = row
    return Audit(*head, result=json.loads(result) if result else None)


def _site_name(plan: Plan, site: str) -> str:
    return plan.sites[site].name if site in plan.sites else site


def _check_site(plan: Plan, site: str) -> None:
    if site not in plan.sites:
        raise AuditError(f"unknown site {site!r} (known: {', '.join(plan.sites)})")


def open_audit(db: Database, site: str) -> Audit | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM audits WHERE site = ? AND status = 'open'", [site]
    ).fetchone()
    return _audit(row)


def start(db: Database, plan: Plan, site: str, operator: str = "") -> tuple[Audit, bool]:
    """Open a stocktake of `site`; (audit, joined): joined when one was open already."""
    _check_site(plan, site)
    with store.write(db):
        current = open_audit(db, site)
        if current is not None:
            return current, True
        at = store.now()
        audit_id = db.execute(
            "INSERT INTO audits (site, status, started_at, started_by) VALUES (?, 'open', ?, ?)",
            [site, at, operator],
        ).lastrowid
    return Audit(audit_id, site, "open", at, operator, None, ""), False


def scan(
    db: Database,
    plan: Plan,
    site: str,
    raw: str,
    *,
    operator: str = "",
    station: str = "",
    open_if_needed: bool = False,
) -> Seen:
    """Record that what `raw` names was seen at `site` during its open stocktake."""
    _check_site(plan, site)
    shown = raw.strip()
    code = codes.parse(raw)
    if code is None:
        return Seen("empty", shown, "nothing to scan: the code was empty")
    if code.kind == "site":
        site_id = next((s for s in plan.sites if codes.key_for(s) == code.key), None)
        if site_id is not None:
            return Seen("site", shown, f"site label: {_site_name(plan, site_id)}", site_id=site_id)
    if code.kind == "step":
        return Seen("step", shown, f"step card: {code.key}", step_id=code.key)
    with store.write(db):
        audit = open_audit(db, site)
        if audit is None:
            if not open_if_needed:
                raise AuditError(
                    f"no stocktake of {_site_name(plan, site)} is open"
                    f" (start one: tracker audit start {site})"
                )
            db.execute(
                "INSERT INTO audits (site, status, started_at, started_by)"
                " VALUES (?, 'open', ?, ?)",
                [site, store.now(), operator],
            )
            audit = open_audit(db, site)
            assert audit is not None
        asset = store.asset_by_key(db, code.key) if code.kind == "asset" else None
        at = store.now()
        if asset is None:
            db.execute(
                "INSERT INTO audit_scans (audit_id, at, code, tag, result, operator, station)"
                " VALUES (?, ?, ?, NULL, 'unknown', ?, ?)",
                [audit.id, at, shown, operator, station],
            )
            db.execute(
                "INSERT INTO unknown_scans (at, code, site, step, operator, station)"
                " VALUES (?, ?, ?, 'audit', ?, ?)",
                [at, shown, site, operator, station],
            )
            why = "no asset has this tag"
            if code.kind == "asset" and (near := store.near_tags(db, code.key)):
                why += f" - did you mean {' or '.join(near)}?"
            return Seen("unknown", shown, f"unknown code {shown!r}: {why}; kept in the log")
        before = db.execute(
            "SELECT station FROM audit_scans WHERE audit_id = ? AND tag = ? LIMIT 1",
            [audit.id, asset.tag],
        ).fetchone()
        if before is not None:
            by = f" by {before[0]}" if before[0] and before[0] != station else ""
            return Seen("repeat", shown, f"{asset.tag} was seen already{by}", tag=asset.tag)
        here = asset.site == site
        outcome = "found" if here else "unexpected"
        event_id = db.execute(
            "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
            " station, code, move_id, flag) VALUES (?, ?, 'seen', ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            [
                at,
                asset.tag,
                asset.step,
                site,
                asset.step,
                asset.site,
                operator,
                station,
                shown,
                "" if here else UNEXPECTED_FLAG,
            ],
        ).lastrowid
        db.execute(
            "UPDATE assets SET site = ?, last_seen = ?, updated_at = ? WHERE tag = ?",
            [site, at, at, asset.tag],
        )
        db.execute(
            "INSERT INTO audit_scans (audit_id, at, code, tag, result, operator, station,"
            " event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [audit.id, at, shown, asset.tag, outcome, operator, station, event_id],
        )
    if here:
        return Seen("found", shown, f"{asset.tag} {asset.name}: found", tag=asset.tag)
    return Seen(
        "unexpected",
        shown,
        f"{asset.tag} {asset.name}: UNEXPECTED here, was recorded at"
        f" {_site_name(plan, asset.site)}; its site is now {_site_name(plan, site)}",
        tag=asset.tag,
    )


def _result(db: Database, audit: Audit) -> dict[str, Any]:
    rows = db.execute(
        "SELECT code, tag, result FROM audit_scans WHERE audit_id = ? ORDER BY id", [audit.id]
    ).fetchall()
    found = sorted({tag for _code, tag, result in rows if result == "found"})
    unexpected = sorted({tag for _code, tag, result in rows if result == "unexpected"})
    unknown = list(dict.fromkeys(code for code, _tag, result in rows if result == "unknown"))
    seen = set(found) | set(unexpected)
    here = db.execute("SELECT tag FROM assets WHERE site = ? ORDER BY tag", [audit.site])
    missing = [tag for (tag,) in here if tag not in seen]
    return {
        "site": audit.site,
        "found": found,
        "missing": missing,
        "unexpected": unexpected,
        "unknown": unknown,
    }


def close(db: Database, plan: Plan, site: str, operator: str = "") -> Audit:
    """End the open stocktake of `site`; its result is kept as it was at this moment."""
    _check_site(plan, site)
    with store.write(db):
        audit = open_audit(db, site)
        if audit is None:
            raise AuditError(f"no stocktake of {_site_name(plan, site)} is open")
        result = _result(db, audit)
        at = store.now()
        db.execute(
            "UPDATE audits SET status = 'closed', closed_at = ?, closed_by = ?, result = ?"
            " WHERE id = ?",
            [at, operator, json.dumps(result, ensure_ascii=False), audit.id],
        )
    return Audit(
        audit.id,
        site,
        "closed",
        audit.started_at,
        audit.started_by,
        at,
        operator,
        result,
        _counts(result),
    )


def stations(db: Database, site: str) -> list[str]:
    """The stations that recorded a sighting in the open stocktake of `site` (none: [])."""
    audit = open_audit(db, site)
    if audit is None:
        return []
    rows = db.execute(
        "SELECT DISTINCT station FROM audit_scans WHERE audit_id = ? ORDER BY station",
        [audit.id],
    )
    return [station for (station,) in rows]


def summary(plan: Plan, audit: Audit, shown: int = 10) -> str:
    """One line for a closed stocktake: its counts, then what was missing, unexpected, unknown
    (`shown` of each at most), as the scan screen and `audit close` say it."""
    result = audit.result or {}
    counts = audit.counts or _counts(result)
    line = f"stocktake of {_site_name(plan, audit.site)} closed: " + ", ".join(
        f"{counts[k]} {k}" for k in ("found", "missing", "unexpected", "unknown")
    )
    for key in ("missing", "unexpected", "unknown"):
        items = result.get(key) or []
        if items:
            more = f" +{len(items) - shown} more" if len(items) > shown else ""
            line += f"; {key}: {', '.join(items[:shown])}{more}"
    return line


def _counts(result: dict[str, Any]) -> dict[str, int]:
    return {k: len(result[k]) for k in ("found", "missing", "unexpected", "unknown")}


def audits(db: Database, site: str | None = None, *, closed_only: bool = False) -> list[Audit]:
    """Stocktakes, newest first; an open one with its result so far."""
    sql = f"SELECT {_COLUMNS} FROM audits"
    where, params = [], []
    if site:
        where.append("site = ?")
        params.append(site)
    if closed_only:
        where.append("status = 'closed'")
    if where:
        sql += " WHERE " + " AND ".join(where)
    out = []
    for row in db.execute(sql + " ORDER BY id DESC", params).fetchall():
        audit = _audit(row)
        assert audit is not None
        result = audit.result or _result(db, audit)
        out.append(Audit(**{**audit.__dict__, "result": result, "counts": _counts(result)}))
    return out
