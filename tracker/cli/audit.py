"""`tracker audit`: stocktakes of a site (start, scan, close, show); see tracker/audit.py."""

from __future__ import annotations

import argparse

from tracker.cli.common import EXIT_LOOK, EXIT_OK, EXIT_USAGE, Context, err, out, out_json
from tracker.textsafe import one_line
from tracker.timefmt import local_time


def cmd_audit(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import audit, scan

    operator = args.operator if args.operator is not None else scan.default_operator()
    station = args.station if args.station is not None else scan.default_station()
    plan = ctx.plan
    try:
        if args.action == "start":
            started, joined = audit.start(ctx.db, plan, args.site, operator)
            name = plan.sites[args.site].name
            if joined:
                out(
                    f"a stocktake of {one_line(name)} is open since "
                    f"{local_time(started.started_at)}: scans go into it"
                )
            else:
                out(f"stocktake of {one_line(name)} started: scan everything that is there")
            return EXIT_OK
        if args.action == "scan":
            status = EXIT_OK
            for raw in args.codes:
                seen = audit.scan(ctx.db, plan, args.site, raw, operator=operator, station=station)
                if seen.outcome in ("unknown", "empty", "unexpected", "repeat"):
                    status = EXIT_LOOK
                line = f"{seen.outcome.upper():<10} {one_line(seen.message)}"
                (err if seen.outcome in ("unknown", "empty") else out)(line)
            return status
        if args.action == "close":
            closed = audit.close(ctx.db, plan, args.site, operator)
            assert closed.result is not None
            if args.json:
                out_json(closed.result)
            else:
                _print_audit(ctx, closed, details=True)
            return EXIT_OK
        return _show(ctx, args)
    except audit.AuditError as e:
        err(str(e))
        return EXIT_USAGE  # refused: nothing was recorded


def _show(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import audit

    if args.site and args.site not in ctx.plan.sites:
        err(f"unknown site {args.site!r} (known: {', '.join(ctx.plan.sites)})")
        return EXIT_USAGE
    found = audit.audits(ctx.db, args.site)
    if args.json:
        rows = [
            {
                "id": a.id,
                "site": a.site,
                "status": a.status,
                "started_at": a.started_at,
                "started_by": a.started_by,
                "closed_at": a.closed_at,
                "closed_by": a.closed_by,
                **(a.result or {}),
            }
            for a in found
        ]
        out_json(rows)
        return EXIT_OK
    if not found:
        out("no stocktakes" + (f" of {args.site}" if args.site else ""))
    for a in found:
        _print_audit(ctx, a, details=bool(args.site))
    return EXIT_OK


def _print_audit(ctx: Context, a, details: bool) -> None:
    name = ctx.plan.sites[a.site].name if a.site in ctx.plan.sites else a.site
    when = (
        f"{local_time(a.started_at)} to {local_time(a.closed_at)}"
        if a.closed_at
        else (f"open since {local_time(a.started_at)}")
    )
    counts = ", ".join(f"{n} {k}" for k, n in a.counts.items())
    out(f"stocktake {a.id} of {one_line(name)} ({a.status}, {when}): {counts}")
    if not details or not a.result:
        return
    for key in ("missing", "unexpected", "unknown"):
        for item in a.result[key]:
            shown = repr(one_line(item)) if key == "unknown" else one_line(item)
            out(f"  {key:<10} {shown}")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "audit", help="stocktake of a site: what is there, what is missing, what should not be"
    )
    actions = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, help_text in (
        ("start", "open a stocktake of SITE (or join the open one)"),
        ("scan", "record what was seen at SITE"),
        ("close", "end the stocktake of SITE: found, missing, unexpected, unknown"),
        ("show", "list the open and closed stocktakes (of SITE)"),
    ):
        a = actions.add_parser(name, help=help_text)
        a.add_argument("site", nargs="?" if name == "show" else None, help="site id")
        if name == "scan":
            a.add_argument("codes", nargs="+", help="what the labels carry (or the tags)")
        if name in ("close", "show"):
            a.add_argument("--json", action="store_true")
        a.add_argument("--operator", default=None, help="default: $TRACKER_OPERATOR or login")
        a.add_argument("--station", default=None, help="default: $TRACKER_STATION, else host:tty")
        a.set_defaults(handler=cmd_audit)
