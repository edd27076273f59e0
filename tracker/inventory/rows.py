"""Reading a CSV file's header and rows: which column holds which field, in either format.

Apart from the importer so that it stays about validating and writing rows. The rows are parsed
lazily, as the importer consumes them, so validation starts before the whole file is parsed.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Iterator
from dataclasses import dataclass

from tracker.inventory import cells, formats, quotes, snipeit
from tracker.inventory.cells import QUOTE

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any


def sniff_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


FIELDS = (
    "tag",
    "kind",
    "name",
    "serial",
    "site",
    "step",
    "hostname",
    "notes",
    "home_site",
    "manufacturer",
    "model",
    "purchase_date",
    "checkout_type",
    "checkout_site",
    "department",
    "kit",
    "quantity",
    "holder",
)
"""The order of the cells in each parsed row, whatever the file's column order."""
DETAILS = ("manufacturer", "model", "purchase_date", "department", "kit", "quantity", "holder")
"""Asset details written only when the file has their column: a file without them keeps them."""


LABELLED = ("kind", "model", "site", "home_site", "checkout_site", "step")
"""Fields whose values go through the mapping: an unknown one is named with its column."""


@dataclass
class Header:
    """What the header row says: the format, which column holds each field, what is unused."""

    fmt: str
    columns: dict[str, int]
    ignored: list[str]
    labels: dict[str, str]
    """Field (kind, model, site, home_site, checkout_site, step) -> the file's own column name,
    for messages."""
    delimiter: str = ","
    width: int = 0
    """How many cells the header row has."""


def read_header(path: str, header: list[str], fmt: str) -> Header | str:
    """The file's Header, or why it cannot be imported (one line naming the file)."""
    header = [h.strip() for h in header]
    lower = {h.lower(): i for i, h in enumerate(header)}
    if fmt == "auto":
        tag_spellings = {s.casefold() for s in snipeit.HEADERS["tag"]}
        snipe = bool(tag_spellings & set(lower))
        # A Snipe-IT file may carry a custom field called "Tag": it is Snipe-IT's unless it
        # also has the tracker's other required columns.
        ours = "tag" in lower and (not snipe or {"kind", "name", "site"} <= set(lower))
        fmt = "tracker" if ours else "snipeit" if snipe else ""
        if not fmt:
            return (
                f"{path}:1: header has neither a 'tag' column (tracker format) nor"
                f" 'Asset Tag' (Snipe-IT): {', '.join(header)}"
            )
    if fmt == "tracker":
        twice = duplicate_header(header)
        if twice:
            return f"{path}:1: {twice}"
        columns = {
            name: lower[name]
            for name in (*formats.TRACKER_COLUMNS, *formats.OPTIONAL_TRACKER_COLUMNS)
            if name in lower
        }
        used = set(columns.values())
        ignored = [h for i, h in enumerate(header) if i not in used and h]
        labels = {f: f for f in LABELLED}
    else:
        twice = snipeit.duplicate_read_header(header)
        if twice:
            return f"{path}:1: {twice}"
        columns, ignored = snipeit.header_fields(header)
        labels = {
            f: header[columns[f]] if f in columns else snipeit.HEADERS[f][0] for f in LABELLED
        }
    missing = [c for c in formats.REQUIRED if c not in columns]
    if missing:
        sep = ", "
        if fmt == "snipeit":
            missing = [" or ".join(repr(h) for h in snipeit.HEADERS[c]) for c in missing]
            sep = "; "
        return f"{path}:1: missing column(s): {sep.join(missing)}"
    return Header(fmt, columns, ignored, labels)


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


def read_rows(
    path: str, text: str, fmt: str
) -> tuple[Header | None, Iterator[tuple[int, tuple[str, ...]]], list[str]]:
    """Parse `text`: (header, rows as (line, cells in FIELDS order), errors).

    The header is checked at once; the rows are parsed as they are consumed, so validation and
    a bulk writer can start before the whole file is parsed. Errors found while parsing rows
    are appended to the returned list."""
    cells.allow_large_fields()
    first = text[: text.find("\n")]
    delimiter = sniff_delimiter(first)
    end = text.find("\n")
    line = text[:end] if end >= 0 else text
    reader = None  # made by the rows when they are read (not at all for `read_columns`)
    if text and '"' not in line and "\r" not in line[:-1]:  # the header is the first line
        header_row = next(csv.reader([line], delimiter=delimiter))
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header_row = next(reader)
        except StopIteration:
            return None, iter(()), [f"{path}:1: the file is empty (expected a header row)"]
    header = read_header(path, header_row, fmt)
    if isinstance(header, str):
        return None, iter(()), [header]
    header.delimiter, header.width = delimiter, len(header_row)
    errors: list[str] = []
    # Every format: the quote an export put before a formula comes off (cells.from_spreadsheet).
    rows = _records(path, reader, (text, delimiter, len(header_row)), header.columns, errors)
    return header, rows, errors


def read_columns(text: str, header: Header) -> tuple[list[int], tuple[tuple[str, ...], ...]] | None:
    """A plain file's rows by column, as `read_rows` reads them: (the line of each row, a column
    of cells per field of FIELDS, empty for a field the file lacks). None unless the file is
    plain: no double quote (so each line is one record), no lone carriage return, no blank or
    short or long row. Read in C: the csv module, then whole columns at a time."""
    if '"' in text or ("\r" in text and text.count("\r") != text.count("\r\n")):
        return None
    lines = text.split("\n")  # a record a line (no quote), each line given to csv as it is
    if not lines[-1]:
        lines.pop()
    try:
        records = list(csv.reader(lines, delimiter=header.delimiter))
    except csv.Error:
        return None
    del records[0]  # the header
    width = header.width
    if not records or set(map(len, records)) != {width}:
        return None
    read = []
    quoted = QUOTE in text  # else no cell can start with one
    for column in zip(*records, strict=True):
        column = tuple(map(str.strip, column))
        if quoted and "\n'" in "\n" + "\n".join(column):  # a cell starting with a quote
            column = tuple(map(cells.from_spreadsheet, column))
        read.append(column)
    empty = ("",) * len(records)
    fields = tuple(read[header.columns[f]] if f in header.columns else empty for f in FIELDS)
    return list(range(2, len(records) + 2)), fields


def _records(
    path: str, reader: Any, source: tuple[str, str, int], columns: dict[str, int], errors: list
) -> Iterator[tuple[int, tuple[str, ...]]]:
    text, delimiter, width = source
    if reader is None:  # the header was read from the first line alone
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        next(reader)
    # Missing optional columns read the padding cell at index `width`: always "".
    pick = operator.itemgetter(*[columns.get(name, width) for name in FIELDS])
    strip = str.strip
    unquote = cells.from_spreadsheet
    line = reader.line_num
    records = iter(reader)
    # The file's last line: a record ending there may hold a quote still open at the end.
    last = text.count("\n") + (not text.endswith("\n"))
    # No quote in the whole file: no cell starts with one, nothing to test row by row.
    quoted = QUOTE in text
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as e:
            errors.append(f"{path}:{line + 1}: not readable as CSV: {e}")
            return
        start, line = line + 1, reader.line_num
        if (line != start or line >= last) and _quote_left_open(
            path, record, (start, line, last), source, errors
        ):
            continue  # reported, not imported
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
        # Strip the file's cells (not the padding), then pick them in FIELDS order.
        cells_ = pick([*map(strip, record), ""])
        # One C-level test finds the rare rows with a cell starting with a quote.
        if quoted and "\n'" in "\n" + "\n".join(cells_):
            cells_ = tuple(map(unquote, cells_))
        yield start, cells_


def _quote_left_open(
    path: str, record: list[str], lines: tuple[int, int, int], source: tuple, errors: list
) -> bool:
    """A record spanning lines, or the last: report (and say True) a quote left open in it."""
    text, delimiter, width = source
    start, end, last = lines
    opened = end >= last and quotes.open_at_end(text, start, record, delimiter)
    if opened:
        errors.append(quotes.never_closed(path, opened))
        return True
    hit = quotes.row_like(record, start, delimiter, width)
    if hit:
        errors.append(quotes.closed_too_late(path, hit[0], hit[1], end))
        return True
    return False
