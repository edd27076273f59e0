"""`tracker kiosks trust|deploy|check|watch|list`: the kiosk checks from the command line.

paramiko is imported inside the handlers (through tracker.fleet.ssh), never at module level.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker import timefmt
from tracker.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, Context, err, out
from tracker.textsafe import one_line

LABELS = {"hostkey": "HOSTKEY!", "invalid": "INVALID", "unreachable": "unreachable"}
_COLORS = {"ok": "\x1b[32m", "warn": "\x1b[33m", "unknown": "\x1b[33m"}
_RED = "\x1b[31m"


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _ssh(ctx: Context, args: argparse.Namespace) -> Any:
    from tracker.fleet import checks

    return checks.settings(
        ctx.db_path,
        user=args.user,
        identity=args.identity,
        known_hosts_file=args.known_hosts,
        timeout=args.timeout,
        command_timeout=getattr(args, "command_timeout", None),
    )


def _targets(ctx: Context, args: argparse.Namespace, need_choice: bool) -> list | None:
    from tracker.fleet import checks

    if need_choice and not args.tags and not args.all:
        err(f"kiosks {args.action}: name kiosk tags or give --all")
        return None
    if args.tags and args.all:
        err(f"kiosks {args.action}: give tags or --all, not both")
        return None
    try:
        return checks.kiosks(ctx.db, ctx.plan, args.tags)
    except checks.FleetError as e:
        err(str(e))
        return None


def format_results(results: list, color: bool = False) -> str:
    """The check table; every remote-derived field goes through `one_line`."""
    lines = [f"{'TAG':<14} {'VERDICT':<12} {'HOST':<30} {'TIME':>6}  DETAIL"]
    for r in results:
        label = f"{LABELS.get(r.verdict, r.verdict):<12}"
        if color:
            label = f"{_COLORS.get(r.verdict, _RED)}{label}\x1b[0m"
        lines.append(
            f"{one_line(r.tag):<14} {label} {one_line(r.host, 30):<30} "
            f"{r.duration_ms / 1000:>5.1f}s  {one_line(r.detail, 160)}"
        )
    return "\n".join(lines)


def _alerts(results: list) -> None:
    for r in results:
        if r.verdict == "hostkey" and r.detail.startswith("HOST KEY CHANGED"):
            err(f"SECURITY: {one_line(r.tag)} ({one_line(r.host)}): {one_line(r.detail)}")


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.fleet import checks

    if args.tags and args.all:
        err("kiosks check: give tags or --all, not both")
        return EXIT_USAGE
    ctx.db  # noqa: B018 - create (and seed) a new database the usual way first
    try:
        results = checks.check_kiosks(
            ctx.db_path, ctx.plan, args.tags, _ssh(ctx, args), parallel=args.parallel
        )
    except checks.FleetError as e:
        err(str(e))
        return EXIT_USAGE
    if args.json:
        # ASCII only: a C1 control (U+009B is CSI to some terminals) in a kiosk's report then
        # reaches the terminal as the text \u009b, not as the character.
        json.dump({"kiosks": [r.as_json() for r in results]}, sys.stdout)
        out()
    elif not results:
        out("no kiosks to check (kiosks with a hostname, in service, installed or arrived)")
    else:
        out(format_results(results, _color()))
        out(f"{len(results)} kiosk(s): {checks.Counts.of(results)}")
    _alerts(results)
    return checks.exit_code(results)


def _positive(kind: type, high: float = 3600) -> Any:
    """An argparse type for a finite number above zero and at most `high`: `--timeout 0` would
    record every kiosk as unreachable, `inf` or `nan` would break the checks' timing."""
    from tracker.cli.options import bounded

    return bounded(kind, 1 if kind is int else 0, high, above=kind is float)


_DURATION = re.compile(r"^\s*([0-9]{1,9}(?:\.[0-9]{1,9})?)\s*([smh]?)\s*$")
MAX_EVERY_S = 7 * 24 * 3600


def parse_every(text: str) -> float:
    """`90s`, `15m`, `1h` or a bare number of minutes, as seconds."""
    m = _DURATION.match(text)
    seconds = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "": 60}[m.group(2)] if m else 0
    if not 0 < seconds <= MAX_EVERY_S:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration like 30s, 15m or 1h (at most a week)"
        )
    return seconds


def cmd_watch(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.fleet import checks

    every = args.every if args.every is not None else ctx.plan.kiosk_interval_minutes * 60
    if every > 2 * ctx.plan.kiosk_interval_minutes * 60:
        err(
            f"warning: checks every {every:g} s go stale before the next one (a result counts "
            f"for {2 * ctx.plan.kiosk_interval_minutes:g} min, plan kiosk_checks.interval_minutes)"
        )
    ssh = _ssh(ctx, args)
    ctx.db  # noqa: B018 - create (and seed) a new database the usual way first
    rounds, status = 0, EXIT_OK
    next_at = time.monotonic()
    try:
        while True:
            stamp = timefmt.local_time(datetime.now(UTC), "%Y-%m-%d %H:%M:%S")
            try:
                results = checks.check_kiosks(
                    ctx.db_path, ctx.plan, args.tags, ssh, parallel=args.parallel
                )
            except checks.FleetError as e:
                err(str(e))
                return EXIT_USAGE
            # Counted once stored: a Ctrl-C while printing must not report it as not done.
            rounds += 1
            status = checks.exit_code(results)
            out(f"{stamp}  {len(results)} kiosk(s): {checks.Counts.of(results)}")
            bad = [r for r in results if r.verdict != "ok"]
            if bad:
                out(format_results(bad, _color()))
            _alerts(results)
            sys.stdout.flush()
            if args.count and rounds >= args.count:
                return status
            next_at = max(next_at + every, time.monotonic())
            time.sleep(max(0.0, next_at - time.monotonic()))
    except KeyboardInterrupt:
        err(f"watch stopped after {rounds} round(s)")
        return status


def _confirm(question: str) -> bool:
    print(question, end=" ", flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        return False
    return answer.strip().lower() in ("y", "yes", "j", "ja")


def cmd_trust(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.fleet import admin

    targets = _targets(ctx, args, need_choice=True)
    if targets is None:
        return EXIT_USAGE
    ssh = _ssh(ctx, args)
    status = EXIT_OK
    for seen in admin.scan_keys(targets, ssh, args.parallel):
        who = f"{one_line(seen.kiosk.tag)} ({one_line(seen.kiosk.hostname)})"
        if seen.state == "unreachable":
            out(f"{who}: unreachable: {seen.detail}")
            status = max(status, EXIT_USAGE)
            continue
        shown = f"{seen.key.get_name()} {seen.fingerprint}"
        if seen.state == "same":
            out(f"{who}: already trusted, {shown}")
            continue
        if seen.state == "changed":
            out(f"{who}: HOST KEY CHANGED. Pinned: {seen.pinned}; the kiosk now shows {shown}.")
            out("  Re-imaged kiosk or man in the middle? Compare with `ssh-keygen -lf` on it.")
            if not args.replace:
                out("  Not replaced (give --replace to replace a pinned key).")
                status = max(status, EXIT_USAGE)
                continue
            ok = args.yes or _confirm("  Replace the pinned key? [y/N]")
        else:
            out(f"{who}: {shown}")
            ok = args.yes or _confirm("  Trust this key (compare it on the kiosk first)? [y/N]")
        if ok:
            admin.pin(ssh, seen)
            out(f"  pinned in {ssh.known_hosts}")
        else:
            out("  not trusted")
            status = max(status, EXIT_FAIL)
    return status


def cmd_deploy(ctx: Context, args: argparse.Namespace) -> int:
    from tracker.fleet import admin, checks

    targets = _targets(ctx, args, need_choice=True)
    if targets is None:
        return EXIT_USAGE
    try:
        done = admin.deploy(
            targets, _ssh(ctx, args), Path(args.config), agent=args.agent, parallel=args.parallel
        )
    except checks.FleetError as e:
        err(str(e))
        return EXIT_USAGE
    for d in done:
        mark = "ok    " if d.ok else "FAILED"
        out(f"{mark} {one_line(d.tag):<14} {one_line(d.host, 30):<30} {one_line(d.detail)}")
    return EXIT_OK if all(d.ok for d in done) else EXIT_USAGE


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import store
    from tracker.fleet import checks

    latest = store.kiosk_latest(ctx.db)
    stale_after = 2 * ctx.plan.kiosk_interval_minutes * 60
    now = datetime.now(UTC)
    rows = []
    for k in checks.kiosks(ctx.db, ctx.plan):
        last = latest.get(k.tag)
        age = (now - datetime.fromisoformat(last["checked_at"])).total_seconds() if last else None
        verified = bool(last and last["verdict"] == "ok" and age is not None and age < stale_after)
        rows.append((k, last, age, verified))
    if args.json:
        doc = [
            {
                "tag": k.tag,
                "host": k.hostname,
                "step": k.step,
                "verdict": last["verdict"] if last else None,
                "checked_at": last["checked_at"] if last else None,
                "age_s": round(age) if age is not None else None,
                "verified": verified,
            }
            for k, last, age, verified in rows
        ]
        json.dump({"kiosks": doc}, sys.stdout)  # ASCII: see cmd_check
        out()
        return EXIT_OK
    out(f"{'TAG':<14} {'VERDICT':<12} {'AGE':>8}  {'COUNTS':<8} HOST")
    for k, last, age, verified in rows:
        verdict = LABELS.get(last["verdict"], last["verdict"]) if last else "never"
        shown_age = _age(age) if age is not None else "-"
        mark = "yes" if verified else "no"
        out(f"{one_line(k.tag):<14} {verdict:<12} {shown_age:>8}  {mark:<8} {one_line(k.hostname)}")
    return EXIT_OK


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def register(sub: argparse._SubParsersAction) -> None:
    """Add `tracker kiosks ...` to the `tracker` parser."""
    p = sub.add_parser("kiosks", help="check self-service PCs over SSH (trust, deploy, check)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(s: argparse.ArgumentParser, timeout: float | None = None) -> None:
        s.add_argument("tags", nargs="*", metavar="TAG", help="kiosk asset tags")
        s.add_argument("--all", action="store_true", help="kiosks in service, installed, arrived")
        s.add_argument("--user", help="SSH user (default: $TRACKER_SSH_USER or kioskcheck)")
        s.add_argument(
            "--identity", help="private key file (default: $TRACKER_SSH_IDENTITY, else ssh-agent)"
        )
        s.add_argument(
            "--known-hosts",
            help="pinned host keys (default: $TRACKER_KNOWN_HOSTS or DB.known_hosts)",
        )
        s.add_argument(
            "--parallel", type=_positive(int), default=16, help="kiosks at a time (default 16)"
        )
        s.add_argument(
            "--timeout",
            type=_positive(float),
            default=timeout,
            help="seconds per connect, banner, login",
        )

    s = actions.add_parser("trust", help="show kiosks' host key fingerprints and pin them")
    common(s)
    s.add_argument("--yes", action="store_true", help="pin new keys without asking")
    s.add_argument("--replace", action="store_true", help="allow replacing a changed key")
    s.set_defaults(handler=cmd_trust)

    s = actions.add_parser("deploy", help="copy the agent and its configuration to kiosks")
    common(s)
    s.add_argument("--config", required=True, help="the agent configuration (TOML) to install")
    s.add_argument("--agent", type=Path, help="a built kiosk-agent.pyz (default: build one)")
    s.set_defaults(handler=cmd_deploy, command_timeout=120.0)

    for name, helptext in (
        ("check", "run the agent on kiosks now and store the results"),
        ("watch", "run the check on a schedule, in the foreground (Ctrl-C stops)"),
    ):
        s = actions.add_parser(name, help=helptext)
        common(s)
        s.add_argument(
            "--command-timeout", type=_positive(float), help="seconds the agent may run (60)"
        )
        if name == "check":
            s.add_argument("--json", action="store_true")
            s.set_defaults(handler=cmd_check)
        else:
            s.add_argument("--every", type=parse_every, help="e.g. 15m (default: the plan's)")
            s.add_argument("--count", type=_positive(int), default=0, help="stop after N rounds")
            s.set_defaults(handler=cmd_watch)

    s = actions.add_parser("list", help="kiosks with their latest verdict and its age")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_list)
