"""CSV import: all rows or none, every bad row reported as ``FILE:LINE: reason``.

Reads what staff really have: UTF-8 with or without a BOM, Danish Excel exports (semicolons,
Windows-1252), the tracker's own columns and Snipe-IT's. Rows are validated in Python and written
with one ``executemany`` upsert inside one transaction, so re-importing a file updates the assets
it names and never duplicates them. A change of site or step made by an import is written to the
event log like a scan, so every asset's state stays explained by its events.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from tracker import codes, store, validate
from tracker.inventory import cells
from tracker.inventory.mapping import SKIP, Mapping, Resolver
from tracker.inventory.rows import DETAILS, read_rows
from tracker.migrations import READINESS_INDEX
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
    fmt: str = ""
    ignored: list[str] = field(default_factory=list)
    """Header names of columns the import did not use."""
    skipped: int = 0
    """Rows left out because the mapping maps one of their values to false."""
    map_values: dict[str, int] = field(default_factory=dict)
    """With --write-map: how many distinct values each table of the template lists."""
    map_unknown: int = 0
    map_other: int = 0
    """With --write-map: rows with problems a mapping cannot fix (bad tags, empty names ...)."""
    notes: list[str] = field(default_factory=list)
    """Imported, but worth a look (e.g. a file mixing two encodings)."""

    @property
    def ok(self) -> bool:
        return not self.errors


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


def import_file(
    db: Database,
    plan: Plan,
    path: str | Path,
    *,
    fmt: str = "auto",
    dry_run: bool = False,
    mapping: Mapping | None = None,
    write_map: str | Path | None = None,
    sample: bool = False,
) -> ImportResult:
    """Validate every row of `path`, then write them all in one transaction, or nothing.

    With `write_map`, nothing is imported: a mapping template for the file's values is written
    there instead (see tracker.inventory.mapping)."""
    path = str(path)
    result = ImportResult(path, dry_run=dry_run or write_map is not None)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise UnreadableFile(f"{path}: cannot read: {e.strerror or e}") from e
    if fmt not in ("auto", "tracker", "snipeit"):
        raise UnreadableFile(f"unknown format {fmt!r} (auto, tracker or snipeit)")
    if write_map is not None and Path(write_map).exists():
        raise UnreadableFile(f"{write_map}: already exists; --write-map never overwrites a file")
    try:
        decoded = cells.decode(raw, path)
    except cells.UndecodableError as e:
        raise UnreadableFile(str(e)) from e
    result.notes += decoded.notes
    header, rows, errors = read_rows(path, decoded.text, fmt)
    result.errors = errors
    if header is None:
        return result
    result.fmt, result.ignored = header.fmt, header.ignored
    resolver = Resolver(plan, mapping, header.labels)
    seen_tags: dict[str, int] = {}
    seen_keys: dict[str, tuple[str, int]] = {}
    at = store.now()
    out: list[tuple] = []
    lines: list[int] = []
    kind_names = {k.id: k.name for k in plan.kinds.values()}
    snipe = header.fmt == "snipeit"
    good_tag = codes.GOOD_TAG.match
    key_for_valid_tag = codes.key_for_valid_tag
    n_rows = 0
    kits: list[tuple[str, int]] = []
    departments = {d: d for d in plan.departments()}
    departments.update({d.casefold(): d for d in plan.departments()})
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
        manufacturer,
        model,
        purchase_date,
        checkout_type,
        checkout_site,
        department,
        kit,
        quantity_text,
        holder,
    ) in rows:
        n_rows += 1
        if checkout_site and checkout_type.casefold() == "location":
            # A Snipe-IT import file: checked out to a location, it is there; Location is
            # where it belongs (Snipe-IT sets its default location from it).
            home_text = home_text or site_text
            site_text = checkout_site
        kind = resolver.kind(kind_text, model, line) if kind_text or model else ""
        site = resolver.site(site_text, line) if site_text else ""
        step = resolver.step(step_text, line)
        home = site if home_text in ("", site_text) else resolver.site(home_text, line)
        if SKIP in (kind, site, step, home):
            result.skipped += 1
            continue
        problems = []
        if not (tag and kind and name and site):
            for col, value in (("tag", tag), ("kind", kind), ("name", name), ("site", site)):
                if value == "":
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
        if hostname:
            why = check_hostname(hostname)
            if why:
                problems.append(why)
        quantity = 1
        if quantity_text:
            try:
                quantity = validate.integer(quantity_text, low=0, high=MAX_QUANTITY)
            except validate.Invalid as e:
                problems.append(f"quantity {quantity_text!r}: {e}")
        if kit:
            if kit == tag:
                problems.append(f"kit {kit!r}: a part cannot belong to itself")
            elif kind in plan.kinds:  # an unknown kind is reported on its own, below
                kits.append((kit, line, kind))
        if problems:
            result.errors.append(f"{path}:{line}: {'; '.join(problems)}")
            continue
        if kind is None or site is None or step is None or home is None:
            continue  # an unknown value: reported once for all its rows, below
        if snipe and model == kind_names.get(kind):
            model = ""  # the placeholder our Snipe-IT export writes for an asset without a model
        if len(purchase_date) > 10 and purchase_date[4] == "-" and purchase_date[10] in " T":
            purchase_date = purchase_date[:10]  # Snipe-IT's "2023-01-23 00:00:01"
        if not department:  # the department of its home site (a new asset's home is its site)
            department = plan.sites[home or site].department
        elif department not in departments:
            known = departments.get(department.casefold())
            if known is None:
                names = ", ".join(sorted(set(departments.values()))) or "none"
                result.errors.append(
                    f"{path}:{line}: department {department!r} is not one the plan knows ({names})"
                )
                continue
            department = known
        if quantity != 1 and not plan.kinds[kind].stock:
            result.errors.append(
                f"{path}:{line}: quantity {quantity_text!r} on a {plan.kinds[kind].name}:"
                " only stock kinds are counted"
            )
            continue
        if not home_text:
            home = ""  # not given: the asset's own home, or for a new one its site (_merge)
        out.append(
            (tag, key, kind, name, serial, home, site, step, hostname, notes, at)
            + (manufacturer, model, purchase_date, department, kit, quantity, holder)
        )
        lines.append(line)
    result.rows = n_rows
    row_errors = len(result.errors)
    result.errors[:0] = resolver.report(path)  # first: a few lines that explain many rows
    if write_map is not None:
        from tracker.files import write_text_atomically

        write_text_atomically(write_map, resolver.template(path, n_rows))
        result.map_values = {t: len(v) for t, v in resolver.seen.items()}
        result.map_unknown = len(resolver.unknown())
        result.map_other = row_errors
        return result
    result.errors += _check_kits(db, plan, path, seen_tags, out, kits)
    if result.errors:
        return result
    # What the rows change depends on the assets as they are now: read them inside the write
    # transaction, so a scan committed while the file was parsed is never written over with a
    # stale state (a dry run reads them in a read transaction).
    with store.write(db) if not dry_run else _reading(db):
        events = _merge(db, result, out, lines, set(header.columns), f"import {Path(path).name}")
        if result.errors or dry_run:
            return result
        # Many rows: build the readiness index once after the insert instead of row by row (a
        # fifth of a 100,000-row import); same transaction, so still all or nothing.
        rebuild = len(out) >= BULK
        upsert = upsert_sql([d for d in DETAILS if d in header.columns])
        if rebuild:
            db.execute("DROP INDEX assets_readiness")
        _insert(db.conn, upsert, out, events, rebuild=rebuild)
        store.set_sample_source(db, path if sample else None)
    return result


# Where each field sits in a row of `out` (the UPSERT's order).
_AT_SERIAL, _AT_HOME, _AT_SITE, _AT_STEP, _AT_HOSTNAME, _AT_NOTES, _AT_TIME = 4, 5, 6, 7, 8, 9, 10
_AT_KIT = 15
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


MAX_QUANTITY = 1_000_000
"""More in one box is a typo."""


def _check_kits(
    db: Database, plan: Plan, path: str, in_file: dict[str, int], out: list[tuple], kits: list
) -> list[str]:
    """A part's `kit` must name a workstation (in the file or the database, not itself a
    part) whose kind's kit has a place for the part's kind: one line per wrong row."""
    if not kits:
        return []
    rows = {row[0]: (row[2], row[_AT_KIT]) for row in out}
    wanted = json.dumps(sorted({k for k, _, _ in kits}))
    stored = {
        tag: (kind, kit)
        for tag, kind, kit in db.execute(
            "SELECT tag, kind, kit FROM assets WHERE tag IN (SELECT value FROM json_each(?))",
            [wanted],
        )
    }
    errors = []
    for kit, line, part_kind in kits:
        if kit not in in_file and kit not in stored:
            errors.append(f"{path}:{line}: kit {kit!r}: no asset has this tag")
            continue
        kind, owner = rows.get(kit, stored.get(kit, ("", "")))
        spec = plan.kinds.get(kind)
        if owner:
            errors.append(f"{path}:{line}: kit {kit!r} is itself a part of {owner!r}")
        elif spec is None or not spec.parts:
            what = spec.name if spec else kind
            errors.append(f"{path}:{line}: kit {kit!r} is a {what}, which has no kit")
        elif not any(part_kind in slot for slot in spec.parts):
            errors.append(
                f"{path}:{line}: a {plan.kinds[part_kind].name} is no part of a {spec.name}'s"
                f" kit ({', '.join(' or '.join(slot) for slot in spec.parts)})"
            )
    return errors


@contextmanager
def _reading(db: Database) -> Iterator[None]:
    """A read transaction: one consistent view of the assets, nothing written."""
    db.conn.execute("BEGIN")
    try:
        yield
    finally:
        db.conn.execute("ROLLBACK")


def upsert_sql(details: list[str]) -> str:
    """The upsert; asset details whose column the file lacks keep their stored value."""
    keep = "".join(f", {d} = excluded.{d}" for d in details)
    return UPSERT + keep


UPSERT = (
    "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
    " notes, updated_at, manufacturer, model, purchase_date, department, kit, quantity, holder)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(tag) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
    " serial = excluded.serial, home_site = excluded.home_site, site = excluded.site,"
    " step = excluded.step, hostname = excluded.hostname, notes = excluded.notes,"
    " updated_at = excluded.updated_at"
)
BULK = 10_000
"""From this many rows on, the readiness index is rebuilt after the insert."""


def _insert(
    conn: sqlite3.Connection, upsert: str, rows: list[tuple], events: list[tuple], *, rebuild: bool
) -> None:
    conn.executemany(upsert, rows)
    conn.executemany(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, code)"
        " VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
        events,
    )
    if rebuild:
        conn.execute(f"CREATE INDEX {READINESS_INDEX}")
