"""What a database file is before the tracker touches it, and creating a new one in one step.

Opening a file must never change it unless it is a tracker database of this version or older:
another program's SQLite file, or one written by a newer tracker, is refused with one line and
left byte for byte as it was (no WAL switch, no tables added). A new database is built in a
temporary file beside the target (schema and sample inventory) and linked into place only when
complete, under a lock file that other processes wait on; so nobody ever sees a half-made
database, and several processes starting at once do not trip over each other's migrations.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(RuntimeError):
    """The database file cannot be used; the message names the file and says why."""


def missing_message(path: str) -> str:
    return (
        f"{path}: no such database. Create it with `tracker --db {path} import FILE.csv`"
        f" (your inventory), or run `tracker --db {path}` to start with the sample inventory"
    )


def check_existing(path: str, migration_set: str, known: set[str]) -> str:
    """Refuse a file that is not a tracker database this version may open; never writes to it.

    Returns 'empty' (no tables yet: a new database), or 'tracker'."""
    if os.path.isdir(path):
        raise StoreError(f"{path} is a folder, not a database file")
    # Never a Python open() of the file: closing any descriptor of it drops every POSIX lock
    # this process holds on it, those of its open connections too (SQLite's own closes are
    # deferred for this). Another process then takes the database for unused and deletes its
    # -wal when it closes, and the connections here read and write a deleted file: the app's
    # dashboard froze, and its next scan was lost. So the size from stat, the rest by SQLite.
    try:
        size = os.stat(path).st_size
    except OSError as e:
        raise StoreError(f"{path}: cannot read: {e.strerror or e}") from e
    if not size:
        return "empty"
    if not os.access(path, os.R_OK):
        raise StoreError(f"{path}: cannot read: {os.strerror(errno.EACCES)}")
    not_sqlite = StoreError(
        f"{path} is not an SQLite database, so not a tracker database; left as it was"
    )
    if size < len(SQLITE_MAGIC):
        raise not_sqlite
    # Without a -wal file beside it, everything is in the main file: read it as immutable, which
    # creates no -shm or -wal (a plain read-only open of a WAL database would).
    live = os.path.exists(f"{path}-wal")
    query = "mode=ro" if live else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?{query}", uri=True)
    except sqlite3.Error:
        return "tracker"  # let the normal open report what is wrong
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return "empty"
        sets: dict[str, list[str]] = {}
        if "_sqlite_migrations" in tables:
            for set_name, name in conn.execute(
                "SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid"
            ):
                sets.setdefault(set_name, []).append(name)
    except sqlite3.OperationalError:
        raise  # locked, full, read-only, I/O: a fault, reported as one (tracker.faults)
    except sqlite3.Error as e:
        if e.sqlite_errorcode == sqlite3.SQLITE_NOTADB:
            raise not_sqlite from None
        raise StoreError(f"{path}: cannot read the database: {e}") from e
    finally:
        conn.close()
    if migration_set not in sets:
        shown = ", ".join(sorted(t for t in tables if not t.startswith("sqlite_"))[:5])
        raise StoreError(
            f"{path} is an SQLite database of another program (tables: {shown}), not a tracker"
            " database; left as it was"
        )
    newer = [n for n in sets[migration_set] if n not in known]
    if newer:
        raise StoreError(
            f"{path} was written by a newer version of tracker (schema step {newer[0]} is"
            " unknown here); upgrade tracker to open it. Left as it was"
        )
    return "tracker"


def _lock_path(path: str) -> str:
    p = Path(path)
    return str(p.with_name(f".{p.name}.creating"))


def wait_for_creation(path: str) -> None:
    """If another process is creating `path`, wait until it has finished (or given up)."""
    try:
        fd = os.open(_lock_path(path), os.O_RDONLY)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    finally:
        os.close(fd)


@contextmanager
def creation_lock(path: str) -> Iterator[None]:
    """Held while a new database is made; `wait_for_creation` waits on it."""
    lock = _lock_path(path)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as e:
        raise StoreError(f"{path}: cannot create the database here: {e.strerror or e}") from e
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Unlinked while still held: a process waiting on it wakes, sees the database and opens
        # it; a process arriving later finds the database and no lock file.
        with suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def create_new(path: str, build: Callable[[str], None]) -> bool:
    """Make `path` by `build(temp_path)` and link it into place whole. False when another
    process made it first (then theirs is used, ours discarded)."""
    with creation_lock(path):
        if os.path.exists(path):
            return False
        folder = os.path.dirname(path) or "."
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".new", dir=folder)
        except OSError as e:
            raise StoreError(f"{path}: cannot create the database: {e.strerror or e}") from e
        os.close(fd)
        try:
            build(tmp)
            os.chmod(tmp, 0o644)
            try:
                os.link(tmp, path)  # never replaces: fails if the name exists
            except FileExistsError:
                return False
            except OSError:
                if os.path.exists(path):
                    return False
                os.rename(tmp, path)  # a file system without hard links
            return True
        finally:
            for leftover in (tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"):
                with suppress(OSError):
                    os.unlink(leftover)


@contextmanager
def migration_lock(path: str) -> Iterator[None]:
    """One process at a time migrates `path`: flock on the file itself (independent of
    SQLite's own POSIX locks on Linux), so no extra file is left beside it."""
    if path == ":memory:" or not os.path.exists(path):
        yield
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
