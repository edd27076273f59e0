"""Cells and bytes of CSV files: spreadsheet-safe cells, and decoding what staff really have.

Both directions live here so that every CSV reader and writer (the tracker's format, Snipe-IT's)
agrees: what `spreadsheet_safe` writes, `from_spreadsheet` reads back exactly.
"""

from __future__ import annotations

import codecs
import csv
import sys
from dataclasses import dataclass, field

# OWASP "CSV injection": a cell starting with one of these is run as a formula by Excel,
# LibreOffice or Google Sheets (tab and CR too, as some strip them before looking).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"


def _needs_quote(text: str) -> bool:
    return text.startswith(FORMULA_START) or text.startswith(QUOTE)


def spreadsheet_safe(text: str) -> str:
    """`text` as a cell no spreadsheet runs: a leading quote before a formula character (the
    quote a spreadsheet itself hides), and before a leading quote so the reverse is exact."""
    return QUOTE + text if text and _needs_quote(text) else text


def from_spreadsheet(cell: str) -> str:
    """Undo `spreadsheet_safe` exactly; a quote `spreadsheet_safe` would not add is kept."""
    if cell.startswith(QUOTE) and _needs_quote(cell[1:]):
        return cell[1:]
    return cell


def allow_large_fields() -> None:
    """Let the csv module read a field as long as the file (notes pasted from e-mails); the
    default 128 KiB limit turned such a file into a traceback."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class UndecodableError(ValueError):
    """A byte fits neither encoding; the message names the file and line."""


@dataclass
class Decoded:
    text: str
    encoding: str
    """utf-8, utf-16, cp1252, or 'utf-8 + cp1252' for a file mixing both line by line."""
    notes: list[str] = field(default_factory=list)
    """What a person should know: the lines read as Windows-1252 in a mostly UTF-8 file."""


# Bytes Windows-1252 leaves undefined: a line holding one is neither UTF-8 nor Windows-1252.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


_NUL = (
    "not a text file (a NUL byte); a CSV file is UTF-8, Windows-1252 or UTF-16 with a byte"
    " order mark"
)


def decode(raw: bytes, path: str = "") -> Decoded:
    """Decode a CSV file's bytes, deciding the encoding so that nothing passes garbled.

    UTF-16 with a byte order mark (Excel's "Unicode text"), UTF-8 with or without a BOM, or
    Windows-1252 (Danish Excel's CSV). A file that mixes UTF-8 and Windows-1252 lines is read
    line by line, each in its own encoding, and says which lines were Windows-1252; a line with
    a byte neither can read raises UndecodableError naming that line. A NUL byte means the file
    is not text (or UTF-16 without a BOM)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as e:
            line = raw[: e.start].decode("utf-16", errors="replace").count("\n") + 1
            raise UndecodableError(f"{path}:{line}: not valid UTF-16 ({e.reason})") from e
        nul = text.find("\x00")  # refused as in a UTF-8 file: no cell holds one
        if nul >= 0:
            line = text.count("\n", 0, nul) + 1
            raise UndecodableError(f"{path}:{line}: {_NUL}")
        return Decoded(text, "utf-16")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise UndecodableError(f"{path}:{line}: {_NUL}")
    try:
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n")
    out: list[str] = []
    cp1252_lines: list[int] = []
    utf8_non_ascii = False
    for n, chunk in enumerate(lines, 1):
        try:
            text = chunk.decode("utf-8")
            utf8_non_ascii = utf8_non_ascii or not chunk.isascii()
        except UnicodeDecodeError:
            bad = next((b for b in chunk if b in _CP1252_UNDEFINED), None)
            if bad is not None:
                raise UndecodableError(
                    f"{path}:{n}: byte 0x{bad:02x} is neither UTF-8 nor Windows-1252;"
                    " save the file as UTF-8 and import it again"
                ) from None
            text = chunk.decode("cp1252")
            cp1252_lines.append(n)
        out.append(text)
    text = "\n".join(out)
    if not utf8_non_ascii:
        return Decoded(text, "cp1252")
    shown = ", ".join(map(str, cp1252_lines[:10])) + (" ..." if len(cp1252_lines) > 10 else "")
    return Decoded(
        text,
        "utf-8 + cp1252",
        [
            f"{path}: mixed encodings: line(s) {shown} read as Windows-1252, the rest as UTF-8;"
            " check those rows"
        ],
    )
