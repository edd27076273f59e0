"""`tracker restore URL --db NEW`: the latest replicated state into a new file, checked.

Litestream restores into a hidden file beside NEW; the tracker checks it (`integrity_check`,
its migrations, counts) and only then links it to NEW, which must not exist: a restore never
writes over a database. Opened at its new place, the database takes a new station identity
(see `tracker.station`), so the restored copy and a primary that comes back never mix ids.

The integrity check is most of a restore's own time and keeps one core busy; the migrations
and counts run beside it on a connection of their own, and their result counts only once the
check passed. Each phase is timed (`Restored.took`, printed by `tracker restore`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tracker import dbfile, station, store
from tracker.replica import config
from tracker.replica.target import ReplicaError, Target

TIMEOUT_S = 3600
PLAN_TRIES = 3


class Damaged(ReplicaError):
    """The restored state fails its integrity check (or is not a readable database)."""


@dataclass(frozen=True)
class Restored:
    path: str
    assets: int
    events: int
    newest_event: str | None
    station: station.Station
    damaged: str = ""
    """Why the replica's latest state was unusable, when an earlier one was restored."""
    txid: int = 0
    """The transaction restored, when it is not the latest (`damaged`)."""
    latest_txid: int = 0
    took: tuple[tuple[str, float], ...] = ()
    """Seconds per phase, in order (`Clock`)."""


class Clock:
    """Seconds spent in each phase of one restore, for `tracker restore` and the bench."""

    def __init__(self) -> None:
        self.took: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        self.took.setdefault(phase, 0.0)  # listed in the order the phases began
        started = time.perf_counter()
        try:
            yield
        finally:
            self.took[phase] += time.perf_counter() - started


@dataclass(frozen=True)
class _Counts:
    assets: int
    events: int
    newest_event: str | None


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
    clock = Clock()
    cfg = config.write(config.render(tmp, target, identity=identity, known_hosts=known_hosts))
    try:
        if target.scheme == "sftp":
            _fetch_and_restore(cfg, tmp, target, identity, known_hosts, clock)
        else:
            with clock("Litestream's restore"):
                _litestream_restore(cfg, tmp, target)
        salvaged: tuple[str, int, int] = ("", 0, 0)
        try:
            counts = _checked_and_counted(tmp, target, clock)
        except Damaged as e:
            with clock("earlier states"):
                salvaged = (str(e), *_newest_whole_state(cfg, tmp, target, e))
            with clock("migrations and counts"):
                counts = _migrated_and_counted(tmp)
        os.link(tmp, new)  # fails if NEW appeared meanwhile: never over a database
    finally:
        config.remove(cfg)
        for path in _sidecars(tmp):
            path.unlink(missing_ok=True)
    with clock("station identity"):
        db = store.open_db(new, bind=not keep_identity)
        try:
            ident = station.identity(db)
        finally:
            db.close()
    return Restored(
        str(new),
        counts.assets,
        counts.events,
        counts.newest_event,
        ident,
        *salvaged,
        took=tuple(clock.took.items()),
    )


def _checked_and_counted(tmp: Path, target: Target, clock: Clock) -> _Counts:
    """`_check` on one core, the migrations and counts beside it on the other.

    The check's connection is opened first, here: opening the database file while no
    connection of this process holds it, as the store's first look does, would drop that
    connection's locks later (see `tracker.dbfile`). When the check fails, whatever the
    migrations did to the file is thrown away with it and any error of theirs is moot."""
    conn = _check_connection(tmp, target)
    clock.took.setdefault("integrity check", 0.0)  # listed first: the phase everything waits for
    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = pool.submit(_timed, clock, "integrity check", _check, tmp, target, conn)
        failed: Exception | None = None
        try:
            with clock("migrations and counts (beside the check)"):
                counts = _migrated_and_counted(tmp)
        except Exception as e:  # the check's verdict comes first
            failed = e
        checking.result()  # raises Damaged (or not a tracker database) before anything else
    if failed is not None:
        raise failed
    return counts


def _timed(clock: Clock, phase: str, fn: Callable[..., None], *args: object) -> None:
    with clock(phase):
        fn(*args)


def _migrated_and_counted(path: Path) -> _Counts:
    db = store.open_db(path, bind=False)  # its migrations, in the hidden file
    try:
        return _Counts(
            store.count_assets(db),
            db.execute("SELECT count(*) FROM events").fetchone()[0],
            store.latest_scan_at(db),
        )
    finally:
        db.close()


def _fetch_and_restore(
    cfg: Path,
    tmp: Path,
    target: Target,
    identity: str | None,
    known_hosts: str | None,
    clock: Clock,
) -> None:
    """SFTP: Litestream's plan, the files downloaded by us (`fetch`), Litestream's restore.

    The SSH login (and the SSH library's import) happens while Litestream makes its plan. A
    replica still being written can compact away a planned file during the download: then
    plan again; after `PLAN_TRIES` such races, or when the login or download fails,
    Litestream reads the server itself."""
    from tracker.replica import fetch

    assert known_hosts is not None
    folder = tmp.with_name(f"{tmp.name}.replica")
    pool = ThreadPoolExecutor(max_workers=1)
    login = pool.submit(fetch.connect, target, identity=identity, known_hosts=known_hosts)
    pool.shutdown(wait=False)  # a failed plan does not wait for the login
    try:
        for _ in range(PLAN_TRIES):
            shutil.rmtree(folder, ignore_errors=True)
            with clock("Litestream's plan"):
                files = _plan(cfg, tmp, target)
            try:
                with clock("download"):
                    fetch.download(
                        target,
                        files,
                        folder,
                        identity=identity,
                        known_hosts=known_hosts,
                        client=login.result(),
                    )
            except fetch.PlanChanged:
                continue
            except fetch.Unfetched:
                break
            local = Target(folder.as_uri(), "file", str(folder))
            local_cfg = config.write(config.render(tmp, local))
            try:
                with clock("Litestream's restore"):
                    _litestream_restore(local_cfg, tmp, target)
            finally:
                config.remove(local_cfg)
            return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        login.add_done_callback(_close_client)  # now, or when a login still under way ends
    with clock("Litestream's restore (reading the server)"):
        _litestream_restore(cfg, tmp, target)


def _close_client(login: Future) -> None:
    """The login's connection, once the restore is done with it (or gave up before it)."""
    if login.exception() is None:
        login.result().close()


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


def _check_connection(path: Path, target: Target) -> sqlite3.Connection:
    """The integrity check's connection, usable from the thread that runs the check."""
    dbfile.hold(path)
    try:
        conn = sqlite3.connect(path, check_same_thread=False)
        # Memory-mapped reads: a quarter off the check of a 250 MB file (a bigger page cache
        # on top gained nothing, measured with the bench's database).
        conn.execute("PRAGMA mmap_size=1073741824")
    except sqlite3.DatabaseError as e:
        raise Damaged(f"{target.url}: the restored file is not a usable database: {e}") from e
    return conn


def _check(path: Path, target: Target, conn: sqlite3.Connection | None = None) -> None:
    """The full `PRAGMA integrity_check` (every table, index and page), or `Damaged`."""
    if conn is None:
        conn = _check_connection(path, target)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as e:
        raise Damaged(f"{target.url}: the restored file is not a usable database: {e}") from e
    finally:
        conn.close()
    if result != [("ok",)]:
        shown = "; ".join(r[0] for r in result[:3]).replace("\n", " ")
        shown = shown if len(shown) <= 240 else shown[:240] + " ..."
        raise Damaged(f"{target.url}: the restored database fails its integrity check: {shown}")
    if "events" not in tables or "assets" not in tables:
        raise ReplicaError(f"{target.url}: the restored database is not a tracker database")


def _newest_whole_state(cfg: Path, tmp: Path, target: Target, damage: Damaged) -> tuple[int, int]:
    """Replace `tmp` with the newest earlier state that passes the check: (its txid, latest).

    Litestream 0.5.17 can ship a transaction that SQLite never published (its writer killed
    mid-commit while another process keeps the WAL index open) and then the frames that
    overwrite it, which leaves every later state on the replica damaged until the next daily
    snapshot (docs/continuity.md). The states before it are whole, so the restore goes back to
    the newest one that passes, found by halving among the transactions the replica's files
    end at (Litestream restores to those). Litestream reads the replica itself here (slow
    over SFTP, but this is the rare path). Raises `damage` when no earlier state passes.
    """
    listing = _litestream(
        ["ltx", "-no-expand-env", "-config", str(cfg), "-level", "all", "-json", str(tmp)], target
    )
    try:
        txids = sorted({int(f["max_txid"], 16) for f in json.loads(listing.stdout or "[]")})
    except (ValueError, KeyError, TypeError):
        txids = []
    if len(txids) < 2:
        raise damage
    latest, earlier = txids[-1], txids[:-1]
    probe = tmp.with_name(f"{tmp.name}.probe")
    good = tmp.with_name(f"{tmp.name}.good")
    best = None
    lo, hi = 0, len(earlier) - 1
    try:
        while lo <= hi:
            mid = (lo + hi) // 2
            for path in _sidecars(probe):
                path.unlink(missing_ok=True)
            args = ["restore", "-no-expand-env", "-config", str(cfg)]
            args += ["-txid", f"{earlier[mid]:016x}", "-o", str(probe), str(tmp)]
            done = _litestream(args, target)
            try:
                if done.returncode != 0 or not probe.is_file():
                    raise Damaged(f"{target.url}: no restore to transaction {earlier[mid]}")
                _check(probe, target)
            except Damaged:
                hi = mid - 1
                continue
            os.replace(probe, good)
            best, lo = earlier[mid], mid + 1
        if best is None:
            raise damage
        for path in _sidecars(tmp):
            path.unlink(missing_ok=True)
        os.replace(good, tmp)
        return best, latest
    finally:
        for path in (*_sidecars(probe), *_sidecars(good)):
            path.unlink(missing_ok=True)
