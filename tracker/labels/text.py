"""The plain-text part of a label: which font, what size, where each line goes.

Placement is computed once in millimetres and drawn by both the raster (PDF, PNG) and the SVG
writer, so all outputs agree. Long text shrinks a little, then is cut with an ellipsis: a label
never prints outside its own edges.

Pillow's built-in scalable font has no æ, ø or å (they print as boxes), so a system TrueType font
that has them is used (DejaVu Sans, Liberation Sans or Arial, or $TRACKER_LABEL_FONT and
$TRACKER_LABEL_FONT_BOLD). Without one, Danish letters are written the Danish way in ASCII
(æ -> ae, ø -> oe, å -> aa) so names stay readable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from tracker.textsafe import visible

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

    from tracker.labels.layouts import Layout

_REGULAR = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "arial.ttf", "Arial.ttf")
_BOLD = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "arialbd.ttf", "Arial Bold.ttf")
_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/liberation",
    "C:/Windows/Fonts",
    "/Library/Fonts",
    "/System/Library/Fonts/Supplemental",
)
DANISH = "æøåÆØÅ"
_ASCII_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_REF_PX = 100
"""Size at which text is measured; widths scale with the size."""
ELLIPSIS = "…"
LINE = 1.2
"""Line height as a multiple of the font size."""
SVG_FAMILY = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"


@dataclass(frozen=True)
class TextRun:
    """One line of text: `x` and `baseline` in mm from the label's top-left corner."""

    x: float
    baseline: float
    size: float
    """Font size (em) in mm."""
    bold: bool
    text: str


@lru_cache(maxsize=2)
def font_file(bold: bool) -> str | None:
    """A TrueType file that has the Danish letters, or None (use Pillow's font, ASCII only)."""
    from PIL import ImageFont

    env = os.environ.get("TRACKER_LABEL_FONT_BOLD" if bold else "TRACKER_LABEL_FONT")
    names = _BOLD if bold else _REGULAR
    candidates = [env] if env else []
    candidates += [os.path.join(d, n) for n in names for d in _DIRS]
    candidates += list(names)  # Pillow searches the system's font folders for a bare name
    for path in candidates:
        try:
            font = ImageFont.truetype(path, _REF_PX)
        except OSError:
            continue
        if covers(font, DANISH):
            return str(font.path) if isinstance(font.path, str) else path
    return None


def covers(font: FreeTypeFont, chars: str) -> bool:
    """True when every char has its own glyph (not the font's 'missing glyph' box)."""

    def shape(c: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(c)
        return mask.size, bytes(mask)

    missing = shape("\U0010fffd")
    return all(shape(c) != missing for c in chars)


@lru_cache(maxsize=256)
def font(bold: bool, px: float) -> FreeTypeFont:
    from PIL import ImageFont

    path = font_file(bold)
    if path is None:
        return ImageFont.load_default(size=px)  # type: ignore[return-value]
    return ImageFont.truetype(path, px)


def printable(text: str) -> str:
    """`text` as the font can draw it: one line, Danish letters spelt out if it has none.

    Control characters are shown as escapes (ESC as `\\x1b`), as in the terminal: they have no
    glyph, and XML forbids them, so one in a name would make the SVG file unreadable.
    """
    text = visible(" ".join(text.split()))
    if font_file(False) is None or font_file(True) is None:
        text = text.translate(_ASCII_DANISH)
    return text


def width(text: str, size: float, bold: bool) -> float:
    """Printed width of `text` in mm at font size `size` mm."""
    return _em_width(text, bold) * size


@lru_cache(maxsize=8192)
def _em_width(text: str, bold: bool) -> float:
    return font(bold, _REF_PX).getlength(text) / _REF_PX


def ascent(size: float, bold: bool) -> float:
    return font(bold, _REF_PX).getmetrics()[0] * size / _REF_PX


def descent(size: float, bold: bool) -> float:
    return font(bold, _REF_PX).getmetrics()[1] * size / _REF_PX


def cut(text: str, room: float, size: float, bold: bool) -> str:
    """`text`, shortened with an ellipsis until it fits in `room` mm."""
    if width(text, size, bold) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if width(text[:mid].rstrip() + ELLIPSIS, size, bold) <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS if lo else ""


def fit(text: str, room: float, size: float, bold: bool, shrink: float = 0.7) -> tuple[str, float]:
    """Shrink `text` down to `shrink` times `size` to fit `room` mm, then cut it."""
    wide = width(text, size, bold)
    if wide <= room:
        return text, size
    smaller = max(size * shrink, size * room / wide * 0.99)
    return cut(text, room, smaller, bold), smaller


def wrap(text: str, room: float, size: float, bold: bool, lines: int = 2) -> list[str]:
    """Break `text` at spaces into at most `lines` lines of `room` mm; cut the last one."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and width(f"{line} {words[0]}", size, bold) <= room:
            line = f"{line} {words.pop(0)}"
        if len(out) == lines - 1 and words:
            line = f"{line} {' '.join(words)}"  # cut below, ending in an ellipsis
            words = []
        out.append(cut(line, room, size, bold))
    return out


@lru_cache(maxsize=1024)  # kind names and footers repeat on every label of a run
def block(
    text: str, room: float, size: float, bold: bool, lines: int, shrink: float
) -> tuple[tuple[str, ...], float]:
    """`text` wrapped into `lines` lines, shrunk (not below `shrink` x size) rather than cut."""
    smallest = size * shrink
    while size > smallest and any(
        t.endswith(ELLIPSIS) for t in wrap(text, room, size, bold, lines)
    ):
        size = max(smallest, size * 0.95)
    return tuple(wrap(text, room, size, bold, lines)), size


def place(
    heading: str, lines: tuple[str, ...], footer: str, layout: Layout, heading_lines: int = 1
) -> list[TextRun]:
    """Lines to print right of the QR code: heading large, then the rest, footer at the bottom.

    Each body line (the asset's name, its kind, a site's address) may take two lines. Lines
    that would run into the footer are left out; the heading and the footer always print.
    """
    x = layout.qr_pad + layout.qr_box + 0.5
    room = layout.label_w - layout.text_margin - x
    top, bottom = layout.text_margin, layout.label_h - layout.text_margin
    runs: list[TextRun] = []

    foot_text, foot_size = fit(printable(footer), room, layout.text_size, True)
    foot_base = bottom - descent(foot_size, True)
    limit = foot_base - ascent(foot_size, True) - 0.3 * foot_size

    y = top
    heads, size = block(printable(heading), room, layout.tag_size, True, heading_lines, 0.5)
    for text in heads:
        runs.append(TextRun(x, y + ascent(size, True), size, True, text))
        y += size * LINE
    y += 0.3 * layout.text_size

    for i, line in enumerate(lines):
        size = layout.text_size * (1.0 if i == 0 else 0.9)
        texts, size = block(printable(line), room, size, False, 2, 0.75)
        for text in texts:
            if y + size * LINE > limit:
                break
            runs.append(TextRun(x, y + ascent(size, False), size, False, text))
            y += size * LINE
    if foot_text:
        runs.append(TextRun(x, foot_base, foot_size, True, foot_text))
    return [r for r in runs if r.text]
