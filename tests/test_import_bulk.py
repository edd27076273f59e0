"""The column-wise check of a clean file (tracker.inventory.bulk) against the row-by-row loop.

Each file is imported twice, into two databases: as the importer does it, and with the bulk
check turned off so that every row goes through the loop. Everything an import leaves behind
must be the same: the result (counts, errors, hints, notes, remarks), the assets, the events,
the readiness tally, and a --write-map template. Each case also says which way it must go, so
a change that quietly sends clean files back to the loop (or a bad one through bulk) fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker import store
from tracker.inventory import bulk, importer
from tracker.inventory.importer import import_file
from tracker.inventory.mapping import load_map

FULL = (
    "tag,kind,name,serial,site,step,hostname,notes,home_site,manufacturer,model,"
    "purchase_date,department,kit,quantity,holder\n"
)


_CHECK = bulk.check


def _rows(n: int) -> list[str]:
    """Clean rows using every optional column, values spelt the ways files spell them."""
    kinds = ["laptop", "Printer (vielsespapirer)", "headset", "kiosk", "MitID-kodeviser (æske)"]
    sites = ["raadhus", "Rådhuset", "bib_nord", "Hovedbiblioteket", "bib_syd"]
    steps = ["", "in_service", "installed", "packed", "Arrived", "faulty"]
    dates = ["", "2023-01-23", "23-01-2023", "05.04.2022", "2021/12/31 00:00:01"]
    departments = ["", "Biblioteket", "borgerservice", "BORGERSERVICE", ""]
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        host = f"kiosk{i}.example.test" if kind == "kiosk" else ""
        if kind == "kiosk" and i % 2:
            host += ":8443"
        home = ["", sites[(i + 1) % 5], sites[i % 5], "bib_syd"][i % 4]
        quantity = "12" if kind.startswith("MitID") else ["", "1"][i % 2]
        out.append(
            f"T-{i:05d},{kind},Ting {i} æøå,SN{i},{sites[i % 5]},{steps[i % 6]},{host},"
            f"note {i % 3},{home},Maker {i % 4},Model {i % 7},{dates[i % 5]},"
            f"{departments[i % 5]},,{quantity},{'holder' if i % 9 == 0 else ''}"
        )
    return out


def _kit_rows() -> list[str]:
    ws = "W-1,pass_ws,Pas 1,,raadhus,,,,,,,,,,,"
    parts = [
        "P-1,fingerprint_reader,Finger,,raadhus,,,,,,,,,W-1,,",
        "P-2,camera,Kamera,,raadhus,,,,,,,,,W-1,,",
    ]
    return [ws, *parts]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8"))
    return p


def _state(db) -> dict:
    q = db.execute
    return {
        "assets": q(
            "SELECT tag, key, kind, name, serial, home_site, site, step, hostname, notes,"
            " manufacturer, model, purchase_date, department, kit, quantity, holder, last_seen"
            " FROM assets ORDER BY tag"
        ).fetchall(),
        "events": q(
            "SELECT tag, action, step, site, prev_step, prev_site, code FROM events ORDER BY id"
        ).fetchall(),
        "tally": q("SELECT * FROM readiness_tally ORDER BY 1, 2, 3, 4").fetchall(),
    }


def _result(r) -> dict:
    keep = ("rows", "created", "updated", "errors", "skipped", "notes", "hints", "warnings")
    return {k: getattr(r, k) for k in (*keep, "placed", "remarks", "map_values", "map_other")}


def _both(tmp_path, plan, monkeypatch, files, *, bulk_expected, **kwargs):
    """Import `files` in turn into two databases, with and without the bulk check; compare."""
    taken = []
    real = _CHECK

    def spy(*args):
        checked = real(*args)
        taken.append(checked is not None)
        return checked

    states = []
    for way in ("bulk", "loop"):
        db = store.open_db(tmp_path / f"{way}.db")
        if way == "bulk":
            monkeypatch.setattr(bulk, "check", spy)
        else:
            monkeypatch.setattr(bulk, "check", lambda *args: None)
        results = []
        for f in files:
            extra = dict(kwargs)
            if "write_map" in extra:
                extra["write_map"] = tmp_path / f"{way}-{extra['write_map']}"
            results.append(_result(import_file(db, plan, f, **extra)))
            if "write_map" in extra:
                results.append(Path(extra["write_map"]).read_text(encoding="utf-8"))
        states.append((results, _state(db)))
        db.close()
    assert states[0] == states[1]
    assert any(taken) == bulk_expected, taken
    return states[0]


def test_a_clean_file_with_every_column_goes_through_bulk_the_same(tmp_path, plan, monkeypatch):
    f = _write(tmp_path, "in.csv", FULL + "\n".join([*_rows(500), *_kit_rows()]) + "\n")
    ((results, state),) = [_both(tmp_path, plan, monkeypatch, [f], bulk_expected=True)]
    assert results[0]["errors"] == [] and results[0]["created"] == 503
    by_tag = {row[0]: row for row in state["assets"]}
    assert by_tag["T-00001"][5] == "bib_nord"  # a home given as another site's name
    assert by_tag["T-00000"][5] == "raadhus"  # no home: its site
    assert by_tag["P-2"][14] == "W-1"


def test_a_template_of_a_clean_file_counts_the_same(tmp_path, plan, monkeypatch):
    """--write-map lists every value with its rows: bulk counts them as the loop does."""
    f = _write(tmp_path, "in.csv", FULL + "\n".join(_rows(200)) + "\n")
    ((results, _),) = [_both(tmp_path, plan, monkeypatch, [f], bulk_expected=True, write_map="m")]
    assert "row(s)" in results[1]


def test_a_reimport_updating_assets_goes_through_bulk_the_same(tmp_path, plan, monkeypatch):
    first = _write(tmp_path, "a.csv", FULL + "\n".join(_rows(300)) + "\n")
    moved = [r.replace(",bib_syd,", ",raadhus,", 1) for r in _rows(300)]
    # Only some columns: the others keep what the first import wrote.
    second = _write(
        tmp_path,
        "b.csv",
        "tag,kind,name,site,step\n"
        + "\n".join(",".join(r.split(",")[i] for i in (0, 1, 2, 4, 5)) for r in moved)
        + "\n",
    )
    ((results, state),) = [_both(tmp_path, plan, monkeypatch, [first, second], bulk_expected=True)]
    assert results[1]["updated"] == 300 and results[1]["errors"] == []
    assert any(e[1] == "import" for e in state["events"])


@pytest.mark.parametrize(
    "body",
    [
        # Cells padded with spaces, a formula kept from a spreadsheet, Windows line ends.
        " T-1 , laptop ,'=SUM(A1), S1 ,raadhus,,,'+45 12 34\r\nT-2,headset,Hs,,bib_nord,,,\r\n",
        "T-1,laptop,A,,raadhus,,,\nT-2,laptop,B,,raadhus,,host.example:22,\n",
    ],
)
def test_spacing_quotes_and_line_ends_read_the_same(tmp_path, plan, monkeypatch, body):
    f = _write(tmp_path, "in.csv", "tag,kind,name,serial,site,step,hostname,notes\n" + body)
    _both(tmp_path, plan, monkeypatch, [f], bulk_expected=True)


@pytest.mark.parametrize(
    "rows",
    [
        ["T-1,laptop,A,,raadhus,,,", "T-1,laptop,B,,raadhus,,,"],  # a tag twice
        ["T-1,laptop,A,,raadhus,,,", "T 1,laptop,B,,raadhus,,,"],  # one label code
        ["LOC.1,laptop,A,,raadhus,,,"],  # a site label's prefix
        ["T-1,laptop,A,,atlantis,,,", "T-2,laptop,B,,atlantis,,,"],  # an unknown site
        ["T-1,laptop,A,,raadhus,lost,,", "T-2,laptopz,B,,raadhus,,,"],  # unknown step, kind
        ["T-1,laptop,,,raadhus,,,"],  # an empty name
        ["T-1,laptop,A,,raadhus,,bad host!,"],  # a host name
        ["T-1,laptop,A,,raadhus,,,", ",,,,,,,", "T-2,laptop,B,,raadhus,,,"],  # an empty row
        ['T-1,laptop,"A, quoted",,raadhus,,,'],  # a double quote: read row by row
    ],
)
def test_files_bulk_cannot_decide_go_through_the_loop_the_same(tmp_path, plan, monkeypatch, rows):
    f = _write(tmp_path, "in.csv", "tag,kind,name,serial,site,step,hostname,notes\n")
    f.write_text(f.read_text() + "\n".join(rows) + "\n", encoding="utf-8")
    _both(tmp_path, plan, monkeypatch, [f], bulk_expected=False)


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ("T-1,laptop,A,,raadhus,,,,,,,31-02-2023,,,,", "no such day"),
        ("T-1,laptop,A,,raadhus,,,,,,,,,,5,", "only stock kinds"),
        ("T-1,laptop,A,,raadhus,,,,,,,,,,x,", "whole number"),
        ("T-1,laptop,A,,raadhus,,,,,,,,Kommunen,,,", "department"),
        ("T-1,camera,A,,raadhus,,,,,,,,,T-1,,", "cannot belong to itself"),
        ("T-1,camera,A,,raadhus,,,,,,,,,NOPE,,", "no asset has this tag"),
    ],
)
def test_bad_details_are_reported_the_same(tmp_path, plan, monkeypatch, row, why):
    f = _write(tmp_path, "in.csv", FULL + "T-0,laptop,Z,,bib_nord,,,,,,,,,,,\n" + row + "\n")
    ((results, _),) = [
        _both(tmp_path, plan, monkeypatch, [f], bulk_expected=why.startswith("no a"))
    ]
    assert any(why in e for e in results[0]["errors"]), results[0]["errors"]


def test_a_mapping_and_a_template_come_out_the_same(tmp_path, plan, monkeypatch):
    body = "tag,kind,name,serial,site,step,hostname,notes\n" + "".join(
        f"T-{i},{['Bærbar', 'laptop'][i % 2]},N{i},,{['City Hall', 'raadhus'][i % 3 > 0]},,,\n"
        for i in range(40)
    )
    f = _write(tmp_path, "in.csv", body)
    _both(tmp_path, plan, monkeypatch, [f], bulk_expected=False, write_map="map.toml")
    m = _write(tmp_path, "map.toml", '[kinds]\n"Bærbar" = "laptop"\n[sites]\n"City Hall" = false\n')
    mapping = load_map(m, plan)
    _both(tmp_path, plan, monkeypatch, [f], bulk_expected=False, mapping=mapping)
    m2 = _write(tmp_path, "map2.toml", '[kinds]\n"Bærbar" = "laptop"\n"Unused" = "laptop"\n')
    mapping = load_map(m2, plan)
    body2 = body.replace("City Hall", "raadhus")
    f2 = _write(tmp_path, "in2.csv", body2)
    ((results, _),) = [
        _both(tmp_path, plan, monkeypatch, [f2], bulk_expected=True, mapping=mapping)
    ]
    assert results[0]["warnings"] and not results[0]["errors"]


def test_the_host_problem_is_the_loops(monkeypatch):
    problem = importer._host_problem(importer._HOSTNAME.match)
    for host in ("a.example", "a.example:22", "[::1]:22", "a..b", "a:b:c", "a.example:0"):
        assert problem(host) == importer.check_hostname(host), host
