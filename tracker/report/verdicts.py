"""The report's readiness sections: can each site open and what blocks it, the functions with
what is counted for each requirement, and who holds what at home workplaces.

All of it comes from one `readiness.compute()` (the same allocation and blocking list as
`tracker status`) and `stock.holdings()`; every piece of data goes through `html.t()`.
"""

from __future__ import annotations

from tracker import moves, network, readiness, stock
from tracker.database import Database
from tracker.plan import Plan
from tracker.report.html import Column, local, mark, section, t, table, when
from tracker.scan import STEP_LABELS

STATE_MARKS = {"ready": "✔ ready", "degraded": "▲ degraded", "not_ready": "✖ not ready"}
SYMBOLS = {"ready": "✔", "degraded": "▲", "not_ready": "✖", None: "–"}
"""Before a verdict's words, so a black-and-white copy is read at a glance too."""

# fmt: off
VERDICT_COLS: list[Column] = [("Site", 20), ("Verdict", 25), ("What blocks it", 55)]
READINESS_COLS: list[Column] = [
    ("Function", 26), ("State", 15), ("Have / min / target", 13), ("Equipment counted", 46)]
HOLDING_COLS: list[Column] = [
    ("Tag", 15), ("Name", 33), ("Kind", 22), ("Step", 12), ("Since", 18)]
# fmt: on


def kind_name(plan: Plan, kind_id: str) -> str:
    kind = plan.kinds.get(kind_id)
    return kind.name if kind else kind_id


def verdict(site: readiness.SiteState) -> str:
    """The site's verdict as a coloured mark that also says it in words."""
    state = site.state
    return mark(state or "v-none", f"{SYMBOLS[state]} {readiness.VERDICT_WORDS[state]}")


def opening(state: readiness.Readiness) -> str:
    """ "Can each site open?": one row per site, its verdict and everything that blocks it."""
    rows = []
    for site in state.sites:
        if site.blocking:
            items = "".join(f"<li>{t(b)}</li>" for b in site.blocking)
            blocks = f"<ul class='blocking'>{items}</ul>"
        else:
            blocks = "<span class='muted'>nothing</span>"
        rows.append(
            f"<tr><td class='site'>{t(site.name)}</td><td>{verdict(site)}</td>"
            f"<td class='small'>{blocks}</td></tr>"
        )
    scenario = state.scenario.name if state.scenario else "normal operation"
    return section(
        "verdicts",
        "Can each site open?",
        f"<p class='intro muted small'>Under {t(scenario)}: a site is as ready as its weakest "
        "critical function. Every function below target is listed with what is missing and "
        "where it is now.</p>",
        table(VERDICT_COLS, rows, "No site hosts a critical function."),
        css="verdicts",
    )


def functions(plan: Plan, state: readiness.Readiness, stale_minutes: str) -> str:
    """Per site, each function's state and, per requirement, have / min / target and the
    tags counted for it."""
    parts = [
        '<p class="intro muted small">have / min / target: equipment counted for the function: '
        "installed or in service at the site, whole (every part of its kit here and working), "
        "of its department, one asset for one function unless the plan lets functions share "
        "it; a self-service PC counts only while its latest kiosk check is ok and younger than "
        f"{stale_minutes} minutes.</p>"
    ]
    for site in state.sites:
        rows = [
            f"<tr><td>{t(f.name)}</td><td>{mark(f.state, STATE_MARKS[f.state])}</td>"
            f"<td class='num'>{f.have} / {f.min} / {f.target}</td>"
            f"<td>{'<br>'.join(requirement(plan, r) for r in f.requirements)}</td></tr>"
            for f in site.functions
        ]
        plan_site = plan.sites.get(site.id)
        address = f" <span class='muted small'>{t(plan_site.address)}</span>" if plan_site else ""
        spare = ", ".join(f"{n} {kind_name(plan, k)}" for k, n in sorted(site.spare.items()))
        spare_line = (
            "<p class='small muted'>Here but serving no function (spare, or of a department"
            f" none of these functions takes): {t(spare)}</p>"
        )
        parts.append(
            f'<div class="site-block" id="site-{t(site.id)}"><h3>{t(site.name)}{address}</h3>'
            + network_line(site)
            + table(READINESS_COLS, rows, "No critical functions here.")
            + (spare_line if spare else "")
            + "</div>"
        )
    return section("readiness", "Readiness per site and function", *parts)


def requirement(plan: Plan, req: readiness.RequirementState) -> str:
    """ "Pas- og kørekortarbejdsstation: 1 / 1 / 2" over the tags counted for it."""
    kind = plan.kinds.get(req.kind)
    line = f"{t(kind_name(plan, req.kind))}: {req.have} / {req.min} / {req.target}"
    if not req.tags:
        return line + " <span class='muted small'>(none counted)</span>"
    where = "in " if kind is not None and kind.stock else ""
    return line + f"<br><span class='tag'>{t(where + ', '.join(req.tags))}</span>"


def network_line(site: readiness.SiteState) -> str:
    """The site's staff network check (what it holds back is in the site's blocking list)."""
    if site.network is None or site.network.state == network.NOT_NEEDED:
        return ""
    css = "v-ok" if site.network.state == network.OK else "v-bad"
    return f"<p class='small'>Staff network (VPN): {mark(css, site.network.words())}</p>"


def holdings(db: Database, plan: Plan, move: moves.ActiveMove | None) -> str:
    """Who holds what at home workplaces, per person: on the return leg, what each person
    brings back. Left out when the plan has no home workplaces."""
    if not any(s.homes for s in plan.sites.values()):
        return ""
    back = move is not None and move.status != "active"
    held = stock.holdings(db, plan)
    parts = []
    for h in held:
        who = t(h.holder) if h.holder else (
            "<span class='flag'>nobody named</span> "
            "<span class='small'>(scan it with <code>--holder NAME</code>)</span>"
        )  # fmt: skip
        rows = [
            f"<tr><td class='tag'>{t(a.tag)}</td><td>{t(_name(plan, a))}</td>"
            f"<td>{t(kind_name(plan, a.kind))}</td><td>{t(STEP_LABELS.get(a.step, a.step))}</td>"
            f"<td>{when(a.last_seen)}</td></tr>"
            for a in h.assets
        ]
        site = plan.sites[h.site].name if h.site in plan.sites else h.site
        count = f"{len(h.assets)} item{'s' if len(h.assets) != 1 else ''}"
        parts.append(
            f"<div class='holder'><h3>{who} <span class='muted small'>{t(site)}, "
            f"{t(count)}{' to bring back' if back else ''}</span></h3>"
            + table(HOLDING_COLS, rows, "")
            + ('<div class="sign"><div>Returned to</div><div>Date and time</div></div>'
               if back else "")
            + "</div>"
        )  # fmt: skip
    title = (
        "To bring back from home workplaces, per person"
        if back
        else "Held at home workplaces, per person"
    )
    intro = (
        f"<p class='intro muted small'>As of {t(local(move.ended_at))} the scenario has ended: "
        "each person below brings these back.</p>"
        if back and move is not None and move.ended_at
        else ""
    )
    empty = "<p class='muted'>Nothing is held at home workplaces.</p>"
    return section("holdings", title, intro, *(parts or [empty]))


def _name(plan: Plan, asset) -> str:
    """The asset's name; a box of stock with its count."""
    kind = plan.kinds.get(asset.kind)
    return f"{asset.name} ({asset.quantity})" if kind is not None and kind.stock else asset.name
