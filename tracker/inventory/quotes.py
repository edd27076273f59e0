"""A quote left open in a CSV file: found, named by its line, never imported as one big cell.

Python's csv reader, like a spreadsheet, takes everything after an unclosed ``"`` into one
cell: to the end of the file, or to the next quote, however many rows lie in between. The rows
taken in are gone without a word, so the importer asks two questions of what it read:

- is a quote still open at the end of the file? (`open_at_end`, exact: the last record is read
  again in strict mode, which refuses that; asked only when the text ends like such a cell)
- does a cell that spans lines hold lines shaped like rows, with as many delimiters as the
  header? (`row_like`; a note with line breaks rarely has exactly that many commas on a line,
  and a row in a 4-column file is too short to tell, so only headers of 4 columns or more)
"""

from __future__ import annotations

import csv
import io

MIN_WIDTH = 4
"""Narrower headers make a note line with a few commas look like a row."""


def _escaped(field: str) -> str:
    return field.replace('"', '""')


def open_at_end(text: str, start: int, record: list[str], delimiter: str) -> int | None:
    """The line where the quote of `record`'s last cell opened, if that quote is still open at
    the end of `text` (`record` being the file's last record, starting on line `start`)."""
    if not record:
        return None
    suffix = _escaped(record[-1])
    cut = len(text) - len(suffix)
    if not text.endswith(suffix) or text[cut - 1 : cut] != '"':
        return None  # the cheap test: an open cell is the text after its quote, to the end
    tail = text.split("\n", start - 1)[-1]
    try:
        for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            return text.count("\n", 0, cut) + 1
    return None


def row_like(record: list[str], start: int, delimiter: str, width: int) -> tuple[int, int] | None:
    """(line the cell opened on, first line in it shaped like a row) for the first cell of
    `record` that spans lines and holds a line with exactly the header's delimiters, or None."""
    if width < MIN_WIDTH:
        return None
    line = start
    for cell in record:
        if "\n" in cell:
            for n, part in enumerate(cell.split("\n")[1:], 1):
                if part.rstrip("\r").count(delimiter) == width - 1:
                    return line, line + n
        line += cell.count("\n")
    return None


def never_closed(path: str, line: int) -> str:
    return (
        f"{path}:{line}: quote opened on line {line} is never closed: the rest of the file would"
        ' be one cell; close the quote (or double it, "", inside a quoted cell)'
    )


def closed_too_late(path: str, line: int, row: int, end: int) -> str:
    return (
        f"{path}:{line}: quote opened on line {line} is not closed until line {end}: line {row}"
        " inside that one cell looks like a row of its own; close the quote on its line"
    )
