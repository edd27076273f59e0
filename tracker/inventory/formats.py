"""The tracker's own CSV format; Snipe-IT's spellings are in `snipeit`.

Kept apart from the importer so that export and import agree on one table of column names.
"""

from __future__ import annotations

TRACKER_COLUMNS = ("tag", "kind", "name", "serial", "site", "step", "hostname", "notes")
OPTIONAL_TRACKER_COLUMNS = (
    "home_site",
    "manufacturer",
    "model",
    "purchase_date",
    "department",
    "kit",
    "quantity",
    "holder",
)
REQUIRED = ("tag", "kind", "name", "site")
