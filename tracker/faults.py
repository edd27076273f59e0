"""Turning a database or disk fault into one line a person can act on.

Every entry point (the CLI, the app's database worker) shows faults through `describe`, so a
full disk, a read-only or immutable database, a damaged file or a lock held too long reads the
same everywhere and never as a traceback.
"""

from __future__ import annotations

import errno
import os
import sqlite3

_SQLITE_FAULTS = (
    ("database or disk is full", "the disk is full"),
    ("readonly database", "the database is read-only (file, folder or mount)"),
    ("read-only file system", "the database is on a read-only file system"),
    ("disk i/o error", "a disk I/O error (full, read-only or failing disk?)"),
    ("unable to open database", "cannot open the database file (permissions? folder gone?)"),
    ("database is locked", "the database stayed locked by another program for too long"),
    ("malformed", "the database file is damaged; restore it from a backup"),
    ("not a database", "the file is not a database"),
    ("no such table", "the database is damaged: a table is missing; restore it from a backup"),
    ("no such column", "the database is damaged: a column is missing; restore it from a backup"),
)
_OS_FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted (an immutable file?)",
    errno.EIO: "a disk I/O error",
}


def describe(e: BaseException, db_path: str) -> str:
    """One line for a database or OS fault, naming the file."""
    if isinstance(e, sqlite3.Error):
        text = str(e).lower()
        if _read_only_folder(db_path) and ("unable to open" in text or "readonly" in text):
            return f"{db_path}: the database is on a read-only file system"
        for needle, said in _SQLITE_FAULTS:
            if needle in text:
                return f"{db_path}: {said}"
        return f"{db_path}: database error: {e}"
    if isinstance(e, OSError):
        said = _OS_FAULTS.get(e.errno or 0, e.strerror or str(e))
        return f"{e.filename or db_path}: {said}"
    return str(e)  # not a fault of the disk: the exception's own message


def _read_only_folder(db_path: str) -> bool:
    try:
        return bool(os.statvfs(os.path.dirname(os.path.abspath(db_path))).f_flag & os.ST_RDONLY)
    except OSError:
        return False
