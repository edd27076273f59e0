"""Marking an asset faulty or missing with a note, and editing its notes: from the asset's
detail in the app, or `tracker mark` / `tracker notes`.

A mark is a scan event like any other (action `mark`, at the asset's current site), so it shows
in the history, counts in readiness at once (a faulty pass workstation no longer counts) and is
undone by scanning the asset again. The note goes into the event, and in front of the asset's
notes, dated, so whoever picks the asset up next reads why.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker import moves, store, timefmt
from tracker.database import Database
from tracker.plan import Plan

MARK_STEPS = ("faulty", "missing")
NOTES_MAX = 2000


class MarkError(ValueError):
    """No such asset, or a step that is not a mark; the message says which."""


@dataclass(frozen=True)
class Marked:
    asset: store.Asset
    message: str
    event_id: int | None


def _clean(text: str) -> str:
    """One paragraph: notes are shown on one line in tables and exports."""
    return " ".join(text.split())[:NOTES_MAX]


def mark(
    db: Database,
    plan: Plan,
    tag: str,
    step: str,
    note: str,
    *,
    operator: str = "",
    station: str = "",
) -> Marked:
    """Set `tag` to faulty or missing where it is; `note` says why (kept with the event)."""
    if step not in MARK_STEPS:
        raise MarkError(f"cannot mark an asset {step!r} (one of: {', '.join(MARK_STEPS)})")
    note = _clean(note)
    with store.write(db):
        asset = store.find_asset(db, tag)
        if asset is None:
            raise MarkError(f"no asset with tag {tag!r}")
        site_name = plan.sites[asset.site].name if asset.site in plan.sites else asset.site
        if asset.step == step and not note:
            return Marked(asset, f"{asset.tag} is already {step} at {site_name}", None)
        at = store.now()
        event_id = db.execute(
            "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
            " station, code, move_id, flag, note)"
            " VALUES (?, ?, 'mark', ?, ?, ?, ?, ?, ?, '', NULL, '', ?)",
            [at, asset.tag, step, asset.site, asset.step, asset.site, operator, station, note],
        ).lastrowid
        notes = asset.notes
        if note:
            stamp = timefmt.local_time(at)
            notes = _clean(f"{stamp} {step}: {note}" + (f" · {notes}" if notes else ""))
        db.execute(
            "UPDATE assets SET step = ?, notes = ?, updated_at = ? WHERE tag = ?",
            [step, notes, at, asset.tag],
        )
        # The last item on the way home marked faulty or missing is accounted for.
        moves.close_if_home(db, asset.tag, step, asset.site)
    new = store.Asset(**{**asset.__dict__, "step": step, "notes": notes, "updated_at": at})
    why = f" ({note})" if note else ""
    return Marked(new, f"{asset.tag} {asset.name}: marked {step} at {site_name}{why}", event_id)


def set_notes(db: Database, tag: str, notes: str) -> store.Asset:
    """Replace the asset's notes (one paragraph, at most NOTES_MAX characters)."""
    notes = _clean(notes)
    with store.write(db):
        asset = store.find_asset(db, tag)
        if asset is None:
            raise MarkError(f"no asset with tag {tag!r}")
        at = store.now()
        db.execute(
            "UPDATE assets SET notes = ?, updated_at = ? WHERE tag = ?", [notes, at, asset.tag]
        )
    return store.Asset(**{**asset.__dict__, "notes": notes, "updated_at": at})
