"""The CSV formats the tracker reads and writes: its own, and Snipe-IT's asset columns.

Kept apart from the importer so that export and import agree on one table of column names.
"""

from __future__ import annotations

TRACKER_COLUMNS = ("tag", "kind", "name", "serial", "site", "step", "hostname", "notes")
OPTIONAL_TRACKER_COLUMNS = ("home_site",)
REQUIRED = ("tag", "kind", "name", "site")

# Snipe-IT's asset importer maps these headers by itself; its asset report export uses the
# second spelling. Both are read; the first is written.
SNIPEIT_COLUMNS = {
    "tag": ("Asset Tag",),
    "name": ("Asset Name", "Name"),
    "serial": ("Serial Number", "Serial"),
    "kind": ("Category",),
    "model": ("Model Name", "Model"),
    "site": ("Location",),
    "step": ("Status",),
    "notes": ("Asset Notes", "Notes"),
    "hostname": ("Hostname",),
    "home_site": ("Default Location",),
}
SNIPEIT_EXPORT_HEADERS = (
    "Asset Tag",
    "Asset Name",
    "Serial Number",
    "Category",
    "Model Name",
    "Location",
    "Status",
    "Asset Notes",
    "Hostname",
    "Default Location",
)

# Status labels written to Snipe-IT, one per step, and Snipe-IT's stock labels read back.
STEP_STATUS_LABELS = {
    "in_service": "In service",
    "packed": "Packed",
    "arrived": "Arrived",
    "installed": "Installed",
    "faulty": "Faulty",
    "missing": "Missing",
}
SNIPEIT_STOCK_STATUSES = {
    "ready to deploy": "in_service",
    "deployed": "in_service",
    "deployable": "in_service",
    "pending": "in_service",
    "broken": "faulty",
    "out for repair": "faulty",
    "out for diagnostics": "faulty",
    "lost/stolen": "missing",
    "lost": "missing",
    "stolen": "missing",
}


def step_from_text(text: str) -> str | None:
    """A step from its id, its label, or a Snipe-IT stock status; None when unknown."""
    t = " ".join(text.strip().lower().replace("_", " ").split())
    if not t:
        return "in_service"
    for step, label in STEP_STATUS_LABELS.items():
        if t in (step.replace("_", " "), label.lower()):
            return step
    return SNIPEIT_STOCK_STATUSES.get(t)
