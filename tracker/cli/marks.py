"""`tracker mark` and `tracker notes`: what the asset detail screen does, from a shell."""

from __future__ import annotations

import argparse

from tracker.cli.common import EXIT_FAIL, EXIT_OK, Context, err, out
from tracker.textsafe import one_line


def cmd_mark(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import marks, scan

    try:
        marked = marks.mark(
            ctx.db,
            ctx.plan,
            args.tag,
            args.step,
            args.note,
            operator=args.operator if args.operator is not None else scan.default_operator(),
            station=args.station if args.station is not None else scan.default_station(),
        )
    except marks.MarkError as e:
        err(one_line(str(e)))
        return EXIT_FAIL
    out(one_line(marked.message))
    return EXIT_OK


def cmd_notes(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import marks

    try:
        asset = marks.set_notes(ctx.db, args.tag, args.text)
    except marks.MarkError as e:
        err(one_line(str(e)))
        return EXIT_FAIL
    out(f"notes of {one_line(asset.tag)}: {one_line(asset.notes) or '(none)'}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("mark", help="mark an asset faulty or missing where it is, with a note")
    s.add_argument("tag")
    s.add_argument("step", choices=("faulty", "missing"))
    s.add_argument("--note", default="", help="why (kept with the event and in the notes)")
    s.add_argument("--operator", default=None, help="default: $TRACKER_OPERATOR or login name")
    s.add_argument("--station", default=None, help="default: $TRACKER_STATION, else host:tty")
    s.set_defaults(handler=cmd_mark)

    s = sub.add_parser("notes", help="replace an asset's notes")
    s.add_argument("tag")
    s.add_argument("text", help="the new notes ('' clears them)")
    s.set_defaults(handler=cmd_notes)
