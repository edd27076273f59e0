"""Writing validated rows: merged with the assets as they are, then one upsert, or nothing.

Apart from the importer so that it stays about reading and checking rows. What a row leaves
as it was: a column the file lacks (any format), and in Snipe-IT's format a cell left empty
(Snipe-IT's own importer skips empty values when it updates, and its reports leave a cell
empty for "not set"), so re-importing a report never blanks a hostname or turns a lost PC back
into one in service. In the tracker's format a cell is the value: empty clears it.
"""

from __future__ import annotations

import json
import operator
import re
import sqlite3
from collections.abc import Callable, Sequence

from tracker import tallies
from tracker.database import Database
from tracker.plan import Plan

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

# Where each field sits in a row of `out` (the UPSERT's order).
AT_SERIAL, AT_HOME, AT_SITE, AT_STEP, AT_HOSTNAME, AT_NOTES, AT_TIME = 4, 5, 6, 7, 8, 9, 10
AT_MANUFACTURER, AT_MODEL, AT_PURCHASE, AT_DEPARTMENT, AT_KIT, AT_QUANTITY = range(11, 17)
_KEPT_WHEN_ABSENT = {
    "serial": AT_SERIAL,
    "step": AT_STEP,
    "hostname": AT_HOSTNAME,
    "notes": AT_NOTES,
}
KEPT_WHEN_EMPTY = (
    AT_SERIAL,
    AT_SITE,
    AT_STEP,
    AT_HOSTNAME,
    AT_NOTES,
    AT_MANUFACTURER,
    AT_MODEL,
    AT_PURCHASE,
    AT_DEPARTMENT,
    AT_KIT,
    AT_QUANTITY,
)
"""In Snipe-IT's format, the fields an empty cell leaves as stored (home site: every format),
in the order of the importer's `given` cells."""
_GIVEN_SITE = KEPT_WHEN_EMPTY.index(AT_SITE)


Rows = Callable[[], list[tuple]]
"""The import's rows (the importer's `out`), made when first asked for: a first import of a
clean file never needs them as tuples (`tracker.inventory.bulk` binds its columns)."""


def merge(
    db: Database,
    result: Any,
    rows: tuple[Rows, Sequence[int], list[tuple[str, ...]]],
    present: set[str],
    code: str,
    labels: dict[str, str],
    plan: Plan | None = None,
) -> list[tuple]:
    """Complete `out` against the current assets, in place; return the events to write.

    `rows` is (out, made when needed; the line of each row; in Snipe-IT's format each row's
    cells for KEPT_WHEN_EMPTY: an empty one keeps the stored value). A column the file does not have
    leaves that field of an existing asset as it is (a file without hostnames must not blank
    them); a change of step or site is an event, like a scan. A tag whose label code already
    belongs to another asset is an error; so is a new asset without a site. New assets placed
    at their home site for want of a site are listed in `result.placed`. A stored quantity
    other than 1 kept on an asset whose kind the file makes one that is not stock (`plan`) is
    an error, as the same quantity in the file is."""
    make_out, lines, givens = rows
    absent = [i for name, i in _KEPT_WHEN_ABSENT.items() if name not in present]
    existing: dict[str, tuple] = {}
    owner_of_key: dict[str, str] = {}
    for row in db.execute(
        "SELECT tag, key, serial, home_site, site, step, hostname, notes, manufacturer, model,"
        " purchase_date, department, kit, quantity, holder FROM assets"
    ):
        existing[row[0]] = (row[0], row[1], "", "", *row[2:8], "", *row[8:])
        owner_of_key[row[1]] = row[0]
    result.stored = len(existing)
    events: list[tuple] = []
    if not existing and not givens:  # a first import: every row is new, nothing to merge
        result.created, result.updated = len(lines), 0
        return events
    out = make_out()
    created = 0
    quantities_given = "quantity" in present  # else the stored one stays (`upsert_sql`)
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
        given = givens[n] if givens else ()
        if old is None:
            if given and not given[_GIVEN_SITE]:
                if not row[AT_SITE]:
                    result.errors.append(
                        f"{result.path}:{lines[n]}: empty {labels['site']} and no"
                        f" {labels['home_site']}: a new asset needs a site"
                    )
                    continue
                result.placed.append(lines[n])
            created += 1  # an empty home: its site (`upsert_sql`)
            continue
        new = list(row)
        for i in absent:
            new[i] = old[i]
        for i, value in zip(KEPT_WHEN_EMPTY, given, strict=False):  # () in the tracker format
            if not value:
                new[i] = old[i]
        if not new[AT_HOME]:
            new[AT_HOME] = old[AT_HOME]
        quantity = new[AT_QUANTITY] if quantities_given else old[AT_QUANTITY]
        if quantity != 1 and plan is not None and not plan.kinds[row[2]].stock:
            result.errors.append(
                f"{result.path}:{lines[n]}: {tag!r} holds a quantity of {quantity}, which a"
                f" {plan.kinds[row[2]].name} cannot: only stock kinds are counted (give the row"
                f" a {labels.get('quantity', 'quantity')} of 1)"
            )
            continue
        if (old[AT_SITE], old[AT_STEP]) != (new[AT_SITE], new[AT_STEP]):
            step, site = new[AT_STEP], new[AT_SITE]
            events.append((row[AT_TIME], tag, step, site, old[AT_STEP], old[AT_SITE], code))
        out[n] = tuple(new)
    result.created = created
    result.updated = len(out) - created
    return events


def check_kits(
    db: Database, plan: Plan, path: str, in_file: dict[str, int], out: Rows, kits: list
) -> list[str]:
    """A part's `kit` must name a workstation (in the file or the database, not itself a
    part) whose kind's kit has a place for the part's kind: one line per wrong row. Asked
    after `merge`, so a kit a Snipe-IT row left empty counts as the stored one."""
    if not kits:
        return []
    rows = {row[0]: (row[2], row[AT_KIT]) for row in out()}
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


def check_stored_parts(
    db: Database, plan: Plan, path: str, out: list[tuple], lines: Sequence[int], kits: tuple
) -> list[str]:
    """Stored kit parts a re-import would leave wrong, as `check_kits` finds them for a part in
    the file: their workstation made a kind whose kit has no place for them, or a part itself,
    or the part made a kind its workstation has no place for. `kits`: whether the file has a
    kit column (else each row keeps its stored kit), and the lines of the rows whose kit cell
    `check_kits` asks about. One line per part, at the file's row."""
    kit_column, kit_lines = kits
    parts = db.execute("SELECT tag, kind, kit FROM assets WHERE kit != ''").fetchall()
    if not parts:
        return []
    stored_kit = {tag: kit for tag, _, kit in parts}
    wanted = stored_kit.keys() | stored_kit.values()
    in_file = {row[0]: (row[2], row[AT_KIT] if kit_column else stored_kit.get(row[0], ""), line)
               for row, line in zip(out, lines, strict=True) if row[0] in wanted}  # fmt: skip
    owners = json.dumps(sorted({kit for tag, _, kit in parts if tag in in_file} - in_file.keys()))
    stored = {
        tag: (kind, kit)
        for tag, kind, kit in db.execute(
            "SELECT tag, kind, kit FROM assets WHERE tag IN (SELECT value FROM json_each(?))",
            [owners],
        )
    }
    errors = []
    for part, part_kind, kit in parts:
        mine = in_file.get(part)
        if mine is not None:
            if not mine[1] or mine[2] in kit_lines:
                continue  # no part now, or its kit cell is `check_kits`'s
            part_kind = mine[0]  # its kit: kept (no kit column, or Snipe-IT's empty cell)
        owner = in_file.get(kit)
        if owner is None and (mine is None or kit not in stored):
            continue
        kind, owners_kit, line = owner or (*stored[kit], mine[2])  # type: ignore[index]
        spec = plan.kinds[kind]
        what = f"{path}:{line}: {part!r} (a {plan.kinds[part_kind].name}) is a part of {kit!r}"
        if owners_kit:
            errors.append(f"{what}, which would be a part of {owners_kit!r}")
        elif not spec.parts:
            errors.append(f"{what}, which would be a {spec.name}: it has no kit")
        elif not any(part_kind in slot for slot in spec.parts):
            slots = ", ".join(" or ".join(slot) for slot in spec.parts)
            errors.append(f"{what}, whose kit as a {spec.name} has no place for it ({slots})")
    return sorted(errors, key=lambda e: int(e[len(path) + 1 :].split(":", 1)[0]))


COLUMNS = (
    "tag",
    "key",
    "kind",
    "name",
    "serial",
    "home_site",
    "site",
    "step",
    "hostname",
    "notes",
    "updated_at",
    "manufacturer",
    "model",
    "purchase_date",
    "department",
    "kit",
    "quantity",
    "holder",
)
"""The assets' columns in the order of a row of `out`."""
_DEFAULTS = {"manufacturer": "''", "model": "''", "purchase_date": "''", "kit": "''"}
_DEFAULTS |= {"quantity": "1", "holder": "''"}
"""A detail's value in every row when the file lacks its column (the table's default)."""
_UPDATED = ("kind", "name", "serial", "home_site", "site", "step", "hostname", "notes")


def upsert_sql(details: list[str], at: str, *, homes: bool = True) -> tuple[str, list[int]]:
    """The upsert, and which fields of a row of `out` it binds.

    Asset details whose column the file lacks keep their stored value, and a new asset gets
    the default; like the import's time (`at`, one for every row) they are written into the
    statement instead of bound row by row (a seventh of the insert's time, 100,000 rows).
    An empty home site (not given, nor stored: see `merge`) is the site for a new asset, and
    an existing one keeps its own; `homes=False` says no row has one (one bind fewer)."""
    if not _TIME.fullmatch(at):
        raise ValueError(f"not a timestamp: {at!r}")
    values, bound = [], []
    for i, column in enumerate(COLUMNS):
        if column == "updated_at":
            values.append(f"'{at}'")
        elif column in _DEFAULTS and column not in details or column == "home_site" and not homes:
            values.append(_DEFAULTS.get(column, ""))
        else:
            bound.append(i)
            values.append(f"?{len(bound)}")
    home, site = values[AT_HOME], values[AT_SITE]
    updated = [f"{c} = excluded.{c}" for c in (*_UPDATED, "updated_at", *details)]
    if homes:
        values[AT_HOME] = f"CASE WHEN {home} = '' THEN {site} ELSE {home} END"
        updated[_UPDATED.index("home_site")] = (
            f"home_site = CASE WHEN {home} = '' THEN home_site ELSE {home} END"
        )
    else:
        values[AT_HOME] = site
        del updated[_UPDATED.index("home_site")]
    sql = (
        f"INSERT INTO assets ({', '.join(COLUMNS)}) VALUES ({', '.join(values)})"
        f" ON CONFLICT(tag) DO UPDATE SET {', '.join(updated)}"
    )
    return sql, bound


_TIME = re.compile(r"[0-9T:.+-]+")
BULK = 10_000
"""From this many rows on, the assets' indexes may be dropped and built again (`rebuilds`)."""


def rebuilds(rows: int, stored: int) -> bool:
    """Whether writing `rows` into a table of `stored` assets drops and builds its indexes
    again: from BULK rows, unless the table is more than twice as large. Building an index
    costs its whole table, keeping it each row written (bench/bench_import_rebuild.py): 10,000
    rows into 300,000 assets took 1.5 s rebuilding, 1.0 s keeping them; 150,000 into 300,000
    2.6 s against 2.8 s; 10,000 into 20,000 0.14 s against 0.15 s."""
    return rows >= BULK and 2 * rows >= stored


def insert(
    conn: sqlite3.Connection,
    upsert: tuple[str, list[int]],
    rows: list[tuple],
    events: list[tuple],
    *,
    rebuild: bool,
    columns: tuple | None = None,
) -> None:
    """Write `rows` and `events`; with `rebuild`, build every secondary index of the assets
    and the readiness tally once after the insert instead of row by row. Call inside the
    import's write transaction: a failure rolls the dropped indexes and triggers back with the
    rows, so nothing is changed. `columns`, if given, holds the same rows by column."""
    indexes = []
    if rebuild:
        tallies.suspend(conn)  # its triggers and index: `rebuild` makes them again
        indexes = secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    sql, bound = upsert
    if columns is not None:
        conn.executemany(sql, zip(*(columns[i] for i in bound), strict=False))
    else:
        conn.executemany(sql, map(operator.itemgetter(*bound), rows))
    conn.executemany(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, code)"
        " VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
        events,
    )
    if rebuild:
        for _, create in indexes:
            conn.execute(create)
        tallies.rebuild(conn)  # counts through the readiness index built just now


def secondary_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of each index on the assets made by a migration: not those
    of the PRIMARY KEY and UNIQUE constraints, which belong to the table."""
    return conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'assets'"
        " AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
