"""The report's paper checklists: a page per site with what should be there, to tick by hand
when the laptop is not at hand and scan in later. A workstation is followed by the parts of its
kit, since it counts only when all of them are there."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from tracker import moves, store
from tracker.database import Database
from tracker.plan import Plan, Scenario
from tracker.report.html import Column, local, section, t, table

MOVE_STATES = {
    "at_origin": "at origin",
    "packed": "on the way",
    "arrived": "arrived",
    "installed": "installed",
    "missing": "missing",
}
# fmt: off
CHECKLIST_COLS: list[Column] = [
    ("Arrived", 9, "box"), ("Installed", 9, "box"), ("Tag", 13), ("Name", 21), ("Kind", 19),
    ("Serial", 12), ("Tracker says", 17)]
# fmt: on


class Report(Protocol):
    """What a checklist needs of the report: its snapshot and its names for things."""

    db: Database
    plan: Plan
    now: datetime
    scenario: Scenario | None
    items: list[moves.ManifestItem]

    def site(self, site_id: str | None) -> str: ...
    def kind(self, kind_id: str | None) -> str: ...
    def step(self, step: str | None) -> str: ...
    def assets_of(self, kind: str) -> list[store.Asset]: ...


def sections(r: Report) -> list[str]:
    """A page per site that hosts functions now, or that the manifest sends things to."""
    hosted = r.plan.site_functions(r.scenario)
    dests = {it.dest for it in r.items}
    sites = [s for s in r.plan.sites if hosted.get(s) or s in dests]
    return [checklist(r, s, hosted.get(s, ())) for s in sites]


def checklist(r: Report, site_id: str, functions: tuple[str, ...]) -> str:
    """What should be at the site: the manifest's items going there, then the equipment of
    the kinds its functions need that is there already; each workstation followed by the
    parts of its kit (it counts only when they are all there)."""
    plan = r.plan
    site = plan.sites[site_id]
    rows, listed = [], set()
    for it in r.items:
        if it.dest != site_id:
            continue
        asset = store.asset_by_tag(r.db, it.tag) if it.tag else None
        listed.add(it.tag)
        rows.append(
            _row(
                r,
                it.tag or "",
                it.name or f"any {r.kind(it.kind)}",
                it.kind,
                asset.serial if asset else "",
                f"from {r.site(it.origin)}; now {MOVE_STATES[it.state]}",
            )
        )
        rows += _part_rows(r, it.tag, it.kind)
    kinds = sorted({q.kind for f in functions for q in plan.functions[f].requires})
    for kind in kinds:
        for a in r.assets_of(kind):
            if a.site == site_id and a.tag not in listed:
                note = f"here: {r.step(a.step)}"
                rows.append(_row(r, a.tag, a.name, a.kind, a.serial, note))
                rows += _part_rows(r, a.tag, a.kind)
    rows += [_row(r, "", "", "", "", "") for _ in range(3)]
    names = ", ".join(plan.functions[f].name for f in functions) or "none"
    printed = local(r.now, "%Y-%m-%d %H:%M %Z")
    return section(
        f"checklist-{site_id}",
        f"Checklist: {site.name}",
        f'<dl class="meta"><dt>Address</dt><dd>{t(site.address or "—")}</dd>'
        f"<dt>Functions here</dt><dd>{t(names)}</dd>"
        f"<dt>Printed</dt><dd>{t(printed)} (tracker state as of then)</dd></dl>",
        # At the top, so a full last page cannot push it onto a page of its own.
        '<div class="sign"><div>Checked by</div><div>Date and time</div></div>',
        "<p class='small'>Tick <strong>Arrived</strong> when the item is on site and "
        "<strong>Installed</strong> when it works. Write unexpected equipment in the empty "
        "rows. Scan the ticks into the tracker when the laptop is back.</p>",
        table(CHECKLIST_COLS, rows, ""),
        css="checklist",
    )


def _part_rows(r: Report, tag: str | None, kind: str) -> list[str]:
    """Checklist rows for the parts of a workstation's kit, wherever they are now."""
    k = r.plan.kinds.get(kind)
    if not tag or k is None or not k.parts:
        return []
    return [
        _row(
            r,
            p.tag,
            f"↳ {p.name}",
            p.kind,
            p.serial,
            f"part of {tag}; now {r.step(p.step)} at {r.site(p.site)}",
        )
        for p in parts_of(r.db, tag)
    ]


def _row(r: Report, tag: str, name: str, kind: str, serial: str, note: str) -> str:
    """One checklist row: two boxes to tick, then what the item is and what the tracker says."""
    box = "<td class='box'>☐</td>"
    return (
        f"<tr>{box}{box}<td class='tag'>{t(tag)}</td><td>{t(name)}</td>"
        f"<td>{t(r.kind(kind))}</td><td class='tag'>{t(serial)}</td>"
        f"<td class='small'>{t(note)}</td></tr>"
    )


def parts_of(db: Database, tag: str) -> list[store.Asset]:
    """The parts of the kit of the workstation `tag`."""
    rows = db.execute(
        f"SELECT {store.ASSET_COLUMNS} FROM assets WHERE kit != '' AND kit = ? ORDER BY tag",
        [tag],
    ).fetchall()
    return [store.Asset(*row) for row in rows]
