"""Labels for assets and sites: what each carries, and the PDF sheets, PNG and SVG files of them.

Which labels (`select`) and where they go (`write`); the drawing itself is in
`tracker.labels.pages`, the PDF writer in `tracker.labels.pdf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from tracker import codes, store
from tracker.files import replaced_atomically
from tracker.labels import text as label_text
from tracker.labels.layouts import LAYOUTS, Layout
from tracker.labels.pages import (
    Label,
    LabelError,
    label_image,
    qr_matrix,
    qr_placement,
    text_runs,
)

if TYPE_CHECKING:
    from tracker.database import Database
    from tracker.plan import Plan

_BOLD = ' font-weight="bold"'
FORMATS = (".pdf", ".png", ".svg")


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


STEP_CARD_LINES = {
    "auto": ("the move decides each step", "(manifest and the asset's state)"),
    "packed": ("every scan after this: packed",),
    "arrived": ("every scan after this: arrived",),
    "installed": ("every scan after this: installed",),
    "faulty": ("every scan after this: faulty",),
    "missing": ("every scan after this: missing",),
    "in_service": ("every scan after this: in service",),
}
"""What a step card says under its heading; the card sets the scan station's step."""


def step_label(step: str, plan: Plan) -> Label:
    """A step card: scanning it sets the scan screen's step (`codes.STEP_KEYS`)."""
    return Label(
        "step",
        step,
        codes.step_payload(step),
        f"STEP: {step.replace('_', ' ').upper()}",
        STEP_CARD_LINES[step],
        f"{plan.municipality_short} · trin",
    )


def select(
    db: Database,
    plan: Plan,
    tags: Sequence[str] = (),
    all_assets: bool = False,
    sites: bool = False,
    steps: bool = False,
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
        elif code is not None and code.kind == "step":
            out.append(step_label(code.key, plan))
        elif (asset := store.find_asset(db, tag)) is not None:
            out.append(asset_label(asset, plan))
        else:
            missing.append(tag)
    if missing:
        names = ", ".join(repr(t) for t in missing)
        raise LabelError(f"no asset with tag {names}; no labels were written")
    if sites:
        out += [site_label(s, plan) for s in plan.sites]
    if steps:
        out += [step_label(s, plan) for s in STEP_CARD_LINES]
    return out


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
    with replaced_atomically(path, suffix[1:]) as tmp:
        if suffix == ".pdf":
            from tracker.labels.pdf import write_pdf

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
        for run in text_runs(label, layout)
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
