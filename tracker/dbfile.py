"""What a database file is before the tracker touches it, and creating a new one in one step.

Opening a file must never change it unless it is a tracker database of this version or older:
another program's SQLite file, or one written by a newer tracker, is refused with one line and
left byte for byte as it was (no WAL switch, no tables added). A new database is built in a
temporary file beside the target (schema and sample inventory) and linked into place only when
complete, under a lock file that other processes wait on; so nobody ever sees a half-made
database, and several processes starting at once do not trip over each other's migrations.

Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
included (fcntl(2)). A process that reads its own open database with plain file I/O therefore
makes SQLite's locks vanish: another process closing its connection then takes itself for the
last one, checkpoints and deletes the WAL, and this process's next commits go to a deleted
-wal and are lost. So plain file I/O touches a database file only while this process has no
descriptor of it open (`held`); otherwise only SQLite reads it, and locks that are ours alone
(`migration_lock`) live on a file of their own.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
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


_HELD: set[tuple[int, int]] = set()
"""(device, inode) of every file this process opened an SQLite connection to: what `held`
goes by where the process's open descriptors cannot be listed (no /proc)."""
_OPEN_FDS = "/proc/self/fd"


def _identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def hold(path: str | os.PathLike[str]) -> None:
    """Record that this process has (or is about to have) an SQLite connection to `path`."""
    ident = _identity(path)
    if ident is not None:
        _HELD.add(ident)


def held(path: str | os.PathLike[str]) -> bool:
    """True when this process has `path` open (by inode, however spelt): then SQLite may hold
    locks on it, and plain file I/O on it must wait (see the module docstring).

    On Linux the truth is in /proc/self/fd: a descriptor SQLite keeps open is listed, one it
    closed is not, and an inode in use cannot be reused by another file meanwhile. Elsewhere,
    every file this process ever connected to counts (`hold`)."""
    ident = _identity(path)
    if ident is None:
        return False
    try:
        names = os.listdir(_OPEN_FDS)
    except OSError:
        return ident in _HELD
    for name in names:
        try:
            st = os.stat(os.path.join(_OPEN_FDS, name))
        except OSError:
            continue  # closed meanwhile, or the listing's own descriptor
        if (st.st_dev, st.st_ino) == ident:
            return True
    return False


def check_existing(path: str, migration_set: str, known: set[str]) -> str:
    """Refuse a file that is not a tracker database this version may open; never writes to it.

    Returns 'empty' (no tables yet: a new database), or 'tracker'. The header is read with
    plain file I/O only while this process holds no connection to the file; otherwise SQLite
    reads it (see the module docstring)."""
    if os.path.isdir(path):
        raise StoreError(f"{path} is a folder, not a database file")
    if not held(path):
        try:
            with open(path, "rb") as f:
                head = f.read(len(SQLITE_MAGIC))
        except OSError as e:
            raise StoreError(f"{path}: cannot read: {e.strerror or e}") from e
        if not head:
            return "empty"
        if head != SQLITE_MAGIC:
            raise _not_sqlite(path)
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
    except sqlite3.DatabaseError as e:
        if "not a database" in str(e):
            raise _not_sqlite(path) from e
        raise StoreError(f"{path}: cannot read the database: {e}") from e
    except sqlite3.Error as e:
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


def _not_sqlite(path: str) -> StoreError:
    return StoreError(
        f"{path} is not an SQLite database, so not a tracker database; left as it was"
    )


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
        import tempfile  # here: only a new database needs it (shutil, random: 2 ms to import)

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
    """One process at a time migrates `path`: flock on `.NAME.migrating` beside it, removed
    when done. Never on the database itself: the migrating connection is open, and closing a
    descriptor of the database would drop its SQLite locks (module docstring)."""
    if path == ":memory:" or not os.path.exists(path):
        yield
        return
    p = Path(path)
    lock = str(p.with_name(f".{p.name}.migrating"))
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as e:
            raise StoreError(f"{path}: cannot lock it to migrate: {e.strerror or e}") from e
        fcntl.flock(fd, fcntl.LOCK_EX)
        # The holder before us unlinks the file when done: a lock on an unlinked file (or on
        # one since replaced) is no lock; take the one under the name now.
        if _identity(lock) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino):
            break
        os.close(fd)
    try:
        yield
    finally:
        with suppress(OSError):
            os.unlink(lock)
        os.close(fd)
