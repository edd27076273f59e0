"""`tracker scan`, `tracker count` and `tracker undo`: recording what was scanned or counted,
and taking it back."""

from __future__ import annotations

import argparse

from tracker.cli.app import run_app_for
from tracker.cli.common import EXIT_LOOK, EXIT_OK, EXIT_USAGE, Context, err, out
from tracker.textsafe import one_line


def cmd_scan(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import scan

    if args.code is None:
        return run_app_for(ctx, scan_site=args.site, scan_step=args.step)
    try:
        result = scan.scan(
            ctx.db,
            ctx.plan,
            args.code,
            site=args.site,
            step=args.step or scan.AUTO,
            operator=args.operator,
            station=args.station,
            holder=args.holder,
        )
    except scan.ScanError as e:
        err(str(e))
        return EXIT_USAGE
    return _report(result)


def cmd_count(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import scan, stock

    try:
        result = stock.count(
            ctx.db,
            ctx.plan,
            args.code,
            args.quantity,
            site=args.site,
            operator=args.operator,
            station=args.station,
        )
    except scan.ScanError as e:
        err(f"tracker count: {e}")
        return EXIT_USAGE
    return _report(result)


def _report(result) -> int:
    if result.outcome in ("empty", "refused"):  # nothing recorded: choose a step, scan again
        err(one_line(result.message))
        return EXIT_USAGE
    if result.outcome == "unknown":
        err(one_line(result.message))
        return EXIT_LOOK
    out(one_line(result.message))
    # Recorded but flagged (wrong site, not in the manifest), or a repeat: done, look at it.
    return EXIT_OK if result.ok else EXIT_LOOK


def cmd_undo(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import scan

    result = scan.undo_last(ctx.db, ctx.plan, station=args.station, operator=args.operator)
    if result.outcome == "empty":  # nothing to undo
        err(one_line(result.message))
        return EXIT_LOOK
    if result.outcome != "recorded":  # refused: scanned again since
        err(one_line(result.message))
        return EXIT_USAGE
    out(one_line(result.message))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    from tracker.scan import STEP_CHOICES

    s = sub.add_parser("scan", help="record a scan (without CODE: open the scan screen)")
    s.add_argument("code", nargs="?", help="what the label carries (or the tag)")
    s.add_argument("--site", required=True)
    s.add_argument(
        "--step",
        default=None,
        choices=STEP_CHOICES,
        help="default: auto, the step the active move's manifest and the asset's state call"
        " for (a scan that allows no inference is refused)",
    )
    s.add_argument("--operator", default=None, help="default: $TRACKER_OPERATOR or login name")
    s.add_argument("--station", default=None, help="default: $TRACKER_STATION, else host:terminal")
    s.add_argument(
        "--holder",
        default=None,
        help="who takes the asset (home workplaces: laptops and headsets go home with a person)",
    )
    s.set_defaults(handler=cmd_scan)

    s = sub.add_parser(
        "count", help="record how many a box of stock holds (MitID code displays, chips)"
    )
    s.add_argument("code", help="the box's label (or tag)")
    s.add_argument("quantity", help="how many are in it now")
    s.add_argument("--site", required=True, help="where the box is")
    s.add_argument("--operator", default=None)
    s.add_argument("--station", default=None)
    s.set_defaults(handler=cmd_count)

    s = sub.add_parser("undo", help="undo this station's latest scan")
    s.add_argument("--operator", default=None)
    s.add_argument("--station", default=None)
    s.set_defaults(handler=cmd_undo)
