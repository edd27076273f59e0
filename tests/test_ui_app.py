"""Pilot tests of the terminal app's workflows, on a real database with the sample inventory."""

from __future__ import annotations

import os

import pytest
from textual.widgets import DataTable, Input, RichLog, Static
from ui_helpers import async_test, build, log_lines, ready, text, wait_for

from tracker import moves, store
from tracker.ui.screens.asset_detail import AssetDetailScreen
from tracker.ui.screens.help import HelpScreen, TooSmallScreen
from tracker.ui.widgets.scan_input import ScanInput

pytestmark = pytest.mark.timeout(60)


def events(db, action="scan", parts=False):
    """The events of `action`; kit parts (which move with their workstation) only if `parts`."""
    return db.execute(
        "SELECT e.tag, e.step, e.site, e.flag FROM events e JOIN assets a ON a.tag = e.tag"
        " WHERE e.action = ? AND (? OR a.kit = '') ORDER BY e.id",
        [action, parts],
    ).fetchall()


async def scan(pilot, code: str) -> None:
    await pilot.press(*code, "enter")


@async_test
async def test_dashboard_shows_readiness_in_words(seeded_db, db_path, plan):
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        sites = text(app.screen.query_one("#dash-sites", Static))
        assert "Rådhuset" in sites and "Hovedbiblioteket" in sites
        assert "Telefonisk hovednummer" in sites
        # No kiosk has been checked, so self-service is not ready; the rest is.
        assert "NOT READY" in sites and "READY" in sites
        assert "0/1/1" in sites
        title = text(app.screen.query_one("#dash-title", Static))
        assert "normal operation" in title and "none yet" in title
        kiosks = text(app.screen.query_one("#dash-kiosks", Static))
        assert "EKS-KIO-001" in kiosks and "not checked" in kiosks


@async_test
async def test_dashboard_shows_the_staff_network_per_site(seeded_db, db_path, plan):
    from staff_reports import staff_doc

    from tracker import network

    moves.start(seeded_db, plan, "borgerservice_to_library")
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        sites = text(app.screen.query_one("#dash-sites", Static))
        assert "staff network: no staff network check" in sites
    network.record(seeded_db, plan, "hovedbibliotek", staff_doc("crit"), "laptop.json")
    app = build(db_path, plan)
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        sites = text(app.screen.query_one("#dash-sites", Static))
        assert "staff network: staff network check failed (crit at" in sites


@async_test
async def test_dashboard_kiosk_verdict_and_age(seeded_db, db_path, plan):
    from ui_helpers import FROZEN

    # Ages are worded by tracker.timefmt, as in the CLI and the report.
    for tag, verdict, at in (
        ("EKS-KIO-001", "fail", FROZEN.replace(minute=25)),
        ("EKS-KIO-002", "ok", FROZEN.replace(hour=6, minute=25)),
        ("EKS-KIO-003", "ok", FROZEN.replace(minute=45)),  # a kiosk whose clock runs ahead
    ):
        store.record_kiosk_result(
            seeded_db,
            tag=tag,
            host="h",
            verdict=verdict,
            detail="x",
            report=None,
            checked_at=at.isoformat(timespec="milliseconds"),
        )
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        kiosks = text(app.screen.query_one("#dash-kiosks", Static))
        line = {x.split()[0]: x for x in kiosks.splitlines() if x.startswith("EKS-KIO-")}
        assert "FAIL" in line["EKS-KIO-001"] and "5 min ago" in line["EKS-KIO-001"]
        assert "3 h 5 min ago" in line["EKS-KIO-002"]
        assert "in the future (clock skew?)" in line["EKS-KIO-003"]


@async_test
async def test_scan_records_with_feedback_and_site_label_switches_site(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        screen = app.screen
        assert "Rådhuset" in text(screen.query_one("#site", Static))
        assert "PACKED" in text(screen.query_one("#step", Static))
        await scan(pilot, "EKSPAS001")
        await scan(pilot, "LOC.HOVEDBIBLIOTEK")
        await scan(pilot, "eks-pas-002")
        log = screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 3)
        lines = log_lines(log)
        assert "OK" in lines[0] and "EKS-PAS-001" in lines[0] and "packed at Rådhuset" in lines[0]
        assert "SITE" in lines[1] and "Hovedbiblioteket" in lines[1]
        assert "EKS-PAS-002" in lines[2] and "packed at Hovedbiblioteket" in lines[2]
        assert "Hovedbiblioteket" in text(screen.query_one("#site", Static))
        assert app.bells == 0
        assert screen.query_one("#feedback").has_class("ok")
    assert events(seeded_db) == [
        ("EKS-PAS-001", "packed", "raadhus", ""),
        ("EKS-PAS-002", "packed", "hovedbibliotek", ""),
    ]


@async_test
async def test_unknown_and_repeat_ring_the_bell_and_change_nothing(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="in_service")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        await scan(pilot, "NOSUCHTHING")
        await scan(pilot, "EKSPAS001")  # already in service at the town hall
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 2)
        lines = log_lines(log)
        assert "UNKNOWN" in lines[0] and "NOSUCHTHING" in lines[0]
        assert "REPEAT" in lines[1] and "nothing changed" in lines[1]
        assert app.bells == 2
        assert app.screen.query_one("#feedback").has_class("warn")
    assert events(seeded_db) == []
    assert [u["code"] for u in store.unknown_scans(seeded_db)] == ["NOSUCHTHING"]


@async_test
async def test_flagged_scan_rings_and_shows_on_dashboard(seeded_db, db_path, plan):
    moves.start(seeded_db, plan, "borgerservice_to_library")
    app = build(db_path, plan, mode="scan", site="bib_syd", step="arrived")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        await scan(pilot, "EKSPAS001")  # the manifest sends it to the main library
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 1)
        assert "FLAGGED" in log_lines(log)[0] and "WRONG SITE" in log_lines(log)[0]
        assert app.bells == 1
        await pilot.press("f2")
        dash = app.screen
        await wait_for(
            pilot, lambda: "WRONG SITE" in text(dash.query_one("#dash-exceptions", Static))
        )
        exceptions = text(dash.query_one("#dash-exceptions", Static))
        assert "EKS-PAS-001" in exceptions and "Sydhavn Bibliotek" in exceptions
        manifest = text(dash.query_one("#dash-manifest", Static))
        assert "Manifest" in manifest and "still at origin" in manifest
    assert events(seeded_db) == [("EKS-PAS-001", "arrived", "bib_syd", "wrong_site")]


@async_test
async def test_undo_last_scan(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="it_lager", step="packed")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        await scan(pilot, "EKSPAS001")
        await pilot.press("f8")
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 2)
        assert "UNDONE" in log_lines(log)[1] and "EKS-PAS-001" in log_lines(log)[1]
        await pilot.press("f8")  # nothing left to undo at this station
        await wait_for(pilot, lambda: len(log.lines) >= 3)
        assert "nothing to undo" in log_lines(log)[2]
    asset = store.asset_by_tag(seeded_db, "EKS-PAS-001")
    assert (asset.site, asset.step) == ("raadhus", "in_service")
    assert len(events(seeded_db, "undo")) == 1
    # Its kit parts moved with it and came back with it.
    undone = [tag for tag, *_ in events(seeded_db, "undo", parts=True)]
    assert sorted(undone) == ["EKS-FOT-001", "EKS-FPR-001", "EKS-PAS-001", "EKS-SIG-001"]


@async_test
async def test_function_keys_change_site_and_step_in_scan_order(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f6", "f7")  # next site (main library), next step (arrived)
        assert "Hovedbiblioteket" in text(app.screen.query_one("#site", Static))
        assert "ARRIVED" in text(app.screen.query_one("#step", Static))
        await scan(pilot, "EKSPAS004")
        await pilot.press("shift+f6", "shift+f7")
        assert "Rådhuset" in text(app.screen.query_one("#site", Static))
        await scan(pilot, "EKSPAS003")
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 2)
    assert events(seeded_db) == [
        ("EKS-PAS-004", "arrived", "hovedbibliotek", ""),
        ("EKS-PAS-003", "packed", "raadhus", ""),
    ]


@async_test
async def test_focus_stays_on_the_scan_input(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        scan_input = app.screen.query_one(ScanInput)
        assert app.focused is scan_input
        await pilot.click("#scan-log")
        await pilot.press("tab")
        await pilot.click("#site")
        await pilot.pause()
        assert app.focused is scan_input
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("f2", "f3")
        await pilot.pause()
        assert app.focused is scan_input


@async_test
async def test_data_is_shown_literally(fresh_db, db_path, plan):
    with store.write(fresh_db):
        for tag, name in (("MK-1", "[bold red]x[/]"), ("ESC-1", "evil \x1b[31mred\x1b[0m")):
            fresh_db.execute(
                "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step,"
                " hostname, notes, updated_at) VALUES (?, ?, 'laptop', ?, '', 'raadhus',"
                " 'raadhus', 'in_service', '', ?, '')",
                [tag, tag.replace("-", ""), name, name],
            )
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        await scan(pilot, "MK1")
        await scan(pilot, "ESC1")
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 2)
        lines = log_lines(log)
        assert "MK-1 [bold red]x[/]: packed" in lines[0]
        assert "\x1b" not in lines[1] and "evil \\x1b[31mred\\x1b[0m" in lines[1]
        await pilot.press("f4")
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        names = [str(table.get_row_at(i)[2]) for i in range(2)]
        assert "evil \\x1b[31mred\\x1b[0m" in names and "[bold red]x[/]" in names
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AssetDetailScreen))
        info = app.screen.query_one("#detail-info", Static)
        await wait_for(pilot, lambda: "Tag" in text(info))
        shown = text(info)
        assert "[bold red]x[/]" in shown or "\\x1b[31m" in shown


@async_test
async def test_assets_search_sort_page_and_detail(seeded_db, db_path, plan):
    with store.write(seeded_db):  # as a Snipe-IT import leaves them
        seeded_db.execute(
            "UPDATE assets SET manufacturer = 'Jabra', model = 'Evolve2 40',"
            " purchase_date = '2024-02-01' WHERE tag = 'EKS-HS-004'"
        )
    app = build(db_path, plan, mode="assets")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 47)
        assert str(table.get_row_at(0)[0]) == "EKS-BAR-001"
        await pilot.press(*"headset")
        await wait_for(pilot, lambda: table.row_count == 4)
        await pilot.press("shift+f6")  # reverse the order
        await wait_for(pilot, lambda: str(table.get_row_at(0)[0]) == "EKS-HS-004")
        await pilot.press("enter")  # search box: go to the table
        assert app.focused is table
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AssetDetailScreen))
        detail = app.screen
        await wait_for(pilot, lambda: "EKS-HS-004" in text(detail.query_one("#detail-info")))
        info = text(detail.query_one("#detail-info"))
        assert "Jabra" in info and "Evolve2 40" in info and "2024-02-01" in info
        qr = detail.query_one("#detail-qr", Static).content
        assert qr.size[0] >= 21  # a real QR matrix, drawn with half blocks
        history = text(detail.query_one("#detail-history", Static))
        assert "never scanned" in history
        await pilot.press("escape")
        assert app.screen.query_one(DataTable) is table


@async_test
async def test_assets_page_holds_one_page(fresh_db, db_path, plan):
    rows = [
        (
            f"T-{i:05d}",
            f"T{i:05d}",
            "laptop",
            f"Laptop {i}",
            "",
            "raadhus",
            "raadhus",
            "in_service",
            "",
            "",
            "",
        )
        for i in range(250)
    ]
    with store.write(fresh_db):
        fresh_db.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, serial, home_site, site, step, hostname,"
            " notes, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    app = build(db_path, plan, mode="assets")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        table = app.screen.query_one(DataTable)
        info = app.screen.query_one("#page-info", Static)
        await wait_for(pilot, lambda: table.row_count == 100)
        assert "1-100 of 250" in text(info)
        await pilot.press("f8", "f8")
        await wait_for(pilot, lambda: "201-250 of 250" in text(info))
        assert table.row_count == 50 and str(table.get_row_at(0)[0]) == "T-00200"
        await pilot.press("f6")  # sort by kind
        await wait_for(pilot, lambda: "sorted by kind" in text(info))


@async_test
async def test_plan_start_and_end_scenario_with_confirmation(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="plan")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        table = app.screen.query_one("#scenarios", DataTable)
        assert app.focused is table
        await pilot.press("down", "down", "enter")  # borgerservice_to_library
        await pilot.press("enter")  # Cancel has the focus: nothing starts
        await pilot.pause(0.2)
        assert moves.current_move(seeded_db) is None
        await pilot.press("enter")
        await pilot.click("#yes")
        await wait_for(pilot, lambda: moves.current_move(seeded_db) is not None)
        assert moves.current_move(seeded_db).scenario == "borgerservice_to_library"
        status = app.screen.query_one("#plan-status", Static)
        await wait_for(pilot, lambda: "Active" in text(status))
        contacts = text(app.screen.query_one("#plan-contacts", Static))
        assert "Mette Eksempel" in contacts
        await pilot.press("f8")
        await pilot.click("#yes")
        # Nothing had moved yet, so the move closes at once: back to normal operation.
        await wait_for(pilot, lambda: moves.current_move(seeded_db) is None)
        await pilot.press("f2")
        title = app.screen.query_one("#dash-title", Static)
        await wait_for(pilot, lambda: "normal operation" in text(title))


@async_test
async def test_live_update_from_another_process(seeded_db, db_path, plan, run_tracker):
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        title = app.screen.query_one("#dash-title", Static)
        assert "none yet" in text(title)
        done = run_tracker("scan", "EKSPAS001", "--site", "it_lager", "--step", "packed")
        assert done.returncode == 0, done.stderr
        await wait_for(pilot, lambda: "none yet" not in text(title), timeout=2.5)


@async_test
async def test_help_palette_and_too_small(seeded_db, db_path, plan):
    app = build(db_path, plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"assets")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.current_mode == "assets")
        await pilot.resize_terminal(60, 20)
        await wait_for(pilot, lambda: isinstance(app.screen, TooSmallScreen))
        shown = text(app.screen.query_one("#too-small", Static))
        assert "60×20" in shown and "80×24" in shown
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not isinstance(app.screen, TooSmallScreen))


@async_test
async def test_report_key(seeded_db, db_path, plan, tmp_path):
    app = build(db_path, plan, report_dir=tmp_path)
    notes = []
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.notify = lambda message, **kw: notes.append((message, kw.get("severity")))
        await pilot.press("f9")
        await wait_for(pilot, lambda: len(notes) >= 2)
    written = list(tmp_path.glob("readiness-report-*.html"))
    assert len(written) == 1 and str(written[0]) in notes[-1][0]


@async_test
async def test_report_key_twice_in_one_second_keeps_both(seeded_db, db_path, plan, tmp_path):
    """The app's clock is frozen, so every F9 here falls in the same second."""
    from ui_helpers import FROZEN

    stamp = FROZEN.astimezone().strftime("%Y%m%d-%H%M%S")
    reports = tmp_path / "reports"
    reports.mkdir()
    earlier = reports / f"readiness-report-{stamp}.html"
    earlier.write_text("an earlier report")
    app = build(db_path, plan, report_dir=reports)
    notes = []
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.notify = lambda message, **kw: notes.append(message)
        await pilot.press("f9", "f9")
        await wait_for(pilot, lambda: sum("written to" in m for m in notes) == 2)
    assert earlier.read_text() == "an earlier report"
    names = [f"readiness-report-{stamp}-{n}.html" for n in (2, 3)]
    assert sorted(p.name for p in reports.iterdir()) == sorted([earlier.name, *names])
    for name in names:
        assert "</html>" in (reports / name).read_text()
        assert any(m.endswith(str(reports / name)) for m in notes)


@async_test
async def test_search_box_is_an_input_not_a_scan_input(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="assets")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert type(app.focused) is Input
        assert os.environ["TRACKER_STATION"] == app.station


def test_app_start_errors_are_one_clear_line(run_tracker, db_path, tmp_path):
    db_path.write_text("not a database", encoding="utf-8")
    done = run_tracker()
    assert done.returncode == 2
    assert str(db_path) in done.stderr and "Traceback" not in done.stderr
    db_path.unlink()
    done = run_tracker("scan", "--site", "nowhere", "--step", "packed")
    assert done.returncode == 2
    assert "unknown site 'nowhere'" in done.stderr and "Traceback" not in done.stderr


@async_test
async def test_background_kiosk_check_reaches_the_dashboard(seeded_db, db_path, plan, tmp_path):
    """Kiosks pointed at a closed loopback port: the check runs off the UI thread, is stored,
    and the dashboard shows the failing verdict (only 127.0.0.1 is contacted)."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with store.write(seeded_db):
        seeded_db.execute(
            "UPDATE assets SET hostname = ? WHERE kind = 'kiosk'", [f"127.0.0.1:{port}"]
        )
    key = tmp_path / "id_test"
    os.environ["TRACKER_KNOWN_HOSTS"] = str(tmp_path / "known_hosts")
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519

        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        key.write_bytes(pem)
        os.environ["TRACKER_SSH_IDENTITY"] = str(key)
        app = build(db_path, plan, kiosk_check_minutes=60)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            kiosks = app.screen.query_one("#dash-kiosks", Static)
            await wait_for(pilot, lambda: "UNREACHABLE" in text(kiosks), timeout=30)
            assert "0 failing" not in text(kiosks)
    finally:
        os.environ.pop("TRACKER_SSH_IDENTITY", None)
        os.environ.pop("TRACKER_KNOWN_HOSTS", None)
    assert store.kiosk_latest(seeded_db)["EKS-KIO-001"]["verdict"] == "unreachable"


@async_test
async def test_kiosk_check_without_ssh_key_says_so(seeded_db, db_path, plan, tmp_path):
    """No key and no ssh-agent: the app tells the user, and blames neither the DB nor a kiosk."""
    os.environ["TRACKER_SSH_IDENTITY"] = str(tmp_path / "no-such-key")
    saved_agent = os.environ.pop("SSH_AUTH_SOCK", None)
    notes = []
    try:
        app = build(db_path, plan)
        async with app.run_test(size=(80, 24)) as pilot:
            await ready(pilot)
            app.notify = lambda message, **kw: notes.append((message, kw.get("severity")))
            app.action_check_kiosks()
            await wait_for(pilot, lambda: notes, timeout=15)
    finally:
        os.environ.pop("TRACKER_SSH_IDENTITY", None)
        if saved_agent is not None:
            os.environ["SSH_AUTH_SOCK"] = saved_agent
    message, severity = notes[-1]
    assert message.startswith("kiosk checks not run") and severity == "error"
    assert "database" not in message
    assert store.kiosk_latest(seeded_db) == {}


@async_test
async def test_site_label_and_f6_crossing_leave_screen_and_scans_agreeing(seeded_db, db_path, plan):
    """A site label still in the worker when F6 is pressed: the screen must end on the site the
    next scan is recorded at (it showed the label's site while scans went to F6's)."""
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        app.submit_scan("LOC.BIBNORD", reply_to=app.screen)
        app.choose_station(site="bib_syd")
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 1)
        await pilot.pause(0.2)
        assert "Sydhavn Bibliotek" in text(app.screen.query_one("#site", Static))
        await scan(pilot, "EKSPAS001")
        await wait_for(pilot, lambda: app.screen.recorded == 1)
    assert events(seeded_db) == [("EKS-PAS-001", "packed", "bib_syd", "")]


@async_test
async def test_failing_report_says_so_and_scanning_goes_on(seeded_db, db_path, plan, tmp_path):
    """A report that cannot be written is reported as such; it used to kill the database
    worker, and after a few tries every scan went nowhere."""
    app = build(db_path, plan, mode="scan", report_dir=tmp_path / "no-such-folder")
    notes = []
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)
        app.notify = lambda message, **kw: notes.append((message, kw.get("severity")))
        for n in range(1, 5):
            await pilot.press("f9")
            await wait_for(pilot, lambda n=n: sum("report" in m for m, _ in notes) >= 2 * n)
        errors = [m for m, severity in notes if severity == "error"]
        assert len(errors) == 4
        assert all(m.startswith("readiness report not written") for m in errors)
        assert all("no-such-folder" in m for m in errors)
        await scan(pilot, "EKSPAS001")
        await wait_for(pilot, lambda: app.screen.recorded == 1)
    assert events(seeded_db) == [("EKS-PAS-001", "packed", "raadhus", "")]


@async_test
async def test_scans_after_the_database_worker_stopped_say_not_recorded(
    seeded_db, db_path, plan, monkeypatch
):
    """The disk goes away (simulated: the worker cannot open the database any more): each scan
    is answered NOT RECORDED with the bell instead of vanishing into a queue nobody reads."""
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(160, 30)) as pilot:
        await ready(pilot)

        def broken(*args, **kwargs):
            raise store.StoreError("disk I/O error")

        # The running loop fails on its next look at the database, and cannot reopen it.
        monkeypatch.setattr(store, "data_version", broken)
        monkeypatch.setattr(store, "open_db", broken)
        await wait_for(pilot, lambda: app._db_dead != "")
        bells = app.bells
        await scan(pilot, "EKSPAS001")
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) >= 1)
        line = log_lines(log)[0]
        assert "NOT RECORDED" in line and "EKSPAS001" in line and "disk I/O error" in line
        assert app.bells == bells + 1


@async_test
async def test_plan_status_line_is_on_screen(seeded_db, db_path, plan):
    """The line saying which scenario is active (or that none is) is the first thing shown."""
    app = build(db_path, plan, mode="plan")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        widget, _ = app.screen.get_widget_at(2, 0)
        assert widget.id == "plan-status"
        assert "No scenario is active" in text(widget)


@async_test
async def test_a_scan_while_too_small_rings_the_bell(seeded_db, db_path, plan):
    app = build(db_path, plan, mode="scan", site="raadhus", step="packed")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.resize_terminal(60, 20)
        await wait_for(pilot, lambda: isinstance(app.screen, TooSmallScreen))
        await scan(pilot, "EKSPAS001")
        assert app.bells == 1
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: not isinstance(app.screen, TooSmallScreen))
        assert app.focused is app.screen.query_one(ScanInput)
    assert events(seeded_db) == []


@async_test
async def test_plan_names_are_shown_literally(seeded_db, db_path, tmp_path):
    """Plan names come from a TOML file people edit: markup and escapes in them show as typed."""
    from tracker.plan import default_plan_path, load_plan

    toml = default_plan_path().read_text(encoding="utf-8")
    toml = toml.replace('name = "Rådhuset"', 'name = "[red]x\\u001b[2J"', 1)
    toml = toml.replace('"Borgerservice flytter til Hovedbiblioteket"', '"[blink]Flyt[/blink]"', 1)
    path = tmp_path / "plan.toml"
    path.write_text(toml, encoding="utf-8")
    evil = load_plan(path)
    app = build(db_path, evil, mode="plan")
    notes = []
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        table = app.screen.query_one("#scenarios", DataTable)
        assert "[blink]Flyt[/blink]" in [str(table.get_row_at(i)[0]) for i in range(4)]
        await pilot.press("down", "down")
        scenario = text(app.screen.query_one("#plan-scenario-text", Static))
        assert "Closes: [red]x\\x1b[2J" in scenario
        app.notify = lambda message, **kw: notes.append((message, kw.get("markup")))
        await pilot.press("enter")
        assert "[blink]Flyt[/blink]?" in text(app.screen.query_one("#confirm-question", Static))
        await pilot.click("#yes")
        await wait_for(pilot, lambda: len(notes) >= 2)
        items = len(moves.manifest(seeded_db, moves.current_move(seeded_db)))
        assert (f"started [blink]Flyt[/blink]: {items} item(s) to move", False) in notes
        # The scan screen's step switched to AUTO, and says so (literally, too).
        assert any(
            message.startswith("scenario [blink]Flyt[/blink] started: the step switched")
            and markup is False
            for message, markup in notes
        )
        await pilot.press("f2")
        await wait_for(pilot, lambda: "Flyt" in text(app.screen.query_one("#dash-title", Static)))
        assert "[blink]Flyt[/blink]" in text(app.screen.query_one("#dash-title", Static))
        # The closed town hall leaves the readiness list; its kiosks still name it.
        assert "[red]x\\x1b[2J" in text(app.screen.query_one("#dash-kiosks", Static))
        await pilot.press("f3")
        assert "[red]x\\x1b[2J" in text(app.screen.query_one("#site", Static))
        await scan(pilot, "EKSPAS001")
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: app.screen.handled >= 1)
        assert "scenario [blink]Flyt[/blink] started: the step" in log_lines(log)[0]
        assert "packed at [red]x\\x1b[2J" in " ".join(log_lines(log)[1:])


def test_background_kiosk_checks_follow_the_ssh_setup():
    from tracker.ui.app import background_kiosk_checks

    assert not background_kiosk_checks({})  # no key set up: do not reach out in vain
    assert background_kiosk_checks({"TRACKER_SSH_IDENTITY": "/etc/tracker/id_ed25519"})
    assert not background_kiosk_checks(
        {"TRACKER_SSH_IDENTITY": "/etc/tracker/id_ed25519", "TRACKER_APP_KIOSK_CHECKS": "0"}
    )
    assert background_kiosk_checks({"TRACKER_APP_KIOSK_CHECKS": "1"})  # keys in ssh-agent
