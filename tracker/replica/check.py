"""`tracker replicate --check URL`: is the replica current? One line, exit 0/1/2 (OK/WARN/CRIT).

Compares the database's newest write (the latest time stamp in its events, unknown scans, kiosk
checks, moves and assets) with the time of the replica's newest transaction, read from the
replica itself. Writes that are not on the replica yet make it WARN after `WARN_S` and CRIT
after `CRIT_S`; an unreadable or empty replica is CRIT. With `verify`, a test restore whose
latest state fails its integrity check is CRIT too.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from tracker import store
from tracker.replica import config, probe
from tracker.replica.target import ReplicaError, Target
from tracker.timefmt import parse_time

OK, WARN, CRIT = 0, 1, 2
WARN_S, CRIT_S = 300, 900
SLACK_S = 2.0
"""The replica's time stamps are whole seconds, written a moment after the commit."""


@dataclass(frozen=True)
class CheckResult:
    code: int
    line: str


def newest_write(db: Database) -> str | None:
    return db.execute(
        "SELECT max(t) FROM (SELECT max(at) AS t FROM events"
        " UNION ALL SELECT max(at) FROM unknown_scans"
        " UNION ALL SELECT max(checked_at) FROM kiosk_checks"
        " UNION ALL SELECT max(started_at) FROM moves UNION ALL SELECT max(ended_at) FROM moves"
        " UNION ALL SELECT max(updated_at) FROM assets)"
    ).fetchone()[0]


def check(
    db: Database,
    target: Target,
    *,
    identity: str | None = None,
    known_hosts: str | None = None,
    now: datetime | None = None,
    verify: bool = False,
) -> CheckResult:
    """`verify`: also restore the replica's latest state to a scratch file and check it (the
    only way to see a damaged latest state, see `restore`); takes as long as a restore."""
    result = _check(db, target, identity=identity, known_hosts=known_hosts, now=now)
    if not verify or result.code == CRIT:
        return result
    return _verified(result, db, target, identity=identity, known_hosts=known_hosts)


def _verified(
    result: CheckResult,
    db: Database,
    target: Target,
    *,
    identity: str | None,
    known_hosts: str | None,
) -> CheckResult:
    from tracker.replica import restore

    name = f"REPLICA {target.url}"
    folder = Path(store.db_file(db)).parent
    with tempfile.TemporaryDirectory(dir=folder, prefix=".tracker-verify-") as scratch:
        try:
            done = restore.restore(
                target,
                Path(scratch) / "verify.db",
                identity=identity,
                known_hosts=known_hosts,
                keep_identity=True,
            )
        except ReplicaError as e:
            return CheckResult(CRIT, f"{name} CRITICAL - a test restore fails: {e}")
    if done.damaged:
        return CheckResult(
            CRIT,
            f"{name} CRITICAL - the latest state (transaction {done.latest_txid}) is damaged"
            f" ({done.damaged.split(': ', 1)[-1]}); a restore gives transaction {done.txid},"
            f" {done.events} events, newest {done.newest_event}",
        )
    passed = f"a test restore passes its integrity check ({done.events} events)"
    return CheckResult(result.code, f"{result.line}; {passed}")


def _check(
    db: Database,
    target: Target,
    *,
    identity: str | None,
    known_hosts: str | None,
    now: datetime | None,
) -> CheckResult:
    name = f"REPLICA {target.url}"
    db_path = store.db_file(db)
    try:
        cfg = config.write(
            config.render(db_path, target, identity=identity, known_hosts=known_hosts)
        )
    except ReplicaError as e:
        return CheckResult(CRIT, f"{name} CRITICAL - {e}")
    try:
        position = probe.replica_position(cfg, db_path)
    except ReplicaError as e:
        return CheckResult(CRIT, f"{name} CRITICAL - cannot read the replica: {e}")
    finally:
        config.remove(cfg)
    if position.txid == 0 or position.at is None:
        return CheckResult(CRIT, f"{name} CRITICAL - nothing replicated there")
    now = now or datetime.now(UTC)
    written = parse_time(newest_write(db))
    replicated = parse_time(position.at)
    assert replicated is not None
    held = f"holds transaction {position.txid} of {position.at}"
    if written is None or written <= replicated + timedelta(seconds=SLACK_S):
        return CheckResult(OK, f"{name} OK - {held}, the database's newest write included")
    waiting = (now - written).total_seconds()
    code = OK if waiting < WARN_S else WARN if waiting < CRIT_S else CRIT
    word = {OK: "OK", WARN: "WARNING", CRIT: "CRITICAL"}[code]
    return CheckResult(
        code,
        f"{name} {word} - {held}; the database has writes since, the newest waiting"
        f" {waiting:.0f} s (is tracker replicate running?)",
    )
