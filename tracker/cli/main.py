"""The `tracker` command: the parser, and the dispatch to one module per command family.

Subcommands import what they use, so `scan`, `status` and `import` start without loading
Textual, paramiko or Pillow. Every subcommand calls the same domain functions the terminal app
calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tracker.cli.app import cmd_app
from tracker.cli.common import EXIT_OK, EXIT_USAGE, Context, err

Handler = Callable[[Context, argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from tracker import __version__

    p = argparse.ArgumentParser(
        prog="tracker",
        description="Asset and relocation tracker for the contingency plan. "
        "Without a command, opens the terminal app.",
    )
    p.add_argument("--version", action="version", version=f"tracker {__version__}")
    p.add_argument("--db", default=None, help="SQLite file (default: $TRACKER_DB or tracker.db)")
    p.add_argument("--plan", default=None, help="plan TOML file (default: the packaged plan)")
    p.set_defaults(handler=cmd_app)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    for name in EXTENSIONS:
        __import__(name, fromlist=["register"]).register(sub)
    return p


# Each command family's module adds its parsers with `register(sub)`, in this order (the order of
# `tracker --help`), and imports its heavy dependencies inside the handlers, not at module level.
EXTENSIONS: tuple[str, ...] = (
    "tracker.cli.inventory",
    "tracker.cli.scenario",
    "tracker.cli.scanning",
    "tracker.cli.audit",
    "tracker.cli.marks",
    "tracker.cli.status",
    "tracker.cli.records",
    "tracker.cli.labels",
    "tracker.cli.kiosks",
    "tracker.cli.network",
    "tracker.cli.report",
    "tracker.cli.continuity",
)


def main(argv: list[str] | None = None) -> int:
    from tracker.plan import PlanError
    from tracker.store import StoreError, default_db_path

    args = build_parser().parse_args(argv)
    ctx = Context(args.db or default_db_path(), args.plan, seed=getattr(args, "seed", True))
    try:
        ctx.plan  # noqa: B018 - a broken plan fails every command, so fail first and clearly
        return args.handler(ctx, args)
    except (PlanError, StoreError) as e:
        err(str(e))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_OK


def run() -> None:
    sys.exit(main())
