"""Token, turn and tool totals of one Claude Code run, read from its transcript JSONL.

A transcript is one JSON object per line. Only top-level ``assistant`` lines
carry spend (``message.usage``); everything else contributes timestamps, tool
results and end-of-run signals. The parse never raises on the content of a
file: a line that is not a usable JSON object is skipped, counted in
``RunTotals.malformed_lines`` and reported as a :class:`TranscriptLineWarning`.

Pitfalls this module exists for (SPEC §12):

- Claude Code writes one API message as several lines (one per content block)
  that share ``message.id`` and ``requestId``, each repeating the usage. The
  message is counted once, with the maximum of each usage field over its lines:
  summing would multiply input by the number of lines, and keeping the first
  line keeps a streaming placeholder ``output_tokens`` (before Claude Code
  2.1.97 the early lines say 1-3 output tokens where the last says hundreds).
- A subagent's spend lives in ``<session>/subagents/agent-<id>.jsonl``. The
  parent transcript embeds copies of it (``type: progress`` lines,
  ``toolUseResult`` on user lines); those are never read for usage.
- ``<synthetic>`` model lines (written by Claude Code, not billed) and API-error
  lines (``isApiErrorMessage: true``) carry no real spend.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec

# msgspec is the project's one fast JSON library (the column parser uses it
# too); a line it refuses (NaN literals, lone surrogate escapes) is tried again
# with the standard library, so what counts is exactly what json.loads accepts.
_loads: Callable[[bytes], Any] = msgspec.json.Decoder().decode
_DECODE_ERRORS: tuple[type[BaseException], ...] = (ValueError, RecursionError)


def _decode(raw: bytes) -> Any:
    try:
        return _loads(raw)
    except (msgspec.MsgspecError, RecursionError):
        return json.loads(raw)


__all__ = [
    "INTERNAL_AGENT_PREFIXES",
    "RequestUsage",
    "RunTotals",
    "SubagentFile",
    "TokenUsage",
    "TranscriptLineWarning",
    "is_internal_agent",
    "parse_session",
    "parse_transcript",
    "parse_transcript_lines",
    "subagent_files",
]

#: Agent ids Claude Code gives its own housekeeping runs (compaction, prompt
#: suggestions). They are billed, so they count in a session's total, but they
#: are not agents anyone wrote.
INTERNAL_AGENT_PREFIXES = ("acompact-", "aprompt_suggestion-")

SYNTHETIC_MODEL = "<synthetic>"
_INTERRUPT_MARK = "[Request interrupted by user"
# Beyond 2**53 a token count is no longer an exact float in JSON readers downstream.
_MAX_TOKENS = 2**53
_WARNINGS_PER_FILE = 10
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_KINDS[type(None)] = "null"


# -- the typed reading ---------------------------------------------------------------------
#
# A line is first decoded into the fields the totals read, typed as a usable
# line has them; msgspec skips everything else (tool inputs, results, text)
# without building it. A line with any of those fields in another shape (a
# count that is not one, a block that is not an object, a line that is not
# an object or not valid JSON) fails this decode and takes the generic path
# below, which is the reference: both give the same totals for every line.

_Count = Annotated[int, msgspec.Meta(ge=0, lt=_MAX_TOKENS)]


class _CacheSplit(msgspec.Struct):
    ephemeral_5m_input_tokens: _Count | None = None
    ephemeral_1h_input_tokens: _Count | None = None


class _Usage(msgspec.Struct):
    input_tokens: _Count | None = None
    output_tokens: _Count | None = None
    cache_read_input_tokens: _Count | None = None
    cache_creation_input_tokens: _Count | None = None
    cache_creation: _CacheSplit | None = None


class _Block(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    tool_use_id: str | None = None
    is_error: bool | None = None
    text: str | None = None


class _Message(msgspec.Struct):
    role: str | None = None
    model: str | None = None
    id: str | None = None
    content: str | list[_Block] | None = None
    usage: _Usage | None = None


class _Line(msgspec.Struct, rename="camel"):
    type: str | None = None
    timestamp: str | None = None
    session_id: str | None = None
    agent_id: str | None = None
    version: str | None = None
    request_id: str | None = None
    is_api_error_message: bool | None = None
    message: _Message | None = None


_decode_line: Callable[[bytes], _Line] = msgspec.json.Decoder(_Line).decode


def _typed(raw: bytes) -> _Line | None:
    """*raw* as a line in the shape the totals read; None sends it down the generic path."""
    try:
        line = _decode_line(raw)
    except (msgspec.MsgspecError, RecursionError):
        return None
    # msgspec does not check the UTF-8 of what it skips; json.loads refuses such a line
    if not raw.isascii():
        try:
            raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None
    return line


class TranscriptLineWarning(UserWarning):
    """A transcript line skipped because it is not a usable JSON object."""


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Token counts of one or more API messages.

    ``cache_write_tokens`` is the whole cache write; ``cache_write_1h_tokens`` is
    the part written with the 1-hour TTL.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0

    @property
    def cache_write_5m_tokens(self) -> int:
        """The 5-minute part; Claude Code's default TTL, so it is also what an unsplit write is."""
        return self.cache_write_tokens - self.cache_write_1h_tokens

    @property
    def total_tokens(self) -> int:
        fresh = self.input_tokens + self.output_tokens
        return fresh + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
        )

    def most_complete(self, other: TokenUsage) -> TokenUsage:
        """Field-wise maximum: the usage of one API message seen on two of its lines."""
        return TokenUsage(
            max(self.input_tokens, other.input_tokens),
            max(self.output_tokens, other.output_tokens),
            max(self.cache_read_tokens, other.cache_read_tokens),
            max(self.cache_write_tokens, other.cache_write_tokens),
            max(self.cache_write_1h_tokens, other.cache_write_1h_tokens),
        )


@dataclass(frozen=True, slots=True)
class RequestUsage:
    """One API message (request): what prices are applied to, since tiers are per request."""

    model: str
    usage: TokenUsage
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class RunTotals:
    """What one run (a session or a subagent) spent and did, as its transcript records it."""

    requests: tuple[RequestUsage, ...] = ()
    tool_invocations: int = 0
    tool_errors: int = 0
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    api_errors: int = 0
    interrupted: bool = False
    malformed_lines: int = 0
    lines: int = 0
    session_id: str | None = None
    agent_id: str | None = None
    version: str | None = None
    problems: tuple[str, ...] = field(default=(), repr=False)

    @property
    def turns(self) -> int:
        """Distinct API messages."""
        return len(self.requests)

    @property
    def usage(self) -> TokenUsage:
        total = TokenUsage()
        for request in self.requests:
            total += request.usage
        return total

    @property
    def usage_by_model(self) -> dict[str, TokenUsage]:
        totals: dict[str, TokenUsage] = {}
        for request in self.requests:
            totals[request.model] = totals.get(request.model, TokenUsage()) + request.usage
        return totals

    @property
    def models(self) -> tuple[str, ...]:
        """Model ids in order of first use."""
        return tuple(dict.fromkeys(request.model for request in self.requests))

    @property
    def duration_s(self) -> float | None:
        if self.first_timestamp is None or self.last_timestamp is None:
            return None
        return max(0.0, (self.last_timestamp - self.first_timestamp).total_seconds())

    @property
    def ended_normally(self) -> bool:
        """No API error line and no user interruption."""
        return self.api_errors == 0 and not self.interrupted


@dataclass(frozen=True, slots=True)
class SubagentFile:
    agent_id: str
    path: Path

    @property
    def internal(self) -> bool:
        return is_internal_agent(self.agent_id)


def is_internal_agent(agent_id: str) -> bool:
    """True for Claude Code's own housekeeping runs (``acompact-…``, ``aprompt_suggestion-…``)."""
    return agent_id.startswith(INTERNAL_AGENT_PREFIXES)


def parse_transcript(path: Path) -> RunTotals:
    """Totals of one transcript file; an unreadable file is an ``OSError`` for the caller."""
    parser = _Accumulator(str(path))
    parser.feed(_split_lines(path.read_bytes()))
    return parser.result(agent_id=_agent_id_from_name(path))


def parse_transcript_lines(lines: Iterable[bytes | str], source: str = "<transcript>") -> RunTotals:
    """Totals of transcript lines already in memory; *source* names them in warnings."""
    parser = _Accumulator(source)
    parser.feed(
        line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line for line in lines
    )
    return parser.result()


def subagent_files(session_transcript: Path) -> list[SubagentFile]:
    """The ``<session>/subagents/agent-<id>.jsonl`` files beside a session transcript, by name."""
    folder = session_transcript.with_suffix("") / "subagents"
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("agent-*.jsonl")):
        agent_id = _agent_id_from_name(path)
        if agent_id:
            found.append(SubagentFile(agent_id, path))
    return found


def parse_session(session_transcript: Path) -> RunTotals:
    """A whole session: the main transcript plus every subagent file, internal ones included.

    Compaction and prompt suggestions are billed, so a session's spend includes
    them; a message present in two files is still counted once.
    """
    parser = _Accumulator(str(session_transcript))
    if session_transcript.is_file():
        parser.feed(_split_lines(session_transcript.read_bytes()))
    for sub in subagent_files(session_transcript):
        parser.source = str(sub.path)
        parser.feed(_split_lines(sub.path.read_bytes()))
    return parser.result()


def _agent_id_from_name(path: Path) -> str | None:
    name = path.name
    if name.startswith("agent-") and name.endswith(".jsonl"):
        return name[len("agent-") : -len(".jsonl")] or None
    return None


def _split_lines(data: bytes) -> Iterator[bytes]:
    return iter(data.split(b"\n"))


class _Accumulator:
    """Folds lines into totals; one instance per run, fed one or more files."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: dict[tuple[str, str], RequestUsage] = {}
        self.anonymous: list[RequestUsage] = []
        self.tool_use_ids: set[str] = set()
        self.unnamed_tool_uses = 0
        self.error_result_ids: set[str] = set()
        self.unnamed_errors = 0
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.api_errors = 0
        self.interrupted = False
        self.malformed = 0
        self.lines = 0
        self.problems: list[str] = []
        self.session_id: str | None = None
        self.agent_id: str | None = None
        self.version: str | None = None

    def feed(self, lines: Iterable[bytes]) -> None:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            self.lines += 1
            typed = _typed(raw)
            if typed is not None:
                self._typed_line(typed)
                continue
            try:
                entry = _decode(raw)
            except _DECODE_ERRORS:
                self._skip(number, "not valid JSON")
                continue
            if not isinstance(entry, dict):
                self._skip(number, f"a JSON {_JSON_KINDS.get(type(entry), 'value')}, not an object")
                continue
            try:
                self._line(entry, number)
            except RecursionError:  # pragma: no cover - the decoders cap nesting first
                self._skip(number, "nested too deeply")

    def _skip(self, number: int, why: str) -> None:
        self.malformed += 1
        if self.malformed <= _WARNINGS_PER_FILE:
            message = f"{self.source}:{number}: skipped a line that is {why}"
            self.problems.append(message)
            warnings.warn(message, TranscriptLineWarning, stacklevel=4)

    def _typed_line(self, line: _Line) -> None:
        """A line whose fields have their usable types: the same steps as :meth:`_line`."""
        # msgspec's strings are valid UTF-8, so a usable one is any non-empty one
        stamp = self._moment(line.timestamp)
        self._identity(line.session_id or None, line.agent_id or None, line.version or None)
        message = line.message
        if message is None:
            return
        kind = line.type
        if kind == "assistant" or (kind is None and message.role == "assistant"):
            if line.is_api_error_message is True:
                self.api_errors += 1
                return
            if message.model == SYNTHETIC_MODEL:
                return
            if isinstance(message.content, list):
                for block in message.content:
                    if block.type == "tool_use":
                        self._tool_use(block.id or None)
            usage = message.usage
            if usage is None:
                return
            split = usage.cache_creation
            tokens = _tokens(
                usage.input_tokens or 0,
                usage.output_tokens or 0,
                usage.cache_read_input_tokens or 0,
                usage.cache_creation_input_tokens or 0,
                None
                if split is None
                else (split.ephemeral_5m_input_tokens or 0, split.ephemeral_1h_input_tokens or 0),
            )
            self._request(message.model, tokens, message.id or None, line.request_id, stamp)
        elif kind == "user":
            content = message.content
            if isinstance(content, str):
                self._user_text(content)
                return
            for block in content or ():
                if block.type == "tool_result" and block.is_error is True:
                    self._tool_error(block.tool_use_id or None)
                elif block.type == "text" and block.text is not None:
                    self._user_text(block.text)

    def _line(self, entry: dict[str, Any], number: int) -> None:
        stamp = self._moment(entry.get("timestamp"))
        self._identity(
            _text(entry.get("sessionId")), _text(entry.get("agentId")), _text(entry.get("version"))
        )
        kind = entry.get("type")
        message = entry.get("message")
        if not isinstance(message, dict):
            return
        # ccusage's fixtures (and some exporters) leave out ``type``; the role says it.
        if kind == "assistant" or (kind is None and message.get("role") == "assistant"):
            self._assistant(entry, message, stamp, number)
        elif kind == "user":
            self._user(message.get("content"))

    def _moment(self, value: object) -> datetime | None:
        """The line's time, which widens the run's span."""
        stamp = _timestamp(value)
        if stamp is not None:
            if self.first is None or stamp < self.first:
                self.first = stamp
            if self.last is None or stamp > self.last:
                self.last = stamp
        return stamp

    def _identity(self, session_id: str | None, agent_id: str | None, version: str | None) -> None:
        """The first usable value of each (the callers have checked them with :func:`_text`)."""
        if self.session_id is None:
            self.session_id = session_id
        if self.agent_id is None:
            self.agent_id = agent_id
        if self.version is None:
            self.version = version

    def _assistant(
        self, entry: dict[str, Any], message: dict[str, Any], stamp: datetime | None, number: int
    ) -> None:
        if entry.get("isApiErrorMessage") is True:
            self.api_errors += 1
            return
        model = message.get("model")
        if model == SYNTHETIC_MODEL:
            return
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    self._tool_use(_text(block.get("id")))
        usage = message.get("usage")
        if not isinstance(usage, dict):
            return
        tokens = _token_usage(usage)
        if tokens is None:
            self._skip(number, "an assistant line whose usage is not token counts")
            return
        model_name, message_id = _text(model), _text(message.get("id"))
        self._request(model_name, tokens, message_id, _text(entry.get("requestId")), stamp)

    def _request(
        self,
        model: str | None,
        tokens: TokenUsage,
        message_id: str | None,
        request_id: str | None,
        stamp: datetime | None,
    ) -> None:
        """One line's usage: a new message, or another line of one already seen."""
        if message_id is None:
            # Without an id two lines cannot be shown to be one message.
            self.anonymous.append(RequestUsage(model or "unknown", tokens, stamp))
            return
        key = (message_id, request_id or "")
        seen = self.messages.get(key)
        if seen is None:
            self.messages[key] = RequestUsage(model or "unknown", tokens, stamp)
        elif tokens != seen.usage or (seen.timestamp is None and stamp is not None):
            # (a line repeating what is known, as most lines of a message do, changes nothing)
            self.messages[key] = RequestUsage(
                seen.model, seen.usage.most_complete(tokens), seen.timestamp or stamp
            )

    def _tool_use(self, block_id: str | None) -> None:
        if block_id is None:
            self.unnamed_tool_uses += 1
        else:
            self.tool_use_ids.add(block_id)

    def _tool_error(self, result_id: str | None) -> None:
        if result_id is None:
            self.unnamed_errors += 1
        else:
            self.error_result_ids.add(result_id)

    def _user_text(self, text: str) -> None:
        if text.startswith(_INTERRUPT_MARK):
            self.interrupted = True

    def _user(self, content: object) -> None:
        if isinstance(content, str):
            self._user_text(content)
            return
        if not isinstance(content, list):
            return
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "tool_result" and block.get("is_error") is True:
                self._tool_error(_text(block.get("tool_use_id")))
            elif kind == "text":
                text = block.get("text")
                if isinstance(text, str):
                    self._user_text(text)

    def result(self, agent_id: str | None = None) -> RunTotals:
        requests = sorted(
            [*self.messages.values(), *self.anonymous],
            key=lambda r: r.timestamp or datetime.min.replace(tzinfo=UTC),
        )
        return RunTotals(
            requests=tuple(requests),
            tool_invocations=len(self.tool_use_ids) + self.unnamed_tool_uses,
            tool_errors=len(self.error_result_ids) + self.unnamed_errors,
            first_timestamp=self.first,
            last_timestamp=self.last,
            api_errors=self.api_errors,
            interrupted=self.interrupted,
            malformed_lines=self.malformed,
            lines=self.lines,
            session_id=self.session_id,
            agent_id=agent_id or self.agent_id,
            version=self.version,
            problems=tuple(self.problems),
        )


def _text(value: object) -> str | None:
    """A usable string field: non-empty and encodable (a lone surrogate is replaced)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def _count(value: object) -> int | None:
    """A token count, or None when the field is not a plausible one (bool, negative, huge, text)."""
    if value is None:
        return 0
    if type(value) is not int or value < 0 or value >= _MAX_TOKENS:
        return None
    return value


def _token_usage(usage: dict[str, Any]) -> TokenUsage | None:
    counts = [
        _count(usage.get(key))
        for key in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        )
    ]
    if any(count is None for count in counts):
        return None
    fresh, output, read, write = (count or 0 for count in counts)
    split = usage.get("cache_creation")
    if not isinstance(split, dict):
        return _tokens(fresh, output, read, write, None)
    five = _count(split.get("ephemeral_5m_input_tokens"))
    hour = _count(split.get("ephemeral_1h_input_tokens"))
    if five is None or hour is None:
        return None
    return _tokens(fresh, output, read, write, (five, hour))


def _tokens(
    fresh: int, output: int, read: int, write: int, split: tuple[int, int] | None
) -> TokenUsage:
    """Counts already checked; *split* is the 5-minute and 1-hour part of the cache write."""
    if split is None:
        return TokenUsage(fresh, output, read, write, 0)
    five, hour = split
    # The split is the detail of the total; trust whichever says more was written.
    return TokenUsage(fresh, output, read, max(write, five + hour), hour)


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
