"""Drawing labels: the QR code of a payload, and 1-bit page images of labels on a stock.

The payload is `codes.asset_payload(tag)` or `codes.site_payload(site_id)`: plain upper-case
text (no URL), all in QR alphanumeric mode, typed the same by a scanner on a US or a Danish
keyboard layout (see `codes`). The code is the smallest QR version that holds the payload at
error correction M, with the correction raised to Q or H when that still fits the same version:
M already survives a scuffed corner, and a larger version would only make the modules smaller,
which hurts a handheld scanner more than the extra correction helps. The quiet zone is four
modules, as the QR standard asks.

Pages are drawn as 1-bit images at the layout's resolution; `tracker.labels.pdf` puts them in a
PDF, `tracker.labels.make` in PNG and SVG files. Pillow and qrcode are imported here, never by
`tracker.cli`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError

from tracker.labels import text as label_text
from tracker.labels.layouts import Layout

if TYPE_CHECKING:
    from PIL import Image

QUIET_ZONE = 4


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
    """asset | site | step (a step card)"""
    key: str
    """The asset's tag, the site's id or the step."""
    payload: str
    heading: str
    lines: tuple[str, ...]
    footer: str


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
    for run in text_runs(label, layout):
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


def text_runs(label: Label, layout: Layout) -> list[label_text.TextRun]:
    return label_text.place(
        label.heading, label.lines, label.footer, layout, 1 if label.kind == "asset" else 2
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
