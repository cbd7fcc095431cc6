from __future__ import annotations

import json

from kaizen_agentic.capture import (
    RunTotals,
    agent_name,
    idempotency_key,
    parse_transcript_lines,
    run_record,
)
from kaizen_agentic.capture.prices import CostEstimate
from tests.capture._lines import SESSION, assistant, tool_result, tool_use, user

OVERRIDE = {"claude-sonnet-4-5-20250929": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}}


def _run() -> RunTotals:
    return parse_transcript_lines(
        [
            user("secret prompt text", timestamp="2026-02-12T14:12:30.000Z"),
            assistant("m1", output=3, content=[tool_use("t1")], agentId="a7"),
            assistant("m1", output=500, content=[tool_use("t2")], agentId="a7"),
            user([tool_result("t1"), tool_result("t2", is_error=True)]),
            assistant("m2", "r2", output=20, timestamp="2026-02-12T14:13:00.250Z"),
        ]
    )


def test_subagent_run_record() -> None:
    record = run_record(_run(), agent="code-reviewer", prices=OVERRIDE)
    assert record == {
        "agent": "code-reviewer",
        "success": True,
        "session_id": SESSION,
        "source": "claude-hook",
        "idempotency_key": f"claude:{SESSION}:a7",
        "timestamp": "2026-02-12T14:13:00Z",
        "execution_time_s": 30.25,
        "turns": 2,
        "tool_errors": 1,
        "model": "claude-sonnet-4-5-20250929",
        "cost": {
            "input_tokens": 10,
            "output_tokens": 520,
            "cache_read_tokens": 200,
            "cache_write_tokens": 100,
            "tool_invocations": 2,
            "usd": 0.00053,
            "source": "computed",
        },
        "metadata": {
            "agent_id": "a7",
            "cache_write_5m_tokens": 100,
            "cache_write_1h_tokens": 0,
            "claude_code_version": "2.1.39",
        },
    }


def test_no_prompt_or_response_text_in_a_record() -> None:
    text = json.dumps(run_record(_run(), agent="x", prices=OVERRIDE))
    assert "secret" not in text


def test_unpriced_model_leaves_usd_out_and_notes_why() -> None:
    record = run_record(_run(), agent="x", cost=CostEstimate(None, "no price for model m"))
    assert "usd" not in record["cost"] and "source" not in record["cost"]
    assert record["metadata"]["cost_note"] == "no price for model m"


def test_same_run_same_key_whatever_the_source() -> None:
    hook = run_record(_run(), agent="x", source="claude-hook", prices=OVERRIDE)
    imported = run_record(_run(), agent="x", source="claude-transcript", prices=OVERRIDE)
    assert hook["idempotency_key"] == imported["idempotency_key"] == idempotency_key(SESSION, "a7")


def test_agent_name_from_agent_type() -> None:
    assert agent_name("plugin:reviewer") == "plugin:reviewer"
    assert agent_name("") == agent_name(None) == "general-purpose"
