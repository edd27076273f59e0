"""The replication status file `tracker replicate` keeps beside the database.

`DB.replica.json` says which replica the supervisor serves, its process id, when it last looked
and when the replica was last confirmed to hold everything the database held ("replicated
at"). `tracker status` and the app read it; the store reads `active` when it opens a connection
(while Litestream runs, Litestream does the checkpoints). Only stdlib here: the store imports it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

SUFFIX = ".replica.json"
STALE_AFTER_S = 300
"""Replication older than this is warned about ("a few minutes")."""
ALIVE_WITHIN_S = 30
"""A supervisor that has not written its file for this long is taken for gone."""


@dataclass
class ReplicaState:
    url: str
    pid: int
    checked_at: str
    """When the supervisor last looked (its heartbeat)."""
    replicated_at: str | None
    """When the replica was last seen holding everything the database held."""
    local_txid: int = 0
    replica_txid: int = 0
    error: str = ""


def path_for(db_path: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(db_path)}{SUFFIX}")


def read(db_path: str | os.PathLike[str]) -> ReplicaState | None:
    try:
        data = json.loads(path_for(db_path).read_text(encoding="utf-8"))
        return ReplicaState(**data)
    except (OSError, ValueError, TypeError):
        return None


def write(db_path: str | os.PathLike[str], state: ReplicaState) -> None:
    """Atomically (a reader never sees half a file)."""
    path = path_for(db_path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)


def _age(at: str | None, now: datetime) -> float | None:
    if not at:
        return None
    return (now - datetime.fromisoformat(at.replace("Z", "+00:00"))).total_seconds()


def active(db_path: str | os.PathLike[str], now: datetime | None = None) -> bool:
    """A supervisor wrote its heartbeat recently: Litestream is replicating this database."""
    state = read(db_path)
    if state is None:
        return False
    age = _age(state.checked_at, now or datetime.now(UTC))
    return age is not None and age < ALIVE_WITHIN_S


@dataclass(frozen=True)
class Summary:
    """One line for `tracker status` and the app, and whether it is a warning."""

    text: str
    warn: bool


def summary(db_path: str | os.PathLike[str], now: datetime | None = None) -> Summary:
    from tracker.timefmt import age as ago

    now = now or datetime.now(UTC)
    state = read(db_path)
    if state is None:
        return Summary("replication: not set up (see `tracker replicate`)", False)
    age = _age(state.replicated_at, now)
    if age is None:
        text = f"REPLICATION: nothing confirmed on {state.url} yet"
        return Summary(text + (f" ({state.error})" if state.error else ""), True)
    text = f"replicated to {state.url} {ago(state.replicated_at, now)}"
    if age > STALE_AFTER_S:
        beat = _age(state.checked_at, now)
        why = state.error or (
            "tracker replicate is not running" if beat is None or beat > ALIVE_WITHIN_S else ""
        )
        text = f"REPLICATION BEHIND: last {text}" + (f" ({why})" if why else "")
        return Summary(text, True)
    return Summary(text, False)
