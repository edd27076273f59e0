"""What a QR label carries, and how a scanned string is turned back into an asset or a site.

The payload uses only A-Z, 0-9 and '.', because those keys sit in the same place on US and
Danish keyboard layouts: a keyboard-wedge scanner set to the other layout than the PC still
types them right. (The US '-' key types '+' on a Danish PC, the US '/' key types '-', and
shifted characters all differ.) Every character is in QR alphanumeric mode, so codes stay small.

- Asset label: the tag's key, the tag upper-cased with everything but letters and digits
  removed: tag ``BS-PAS-001`` -> ``BSPAS001``.
- Site label: ``LOC.`` and the site id's key: site ``bib_nord`` -> ``LOC.BIBNORD``.
- Step card: ``STEP.`` and the step's key: ``STEP.ARRIVED``, ``STEP.INSERVICE``, ``STEP.AUTO``.

Scanned or typed input is upper-cased, stripped, and separators that differ between layouts
are dropped, so ``bs-pas-001``, ``BS+PAS+001`` and `` BSPAS001 `` all find the same asset.
Only that mangling is folded: upper-casing is ASCII only (Unicode case mapping would turn ``ß``
into ``SS`` and ``ﬁ`` into ``FI``), and any other character left in the code makes it match no
label, so it is logged as unknown instead of finding a real asset.
Two tags with the same key are refused at import, so a key never matches the wrong asset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SITE_PREFIX = "LOC."
STEP_PREFIX = "STEP."
# Step cards: the key a card carries -> the step it sets (see scan.STEP_CHOICES).
STEP_KEYS = {
    "AUTO": "auto",
    "PACKED": "packed",
    "ARRIVED": "arrived",
    "INSTALLED": "installed",
    "FAULTY": "faulty",
    "MISSING": "missing",
    "INSERVICE": "in_service",
}
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
# Characters a tag may contain: letters, digits and separators that carry no meaning.
TAG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/+-]*$")
# A tag that passes `tag_problem`: the importer's fast path.
_GOOD = r"(?![Ll] *[Oo] *[Cc] *\.)[A-Za-z0-9][A-Za-z0-9 ._/+-]*"
GOOD_TAG = re.compile(rf"^{_GOOD}$")
GOOD_TAG_LINES = re.compile(rf"(?:{_GOOD}\n)*+{_GOOD}")
"""Fully matches tags joined by newlines when every one is a GOOD_TAG (one call for a file)."""
# A US-layout scanner on a Danish PC types these for the keys next to '0' and '.' (and the
# reverse). They only ever stand for separators, never for letters or digits.
_LAYOUT_SEPARATORS = str.maketrans({c: " " for c in "-+/_´`'\"=?&:;,<>*!#"})


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def ascii_upper(text: str) -> str:
    """Upper case for a-z only: no Unicode case mapping (``ß`` stays ``ß``)."""
    return text.translate(_ASCII_UPPER)


def key_for(text: str) -> str:
    """The comparison key of a tag or a site id: upper case, letters and digits only."""
    return _NOT_ALNUM.sub("", ascii_upper(text))


def key_for_valid_tag(tag: str) -> str:
    """`key_for` of a tag that matches GOOD_TAG, several times faster (the importer's loop)."""
    key = tag.upper().replace("-", "")
    if key.isalnum():  # most tags: letters, digits and dashes (GOOD_TAG: ASCII only)
        return key
    return key.replace(" ", "").replace(".", "").replace("/", "").replace("_", "").replace("+", "")


def keys_for_valid_tags(tags: list[str]) -> list[str]:
    """`key_for_valid_tag` of each of `tags` (all GOOD_TAG), in a few passes over them joined."""
    joined = "\n".join(tags).upper()
    for separator in "- ./_+":
        joined = joined.replace(separator, "")
    return joined.split("\n")


def asset_payload(tag: str) -> str:
    return key_for(tag)


def site_payload(site_id: str) -> str:
    return SITE_PREFIX + key_for(site_id)


def step_payload(step: str) -> str:
    return STEP_PREFIX + key_for(step)


@dataclass(frozen=True)
class Code:
    """A scanned string, normalised: `kind` is 'asset', 'site' or 'step', `key` what to look
    up (for a step card, the step itself)."""

    kind: str
    key: str


def parse(raw: str) -> Code | None:
    """Normalise scanned or typed input; None when nothing usable is left."""
    text = ascii_upper(raw.strip())
    if not text:
        return None
    # A Danish-layout scanner on a US PC can turn '.' into itself, but some scanners emit the
    # keypad decimal key, which a Danish PC types as ','. Treat both as the site separator.
    compact = text.replace(" ", "")
    if compact.startswith(("LOC.", "LOC,")):
        key = _folded(compact[4:].translate(_LAYOUT_SEPARATORS))
        return Code("site", key) if key else None
    if compact.startswith(("STEP.", "STEP,")) and key_for(compact[5:]) in STEP_KEYS:
        return Code("step", STEP_KEYS[key_for(compact[5:])])
    key = _folded(text.translate(_LAYOUT_SEPARATORS))
    return Code("asset", key) if key else None


def _folded(text: str) -> str:
    """`text` without separators; a character that is not A-Z or 0-9 stays, so no label's key
    (letters and digits only) can match it."""
    return "".join(text.split()).replace(".", "").replace(",", "")


def tag_problem(tag: str) -> str | None:
    """Why `tag` cannot be used as an asset tag, or None when it can."""
    if not TAG_PATTERN.match(tag):
        return (
            f"tag {tag!r} may contain only letters A-Z, digits and the separators - _ / . + space"
        )
    if tag.strip().upper().replace(" ", "").startswith("LOC."):
        return f"tag {tag!r} starts with LOC., which is reserved for site labels"
    return None


KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
"""Every character a label's key can hold (`key_for` keeps only these)."""


def one_edit_keys(key: str) -> set[str]:
    """Every label key `one_edit_apart` from `key`: a few hundred to look up in the key index,
    instead of reading every asset's key (the "did you mean" of an unknown code)."""
    found = set()
    for i in range(len(key) + 1):
        head, tail = key[:i], key[i:]
        found.update(head + c + tail for c in KEY_ALPHABET)  # one added
        if tail:
            found.add(head + tail[1:])  # one dropped
            found.update(head + c + tail[1:] for c in KEY_ALPHABET)  # one changed
        if len(tail) > 1:
            found.add(head + tail[1] + tail[0] + tail[2:])  # two neighbours swapped
    found.discard(key)
    return found


def one_edit_apart(a: str, b: str) -> bool:
    """True when `b` is `a` with one character changed, added, dropped, or two neighbours
    swapped: the slips of a person typing a tag (a scanner does not make them)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]
