"""Snipe-IT files in and out, the review of issue 13: re-imports that must not lose data, open
quotes, the mapping template with a map, purchase dates, unused map lines, the model placeholder,
Location and Default Location, and what the error report counts.

Every fixture is written here, in the shape of Snipe-IT's files (none is copied from Snipe-IT,
which is AGPL). What Snipe-IT itself does, read in snipe/snipe-it app/Importer/ItemImporter.php
at commit 0368b9df437dbcd3ffad7e6806b8fcff95f39385: on update it drops empty values before
saving (sanitizeItemForUpdating), it creates a status label it does not know as deployable
(createOrFetchStatusLabel), and it checks out to a location only when checkout_class is
"location" (determineCheckout).
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from pathlib import Path

import pytest

from tracker import store
from tracker.inventory import snipeit
from tracker.inventory.exporter import export
from tracker.inventory.importer import import_file
from tracker.inventory.mapping import load_map


def _csv(tmp_path: Path, text: str, name: str = "snipe.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _map(tmp_path: Path, text: str, name: str = "map.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _events(db, tag: str) -> list[dict]:
    return store.history(db, tag)


# --- 1. An empty cell in Snipe-IT's format leaves the stored value ---------------------------

REPORT_HEADER = (
    "Asset Tag,Asset Name,Category,Model,Manufacturer,Serial,Purchased,Location,"
    "Default Location,Status,Notes,Hostname,Department,Quantity"
)


def test_an_empty_snipeit_cell_leaves_the_stored_value(fresh_db, plan, tmp_path):
    full = _csv(
        tmp_path,
        REPORT_HEADER + "\n"
        "K-1,Kiosk 1,kiosk,OptiPlex 3000,Dell,SN-1,2022-03-01,Hovedbiblioteket,Rådhuset,"
        "Lost/Stolen,meldt stjålet,kiosk1.example,Biblioteket,\n"
        "X-1,Kodevisere,mitid_displays,Box,Nets,SN-2,2024-01-02,Rådhuset,,Out for Repair,"
        "halv æske,,,30\n",
        "full.csv",
    )
    result = import_file(fresh_db, plan, full)
    assert result.ok, result.errors
    before = {a.tag: a for a in store.assets(fresh_db)}
    k = before["K-1"]
    assert (k.step, k.hostname, k.purchase_date) == ("missing", "kiosk1.example", "2022-03-01")
    assert (before["X-1"].quantity, before["X-1"].step) == (30, "faulty")
    # The same assets again, every optional cell empty (a report with fewer fields filled in;
    # an empty Location: test_an_empty_location_takes_the_default_location_for_a_new_asset).
    sparse = _csv(
        tmp_path,
        REPORT_HEADER + "\nK-1,Kiosk 1,kiosk,,,,,Hovedbiblioteket,,,,,,\n"
        "X-1,Kodevisere,mitid_displays,,,,,Rådhuset,,,,,,\n",
        "sparse.csv",
    )
    result = import_file(fresh_db, plan, sparse)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 2)
    after = {a.tag: a for a in store.assets(fresh_db)}
    for tag in before:
        assert {**after[tag].__dict__, "updated_at": ""} == {
            **before[tag].__dict__,
            "updated_at": "",
        }
    # No step or site changed, so no history event (an empty Status once made it in_service).
    assert _events(fresh_db, "K-1") == [] and _events(fresh_db, "X-1") == []


def test_a_new_asset_from_snipeit_with_empty_cells_gets_the_defaults(fresh_db, plan, tmp_path):
    p = _csv(tmp_path, REPORT_HEADER + "\nN-1,Ny,laptop,,,,,Rådhuset,,,,,,\n")
    assert import_file(fresh_db, plan, p).ok
    a = store.asset_by_tag(fresh_db, "N-1")
    assert (a.step, a.site, a.home_site, a.quantity, a.model) == (
        "in_service",
        "raadhus",
        "raadhus",
        1,
        "",
    )
    assert a.department == plan.sites["raadhus"].department


def test_the_tracker_format_writes_what_its_cells_say(fresh_db, plan, tmp_path):
    """Decided: the tracker's own format is the value, an empty cell clears (its export writes
    every field, so a re-import of it is exact); docs/csv-formats.md says so."""
    header = "tag,kind,name,serial,site,step,hostname,notes,purchase_date\n"
    first = _csv(
        tmp_path, header + "T-1,kiosk,K,S1,raadhus,missing,k1.example,n,2022-03-01\n", "a.csv"
    )
    assert import_file(fresh_db, plan, first).ok
    second = _csv(tmp_path, header + "T-1,kiosk,K,,raadhus,,,,\n", "b.csv")
    assert import_file(fresh_db, plan, second).ok
    a = store.asset_by_tag(fresh_db, "T-1")
    assert (a.serial, a.step, a.hostname, a.notes, a.purchase_date) == (
        "",
        "in_service",
        "",
        "",
        "",
    )
    assert a.home_site == "raadhus"  # an empty home_site keeps the stored one, in every format


# --- 2. A quote left open ---------------------------------------------------------------------


def test_a_quote_never_closed_is_an_error_naming_its_line(fresh_db, plan, tmp_path, run_tracker):
    body = (
        "tag,kind,name,serial,site,step,hostname,notes\n"
        "Q-1,laptop,One,S1,raadhus,,,fine\n"
        'Q-2,laptop,Two,S2,raadhus,,,"forgot to close\n'
        "Q-3,laptop,Three,S3,raadhus,,,\n"
        "Q-4,laptop,Four,S4,raadhus,,,\n"
    )
    p = _csv(tmp_path, body, "open.csv")
    result = import_file(fresh_db, plan, p)
    assert result.errors == [
        f"{p}:3: quote opened on line 3 is never closed: the rest of the file would be one cell;"
        ' close the quote (or double it, "", inside a quoted cell)'
    ]
    assert store.assets(fresh_db) == []
    # The same at the end of the very last line, with nothing after it to take in.
    last = _csv(
        tmp_path, 'tag,kind,name,serial,site,step,hostname,notes\nQ-9,laptop,"Nine', "l.csv"
    )
    assert import_file(fresh_db, plan, last).errors[0].startswith(f"{last}:2: quote opened on")
    r = run_tracker("import", str(p))
    assert r.returncode == 2 and "1 problem(s); nothing was imported" in r.stderr


def test_a_quote_closed_only_rows_later_is_an_error(fresh_db, plan, tmp_path):
    body = (
        "Asset Tag,Asset Name,Category,Location,Status,Notes\n"
        'S-1,"Skranke 1,laptop,Rådhuset,,\n'  # the name's quote is not closed here
        "S-2,Skranke 2,laptop,Rådhuset,,\n"
        'S-3,Skranke 3,laptop,Rådhuset,,"closes it"\n'
        "S-4,Skranke 4,laptop,Rådhuset,,\n"
    )
    p = _csv(tmp_path, body)
    result = import_file(fresh_db, plan, p)
    assert result.errors[0] == (
        f"{p}:2: quote opened on line 2 is not closed until line 4: line 3 inside that one cell"
        " looks like a row of its own; close the quote on its line"
    )
    assert store.assets(fresh_db) == []


def test_quoted_notes_over_several_lines_still_import(fresh_db, plan, tmp_path):
    body = (
        "Asset Tag,Asset Name,Category,Location,Status,Notes\n"
        'M-1,Multi,laptop,Rådhuset,,"Adresse: Torvet 1, 8000 Aarhus\nskuffe 2, hylde 3\n"\n'
        'M-2,"Say ""hi""",laptop,Rådhuset,,"a, b"\n'
    )
    result = import_file(fresh_db, plan, _csv(tmp_path, body))
    assert result.ok, result.errors
    assert store.asset_by_tag(fresh_db, "M-1").notes.startswith("Adresse: Torvet 1, 8000")
    assert store.asset_by_tag(fresh_db, "M-2").name == 'Say "hi"'


# --- 3. The set-up steps ---------------------------------------------------------------------

FRESH_INSTALL_STATUSES = {"Pending", "Ready to Deploy", "Archived"}
"""What a new Snipe-IT has (its migrations); the others come from its demo seeder."""


def test_setup_creates_every_exported_status_a_fresh_snipeit_lacks():
    from tests.conftest import REPO

    doc = (REPO / "docs" / "snipe-it.md").read_text(encoding="utf-8")
    setup = doc.split("### Set up in Snipe-IT once", 1)[1].split("\n## ", 1)[0]
    step = next(s for s in setup.split("\n3. ")[1:])
    step = step.split("\n4. ")[0]
    for label in set(snipeit.STEP_STATUS.values()) - FRESH_INSTALL_STATUSES:
        assert f"`{label}`" in step, label
    assert "`Out for Repair` of type *Undeployable*" in step
    assert "`Lost/Stolen` of type *Archived*" in step
    assert not re.search(r"Out for Repair\*?.{0,40}exist", setup), "a fresh install has none"


# --- 4. --map with --write-map ---------------------------------------------------------------

DESKTOPS = (
    "Asset Tag,Asset Name,Category,Model,Location\n"
    "D-1,Pas 1,Desktops,HP Z2 G9,Rådhuset\n"
    "D-2,Pas 2,Desktops,HP Z2 G9,Rådhuset\n"
    "D-3,NemID 1,Desktops,Lenovo M90q,Rådhuset\n"
)


def test_write_map_with_a_map_keeps_what_the_map_says(fresh_db, plan, tmp_path, run_tracker):
    src = _csv(tmp_path, DESKTOPS)
    m = _map(
        tmp_path,
        '[kinds]\n"Desktops" = "pass_ws"\n"Lenovo M90q" = "nemid_ws"\n"Monitors" = false\n'
        '[sites]\n"City Hall" = "raadhus"\n',
    )
    t = tmp_path / "template.toml"
    r = run_tracker("import", str(src), "--map", str(m), "--write-map", str(t))
    assert r.returncode == 0, r.stderr
    template = tomllib.loads(t.read_text(encoding="utf-8"))
    assert template["kinds"] == {
        "Desktops": "pass_ws",
        "Lenovo M90q": "mitid_ws",  # nemid_ws is the old id of mitid_ws
        "Monitors": False,
    }
    assert template["sites"] == {"Rådhuset": "raadhus", "City Hall": "raadhus"}
    # Importing with the template means what importing with the map meant.
    with_map = store.open_db(tmp_path / "a.db")
    with_template = store.open_db(tmp_path / "b.db")
    assert import_file(with_map, plan, src, mapping=load_map(m, plan)).ok
    assert import_file(with_template, plan, src, mapping=load_map(t, plan)).ok
    kinds = {a.tag: a.kind for a in store.assets(with_map)}
    assert kinds == {"D-1": "pass_ws", "D-2": "pass_ws", "D-3": "mitid_ws"}
    assert {a.tag: a.kind for a in store.assets(with_template)} == kinds


def test_a_category_covered_by_model_lines_is_not_asked_for_again(run_tracker, plan, tmp_path):
    src = _csv(tmp_path, DESKTOPS)
    m = _map(tmp_path, '[kinds]\n"HP Z2 G9" = "pass_ws"\n"Lenovo M90q" = "nemid_ws"\n')
    t = tmp_path / "template.toml"
    r = run_tracker("import", str(src), "--map", str(m), "--write-map", str(t))
    assert r.returncode == 0 and "0 to fill in" in r.stdout, r.stdout
    text = t.read_text(encoding="utf-8")
    assert tomllib.loads(text)["kinds"] == {"HP Z2 G9": "pass_ws", "Lenovo M90q": "mitid_ws"}
    assert "every row's model is mapped below" in text


# --- 5. Purchase dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2023-01-23", "2023-01-23 00:00:01", "23-01-2023", "23/01/2023", "23.01.2023", "23-1-2023"],
)
def test_purchase_dates_are_stored_as_iso(fresh_db, plan, tmp_path, text):
    for name, body in (
        (
            "s.csv",
            f"Asset Tag,Asset Name,Category,Location,Purchase Date\nP-1,P,laptop,Rådhuset,{text}\n",
        ),
        ("t.csv", f"tag,kind,name,site,purchase_date\nP-2,laptop,P,raadhus,{text}\n"),
    ):
        result = import_file(fresh_db, plan, _csv(tmp_path, body, name))
        assert result.ok, result.errors
    assert store.asset_by_tag(fresh_db, "P-1").purchase_date == "2023-01-23"
    assert store.asset_by_tag(fresh_db, "P-2").purchase_date == "2023-01-23"


def test_a_date_that_is_not_day_first_is_a_row_error(fresh_db, plan, tmp_path):
    body = (
        "Asset Tag,Asset Name,Category,Location,Purchase Date\n"
        "P-1,P,laptop,Rådhuset,05/04/2023\n"  # day first: 5 April
        "P-2,P,laptop,Rådhuset,01/23/2023\n"  # month first (a US export)
        "P-3,P,laptop,Rådhuset,31-02-2023\n"
        "P-4,P,laptop,Rådhuset,soon\n"
    )
    p = _csv(tmp_path, body)
    result = import_file(fresh_db, plan, p)
    assert result.errors == [
        f"{p}:3: purchase date '01/23/2023': dates are read day first; this one only reads month"
        " first (US): write it as 2023-01-23, and check the file's other dates",
        f"{p}:4: purchase date '31-02-2023': no such day (yyyy-mm-dd, or day first: dd-mm-yyyy,"
        " dd/mm/yyyy, dd.mm.yyyy)",
        f"{p}:5: purchase date 'soon' is not a date (yyyy-mm-dd, or day first: dd-mm-yyyy,"
        " dd/mm/yyyy, dd.mm.yyyy)",
    ]
    assert store.assets(fresh_db) == []
    from tracker.inventory.dates import parse

    assert parse("05/04/2023") == ("2023-04-05", None)


# --- 6. Map lines that match nothing ---------------------------------------------------------


def test_unused_map_lines_are_named_with_a_did_you_mean(run_tracker, tmp_path):
    src = _csv(
        tmp_path,
        "Asset Tag,Asset Name,Category,Location,Status\nU-1,U,Laptops,City Hall,Pending\n",
    )
    m = _map(
        tmp_path,
        '[kinds]\n"Laptops" = "laptop"\n"laptops " = "laptop"\n"Phones" = false\n'
        '[sites]\n"City Hall" = "raadhus"\n"city hall" = "raadhus"\n'
        '[steps]\n"Pending" = "in_service"\n',
    )
    r = run_tracker("import", str(src), "--map", str(m))
    assert r.returncode == 0, r.stderr
    assert "imported 1 row(s)" in r.stdout
    assert f'{m}: [kinds] "laptops " matches no value in {src}; did you mean "Laptops"?' in r.stdout
    assert f'{m}: [kinds] "Phones" matches no value in {src}\n' in r.stdout
    assert f'{m}: [sites] "city hall" matches no value in {src}; did you mean "City Hall"?' in (
        r.stdout
    )
    assert r.stdout.count("matches no value") == 3


# --- 7. The model placeholder ----------------------------------------------------------------


def test_a_model_named_like_its_kind_survives_the_round_trip(fresh_db, plan, tmp_path):
    header = "tag,kind,name,serial,site,step,hostname,notes,model\n"
    src = _csv(
        tmp_path,
        header + "H-1,headset,Real,S1,raadhus,,,,Headset\nH-2,headset,None,S2,raadhus,,,,\n",
        "t.csv",
    )
    assert import_file(fresh_db, plan, src).ok
    buf = io.StringIO()
    export(fresh_db, plan, buf, "snipeit")
    rows = {r["Asset Tag"]: r for r in csv.DictReader(io.StringIO(buf.getvalue()))}
    assert rows["H-1"]["Model Name"] == "Headset"  # the kind "Headset" has a model "Headset"
    assert rows["H-2"]["Model Name"] == "Headset (no model)"
    other = store.open_db(tmp_path / "other.db")
    assert import_file(other, plan, _csv(tmp_path, buf.getvalue(), "s.csv")).ok
    assert store.asset_by_tag(other, "H-1").model == "Headset"
    assert store.asset_by_tag(other, "H-2").model == ""


# --- 8, 9. Location and Default Location -----------------------------------------------------

LOCATIONS = "Asset Tag,Asset Name,Category,Location,Default Location,Status\n"


def test_an_empty_location_takes_the_default_location_for_a_new_asset(
    fresh_db, plan, tmp_path, run_tracker
):
    p = _csv(
        tmp_path,
        LOCATIONS + "L-1,A,laptop,,Hovedbiblioteket,\nL-2,B,laptop,Rådhuset,,\n",
    )
    r = run_tracker("import", str(p))
    assert r.returncode == 0, r.stderr
    assert (
        "1 new asset(s) with an empty Location: placed at their Default Location, line(s) 2"
        in r.stdout
    )
    db = store.open_db(tmp_path / "tracker.db")
    a = store.asset_by_tag(db, "L-1")
    assert (a.site, a.home_site) == ("hovedbibliotek", "hovedbibliotek")
    # An existing asset with an empty Location stays where it is (an empty cell keeps the value).
    with store.write(db):
        db.execute("UPDATE assets SET site = 'bib_nord' WHERE tag = 'L-1'")
    r = run_tracker("import", str(p))
    assert r.returncode == 0 and "placed at" not in r.stdout
    assert store.asset_by_tag(db, "L-1").site == "bib_nord"


def test_no_location_and_no_default_location_is_an_error_for_a_new_asset(fresh_db, plan, tmp_path):
    p = _csv(tmp_path, LOCATIONS + "L-1,A,laptop,,,\n")
    result = import_file(fresh_db, plan, p)
    assert result.errors == [
        f"{p}:2: empty Location and no Default Location: a new asset needs a site"
    ]


def test_false_on_a_default_location_does_not_drop_the_row(fresh_db, plan, tmp_path):
    p = _csv(
        tmp_path,
        LOCATIONS + "F-1,A,laptop,Rådhuset,Old Depot,\nF-2,B,laptop,Old Depot,Rådhuset,\n",
    )
    m = _map(tmp_path, '[sites]\n"Old Depot" = false\n')
    result = import_file(fresh_db, plan, p, mapping=load_map(m, plan))
    assert result.ok, result.errors
    assert result.skipped == 1  # F-2: its Location is mapped to false
    a = store.asset_by_tag(fresh_db, "F-1")
    assert (a.site, a.home_site) == ("raadhus", "raadhus")
    assert store.asset_by_tag(fresh_db, "F-2") is None


# --- 10. The error report ------------------------------------------------------------------


def test_unknown_values_name_their_column_and_the_hint_is_not_counted(run_tracker, tmp_path):
    p = _csv(
        tmp_path,
        LOCATIONS + "E-1,A,laptop,Rådhuset,North Library,\nE-2,B,laptop,Rådhuset,,\n"
        "E-3,,laptop,Rådhuset,,\n",
    )
    r = run_tracker("import", str(p))
    assert r.returncode == 2
    assert f"{p}: unknown Default Location 'North Library' on 1 row, line 2" in r.stderr
    assert "1 value(s) are not in the plan" in r.stderr
    assert f"{p}:4: empty name" in r.stderr
    assert f"{p}: 2 problem(s); nothing was imported" in r.stderr


# --- 11. A checkout location without its type ------------------------------------------------


def test_a_checkout_location_without_checkout_type_is_listed_as_ignored(fresh_db, plan, tmp_path):
    p = _csv(
        tmp_path,
        "Asset Tag,Asset Name,Category,Location,Checkout to Location\n"
        "C-1,A,laptop,Rådhuset,Hovedbiblioteket\n",
    )
    result = import_file(fresh_db, plan, p)
    assert result.ok and result.ignored == ["Checkout to Location"]
    assert store.asset_by_tag(fresh_db, "C-1").site == "raadhus"
    only_type = _csv(
        tmp_path,
        "Asset Tag,Asset Name,Category,Location,Checkout Type\nC-2,B,laptop,Rådhuset,User\n",
        "t.csv",
    )
    assert import_file(fresh_db, plan, only_type).ignored == ["Checkout Type"]


def test_a_report_from_a_snipe_it_running_in_danish_imports(fresh_db, plan, tmp_path):
    """Snipe-IT in Danish writes its report headers in Danish; Excel in Danish saves ';' and
    Windows-1252."""
    text = (
        "Aktiv Mærkat;Aktivnavn;Serienummer;Kategori;Modelnavn;Producent;Købsdato;Lokation;"
        "Status;Noter\r\n"
        "DA-1;Bærbar 1;PF1;laptop;Latitude 5440;Dell;2024-02-29;Rådhuset;Ready to Deploy;"
        "æøå\r\n"
    )
    path = tmp_path / "rapport.csv"
    path.write_bytes(text.encode("cp1252"))
    result = import_file(fresh_db, plan, path)
    assert result.ok, result.errors
    a = store.asset_by_tag(fresh_db, "DA-1")
    assert (a.name, a.serial, a.kind, a.model, a.manufacturer) == (
        "Bærbar 1", "PF1", "laptop", "Latitude 5440", "Dell"
    )  # fmt: skip
    assert (a.purchase_date, a.site, a.step, a.notes) == (
        "2024-02-29",
        "raadhus",
        "in_service",
        "æøå",
    )


def test_a_custom_field_called_tag_does_not_make_a_snipe_it_file_the_tracker_format(
    fresh_db, plan, tmp_path
):
    path = tmp_path / "tagcf.csv"
    path.write_text(
        "Asset Tag,Item Name,Category,Location,Tag\nCF-1,PC,laptop,Rådhuset,blue\n",
        encoding="utf-8",
    )
    result = import_file(fresh_db, plan, path)
    assert result.ok, result.errors
    assert result.fmt == "snipeit" and store.asset_by_tag(fresh_db, "CF-1").site == "raadhus"
