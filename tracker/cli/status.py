"""`tracker status`: readiness per site and function, as text or JSON."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from tracker.cli.common import EXIT_OK, Context, out, out_json
from tracker.textsafe import one_line


def cmd_status(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import readiness, stock
    from tracker.replica import state as replica_state

    # The text names no counted asset: leave naming them to --json.
    state = readiness.compute(ctx.db, ctx.plan, all_sites=args.all, tags=args.json)
    held = stock.holdings(ctx.db, ctx.plan)
    replication = replica_state.summary(ctx.db_path)
    if args.json:
        doc = state.as_json()
        doc["holdings"] = [
            {"site": h.site, "holder": h.holder, "tags": [a.tag for a in h.assets]} for h in held
        ]
        doc["replication"] = {"text": replication.text, "warn": replication.warn}
        out_json(doc)
        return EXIT_OK
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    width = os.get_terminal_size().columns if sys.stdout.isatty() else 0
    out(format_status(state, color=color, width=width))
    if held:
        out("")
        out("Held at home workplaces (who must bring what back):")
        for line in stock.holding_lines(ctx.plan, held):
            out(f"  {one_line(line)}")
    line = one_line(replication.text)
    out(f"\x1b[33m{line}\x1b[0m" if color and replication.warn else line)
    return EXIT_OK


_COLORS = {"ready": "\x1b[32m", "degraded": "\x1b[33m", "not_ready": "\x1b[31m"}


def format_status(state: Any, color: bool = False, width: int = 0) -> str:
    """The readiness as plain text: one verdict line per site (cut to `width` on a terminal),
    then one line per function and what blocks it."""
    from tracker.readiness import STATE_LABELS

    scenario = state.scenario.name if state.scenario else "normal operation"
    lines = [f"Readiness - {one_line(scenario)}"]
    if state.sample:
        from tracker.readiness import SAMPLE_NOTE

        lines.insert(0, f"{_COLORS['not_ready']}{SAMPLE_NOTE}\x1b[0m" if color else SAMPLE_NOTE)
    from tracker.readiness import VERDICT_WORDS

    lines.append("")
    lines.append("Can each site open?")
    for site in state.sites:
        if not site.functions:
            continue
        verdict = VERDICT_WORDS[site.state]
        if color:
            verdict = f"{_COLORS[site.state]}{verdict}\x1b[0m"
        more = f" (+{len(site.blocking) - 1} more)" if len(site.blocking) > 1 else ""
        head = f"  {one_line(site.name)}: {VERDICT_WORDS[site.state]}"
        first = f" - {one_line(site.blocking[0])}" if site.blocking else ""
        if width and len(head) + len(first) + len(more) > width:  # one line on the screen
            room = max(0, width - len(head) - len(more) - 1)
            first = first[:room] + "…"
        shown = f"{head}{first}{more}"
        if color:
            shown = shown.replace(VERDICT_WORDS[site.state], verdict, 1)
        lines.append(shown)
    for site in state.sites:
        lines.append("")
        lines.append(one_line(site.name))
        net = getattr(site, "network", None)
        if net is not None and net.state != "not_needed":
            words = one_line(net.words())
            bad = net.state != "ok"
            if color:
                words = f"{_COLORS['not_ready' if bad else 'ready']}{words}\x1b[0m"
            lines.append(f"  staff network: {words}")
        if not site.functions:
            lines.append("  (no critical functions here)")
        for f in site.functions:
            label = f"{STATE_LABELS[f.state]:<10}"
            if color:
                label = f"{_COLORS[f.state]}{label}\x1b[0m"
            needs = "  (needs the staff network)" if getattr(f, "network", "") else ""
            counts = f"{f.have}/{f.min}/{f.target}"
            lines.append(f"  {label} {counts:<9} {one_line(f.name)}{needs}")
        for why in site.blocking:
            lines.append(f"    blocked: {one_line(why)}")
    lines.append("")
    lines.append(
        "have/min/target: equipment counted for the function (installed or in service at the"
        " site, whole, of its department; one asset serves one function)"
    )
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("status", help="readiness per site and function")
    s.add_argument("--json", action="store_true")
    s.add_argument("--all", action="store_true", help="also sites without functions")
    s.set_defaults(handler=cmd_status)
