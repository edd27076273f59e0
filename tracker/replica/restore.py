"""`tracker restore URL --db NEW`: the latest replicated state into a new file, checked.

Litestream restores into a hidden file beside NEW; the tracker checks it (`integrity_check`,
its migrations, counts) and only then links it to NEW, which must not exist: a restore never
writes over a database. Opened at its new place, the database takes a new station identity
(see `tracker.station`), so the restored copy and a primary that comes back never mix ids.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tracker import station, store
from tracker.replica import config
from tracker.replica.target import ReplicaError, Target

TIMEOUT_S = 3600


@dataclass(frozen=True)
class Restored:
    path: str
    assets: int
    events: int
    newest_event: str | None
    station: station.Station


def _sidecars(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def restore(
    target: Target,
    new_db: str | os.PathLike[str],
    *,
    identity: str | None = None,
    known_hosts: str | None = None,
    keep_identity: bool = False,
) -> Restored:
    """`keep_identity`: for a copy only read by `tracker sync`, which must see whose it is."""
    new = Path(new_db).absolute()
    for path in _sidecars(new):
        if path.exists():
            raise ReplicaError(
                f"{path}: already exists; a restore never writes over a database: name a new file"
            )
    if not new.parent.is_dir():
        raise ReplicaError(f"{new.parent}: no such folder")
    tmp = new.with_name(f".{new.name}.restoring-{os.getpid()}")
    cfg = config.write(config.render(tmp, target, identity=identity, known_hosts=known_hosts))
    try:
        _litestream_restore(cfg, tmp, target)
        _check(tmp, target)
        db = store.open_db(tmp, bind=False)  # its migrations, in the hidden file
        db.close()
        os.link(tmp, new)  # fails if NEW appeared meanwhile: never over a database
    finally:
        config.remove(cfg)
        for path in _sidecars(tmp):
            path.unlink(missing_ok=True)
    db = store.open_db(new, bind=not keep_identity)
    try:
        return Restored(
            str(new),
            store.count_assets(db),
            db.execute("SELECT count(*) FROM events").fetchone()[0],
            store.latest_scan_at(db),
            station.identity(db),
        )
    finally:
        db.close()


def _litestream_restore(cfg: Path, tmp: Path, target: Target) -> None:
    try:
        done = subprocess.run(
            [config.litestream_exe(), "restore", "-no-expand-env", "-config", str(cfg)]
            + ["-o", str(tmp), str(tmp)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as e:
        raise ReplicaError(f"{target.url}: restore took more than {TIMEOUT_S} s") from e
    if done.returncode != 0 or not tmp.is_file():
        lines = (done.stderr or done.stdout).strip().splitlines()
        why = lines[-1] if lines else "no database restored"
        if "no matching backup" in why or "no backups" in why or "not found" in why:
            why = f"nothing replicated there ({why})"
        raise ReplicaError(f"{target.url}: cannot restore: {why}")


def _check(path: Path, target: Target) -> None:
    conn = sqlite3.connect(path)
    try:
        # A big page cache and memory-mapped reads: a third off the check of a 250 MB file.
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA mmap_size=1073741824")
        result = conn.execute("PRAGMA integrity_check").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        raise ReplicaError(f"{target.url}: the restored file is not a usable database: {e}") from e
    finally:
        conn.close()
    if result != [("ok",)]:
        shown = "; ".join(r[0] for r in result[:3])
        raise ReplicaError(
            f"{target.url}: the restored database fails its integrity check: {shown}"
        )
    if "events" not in tables or "assets" not in tables:
        raise ReplicaError(f"{target.url}: the restored database is not a tracker database")
