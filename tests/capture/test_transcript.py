from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from kaizen_agentic.capture import (
    TokenUsage,
    TranscriptLineWarning,
    is_internal_agent,
    parse_session,
    parse_transcript,
    parse_transcript_lines,
    subagent_files,
)
from tests.capture._lines import SESSION, assistant, tool_result, tool_use, user


def test_streamed_lines_of_one_message_count_once_with_the_final_output() -> None:
    # One message streamed as five lines: each repeats input; output grows 3 → 500.
    lines = [
        assistant("msg_A", "req_A", output=out, input_tokens=2000, read=300, write=40)
        for out in (3, 3, 3, 3, 500)
    ]
    run = parse_transcript_lines(lines)
    assert run.turns == 1
    assert run.usage == TokenUsage(2000, 500, 300, 40, 0)


def test_placeholder_output_on_early_lines_does_not_win_when_the_last_line_is_lower() -> None:
    # Lines can arrive out of order; the field-wise maximum is the complete count.
    run = parse_transcript_lines(
        [assistant("msg_A", output=1), assistant("msg_A", output=742), assistant("msg_A", output=1)]
    )
    assert run.usage.output_tokens == 742


def test_same_message_id_with_another_request_id_is_another_request() -> None:
    run = parse_transcript_lines([assistant("msg_A", "req_1"), assistant("msg_A", "req_2")])
    assert run.turns == 2


def test_lines_without_ids_cannot_be_deduplicated_and_each_counts() -> None:
    run = parse_transcript_lines([assistant(None, None, output=7), assistant(None, None, output=9)])
    assert (run.turns, run.usage.output_tokens) == (2, 16)


def test_lines_without_type_but_with_assistant_role_count() -> None:
    line = json.loads(assistant("msg_A", output=4))
    del line["type"]
    assert parse_transcript_lines([json.dumps(line)]).usage.output_tokens == 4


def test_cache_write_split_into_5m_and_1h() -> None:
    run = parse_transcript_lines([assistant("msg_A", write=300, write_1h=120)])
    assert run.usage.cache_write_tokens == 300
    assert (run.usage.cache_write_5m_tokens, run.usage.cache_write_1h_tokens) == (180, 120)


def test_cache_write_without_split_is_5m() -> None:
    run = parse_transcript_lines([assistant("msg_A", write=300)])
    assert (run.usage.cache_write_5m_tokens, run.usage.cache_write_1h_tokens) == (300, 0)


def test_usage_per_model_and_models_in_order() -> None:
    run = parse_transcript_lines(
        [
            assistant("m1", "r1", model="claude-opus-4-6", output=10),
            assistant("m2", "r2", model="claude-haiku-4-5-20251001", output=20),
            assistant("m3", "r3", model="claude-opus-4-6", output=30),
        ]
    )
    assert run.models == ("claude-opus-4-6", "claude-haiku-4-5-20251001")
    assert run.usage_by_model["claude-opus-4-6"].output_tokens == 40


def test_synthetic_and_api_error_lines_carry_no_spend() -> None:
    run = parse_transcript_lines(
        [
            assistant("m1", "r1", output=10),
            assistant("m2", "r2", model="<synthetic>", output=99),
            assistant("m3", "r3", output=77, isApiErrorMessage=True),
        ]
    )
    assert (run.turns, run.usage.output_tokens, run.api_errors) == (1, 10, 1)
    assert not run.ended_normally


def test_tool_invocations_and_errors_counted_once_per_block_id() -> None:
    run = parse_transcript_lines(
        [
            assistant("m1", content=[tool_use("t1")]),
            assistant("m1", content=[tool_use("t2")]),
            assistant("m1", content=[tool_use("t2")]),
            user([tool_result("t1"), tool_result("t2", is_error=True)]),
        ]
    )
    assert (run.tool_invocations, run.tool_errors) == (2, 1)


def test_duration_runs_from_first_to_last_timestamp_of_any_line() -> None:
    run = parse_transcript_lines(
        [
            user("do it", timestamp="2026-02-12T14:12:30.000Z"),
            assistant("m1", timestamp="2026-02-12T14:12:35.500Z"),
            user([tool_result("t")], timestamp="2026-02-12T14:13:00Z"),
        ]
    )
    assert run.duration_s == 30.0


def test_interrupted_run_did_not_end_normally() -> None:
    run = parse_transcript_lines(
        [assistant("m1"), user([{"type": "text", "text": "[Request interrupted by user]"}])]
    )
    assert run.interrupted and not run.ended_normally


def test_a_plain_run_ended_normally() -> None:
    run = parse_transcript_lines([user("go"), assistant("m1")])
    assert run.ended_normally and run.session_id == SESSION and run.version == "2.1.39"


def _session(tmp_path: Path) -> Path:
    """A session laid out as Claude Code 2.1 does: main file plus subagents/ folder."""
    project = tmp_path / "projects" / "-home-dev-repo"
    main = project / f"{SESSION}.jsonl"
    subagents = project / SESSION / "subagents"
    subagents.mkdir(parents=True)
    embedded = json.loads(assistant("sub_1", "sub_req", output=400))
    main.write_text(
        "\n".join(
            [
                user("review this"),
                assistant("main_1", "main_req", output=100, content=[tool_use("task_1")]),
                # The parent's progress line embeds the subagent's message: never counted here.
                json.dumps({"type": "progress", "data": {"message": embedded}}),
                user(
                    [tool_result("task_1")],
                    toolUseResult={"agentId": "a1", "usage": embedded["message"]["usage"]},
                ),
            ]
        )
        + "\n"
    )
    (subagents / "agent-a1.jsonl").write_text(
        "\n".join([assistant("sub_1", "sub_req", output=o, agentId="a1") for o in (2, 400)]) + "\n"
    )
    (subagents / "agent-acompact-9f.jsonl").write_text(
        assistant("compact_1", "compact_req", output=30, agentId="acompact-9f") + "\n"
    )
    return main


def test_parent_progress_copies_of_subagent_usage_are_not_counted(tmp_path: Path) -> None:
    main = parse_transcript(_session(tmp_path))
    assert (main.turns, main.usage.output_tokens) == (1, 100)


def test_subagent_file_totals_and_agent_id_from_name(tmp_path: Path) -> None:
    files = subagent_files(_session(tmp_path))
    assert [(f.agent_id, f.internal) for f in files] == [("a1", False), ("acompact-9f", True)]
    run = parse_transcript(files[0].path)
    assert (run.agent_id, run.turns, run.usage.output_tokens) == ("a1", 1, 400)


def test_session_total_includes_subagents_and_internal_agents_once(tmp_path: Path) -> None:
    run = parse_session(_session(tmp_path))
    assert run.turns == 3
    assert run.usage.output_tokens == 100 + 400 + 30


@pytest.mark.parametrize(
    ("agent_id", "internal"),
    [("acompact-946d2b", True), ("aprompt_suggestion-1a", True), ("aac57f5", False)],
)
def test_internal_agents(agent_id: str, internal: bool) -> None:
    assert is_internal_agent(agent_id) is internal


HOSTILE = [
    "[" * 20_000 + "]" * 20_000,
    '{"a":' * 20_000 + "1" + "}" * 20_000,
    '{"type": "assistant", "message": {"id": "m", "usage": {"input_tokens": ' + "9" * 5000 + "}}}",
    '{"type": "assistant", "message": {"id": "m", "model": "\\ud800", "usage": {}}}',
    b'{"type": "user", "message": {"content": "\xff\xfe bad bytes"}}',
    "[1, 2]",
    '"just a string"',
    "null",
    "42",
    "{not json",
    '{"type": "assistant", "message": "not an object"}',
    '{"type": "assistant", "message": {"id": "m", "usage": {"input_tokens": "12"}}}',
    '{"type": "assistant", "message": {"id": "m", "usage": {"input_tokens": -5}}}',
    '{"type": "assistant", "message": {"id": "m", "usage": {"output_tokens": true}}}',
    '{"type": "assistant", "message": {"id": "m", "usage": {"cache_creation": {"a": 1.5}}}}',
    '{"message": {"role": "assistant", "usage": {"cache_creation": {"ephemeral_1h_input_tokens": -1}}}}',  # noqa: E501
    '{"type": "assistant", "message": {"id": "m", "content": [null, 1, {"type": "tool_use"}]}}',
    '{"type": "user", "message": {"content": [null, {"type": "tool_result", "is_error": "yes"}]}}',
    '{"timestamp": "not a time", "type": "user"}',
    '{"timestamp": 12, "sessionId": 5, "type": "assistant"}',
]


@pytest.mark.parametrize("line", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_lines_never_raise(line: str | bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranscriptLineWarning)
        run = parse_transcript_lines([line, assistant("ok", output=3)])
    assert run.usage.output_tokens >= 3
    assert run.lines == 2


def test_malformed_lines_are_counted_and_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'{"type": "user"}\n[1]\n{torn\n\n' + assistant("m").encode() + b"\n")
    with pytest.warns(TranscriptLineWarning) as caught:
        run = parse_transcript(path)
    assert run.malformed_lines == 2
    assert [str(w.message) for w in caught] == [
        f"{path}:2: skipped a line that is a JSON array, not an object",
        f"{path}:3: skipped a line that is not valid JSON",
    ]
    assert run.turns == 1


def test_usage_with_a_bad_field_skips_that_line_only() -> None:
    bad = json.loads(assistant("m1", output=5))
    bad["message"]["usage"]["input_tokens"] = "12"
    with pytest.warns(TranscriptLineWarning):
        run = parse_transcript_lines([json.dumps(bad), assistant("m2", "r2", output=8)])
    assert (run.turns, run.usage.output_tokens, run.malformed_lines) == (1, 8, 1)


def test_parse_imports_nothing_heavy(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(assistant("m1") + "\n")
    code = (
        "import sys; from pathlib import Path;"
        "from kaizen_agentic.capture import parse_transcript;"
        f"parse_transcript(Path({str(path)!r}));"
        "print(sorted(m for m in ('numpy', 'scipy', 'httpx', 'genai_prices', 'click')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "line",
    [
        assistant("m1", content=[tool_use("t1")], write=10, write_1h=4, agentId="a1"),
        assistant(None, None, model="<synthetic>", isApiErrorMessage=True),
        user("do it"),
        user([tool_result("t1", is_error=True), {"type": "text", "text": "more"}]),
        json.dumps({"type": "progress", "data": {"message": json.loads(assistant("m2"))}}),
        '{"type": "summary", "summary": "caf\u00e9"}',
    ],
)
def test_claude_code_lines_take_the_typed_reading(line: str) -> None:
    """The shapes Claude Code writes decode typed; only unusual lines take the generic path."""
    from kaizen_agentic.capture.transcript import _typed

    assert _typed(line.encode()) is not None


@pytest.mark.parametrize(
    "line",
    [
        b'{"type": "user", "pad": "\xff", "message": {"content": "go"}}',
        b'{"type": "assistant", "message": {"usage": {"input_tokens": 1.0}}}',
        b'{"type": "assistant", "message": {"content": [1]}}',
        b'{"type": "user", "message": {"content": "go"}, "pad": NaN}',
        b"[1]",
    ],
)
def test_unusual_lines_take_the_generic_reading(line: bytes) -> None:
    from kaizen_agentic.capture.transcript import _typed

    assert _typed(line) is None
