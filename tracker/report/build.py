"""The readiness report: one self-contained HTML page for the crisis staff meeting.

It is read on paper as often as on screen, so it is built for A4 (see `css`) and ends with
a checklist page per site (`checklists`) for when the laptop is not at hand. It opens with the
verdict per site and what blocks it (`verdicts`). Everything in it is read in one
database snapshot, so its numbers agree with each other even while scans keep coming.
Every piece of data goes through `html.t()`: inventory names are text, never markup.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker import __version__, moves, readiness, store
from tracker.database import Database
from tracker.files import write_text_atomically
from tracker.plan import Plan
from tracker.report import checklists, stocktakes, verdicts
from tracker.report.checklists import MOVE_STATES
from tracker.report.css import CSS
from tracker.report.html import Column, local, mark, section, t, table, when
from tracker.report.verdicts import STATE_MARKS
from tracker.scan import STEP_LABELS
from tracker.timefmt import age, parse_time

TIMELINE_LIMIT = 500
"""Scans shown in the timeline; a long move's full log is `tracker history TAG` away."""
EXCEPTIONS_LIMIT = 200

FLAGS = {
    "wrong_site": "wrong site",
    "not_in_manifest": "not in the manifest",
    "unexpected_site": "seen in a stocktake where it was not recorded",
}
KIOSK_CLASSES = {"ok": "v-ok", "warn": "v-warn", "unknown": "v-none"}

# Column widths in percent of the page: fixed, so every printout is laid out alike.
# fmt: off
FLAGGED_COLS: list[Column] = [
    ("Time", 13), ("Tag", 14), ("Name", 18), ("Problem", 24), ("Scanned as", 17), ("Who", 14)]
UNKNOWN_COLS: list[Column] = [("Time", 13), ("Code scanned", 34), ("Where", 31), ("Who", 22)]
MANIFEST_COLS: list[Column] = [
    ("Progress", 14), ("Tag", 13), ("Name", 18), ("Kind", 16), ("From → to", 21), ("Now", 18)]
KIOSK_COLS: list[Column] = [
    ("Tag", 13), ("Name", 18), ("Where", 18), ("Verdict", 19), ("Checked", 14), ("Detail", 18)]
CONTACT_COLS: list[Column] = [("Role", 55), ("Name", 25), ("Phone", 20)]
TIMELINE_COLS: list[Column] = [
    ("Time", 13), ("Who", 12), ("What", 30), ("Step", 14), ("Where", 18), ("Note", 13)]
# fmt: on


def render_report(db: Database, plan: Plan, now: datetime | None = None) -> str:
    """The report as an HTML document; `now` (default: the clock) dates it and ages the data."""
    return _render(db, plan, now)[0]


def _render(db: Database, plan: Plan, now: datetime | None) -> tuple[str, readiness.Readiness]:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with store.snapshot(db):
        r = _Report(db, plan, now)
        body = [
            r.header(),
            verdicts.opening(r.state),
            verdicts.functions(plan, r.state, r.stale_minutes),
            verdicts.holdings(db, plan, r.move),
            r.exceptions(),
            r.manifest(),
            r.kiosks(),
            r.contacts(),
            r.timeline(),
            *stocktakes.sections(db, r.site),
            *checklists.sections(r),
        ]
    title = f"Readiness report {plan.municipality_short} {local(now, '%Y-%m-%d %H:%M')}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f'\n<p class="muted small">Made by tracker {t(__version__)}.</p>\n</body>\n</html>\n',
        r.state,
    )


def write_report(
    db: Database, plan: Plan, path: str | Path, now: datetime | None = None
) -> readiness.Readiness:
    """Render and write the report; a reader never sees a half-written file. Returns the
    readiness it shows (for a summary that agrees with the page)."""
    html, state = _render(db, plan, now)
    write_text_atomically(path, html, kind="html")
    return state


class _Report:
    """Reads what the page needs once, then renders it section by section."""

    def __init__(self, db: Database, plan: Plan, now: datetime) -> None:
        self.db, self.plan, self.now = db, plan, now
        self.move = moves.current_move(db)
        self.scenario = moves.active_scenario(db, plan)
        # The same allocation and blocking as `tracker status`, on this report's clock.
        self.state = readiness.compute(db, plan, at=now)
        self.items = moves.manifest(db, self.move) if self.move else []
        self.since = self.move.started_at if self.move else ""
        self.stale_minutes = f"{2 * plan.kiosk_interval_minutes:g}"
        self._by_kind: dict[str, list[store.Asset]] = {}

    def site(self, site_id: str | None) -> str:
        site = self.plan.sites.get(site_id or "")
        return site.name if site else (site_id or "—")

    def kind(self, kind_id: str | None) -> str:
        kind = self.plan.kinds.get(kind_id or "")
        return kind.name if kind else (kind_id or "")

    def step(self, step: str | None) -> str:
        return STEP_LABELS.get(step or "", step or "—")

    def assets_of(self, kind: str) -> list[store.Asset]:
        if kind not in self._by_kind:
            self._by_kind[kind] = store.assets(self.db, kind=kind)
        return self._by_kind[kind]

    # --- sections -------------------------------------------------------------------------

    def header(self) -> str:
        move, scenario = self.move, self.scenario
        if scenario is not None:
            scen = f"{t(scenario.name)} <span class='muted'>({t(scenario.id)})</span>"
        elif move is not None:
            scen = f"{t(move.scenario)}: ended, bringing the equipment home"
        else:
            scen = "No scenario active: normal operation"
        meta = [("Scenario", scen)]
        if self.state.sample:
            meta.insert(0, ("Data", f"<strong>{t(readiness.SAMPLE_NOTE)}</strong>"))
        if move is not None:
            meta.append(("Move", f"{t(move.status)} since {t(local(move.started_at))}"))
        meta.append(("Report made", t(local(self.now, "%Y-%m-%d %H:%M:%S %Z"))))
        latest = store.latest_scan_at(self.db)
        seen = f"{t(local(latest))} ({t(age(latest, self.now))})" if latest else "no scans yet"
        meta.append(("Latest scan", seen))
        counts = dict.fromkeys(STATE_MARKS, 0)
        for site in self.state.sites:
            for f in site.functions:
                counts[f.state] += 1
        summary = "".join(
            f"<span>{mark(s, STATE_MARKS[s])} × {n}</span>" for s, n in counts.items()
        )
        desc = f"<p>{t(scenario.description)}</p>" if scenario and scenario.description else ""
        dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
        return (
            f"<header><h1>Readiness report — {t(self.plan.municipality)}</h1>"
            f'<dl class="meta">{dl}</dl>{desc}'
            f'<div class="summary"><strong>Critical functions:</strong>{summary}</div></header>'
        )

    def exceptions(self) -> str:
        dests = {it.tag: it.dest for it in self.items if it.tag}
        rows = []
        for e in store.recent_events(self.db, EXCEPTIONS_LIMIT, flagged_only=True):
            if e["at"] < self.since:
                continue
            why = FLAGS.get(e["flag"], e["flag"])
            if e["flag"] == "wrong_site" and e["tag"] in dests:
                why += f": the manifest sends it to {self.site(dests[e['tag']])}"
            rows.append(
                f"<tr><td>{when(e['at'])}</td><td class='tag'>{t(e['tag'])}</td>"
                f"<td>{t(e['name'])}</td><td><span class='flag'>{t(why)}</span></td>"
                f"<td>{t(self.step(e['step']))} at {t(self.site(e['site']))}</td>"
                f"<td>{t(e['operator'])} @ {t(e['station'])}</td></tr>"
            )
        urows = [
            f"<tr><td>{when(u['at'])}</td><td class='tag'>{t(u['code'])}</td>"
            f"<td>{t(self.step(u['step']))} at {t(self.site(u['site']))}</td>"
            f"<td>{t(u['operator'])} @ {t(u['station'])}</td></tr>"
            for u in store.unknown_scans(self.db, EXCEPTIONS_LIMIT)
            if u["at"] >= self.since
        ]
        scope = "since the scenario started" if self.move else f"latest {EXCEPTIONS_LIMIT}"
        return section(
            "exceptions",
            "Exceptions",
            f"<h3>Flagged scans ({len(rows)}, {scope})</h3>",
            table(FLAGGED_COLS, rows, "No flagged scans."),
            f"<h3>Unknown codes ({len(urows)}, {scope})</h3>",
            table(UNKNOWN_COLS, urows, "No unknown codes."),
        )

    def manifest(self) -> str:
        if self.move is None:
            return section("manifest", "Manifest", "<p class='muted'>No scenario is active.</p>")
        leg = "to bring home" if self.move.status != "active" else "to move"
        counts = moves.progress(self.items)
        total = len(self.items)
        bar = "".join(
            f'<span class="{s}" style="width:{100 * n / total:.2f}%"></span>'
            for s, n in counts.items()
            if n
        )
        words = ", ".join(f"{n} {MOVE_STATES[s]}" for s, n in counts.items())
        rows = []
        for it in self.items:
            now_at = f"{self.step(it.step)} at {self.site(it.site)}" if it.step else "—"
            rows.append(
                f"<tr><td>{mark(it.state, MOVE_STATES[it.state])}</td>"
                f"<td class='tag'>{t(it.tag or '(none assigned)')}</td><td>{t(it.name)}</td>"
                f"<td>{t(self.kind(it.kind))}</td>"
                f"<td>{t(self.site(it.origin))} →<br>{t(self.site(it.dest))}</td>"
                f"<td>{t(now_at)}</td></tr>"
            )
        return section(
            "manifest",
            f"Manifest: {total} item(s) {leg}",
            f"<p><strong>{counts['installed']} of {total} installed</strong> — {t(words)}</p>",
            f'<div class="bar">{bar}</div>',
            table(MANIFEST_COLS, rows, "The manifest is empty."),
        )

    def kiosks(self) -> str:
        latest = store.kiosk_latest(self.db)
        stale_after = timedelta(minutes=2 * self.plan.kiosk_interval_minutes)
        rows = []
        for kind in sorted(self.plan.kiosk_kinds()):
            for a in self.assets_of(kind):
                check = latest.get(a.tag)
                if check is None:
                    verdict, checked, detail = mark("v-none", "never checked"), "—", ""
                else:
                    at = check["checked_at"]
                    verdict = mark(KIOSK_CLASSES.get(check["verdict"], "v-bad"), check["verdict"])
                    parsed = parse_time(at)
                    if parsed is None or self.now - parsed > stale_after:
                        verdict += " " + mark("stale", "stale")
                    checked = f"{when(at)}<br>{t(age(at, self.now))}"
                    detail = t(check["detail"])
                rows.append(
                    f"<tr><td class='tag'>{t(a.tag)}</td><td>{t(a.name)}</td>"
                    f"<td>{t(self.site(a.site))}<br><span class='muted'>{t(self.step(a.step))}"
                    f"</span></td><td>{verdict}</td><td>{checked}</td>"
                    f"<td class='small'>{detail}</td></tr>"
                )
        return section(
            "kiosks",
            "Self-service PCs: latest kiosk check",
            f"<p class='intro muted small'>A check older than {self.stale_minutes} minutes is "
            "stale and no longer counts as verified.</p>",
            table(KIOSK_COLS, rows, "The inventory has no self-service PCs."),
        )

    def contacts(self) -> str:
        rows = [
            f"<tr><td>{t(c.role)}</td><td>{t(c.name)}</td><td class='nowrap'>{t(c.phone)}</td></tr>"
            for c in self.plan.contacts
        ]
        return section(
            "contacts", "Contacts by role", table(CONTACT_COLS, rows, "The plan names no contacts.")
        )

    def timeline(self) -> str:
        events = store.recent_events(self.db, TIMELINE_LIMIT + 1)
        mine = [e for e in events if e["at"] >= self.since]
        cut = len(mine) > TIMELINE_LIMIT
        mine = mine[:TIMELINE_LIMIT]
        rows = []
        for e in mine:
            undone = e["undone_by"] is not None
            what = self.step(e["step"])
            if e["action"] == "undo":
                what = f"undo: back to {what}"
            code = e.get("code") or ""
            kit = f"with {code.removeprefix('kit:')}" if code.startswith("kit:") else ""
            note = " ".join(
                x for x in (FLAGS.get(e["flag"], e["flag"]), kit, "(undone)" if undone else "") if x
            )
            rows.append(
                ("<tr class='undone'>" if undone else "<tr>") + f"<td>{when(e['at'])}</td>"
                f"<td>{t(e['operator'])}<br><span class='muted small'>{t(e['station'])}</span></td>"
                f"<td><span class='tag'>{t(e['tag'])}</span><br>{t(e['name'])}</td>"
                f"<td>{t(what)}</td><td>{t(self.site(e['site']))}</td>"
                f"<td class='why'>{t(note)}</td></tr>"
            )
        if self.move is not None and not cut:
            rows.append(
                f"<tr class='marker'><td colspan='6'>{t(local(self.move.started_at))}: "
                f"scenario {t(self.move.scenario)} started</td></tr>"
            )
        scope = "since the scenario started" if self.move else "all scans"
        shown = f"the latest {TIMELINE_LIMIT} only; older ones are left out" if cut else "all"
        return section(
            "timeline",
            f"Timeline of the move ({len(mine)} scans, newest first)",
            f"<p class='intro muted small'>Scans {scope}: {shown}. Each asset's full history: "
            "<code>tracker history TAG</code>.</p>",
            table(TIMELINE_COLS, rows, "No scans yet."),
        )
