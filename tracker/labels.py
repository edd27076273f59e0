"""QR labels for assets and sites: what each carries, and PDF sheets, PNG and SVG files of them.

The payload is `codes.asset_payload(tag)` or `codes.site_payload(site_id)`: plain upper-case
text (no URL), all in QR alphanumeric mode, typed the same by a scanner on a US or a Danish
keyboard layout (see `codes`). The code is the smallest QR version that holds the payload at
error correction M, with the correction raised to Q or H when that still fits the same version:
M already survives a scuffed corner, and a larger version would only make the modules smaller,
which hurts a handheld scanner more than the extra correction helps. The quiet zone is four
modules, as the QR standard asks.

Pages are drawn as 1-bit images at the layout's resolution; `label_pdf` puts them in a PDF.
Pillow and qrcode are imported here, never by `tracker.cli`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError

from tracker import codes, label_text, store
from tracker.files import replaced_atomically
from tracker.label_layouts import LAYOUTS, Layout

if TYPE_CHECKING:
    from PIL import Image
    from sqlite_utils import Database

    from tracker.plan import Plan

QUIET_ZONE = 4
_BOLD = ' font-weight="bold"'
FORMATS = (".pdf", ".png", ".svg")


class LabelError(ValueError):
    """Labels that cannot be made (unknown tag, bad file name); the message says which."""


def qr_code(payload: str) -> qrcode.QRCode:
    """The QR code of `payload`: smallest version at level M, correction boosted if free."""
    qr = qrcode.QRCode(version=None, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    qr.add_data(payload)
    try:
        version = qr.best_fit()
    except (ValueError, DataOverflowError):  # qrcode says "Invalid version (was 41 ...)"
        raise LabelError(
            f"{payload[:20]}...: {len(payload)} characters do not fit in a QR code"
        ) from None
    for level in (ERROR_CORRECT_H, ERROR_CORRECT_Q):
        qr.error_correction = level
        if qr.best_fit(start=version) == version:
            break
    else:
        qr.error_correction = ERROR_CORRECT_M
    qr.version = version
    qr.make(fit=False)
    return qr


def qr_matrix(payload: str, border: int = QUIET_ZONE) -> list[list[bool]]:
    """The modules of `payload`'s code, `border` quiet modules around it (True = dark)."""
    matrix = qr_code(payload).get_matrix()
    trim = QUIET_ZONE - border
    if trim > 0:
        matrix = [row[trim:-trim] for row in matrix[trim:-trim]]
    elif trim < 0:
        pad = [False] * -trim
        wide = len(matrix[0]) - 2 * trim
        matrix = [
            *([False] * wide for _ in range(-trim)),
            *([*pad, *row, *pad] for row in matrix),
            *([False] * wide for _ in range(-trim)),
        ]
    return [list(row) for row in matrix]


@dataclass(frozen=True)
class Label:
    """One label's content. `kind` and `key` say what a scan of it must find."""

    kind: str
    """asset | site"""
    key: str
    """The asset's tag or the site's id."""
    payload: str
    heading: str
    lines: tuple[str, ...]
    footer: str


def asset_label(asset: store.Asset, plan: Plan) -> Label:
    kind = plan.kinds[asset.kind].name if asset.kind in plan.kinds else asset.kind
    return Label(
        "asset",
        asset.tag,
        codes.asset_payload(asset.tag),
        asset.tag,
        (asset.name, kind),
        plan.municipality_short,
    )


def site_label(site_id: str, plan: Plan) -> Label:
    site = plan.sites[site_id]
    lines = (site.address,) if site.address else ()
    return Label(
        "site",
        site_id,
        codes.site_payload(site_id),
        site.name,
        lines,
        f"{plan.municipality_short} · lokation",
    )


def select(
    db: Database,
    plan: Plan,
    tags: Sequence[str] = (),
    all_assets: bool = False,
    sites: bool = False,
) -> list[Label]:
    """The labels asked for, in order: named tags, or every asset, and/or every site.

    A tag may be given as printed or as its label payload; a site's payload (`LOC.BIBNORD`)
    names that site. Raises LabelError naming every tag that matches nothing.
    """
    out: list[Label] = []
    if all_assets:
        out += [asset_label(a, plan) for a in store.assets(db, order_by="tag")]
    site_keys = {codes.key_for(s): s for s in plan.sites}
    missing = []
    for tag in tags:
        code = codes.parse(tag)
        if code is not None and code.kind == "site" and code.key in site_keys:
            out.append(site_label(site_keys[code.key], plan))
        elif (asset := store.find_asset(db, tag)) is not None:
            out.append(asset_label(asset, plan))
        else:
            missing.append(tag)
    if missing:
        names = ", ".join(repr(t) for t in missing)
        raise LabelError(f"no asset with tag {names}; no labels were written")
    if sites:
        out += [site_label(s, plan) for s in plan.sites]
    return out


# --- drawing ----------------------------------------------------------------------------------


def _px(mm: float, dpi: int) -> int:
    return round(mm * dpi / 25.4)


def qr_placement(layout: Layout, modules: int) -> tuple[int, int, int]:
    """(x, y, module) in pixels within a label: whole pixels per module, centred in the box."""
    box = _px(layout.qr_box, layout.dpi)
    module = box // modules
    size = module * modules
    x = _px(layout.qr_pad, layout.dpi) + (box - size) // 2
    y = (_px(layout.label_h, layout.dpi) - size) // 2
    return x, y, module


def draw_label(page: Image.Image, label: Label, layout: Layout, at: tuple[int, int]) -> None:
    """Draw `label` onto the 1-bit `page` with its top-left corner at pixel `at`."""
    from PIL import Image

    matrix = qr_matrix(label.payload)
    n = len(matrix)
    code = Image.frombytes("1", (n, n), _pack(matrix))
    x, y, module = qr_placement(layout, n)
    page.paste(
        code.resize((n * module, n * module), Image.Resampling.NEAREST), (at[0] + x, at[1] + y)
    )
    dpi = layout.dpi
    for run in _runs(label, layout):
        stamp, (dx, dy) = _stamp(run.text, run.bold, round(run.size * dpi / 25.4 * 2) / 2)
        x = round(at[0] + run.x * dpi / 25.4) + dx
        y = round(at[1] + run.baseline * dpi / 25.4) + dy
        page.paste(0, (x, y, x + stamp.width, y + stamp.height), stamp)


@lru_cache(maxsize=512)
def _stamp(text: str, bold: bool, px: float) -> tuple[Image.Image, tuple[int, int]]:
    """`text` drawn once as a mask, and its offset from the baseline start: kind names and the
    municipality repeat on every label, and drawing text is a third of the time per label."""
    from PIL import Image, ImageDraw

    font = label_text.font(bold, px)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=1, anchor="ls")
    return mask, (left, top)


def _pack(matrix: list[list[bool]]) -> bytes:
    """Rows of modules as 1-bit image data (a set bit is white)."""
    out = bytearray()
    for row in matrix:
        bits = "".join("0" if dark else "1" for dark in row)
        bits += "1" * (-len(bits) % 8)
        out += int(bits, 2).to_bytes(len(bits) // 8, "big")
    return bytes(out)


def _runs(label: Label, layout: Layout) -> list[label_text.TextRun]:
    return label_text.place(
        label.heading, label.lines, label.footer, layout, 2 if label.kind == "site" else 1
    )


def label_image(label: Label, layout: Layout) -> Image.Image:
    """One label as a 1-bit image of the label's size."""
    from PIL import Image

    size = (_px(layout.label_w, layout.dpi), _px(layout.label_h, layout.dpi))
    img = Image.new("1", size, 1)
    draw_label(img, label, layout, (0, 0))
    return img


def page_images(labels: Sequence[Label], layout: Layout) -> Iterator[Image.Image]:
    """The pages of a print run, one at a time (an A4 page takes 9 MB in memory)."""
    from PIL import Image

    size = (_px(layout.page_w, layout.dpi), _px(layout.page_h, layout.dpi))
    origins = [(_px(x, layout.dpi), _px(y, layout.dpi)) for x, y in layout.origins()]
    for start in range(0, len(labels), layout.per_page):
        page = Image.new("1", size, 1)
        for label, at in zip(labels[start : start + layout.per_page], origins, strict=False):
            draw_label(page, label, layout, at)
        yield page


# --- files ------------------------------------------------------------------------------------


def write(
    labels: Sequence[Label],
    path: str | Path,
    layout: str | Layout = "a4-3x7",
    workers: int | None = None,
) -> int:
    """Write `labels` to `path` (.pdf: pages of `layout`; .png/.svg: one label). Returns pages.

    The file appears complete or not at all: it is written beside and renamed into place.
    """
    lay = layout if isinstance(layout, Layout) else LAYOUTS[layout]
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise LabelError(
            f"{path}: unknown file type {path.suffix or '(none)'!r}; use .pdf, .png or .svg"
        )
    if not labels:
        raise LabelError("no labels to write")
    if suffix != ".pdf" and len(labels) != 1:
        raise LabelError(
            f"{path}: a {suffix[1:].upper()} file holds one label, not {len(labels)}; "
            "use a .pdf file for several"
        )
    with replaced_atomically(path) as tmp:
        if suffix == ".pdf":
            from tracker.label_pdf import write_pdf

            pages = write_pdf(labels, lay, tmp, workers)
        elif suffix == ".png":
            label_image(labels[0], lay).save(tmp, "PNG", dpi=(lay.dpi, lay.dpi))
            pages = 1
        else:
            tmp.write_text(label_svg(labels[0], lay), encoding="utf-8")
            pages = 1
    return pages


def label_svg(label: Label, layout: Layout) -> str:
    """One label as SVG in millimetres: the code as black rectangles, the text as text."""
    matrix = qr_matrix(label.payload)
    x, y, module = qr_placement(layout, len(matrix))
    mm = 25.4 / layout.dpi
    rects = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                rects.append(f'<rect x="{start}" y="{r}" width="{c - start}" height="1"/>')
            c += 1
    texts = [
        f'<text x="{run.x:.2f}" y="{run.baseline:.2f}" font-size="{run.size:.2f}"'
        f"{_BOLD if run.bold else ''}>{escape(run.text)}</text>"
        for run in _runs(label, layout)
    ]
    w, h = layout.label_w, layout.label_h
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm"'
            f' viewBox="0 0 {w} {h}">',
            f"<title>{escape(label.payload)}</title>",
            f'<rect width="{w}" height="{h}" fill="#fff"/>',
            f'<g fill="#000" shape-rendering="crispEdges" transform="translate({x * mm:.4f} '
            f'{y * mm:.4f}) scale({module * mm:.5f})">',
            *rects,
            "</g>",
            f'<g fill="#000" font-family="{label_text.SVG_FAMILY}">',
            *texts,
            "</g>",
            "</svg>",
            "",
        ]
    )
