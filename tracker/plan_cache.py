"""What tomllib made of a plan file, kept between commands so that `load_plan` skips the parse.

tomllib is pure Python: importing it takes ~5 ms of every command, parsing bench_core's
500-site plan 10 ms more. The tables it made are kept in the user's cache folder together with
the file's exact bytes, and used only while the file holds those same bytes: an edited plan is
parsed afresh whatever its time stamps say, and the plan is checked (`plan._Reader`) on every
run all the same. Where the cache cannot be read or written (no home folder, a read-only one,
a plan with TOML dates, which marshal does not hold), the file is parsed as before.

marshal is not made for damaged data: one flipped byte in a length field had it allocate 2**31
slots (16 GB, 10 s) in every command. An entry is therefore a header (`MAGIC`, the length and
CRC-32 of the rest) checked before it is unmarshalled, read only from a regular file of its own
(not through a symlink, not from a FIFO or a device), and written to a new temporary file that
no symlink planted in a shared folder can redirect.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import zlib
from contextlib import suppress
from pathlib import Path

CACHE_ENV = "TRACKER_CACHE_DIR"
"""Overrides the folder (default: $XDG_CACHE_HOME/tracker, else ~/.cache/tracker). A folder
named so is used only if it exists, never made: set to the name SQLite gives a database's
write-ahead log (`tracker.db-wal`), a folder made there left the database unopenable."""
KEEP = 32
"""Entries kept: a plan in a temporary folder (a test, a bench) leaves one each time, so the
oldest go when a new one is written (a plan still in use is parsed once more)."""
MAGIC = b"trkplan1"
LARGEST = 64 << 20
"""An entry larger than this is not read (bench_core's 500-site plan makes ~0.2 MB)."""


def folder() -> Path | None:
    """Where entries are kept; None where no folder is the user's own (then nothing is kept).

    A relative $XDG_CACHE_HOME is ignored, as the XDG spec says (it would be the current
    folder's, e.g. the database's); an empty $HOME is none (Python makes it `/`)."""
    if custom := os.environ.get(CACHE_ENV):
        return Path(custom)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if os.environ.get("HOME") == "" or not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "tracker"


def _entry(path: Path) -> Path | None:
    # Named by the plan's path and the Python version (marshal's format is Python's own); two
    # paths sharing a name only miss, as the bytes decide.
    where = folder()
    if where is None:
        return None
    name = zlib.crc32(os.path.abspath(path).encode("utf-8", "surrogateescape"))
    return where / f"plan-{name:08x}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"


def get(path: Path, raw: bytes) -> dict | None:
    """The tables parsed from `raw`, if kept for `path` from these very bytes."""
    entry = _entry(path)
    if entry is None:
        return None
    try:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with open(fd, "rb") as f:
            size = os.fstat(fd)
            if not stat.S_ISREG(size.st_mode) or size.st_size > LARGEST:
                return None
            blob = f.read(LARGEST + 1)
    except OSError:
        return None
    head = len(MAGIC) + 12
    if (
        len(blob) < head
        or not blob.startswith(MAGIC)
        or int.from_bytes(blob[len(MAGIC) : len(MAGIC) + 8], "little") != len(blob) - head
        or int.from_bytes(blob[len(MAGIC) + 8 : head], "little") != zlib.crc32(blob[head:])
    ):
        return None
    try:
        kept = marshal.loads(memoryview(blob)[head:])
    except (ValueError, EOFError, TypeError, MemoryError):
        return None
    if type(kept) is tuple and len(kept) == 2 and kept[0] == raw and type(kept[1]) is dict:
        return kept[1]
    return None


def put(path: Path, raw: bytes, data: dict) -> None:
    """Keep what `raw` (the bytes of `path`) parsed to; silently nothing where it cannot."""
    try:
        body = marshal.dumps((raw, data))
    except ValueError:  # a TOML date or time
        return
    blob = b"".join(
        (MAGIC, len(body).to_bytes(8, "little"), zlib.crc32(body).to_bytes(4, "little"), body)
    )
    entry = _entry(path)
    if entry is None:
        return
    # A name no other writer uses, made new (O_EXCL: never through a symlink left there).
    tmp = entry.with_name(f"{entry.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        if not os.environ.get(CACHE_ENV):
            entry.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        with open(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, entry)  # whole or not at all, for a process reading it meanwhile
    except OSError:
        with suppress(OSError):
            tmp.unlink()
        return
    _prune(entry)


STALE_TMP_NS = 600 * 10**9
"""A temporary file this old was left by a process killed while writing it."""


def _prune(written: Path) -> None:
    """`written` and the `KEEP` - 1 newest other entries stay; temporary files left by killed
    writers go."""
    where = written.parent
    with suppress(OSError):
        entries = []
        stale = written.stat().st_mtime_ns - STALE_TMP_NS
        for name in os.listdir(where):
            if not name.startswith("plan-") or name == written.name:
                continue
            with suppress(OSError):
                if name.endswith(".marshal"):
                    entries.append((os.stat(where / name).st_mtime_ns, name))
                elif name.endswith(".tmp") and os.lstat(where / name).st_mtime_ns < stale:
                    os.unlink(where / name)
        for _, name in sorted(entries, reverse=True)[KEEP - 1 :]:
            with suppress(OSError):
                os.unlink(where / name)
