"""`tracker network check|record|list`: staff network checks per site (is the VPN usable here?).

`check` runs the kiosk agent on this laptop with the staff profile and stores its report;
`record` stores a report a staff laptop wrote (`kiosk-agent check --profile staff --json`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from tracker.cli.common import EXIT_LOOK, EXIT_OK, EXIT_USAGE, Context, err, out
from tracker.textsafe import one_line

AGENT_TIMEOUT_S = 60


def cmd_network(ctx: Context, args: argparse.Namespace) -> int:
    from tracker import network

    if args.action == "list":
        return _list(ctx)
    if args.site not in ctx.plan.sites:
        err(
            f"network {args.action}: unknown site {args.site!r}; sites: {', '.join(ctx.plan.sites)}"
        )
        return EXIT_USAGE
    if args.action == "check":
        text, source = _run_agent(args.config)
        if text is None:
            return EXIT_LOOK
    else:
        path = Path(args.report)
        try:
            # One byte more than a report may be, so a huge file is refused unread.
            with path.open("rb") as fh:
                data = fh.read(network.MAX_REPORT_BYTES + 1)
            if len(data) > network.MAX_REPORT_BYTES:
                err(f"{one_line(path)}: {network.TOO_LARGE}")
                return EXIT_USAGE
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            err(f"{one_line(path)}: cannot read: {one_line(e)}")
            return EXIT_USAGE
        source = path.name
    try:
        doc = network.parse_report(text, "network check" if source == "check" else source)
        state = network.record(ctx.db, ctx.plan, args.site, doc, source)
    except network.ReportError as e:
        err(one_line(e))
        return EXIT_USAGE
    site = ctx.plan.sites[args.site].name
    out(f"{one_line(site)}: {one_line(state.words())}")
    if doc.get("verdict") != "ok":
        out(f"  {one_line(network.summary(doc))}")
    return EXIT_OK if doc.get("verdict") == "ok" else EXIT_LOOK


def _run_agent(config: str | None) -> tuple[str | None, str]:
    """The agent's JSON report from this laptop, or None after saying why."""
    cmd = [sys.executable, "-m", "kiosk_agent", "check", "--profile", "staff", "--json"]
    cmd += ["--config", config] if config else []
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=AGENT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        err(f"network check: the agent did not run: {e}")
        return None, ""
    if done.returncode not in (0, 1, 2, 3) or not done.stdout.strip():
        err(f"network check: the agent failed (exit {done.returncode}): {one_line(done.stderr)}")
        return None, ""
    return done.stdout, "check"


def _list(ctx: Context) -> int:
    from tracker import network

    nets = network.site_networks(ctx.db, ctx.plan)
    for site in ctx.plan.sites.values():
        out(f"{one_line(site.name):<28} {one_line(nets[site.id].words())}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    n = sub.add_parser("network", help="staff network checks per site (VPN to the municipality)")
    acts = n.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = acts.add_parser("check", help="run the agent here with the staff profile and store it")
    c.add_argument("--site", required=True, help="the site this laptop is at")
    c.add_argument("--config", help="the agent's config (default: the agent's own default)")
    r = acts.add_parser("record", help="store a staff report file from a laptop at the site")
    r.add_argument("--site", required=True)
    r.add_argument("report", help="the JSON of `kiosk-agent check --profile staff --json`")
    acts.add_parser("list", help="every site's staff network state")
    n.set_defaults(handler=cmd_network)
