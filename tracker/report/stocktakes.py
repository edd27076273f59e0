"""The report's section per closed stocktake (`tracker.audit`): what was missing, what stood
where it should not, and what could not be read, for the meeting that decides what to chase."""

from __future__ import annotations

from collections.abc import Callable

from tracker import audit, store
from tracker.database import Database
from tracker.report.html import Column, local, section, t, table

COLS: list[Column] = [("Result", 16), ("Tag", 18), ("Name", 40), ("Now recorded at", 26)]
WORDS = {
    "missing": "missing (not seen)",
    "unexpected": "unexpected (site corrected)",
    "unknown": "unknown code",
}


def sections(db: Database, site_name: Callable[[str | None], str]) -> list[str]:
    """One section per closed stocktake, newest first."""
    out = []
    for a in audit.audits(db, closed_only=True):
        result = a.result or {}
        rows = []
        for key in ("missing", "unexpected", "unknown"):
            for item in result.get(key, []):
                asset = store.asset_by_tag(db, item) if key != "unknown" else None
                rows.append(
                    f"<tr><td><span class='flag'>{t(WORDS[key])}</span></td>"
                    f"<td class='tag'>{t(item)}</td><td>{t(asset.name if asset else '')}</td>"
                    f"<td>{t(site_name(asset.site) if asset else '')}</td></tr>"
                )
        counts = ", ".join(f"{n} {k}" for k, n in a.counts.items())
        found = ", ".join(result.get("found", []))
        out.append(
            section(
                f"stocktake-{a.id}",
                f"Stocktake of {site_name(a.site)}, {local(a.closed_at)}",
                f"<p><strong>{t(counts)}</strong> — from {t(local(a.started_at))}"
                f" to {t(local(a.closed_at))}, closed by {t(a.closed_by)}</p>",
                table(COLS, rows, "Everything recorded here was seen, nothing else was."),
                f"<p class='small'>Found: {t(found) or '—'}</p>",
            )
        )
    return out
