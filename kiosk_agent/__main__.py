"""Entry point for ``python -m kiosk_agent`` (and the zipapp)."""

import sys

from kiosk_agent.cli import main

sys.exit(main())
