"""`tracker restore URL --db NEW`: the latest replicated state into a new file, checked.

Litestream restores into a hidden file beside NEW; the tracker checks it (`integrity_check`,
its migrations, counts) and only then links it to NEW, which must not exist: a restore never
writes over a database. Opened at its new place, the database takes a new station identity
(see `tracker.station`), so the restored copy and a primary that comes back never mix ids.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tracker import station, store
from tracker.replica import config
from tracker.replica.target import ReplicaError, Target

TIMEOUT_S = 3600
PLAN_TRIES = 3


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
        if target.scheme == "sftp":
            _fetch_and_restore(cfg, tmp, target, identity, known_hosts)
        else:
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


def _fetch_and_restore(
    cfg: Path, tmp: Path, target: Target, identity: str | None, known_hosts: str | None
) -> None:
    """SFTP: Litestream's plan, the files downloaded by us (`fetch`), Litestream's restore.

    A replica still being written can compact away a planned file during the download: then
    plan again; after `PLAN_TRIES` such races, Litestream reads the server itself."""
    from tracker.replica import fetch

    assert known_hosts is not None
    folder = tmp.with_name(f"{tmp.name}.replica")
    try:
        for _ in range(PLAN_TRIES):
            shutil.rmtree(folder, ignore_errors=True)
            files = _plan(cfg, tmp, target)
            try:
                fetch.download(target, files, folder, identity=identity, known_hosts=known_hosts)
            except fetch.PlanChanged:
                continue
            local = Target(folder.as_uri(), "file", str(folder))
            local_cfg = config.write(config.render(tmp, local))
            try:
                _litestream_restore(local_cfg, tmp, target)
            finally:
                config.remove(local_cfg)
            return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _litestream_restore(cfg, tmp, target)


def _litestream(args: list[str], target: Target) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [config.litestream_exe(), *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=config.litestream_env(),
        )
    except subprocess.TimeoutExpired as e:
        raise ReplicaError(f"{target.url}: restore took more than {TIMEOUT_S} s") from e


def _failed(done: subprocess.CompletedProcess, target: Target, default: str) -> ReplicaError:
    lines = (done.stderr or done.stdout).strip().splitlines()
    why = lines[-1] if lines else default
    if "no matching backup" in why or "no backups" in why or "not found" in why:
        why = f"nothing replicated there ({why})"
    return ReplicaError(f"{target.url}: cannot restore: {why}")


def _plan(cfg: Path, tmp: Path, target: Target) -> list:
    """The files Litestream would read to restore the latest state: its own plan."""
    from tracker.replica.fetch import LtxFile

    args = ["restore", "-dry-run", "-json", "-no-expand-env", "-config", str(cfg)]
    done = _litestream([*args, "-o", str(tmp), str(tmp)], target)
    if done.returncode != 0:
        raise _failed(done, target, "no restore plan")
    try:
        files = json.loads(done.stdout)["files"]
        return [LtxFile(int(f["level"]), str(f["name"]), int(f["size"])) for f in files]
    except (ValueError, KeyError, TypeError) as e:
        raise ReplicaError(f"{target.url}: Litestream's restore plan is unreadable: {e}") from e


def _litestream_restore(cfg: Path, tmp: Path, target: Target) -> None:
    args = ["restore", "-no-expand-env", "-config", str(cfg), "-o", str(tmp), str(tmp)]
    done = _litestream(args, target)
    if done.returncode != 0 or not tmp.is_file():
        raise _failed(done, target, "no database restored")


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
