"""Large letters for the scan screen's site and step: readable from an arm's length away, where
a person holds a scanner and not a keyboard.

A 3x5 pixel font (Æ, Ø and Å included: the site names are Danish) drawn with half blocks, so
one glyph is three terminal rows. `big` returns None when the text has a character the font
lacks or does not fit the width; the caller then shows plain bold text.
"""

from __future__ import annotations

from rich.text import Text

# Each glyph: six pixel rows, top row for a ring or accent. '#' is ink.
_GLYPHS = {
    "A": ".#. #.# ### #.# #.#",
    "B": "##. #.# ##. #.# ##.",
    "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.",
    "E": "### #.. ##. #.. ###",
    "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##",
    "H": "#.# #.# ### #.# #.#",
    "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.",
    "K": "#.# #.# ##. #.# #.#",
    "L": "#.. #.. #.. #.. ###",
    "M": "#...# ##.## #.#.# #...# #...#",
    "N": "#..# ##.# #.## #..# #..#",
    "O": ".#. #.# #.# #.# .#.",
    "P": "##. #.# ##. #.. #..",
    "Q": ".#. #.# #.# ##. .##",
    "R": "##. #.# ##. #.# #.#",
    "S": ".## #.. .#. ..# ##.",
    "T": "### .#. .#. .#. .#.",
    "U": "#.# #.# #.# #.# ###",
    "V": "#.# #.# #.# #.# .#.",
    "W": "#...# #...# #.#.# ##.## #...#",
    "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.",
    "Z": "### ..# .#. #.. ###",
    "Æ": ".### #.#. #### #.#. #.##",
    "Ø": ".### #.## #.#. ##.# ###.",
    "0": "### #.# #.# #.# ###",
    "1": ".#. ##. .#. .#. ###",
    "2": "##. ..# .#. #.. ###",
    "3": "##. ..# .#. ..# ##.",
    "4": "#.# #.# ### ..# ..#",
    "5": "### #.. ##. ..# ##.",
    "6": ".## #.. ### #.# ###",
    "7": "### ..# .#. .#. .#.",
    "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ##.",
    "-": "... ... ### ... ...",
    ".": ". . . . #",
    " ": ".. .. .. .. ..",
}
# Å: a ring over a shorter A.
_ACCENTED = {"Å": ".#. #.# .#. ### #.# #.#"}
_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def _pixels(char: str) -> list[str] | None:
    if char in _ACCENTED:
        return _ACCENTED[char].split()
    rows = _GLYPHS.get(char)
    if rows is None:
        return None
    body = rows.split()
    return ["." * len(body[0]), *body]


def big(text: str, width: int, style: str = "bold") -> Text | None:
    """`text` in large letters (three rows), or None if it cannot be drawn within `width`."""
    glyphs = [_pixels(c) for c in text.upper()]
    if not glyphs or any(g is None for g in glyphs):
        return None
    rows = ["" for _ in range(6)]
    for i, glyph in enumerate(glyphs):
        assert glyph is not None
        for r in range(6):
            rows[r] += ("." if i else "") + glyph[r]
    if len(rows[0]) > width:
        return None
    lines = [
        "".join(_HALF[(top == "#", bottom == "#")] for top, bottom in zip(a, b, strict=True))
        for a, b in zip(rows[0::2], rows[1::2], strict=True)
    ]
    return Text("\n".join(lines), style=style, no_wrap=True)
