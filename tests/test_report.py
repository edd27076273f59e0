"""The readiness report: what the crisis staff meeting reads, on screen and on A4 paper.

The page is parsed with the stdlib's html.parser, so the checks are on tables and cells a reader
sees, not on markup that happens to contain a word.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from conftest import SAMPLE_CSV
from staff_reports import staff_doc

from tracker import moves, network, scan, store
from tracker.files import OutputError
from tracker.report import build as report

SCENARIO = "borgerservice_to_library"
VOID = {"meta", "br", "col", "img", "link", "input", "hr"}


class Page(HTMLParser):
    """The page as a reader sees it: text and tables, grouped by the nearest element id."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.stack: list[tuple[str, str | None]] = []
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.texts: dict[str, list[str]] = {}
        self.marks: list[tuple[str, str]] = []
        self.cell: list[str] | None = None
        self.span_class: str | None = None
        self.feed(text)
        self.close()

    @property
    def ids(self) -> list[str]:
        return [i for _, i in self.stack if i]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag in ("br", "li") and self.cell is not None:
            self.cell.append("\n")
        if tag in VOID:
            return
        self.stack.append((tag, a.get("id")))
        if tag == "table":
            self.tables.setdefault(self.ids[-1] if self.ids else "", []).append([])
        elif tag == "tr":
            self.tables[self.ids[-1] if self.ids else ""][-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "span" and "st" in a.get("class", "").split():
            self.span_class = a["class"]
            self.marks.append((a["class"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.stack:
            top, _ = self.stack.pop()
            if top == tag:
                break
        if tag in ("td", "th") and self.cell is not None:
            table = self.tables[self.ids[-1] if self.ids else ""][-1]
            table[-1].append("".join(self.cell).strip())
            self.cell = None
        if tag == "span":
            self.span_class = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        for ident in self.ids:
            self.texts.setdefault(ident, []).append(data)
        if self.span_class is not None:
            cls, text = self.marks[-1]
            self.marks[-1] = (cls, text + data)

    def text(self, ident: str) -> str:
        return " ".join("".join(self.texts.get(ident, [])).split())

    def rows(self, ident: str, n: int = 0) -> list[list[str]]:
        """The body rows of the `n`th table in the element `ident` (header row left out)."""
        return self.tables[ident][n][1:]


@pytest.fixture
def moved_db(seeded_db, plan):
    """Borgerservice moving to the library, part way: one pass workstation installed (its kit
    with it), a MitID workstation at the wrong library, a code nobody knows, a fresh kiosk check
    of the library's own kiosk."""
    moves.start(seeded_db, plan, SCENARIO, operator="Mette")
    for code, site, step, who in [
        ("EKS-PAS-001", "raadhus", "packed", "Jonas Demo"),
        ("EKS-PAS-001", "hovedbibliotek", "arrived", "Jonas Demo"),
        ("EKS-PAS-001", "hovedbibliotek", "installed", "Karin Testrup"),
        ("EKS-NID-001", "raadhus", "packed", "Jonas Demo"),
        ("EKS-NID-001", "bib_nord", "arrived", "Anders Prøvesen"),
        ("NOPE-123", "raadhus", "packed", "Jonas Demo"),
    ]:
        scan.scan(seeded_db, plan, code, site=site, step=step, operator=who, station="bay-1")
    store.record_kiosk_result(
        seeded_db, tag="EKS-KIO-003", host="hb01", verdict="ok", detail="7 checks ok", report=None
    )
    network.record(seeded_db, plan, "hovedbibliotek", staff_doc(), "check")
    return seeded_db


def states(page: Page, site: str) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in page.rows(f"site-{site}")}


def equipment(page: Page, site: str) -> dict[str, str]:
    """Per function, what its requirements have and the tags counted for each."""
    return {r[0]: r[3] for r in page.rows(f"site-{site}")}


def verdicts(page: Page) -> dict[str, tuple[str, list[str]]]:
    """The first section: per site, its verdict and the lines that block it."""
    return {r[0]: (r[1], r[2].split("\n")) for r in page.rows("verdicts")}


def test_readiness_shows_each_site_function_state_in_words(moved_db, plan):
    page = Page(report.render_report(moved_db, plan))

    hb = states(page, "hovedbibliotek")
    assert hb["Udlån og aflevering"] == ("✔ ready", "2 / 1 / 2")
    assert hb["Pas"] == ("▲ degraded", "1 / 1 / 2")
    assert hb["Kørekort"] == ("▲ degraded", "1 / 1 / 2")  # shares the pass workstation
    assert hb["MitID"] == ("✖ not ready", "0 / 10 / 25")  # it went to Nordby instead
    # The library's own kiosk and printer do not count for Borgerservice.
    assert hb["Selvbetjeningscomputere til borgere"] == ("✖ not ready", "0 / 1 / 1")
    assert hb["Nødvielse"] == ("✖ not ready", "0 / 1 / 1")
    home = states(page, "hjemme")
    assert home["Telefonisk hovednummer"] == ("✖ not ready", "0 / 1 / 2")
    assert states(page, "bib_nord") == {"Udlån og aflevering": ("✔ ready", "2 / 1 / 2")}
    # The closed city hall hosts nothing in this scenario.
    assert "site-raadhus" not in page.tables
    # Every state is coloured by a class named for it, and says the same in words.
    words = {"ready": "✔ ready", "degraded": "▲ degraded", "not_ready": "✖ not ready"}
    shown = {(cls.split()[1], text) for cls, text in page.marks if text in words.values()}
    assert shown == set(words.items())


def test_each_requirement_shows_have_min_target_and_the_tags_counted(moved_db, plan):
    page = Page(report.render_report(moved_db, plan))

    hb = equipment(page, "hovedbibliotek")
    assert hb["Pas"] == "Pas- og kørekortarbejdsstation: 1 / 1 / 2\nEKS-PAS-001"
    assert hb["Kørekort"] == hb["Pas"]  # the one workstation serves both
    assert hb["Udlån og aflevering"] == (
        "Bærbar arbejdscomputer: 2 / 1 / 2\nEKS-BAR-005, EKS-BAR-006"
    )
    assert hb["MitID"] == (
        "MitID-arbejdsstation: 0 / 1 / 1 (none counted)\n"
        "MitID-kodeviser (æske): 0 / 10 / 25 (none counted)"
    )
    # What no function took is said under the site's table.
    assert (
        "serving no function (spare, or of a department none of these functions takes):"
        " 1 Borgercomputer (selvbetjening), 1 Printer" in (page.text("site-hovedbibliotek"))
    )


def test_staff_network_missing_holds_back_the_vpn_functions_and_says_so(seeded_db, plan):
    moves.start(seeded_db, plan, SCENARIO, operator="Mette")
    for step in ("packed", "installed"):
        scan.scan(seeded_db, plan, "EKS-PAS-001", site="hovedbibliotek", step=step)
    page = Page(report.render_report(seeded_db, plan))
    hb = states(page, "hovedbibliotek")
    assert hb["Pas"] == ("✖ not ready", "1 / 1 / 2")
    assert hb["Udlån og aflevering"] == ("✔ ready", "2 / 1 / 2")
    assert "Staff network (VPN): no staff network check" in page.text("site-hovedbibliotek")
    _, blocking = verdicts(page)["Hovedbiblioteket"]
    held = [b for b in blocking if b.endswith(": no staff network check")]
    assert len(held) == 1 and held[0].startswith("Pas, Kørekort, MitID")


def test_header_dates_the_report_and_the_latest_scan(moved_db, plan):
    latest = store.latest_scan_at(moved_db)
    now = datetime.fromisoformat(latest) + timedelta(minutes=7)
    html = report.render_report(moved_db, plan, now=now)
    page = Page(html)
    dts = [a for t, a in page.elements if t == "dt"]
    assert dts  # a definition list of facts
    body = " ".join(html.split())
    assert f"Report made</dt><dd>{now:%Y-%m-%d %H:%M:%S} UTC" in body
    latest_local = datetime.fromisoformat(latest).astimezone()
    assert f"Latest scan</dt><dd>{latest_local:%Y-%m-%d %H:%M} (7 min ago)" in body
    assert "Borgerservice flytter til Hovedbiblioteket" in body


def test_manifest_lists_every_item_with_its_progress(moved_db, plan):
    items = moves.manifest(moved_db)
    page = Page(report.render_report(moved_db, plan))

    rows = page.rows("manifest")
    assert [r[1] for r in rows] == [it.tag for it in items]
    by_tag = {r[1]: r for r in rows}
    assert by_tag["EKS-PAS-001"][0] == "installed"
    assert by_tag["EKS-NID-001"][0] == "on the way"  # arrived, but at the wrong site
    assert by_tag["EKS-PAS-002"][0] == "at origin"
    assert by_tag["EKS-NID-001"][4] == "Rådhuset →\nHovedbiblioteket"
    assert by_tag["EKS-NID-001"][5] == "arrived at Nordby Bibliotek"
    assert f"1 of {len(items)} installed" in page.text("manifest")


def test_timeline_says_who_scanned_what_where_newest_first(moved_db, plan):
    page = Page(report.render_report(moved_db, plan))

    rows = page.rows("timeline")
    own = [r for r in rows[:-1] if not r[5].startswith("with ")]  # not the parts of a kit
    scans = [(r[1].split("\n")[0], r[2].split("\n")[0], r[3], r[4]) for r in own]
    assert scans == [
        ("Anders Prøvesen", "EKS-NID-001", "arrived", "Nordby Bibliotek"),
        ("Jonas Demo", "EKS-NID-001", "packed", "Rådhuset"),
        ("Karin Testrup", "EKS-PAS-001", "installed", "Hovedbiblioteket"),
        ("Jonas Demo", "EKS-PAS-001", "arrived", "Hovedbiblioteket"),
        ("Jonas Demo", "EKS-PAS-001", "packed", "Rådhuset"),
    ]
    assert own[0][5] == "wrong site"
    assert own[0][1].endswith("bay-1")  # the station, under the operator
    # The parts that travelled with a workstation are in the timeline too, and say so.
    parts = [(r[2].split("\n")[0], r[3], r[5]) for r in rows[:2]]
    assert parts == [
        ("EKS-KVP-001", "arrived", "with EKS-NID-001"),
        ("EKS-KLR-001", "arrived", "with EKS-NID-001"),
    ]
    assert f"scenario {SCENARIO} started" in rows[-1][0]
    assert f"{len(rows) - 1} scans, newest first" in page.text("timeline")


def test_timeline_is_capped_and_says_so(moved_db, plan, monkeypatch):
    monkeypatch.setattr(report, "TIMELINE_LIMIT", 2)
    page = Page(report.render_report(moved_db, plan))

    rows = page.rows("timeline")
    assert len(rows) == 2  # no start marker: the start is not in view
    assert "the latest 2 only; older ones are left out" in page.text("timeline")


def test_undone_scans_are_shown_struck_through_and_named(moved_db, plan):
    scan.undo_last(moved_db, plan, station="bay-1", operator="Jonas Demo")
    page = Page(report.render_report(moved_db, plan))

    rows = page.rows("timeline")
    undo = next(r for r in rows if r[2].startswith("EKS-NID-001"))
    assert undo[3] == "undo: back to packed"
    undone = [r for r in rows[:-1] if r[5].endswith("(undone)")]
    assert [(r[2].split("\n")[0], r[5]) for r in undone] == [
        ("EKS-KVP-001", "with EKS-NID-001 (undone)"),
        ("EKS-KLR-001", "with EKS-NID-001 (undone)"),
        ("EKS-NID-001", "wrong site (undone)"),
    ]  # the parts that moved with it went back with it
    undone_rows = [a for t, a in page.elements if t == "tr" and a.get("class") == "undone"]
    assert len(undone_rows) == 3
    # An undone wrong-site scan is no longer an exception.
    assert "No flagged scans." in page.text("exceptions")


def test_exceptions_list_flagged_scans_and_unknown_codes(moved_db, plan):
    page = Page(report.render_report(moved_db, plan))

    flagged, unknown = page.rows("exceptions", 0), page.rows("exceptions", 1)
    assert [(r[1], r[3], r[5]) for r in flagged] == [
        (
            "EKS-NID-001",
            "wrong site: the manifest sends it to Hovedbiblioteket",
            "Anders Prøvesen @ bay-1",
        )
    ]
    assert [(r[1], r[2]) for r in unknown] == [("NOPE-123", "packed at Rådhuset")]


def test_kiosks_show_verdict_age_never_checked_and_stale(moved_db, plan):
    now = datetime.now(UTC)
    old = (now - timedelta(minutes=2 * plan.kiosk_interval_minutes + 5)).isoformat()
    store.record_kiosk_result(
        moved_db, tag="EKS-KIO-004", host="nb01", verdict="ok", detail="ok", report=None,
        checked_at=old,
    )  # fmt: skip
    store.record_kiosk_result(
        moved_db, tag="EKS-KIO-002", host="rh02", verdict="crit", detail="disk full", report=None
    )
    page = Page(report.render_report(moved_db, plan, now=now))

    rows = {r[0]: r for r in page.rows("kiosks")}
    assert set(rows) == {f"EKS-KIO-00{i}" for i in range(1, 6)}
    assert rows["EKS-KIO-003"][3] == "ok"
    assert rows["EKS-KIO-003"][4].endswith("just now")
    assert rows["EKS-KIO-004"][3] == "ok stale"
    assert rows["EKS-KIO-004"][4].endswith("35 min ago")
    assert rows["EKS-KIO-002"][3] == "crit"
    assert rows["EKS-KIO-002"][5] == "disk full"
    assert rows["EKS-KIO-001"][3] == "never checked"
    assert rows["EKS-KIO-005"][2] == "Sydhavn Bibliotek\nfaulty"


def test_contacts_by_role(moved_db, plan):
    page = Page(report.render_report(moved_db, plan))
    rows = page.rows("contacts")
    assert [(r[0], r[1], r[2]) for r in rows] == [(c.role, c.name, c.phone) for c in plan.contacts]


def test_checklist_per_site_lists_what_should_be_there(moved_db, plan):
    items = moves.manifest(moved_db)
    page = Page(report.render_report(moved_db, plan))

    going = [it.tag for it in items if it.dest == "hovedbibliotek"]
    rows = page.rows("checklist-hovedbibliotek")
    tags = [r[2] for r in rows if r[2] and not r[3].startswith("↳")]
    # The manifest's items first, then the equipment of needed kinds already there.
    assert tags[: len(going)] == going
    assert sorted(tags[len(going) :]) == [
        "EKS-BAR-005",
        "EKS-BAR-006",
        "EKS-KIO-003",
        "EKS-PRN-002",
    ]
    assert all(r[0] == "☐" and r[1] == "☐" for r in rows)
    pas = next(r for r in rows if r[2] == "EKS-PAS-002")
    assert pas[3:6] == [
        "Pasarbejdsstation 2 (skranke 2)",
        "Pas- og kørekortarbejdsstation",
        "CZC2431KY2",
    ]
    # Under each workstation the parts of its kit, with where they are now.
    at = [r[2] for r in rows].index("EKS-NID-001")
    assert [(r[2], r[3], r[6]) for r in rows[at + 1 : at + 3]] == [
        (
            "EKS-KLR-001",
            "↳ Kortlæser MitID 1",
            "part of EKS-NID-001; now arrived at Nordby Bibliotek",
        ),
        (
            "EKS-KVP-001",
            "↳ Kvitteringsprinter MitID 1",
            "part of EKS-NID-001; now arrived at Nordby Bibliotek",
        ),
    ]
    assert [r for r in rows if not r[2]] == [["☐", "☐", "", "", "", "", ""]] * 3  # to write in
    # One page per site that hosts functions or receives equipment; not the closed city hall.
    checklists = [
        a["id"] for t, a in page.elements if t == "section" and "checklist" in a.get("class", "")
    ]
    assert checklists == [
        "checklist-hovedbibliotek",
        "checklist-bib_nord",
        "checklist-bib_syd",
        "checklist-hjemme",
    ]
    home = [r[2] for r in page.rows("checklist-hjemme") if r[2]]
    assert set(home) >= {it.tag for it in items if it.dest == "hjemme"}


def test_a_faulty_kit_part_takes_its_workstation_out_and_is_named(seeded_db, plan):
    moves.start(seeded_db, plan, SCENARIO, operator="Mette")
    for step in ("packed", "installed"):
        scan.scan(seeded_db, plan, "EKS-PAS-001", site="hovedbibliotek", step=step)
    network.record(seeded_db, plan, "hovedbibliotek", staff_doc(), "check")
    page = Page(report.render_report(seeded_db, plan))
    assert states(page, "hovedbibliotek")["Pas"] == ("▲ degraded", "1 / 1 / 2")

    scan.scan(seeded_db, plan, "EKS-FPR-001", site="hovedbibliotek", step="faulty")
    page = Page(report.render_report(seeded_db, plan))

    verdict, blocking = verdicts(page)["Hovedbiblioteket"]
    assert verdict == "✖ NOT READY: cannot open"
    assert (
        "Pas, Kørekort: 0 of 2 Pas- og kørekortarbejdsstation; EKS-PAS-001 installed, but its "
        "fingeraftrykslæser EKS-FPR-001 is faulty; EKS-PAS-002 still at Rådhuset, not packed yet"
    ) in blocking
    assert states(page, "hovedbibliotek")["Pas"] == ("✖ not ready", "0 / 1 / 2")
    assert equipment(page, "hovedbibliotek")["Pas"].endswith("0 / 1 / 2 (none counted)")
    # The paper checklist has the part under its workstation, with what the tracker says.
    part = next(r for r in page.rows("checklist-hovedbibliotek") if r[2] == "EKS-FPR-001")
    assert part[6] == "part of EKS-PAS-001; now faulty at Hovedbiblioteket"


def test_readiness_is_judged_on_the_reports_own_clock(moved_db, plan):
    """A report dated later than the latest checks ages them like `status` would then: the
    staff network check too old holds the VPN functions back, and says so."""
    now = datetime.now(UTC)
    page = Page(report.render_report(moved_db, plan, now=now))
    assert states(page, "hovedbibliotek")["Pas"] == ("▲ degraded", "1 / 1 / 2")

    later = now + timedelta(minutes=plan.network_interval_minutes + 5)
    page = Page(report.render_report(moved_db, plan, now=later))
    assert states(page, "hovedbibliotek")["Pas"] == ("✖ not ready", "1 / 1 / 2")
    assert "Staff network (VPN): staff network check too old" in page.text("site-hovedbibliotek")
    _, blocking = verdicts(page)["Hovedbiblioteket"]
    assert any(b.endswith(")") and ": staff network check too old (ok at " in b for b in blocking)


def test_blocking_lines_and_holders_are_shown_literally(seeded_db, plan):
    """A kiosk agent's detail reaches the blocking list, a holder's name and an asset's name
    the custody list: all of it is text, never markup."""
    moves.start(seeded_db, plan, SCENARIO, operator="Mette")
    scan.scan(seeded_db, plan, "EKS-KIO-001", site="hovedbibliotek", step="installed")
    store.record_kiosk_result(
        seeded_db, tag="EKS-KIO-001", host="rh01", verdict="crit",
        detail="<b>disk</b> full", report=None,
    )  # fmt: skip
    with store.write(seeded_db):
        seeded_db.execute(
            "UPDATE assets SET name = ? WHERE tag = 'EKS-BAR-003'", ["<img src=x onerror=alert(1)>"]
        )
    holder = '<script>alert("Mette")</script> & Co'
    scan.scan(seeded_db, plan, "EKS-BAR-003", site="hjemme", step="installed", holder=holder)
    html = report.render_report(seeded_db, plan)
    page = Page(html)

    assert not [t for t, _ in page.elements if t in ("script", "img", "b")]
    _, blocking = verdicts(page)["Hovedbiblioteket"]
    kiosk = next(b for b in blocking if b.startswith("Selvbetjening"))
    assert "EKS-KIO-001 installed, kiosk check failed" in kiosk
    assert kiosk.endswith(
        "(crit: <b>disk</b> full); EKS-KIO-003 belongs to Biblioteket, not Borgerservice"
    )
    assert "&lt;b&gt;disk&lt;/b&gt; full" in html
    assert f"{holder} Hjemmearbejdspladser, 1 item" in page.text("holdings")
    assert page.rows("holdings")[0][:2] == ["EKS-BAR-003", "<img src=x onerror=alert(1)>"]
    assert "&lt;script&gt;alert(&quot;Mette&quot;)&lt;/script&gt; &amp; Co" in html


def test_page_is_self_contained_printable_and_utf8(moved_db, plan):
    html = report.render_report(moved_db, plan)
    page = Page(html)

    assert ("meta", {"charset": "utf-8"}) in page.elements
    tags = {t for t, _ in page.elements}
    assert not tags & {"script", "link", "img", "iframe", "object"}
    assert not [a for _, a in page.elements if "src" in a or "href" in a]
    assert "@page { size: A4; margin: 12mm; }" in html
    assert "print-color-adjust: exact" in html
    assert ".checklist { break-before: page;" in html
    assert "tr, li { break-inside: avoid;" in html
    assert "Rådhuset →" in html and "Kørekort" in html  # Danish letters as they are


def test_data_is_shown_literally(moved_db, plan):
    evil = "<script>alert(1)</script>"
    with store.write(moved_db):
        moved_db.execute("UPDATE assets SET name = ? WHERE tag = 'EKS-PAS-002'", [evil])
        moved_db.execute("UPDATE assets SET name = ? WHERE tag = 'EKS-PRN-001'", ["[red]x\x1b[2J"])
    scan.scan(
        moved_db, plan, "EKS-PAS-002", site="raadhus", step="packed", operator='"><b>bold</b>'
    )
    html = report.render_report(moved_db, plan)
    page = Page(html)

    assert not [t for t, _ in page.elements if t in ("script", "b")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    manifest = {r[1]: r[2] for r in page.rows("manifest")}
    assert manifest["EKS-PAS-002"] == evil
    assert manifest["EKS-PRN-001"] == "[red]x\\x1b[2J"  # the escape sequence made visible
    assert "\x1b" not in html
    assert page.rows("timeline")[0][1].startswith('"><b>bold</b>')


def test_normal_operation_and_the_way_home(seeded_db, plan):
    page = Page(report.render_report(seeded_db, plan))
    assert "No scenario is active." in page.text("manifest")
    assert "No scans yet." in page.text("timeline")
    assert "site-raadhus" in page.tables  # the city hall hosts its functions again
    assert "checklist-raadhus" in page.texts

    moves.start(seeded_db, plan, SCENARIO)
    scan.scan(seeded_db, plan, "EKS-PAS-001", site="hovedbibliotek", step="installed")
    moves.end(seeded_db)
    page = Page(report.render_report(seeded_db, plan))
    assert "Manifest: 1 item(s) to bring home" in page.text("manifest")
    assert [r[1] for r in page.rows("manifest")] == ["EKS-PAS-001"]
    assert [r[2] for r in page.rows("checklist-raadhus")][0] == "EKS-PAS-001"


def test_write_report_replaces_the_file_whole(moved_db, plan, tmp_path):
    out = tmp_path / "report.html"
    out.write_text("<!DOCTYPE html>old")
    report.write_report(moved_db, plan, out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".", "report"))) == [
        "report.html"
    ]  # no temporary file left behind
    with pytest.raises(OutputError, match="does not exist"):
        report.write_report(moved_db, plan, tmp_path / "missing" / "report.html")
    assert not (tmp_path / "missing").exists()


def test_report_module_does_not_import_textual():
    code = "import sys, tracker.report.build, tracker.cli.report; print('\\n'.join(sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert not {m for m in r.stdout.split() if m.split(".")[0] in ("textual", "rich")}


# --- the command ------------------------------------------------------------------------------


def test_cli_report_writes_the_page(run_tracker, tmp_path):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    assert run_tracker("scenario", "start", SCENARIO).returncode == 0
    r = run_tracker(
        "scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed", "--operator", "Jonas Demo"
    )
    assert r.returncode == 0, r.stderr

    r = run_tracker("report", "--out", "x.html")
    assert r.returncode == 0, r.stderr
    assert "wrote the readiness report to x.html" in r.stdout
    page = Page((tmp_path / "x.html").read_text(encoding="utf-8"))
    assert page.rows("timeline")[0][1].startswith("Jonas Demo")
    assert "checklist-hovedbibliotek" in page.texts


def test_cli_report_bad_output_is_a_clear_error_and_writes_nothing(run_tracker, tmp_path, db_path):
    run_tracker("import", str(SAMPLE_CSV))  # creates the database
    before = set(os.listdir(tmp_path))

    r = run_tracker("report", "--out", str(tmp_path / "no-such-dir" / "x.html"))
    assert r.returncode == 2
    assert "no-such-dir does not exist" in r.stderr
    assert "Traceback" not in r.stderr

    r = run_tracker("report", "--out", str(db_path))  # a slip of the keyboard
    assert r.returncode == 2
    assert "ending in .html" in r.stderr

    assert set(os.listdir(tmp_path)) == before
    assert store.open_db(db_path).execute("SELECT count(*) FROM assets").fetchone()[0] > 0


def test_cli_report_into_an_unwritable_folder(run_tracker, tmp_path):
    """A folder no one can write into, even root: a path whose parent is a read-only mount
    would need privileges to set up, so use one whose "folder" is a regular file."""
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    r = run_tracker("report", "--out", str(not_a_folder / "x.html"))
    assert r.returncode == 2
    assert "notes.txt is a file, not a folder" in r.stderr and "Traceback" not in r.stderr
    assert not_a_folder.read_text(encoding="utf-8") == "x"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".html")) == []


def test_cli_report_leads_with_whether_each_site_can_open_as_status_says(run_tracker, tmp_path):
    """Right after the scenario starts everything is still at the city hall: the report's first
    section says the library cannot open and why, with the same words as `tracker status`."""
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    assert run_tracker("scenario", "start", SCENARIO).returncode == 0

    r = run_tracker("report", "--out", "x.html")
    assert r.returncode == 0, r.stderr
    page = Page((tmp_path / "x.html").read_text(encoding="utf-8"))

    sections = [a.get("id") for t, a in page.elements if t == "section"]
    assert sections[:3] == ["verdicts", "readiness", "holdings"]
    assert page.text("verdicts").startswith("Can each site open?")
    shown = verdicts(page)
    verdict, blocking = shown["Hovedbiblioteket"]
    assert verdict == "✖ NOT READY: cannot open"
    assert blocking[0] == (
        "Pas, Kørekort: 0 of 2 Pas- og kørekortarbejdsstation; EKS-PAS-001 still at Rådhuset,"
        " not packed"
        " yet; EKS-PAS-002 still at Rådhuset, not packed yet"
    )
    assert shown["Nordby Bibliotek"] == ("✔ READY: can open", ["nothing"])
    assert "Rådhuset" not in shown  # closed in this scenario
    # The same verdicts and every blocking line that `tracker status` gives, site by site.
    status = json.loads(run_tracker("status", "--json").stdout)
    assert {
        s["name"]: (f"{'✖' if s['state'] == 'not_ready' else '✔'} {s['verdict']}", s["blocking"])
        for s in status["sites"]
    } == {name: (v, [] if b == ["nothing"] else b) for name, (v, b) in shown.items()}


def test_cli_report_lists_who_holds_what_at_home_and_what_to_bring_back(run_tracker, tmp_path):
    assert run_tracker("import", str(SAMPLE_CSV)).returncode == 0
    assert run_tracker("scenario", "start", SCENARIO).returncode == 0
    for code, holder in [
        ("EKS-BAR-003", "Mette"),
        ("EKS-HS-001", "Mette"),
        ("EKS-BAR-004", "Ole Hansen"),
        ("EKS-HS-002", None),
    ]:
        who = ["--holder", holder] if holder else []
        r = run_tracker("scan", code, "--site", "hjemme", "--step", "installed", *who)
        assert r.returncode == 0, r.stderr

    assert run_tracker("report", "--out", "x.html").returncode == 0
    page = Page((tmp_path / "x.html").read_text(encoding="utf-8"))
    text = page.text("holdings")
    assert text.startswith("Held at home workplaces, per person")
    assert "Mette Hjemmearbejdspladser, 2 items" in text
    assert "Ole Hansen Hjemmearbejdspladser, 1 item" in text
    assert "nobody named (scan it with --holder NAME) Hjemmearbejdspladser, 1 item" in text
    per_person = [[r[:4] for r in page.rows("holdings", i)] for i in range(3)]
    assert per_person == [
        [
            ["EKS-HS-001", "Jabra Evolve2 65 nr. 1", "Headset", "installed"],
            ["EKS-BAR-003", "Bærbar Borgerservice 3", "Bærbar arbejdscomputer", "installed"],
        ],
        [["EKS-BAR-004", "Bærbar Borgerservice 4", "Bærbar arbejdscomputer", "installed"]],
        [["EKS-HS-002", "Jabra Evolve2 65 nr. 2", "Headset", "installed"]],
    ]
    # Mette's laptop and headset make one phone-line seat; Ole's laptop does the digital mail.
    home = equipment(page, "hjemme")
    assert home["Telefonisk hovednummer"] == (
        "Bærbar arbejdscomputer: 1 / 1 / 2\nEKS-BAR-003\nHeadset: 1 / 1 / 2\nEKS-HS-001"
    )
    _, blocking = verdicts(page)["Hjemmearbejdspladser"]
    assert any("EKS-HS-002 at Hjemmearbejdspladser has no holder" in b for b in blocking)

    # The way home: the same list, per person, is what each must bring back.
    assert run_tracker("scenario", "end").returncode == 0
    assert run_tracker("report", "--out", "x.html").returncode == 0
    page = Page((tmp_path / "x.html").read_text(encoding="utf-8"))
    text = page.text("holdings")
    assert text.startswith("To bring back from home workplaces, per person")
    assert "Mette Hjemmearbejdspladser, 2 items to bring back" in text
    assert text.count("Returned to") == 3
