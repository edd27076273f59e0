"""`tracker scenario`: list, start, end, close and show the plan's relocation scenarios."""

from __future__ import annotations

import argparse
import os
from typing import Any

from tracker.cli.common import EXIT_OK, EXIT_USAGE, Context, err, out
from tracker.textsafe import one_line
from tracker.timefmt import local_time


def cmd_scenario(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import moves

    plan = ctx.plan
    if args.action == "list":
        # The plan's scenarios need no database: list them even before one exists.
        current = moves.current_move(ctx.db) if os.path.exists(ctx.db_path) else None
        for sc in plan.scenarios.values():
            mark = ""
            if current and current.scenario == sc.id:
                mark = f"  [{current.status} since {local_time(current.started_at)}]"
            out(f"{sc.id:<26} {one_line(sc.name)}{mark}")
        return EXIT_OK
    if args.action == "start":
        if not args.id:
            err("scenario start needs a scenario id (see `tracker scenario list`)")
            return EXIT_USAGE
        try:
            move = moves.start(ctx.db, plan, args.id, operator=_operator(args))
        except moves.MoveError as e:
            err(str(e))
            return EXIT_USAGE
        items = moves.manifest(ctx.db, move)
        out(f"started {move.scenario}: {len(items)} item(s) to move")
        _print_manifest(plan, items)
        return EXIT_OK
    if args.action == "end":
        try:
            move = moves.end(ctx.db, operator=_operator(args))
        except moves.MoveError as e:
            err(str(e))
            return EXIT_USAGE
        items = moves.manifest(ctx.db, move)
        out(f"ended {move.scenario}: {len(items)} item(s) to bring home ({move.status})")
        _print_manifest(plan, items)
        _print_holders(ctx, plan)
        return EXIT_OK
    if args.action == "close":
        try:
            move = moves.close(ctx.db, args.reason or "", operator=_operator(args))
        except moves.MoveError as e:
            err(str(e))
            return EXIT_USAGE
        out(f"closed {move.scenario}: {one_line(' '.join((args.reason or '').split()))}")
        return EXIT_OK
    # show
    move = moves.current_move(ctx.db)
    if move is None:
        out("no scenario is active")
        return EXIT_OK
    items = moves.manifest(ctx.db, move)
    out(f"{move.scenario} ({move.status} since {local_time(move.started_at)})")
    out("  " + ", ".join(f"{k}: {v}" for k, v in moves.progress(items).items()))
    _print_manifest(plan, items)
    if move.status == "returning":
        _print_holders(ctx, plan)
    return EXIT_OK


def _print_manifest(plan: Any, items: list) -> None:
    for it in items:
        dest = plan.sites[it.dest].name if it.dest in plan.sites else it.dest
        tag = it.tag or "(none free)"
        out(
            f"  {it.state:<10} {one_line(tag):<14} {it.kind:<10} -> {one_line(dest)}"
            f"  {one_line(it.name or '')}"
        )


def _print_holders(ctx: Context, plan: Any) -> None:
    """The return leg per person: who must bring what back from a home workplace."""
    from tracker import stock

    held = stock.holdings(ctx.db, plan)
    if held:
        out("Held at home workplaces (who must bring what back):")
        for line in stock.holding_lines(plan, held):
            out(f"  {one_line(line)}")


def _operator(args: argparse.Namespace) -> str:
    from tracker.scan import default_operator

    return args.operator if getattr(args, "operator", None) else default_operator()


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("scenario", help="list, start, end, close or show scenarios")
    s.add_argument("action", choices=("list", "start", "end", "close", "show"))
    s.add_argument("id", nargs="?")
    s.add_argument("--operator", default=None)
    s.add_argument(
        "--reason",
        default=None,
        help="close: why the way home is closed with items not back (kept with the move)",
    )
    s.set_defaults(handler=cmd_scenario)
