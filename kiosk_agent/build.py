"""Build the single-file zipapp that is copied onto each kiosk.

Usage: ``python -m kiosk_agent.build OUT.pyz`` or, from the tracker's deploy command,
``build_zipapp(path)``. The archive holds only this package (stdlib code plus the sample
config and schedules); psutil is a compiled extension, so it comes from the kiosk's own
Python (``apt install python3-psutil`` / ``pip install psutil``) and, when it is missing,
the checks that need it report ``unknown``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import zipapp
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_INTERPRETER = "/usr/bin/env python3"
_MAIN = "import sys\n\nfrom kiosk_agent.cli import main\n\nsys.exit(main())\n"


def build_zipapp(path: str | Path, interpreter: str | None = DEFAULT_INTERPRETER) -> Path:
    """Write the agent as an executable zipapp at ``path`` and return that path.

    ``interpreter`` becomes the shebang line (``None`` for none, e.g. for Windows, where
    the task runs ``python.exe kiosk-agent.pyz``). The archive is written to a temporary
    file next to ``path`` and renamed, so a half-built file is never deployed.
    """
    out = Path(path).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp) / "app"
        shutil.copytree(
            PACKAGE_DIR,
            staging / "kiosk_agent",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyz"),
        )
        (staging / "__main__.py").write_text(_MAIN, encoding="utf-8")
        partial = out.with_name(out.name + ".partial")
        zipapp.create_archive(staging, partial, interpreter=interpreter, compressed=True)
        partial.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk_agent.build OUT.pyz [--python INTERPRETER]``."""
    parser = argparse.ArgumentParser(prog="python -m kiosk_agent.build", description=__doc__)
    parser.add_argument("out", help="where to write the .pyz")
    parser.add_argument("--python", default=DEFAULT_INTERPRETER, help="shebang interpreter")
    args = parser.parse_args(argv)
    print(build_zipapp(args.out, args.python or None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
