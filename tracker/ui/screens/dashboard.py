"""The dashboard: can each site open, readiness per function and what blocks it, who holds
what at home, manifest progress, kiosks, exceptions.

It leads with one line per site (the site, its verdict in colour and words, the first thing
blocking it), so "is the library ready to open?" is answered at a glance on 80x24.

Everything is drawn from one `Overview` the database worker reads after each change, into a few
Rich tables (no widget per row), so a redraw costs the same whatever the inventory's size.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tracker.moves import PROGRESS_STATES
from tracker.ui.jobs import Overview
from tracker.ui.render import (
    VERDICT_STYLE,
    age,
    bar,
    clock_time,
    lit,
    state_text,
    verdict_text,
)

PROGRESS_WORDS = {
    "packed": "packed",
    "arrived": "arrived",
    "installed": "installed",
    "at_origin": "still at origin",
    "missing": "missing",
}
PROGRESS_STYLE = {
    "packed": "cyan",
    "arrived": "blue",
    "installed": "green",
    "at_origin": "white",
    "missing": "red",
}
KIOSK_ROWS = 12
FLAG_WORDS = {
    "wrong_site": "WRONG SITE",
    "not_in_manifest": "NOT IN MANIFEST",
    "unexpected_site": "UNEXPECTED HERE (stocktake)",
}


class DashboardScreen(Screen):
    """What the crisis staff glance at: is each critical function ready where it must be?"""

    def compose(self) -> ComposeResult:
        yield Static(id="dash-title", classes="title")
        with VerticalScroll(id="dash-body"):
            yield Static("reading the database…", id="dash-verdicts")
            yield Static(id="dash-sites")
            yield Static(id="dash-holdings")
            yield Static(id="dash-manifest")
            yield Static(id="dash-kiosks")
            yield Static(id="dash-exceptions")
            yield Static(id="dash-continuity")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "overview", self.show, init=True)

    def show(self, overview: Overview | None) -> None:
        if overview is None:
            return
        self.query_one("#dash-title", Static).update(self._title(overview))
        self.query_one("#dash-verdicts", Static).update(self._verdicts(overview))
        self.query_one("#dash-sites", Static).update(self._sites(overview))
        self.query_one("#dash-holdings", Static).update(self._holdings(overview))
        self.query_one("#dash-manifest", Static).update(self._manifest(overview))
        self.query_one("#dash-kiosks", Static).update(self._kiosks(overview))
        self.query_one("#dash-exceptions", Static).update(self._exceptions(overview))
        self.query_one("#dash-continuity", Static).update(self._continuity(overview))

    def _title(self, ov: Overview) -> Text:
        plan = self.app.plan
        scenario = (
            lit(ov.scenario_name, "bold magenta")
            if ov.move and ov.move.status == "active"
            else Text("normal operation", "bold")
        )
        if ov.move and ov.move.status == "returning":
            scenario = Text.assemble(("returning home: ", "bold magenta"), lit(ov.scenario_name))
        latest = clock_time(ov.latest_scan) or "none yet"
        sample = ("SAMPLE DATA (import your inventory) · ", "bold reverse red")
        warn = ov.replication is not None and ov.replication.warn
        return Text.assemble(
            sample if ov.readiness.sample else "",
            lit(plan.municipality, "bold"),
            " · ",
            scenario,
            ("  ·  latest scan ", "dim"),
            (latest, "bold"),
            (f"  ·  {ov.asset_count} assets", "dim"),
            *((("  ·  ", "dim"), lit(ov.replication.text, "bold yellow")) if warn else ()),
        )

    def _verdicts(self, ov: Overview) -> Group:
        """One line per site: its verdict in colour and words, and the first thing blocking it
        (the rest is under the site below, and `+N` says how many more)."""
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(no_wrap=True, overflow="ellipsis", max_width=22)
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(no_wrap=True, justify="right")
        for site in ov.readiness.sites:
            if not site.functions:
                continue
            more = len(site.blocking) - 1
            table.add_row(
                lit(site.name, "bold"),
                verdict_text(site.state),
                Text.assemble("- ", lit(site.blocking[0], "yellow")) if site.blocking else "",
                Text(f"+{more} more", "dim") if more > 0 else "",
            )
        if not table.row_count:
            return Group(Text("No site hosts a critical function in this scenario.", "dim"))
        return Group(Text("Can each site open?", "bold underline"), table)

    def _sites(self, ov: Overview) -> Group:
        """Per site: its functions (state, have/min/target, a bar), then everything blocking."""
        parts: list = []
        for i, site in enumerate(ov.readiness.sites):
            table = Table(
                box=None, expand=True, pad_edge=False, show_edge=False, show_header=i == 0
            )
            table.add_column("Site / function", ratio=3, no_wrap=True, overflow="ellipsis")
            table.add_column("State", width=9, no_wrap=True)
            table.add_column("have/min/target", justify="right", width=15, no_wrap=True)
            table.add_column("", width=14, no_wrap=True)
            table.add_row(lit(site.name, "bold underline"))
            net = site.network
            if net is not None and net.state != "not_needed":
                style = "green" if net.state == "ok" else "bold red"
                table.add_row(Text.assemble("  staff network: ", lit(net.words(), style)))
            if not site.functions:
                table.add_row(Text("  (no critical functions here)", "dim"))
            for f in site.functions:
                table.add_row(
                    Text.assemble("  ", lit(f.name)),
                    state_text(f.state),
                    f"{f.have}/{f.min}/{f.target}",
                    bar(f.have, f.target),
                )
            parts.append(table)
            if site.blocking:
                # Wrapped, each line indented under its own text: these are read, not scanned.
                blocked = Table.grid(padding=(0, 1), expand=True)
                blocked.add_column(no_wrap=True)
                blocked.add_column(ratio=1, overflow="fold")
                for why in site.blocking:
                    blocked.add_row(Text("  blocked:", "dim"), lit(why, "yellow"))
                parts.append(blocked)
        return Group(*parts)

    def _holdings(self, ov: Overview) -> Group | Text:
        """Who holds what at the home workplaces: the custody list, and what comes back."""
        plan = self.app.plan
        homes = [s for s in plan.sites.values() if s.homes]
        if not homes:
            return Text("")
        if not ov.holdings:
            names = ", ".join(s.name for s in homes)
            return lit(f"Held at home workplaces ({names}): nothing.", "dim")
        lines = [Text("Held at home workplaces (who must bring what back):", "bold")]
        site = None
        for held in ov.holdings:
            if held.site != site:
                site = held.site
                lines.append(Text.assemble("  ", lit(plan.sites[site].name, "underline")))
            who = (
                lit(held.holder, "bold")
                if held.holder
                else Text("nobody named (F10 on the scan screen names who takes it)", "red")
            )
            items = Text(", ").join(
                Text.assemble(lit(a.tag, "bold"), " ", lit(a.name)) for a in held.assets
            )
            lines.append(Text.assemble("    ", who, ": ", items))
        return Group(*lines)

    def _manifest(self, ov: Overview) -> Text:
        if ov.move is None:
            return Text.assemble(
                ("Manifest: ", "bold"),
                ("no scenario is active (start one on the Plan screen)", "dim"),
            )
        leg = "the way home" if ov.move.status == "returning" else "the move out"
        parts: list = [("Manifest ", "bold"), (f"({leg}, {ov.manifest_total} items): ", "dim")]
        for i, state in enumerate(PROGRESS_STATES):
            if i:
                parts.append(" · ")
            parts.append(
                (f"{ov.progress.get(state, 0)} {PROGRESS_WORDS[state]}", PROGRESS_STYLE[state])
            )
        done = ov.progress.get("installed", 0)
        return Text.assemble(*parts, "  ", bar(done, ov.manifest_total, 16))

    def _kiosks(self, ov: Overview) -> Group | Text:
        if not ov.kiosks:
            return Text("No self-service PCs in the inventory.", "dim")
        now = self.app.clock()
        counts = {"ok": 0, "warn": 0, "failing": 0, "": 0}
        for k in ov.kiosks:
            counts[k.verdict if k.verdict in counts else "failing"] += 1
        # Those needing attention first; a long list would cost every redraw, so it is capped.
        order = {"warn": 1, "": 2, "ok": 3}
        shown = sorted(ov.kiosks, key=lambda k: (order.get(k.verdict, 0), k.tag))[:KIOSK_ROWS]
        table = Table(box=None, expand=True, pad_edge=False, show_edge=False)
        table.add_column("Self-service PC", ratio=2, no_wrap=True, overflow="ellipsis")
        table.add_column("Site", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("Kiosk check", width=11, no_wrap=True)
        table.add_column("Checked", ratio=1, no_wrap=True)
        for k in shown:
            verdict = (
                Text(k.verdict.upper(), VERDICT_STYLE.get(k.verdict, "bold red"))
                if k.verdict
                else Text("not checked", "dim")
            )
            table.add_row(
                Text.assemble(lit(k.tag, "bold"), " ", lit(k.name)),
                lit(self.app.plan.sites[k.site].name if k.site in self.app.plan.sites else k.site),
                verdict,
                age(k.checked_at, now) if k.checked_at else "",
            )
        summary = Text.assemble(
            (f"{len(ov.kiosks)} self-service PCs: ", "bold"),
            (f"{counts['ok']} ok", "green"),
            " · ",
            (f"{counts['warn']} warn", "yellow"),
            " · ",
            (f"{counts['failing']} failing", "red"),
            " · ",
            (f"{counts['']} not checked", "dim"),
        )
        if len(ov.kiosks) > len(shown):
            summary.append(f"  (first {len(shown)} shown, problems first)", "dim")
        return Group(table, summary)

    def _exceptions(self, ov: Overview) -> Group | Text:
        if not ov.flagged and not ov.unknown:
            return Text("Exceptions: none (flagged and unknown scans show here).", "dim")
        plan = self.app.plan
        table = Table(box=None, expand=True, pad_edge=False, show_edge=False, title_justify="left")
        table.add_column("Exceptions", width=10, no_wrap=True)
        table.add_column("What", width=16, no_wrap=True)
        table.add_column("Asset or code", ratio=2, no_wrap=True, overflow="ellipsis")
        table.add_column("Where", ratio=1, no_wrap=True, overflow="ellipsis")
        rows = [(e["at"], "flag", e) for e in ov.flagged] + [
            (u["at"], "unknown", u) for u in ov.unknown
        ]
        rows.sort(key=lambda r: r[0] or "", reverse=True)
        for at, what, row in rows[:20]:
            site = plan.sites[row["site"]].name if row["site"] in plan.sites else row["site"]
            if what == "flag":
                label = Text(FLAG_WORDS.get(row["flag"], row["flag"].upper()), "bold red")
                subject = Text.assemble(lit(row["tag"], "bold"), " ", lit(row["name"] or ""))
            else:
                label = Text("UNKNOWN CODE", "bold yellow")
                subject = lit(repr(row["code"]))
            table.add_row(clock_time(at), label, subject, lit(site))
        return table

    def _continuity(self, ov: Overview) -> Group:
        """Replication, and per station when its scans were last merged here."""
        lines = []
        now = datetime.now(UTC)
        if ov.replication is not None:
            style = "bold yellow" if ov.replication.warn else "dim"
            lines.append(Text.assemble(("Replication: ", "bold"), lit(ov.replication.text, style)))
        if not ov.peers:
            lines.append(Text("Stations merged: none yet (tracker sync OTHER)", "dim"))
        for peer in ov.peers:
            lines.append(
                Text.assemble(
                    ("Station ", "bold"),
                    lit(peer.name or peer.uuid, "bold"),
                    (f" ({peer.uuid[:8]})", "dim"),
                    ": scans last merged ",
                    (clock_time(peer.merged_at) or "never", "bold"),
                    (f" ({age(peer.merged_at, now)})", "dim"),
                    (f", {peer.rows_added} rows so far, newest ", "dim"),
                    (clock_time(peer.newest_at) or "none", "dim"),
                )
            )
        return Group(*lines)
