"""Snipe-IT's own spellings: the headers, status labels and cell escapes of its CSV files.

Facts read from Snipe-IT's source (which files and commits: tests/test_snipeit.py):
- the web importer maps a header to a field when it equals the field's English label or one of
  its aliases, ignoring case; the command-line importer knows one lower-case header per field;
- the custom asset report writes its own headers ("Asset Name", "Serial", "Model",
  "Purchased", "Default Location") and each status as ``Label (meta)``;
- custom fields (our Hostname and Home Site) are matched by their name in both importers;
- its CSV exports put ``'`` before a cell that starts with ``= + - @``, tab or CR (league/csv
  EscapeFormula; before 9.7.4 it put a tab there instead): the importer reads every format
  through `cells.from_spreadsheet`, which takes that quote off, and a leading tab is stripped.
"""

from __future__ import annotations

import re

DA: dict[str, tuple[str, ...]] = {
    "tag": ("Aktiv Mærkat", "Aktivmærkat"),
    "name": ("Aktivnavn", "Emnenavn", "Navn"),
    "serial": ("Serienummer", "Seriel"),
    "kind": ("Kategori",),
    "model": ("Modelnavn",),
    "manufacturer": ("Producent",),
    "purchase_date": ("Købsdato", "Købt"),
    "site": ("Lokation", "Placering", "Beliggenhed"),
    "notes": ("Noter",),
    "department": ("Afdeling",),
    "quantity": ("Antal",),
}
"""A Snipe-IT running in Danish writes its report headers in Danish (its da-DK language
files; the wording has varied between releases, so the spellings seen are all read)."""

HEADERS: dict[str, tuple[str, ...]] = {
    "tag": ("Asset Tag", *DA["tag"]),
    # "Item Name" is the one spelling both of Snipe-IT's importers map by themselves.
    "name": (
        "Item Name",
        "Asset Name",
        "Name",
        # The web importer's other aliases for the same field, meant for its other item types.
        "Accessory Name",
        "Consumable Name",
        "Component Name",
        "User Name",
        *DA["name"],
    ),
    "serial": (
        "Serial Number",
        "Serial",
        "Serial No.",
        "Serial No",
        "Product Key",
        "Key",
        *DA["serial"],
    ),
    "kind": ("Category", *DA["kind"]),
    "model": ("Model Name", "Model", *DA["model"]),
    "manufacturer": ("Manufacturer", *DA["manufacturer"]),
    "purchase_date": ("Purchase Date", "Purchased", *DA["purchase_date"]),
    "site": ("Location", *DA["site"]),
    "step": ("Status",),
    # The web importer maps "Asset Notes" only; the command-line importer and the report
    # use "Notes".
    "notes": ("Asset Notes", "Notes", *DA["notes"]),
    "hostname": ("Hostname",),
    "home_site": ("Home Site", "Default Location"),
    # Custom fields of ours (readiness, issue 11): which department owns it, which workstation
    # a part belongs to, how many a box of stock holds.
    "department": ("Department", *DA["department"]),
    "kit": ("Kit",),
    "quantity": ("Quantity", *DA["quantity"]),
    # An import file checks an asset out to a location with these two: it is there, and its
    # Location is where it belongs.
    "checkout_type": ("Checkout Type",),
    "checkout_site": ("Checkout to Location", "Checked Out To: Location", "Checkout Location"),
}
"""Tracker field -> the headers read for it, in order of preference; the first is written."""

EXPORT_FIELDS = (
    "tag",
    "name",
    "serial",
    "kind",
    "model",
    "manufacturer",
    "purchase_date",
    "site",
    "step",
    "notes",
    "hostname",
    "home_site",
    "department",
    "kit",
    "quantity",
)
EXPORT_HEADERS = tuple(HEADERS[f][0] for f in EXPORT_FIELDS)
CUSTOM_FIELDS = ("Hostname", "Home Site", "Department", "Kit", "Quantity")
"""Exported headers that Snipe-IT maps only once a custom field of that name exists."""

STEP_STATUS = {
    "in_service": "Ready to Deploy",
    "packed": "Packed",
    "arrived": "Arrived",
    "installed": "Installed",
    "faulty": "Out for Repair",
    "missing": "Lost/Stolen",
}
"""The status label each step is exported as: Snipe-IT's stock labels where one fits."""

NO_MODEL = " (no model)"
"""Snipe-IT needs a model for every asset: one without gets its kind's name and this, which
the importer reads back as no model. A real model named like its kind is kept as it is."""


def placeholder_model(kind_name: str) -> str:
    return kind_name + NO_MODEL


STOCK_STATUSES = {
    "ready to deploy": "in_service",
    "out for diagnostics": "faulty",
    "out for repair": "faulty",
    "broken - not fixable": "faulty",
    "lost/stolen": "missing",
    # Not stock labels, but what people call them.
    "broken": "faulty",
    "lost": "missing",
    "stolen": "missing",
}
UNCLEAR_STATUSES = frozenset({"pending", "archived", "undeployable", "pending diagnostics"})
"""Stock or common labels with no one step: a mapping file must say what they mean here."""

_META = re.compile(r"\s*\((?:deployable|deployed|pending|archived|undeployable)\)\s*$", re.I)


def without_meta(status: str) -> str:
    """``Ready to Deploy (deployable)`` -> ``Ready to Deploy``: the report's status suffix off."""
    return _META.sub("", status)


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def step_from_status(text: str) -> str | None:
    """The step for a status: a step id or label, or a stock Snipe-IT label; None if unclear."""
    t = _norm(without_meta(text))
    if not t:
        return "in_service"
    for step, label in STEP_STATUS.items():
        if t in (step.replace("_", " "), label.casefold()):
            return step
    if t == "in service":  # what the tracker wrote before it used Snipe-IT's stock labels
        return "in_service"
    return STOCK_STATUSES.get(t)


READ = frozenset(s.casefold() for spellings in HEADERS.values() for s in spellings)
"""Every header the tracker reads from a Snipe-IT file, casefolded."""


def duplicate_read_header(header: list[str]) -> str | None:
    """Why a header naming a column we read twice is refused, or None.

    Only those: Snipe-IT's report repeats headers we do not read ("Address" up to four times
    when both location addresses are ticked), and those are simply ignored."""
    first: dict[str, int] = {}
    for i, h in enumerate(header):
        key = h.strip().casefold()
        if key in READ:
            if key in first:
                return f"column {h.strip()!r} appears twice (columns {first[key] + 1} and {i + 1})"
            first[key] = i
    return None


def header_fields(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column holds each field (by Snipe-IT's spellings), and the headers left unused."""
    lower: dict[str, int] = {}
    for i, h in enumerate(header):
        lower.setdefault(h.strip().casefold(), i)
    columns: dict[str, int] = {}
    for name, spellings in HEADERS.items():
        for spelling in spellings:
            i = lower.get(spelling.casefold())
            if i is not None and i not in columns.values():
                columns[name] = i
                break
    # A checkout location counts only with its Checkout Type (Snipe-IT's importer checks out
    # to the location only when the type says Location): one without the other is ignored,
    # and the summary says so.
    if ("checkout_type" in columns) != ("checkout_site" in columns):
        columns.pop("checkout_type", None)
        columns.pop("checkout_site", None)
    used = set(columns.values())
    ignored = list(dict.fromkeys(h.strip() for i, h in enumerate(header) if i not in used))
    ignored = [h for h in ignored if h]
    return columns, ignored
