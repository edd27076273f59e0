"""Writing output files: the export, the report, the labels and the known_hosts file all go
through here, so one guard decides what may be written over.

- A reader never sees half a file: it is written beside the target and renamed over it.
- Never over the database: every database this process opened (and its -wal, -shm and
  -journal) is protected, however the path is spelt (relative, through a symlink, a hard link).
- Never over a file that is not what the command makes: an existing target must already look
  like that kind of file (a CSV export replaces text, a PDF a PDF), and never an SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class OutputError(ValueError):
    """The output file may not or cannot be written; the message names it and says why."""


_PROTECTED: set[str] = set()
_SQLITE = b"SQLite format 3\x00"
# What an existing file must start with to be replaced by a file of each kind ('' = any text).
_KINDS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "csv": ("a CSV file", ()),
    "text": ("a text file", ()),
    "html": ("an HTML file", (b"<!doctype html", b"<html")),
    "pdf": ("a PDF file", (b"%pdf-",)),
    "png": ("a PNG image", (b"\x89png\r\n",)),
    "svg": ("an SVG image", (b"<svg", b"<?xml")),
}


def protect(db_path: str | Path) -> None:
    """Never write an output file over this database or its companion files."""
    if str(db_path) in ("", ":memory:"):
        return
    real = os.path.realpath(db_path)
    _PROTECTED.update(real + suffix for suffix in ("", "-wal", "-shm", "-journal"))


def is_database(path: str | Path) -> bool:
    """True for a database this process opened (or will open) or one of its companion files.

    Such a file is never read as input either: closing a descriptor of it would drop SQLite's
    locks on it (see `tracker.dbfile`)."""
    return _is_protected(Path(path))


def _is_protected(path: Path) -> bool:
    real = os.path.realpath(path)
    if real in _PROTECTED:
        return True
    if not path.exists():
        return False
    for other in _PROTECTED:
        try:
            if os.path.samefile(path, other):
                return True
        except OSError:
            continue
    return False


def check_output(path: str | Path, kind: str) -> None:
    """Raise OutputError unless a `kind` file may be written to `path` (see module docstring)."""
    path = Path(path)
    what, magics = _KINDS[kind]
    if _is_protected(path):
        raise OutputError(f"{path} is the tracker database (or its journal); not writing over it")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    folder = path.absolute().parent
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise OutputError(f"cannot write {path}: the folder {folder} {problem}")
    if not path.exists():
        return
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
    if not head:
        return
    if head.startswith(_SQLITE):
        raise OutputError(f"{path} is an SQLite database; not writing over it")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    binary = b"\x00" in head
    looks_right = start.startswith(magics) if magics else not binary
    if not looks_right:
        raise OutputError(f"{path} exists and is not {what}; not writing over it")


@contextmanager
def replaced_atomically(path: str | Path, kind: str = "text") -> Iterator[Path]:
    """Yield a temporary path beside `path` to write; on success it is fsynced and renamed over
    `path` (atomic on one file system), on failure removed and `path` left as it was.
    `check_output` first: raises OutputError."""
    path = Path(path)
    check_output(path, kind)
    import tempfile  # here: only a written file needs it (shutil, random: 2 ms to import)

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; these files are meant to be read
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomically(path: str | Path, text: str, kind: str = "text") -> None:
    with replaced_atomically(path, kind) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
