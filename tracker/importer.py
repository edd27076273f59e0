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
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from tracker import codes, csvformat, store
from tracker.plan import Plan

_HOSTNAME = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class ImportError_(ValueError):
    """The file could not be read at all (not a row problem)."""


@dataclass
class ImportResult:
    path: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(raw: bytes) -> str:
    """UTF-8 (BOM or not) when it decodes, else Windows-1252 as Danish Excel writes it."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


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
    if port and (not port.isdigit() or not 1 <= int(port) <= 65535):
        return f"hostname {value!r}: port must be 1-65535"
    if not _HOSTNAME.match(host) and host != "ok":
        return f"hostname {value!r} is not a host name or address (host or host:port)"
    return None


def read_rows(
    path: str, text: str, fmt: str
) -> tuple[str, list[tuple[int, dict[str, str]]], list[str]]:
    """Parse `text`; returns (format, [(line, row)], errors). Rows are keyed by tracker names."""
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first))
    try:
        header = next(reader)
    except StopIteration:
        return fmt, [], [f"{path}:1: the file is empty (expected a header row)"]
    header = [h.strip() for h in header]
    lower = {h.lower(): i for i, h in enumerate(header)}
    if fmt == "auto":
        fmt = "tracker" if "tag" in lower else "snipeit" if "asset tag" in lower else ""
        if not fmt:
            return (
                fmt,
                [],
                [
                    f"{path}:1: header has neither a 'tag' column (tracker format) nor"
                    f" 'Asset Tag' (Snipe-IT): {', '.join(header)}"
                ],
            )
    columns: dict[str, int] = {}
    if fmt == "tracker":
        for name in (*csvformat.TRACKER_COLUMNS, *csvformat.OPTIONAL_TRACKER_COLUMNS):
            if name in lower:
                columns[name] = lower[name]
    else:
        for name, spellings in csvformat.SNIPEIT_COLUMNS.items():
            for spelling in spellings:
                if spelling.lower() in lower:
                    columns[name] = lower[spelling.lower()]
                    break
    missing = [c for c in csvformat.REQUIRED if c not in columns]
    if missing:
        names = missing if fmt == "tracker" else [csvformat.SNIPEIT_COLUMNS[c][0] for c in missing]
        return fmt, [], [f"{path}:1: missing column(s): {', '.join(names)}"]
    rows = []
    errors = []
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank lines, and Excel's trailing ;;;; rows
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            errors.append(f"{path}:{start}: {len(record)} fields but the header has {len(header)}")
            continue
        rows.append(
            (start, {n: (record[i].strip() if i < len(record) else "") for n, i in columns.items()})
        )
    return fmt, rows, errors


def _lookup(value: str, by_id: dict[str, object], names: dict[str, str]) -> str | None:
    if value in by_id:
        return value
    return names.get(value.casefold())


def import_file(
    db: Database, plan: Plan, path: str | Path, *, fmt: str = "auto", dry_run: bool = False
) -> ImportResult:
    """Validate every row of `path`, then write them all in one transaction, or nothing."""
    path = str(path)
    result = ImportResult(path, dry_run=dry_run)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ImportError_(f"{path}: cannot read: {e.strerror or e}") from e
    if fmt not in ("auto", "tracker", "snipeit"):
        raise ImportError_(f"unknown format {fmt!r} (auto, tracker or snipeit)")
    fmt, rows, errors = read_rows(path, decode(raw), fmt)
    result.errors = errors
    kind_names = {k.name.casefold(): k.id for k in plan.kinds.values()}
    kind_names.update({k.id.casefold(): k.id for k in plan.kinds.values()})
    site_names = {s.name.casefold(): s.id for s in plan.sites.values()}
    site_names.update({s.id.casefold(): s.id for s in plan.sites.values()})
    existing = {
        tag: (key, site, step, home)
        for tag, key, site, step, home in db.execute(
            "SELECT tag, key, site, step, home_site FROM assets"
        )
    }
    owner_of_key = {v[0]: tag for tag, v in existing.items()}
    seen_tags: dict[str, int] = {}
    seen_keys: dict[str, tuple[str, int]] = {}
    at = store.now()
    out: list[tuple] = []
    events: list[tuple] = []
    for line, row in rows:
        where = f"{path}:{line}"
        problems = []
        for col in csvformat.REQUIRED:
            if not row.get(col):
                problems.append(f"empty {col}")
        tag = row.get("tag", "")
        if tag:
            why = codes.tag_problem(tag)
            if why:
                problems.append(why)
            elif tag in seen_tags:
                problems.append(f"duplicate tag {tag!r} (first on line {seen_tags[tag]})")
            else:
                key = codes.key_for(tag)
                other = seen_keys.get(key)
                if other:
                    problems.append(
                        f"tag {tag!r} has the same label code {key} as {other[0]!r} on line"
                        f" {other[1]}"
                    )
                elif owner_of_key.get(key, tag) != tag:
                    problems.append(
                        f"tag {tag!r} has the same label code {key} as existing asset"
                        f" {owner_of_key[key]!r}"
                    )
                seen_tags[tag] = line
                seen_keys[key] = (tag, line)
        kind = _lookup(row.get("kind", ""), plan.kinds, kind_names) if row.get("kind") else None
        if row.get("kind") and kind is None:
            problems.append(f"unknown kind {row['kind']!r} (known: {', '.join(plan.kinds)})")
        site = _lookup(row.get("site", ""), plan.sites, site_names) if row.get("site") else None
        if row.get("site") and site is None:
            problems.append(f"unknown site {row['site']!r} (known: {', '.join(plan.sites)})")
        home = site
        if row.get("home_site"):
            home = _lookup(row["home_site"], plan.sites, site_names)
            if home is None:
                problems.append(f"unknown home_site {row['home_site']!r}")
        step = csvformat.step_from_text(row.get("step", ""))
        if step is None:
            problems.append(f"unknown step {row['step']!r} (one of: {', '.join(store.STEPS)})")
        hostname = row.get("hostname", "")
        if hostname:
            why = check_hostname(hostname)
            if why:
                problems.append(why)
        if problems:
            result.errors.append(f"{where}: {'; '.join(problems)}")
            continue
        old = existing.get(tag)
        if old is None:
            result.created += 1
        else:
            if not row.get("home_site"):
                home = old[3]
            if (old[1], old[2]) != (site, step):
                events.append((at, tag, step, site, old[2], old[1], f"import {Path(path).name}"))
            result.updated += 1
        out.append(
            (
                tag,
                codes.key_for(tag),
                kind,
                row["name"],
                row.get("serial", ""),
                home,
                site,
                step,
                hostname,
                row.get("notes", ""),
                at,
            )
        )
    result.rows = len(rows)
    if result.errors or dry_run:
        return result
    with store.write(db):
        db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
            " notes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(tag) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
            " serial = excluded.serial, home_site = excluded.home_site, site = excluded.site,"
            " step = excluded.step, hostname = excluded.hostname, notes = excluded.notes,"
            " updated_at = excluded.updated_at",
            out,
        )
        db.conn.executemany(
            "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, code)"
            " VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
            events,
        )
    return result
