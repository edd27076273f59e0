"""The `tracker labels` subcommand: QR labels for assets and sites as PDF sheets, PNG or SVG.

Pillow and qrcode are imported inside the handler, so other commands start without them.
"""

from __future__ import annotations

import argparse
from typing import Any

from tracker.labels.layouts import DEFAULT_LAYOUT, LAYOUTS


def cmd_labels(ctx: Any, args: argparse.Namespace) -> int:
    from tracker.cli.common import EXIT_LOOK, EXIT_OK, EXIT_USAGE, err, out
    from tracker.textsafe import one_line

    if not (args.tags or args.all or args.sites or args.steps):
        err("labels: name one or more TAGs, or use --all, --sites or --steps")
        return EXIT_USAGE
    if args.tags and args.all:
        err("labels: give TAGs or --all, not both")
        return EXIT_USAGE
    from tracker.labels import make

    suffix = args.out.rsplit(".", 1)[-1].lower() if "." in args.out else ""
    if f".{suffix}" not in make.FORMATS:
        err(f"labels: {one_line(args.out)}: use a file name ending in .pdf, .png or .svg")
        return EXIT_USAGE
    try:
        chosen = make.select(
            ctx.db, ctx.plan, args.tags, all_assets=args.all, sites=args.sites, steps=args.steps
        )
        if not chosen:
            err("labels: there are no assets to label (import some first)")
            return EXIT_LOOK
        pages = make.write(chosen, args.out, args.layout)
    except make.LabelError as e:
        err(f"labels: {one_line(str(e))}")
        return EXIT_USAGE
    layout = LAYOUTS[args.layout]
    if args.out.lower().endswith(".pdf"):
        out(
            f"wrote {len(chosen)} label(s) on {pages} page(s) to {one_line(args.out)} "
            f"({layout.stock}); print at 100 % (actual size), not 'fit to page'"
        )
    else:
        out(f"wrote the label of {one_line(chosen[0].key)} to {one_line(args.out)}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add `tracker labels` to the `tracker` parser."""
    stock = "; ".join(f"{name}: {lay.stock}" for name, lay in LAYOUTS.items())
    s = sub.add_parser(
        "labels",
        help="QR labels for assets and sites (PDF sheets, or one label as PNG/SVG)",
        description="Make QR labels. A .pdf file gets pages of the chosen label stock; a .png "
        "or .svg file holds one label. Print PDFs at 100 %% (actual size).",
    )
    s.add_argument(
        "tags", nargs="*", metavar="TAG", help="assets to label, by tag (LOC.SITEID for one site)"
    )
    s.add_argument("--all", action="store_true", help="every asset, sorted by tag")
    s.add_argument("--sites", action="store_true", help="every site's location label")
    s.add_argument(
        "--steps",
        action="store_true",
        help="step cards: scanned at the scan screen, each sets the step (auto, packed, ...)",
    )
    s.add_argument("--out", required=True, metavar="FILE", help="a .pdf, .png or .svg file")
    s.add_argument(
        "--layout",
        choices=tuple(LAYOUTS),
        default=DEFAULT_LAYOUT,
        help=f"label stock (default {DEFAULT_LAYOUT}). {stock}".replace("%", "%%"),
    )
    s.set_defaults(handler=cmd_labels)
