"""An asset's QR code drawn in the terminal with half-block characters (two modules a cell).

Dark modules are drawn black on white whatever the theme, so a phone or scanner can read the
code off the screen.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

_DARK, _LIGHT = "black", "white"


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules of `payload`, quiet zone included (True = dark)."""
    # The label module owns how codes encode; imported here so the app starts without it.
    from tracker.labels.pages import qr_matrix as labels_matrix

    return labels_matrix(payload)


class QRCode:
    """A Rich renderable of a QR matrix: each text row shows two module rows."""

    def __init__(self, matrix: list[list[bool]]) -> None:
        self.matrix = matrix

    @property
    def size(self) -> tuple[int, int]:
        """(columns, rows) on screen."""
        return len(self.matrix[0]) if self.matrix else 0, (len(self.matrix) + 1) // 2

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self.size[0]
        return Measurement(width, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self.matrix
        styles = {
            (True, True): ("█", Style(color=_DARK, bgcolor=_LIGHT)),
            (True, False): ("▀", Style(color=_DARK, bgcolor=_LIGHT)),
            (False, True): ("▄", Style(color=_DARK, bgcolor=_LIGHT)),
            (False, False): (" ", Style(color=_DARK, bgcolor=_LIGHT)),
        }
        for y in range(0, len(rows), 2):
            top = rows[y]
            bottom = rows[y + 1] if y + 1 < len(rows) else [False] * len(top)
            for pair in zip(top, bottom, strict=True):
                char, style = styles[(bool(pair[0]), bool(pair[1]))]
                yield Segment(char, style)
            yield Segment.line()
