"""The inventory as files: CSV formats, import, export and seeding a new database.

May import the core (store, plan, codes, files, textsafe); never Textual, `tracker.ui` or
`tracker.cli`.
"""
