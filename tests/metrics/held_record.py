"""``metrics record`` that stops between the record and its event while a file exists.

``python -m tests.metrics.held_record ROOT AGENT HOLD_FILE`` records one
successful execution of AGENT in ROOT through the production entry point
:func:`~kaizen_agentic.metrics.service.record_execution`, with a hook that,
once the record is in the store, prints its id and waits while HOLD_FILE
exists: a test can then kill the process exactly between the two writes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kaizen_agentic.metrics.service import record_execution


def main(argv: list[str]) -> int:
    root, agent, hold_file = Path(argv[0]), argv[1], Path(argv[2])

    def hold(record: Mapping[str, Any]) -> None:
        print(record["record_id"], flush=True)
        while hold_file.exists():
            time.sleep(0.05)

    record_execution(root, agent, {"success": True, "quality_score": 0.5}, after_append=hold)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
