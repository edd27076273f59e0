"""CSV import: all rows or none, every bad row reported as ``FILE:LINE: reason``.

Reads what staff really have: UTF-8 with or without a BOM, Danish Excel exports (semicolons,
Windows-1252), the tracker's own columns and Snipe-IT's. Rows are validated in Python and written
with one ``executemany`` upsert inside one transaction, so re-importing a file updates the assets
it names and never duplicates them. A change of site or step made by an import is written to the
event log like a scan, so every asset's state stays explained by its events.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from tracker import codes, store, validate
from tracker.inventory import cells, formats
from tracker.plan import Plan

_HOSTNAME = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class UnreadableFile(ValueError):
    """The file could not be read at all (not a row problem)."""


@dataclass
class ImportResult:
    path: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    """Imported, but worth a look (e.g. a file mixing two encodings)."""

    @property
    def ok(self) -> bool:
        return not self.errors


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def check_hostname(value: str) -> str | None:
    """Why `value` is not ``host`` or ``host:port``, or None when it is."""
    host, _, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
    if value.startswith("["):  # [IPv6]:port
        m = re.match(r"^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$", value)
        if not m:
            return f"hostname {value!r} is not [address]:port"
        port = m.group(2) or ""
        host = "ok"
    if port:
        try:
            validate.port(port)
        except validate.Invalid:
            return f"hostname {value!r}: port must be 1-65535"
    if not _HOSTNAME.match(host) and host != "ok":
        return f"hostname {value!r} is not a host name or address (host or host:port)"
    return None


FIELDS = ("tag", "kind", "name", "serial", "site", "step", "hostname", "notes", "home_site")
"""The order of the cells in each parsed row, whatever the file's column order."""


def read_rows(
    path: str, text: str, fmt: str
) -> tuple[str, Iterator[tuple[int, tuple[str, ...]]], list[str], dict[str, int]]:
    """Parse `text`: (format, rows as (line, cells in FIELDS order), errors, the column of each
    field the file has).

    The header is checked at once; the rows are parsed as they are consumed, so validation and
    a bulk writer can start before the whole file is parsed. Errors found while parsing rows
    are appended to the returned list."""
    cells.allow_large_fields()
    first = text[: text.find("\n")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first))
    try:
        header = next(reader)
    except StopIteration:
        return fmt, iter(()), [f"{path}:1: the file is empty (expected a header row)"], {}
    header = [h.strip() for h in header]
    lower = {h.lower(): i for i, h in enumerate(header)}
    twice = duplicate_header(header)
    if twice:
        return fmt, iter(()), [f"{path}:1: {twice}"], {}
    if fmt == "auto":
        fmt = "tracker" if "tag" in lower else "snipeit" if "asset tag" in lower else ""
        if not fmt:
            return (
                fmt,
                iter(()),
                [
                    f"{path}:1: header has neither a 'tag' column (tracker format) nor"
                    f" 'Asset Tag' (Snipe-IT): {', '.join(header)}"
                ],
                {},
            )
    columns: dict[str, int] = {}
    if fmt == "tracker":
        for name in (*formats.TRACKER_COLUMNS, *formats.OPTIONAL_TRACKER_COLUMNS):
            if name in lower:
                columns[name] = lower[name]
    else:
        for name, spellings in formats.SNIPEIT_COLUMNS.items():
            for spelling in spellings:
                if spelling.lower() in lower:
                    columns[name] = lower[spelling.lower()]
                    break
    missing = [c for c in formats.REQUIRED if c not in columns]
    if missing:
        names = missing if fmt == "tracker" else [formats.SNIPEIT_COLUMNS[c][0] for c in missing]
        return fmt, iter(()), [f"{path}:1: missing column(s): {', '.join(names)}"], {}
    errors: list[str] = []
    return fmt, _records(path, reader, header, columns, errors), errors, columns


def duplicate_header(header: list[str]) -> str | None:
    """Why a header naming one column twice is refused (which of the two holds the data?)."""
    first: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().casefold()
        if not key:
            continue  # Excel's unnamed trailing columns
        if key in first:
            return f"column {name!r} appears twice (columns {first[key] + 1} and {i + 1})"
        first[key] = i
    return None


def _records(
    path: str, reader: Any, header: list[str], columns: dict[str, int], errors: list[str]
) -> Iterator[tuple[int, tuple[str, ...]]]:
    width = len(header)
    # Missing optional columns read the padding cell at index `width`: always "".
    pick = operator.itemgetter(*[columns.get(name, width) for name in FIELDS])
    strip = str.strip
    unquote = cells.from_spreadsheet
    line = reader.line_num
    records = iter(reader)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as e:
            errors.append(f"{path}:{line + 1}: not readable as CSV: {e}")
            return
        start, line = line + 1, reader.line_num
        n = len(record)
        if n != width:
            if not any(cell.strip() for cell in record):
                continue  # blank lines, and Excel's trailing ;;;; rows
            if n > width and any(c.strip() for c in record[width:]):
                errors.append(f"{path}:{start}: {n} fields but the header has {width}")
                continue
            record = (record + [""] * width)[:width]
        elif not any(record):
            continue
        record.append("")
        yield start, tuple(unquote(strip(c)) for c in pick(record))


def import_file(
    db: Database,
    plan: Plan,
    path: str | Path,
    *,
    fmt: str = "auto",
    dry_run: bool = False,
    sample: bool = False,
) -> ImportResult:
    """Validate every row of `path`, then write them all in one transaction, or nothing."""
    path = str(path)
    result = ImportResult(path, dry_run=dry_run)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise UnreadableFile(f"{path}: cannot read: {e.strerror or e}") from e
    if fmt not in ("auto", "tracker", "snipeit"):
        raise UnreadableFile(f"unknown format {fmt!r} (auto, tracker or snipeit)")
    try:
        decoded = cells.decode(raw, path)
    except cells.UndecodableError as e:
        raise UnreadableFile(str(e)) from e
    result.notes += decoded.notes
    fmt, rows, errors, columns = read_rows(path, decoded.text, fmt)
    result.errors = errors
    kind_names = {k.name.casefold(): k.id for k in plan.kinds.values()}
    kind_names.update({k.id.casefold(): k.id for k in plan.kinds.values()})
    site_names = {s.name.casefold(): s.id for s in plan.sites.values()}
    site_names.update({s.id.casefold(): s.id for s in plan.sites.values()})
    seen_tags: dict[str, int] = {}
    seen_keys: dict[str, tuple[str, int]] = {}
    at = store.now()
    out: list[tuple] = []
    lines: list[int] = []
    steps = {"": "in_service", **{step: step for step in store.STEPS}}
    kinds = {**kind_names, **{k: k for k in plan.kinds}}
    sites = {**site_names, **{k: k for k in plan.sites}}
    good_tag = codes.GOOD_TAG.match
    key_for_valid_tag = codes.key_for_valid_tag
    n_rows = 0
    for line, (
        tag,
        kind_text,
        name,
        serial,
        site_text,
        step_text,
        hostname,
        notes,
        home_text,
    ) in rows:
        n_rows += 1
        problems = []
        if not (tag and kind_text and name and site_text):
            for col, value in (
                ("tag", tag),
                ("kind", kind_text),
                ("name", name),
                ("site", site_text),
            ):
                if not value:
                    problems.append(f"empty {col}")
        key = ""
        if tag:
            why = None if good_tag(tag) else codes.tag_problem(tag)
            key = key_for_valid_tag(tag)
            if why:
                problems.append(why)
            elif tag in seen_tags:
                problems.append(f"duplicate tag {tag!r} (first on line {seen_tags[tag]})")
            elif key in seen_keys:
                other = seen_keys[key]
                problems.append(
                    f"tag {tag!r} has the same label code {key} as {other[0]!r} on line {other[1]}"
                )
            else:
                seen_tags[tag] = line
                seen_keys[key] = (tag, line)
        kind = kinds.get(kind_text) or kind_names.get(kind_text.casefold())
        if kind_text and kind is None:
            problems.append(f"unknown kind {kind_text!r} (known: {', '.join(plan.kinds)})")
        site = sites.get(site_text) or site_names.get(site_text.casefold())
        if site_text and site is None:
            problems.append(f"unknown site {site_text!r} (known: {', '.join(plan.sites)})")
        home = ""  # not given: the asset's own home, or for a new one its site (see _merge)
        if home_text:
            home = sites.get(home_text) or site_names.get(home_text.casefold())
            if home is None:
                problems.append(f"unknown home_site {home_text!r}")
        step = steps.get(step_text)
        if step is None:
            step = steps[step_text] = formats.step_from_text(step_text)
        if step is None:
            problems.append(f"unknown step {step_text!r} (one of: {', '.join(store.STEPS)})")
        if hostname:
            why = check_hostname(hostname)
            if why:
                problems.append(why)
        if problems:
            result.errors.append(f"{path}:{line}: {'; '.join(problems)}")
            continue
        out.append((tag, key, kind, name, serial, home, site, step, hostname, notes, at))
        lines.append(line)
    result.rows = n_rows
    if result.errors:
        return result
    # What the rows change depends on the assets as they are now: read them inside the write
    # transaction, so a scan committed while the file was parsed is never written over with a
    # stale state (a dry run reads them in a read transaction).
    with store.write(db) if not dry_run else _reading(db):
        events = _merge(db, result, out, lines, set(columns), f"import {Path(path).name}")
        if result.errors or dry_run:
            return result
        # Many rows: build the readiness index once after the insert instead of row by row (a
        # fifth of a 100,000-row import); same transaction, so still all or nothing.
        rebuild = len(out) >= BULK
        if rebuild:
            db.execute("DROP INDEX assets_site_kind_step")
        _insert(db.conn, out, events, rebuild=rebuild)
        store.set_sample_source(db, path if sample else None)
    return result


# Where each field sits in a row of `out` (the UPSERT's order).
_AT_SERIAL, _AT_HOME, _AT_SITE, _AT_STEP, _AT_HOSTNAME, _AT_NOTES, _AT_TIME = 4, 5, 6, 7, 8, 9, 10
_KEPT_WHEN_ABSENT = {
    "serial": _AT_SERIAL,
    "step": _AT_STEP,
    "hostname": _AT_HOSTNAME,
    "notes": _AT_NOTES,
}


def _merge(
    db: Database,
    result: ImportResult,
    out: list[tuple],
    lines: list[int],
    present: set[str],
    code: str,
) -> list[tuple]:
    """Complete `out` against the current assets, in place; return the events to write.

    A column the file does not have leaves that field of an existing asset as it is (a file
    without hostnames must not blank them); a change of step or site is an event, like a scan.
    A tag whose label code already belongs to another asset is an error."""
    absent = [i for name, i in _KEPT_WHEN_ABSENT.items() if name not in present]
    existing: dict[str, tuple] = {}
    owner_of_key: dict[str, str] = {}
    for tag, key, serial, home, site, step, hostname, notes in db.execute(
        "SELECT tag, key, serial, home_site, site, step, hostname, notes FROM assets"
    ):
        existing[tag] = (tag, key, "", "", serial, home, site, step, hostname, notes)
        owner_of_key[key] = tag
    events: list[tuple] = []
    created = 0
    for n, row in enumerate(out):
        tag, key = row[0], row[1]
        owner = owner_of_key.get(key, tag)
        if owner != tag:
            result.errors.append(
                f"{result.path}:{lines[n]}: tag {tag!r} has the same label code {key} as"
                f" existing asset {owner!r}"
            )
            continue
        old = existing.get(tag)
        if old is None:
            created += 1
            if not row[_AT_HOME]:
                out[n] = (*row[:_AT_HOME], row[_AT_SITE], *row[_AT_HOME + 1 :])
            continue
        new = list(row)
        for i in absent:
            new[i] = old[i]
        if not new[_AT_HOME]:
            new[_AT_HOME] = old[_AT_HOME]
        if (old[_AT_SITE], old[_AT_STEP]) != (new[_AT_SITE], new[_AT_STEP]):
            step, site = new[_AT_STEP], new[_AT_SITE]
            events.append((row[_AT_TIME], tag, step, site, old[_AT_STEP], old[_AT_SITE], code))
        out[n] = tuple(new)
    result.created = created
    result.updated = len(out) - created
    return events


@contextmanager
def _reading(db: Database) -> Iterator[None]:
    """A read transaction: one consistent view of the assets, nothing written."""
    db.conn.execute("BEGIN")
    try:
        yield
    finally:
        db.conn.execute("ROLLBACK")


UPSERT = (
    "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
    " notes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(tag) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
    " serial = excluded.serial, home_site = excluded.home_site, site = excluded.site,"
    " step = excluded.step, hostname = excluded.hostname, notes = excluded.notes,"
    " updated_at = excluded.updated_at"
)
BULK = 10_000
"""From this many rows on, the readiness index is rebuilt after the insert."""


def _insert(conn: sqlite3.Connection, rows: list[tuple], events: list[tuple], *, rebuild: bool):
    conn.executemany(UPSERT, rows)
    conn.executemany(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, code)"
        " VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
        events,
    )
    if rebuild:
        conn.execute("CREATE INDEX assets_site_kind_step ON assets(site, kind, step)")
