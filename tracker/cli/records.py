"""`tracker history` and `tracker unknown`: reading the event log and the unknown scans."""

from __future__ import annotations

import argparse

from tracker.cli.common import EXIT_OK, EXIT_USAGE, Context, err, out, out_json
from tracker.cli.options import bounded
from tracker.textsafe import one_line
from tracker.timefmt import local_time


def cmd_history(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import store

    asset = store.find_asset(ctx.db, args.tag)
    if asset is None:
        err(f"no asset with tag {one_line(args.tag)!r}")
        return EXIT_USAGE
    events = store.history(ctx.db, asset.tag)
    if args.json:
        out_json(events)
        return EXIT_OK
    out(
        f"{one_line(asset.tag)} {one_line(asset.name)} ({asset.kind}): {asset.step} at "
        f"{asset.site}, home {asset.home_site}"
    )
    for e in events:
        undone = " (undone)" if e["undone_by"] else ""
        flag = f" [{e['flag']}]" if e["flag"] else ""
        out(
            f"  {local_time(e['at'])}  {e['action']:<6} {e['step']:<10} {e['site']:<15} "
            f"{one_line(e['operator'])}@{one_line(e['station'])}{flag}{undone}"
        )
    return EXIT_OK


def cmd_unknown(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import store

    rows = store.unknown_scans(ctx.db, limit=args.limit)
    if args.json:
        out_json(rows)
        return EXIT_OK
    if not rows:
        out("no unknown scans")
    for r in rows:
        out(
            f"{local_time(r['at'])}  {one_line(r['code'])!r:<24} at {r['site']} ({r['step']}) "
            f"{one_line(r['operator'])}@{one_line(r['station'])}"
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("history", help="an asset's events, oldest first")
    s.add_argument("tag")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_history)

    s = sub.add_parser("unknown", help="the log of scanned codes that matched nothing")
    s.add_argument("--json", action="store_true")
    s.add_argument("--limit", type=bounded(int, 1, 1_000_000), default=100)
    s.set_defaults(handler=cmd_unknown)
