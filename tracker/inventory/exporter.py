"""CSV export in the tracker's format or Snipe-IT's; it round-trips with `importer`."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from sqlite_utils import Database

from tracker import store
from tracker.inventory import formats
from tracker.inventory.cells import spreadsheet_safe
from tracker.plan import Plan


def export(db: Database, plan: Plan, out: TextIO, fmt: str = "tracker") -> int:
    """Write every asset to `out`; returns the number written."""
    # Cells a spreadsheet would run as a formula get a leading quote; the importer takes it off.
    plain = csv.writer(out, lineterminator="\n")
    writer = _SafeWriter(plain)
    n = 0
    if fmt == "tracker":
        writer.writerow((*formats.TRACKER_COLUMNS, "home_site"))
        for a in store.assets(db):
            writer.writerow(
                (a.tag, a.kind, a.name, a.serial, a.site, a.step, a.hostname, a.notes, a.home_site)
            )
            n += 1
    elif fmt == "snipeit":
        writer.writerow(formats.SNIPEIT_EXPORT_HEADERS)
        for a in store.assets(db):
            kind = plan.kinds[a.kind].name if a.kind in plan.kinds else a.kind
            site = plan.sites[a.site].name if a.site in plan.sites else a.site
            home = plan.sites[a.home_site].name if a.home_site in plan.sites else a.home_site
            status = formats.STEP_STATUS_LABELS.get(a.step, a.step)
            writer.writerow(
                (a.tag, a.name, a.serial, kind, kind, site, status, a.notes, a.hostname, home)
            )
            n += 1
    else:
        raise ValueError(f"unknown format {fmt!r} (tracker or snipeit)")
    return n


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
