"""CSV import: all rows or none, every bad row reported as ``FILE:LINE: reason``.

Reads what staff really have: UTF-8 with or without a BOM, Danish Excel exports (semicolons,
Windows-1252), the tracker's own columns and Snipe-IT's. Rows are validated in Python and written
with one ``executemany`` upsert inside one transaction, so re-importing a file updates the assets
it names and never duplicates them. A change of site or step made by an import is written to the
event log like a scan, so every asset's state stays explained by its events.
"""

from __future__ import annotations

import csv
import functools
import io
import operator
import queue
import re
import sqlite3
import threading
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


FIELDS = ("tag", "kind", "name", "serial", "site", "step", "hostname", "notes", "home_site")
"""The order of the cells in each parsed row, whatever the file's column order."""


def read_rows(
    path: str, text: str, fmt: str
) -> tuple[str, list[tuple[int, tuple[str, ...]]], list[str]]:
    """Parse `text`; returns (format, [(line, cells in FIELDS order)], errors)."""
    first = text[: text.find("\n")]
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
    width = len(header)
    # Missing optional columns read the padding cell at index `width`: always "".
    pick = operator.itemgetter(*[columns.get(name, width) for name in FIELDS])
    strip = str.strip
    line = reader.line_num
    for record in reader:
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
        rows.append((start, tuple(map(strip, pick(record)))))
    return fmt, rows, errors


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
    writer = None
    if not dry_run and len(rows) >= BULK and store.db_file(db):
        writer = _BulkWriter(store.db_file(db))
        writer.start()
    step_of = functools.lru_cache(maxsize=64)(csvformat.step_from_text)
    good_tag = codes.GOOD_TAG.match
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
            key = codes.key_for_valid_tag(tag)
            if why:
                problems.append(why)
            elif tag in seen_tags:
                problems.append(f"duplicate tag {tag!r} (first on line {seen_tags[tag]})")
            elif key in seen_keys:
                other = seen_keys[key]
                problems.append(
                    f"tag {tag!r} has the same label code {key} as {other[0]!r} on line {other[1]}"
                )
            elif owner_of_key.get(key, tag) != tag:
                problems.append(
                    f"tag {tag!r} has the same label code {key} as existing asset"
                    f" {owner_of_key[key]!r}"
                )
            else:
                seen_tags[tag] = line
                seen_keys[key] = (tag, line)
        kind = kind_text if kind_text in plan.kinds else kind_names.get(kind_text.casefold())
        if kind_text and kind is None:
            problems.append(f"unknown kind {kind_text!r} (known: {', '.join(plan.kinds)})")
        site = site_text if site_text in plan.sites else site_names.get(site_text.casefold())
        if site_text and site is None:
            problems.append(f"unknown site {site_text!r} (known: {', '.join(plan.sites)})")
        home = site
        if home_text:
            home = home_text if home_text in plan.sites else site_names.get(home_text.casefold())
            if home is None:
                problems.append(f"unknown home_site {home_text!r}")
        step = step_of(step_text)
        if step is None:
            problems.append(f"unknown step {step_text!r} (one of: {', '.join(store.STEPS)})")
        if hostname:
            why = check_hostname(hostname)
            if why:
                problems.append(why)
        if problems:
            result.errors.append(f"{path}:{line}: {'; '.join(problems)}")
            continue
        old = existing.get(tag)
        if old is None:
            result.created += 1
        else:
            if not home_text:
                home = old[3]
            if (old[1], old[2]) != (site, step):
                events.append((at, tag, step, site, old[2], old[1], f"import {Path(path).name}"))
            result.updated += 1
        out.append((tag, key, kind, name, serial, home, site, step, hostname, notes, at))
        if writer is not None and len(out) >= CHUNK and not result.errors:
            writer.put(out)
            out = []
    result.rows = len(rows)
    if writer is not None:
        writer.finish(out, events, commit=not result.errors)
    elif not (result.errors or dry_run):
        with store.write(db):
            _insert(db.conn, out, events, rebuild=False)
    return result


UPSERT = (
    "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
    " notes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(tag) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
    " serial = excluded.serial, home_site = excluded.home_site, site = excluded.site,"
    " step = excluded.step, hostname = excluded.hostname, notes = excluded.notes,"
    " updated_at = excluded.updated_at"
)
CHUNK = 5_000
BULK = 20_000
"""From this many rows on, a writer thread inserts while the rest is validated."""


def _insert(conn: sqlite3.Connection, rows: list[tuple], events: list[tuple], *, rebuild: bool):
    conn.executemany(UPSERT, rows)
    conn.executemany(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, code)"
        " VALUES (?, ?, 'import', ?, ?, ?, ?, ?)",
        events,
    )
    if rebuild:
        conn.execute("CREATE INDEX assets_site_kind_step ON assets(site, kind, step)")


class _BulkWriter(threading.Thread):
    """Inserts validated chunks on its own connection, inside one transaction, while the main
    thread validates the next ones (SQLite releases the GIL while it works). Commits only when
    told every row was valid, so a failed import still writes nothing.

    The readiness index is dropped and rebuilt once at the end, in the same transaction: much
    cheaper than updating it row by row.
    """

    def __init__(self, path: str) -> None:
        super().__init__(name="import-writer", daemon=True)
        self.path = path
        self.chunks: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None
        self.commit = False

    def put(self, rows: list[tuple]) -> None:
        if self.error is None:
            self.chunks.put(rows)

    def run(self) -> None:
        try:
            conn = store.connect(self.path)
        except BaseException as e:  # reported by finish()
            self.error = e
            while self.chunks.get() is not None:
                pass
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DROP INDEX assets_site_kind_step")
            while (rows := self.chunks.get()) is not None:
                conn.executemany(UPSERT, rows)
            if self.commit:
                _insert(conn, self.last_rows, self.events, rebuild=True)
                conn.execute("COMMIT")
        except BaseException as e:
            self.error = e
            while self.chunks.get() is not None:  # let the producer finish
                pass
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()

    def finish(self, rows: list[tuple], events: list[tuple], *, commit: bool) -> None:
        self.last_rows, self.events, self.commit = rows, events, commit
        self.chunks.put(None)
        self.join()
        if self.error is not None and commit:
            raise self.error
