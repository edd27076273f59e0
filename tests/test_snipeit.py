"""Snipe-IT inventories in and out: its header aliases, statuses, escapes, mapping files.

Every fixture here is written for these tests in the shape of Snipe-IT's files; none is copied
from Snipe-IT (AGPL). The header lists below are facts read from Snipe-IT's source, repository
snipe/snipe-it, so the tests fail if our spellings drift from what Snipe-IT accepts and writes:
- web importer labels and aliases: app/Livewire/Importer.php at commit
  00e7795414ab22deafb6170ac348d949c82c5f6a ($assets_fields, $aliases_fields), labels in English
  from resources/lang/en-US/general.php at 008b6f1db265b80d19bd9237db2ee1b51abbfd52 and
  resources/lang/en-US/admin/hardware/{form,general}.php at
  00f07ac2ce662d44e16548c4d1113d3a41b5f09c / 1660b8df8592417ec78a511bf4e7b0354a37c3cb;
- command-line importer: app/Importer/Importer.php ($defaultFieldMap) at commit
  0103f20193e5c72d8a891ce3c11d2d6bfcbec7d8;
- custom asset report: app/Http/Controllers/ReportsController.php (postCustom) at commit
  02caa13222edb68c75d395eea33557d0a0d364c3, headers from
  resources/lang/en-US/admin/hardware/table.php at 017273a513d0691d37890d9da3aae4bffa77832a;
- stock status labels: Snipe-IT's StatuslabelSeeder and status-label factory.
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pytest

from tracker import store
from tracker.inventory import snipeit
from tracker.inventory.cells import from_spreadsheet
from tracker.inventory.exporter import export
from tracker.inventory.importer import import_file
from tracker.inventory.mapping import MapError, load_map, toml_string

# Web importer, asset import: field => its English label (matched case-insensitively first).
WEB_LABELS = {
    "company": "Company",
    "location": "Location",
    "item_name": "Asset Name",
    "asset_tag": "Asset Tag",
    "asset_model": "Model Name",
    "byod": "BYOD",
    "model_number": "Model No.",
    "status": "Status",
    "warranty_months": "Warranty",
    "category": "Category",
    "requestable": "Requestable",
    "serial": "Serial Number",
    "supplier": "Supplier",
    "purchase_cost": "Purchase Cost",
    "purchase_date": "Purchase Date",
    "asset_notes": "Asset Notes",
    "model_notes": "Model Notes",
    "manufacturer": "Manufacturer",
    "order_number": "Order Number",
    "image": "Image Filename",
    "asset_eol_date": "EOL Date",
    "checkout_class": "Checkout Type",
    "checkout_location": "Checkout to Location",
}
# Web importer aliases (then matched case-insensitively), for the fields an asset import has.
WEB_ALIASES = {
    "item_name": [
        "item name",
        "asset name",
        "accessory name",
        "user name",
        "consumable name",
        "component name",
        "name",
    ],
    "asset_model": ["model name", "model"],
    "serial": ["serial number", "serial no.", "serial no", "product key", "key"],
    "model_number": ["model", "model no", "model no.", "model number", "model num", "model num."],
    "warranty_months": ["Warranty", "Warranty Months"],
    "requestable": ["requestable", "Requestable"],
}
# Command-line importer: field => the one lower-case header it reads.
CLI_FIELD_MAP = {
    "asset_tag": "asset tag",
    "category": "category",
    "item_name": "item name",
    "location": "location",
    "notes": "notes",
    "manufacturer": "manufacturer",
    "asset_model": "model name",
    "model_number": "model number",
    "purchase_date": "purchase date",
    "serial": "serial number",
    "status": "status",
}
# Custom asset report headers for the fields we read.
REPORT_HEADERS = {
    "asset_name": "Asset Name",
    "asset_tag": "Asset Tag",
    "model": "Model",
    "category": "Category",
    "manufacturer": "Manufacturer",
    "serial": "Serial",
    "purchase_date": "Purchased",
    "location": "Location",
    "rtd_location": "Default Location",
    "status": "Status",
    "notes": "Notes",
}
STOCK_STATUS_META = {
    "Ready to Deploy": "deployable",
    "Pending": "pending",
    "Archived": "archived",
    "Out for Diagnostics": "undeployable",
    "Out for Repair": "undeployable",
    "Broken - Not Fixable": "archived",
    "Lost/Stolen": "archived",
}

# Snipe-IT field (any of the lists above) -> the tracker field it fills.
OURS = {
    "asset_tag": "tag",
    "item_name": "name",
    "asset_name": "name",
    "serial": "serial",
    "category": "kind",
    "asset_model": "model",
    "model": "model",
    "manufacturer": "manufacturer",
    "purchase_date": "purchase_date",
    "location": "site",
    "rtd_location": "home_site",
    "status": "step",
    "asset_notes": "notes",
    "notes": "notes",
}


def web_maps(header: str) -> str | None:
    """What Snipe-IT's web importer maps `header` to, by its own rules (label, then alias)."""
    for field, label in WEB_LABELS.items():
        if label.casefold() == header.casefold():
            return field
    for field, aliases in WEB_ALIASES.items():
        if field in WEB_LABELS and header.casefold() in (a.casefold() for a in aliases):
            return field
    return None


def _csv(tmp_path: Path, text: str, name: str = "snipe.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- Export: headers Snipe-IT maps by itself ------------------------------------------------


def test_every_export_header_is_mapped_by_the_web_importer_without_a_click():
    for header in snipeit.EXPORT_HEADERS:
        if header in snipeit.CUSTOM_FIELDS:
            # Custom fields appear among the web importer's choices under their name.
            assert web_maps(header) is None
            continue
        field = web_maps(header)
        assert field is not None, header
        assert OURS.get(field) is not None, (header, field)


def test_export_headers_against_the_command_line_importer():
    cli = set(CLI_FIELD_MAP.values())
    unmapped = {h for h in snipeit.EXPORT_HEADERS if h.casefold() not in cli}
    # Its field map has no header the web importer also maps for the asset's notes, and the
    # custom fields are matched by name (populateCustomFields), not by the map.
    assert unmapped == {"Asset Notes", *snipeit.CUSTOM_FIELDS}


def test_every_snipeit_spelling_of_a_field_we_read_is_read():
    spellings: dict[str, set[str]] = {}
    for field, label in WEB_LABELS.items():
        spellings.setdefault(field, set()).add(label)
    for field, aliases in WEB_ALIASES.items():
        spellings.setdefault(field, set()).update(aliases)
    for field, header in CLI_FIELD_MAP.items():
        spellings.setdefault(field, set()).add(header)
    for field, header in REPORT_HEADERS.items():
        spellings.setdefault(field, set()).add(header)
    ours = {f: {h.casefold() for h in hs} for f, hs in snipeit.HEADERS.items()}
    for field, headers in spellings.items():
        if field not in OURS:
            continue
        for header in headers:
            if field == "model_number" or (header.casefold() == "model" and field != "model"):
                continue
            assert header.casefold() in ours[OURS[field]], (field, header)


@pytest.mark.parametrize(
    "field,header",
    [
        (f, h)
        for f, hs in snipeit.HEADERS.items()
        for h in hs
        # a kit names another asset: tests/test_readiness_drill.py
        if f not in ("tag", "kind", "site", "checkout_type", "checkout_site", "kit")
    ],
)
def test_each_alias_imports_into_its_field(fresh_db, plan, tmp_path, field, header):
    value = {
        "name": "Bærbar 7",
        "serial": "SN-77",
        "model": "Latitude 5440",
        "manufacturer": "Dell",
        "purchase_date": "2024-02-29",
        "step": "Out for Repair",
        "notes": "=not a formula",
        "hostname": "kiosk-7.example:2222",
        "home_site": "Hovedbiblioteket",
        "department": "Biblioteket",
        "quantity": "12",
    }[field]
    base = {"Asset Tag": "S-7", "Category": "laptop", "Location": "Rådhuset"}
    if field != "name":
        base["Item Name"] = "Bærbar 7"
    if field == "hostname":
        base["Category"] = "Borgercomputer (selvbetjening)"
    if field == "quantity":
        base["Category"] = "mitid_displays"  # only stock has a quantity
    cells = {**base, header.swapcase(): value}  # any letter case
    out = io.StringIO()
    csv.writer(out).writerows([list(cells), list(cells.values())])
    result = import_file(fresh_db, plan, _csv(tmp_path, out.getvalue()))
    assert result.ok, result.errors
    a = store.asset_by_tag(fresh_db, "S-7")
    expected = {"step": "faulty", "home_site": "hovedbibliotek", "quantity": 12}.get(field, value)
    assert getattr(a, field) == expected


@pytest.mark.parametrize("header", snipeit.HEADERS["checkout_site"])
def test_checked_out_to_a_location_is_there(fresh_db, plan, tmp_path, header):
    body = (
        f"Asset Tag,Item Name,Category,Location,checkout type,{header.swapcase()}\n"
        "C-1,Out,laptop,Rådhuset,Location,Hovedbiblioteket\n"
        "C-2,User,laptop,Rådhuset,User,\n"
    )
    assert import_file(fresh_db, plan, _csv(tmp_path, body)).ok
    c1, c2 = store.asset_by_tag(fresh_db, "C-1"), store.asset_by_tag(fresh_db, "C-2")
    assert (c1.site, c1.home_site) == ("hovedbibliotek", "raadhus")
    assert (c2.site, c2.home_site) == ("raadhus", "raadhus")


# --- Statuses --------------------------------------------------------------------------------


def test_stock_statuses_with_and_without_the_reports_meta_suffix(fresh_db, plan, tmp_path):
    steps = {
        "Ready to Deploy": "in_service",
        "Out for Diagnostics": "faulty",
        "Out for Repair": "faulty",
        "Broken - Not Fixable": "faulty",
        "Lost/Stolen": "missing",
    }
    lines = ["Asset Tag,Asset Name,Category,Location,Status"]
    for i, (label, _) in enumerate(steps.items()):
        lines.append(f"P-{i},Plain {i},laptop,Rådhuset,{label}")
        lines.append(f"M-{i},Meta {i},laptop,Rådhuset,{label} ({STOCK_STATUS_META[label]})")
    lines.append("D-1,Deployed,laptop,Rådhuset,Ready to Deploy (deployed)")
    result = import_file(fresh_db, plan, _csv(tmp_path, "\n".join(lines) + "\n"))
    assert result.ok, result.errors
    for i, step in enumerate(steps.values()):
        assert store.asset_by_tag(fresh_db, f"P-{i}").step == step
        assert store.asset_by_tag(fresh_db, f"M-{i}").step == step
    assert store.asset_by_tag(fresh_db, "D-1").step == "in_service"


def test_unclear_statuses_ask_through_the_mapping(fresh_db, plan, tmp_path):
    body = "Asset Tag,Asset Name,Category,Location,Status\n" + "".join(
        f"U-{i},U {i},laptop,Rådhuset,{status}\n"
        for i, status in enumerate(
            ["Pending", "Archived (archived)", "Undeployable", "Pending Diagnostics", "Pending"]
        )
    )
    p = _csv(tmp_path, body)
    result = import_file(fresh_db, plan, p)
    assert f"{p}: unknown Status 'Pending' (a Snipe-IT status with no one step) on 2 rows," in (
        "\n".join(result.errors)
    )
    assert any(
        "'Archived' (a Snipe-IT status with no one step) on 1 row, line 3" in e
        for e in result.errors
    )
    assert len(result.errors) == 4  # one a value; the hint how to map them is apart
    assert len(result.hints) == 1 and "4 value(s) are not in the plan" in result.hints[0]
    m = tmp_path / "map.toml"
    m.write_text(
        '[steps]\nPending = "in_service"\nArchived = false\nUndeployable = "faulty"\n'
        '"Pending Diagnostics" = "Out for Diagnostics"\n',
        encoding="utf-8",
    )
    result = import_file(fresh_db, plan, p, mapping=load_map(m, plan))
    assert result.ok, result.errors
    assert (result.created, result.skipped) == (4, 1)
    got = {a.tag: a.step for a in store.assets(fresh_db)}
    assert got == {"U-0": "in_service", "U-2": "faulty", "U-3": "faulty", "U-4": "in_service"}


def test_export_writes_stock_undeployable_statuses_and_reads_them_back(seeded_db, plan):
    with store.write(seeded_db):
        seeded_db.execute("UPDATE assets SET step = 'faulty' WHERE tag = 'EKS-PAS-001'")
        seeded_db.execute("UPDATE assets SET step = 'missing' WHERE tag = 'EKS-PAS-002'")
    buf = io.StringIO()
    export(seeded_db, plan, buf, "snipeit")
    rows = {r["Asset Tag"]: r for r in _rows(buf.getvalue())}
    assert rows["EKS-PAS-001"]["Status"] == "Out for Repair"
    assert rows["EKS-PAS-002"]["Status"] == "Lost/Stolen"
    assert rows["EKS-PAS-003"]["Status"] == "Ready to Deploy"
    assert snipeit.step_from_status("Out for Repair (undeployable)") == "faulty"
    assert snipeit.step_from_status("Lost/Stolen (archived)") == "missing"


def test_formula_escapes_from_snipeit_read_back_as_the_original_text(fresh_db, plan, tmp_path):
    body = (
        "Asset Tag,Asset Name,Category,Location,Notes,Serial\n"
        "F-1,'=HYPERLINK(\"x\"),laptop,Rådhuset,'+45 70 00 00 00,'-12\n"
        "F-2,'Quoted name',laptop,Rådhuset,\t@mention,'@x\n"
    )
    assert import_file(fresh_db, plan, _csv(tmp_path, body)).ok
    f1, f2 = store.asset_by_tag(fresh_db, "F-1"), store.asset_by_tag(fresh_db, "F-2")
    assert (f1.name, f1.notes, f1.serial) == ('=HYPERLINK("x")', "+45 70 00 00 00", "-12")
    assert (f2.name, f2.notes, f2.serial) == ("'Quoted name'", "@mention", "@x")


# --- Unknown values, mapping files ---------------------------------------------------------

# Shaped like Snipe-IT's own assets-sample.csv (its 20 columns, in its order); values invented.
SAMPLE_HEADER = (
    "Company,Name,Asset Tag,Category,Supplier,Manufacturer,Location,Order Number,Model,"
    "Model Notes,Model Number,Asset Notes,Purchase Date,Purchase Cost,Checkout Type,"
    "Checked Out To: Username,Checked Out To: First Name,Checked Out To: Last Name,"
    "Checked Out To: Email,Checked Out To: Location"
)
SAMPLE_ROWS = [
    (
        "Kommune",
        "Skranke-PC 1",
        "KB-1001",
        "Desktops",
        "Atea",
        "HP",
        "City Hall",
        "PO-1",
        "Z2 G9",
        "",
        "Z2G9",
        "skranke 1",
        "2023-01-23",
        "8000",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
    (
        "Kommune",
        "Skranke-PC 2",
        "KB-1002",
        "Desktops",
        "Atea",
        "HP",
        "City Hall",
        "PO-1",
        "Z2 G9",
        "",
        "Z2G9",
        "",
        "2023-01-23",
        "8000",
        "Location",
        "",
        "",
        "",
        "",
        "Main Library",
    ),
    (
        "Kommune",
        "NemID-PC",
        "KB-1003",
        "Desktops",
        "Atea",
        "Lenovo",
        "City Hall",
        "PO-2",
        "M90q",
        "",
        "",
        "",
        "2022-11-14",
        "6000",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
    (
        "Kommune",
        "Printer 1",
        "KB-2001",
        "Printers",
        "Atea",
        "Ricoh",
        "Main Library",
        "PO-3",
        "IM C3000",
        "",
        "",
        "",
        "2021-05-01",
        "20000",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
    (
        "Kommune",
        "Skærm 1",
        "KB-3001",
        "Monitors",
        "Atea",
        "Dell",
        "Main Library",
        "PO-4",
        "P2422H",
        "",
        "",
        "",
        "2021-05-01",
        "1500",
        "User",
        "ida",
        "Ida",
        "Holm",
        "ida@example.dk",
        "",
    ),
    (
        "Kommune",
        "Bærbar 1",
        "KB-4001",
        "Laptops",
        "Atea",
        "Dell",
        "Rådhuset",
        "PO-5",
        "Latitude 5440",
        "",
        "",
        "",
        "2024-02-01",
        "9000",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
]


def _sample(tmp_path: Path) -> Path:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(SAMPLE_HEADER.split(","))
    w.writerows(SAMPLE_ROWS)
    return _csv(tmp_path, out.getvalue(), "assets-sample-shaped.csv")


def test_unmapped_values_are_reported_once_each_with_their_rows(fresh_db, plan, tmp_path):
    p = _sample(tmp_path)
    result = import_file(fresh_db, plan, p)
    assert result.errors == [
        f"{p}: unknown Category 'Desktops' on 3 rows, lines 2-4",
        f"{p}: unknown Category 'Printers' on 1 row, line 5",
        f"{p}: unknown Category 'Monitors' on 1 row, line 6",
        f"{p}: unknown Category 'Laptops' on 1 row, line 7",
        f"{p}: unknown Location 'City Hall' on 3 rows, lines 2-4",
        # Each value is named with the column it stood in (line 3 is checked out there).
        f"{p}: unknown Checked Out To: Location 'Main Library' on 1 row, line 3",
        f"{p}: unknown Location 'Main Library' on 2 rows, lines 5-6",
    ]
    assert result.hints == [
        f"{p}: 6 value(s) are not in the plan: map each to a kind or site in a mapping file"
        f" (--map MAP.toml); 'tracker import {p} --write-map MAP.toml' writes one to fill in,"
        " listing every value with its rows",
    ]
    assert store.assets(fresh_db) == []


def test_write_map_then_import_through_the_cli(run_tracker, tmp_path):
    p = _sample(tmp_path)
    m = tmp_path / "map.toml"
    r = run_tracker("import", str(p), "--write-map", str(m))
    assert r.returncode == 0, r.stderr
    assert f"wrote {m}: 4 kinds, 3 sites, 0 steps from 6 row(s)" in r.stdout
    assert "6 to fill in. Nothing was imported." in r.stdout
    r2 = run_tracker("export", "-")
    assert r2.returncode == 2 and "no such database" in r2.stderr  # nothing was imported
    text = m.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["kinds"] == {"Desktops": "", "Printers": "", "Monitors": "", "Laptops": ""}
    assert data["steps"] == {}
    assert data["sites"] == {"City Hall": "", "Main Library": "", "Rådhuset": "raadhus"}
    assert '"Desktops" = ""  # 3 row(s): fill in; models: Z2 G9 (2), M90q (1)' in text
    assert "# Category = plan kinds: pass_ws (" in text
    # Refuses to overwrite the map the user is filling in.
    r = run_tracker("import", str(p), "--write-map", str(m))
    assert r.returncode == 2 and "already exists" in r.stderr
    # Fill it in: a model wins over its category; Monitors are left out.
    text = (
        text.replace('"Desktops" = ""', '"Desktops" = "pass_ws"\n"M90q" = "nemid_ws"')
        .replace('"Printers" = ""', '"Printers" = "Printer (vielsespapirer)"')
        .replace('"Monitors" = ""', '"Monitors" = false')
        .replace('"Laptops" = ""', '"Laptops" = "laptop"')
        .replace('"City Hall" = ""', '"City Hall" = "Rådhuset"')
        .replace('"Main Library" = ""', '"Main Library" = "hovedbibliotek"')
    )
    m.write_text(text, encoding="utf-8")
    r = run_tracker("import", str(p), "--map", str(m))
    assert r.returncode == 0, r.stderr
    assert "imported 6 row(s)" in r.stdout and "5 new" in r.stdout
    assert "1 left out by the mapping" in r.stdout
    assert (
        "ignored column(s): Company, Supplier, Order Number, Model Notes, Model Number,"
        " Purchase Cost, Checked Out To: Username, Checked Out To: First Name,"
        " Checked Out To: Last Name, Checked Out To: Email"
    ) in r.stdout
    rows = {row["tag"]: row for row in _rows(run_tracker("export", "-").stdout)}
    assert set(rows) == {"KB-1001", "KB-1002", "KB-1003", "KB-2001", "KB-4001"}
    assert rows["KB-1003"]["kind"] == "mitid_ws" and rows["KB-1001"]["kind"] == "pass_ws"
    assert rows["KB-2001"]["site"] == "hovedbibliotek"
    # Checked out to a location in the import file: it is there, and belongs at its Location.
    assert (rows["KB-1002"]["site"], rows["KB-1002"]["home_site"]) == ("hovedbibliotek", "raadhus")
    k = rows["KB-1001"]
    assert (k["manufacturer"], k["model"], k["purchase_date"], k["notes"]) == (
        "HP",
        "Z2 G9",
        "2023-01-23",
        "skranke 1",
    )


def test_a_bad_mapping_file_names_the_file_table_and_value(plan, tmp_path, run_tracker):
    m = tmp_path / "map.toml"
    m.write_text('[kinds]\n"Desktops" = "pas"\n', encoding="utf-8")
    with pytest.raises(MapError, match=r'map.toml: \[kinds\] "Desktops" = "pas": no such kind'):
        load_map(m, plan)
    m.write_text('[steps]\n"Pending" = "Pending"\n', encoding="utf-8")
    with pytest.raises(MapError, match="no such step"):
        load_map(m, plan)
    m.write_text("[kind]\nx = 'laptop'\n", encoding="utf-8")
    with pytest.raises(MapError, match=r"unknown table \[kind\]"):
        load_map(m, plan)
    m.write_text("[kinds\n", encoding="utf-8")
    r = run_tracker("import", str(_sample(tmp_path)), "--map", str(m))
    assert r.returncode == 2 and "not a TOML mapping file" in r.stderr


def test_template_strings_read_back_exactly(plan):
    for value in [
        'Desk "A"',
        "back\\slash",
        "line\nbreak",
        "tab\there",
        "æøå €",
        "emoji 🙂",
        "\x7f",
    ]:
        assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


# --- Round trips -----------------------------------------------------------------------------


def test_tracker_to_snipeit_to_tracker_keeps_every_field_the_format_carries(
    seeded_db, plan, tmp_path
):
    with store.write(seeded_db):
        seeded_db.execute(
            "UPDATE assets SET manufacturer = 'HP', model = 'Z2 G9', purchase_date = '2023-01-23',"
            " notes = '=SUM(A1)', step = 'faulty' WHERE tag = 'EKS-PAS-001'"
        )
        seeded_db.execute(
            "UPDATE assets SET site = 'hovedbibliotek', step = 'arrived' WHERE tag = 'EKS-PAS-002'"
        )
    buf = io.StringIO()
    export(seeded_db, plan, buf, "snipeit")
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == list(snipeit.EXPORT_HEADERS)
    other = store.open_db(tmp_path / "copy.db")
    result = import_file(other, plan, _csv(tmp_path, buf.getvalue()))
    assert result.ok and result.ignored == []
    keep = ("updated_at", "last_seen")
    assert [{**a.__dict__, **{k: None for k in keep}} for a in store.assets(other)] == [
        {**a.__dict__, **{k: None for k in keep}} for a in store.assets(seeded_db)
    ]
    moved = store.asset_by_tag(other, "EKS-PAS-002")
    assert (moved.site, moved.home_site, moved.step) == ("hovedbibliotek", "raadhus", "arrived")


def test_snipeit_report_to_tracker_to_snipeit_loses_nothing_the_tracker_keeps(
    fresh_db, plan, tmp_path
):
    # A custom asset report with the custom fields the docs ask for (Hostname, Home Site).
    report = (
        "Asset Name,Asset Tag,Model,Model No.,Category,Manufacturer,Serial,Purchased,"
        "Location,Default Location,Status,Notes,Hostname,Home Site\n"
        "Kiosk 1,KB-5001,OptiPlex 3000,D13U,Self-service,Dell,SN-5001,2022-03-01,"
        "Main Library,City Hall,Ready to Deploy (deployable),'=cmd,kiosk1.example,City Hall\n"
        "Laptop 9,KB-5002,Latitude 5440,,Laptops,Dell,SN-5002,2024-02-01 00:00:01,"
        "City Hall,City Hall,Out for Repair (undeployable),screen cracked,,\n"
        "Laptop 10,KB-5003,Latitude 5440,,Laptops,Dell,SN-5003,,"
        "City Hall,City Hall,Lost/Stolen (archived),,,\n"
    )
    src = _csv(tmp_path, report, "custom-asset-report.csv")
    m = tmp_path / "map.toml"
    m.write_text(
        '[kinds]\n"Self-service" = "kiosk"\n"Laptops" = "laptop"\n'
        '[sites]\n"City Hall" = "raadhus"\n"Main Library" = "hovedbibliotek"\n',
        encoding="utf-8",
    )
    result = import_file(fresh_db, plan, src, mapping=load_map(m, plan))
    assert result.ok, result.errors
    assert result.ignored == ["Model No.", "Default Location"]
    buf = io.StringIO()
    export(fresh_db, plan, buf, "snipeit")
    back = {r["Asset Tag"]: r for r in _rows(buf.getvalue())}
    source = {r["Asset Tag"]: r for r in _rows(report)}
    names = {"City Hall": "Rådhuset", "Main Library": "Hovedbiblioteket"}
    for tag, row in source.items():
        out = back[tag]
        for ours, theirs in (
            ("Item Name", "Asset Name"),
            ("Serial Number", "Serial"),
            ("Model Name", "Model"),
            ("Manufacturer", "Manufacturer"),
            ("Hostname", "Hostname"),
        ):
            assert out[ours] == row[theirs], (tag, ours)
        assert out["Purchase Date"] == row["Purchased"][:10]
        assert out["Status"] == snipeit.without_meta(row["Status"])
        # Our export quotes a formula again (issue 10): what a spreadsheet shows is the text.
        assert from_spreadsheet(out["Asset Notes"]) == from_spreadsheet(row["Notes"])
        assert out["Location"] == names[row["Location"]]
    assert back["KB-5001"]["Home Site"] == "Rådhuset"
    assert back["KB-5001"]["Category"] == plan.kinds["kiosk"].name


def test_the_docs_example_imports_with_its_map(run_tracker):
    from tests.conftest import REPO

    src = REPO / "docs" / "examples" / "snipe-it-assets.csv"
    m = REPO / "docs" / "examples" / "snipe-it-map.toml"
    r = run_tracker("import", str(src))
    assert r.returncode == 2
    assert f"{src}: unknown Category 'Desktops' on 4 rows, lines 2-5" in r.stderr
    assert f"{src}: unknown Location 'City Hall' on 7 rows, lines 2-6, 11-12" in r.stderr
    r = run_tracker("import", str(src), "--map", str(m))
    assert r.returncode == 0, r.stderr
    assert f"imported 12 row(s) from {src}: 10 new, 0 updated, 2 left out by the mapping" in (
        r.stdout
    )
    assert "ignored column(s): Company, Model No., Cost" in r.stdout
    rows = {row["tag"]: row for row in _rows(run_tracker("export", "-").stdout)}
    assert rows["KB-1003"]["kind"] == "mitid_ws" and rows["KB-1001"]["kind"] == "pass_ws"
    assert rows["KB-3002"]["site"] == "bib_nord" and rows["KB-3002"]["step"] == "in_service"
    assert rows["KB-4002"]["step"] == "missing" and rows["KB-1004"]["step"] == "faulty"
    assert rows["KB-3001"]["notes"] == "'=kun internet"  # quoted again on export (issue 10)
    assert "KB-6001" not in rows


def test_a_category_with_one_model_mapped_still_asks_for_the_others(fresh_db, plan, tmp_path):
    body = (
        "Asset Tag,Asset Name,Category,Model Name,Location\n"
        "D-1,A,Desktops,Lenovo M90q,Rådhuset\n"
        "D-2,B,Desktops,HP Z2 G9,Rådhuset\n"
    )
    p = _csv(tmp_path, body)
    m = tmp_path / "map.toml"
    m.write_text('[kinds]\n"Lenovo M90q" = "nemid_ws"\n', encoding="utf-8")
    result = import_file(fresh_db, plan, p, mapping=load_map(m, plan))
    assert result.errors[0] == f"{p}: unknown Category 'Desktops' on 1 row, line 3"


def test_write_map_lists_statuses_without_meta_and_counts_other_problems(run_tracker, tmp_path):
    body = (
        "Asset Tag,Asset Name,Category,Location,Status,Company\n"
        "R-1,A,laptop,Rådhuset,Ready to Deploy (deployable),K\n"
        "R-2,B,laptop,Rådhuset,Pending (pending),K\n"
        "R-3,,laptop,Rådhuset,Pending,K\n"
        "R 4 ?,D,laptop,Rådhuset,Out for Repair (undeployable),K\n"
    )
    m = tmp_path / "map.toml"
    r = run_tracker("import", str(_csv(tmp_path, body)), "--write-map", str(m))
    assert r.returncode == 0, r.stderr
    assert "2 row(s) also have problems a mapping cannot fix" in r.stdout
    assert "ignored column(s): Company" in r.stdout
    text = m.read_text(encoding="utf-8")
    assert tomllib.loads(text)["steps"] == {
        "Pending": "",
        "Ready to Deploy": "in_service",
        "Out for Repair": "faulty",
    }
    assert '"Pending" = ""  # 2 row(s): fill in (Snipe-IT status with no one step)' in text


@pytest.mark.parametrize("step,label", list(snipeit.STEP_STATUS.items()))
@pytest.mark.parametrize(
    "meta", ["", " (deployable)", " (deployed)", " (pending)", " (archived)", " (undeployable)"]
)
def test_every_exported_status_reads_back_in_every_report_form(step, label, meta):
    assert snipeit.step_from_status(label + meta) == step
    assert snipeit.step_from_status((label + meta).upper()) == step


def test_repeated_headers_we_do_not_read_are_ignored_but_ours_are_refused(fresh_db, plan, tmp_path):
    # The custom report with both location addresses ticked repeats "Address" four times.
    body = (
        "Asset Tag,Asset Name,Category,Location,Address,Address,Default Location,Address,"
        "Address\nA-1,A,laptop,Rådhuset,Torvet 1,,Rådhuset,Torvet 1,\n"
    )
    result = import_file(fresh_db, plan, _csv(tmp_path, body))
    assert result.ok, result.errors
    assert result.ignored == ["Address"]
    p = _csv(tmp_path, "Asset Tag,Asset Name,Category,Location,location\nA-1,A,laptop,x,y\n")
    result = import_file(fresh_db, plan, p)
    assert result.errors == [f"{p}:1: column 'location' appears twice (columns 4 and 5)"]
