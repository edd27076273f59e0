"""Label stock geometry in millimetres: where each label sits on a page, and where its QR code
and text go. Pure data, so tests can check the printed pages against the stock's numbers.

Every layout is landscape, so the text sits beside the code rather than below it: below, on a
42.3 mm high label, the code would shrink to about 17 mm and be harder to scan.

Margins: office printers leave about 4-5 mm of every sheet edge unprinted, and the 3x7 stock has
no border at all, so text keeps `text_margin` from each label edge. The QR code's box may start
closer to the edge, because its outer four modules (the quiet zone) are white anyway.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    name: str
    stock: str
    """What to buy, in words (shown by `tracker labels --help` and in docs/labels.md)."""
    page_w: float
    page_h: float
    label_w: float
    label_h: float
    cols: int
    rows: int
    left: float
    """Distance of the first column's left edge from the page's left edge."""
    top: float
    pitch_x: float
    """Distance between the left edges of neighbouring labels (label width plus gap)."""
    pitch_y: float
    qr_box: float
    """Side of the QR code's square including its quiet zone."""
    qr_pad: float
    """Distance of that square from the label's left and top edges."""
    text_margin: float
    tag_size: float
    """Font size (em) of the tag line; longer tags shrink to fit."""
    text_size: float
    dpi: int = 300
    """Raster resolution: the native resolution of Brother QL printers and plenty for lasers."""

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def origins(self) -> list[tuple[float, float]]:
        """Top-left corner of each label on a page, row by row, in mm."""
        return [
            (self.left + c * self.pitch_x, self.top + r * self.pitch_y)
            for r in range(self.rows)
            for c in range(self.cols)
        ]


LAYOUTS: dict[str, Layout] = {
    # 3 x 70 mm = 210 mm and 7 x 42.3 mm = 296.1 mm: the labels run to the sheet's sides and
    # leave 0.45 mm at top and bottom (for example Avery Zweckform 3652).
    "a4-3x7": Layout(
        name="a4-3x7",
        stock="A4 sheet, 21 labels of 70 x 42.3 mm (3 columns x 7 rows, no border)",
        page_w=210.0,
        page_h=297.0,
        label_w=70.0,
        label_h=42.3,
        cols=3,
        rows=7,
        left=0.0,
        top=0.45,
        pitch_x=70.0,
        pitch_y=42.3,
        qr_box=33.0,
        qr_pad=1.5,
        text_margin=5.0,
        tag_size=4.6,
        text_size=3.0,
    ),
    # 2 x 105 mm = 210 mm and 5 x 57 mm = 285 mm, 6 mm top and bottom border (for example
    # Avery Zweckform 3425).
    "a4-2x5": Layout(
        name="a4-2x5",
        stock="A4 sheet, 10 labels of 105 x 57 mm (2 columns x 5 rows, 6 mm top/bottom border)",
        page_w=210.0,
        page_h=297.0,
        label_w=105.0,
        label_h=57.0,
        cols=2,
        rows=5,
        left=0.0,
        top=6.0,
        pitch_x=105.0,
        pitch_y=57.0,
        qr_box=50.0,
        qr_pad=3.5,
        text_margin=5.0,
        tag_size=6.5,
        text_size=4.0,
    ),
    # One label per page, 62 x 40 mm, for 62 mm continuous roll (Brother DK-22205) on a QL
    # printer: the driver cuts after each page. The QL prints about 58 mm of the 62 mm width.
    "ql-62mm": Layout(
        name="ql-62mm",
        stock="62 mm continuous roll (Brother QL, DK-22205), one 62 x 40 mm label per page",
        page_w=62.0,
        page_h=40.0,
        label_w=62.0,
        label_h=40.0,
        cols=1,
        rows=1,
        left=0.0,
        top=0.0,
        pitch_x=62.0,
        pitch_y=40.0,
        qr_box=34.0,
        qr_pad=3.0,
        text_margin=3.0,
        tag_size=3.6,
        text_size=2.6,
    ),
}

DEFAULT_LAYOUT = "a4-3x7"
