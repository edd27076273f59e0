"""The readiness report: one self-contained HTML page (`build`), its markup helpers (`html`)
and print stylesheet (`css`).

May import the core; never Textual, `tracker.ui` or `tracker.cli`.
"""
