"""The `tracker report` subcommand: the readiness report as one HTML file for the staff meeting."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_report(ctx: Any, args: argparse.Namespace) -> int:
    from tracker.cli.common import EXIT_OK, EXIT_USAGE, err, out
    from tracker.files import check_output
    from tracker.textsafe import one_line

    path = args.out
    shown = one_line(path)
    # A typo must not overwrite the database or anything else that is not a report; the
    # output guard (tracker.files) checks the rest before the database is opened.
    if not path.lower().endswith((".html", ".htm")):
        err(f"report: {shown}: use a file name ending in .html")
        return EXIT_USAGE
    check_output(path, "html")

    from tracker.report.build import write_report

    state = write_report(ctx.db, ctx.plan, path)
    counts = {"ready": 0, "degraded": 0, "not_ready": 0}
    for site in state.sites:
        for f in site.functions:
            counts[f.state] += 1
    out(
        f"wrote the readiness report to {shown}: {sum(counts.values())} function(s), "
        f"{counts['ready']} ready, {counts['degraded']} degraded, {counts['not_ready']} not ready"
    )
    out("open it in a browser; it prints on A4 with a checklist page per site")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `tracker report` to the `tracker` parser."""
    s = sub.add_parser(
        "report",
        help="readiness report as one HTML file (prints on A4, with per-site checklists)",
        description="Write the readiness report for the crisis staff meeting: readiness per "
        "site and function, the manifest, kiosk checks, exceptions, the move's timeline, "
        "contacts, and a paper checklist per site. One self-contained HTML file.",
    )
    s.add_argument("--out", required=True, metavar="FILE.html", help="the file to write")
    s.set_defaults(handler=cmd_report)
