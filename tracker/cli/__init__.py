"""The `tracker` command line: one module per command family, each with `register(sub)`.

`main` builds the parser from the families; `common` holds the context, output helpers and
exit codes they share. May import the core and the output packages (inventory, labels,
report, fleet), and `tracker.ui` only to open the app (`cli.app`); nothing imports `tracker.cli`.
"""

from tracker.cli.main import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
