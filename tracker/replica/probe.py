"""What Litestream says about a database and its replica (`litestream status` and `ltx`)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tracker.replica.config import litestream_env, litestream_exe
from tracker.replica.target import ReplicaError

TIMEOUT_S = 60


@dataclass(frozen=True)
class ReplicaPosition:
    txid: int
    """The newest transaction the replica holds (0: nothing replicated yet)."""
    at: str | None
    """When Litestream wrote that transaction's file (its header time, whole seconds)."""


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(
            [litestream_exe(), *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=litestream_env(),
        )
    except subprocess.TimeoutExpired as e:
        raise ReplicaError(f"litestream {args[0]} took more than {TIMEOUT_S} s") from e
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise ReplicaError(lines[-1] if lines else f"litestream {args[0]} failed")
    return done.stdout


def replica_position(config: Path, db_path: str) -> ReplicaPosition:
    """The replica's newest transaction, read from the replica itself (all levels)."""
    files = json.loads(
        _run(["ltx", "-no-expand-env", "-config", str(config), "-level", "all", "-json", db_path])
        or "[]"
    )
    if not files:
        return ReplicaPosition(0, None)
    newest = max(files, key=lambda f: (int(f["max_txid"], 16), f.get("timestamp", "")))
    return ReplicaPosition(int(newest["max_txid"], 16), newest.get("timestamp"))


def local_txid(config: Path, db_path: str) -> int:
    """The newest transaction Litestream has taken from the database's WAL (0 if none)."""
    rows = json.loads(
        _run(["status", "-no-expand-env", "-config", str(config), "-json", db_path]) or "[]"
    )
    for row in rows:
        try:
            return int(row.get("local_txid") or "0", 16)
        except ValueError:  # "-": nothing taken yet
            return 0
    return 0
