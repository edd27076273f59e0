"""The readiness report: one self-contained HTML page (`build`), its readiness sections (can
each site open, the functions, who holds what at home: `verdicts`), the paper checklist per site
(`checklists`), a section per stocktake (`stocktakes`), its markup helpers (`html`) and print
stylesheet (`css`).

May import the core; never Textual, `tracker.ui` or `tracker.cli`.
"""
