"""Kiosk agent: proves, with evidence, that a citizen PC reaches the internet and not the
municipal network.

It ships alone as a zipapp, so it imports only the standard library and (optionally)
psutil; never Textual or ``tracker``.
"""

__version__ = "0.1.0"
