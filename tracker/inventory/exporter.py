"""CSV export in the tracker's format or Snipe-IT's; it round-trips with `importer`.

The Snipe-IT format uses only headers that Snipe-IT's importer maps by itself (see `snipeit`),
its stock status labels for faulty (Out for Repair) and missing (Lost/Stolen), and the kind's
name marked " (no model)" as the model when the asset has none, because Snipe-IT needs a model
for every asset (`snipeit.placeholder_model`; the importer reads exactly that back as none).
"""

from __future__ import annotations

import csv
from typing import Any, TextIO

from sqlite_utils import Database

from tracker import store
from tracker.inventory import formats, snipeit
from tracker.inventory.cells import spreadsheet_safe
from tracker.plan import Plan


def export(db: Database, plan: Plan, out: TextIO, fmt: str = "tracker") -> int:
    """Write every asset to `out`; returns the number written."""
    # Cells a spreadsheet would run as a formula get a leading quote; the importer takes it off.
    plain = csv.writer(out, lineterminator="\n")
    writer = _SafeWriter(plain)
    n = 0
    if fmt == "tracker":
        writer.writerow((*formats.TRACKER_COLUMNS, *formats.OPTIONAL_TRACKER_COLUMNS))
        for a in store.assets(db):
            writer.writerow(
                (a.tag, a.kind, a.name, a.serial, a.site, a.step, a.hostname, a.notes)
                + (a.home_site, a.manufacturer, a.model, a.purchase_date)
                + (a.department, a.kit, _quantity(plan, a), a.holder)
            )
            n += 1
    elif fmt == "snipeit":
        writer.writerow(snipeit.EXPORT_HEADERS)
        kinds = {k.id: k.name for k in plan.kinds.values()}
        sites = {s.id: s.name for s in plan.sites.values()}
        for a in store.assets(db):
            kind = kinds.get(a.kind, a.kind)
            fields = {
                **a.__dict__,
                "kind": kind,
                "model": a.model or snipeit.placeholder_model(kind),
                "site": sites.get(a.site, a.site),
                "home_site": sites.get(a.home_site, a.home_site),
                "step": snipeit.STEP_STATUS.get(a.step, a.step),
                "quantity": _quantity(plan, a),
            }
            writer.writerow([fields[f] for f in snipeit.EXPORT_FIELDS])
            n += 1
    else:
        raise ValueError(f"unknown format {fmt!r} (tracker or snipeit)")
    return n


def _quantity(plan: Plan, asset: store.Asset) -> int | str:
    """A box's quantity; empty (meaning 1) for equipment."""
    kind = plan.kinds.get(asset.kind)
    return asset.quantity if (kind and kind.stock) or asset.quantity != 1 else ""


class _SafeWriter:
    """A csv writer whose cells are `spreadsheet_safe` (the header is written as is)."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer
        self._header = True

    def writerow(self, row: Any) -> None:
        if self._header:
            self._header = False
            self._writer.writerow(row)
        else:
            self._writer.writerow([spreadsheet_safe(str(c)) for c in row])
