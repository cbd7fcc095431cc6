"""Whatever a transcript line or hook input holds, the parsers return or refuse cleanly."""

from __future__ import annotations

import json
import warnings
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaizen_agentic.capture import (
    HookInput,
    TranscriptLineWarning,
    parse_hook_input,
    parse_transcript_lines,
    subagent_transcript,
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
counts = (
    st.integers(min_value=-5, max_value=2**70) | st.booleans() | st.text(max_size=3) | st.none()
)
usage = st.fixed_dictionaries(
    {},
    optional={
        "input_tokens": counts,
        "output_tokens": counts,
        "cache_read_input_tokens": counts,
        "cache_creation_input_tokens": counts,
        "cache_creation": st.fixed_dictionaries(
            {}, optional={"ephemeral_5m_input_tokens": counts, "ephemeral_1h_input_tokens": counts}
        )
        | json_values,
    },
)
blocks = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "tool_use", "tool_result"])},
        optional={"id": json_values, "tool_use_id": json_values, "is_error": json_values},
    )
    | json_values,
    max_size=3,
)
lines = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["assistant", "user", "progress", "summary"]) | json_values,
        "timestamp": st.sampled_from(["2026-02-12T14:12:35.000Z", "2025-06-14T10:00:00Z", "x"])
        | json_values,
        "requestId": json_values,
        "isApiErrorMessage": json_values,
        "message": st.fixed_dictionaries(
            {},
            optional={
                "id": st.sampled_from(["m1", "m2"]) | json_values,
                "model": st.sampled_from(["claude-opus-4-6", "<synthetic>"]) | json_values,
                "usage": usage | json_values,
                "content": blocks | json_values,
                "role": json_values,
            },
        )
        | json_values,
    },
)


def _encode(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(lines | json_values, max_size=8), st.lists(st.binary(max_size=30), max_size=2))
def test_transcript_lines_never_raise(entries: list[Any], raw: list[bytes]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranscriptLineWarning)
        run = parse_transcript_lines([*map(_encode, entries), *raw])
    usage = run.usage
    assert min(usage.input_tokens, usage.output_tokens, usage.cache_write_5m_tokens) >= 0
    assert run.turns <= len(entries)
    json.dumps(run.models)


hook_fields = st.fixed_dictionaries(
    {},
    optional={
        key: st.text(max_size=30) | json_values
        for key in (
            "session_id",
            "transcript_path",
            "cwd",
            "hook_event_name",
            "agent_id",
            "agent_type",
            "agent_transcript_path",
        )
    },
)


@settings(max_examples=200, deadline=None)
@given(hook_fields)
def test_hook_inputs_never_raise(fields: dict[str, Any]) -> None:
    hook = parse_hook_input(_encode(fields))
    assert isinstance(hook, HookInput)
    subagent_transcript(hook)


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {"hook_event_name": st.sampled_from(["SubagentStop", "Stop", "SessionEnd"]) | json_values},
        optional={
            "session_id": st.sampled_from(["s1"]) | json_values,
            "agent_id": st.sampled_from(["a1", "acompact-1"]) | json_values,
            "agent_type": st.sampled_from(["", "Explore", "p:x", "code-reviewer"]) | json_values,
            "cwd": json_values,
        },
    )
    | json_values,
    st.lists(lines | json_values, max_size=6),
    st.binary(max_size=40),
    st.booleans(),
)
def test_the_hook_exits_0_on_any_input(
    fields: Any, entries: list[Any], raw: bytes, as_bytes: bool
) -> None:
    """Whatever the hook input and the transcript hold, the hook command's status is 0."""
    import io
    import sys
    import tempfile
    from pathlib import Path

    from kaizen_agentic.capture.service import hook_main

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / ".kaizen").mkdir()
        (root / ".kaizen" / "config.yml").write_text("capture:\n  sessions: true\n")
        transcript = root / "s1.jsonl"
        agent_file = root / "s1" / "subagents" / "agent-a1.jsonl"
        agent_file.parent.mkdir(parents=True)
        body = "\n".join(map(_encode, entries)).encode() + b"\n" + raw
        transcript.write_bytes(body)
        agent_file.write_bytes(body)
        if isinstance(fields, dict):
            fields = {**fields, "transcript_path": str(transcript)}
        stdin = raw if as_bytes else _encode(fields).encode("utf-8", "surrogatepass")
        saved_stdin, saved_err, saved_cwd = sys.stdin, sys.stderr, Path.cwd()
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
        sys.stderr = io.StringIO()
        try:
            import os

            os.chdir(root)
            assert hook_main() == 0
            assert sys.stderr.getvalue().count("\n") <= 1
        finally:
            os.chdir(saved_cwd)
            sys.stdin, sys.stderr = saved_stdin, saved_err


# Lines in the shape Claude Code writes, every field of a usable type: the typed reading's own.
# Each key is always there (null stands for absent, which both readings treat alike).
_texts = st.sampled_from([None, "", "m1", "m2", "t1", "[Request interrupted by user]", "é"])
_good_counts = st.sampled_from([None, 0, 1, 7, 2**53 - 1, 2**53]) | st.integers(0, 10**6)
_finite = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
_good_blocks = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from([None, "text", "tool_use", "tool_result", "thinking"]),
            "id": _texts,
            "tool_use_id": _texts,
            "is_error": st.sampled_from([None, True, False]),
            "text": _texts,
            "input": _finite,
        }
    ),
    max_size=3,
)
_good_split = st.fixed_dictionaries(
    {"ephemeral_5m_input_tokens": _good_counts, "ephemeral_1h_input_tokens": _good_counts}
)
_good_usage = st.fixed_dictionaries(
    {
        "input_tokens": _good_counts,
        "output_tokens": _good_counts,
        "cache_read_input_tokens": _good_counts,
        "cache_creation_input_tokens": _good_counts,
        "cache_creation": st.none() | _good_split,
        "service_tier": _finite,
    }
)
good_lines = st.fixed_dictionaries(
    {
        "type": st.sampled_from([None, "assistant", "user", "progress"]),
        "timestamp": st.sampled_from([None, "2026-02-12T14:12:35.000Z", "2025-06-14T10:00", "x"]),
        "sessionId": _texts,
        "agentId": _texts,
        "version": _texts,
        "requestId": _texts,
        "isApiErrorMessage": st.sampled_from([None, True, False]),
        "toolUseResult": _finite,
        "message": st.fixed_dictionaries(
            {
                "role": st.sampled_from([None, "assistant", "user"]),
                "model": st.sampled_from([None, "claude-opus-4-6", "<synthetic>", ""]),
                "id": _texts,
                "content": _good_blocks | _texts,
                "usage": st.none() | _good_usage,
            }
        ),
    }
)

# Bytes put inside a line's object, where the typed reading skips them unread.
_SKIPPED = st.sampled_from(
    [
        b"",
        b',"pad":"\xff\xfe"',  # not UTF-8: json.loads refuses the line
        b',"pad":"caf\xc3\xa9"',
        b',"pad":"\xed\xa0\x80"',  # a surrogate written as bytes: json.loads takes it
        b',"pad":"\\ud800"',
        b',"pad":NaN',
        b',"pad":1e999',
        b',"pad":[' + b"[" * 990 + b"]" * 990 + b"]",
    ]
)


def _object_line(entry: Any, again: Any, skipped: bytes) -> bytes:
    """*entry* as one JSON line; with *again* (an object) its keys follow, repeating some."""
    if not isinstance(entry, dict):
        return _encode(entry).encode("utf-8", "surrogatepass")
    pairs = list(entry.items()) + (list(again.items()) if isinstance(again, dict) else [])
    body = ",".join(f"{_encode(key)}:{_encode(value)}" for key, value in pairs)
    return b"{" + body.encode("utf-8", "surrogatepass") + skipped + b"}"


def _both_readings(body: list[bytes]) -> None:
    from unittest import mock

    from kaizen_agentic.capture import transcript

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranscriptLineWarning)
        typed = parse_transcript_lines(body)
        with mock.patch.object(transcript, "_typed", lambda raw: None):
            generic = parse_transcript_lines(body)
    assert typed == generic
    assert typed.problems == generic.problems


@settings(max_examples=300, deadline=None)
@given(st.lists(good_lines, min_size=1, max_size=6))
def test_the_typed_reading_of_claude_code_lines_gives_the_generic_totals(
    entries: list[dict[str, Any]],
) -> None:
    """Lines of a usable shape, read typed, give what decoding them whole gives."""
    _both_readings([_encode(entry).encode() for entry in entries])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(good_lines | lines | json_values, st.none() | good_lines | lines, _SKIPPED),
        max_size=8,
    ),
    st.lists(st.binary(max_size=30), max_size=2),
)
def test_the_typed_reading_of_any_line_gives_the_generic_totals(
    entries: list[tuple[Any, Any, bytes]], raw: list[bytes]
) -> None:
    """Whatever a line holds (repeated keys, bytes it skips), both readings agree, warnings too."""
    _both_readings([_object_line(*entry) for entry in entries] + raw)
