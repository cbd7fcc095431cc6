"""The ``kaizen-agentic`` console script.

``kaizen-agentic capture hook`` runs inside every Claude Code session on
each subagent stop, within a tight time budget (SPEC §12), so it is served
here without importing click or the command tree; everything else goes to
:func:`kaizen_agentic.cli.main`.
"""

from __future__ import annotations

import sys

HOOK_ARGV = ["capture", "hook"]


def main() -> None:
    if sys.argv[1:] == HOOK_ARGV:
        from kaizen_agentic.capture.service import hook_main

        sys.exit(hook_main())
    from kaizen_agentic.cli import main as cli_main

    cli_main()
