"""QR labels: every code is read back by a real decoder (zxing-cpp) and the text it yields goes
through the scan code path to exactly the asset or site the label was made for. Page geometry is
checked against the label stock's millimetres, on pages rendered from the written PDF by
poppler's pdftoppm and on the page images before they are encoded.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import qrcode.util
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, PdfParser
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q

from tracker import codes, scan, store
from tracker.labels import make, pdf
from tracker.labels import pages as label_pages
from tracker.labels import text as label_text
from tracker.labels.layouts import LAYOUTS, Layout
from tracker.plan import PlanError, default_plan_path, load_plan

MM_PER_PT = 25.4 / 72
# The label stock as sold, in mm: sheet, one label, columns x rows, first label's top-left.
# The labels touch, so the pitch is the label size.
STOCK = {
    "a4-3x7": ((210, 297), (70, 42.3), (3, 7), (0, 0.45)),
    "a4-2x5": ((210, 297), (105, 57), (2, 5), (0, 6)),
    "ql-62mm": ((62, 40), (62, 40), (1, 1), (0, 0)),
}


def decode(img: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)


def resolve(db, plan, text: str) -> tuple[str, str]:
    """What the real scan code path makes of `text`: ('asset', tag) or ('site', site id)."""
    result = scan.scan(db, plan, text, site="it_lager", step="arrived", operator="t", station="s")
    if result.outcome == "site":
        return "site", result.site_id
    assert result.outcome in ("recorded", "repeat"), result.message
    return "asset", result.asset.tag


@pytest.fixture
def every_label(seeded_db, plan) -> list[label_pages.Label]:
    chosen = make.select(seeded_db, plan, all_assets=True, sites=True)
    assert len(chosen) == store.count_assets(seeded_db) + len(plan.sites)
    return chosen


# --- the code itself --------------------------------------------------------------------------


def test_codes_are_smallest_alphanumeric_with_quiet_zone(every_label):
    for label in every_label:
        qr = label_pages.qr_code(label.payload)
        assert [d.mode for d in qr.data_list] == [qrcode.util.MODE_ALPHA_NUM], label.payload
        at_m = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
        at_m.add_data(label.payload)
        assert qr.version == at_m.best_fit() == 1, label.payload  # all sample payloads fit v1
        # The correction level is M or better (Q, H are boosts that keep the version).
        assert qr.error_correction in (ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H)
        matrix = label_pages.qr_matrix(label.payload)
        n = 17 + 4 * qr.version + 2 * 4
        assert len(matrix) == n and all(len(row) == n for row in matrix)
        ring = matrix[:4] + matrix[-4:] + [row[:4] + row[-4:] for row in matrix]
        assert not any(any(row) for row in ring), "quiet zone must be four light modules"
        assert matrix[4][4] and matrix[4][n - 5] and matrix[n - 5][4]  # finder corners


def test_correction_boost_never_costs_a_version():
    short, longer = label_pages.qr_code("EKSPAS001"), label_pages.qr_code("LOC.HOVEDBIBLIOTEK")
    assert (short.version, short.error_correction) == (1, ERROR_CORRECT_H)  # 9 chars fit v1 at H
    assert (longer.version, longer.error_correction) == (1, ERROR_CORRECT_M)  # 18 need M for v1
    long_tag = label_pages.qr_code("A" * 60)
    at_m = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    at_m.add_data("A" * 60)
    assert long_tag.version == at_m.best_fit()


def test_qr_matrix_border_for_the_terminal():
    full = label_pages.qr_matrix("EKSPAS001")
    assert label_pages.qr_matrix("EKSPAS001", border=2) == [row[2:-2] for row in full[2:-2]]
    wide = label_pages.qr_matrix("EKSPAS001", border=6)
    assert len(wide) == len(full) + 4 and [row[2:-2] for row in wide[2:-2]] == full


# --- what a scan of each label finds ----------------------------------------------------------


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_label_on_every_page_decodes_to_its_asset(layout, every_label, seeded_db, plan):
    """In-process pages (exactly what goes into the PDF), checked pixel for pixel as well."""
    lay = LAYOUTS[layout]
    pages = list(label_pages.page_images(every_label, lay))
    assert len(pages) == -(-len(every_label) // lay.per_page)
    for number, page in enumerate(pages):
        on_page = every_label[number * lay.per_page : (number + 1) * lay.per_page]
        found = _codes_by_cell(page, lay, lay.dpi)
        assert sorted(found) == list(range(len(on_page))), f"page {number + 1}"
        for cell, label in enumerate(on_page):
            assert found[cell] == label.payload
            assert resolve(seeded_db, plan, found[cell]) == (label.kind, label.key)
            _assert_code_pixels_exact(page, label, lay, cell)
        _assert_blank_edges(page, lay)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_written_pdf_renders_and_every_code_resolves(
    layout, every_label, seeded_db, plan, tmp_path
):
    """The PDF as a viewer sees it: pdftoppm renders each page, zxing reads every code.

    Not skipped without pdftoppm: a skip in CI would leave the written PDF untested unnoticed.
    """
    assert shutil.which("pdftoppm"), "needs pdftoppm: apt install poppler-utils"
    pdf = tmp_path / "labels.pdf"
    lay = LAYOUTS[layout]
    pages = make.write(every_label, pdf, lay)
    dpi = 200
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    images = sorted(tmp_path.glob("p-*.png"))
    assert len(images) == pages == -(-len(every_label) // lay.per_page)
    seen = []
    for number, path in enumerate(images):
        page = Image.open(path)
        assert abs(page.width * 25.4 / dpi - lay.page_w) < 0.3
        assert abs(page.height * 25.4 / dpi - lay.page_h) < 0.3
        on_page = every_label[number * lay.per_page : (number + 1) * lay.per_page]
        centres: dict[int, tuple[float, float]] = {}
        found = _codes_by_cell(page, lay, dpi, centres)
        assert [found.get(i) for i in range(len(on_page))] == [x.payload for x in on_page]
        seen += [resolve(seeded_db, plan, found[i]) for i in range(len(on_page))]
        _assert_pitch_is_the_stocks(layout, centres)
    assert seen == [(x.kind, x.key) for x in every_label]


def _assert_pitch_is_the_stocks(layout: str, centres: dict[int, tuple[float, float]]) -> None:
    """Codes of the same kind sit one stock label width / height apart, measured on paper."""
    (page_w, page_h), (w, h), (cols, _rows), (left, top) = STOCK[layout]
    x0, y0 = centres[0]
    assert left < x0 < left + w and top < y0 < top + h
    for cell, (x, y) in centres.items():
        row, col = divmod(cell, cols)
        assert abs(x - x0 - col * w) < 0.3 and abs(y - y0 - row * h) < 0.3, (cell, x, y)


def _codes_by_cell(
    page: Image.Image, lay: Layout, dpi: float, centres: dict | None = None
) -> dict[int, str]:
    """Decoded text per label cell; each code's centre must sit where the layout puts it."""
    found: dict[int, str] = {}
    for code in decode(page):
        p = code.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        cx = sum(c.x for c in corners) / 4 * 25.4 / dpi
        cy = sum(c.y for c in corners) / 4 * 25.4 / dpi
        cell = _cell_at(lay, cx, cy)
        ox, oy = lay.origins()[cell]
        n = len(label_pages.qr_matrix(code.text))
        qx, qy, module = label_pages.qr_placement(lay, n)
        want_x = ox + (qx + n * module / 2) * 25.4 / lay.dpi
        want_y = oy + (qy + n * module / 2) * 25.4 / lay.dpi
        assert abs(cx - want_x) < 0.5 and abs(cy - want_y) < 0.5, (code.text, cx, cy)
        assert cell not in found, f"two codes in label {cell}"
        found[cell] = code.text
        if centres is not None:
            centres[cell] = (cx, cy)
    return found


def _cell_at(lay: Layout, x: float, y: float) -> int:
    col = int((x - lay.left) // lay.pitch_x)
    row = int((y - lay.top) // lay.pitch_y)
    assert 0 <= col < lay.cols and 0 <= row < lay.rows, (x, y)
    return row * lay.cols + col


def _assert_code_pixels_exact(page: Image.Image, label: label_pages.Label, lay: Layout, cell: int):
    """The code, quiet zone included, is exactly the matrix: no text or edge runs into it."""
    matrix = label_pages.qr_matrix(label.payload)
    n = len(matrix)
    qx, qy, module = label_pages.qr_placement(lay, n)
    ox, oy = (round(v * lay.dpi / 25.4) for v in lay.origins()[cell])
    crop = page.crop((ox + qx, oy + qy, ox + qx + n * module, oy + qy + n * module))
    small = crop.resize((n, n), Image.Resampling.NEAREST)
    assert [[small.getpixel((c, r)) == 0 for c in range(n)] for r in range(n)] == matrix
    assert crop == small.resize(crop.size, Image.Resampling.NEAREST)
    assert module * 25.4 / lay.dpi >= 0.8, "modules under 0.8 mm are hard for handheld scanners"


def _assert_blank_edges(page: Image.Image, lay: Layout) -> None:
    """Nothing is printed within 1 mm of a label's edge, nor (on A4) within 4 mm of the sheet's
    edge, where office printers do not print."""
    px = lay.dpi / 25.4
    draw = ImageDraw.Draw(inside := Image.new("1", page.size, 0))
    for x, y in lay.origins():
        draw.rectangle(
            (
                round((x + 1) * px),
                round((y + 1) * px),
                round((x + lay.label_w - 1) * px),
                round((y + lay.label_h - 1) * px),
            ),
            fill=1,
        )
    if lay.page_w == 210:  # A4 sheets: the printer's unprintable border
        m = round(4 * px)
        draw.rectangle((0, 0, page.width, m), fill=0)
        draw.rectangle((0, page.height - m, page.width, page.height), fill=0)
        draw.rectangle((0, 0, m, page.height), fill=0)
        draw.rectangle((page.width - m, 0, page.width, page.height), fill=0)
    ink = ImageChops.invert(page.convert("L"))  # dark pixels bright
    outside = ImageChops.invert(inside.convert("L"))
    assert ImageChops.multiply(ink, outside).getbbox() is None


# --- page geometry ----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(STOCK))
def test_layout_matches_label_stock(layout, tmp_path, every_label):
    page, label, grid, first = STOCK[layout]
    lay = LAYOUTS[layout]
    assert (lay.page_w, lay.page_h) == page
    assert (lay.label_w, lay.label_h) == label
    assert (lay.cols, lay.rows) == grid and (lay.pitch_x, lay.pitch_y) == label
    assert (lay.left, lay.top) == first
    # The grid is centred on the sheet and every label lies on it.
    right = lay.left + (lay.cols - 1) * lay.pitch_x + lay.label_w
    bottom = lay.top + (lay.rows - 1) * lay.pitch_y + lay.label_h
    assert lay.left == pytest.approx(lay.page_w - right)
    assert lay.top == pytest.approx(lay.page_h - bottom)
    # The PDF's pages are the stock's size in points, and the image fills each page.
    pdf = tmp_path / "l.pdf"
    count = make.write(every_label, pdf, layout)
    reader = PdfParser.PdfParser(str(pdf))
    assert len(reader.pages) == count
    for ref in reader.pages:
        box = reader.read_indirect(ref)[b"MediaBox"]
        assert box[0] == box[1] == 0
        assert box[2] * MM_PER_PT == pytest.approx(lay.page_w, abs=0.01)
        assert box[3] * MM_PER_PT == pytest.approx(lay.page_h, abs=0.01)
    reader.close()


def test_a_worker_that_dies_is_replaced_by_drawing_here(every_label, tmp_path, monkeypatch):
    """A worker killed mid-run (the out-of-memory killer) used to fail the whole command."""
    assert multiprocessing.get_start_method() == "fork"  # the patch below reaches the workers
    parent, real = os.getpid(), pdf.page_images

    def dies_in_a_worker(*args):
        if os.getpid() != parent:
            os._exit(9)
        return real(*args)

    monkeypatch.setattr(pdf, "page_images", dies_in_a_worker)
    many = every_label * 4
    broken, one = tmp_path / "broken.pdf", tmp_path / "one.pdf"
    pages = -(-len(many) // 21)  # 21 labels on an A4 3x7 sheet
    assert make.write(many, broken, "a4-3x7", workers=2) == pages
    assert make.write(many, one, "a4-3x7", workers=1) == pages
    assert broken.read_bytes() == one.read_bytes()


def test_a_payload_too_long_for_any_qr_code_is_a_label_error(tmp_path):
    label = label_pages.Label("asset", "A", "A" * 4000, "A", (), "EKS")
    with pytest.raises(label_pages.LabelError, match="4000 characters do not fit"):
        make.write([label], tmp_path / "long.pdf", workers=1)
    assert list(tmp_path.iterdir()) == []


def test_pages_drawn_by_several_processes_match_one_process(every_label, tmp_path):
    many = every_label * 4  # several tasks' worth of pages
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    pages = -(-len(many) // 21)
    assert make.write(many, one, "a4-3x7", workers=1) == pages > 7
    assert make.write(many, two, "a4-3x7", workers=2) == pages
    assert one.read_bytes() == two.read_bytes()


# --- single labels ----------------------------------------------------------------------------


def test_png_label_from_the_command_line(run_tracker, seeded_db, plan, tmp_path):
    out = tmp_path / "one.png"
    r = run_tracker("labels", "eks-pas-001", "--out", str(out), "--layout", "ql-62mm")
    assert r.returncode == 0, r.stderr
    assert "EKS-PAS-001" in r.stdout
    img = Image.open(out)
    dpi = img.info["dpi"][0]
    assert img.width * 25.4 / dpi == pytest.approx(62, abs=0.1)
    assert img.height * 25.4 / dpi == pytest.approx(40, abs=0.1)
    (code,) = decode(img)
    assert resolve(seeded_db, plan, code.text) == ("asset", "EKS-PAS-001")


def test_svg_site_label_draws_a_readable_code(run_tracker, seeded_db, plan, tmp_path):
    out = tmp_path / "site.svg"
    r = run_tracker("labels", "LOC.HOVEDBIBLIOTEK", "--out", str(out), "--layout", "a4-2x5")
    assert r.returncode == 0, r.stderr
    root = ET.parse(out).getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert (root.get("width"), root.get("height")) == ("105.0mm", "57.0mm")
    texts = [t.text for t in root.iterfind(".//s:text", ns)]
    assert "Hovedbiblioteket" in texts and "Biblioteksvej 2" in texts
    # Draw the code's rectangles as the SVG places them, 10 px per mm, and decode that.
    group = root.find(".//s:g[@transform]", ns)
    translate, scale = group.get("transform").replace(")", "").split(" scale(")
    tx, ty = (float(v) for v in translate.removeprefix("translate(").split())
    k = float(scale) * 10
    img = Image.new("L", (1050, 570), 255)
    draw = ImageDraw.Draw(img)
    for rect in group.iterfind("s:rect", ns):
        x, y, w = (float(rect.get(a)) for a in ("x", "y", "width"))
        x0, y0 = tx * 10 + x * k, ty * 10 + y * k
        draw.rectangle((x0, y0, x0 + w * k - 1, y0 + k - 1), fill=0)
    (code,) = decode(img)
    assert code.text == "LOC.HOVEDBIBLIOTEK"
    assert resolve(seeded_db, plan, code.text) == ("site", "hovedbibliotek")


def test_control_characters_in_a_name_show_as_escapes(run_tracker, fresh_db, tmp_path):
    """ESC and BEL have no glyph and are not allowed in XML: one in an imported name used to
    make the SVG file unreadable."""
    csv = tmp_path / "odd.csv"
    row = 'EKS-ODD-001,laptop,"Bærbar \x1b[31mrød\x07 <b>&",SN1,raadhus,in_service,,'
    csv.write_text("tag,kind,name,serial,site,step,hostname,notes\n" + row + "\n")
    assert run_tracker("import", str(csv)).returncode == 0
    out = tmp_path / "odd.svg"
    r = run_tracker("labels", "EKS-ODD-001", "--out", str(out))
    assert r.returncode == 0, r.stderr
    texts = [t.text for t in ET.parse(out).getroot().iter("{http://www.w3.org/2000/svg}text")]
    assert texts[1:3] == ["Bærbar", "\\x1b[31mrød\\x07 <b>&"]  # the name, on two lines


def test_svg_escapes_names(plan):
    label = label_pages.Label("asset", "X-1", "X1", "X-1", ("a <b> & 'c'", "[red]kind"), "EKS")
    svg = make.label_svg(label, LAYOUTS["a4-3x7"])
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "a <b> & 'c'" in texts and "[red]kind" in texts


# --- text -------------------------------------------------------------------------------------


def test_danish_letters_print_or_are_spelt_out(monkeypatch):
    # Required, not skipped: without a font CI would only ever test the ASCII fallback.
    assert label_text.font_file(False) and label_text.font_file(True), (
        "no TrueType font with æøå: apt install fonts-dejavu-core"
    )
    font = label_text.font(False, 40)
    assert label_text.covers(font, "æøåÆØÅ")
    assert label_text.printable("Rådhuset,  kælderen") == "Rådhuset, kælderen"
    monkeypatch.setattr(label_text, "font_file", lambda bold: None)
    assert label_text.printable("Rådhuset Kælder Øst") == "Raadhuset Kaelder Oest"


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_long_text_stays_inside_the_label(layout):
    lay = LAYOUTS[layout]
    long = "Pasarbejdsstation med fingeraftrykslæser, signaturplade og fotostander " * 3
    runs = label_text.place("EKS-PASSTATION-000000001", (long, long), "EKS", lay)
    right = lay.label_w - lay.text_margin
    assert runs[0].text.startswith("EKS-PAS") and runs[0].bold
    assert runs[-1].text == "EKS"
    for run in runs:
        assert run.x + label_text.width(run.text, run.size, run.bold) <= right + 0.05
        assert run.baseline - label_text.ascent(run.size, run.bold) >= lay.text_margin - 0.05
        bottom = lay.label_h - lay.text_margin
        assert run.baseline + label_text.descent(run.size, run.bold) <= bottom + 0.05
    assert any(run.text.endswith(label_text.ELLIPSIS) for run in runs)
    tops = [r.baseline for r in runs]
    assert tops == sorted(tops), "lines must not overlap"


# --- scanners on the other keyboard layout ----------------------------------------------------

# What each key types, by position: US layout -> Danish layout (letters and digits agree).
_US = "-=[];'\\,./`" + '_+{}:"|<>?~!@#$%^&*()'
_DK = "+´å¨æø',.-½" + '?`Å^ÆØ*;:_§!"#¤%&/()='
US_ON_DK = str.maketrans(_US, _DK)
DK_ON_US = str.maketrans(_DK, _US)


def test_payloads_survive_a_scanner_set_to_the_other_layout(every_label, seeded_db, plan):
    for label in every_label:
        for typed in (label.payload.translate(US_ON_DK), label.payload.translate(DK_ON_US)):
            assert typed == label.payload
            assert resolve(seeded_db, plan, typed) == (label.kind, label.key)


def test_two_sites_that_would_share_a_label_are_refused(tmp_path):
    """`bib_nord` and `bibnord` both print LOC.BIBNORD; a scan of the second site's label used
    to switch to the first site."""
    src = default_plan_path().read_text(encoding="utf-8")
    twin = '[[sites]]\nid = "bibnord"\nname = "Nordby filial"\nfunctions = []\n\n'
    bad = tmp_path / "plan.toml"
    bad.write_text(src.replace("[[sites]]", twin + "[[sites]]", 1), encoding="utf-8")
    with pytest.raises(
        PlanError, match=r"sites\[3\]\.id: 'bib_nord' .* as 'bibnord' \(LOC\.BIBNORD\)"
    ):
        load_plan(bad)


def test_a_dashed_tag_typed_through_the_wrong_layout_still_resolves(seeded_db, plan):
    assert "EKS-PAS-001".translate(US_ON_DK) == "EKS+PAS+001"
    assert "EKS-PAS-001".translate(DK_ON_US) == "EKS/PAS/001"
    for typed in ("EKS+PAS+001", "EKS/PAS/001", "eks-pas-001"):
        assert resolve(seeded_db, plan, typed) == ("asset", "EKS-PAS-001")
    assert codes.parse("LOC,BIBNORD") == codes.parse("LOC.BIBNORD")


# --- command line -----------------------------------------------------------------------------


def test_unknown_tag_names_it_and_writes_nothing(run_tracker, seeded_db, tmp_path):
    out = tmp_path / "labels.pdf"
    r = run_tracker("labels", "EKS-PAS-001", "NOPE-77", "--out", str(out))
    assert r.returncode == 2
    assert "NOPE-77" in r.stderr and "EKS-PAS-001" not in r.stderr
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_bad_out_suffix_is_refused(run_tracker, seeded_db, tmp_path):
    r = run_tracker("labels", "--all", "--out", str(tmp_path / "labels.jpg"))
    assert r.returncode == 2
    assert "labels.jpg" in r.stderr and ".pdf, .png or .svg" in r.stderr
    assert not list(tmp_path.glob("labels*"))


def test_png_holds_one_label_only(run_tracker, seeded_db, tmp_path):
    r = run_tracker("labels", "--sites", "--out", str(tmp_path / "s.png"))
    assert r.returncode == 2 and "holds one label" in r.stderr
    assert not (tmp_path / "s.png").exists()


def test_nothing_selected_is_a_usage_error(run_tracker, seeded_db, tmp_path):
    r = run_tracker("labels", "--out", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "--all" in r.stderr


def test_all_and_sites_to_one_pdf(run_tracker, seeded_db, plan, tmp_path):
    out = tmp_path / "all.pdf"
    r = run_tracker("labels", "--all", "--sites", "--out", str(out), "--layout", "a4-2x5")
    assert r.returncode == 0, r.stderr
    total = store.count_assets(seeded_db) + len(plan.sites)
    assert f"wrote {total} label(s) on {-(-total // 10)} page(s)" in r.stdout
    assert "100 %" in r.stdout


def test_cli_start_does_not_load_pillow_or_qrcode():
    code = (
        "import sys, tracker.cli; tracker.cli.build_parser(); "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('PIL', 'qrcode')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""


def test_labels_module_does_not_load_textual():
    code = "import sys, tracker.labels.make; print('textual' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


def test_step_cards_set_the_step_from_the_scanner(run_tracker, seeded_db, plan, tmp_path):
    """`tracker labels --steps`: each card's QR code, read by a real decoder, sets its step."""
    r = run_tracker("labels", "--steps", "--out", str(tmp_path / "steps.pdf"))
    assert r.returncode == 0 and "wrote 7 label(s)" in r.stdout, r.stderr
    for step in ("auto", "arrived", "in_service"):
        png = tmp_path / f"{step}.png"
        r = run_tracker("labels", codes.step_payload(step), "--out", str(png))
        assert r.returncode == 0, r.stderr
        (found,) = decode(Image.open(png))
        result = scan.scan(seeded_db, plan, found.text, site="raadhus", step="packed")
        assert (result.outcome, result.step_id) == ("step", step)
