"""The Textual terminal app: dashboard, scan screen, assets and plan.

Only this package imports Textual; it calls the same domain functions as the CLI.
"""
