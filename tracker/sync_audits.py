"""Merging stocktakes (tracker.audit) between stations: part of `tracker sync`.

A site has at most one open stocktake. Two stations that each opened one of the same site while
apart keep the one started first (by time, then gid); the other becomes `superseded` and its
scans count towards the survivor, so closing it finds what either station saw. A stocktake
closed on one side is closed on both.
"""

from __future__ import annotations

from tracker.database import Database

RANK = "CASE {} WHEN 'open' THEN 0 WHEN 'superseded' THEN 1 WHEN 'closed' THEN 2 ELSE 0 END"


def _has_gid(db: Database, schema: str, table: str) -> bool:
    return any(r[1] == "gid" for r in db.execute(f"PRAGMA {schema}.table_info({table})"))


def merge(db: Database, columns) -> dict[str, int]:  # noqa: ANN001 - sync._common
    """Add the other side's stocktakes and their scans; `columns(db, table, skip)` lists the
    columns both sides have. Runs inside `sync.merge`'s transaction, after the events."""
    if not all(_has_gid(db, s, t) for s in ("main", "other") for t in ("audits", "audit_scans")):
        return {}
    db.execute(
        "UPDATE main.audits SET status = o.status, closed_at = o.closed_at,"
        " closed_by = o.closed_by, result = o.result FROM other.audits o"
        f" WHERE o.gid = main.audits.gid AND {RANK.format('o.status')}"
        f" > {RANK.format('main.audits.status')}"
    )
    db.execute("DROP TABLE IF EXISTS temp.sync_open")
    db.execute(
        "CREATE TEMP TABLE sync_open AS SELECT o.gid, o.site, o.started_at FROM other.audits o"
        " WHERE o.status = 'open' AND o.gid NOT IN (SELECT gid FROM main.audits)"
    )
    cols = columns(db, "audits", skip=("id", "status"))
    added = db.execute(
        f"INSERT INTO main.audits ({', '.join(cols)}, status)"
        f" SELECT {', '.join('o.' + c for c in cols)}, CASE WHEN o.status = 'open' AND EXISTS"
        " (SELECT 1 FROM main.audits m WHERE m.site = o.site AND m.status = 'open')"
        " THEN 'superseded' ELSE o.status END"
        " FROM other.audits o WHERE o.gid NOT IN (SELECT gid FROM main.audits) ORDER BY o.id"
    ).rowcount
    _keep_first_started(db)
    cols = columns(db, "audit_scans", skip=("id", "audit_id", "event_id"))
    scans = db.execute(
        f"INSERT INTO main.audit_scans ({', '.join(cols)}, audit_id, event_id)"
        f" SELECT {', '.join('o.' + c for c in cols)},"
        " (SELECT ma.id FROM main.audits ma JOIN other.audits oa ON oa.gid = ma.gid"
        "  WHERE oa.id = o.audit_id),"
        " (SELECT me.id FROM main.events me JOIN other.events oe ON oe.gid = me.gid"
        "  WHERE oe.id = o.event_id)"
        " FROM other.audit_scans o WHERE o.gid NOT IN (SELECT gid FROM main.audit_scans)"
        " ORDER BY o.id"
    ).rowcount
    # Scans of a superseded stocktake count towards the open one of its site.
    db.execute(
        "UPDATE main.audit_scans SET audit_id = (SELECT keep.id FROM main.audits keep"
        "  JOIN main.audits old ON old.site = keep.site"
        "  WHERE old.id = main.audit_scans.audit_id AND keep.status = 'open')"
        " WHERE audit_id IN (SELECT id FROM main.audits WHERE status = 'superseded'"
        "  AND site IN (SELECT site FROM main.audits WHERE status = 'open'))"
    )
    db.execute("DROP TABLE temp.sync_open")
    return {"stocktakes": added, "stocktake scans": scans}


def _keep_first_started(db: Database) -> None:
    """An open stocktake that came in and was started before this side's open one wins."""
    rows = db.execute(
        "SELECT n.gid, m.id FROM temp.sync_open n JOIN main.audits m"
        " ON m.site = n.site AND m.status = 'open'"
        " WHERE (n.started_at, n.gid) < (m.started_at, m.gid)"
    ).fetchall()
    for gid, mine in rows:
        db.execute("UPDATE main.audits SET status = 'superseded' WHERE id = ?", [mine])
        db.execute("UPDATE main.audits SET status = 'open' WHERE gid = ?", [gid])
