"""One log line per event, in one format: logfmt or JSON lines (SPEC §7 ``fleet serve``).

Every line starts with ``ts`` and ``event``; the other fields follow in the
order given. logfmt quotes a value with a space, ``=`` or ``"`` in it, so a
line splits back into the same fields (``shlex.split`` reads it).
The fleet's library code logs events as one JSON object per message on the
``kaizen_agentic.fleet`` logger; :class:`EventLogHandler` renders those in
the same format, so a long-running process writes nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

from kaizen_agentic._time import format_timestamp
from kaizen_agentic.errors import InvalidInputError

LOG_FORMATS = ("logfmt", "json")


class EventLog:
    """Writes events to *stream* as logfmt or JSON lines."""

    def __init__(
        self,
        stream: TextIO,
        fmt: str = "logfmt",
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if fmt not in LOG_FORMATS:
            raise InvalidInputError(f"log format {fmt!r} is unknown; use logfmt or json")
        self.stream, self.fmt = stream, fmt
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def event(self, name: str, **fields: Any) -> None:
        line = {"ts": format_timestamp(self.clock()), "event": name, **fields}
        self.stream.write(render(line, self.fmt) + "\n")
        self.stream.flush()


def render(fields: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(fields, ensure_ascii=False, default=str)
    return " ".join(f"{key}={_logfmt_value(value)}" for key, value in fields.items())


def _logfmt_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Sequence) and not isinstance(value, str):
        value = ",".join(str(v) for v in value)
    text = str(value)
    if not text or any(c in text for c in ' ="\\\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


class EventLogHandler(logging.Handler):
    """A logging handler writing each record as one :class:`EventLog` event.

    A message that is a JSON object (how the fleet logs) gives the event and
    its fields; any other message becomes ``event=log message=…``.
    """

    def __init__(self, log: EventLog) -> None:
        super().__init__()
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        if not isinstance(fields, dict) or not isinstance(fields.get("event"), str):
            fields = {"event": "log", "level": record.levelname.lower(), "message": message}
        name = fields.pop("event")
        self.log.event(name, **fields)
