"""`tracker replicate`, `tracker restore` and `tracker sync`: the record outlives any one machine.

See docs/continuity.md. Replication is Litestream's (tracker.replica); merging is tracker.sync.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tracker.cli.common import EXIT_LOOK, EXIT_OK, EXIT_USAGE, Context, err, out
from tracker.textsafe import one_line


def _known_hosts(ctx: Context, args: argparse.Namespace, db_path: str | None = None) -> str:
    from tracker.fleet import known_hosts

    return str(args.known_hosts or known_hosts.default_path(db_path or ctx.db_path))


def _target(url: str) -> Any:
    from tracker.replica import target

    return target.parse(url)


def cmd_replicate(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.replica import check, supervise
    from tracker.replica.target import ReplicaError

    try:
        target = _target(args.url)
        if args.trust:
            return _trust(target, _known_hosts(ctx, args), args)
        if not os.path.isfile(ctx.db_path):
            raise ReplicaError(f"{ctx.db_path}: no such database")
        if args.verify and not args.check:
            raise ReplicaError("--verify goes with --check: tracker replicate --check --verify URL")
        if args.check:
            result = check.check(
                ctx.db,
                target,
                identity=args.identity,
                known_hosts=_known_hosts(ctx, args),
                verify=args.verify,
            )
            out(one_line(result.line))
            return result.code
        running = supervise.already_running(ctx.db_path)
        if running:
            raise ReplicaError(f"{ctx.db_path}: already replicated by process {running}")
        ctx.db  # noqa: B018 - migrate before Litestream sees the file
        supervisor = supervise.Supervisor(
            ctx.db_path, target, identity=args.identity, known_hosts=_known_hosts(ctx, args)
        )
    except ReplicaError as e:
        err(str(e))
        return check.CRIT if args.check else EXIT_USAGE
    supervise.handle_signals(supervisor)
    return supervisor.run()


def _trust(target: Any, known_hosts_file: str, args: argparse.Namespace) -> int:
    """Show the replica server's host key and pin it once someone confirmed it."""
    from tracker.fleet import known_hosts, ssh
    from tracker.replica import hostkey
    from tracker.replica.target import ReplicaError

    if target.scheme != "sftp":
        raise ReplicaError(f"{target.url}: only SFTP replicas have a host key to trust")
    try:
        key = hostkey.server_key(target.host, target.port, timeout=10)  # the one Litestream sees
    except ssh.SSHFailure as e:
        raise ReplicaError(f"{target.host}:{target.port}: {e.detail}") from e
    name = target.known_hosts_name
    pinned = known_hosts.pinned(known_hosts.load(known_hosts_file), name)
    shown = f"{key.get_name()} {known_hosts.fingerprint(key)}"
    if any(p.get_base64() == key.get_base64() for p in pinned):
        out(f"{name}: already trusted, {shown}")
        return EXIT_OK
    if pinned:
        if _still_shown(target, pinned):
            out(
                f"{name}: the pinned {pinned[0].get_name()} key is still the server's, but"
                f" Litestream checks its {shown} key. Compare that one on the server"
                " (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub)."
            )
        else:
            out(f"{name}: HOST KEY CHANGED. The server now shows {shown}.")
        if not args.replace:
            out("  Not replaced (give --replace to replace a pinned key).")
            return EXIT_USAGE
    else:
        out(f"{name}: {shown}")
    if not (args.yes or _confirm("  Trust this key (compare it on the server first)? [y/N]")):
        out("  not trusted")
        return EXIT_USAGE
    known_hosts.pin(known_hosts_file, name, key)
    out(f"  pinned in {known_hosts_file}")
    return EXIT_OK


def _still_shown(target: Any, pinned: list) -> bool:
    """Does the server still have the pinned key (of a type Litestream does not ask for)?"""
    from tracker.fleet import ssh
    from tracker.replica import hostkey

    try:
        key = hostkey.server_key(
            target.host, target.port, timeout=10, types=hostkey.same_type_types(pinned[0])
        )
    except ssh.SSHFailure:
        return False
    return key.get_base64() == pinned[0].get_base64()


def _confirm(question: str) -> bool:
    print(question, end=" ", flush=True)
    try:
        return sys.stdin.readline().strip().lower() in ("y", "yes", "j", "ja")
    except KeyboardInterrupt:
        return False


def _replica_hosts(ctx: Context, args: argparse.Namespace, target: Any) -> str | None:
    """The pinned host keys, for an SFTP replica only: a restore from a folder or S3 then
    spares itself the SSH library's import (a tenth of a second of a restore)."""
    return _known_hosts(ctx, args) if target.scheme == "sftp" else None


def cmd_restore(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.replica import restore
    from tracker.replica.target import ReplicaError

    try:
        target = _target(args.url)
        done = restore.restore(
            target,
            ctx.db_path,
            identity=args.identity,
            known_hosts=_replica_hosts(ctx, args, target),
        )
    except (ReplicaError, OSError) as e:
        err(str(e))
        return EXIT_USAGE
    out(f"restored {done.path}: integrity ok, {done.assets} assets, {done.events} events")
    out(f"newest event: {done.newest_event or 'none'}")
    out(f"this copy records as station {done.station.uuid} ({one_line(done.station.name)})")
    out("took " + ", ".join(f"{phase} {s:.2f} s" for phase, s in done.took))
    if done.damaged:
        err(one_line(_damaged(done)))
        return EXIT_LOOK
    return EXIT_OK


def _damaged(done: Any) -> str:
    return (
        f"NOT THE LATEST STATE: the replica's latest state (transaction {done.latest_txid}) is"
        f" damaged ({done.damaged.split(': ', 1)[-1]}); restored transaction {done.txid}, the"
        " newest whole state on the replica: what was written after it is not in this copy"
        " (docs/continuity.md)"
    )


def cmd_sync(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import sync
    from tracker.replica.target import ReplicaError

    try:
        if "://" in args.other:
            return _sync_url(ctx, args)
        if args.both:
            first, second = sync.merge_both(ctx.db, args.other)
            out(one_line(first.summary()))
            second.other = f"{args.other} (from this one)"
            out(one_line(second.summary()))
        else:
            out(one_line(sync.merge(ctx.db, args.other).summary()))
    except (sync.SyncError, ReplicaError) as e:
        err(str(e))
        return EXIT_USAGE
    return EXIT_OK


def _sync_url(ctx: Context, args: argparse.Namespace) -> int:
    """A replica: restored to a temporary file first (keeping its station identity)."""
    from tracker import sync
    from tracker.replica import restore

    if args.both:
        err("--both writes into OTHER, which must then be a database file, not a replica")
        return EXIT_USAGE
    target = _target(args.other)
    with tempfile.TemporaryDirectory(prefix="tracker-sync-") as folder:
        copy = Path(folder) / "other.db"
        done = restore.restore(
            target,
            copy,
            identity=args.identity,
            known_hosts=_replica_hosts(ctx, args, target),
            keep_identity=True,
        )
        result = sync.merge(ctx.db, copy)
        result.other = args.other
        out(one_line(result.summary()))
    if done.damaged:
        err(one_line(_damaged(done)))
        return EXIT_LOOK
    return EXIT_OK


def _ssh_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--identity", help="private key for sftp:// replicas (default: $TRACKER_SSH_IDENTITY)"
    )
    p.add_argument(
        "--known-hosts",
        help="pinned host keys (default: $TRACKER_KNOWN_HOSTS or DB.known_hosts)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "replicate",
        help="copy the database continuously to a replica (Litestream, in the foreground)",
        description="URL: file:///PATH, sftp://USER@HOST[:PORT]/PATH or s3://BUCKET/PATH."
        " See docs/continuity.md.",
    )
    s.add_argument("url", metavar="URL")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="is the replica current? exit 0 OK, 1 WARN, 2 CRIT"
    )
    mode.add_argument(
        "--trust", action="store_true", help="show and pin the sftp server's host key"
    )
    s.add_argument(
        "--verify",
        action="store_true",
        help="with --check: also restore the replica to a scratch file and check it (slow)",
    )
    s.add_argument("--yes", action="store_true", help="with --trust: pin without asking")
    s.add_argument("--replace", action="store_true", help="with --trust: replace a changed key")
    _ssh_options(s)
    s.set_defaults(handler=cmd_replicate)

    s = sub.add_parser(
        "restore",
        help="bring back the latest replicated state into a new file (--db NEW.db)",
    )
    s.add_argument("url", metavar="URL")
    s.add_argument("--db", default=argparse.SUPPRESS, help="the new database file (must not exist)")
    _ssh_options(s)
    s.set_defaults(handler=cmd_restore, seed=False)

    s = sub.add_parser(
        "sync",
        help="merge another station's record (a database file or a replica URL) into this one",
    )
    s.add_argument("other", metavar="OTHER")
    s.add_argument("--both", action="store_true", help="also write the union into OTHER (a file)")
    _ssh_options(s)
    s.set_defaults(handler=cmd_sync)
