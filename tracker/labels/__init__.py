"""QR labels: label stocks (`layouts`), text layout (`text`), drawing (`pages`), PDF sheets
(`pdf`) and which labels go to which file (`make`).

May import the core; never Textual, `tracker.ui` or `tracker.cli`. Pillow and qrcode load only
when a label is drawn, so this package's `layouts` is cheap for the CLI to import.
"""
