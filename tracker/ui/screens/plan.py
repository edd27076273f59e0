"""The plan: scenarios (start or end one, with confirmation), functions and contacts."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tracker.ui.jobs import Overview
from tracker.ui.render import lit
from tracker.ui.screens.confirm import ConfirmScreen


class PlanScreen(Screen):
    """Read the plan; Enter on a scenario starts it, F8 ends the active one."""

    AUTO_FOCUS = "#scenarios"
    BINDINGS = [Binding("f8", "end_scenario", "End scenario", id="plan.end")]

    def compose(self) -> ComposeResult:
        # Status and scenarios stay put above the scrolling text: inside the scroll, the
        # focused table scrolled the status line out of sight.
        yield Static(id="plan-status")
        table: DataTable = DataTable(id="scenarios", cursor_type="row")
        table.add_column("Scenario", key="name")
        table.add_column("Status", key="status")
        yield table
        with VerticalScroll(id="plan-body"):
            yield Static(id="plan-scenario-text")
            yield Static(id="plan-functions")
            yield Static(id="plan-contacts")
        yield Footer()

    def on_mount(self) -> None:
        plan = self.app.plan
        self.query_one("#plan-functions", Static).update(self._functions())
        self.query_one("#plan-contacts", Static).update(self._contacts())
        table = self.query_one("#scenarios", DataTable)
        for sc in plan.scenarios.values():
            table.add_row(lit(sc.name), "", key=sc.id)
        self.watch(self.app, "overview", self._show_status, init=True)

    def _show_status(self, overview: Overview | None) -> None:
        move = overview.move if overview else None
        table = self.query_one("#scenarios", DataTable)
        for sc_id in self.app.plan.scenarios:
            status = ""
            if move is not None and move.scenario == sc_id:
                status = "ACTIVE" if move.status == "active" else "returning home"
            table.update_cell(sc_id, "status", Text(status, "bold magenta"))
        if move is None:
            text = Text.assemble(
                ("No scenario is active. ", "bold"), ("Enter starts the selected one.", "dim")
            )
        else:
            name = (
                self.app.plan.scenarios[move.scenario].name
                if move.scenario in self.app.plan.scenarios
                else move.scenario
            )
            text = Text.assemble(
                ("Active: " if move.status == "active" else "Returning home: ", "bold magenta"),
                lit(name, "bold"),
                ("  ·  F8 ends it" if move.status == "active" else "", "dim"),
            )
        self.query_one("#plan-status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        sc = self.app.plan.scenarios.get(str(event.row_key.value))
        if sc is None:
            return
        closes = ", ".join(self.app.plan.sites[s].name for s in sc.closes) or "none"
        moves = (
            ", ".join(
                f"{m.count} × {self.app.plan.kinds[m.kind].name} → {self.app.plan.sites[m.to].name}"
                for m in sc.moves
            )
            or "nothing to move"
        )
        self.query_one("#plan-scenario-text", Static).update(
            Text.assemble(
                lit(sc.description, "italic"),
                "\n",
                ("Closes: ", "bold"),
                lit(closes),
                "\n",
                ("Moves: ", "bold"),
                lit(moves),
            )
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        sc = self.app.plan.scenarios.get(str(event.row_key.value))
        if sc is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.app.start_scenario(sc.id)

        question = Text.assemble(
            "Start the scenario\n",
            lit(sc.name, "bold"),
            "?\n\n",
            ("This chooses its manifest and switches the dashboard to it.", "dim"),
        )
        self.app.push_screen(ConfirmScreen(question, "Start"), answer)

    def action_end_scenario(self) -> None:
        overview = self.app.overview
        move = overview.move if overview else None
        if move is None or move.status != "active":
            self.app.notify("No scenario is active.", severity="warning")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.app.end_scenario()

        name = (
            self.app.plan.scenarios[move.scenario].name
            if move.scenario in self.app.plan.scenarios
            else move.scenario
        )
        question = Text.assemble(
            "End the scenario\n",
            lit(name, "bold"),
            "?\n\n",
            ("Everything it moved gets a line back to its home site.", "dim"),
        )
        self.app.push_screen(ConfirmScreen(question, "End"), answer)

    def _functions(self) -> Table:
        plan = self.app.plan
        table = Table(
            box=None,
            expand=True,
            title="Critical functions",
            title_justify="left",
            title_style="bold",
        )
        table.add_column("Function", ratio=3, overflow="fold")
        table.add_column("Area", min_width=13, no_wrap=True, overflow="ellipsis")
        table.add_column("Needs (min-target)", ratio=4, overflow="fold")
        for f in plan.functions.values():
            needs = ", ".join(f"{r.min}-{r.target} × {plan.kinds[r.kind].name}" for r in f.requires)
            table.add_row(lit(f.name), lit(f.area), lit(needs))
        return table

    def _contacts(self) -> Table:
        table = Table(
            box=None, expand=True, title="Contacts", title_justify="left", title_style="bold"
        )
        table.add_column("Role", ratio=3, overflow="fold")
        table.add_column("Name", ratio=2, overflow="fold")
        table.add_column("Phone", no_wrap=True)
        for c in self.app.plan.contacts:
            table.add_row(lit(c.role), lit(c.name), lit(c.phone))
        return table
