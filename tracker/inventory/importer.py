"""CSV import: all rows or none, every bad row reported as ``FILE:LINE: reason``.

Reads what staff really have: UTF-8 with or without a BOM, Danish Excel exports (semicolons,
Windows-1252), the tracker's own columns and Snipe-IT's. Rows are validated in Python and written
with one ``executemany`` upsert inside one transaction, so re-importing a file updates the assets
it names and never duplicates them. A change of site or step made by an import is written to the
event log like a scan, so every asset's state stays explained by its events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from tracker import codes, gcpause, store, validate
from tracker.database import Database
from tracker.inventory import bulk, cells, dates, snipeit
from tracker.inventory.bulk import MAX_QUANTITY
from tracker.inventory.mapping import SKIP, Mapping, Resolver, line_ranges
from tracker.inventory.merge import (
    AT_HOME,
    check_kits,
    check_stored_parts,
    insert,
    merge,
    rebuilds,
    upsert_sql,
)
from tracker.inventory.rows import DETAILS, read_columns, read_rows
from tracker.plan import Plan

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL})(?:\.{_LABEL})*"
_HOSTNAME = re.compile(rf"^{_HOST}$")
_HOSTNAME_LINES = re.compile(rf"(?:{_HOST}\n)*+{_HOST}")
"""Fully matches host names joined by newlines when _HOSTNAME matches every one."""


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
    hints: list[str] = field(default_factory=list)
    """With errors: how to fix many of them at once (not a problem of its own)."""
    warnings: list[str] = field(default_factory=list)
    """Lines of the mapping file that matched nothing in the file, each with a did-you-mean."""
    placed: list[int] = field(default_factory=list)
    """Lines of new assets placed at their home site for want of a site (Snipe-IT format)."""
    remarks: list[str] = field(default_factory=list)
    """More of the summary: what the import decided for rows that did not say (placed ...)."""
    stored: int = 0
    """Assets in the database before the import (`merge` reads them all)."""

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


@gcpause.paused()  # 100,000 row tuples: collections would walk them all
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
    givens: list[tuple[str, ...]] = []
    """Snipe-IT format: each row's cells that may be left empty (merge keeps those)."""
    snipe = header.fmt == "snipeit"
    kind_names = {k.id: k.name for k in plan.kinds.values()}
    good_tag = codes.GOOD_TAG.match
    key_for_valid_tag = codes.key_for_valid_tag
    good_host = _HOSTNAME.match
    read_date: dict[str, tuple[str, str | None]] = {}  # an inventory repeats a few dates
    n_rows = 0
    kits: list[tuple[str, int]] = []
    site_field, home_field = "site", "home_site"  # the tracker format's, every row
    no_model = snipeit.NO_MODEL
    departments = {d: d for d in plan.departments()}
    departments.update({d.casefold(): d for d in plan.departments()})
    site_department = {i: s.department for i, s in plan.sites.items()}
    # A clean file in the tracker's format is checked column by column (bulk); any other goes
    # through the loop below, row by row, which alone says what is wrong and where.
    plain = None if snipe else read_columns(decoded.text, header)
    checked = None
    if plain is not None:
        hosts = (_HOSTNAME_LINES.fullmatch, _host_problem(good_host))
        context = bulk.Context(plan, resolver, at, departments, site_department, *hosts)
        checked = bulk.check(*plain, context)
        if checked is not None:
            lines, kits, seen_tags = checked.lines, checked.kits, checked.seen_tags
            n_rows, rows = len(lines), iter(())
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
        if snipe:
            site_field, home_field = "site", "home_site"
            if checkout_site and checkout_type.casefold() == "location":
                # A Snipe-IT import file: checked out to a location, it is there; Location is
                # where it belongs (Snipe-IT sets its default location from it).
                if not home_text:
                    home_text, home_field = site_text, "site"
                site_text, site_field = checkout_site, "checkout_site"
            # An empty cell is "not given": an existing asset keeps the stored value (merge).
            given = (serial, site_text, step_text, hostname, notes, manufacturer, model,
                     purchase_date, department, kit, quantity_text)  # fmt: skip
        kind = resolver.kind(kind_text, model, line) if kind_text or model else ""
        site = resolver.site(site_text, line, site_field) if site_text else ""
        step = resolver.step(step_text, line)
        if not home_text:
            home = ""
        elif home_text == site_text:
            home = site
        else:
            home = resolver.site(home_text, line, home_field)
            if home == SKIP:  # only the value saying where the asset is leaves a row out
                home = home_text = ""
        if snipe and not site_text:
            site = home  # a new asset without a Location is at its Default Location (merge)
        if SKIP in (kind, site, step):
            result.skipped += 1
            continue
        problems = []
        if not (tag and kind and name and (site or snipe)):
            for col, value in (("tag", tag), ("kind", kind), ("name", name), ("site", site)):
                if value == "" and not (snipe and col == "site"):
                    problems.append(f"empty {col}")
        key = ""
        if not tag:
            pass
        elif not good_tag(tag) and (why := codes.tag_problem(tag)):
            problems.append(why)
        elif tag in seen_tags:
            problems.append(f"duplicate tag {tag!r} (first on line {seen_tags[tag]})")
        else:
            key = key_for_valid_tag(tag)
            other = seen_keys.setdefault(key, tag)
            if other is tag:
                seen_tags[tag] = line
            else:
                problems.append(
                    f"tag {tag!r} has the same label code {key} as {other!r} on line"
                    f" {seen_tags[other]}"
                )
        # Most host names have no port: one match, check_hostname only for the rest.
        if hostname and (":" in hostname or not good_host(hostname)):
            why = check_hostname(hostname)
            if why:
                problems.append(why)
        if purchase_date:
            hit = read_date.get(purchase_date)
            if hit is None:
                hit = read_date[purchase_date] = dates.parse(purchase_date)
            purchase_date, why = hit
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
        if (
            snipe
            and model.endswith(no_model)
            and model[: -len(no_model)] in (kind_text, kind_names[kind])
        ):
            model = ""  # the placeholder our export writes for an asset without a model
        if not department:  # its home site's (a new asset's home: its site)
            department = site_department[home or site] if home or site else ""
        else:  # the plan's spelling, however the file spells it (readiness compares exactly)
            known = departments.get(department) or departments.get(department.casefold())
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
            home = ""  # not given: the asset's own home, or for a new one its site (merge)
        if snipe:
            givens.append(given)
        out.append(
            (tag, key, kind, name, serial, home, site, step, hostname, notes, at,
             manufacturer, model, purchase_date, department, kit, quantity, holder)
        )  # fmt: skip
        lines.append(line)
    result.rows = n_rows
    made: list[list[tuple]] = [] if checked is not None else [out]

    def rows_made() -> list[tuple]:
        """`out`; from a clean file's columns, made only when something needs the tuples."""
        if not made:
            made.append(checked.rows())  # type: ignore[union-attr]
        return made[0]

    row_errors = len(result.errors)
    unknown, result.hints = resolver.report(path)
    result.errors[:0] = unknown  # first: a few lines that explain many rows
    result.warnings = resolver.unused(path)
    if write_map is not None:
        from tracker.files import write_text_atomically
        from tracker.inventory.template import write

        write_text_atomically(write_map, write(resolver, path, n_rows))
        result.map_values = {t: len(v) for t, v in resolver.seen.items()}
        result.map_unknown = len(resolver.unknown())
        result.map_other = row_errors
        return result
    if result.errors:  # report bad kits with the rest: all of a file's problems at once
        result.errors += check_kits(db, plan, path, seen_tags, rows_made, kits)
        return result
    # What the rows change depends on the assets as they are now: read them inside the write
    # transaction, so a scan committed while the file was parsed is never written over with a
    # stale state (a dry run reads them in a read transaction).
    with store.write(db) if not dry_run else store.snapshot(db):
        code = f"import {Path(path).name}"
        events = merge(
            db, result, (rows_made, lines, givens), set(header.columns), code, header.labels, plan
        )
        result.errors += check_kits(db, plan, path, seen_tags, rows_made, kits)
        if result.updated:  # stored parts, or their workstations, the file changes
            given = ("kit" in header.columns, {line for _, line, _ in kits})
            result.errors += check_stored_parts(db, plan, path, rows_made(), lines, given)
        if result.errors or dry_run:
            return result
        if result.placed:
            result.remarks.append(
                f"{len(result.placed)} new asset(s) with an empty {header.labels['site']}:"
                f" placed at their {header.labels['home_site']}, line(s)"
                f" {line_ranges(result.placed)}"
            )
        # Many rows: build the indexes once after the insert instead of row by row (a fifth
        # of a 100,000-row import); same transaction, so still all or nothing.
        # Rows `merge` left as bulk built them (no stored asset) are bound from bulk's columns.
        columns = checked.columns if checked is not None and not result.updated else None
        if columns is not None:
            homes, out = any(columns[AT_HOME]), []
        else:
            out = rows_made()
            homes = any(map(itemgetter(AT_HOME), out))  # a home given, or kept by `merge`
        upsert = upsert_sql([d for d in DETAILS if d in header.columns], at, homes=homes)
        insert(db.conn, upsert, out, events, rebuild=rebuilds(len(lines), result.stored),
               columns=columns)  # fmt: skip
        store.set_sample_source(db, path if sample else None)
    return result


def _host_problem(good_host: Callable[[str], Any]) -> Callable[[str], str | None]:
    def problem(hostname: str) -> str | None:
        # Most host names have no port: one match, check_hostname only for the rest.
        return check_hostname(hostname) if ":" in hostname or not good_host(hostname) else None

    return problem
