from __future__ import annotations

import json
from typing import Any

import pytest

from kaizen_agentic.capture import headless_record, read_result_object
from kaizen_agentic.errors import InvalidInputError

RESULT: dict[str, Any] = {
    "type": "result",
    "subtype": "success",
    "is_error": False,
    "duration_ms": 8722,
    "num_turns": 3,
    "result": "the answer text",
    "session_id": "sess-1",
    "total_cost_usd": 0.25,
    # The last call's usage only: not the run's tokens.
    "usage": {"input_tokens": 1, "output_tokens": 2},
    "modelUsage": {
        "claude-opus-4-6": {
            "inputTokens": 30,
            "outputTokens": 700,
            "cacheReadInputTokens": 2000,
            "cacheCreationInputTokens": 3000,
            "costUSD": 0.2,
        },
        "claude-haiku-4-5-20251001": {
            "inputTokens": 8,
            "outputTokens": 65,
            "cacheReadInputTokens": 0,
            "cacheCreationInputTokens": 100,
        },
    },
}


def test_each_run_of_a_resumed_session_has_its_own_key() -> None:
    first = headless_record({**RESULT, "uuid": "u-1"})
    second = headless_record({**RESULT, "uuid": "u-2"})
    assert first["idempotency_key"] == "claude-headless:sess-1:u-1"
    assert second["idempotency_key"] != first["idempotency_key"]
    assert (
        headless_record(RESULT)["idempotency_key"]
        != headless_record({**RESULT, "num_turns": 5})["idempotency_key"]
    )


def test_record_from_a_json_result() -> None:
    record = headless_record(read_result_object(json.dumps(RESULT)))
    assert record == {
        "success": True,
        "source": "claude-headless",
        "execution_time_s": 8.722,
        "turns": 3,
        "session_id": "sess-1",
        "idempotency_key": "claude-headless:sess-1:8722:3",
        "model": ["claude-opus-4-6", "claude-haiku-4-5-20251001"],
        "cost": {
            "input_tokens": 38,
            "output_tokens": 765,
            "cache_read_tokens": 2000,
            "cache_write_tokens": 3100,
            "usd": 0.25,
            "source": "reported",
        },
    }
    assert "the answer text" not in json.dumps(record)


def test_last_result_line_of_a_stream() -> None:
    stream = "\n".join(
        [
            json.dumps({"type": "system", "subtype": "init"}),
            json.dumps({"type": "assistant", "message": {"content": []}}),
            "not json",
            json.dumps({**RESULT, "num_turns": 1}),
            json.dumps({**RESULT, "num_turns": 9}),
        ]
    )
    assert headless_record(read_result_object(stream))["turns"] == 9


def test_verbose_json_array() -> None:
    text = json.dumps([{"type": "system"}, RESULT])
    assert read_result_object(text) == RESULT


@pytest.mark.parametrize(
    ("changes", "success"),
    [
        ({"subtype": "error_during_execution", "is_error": True}, False),
        ({"subtype": "error_max_turns", "is_error": False}, False),
        ({"subtype": "success", "is_error": True}, False),
    ],
)
def test_success_needs_success_subtype_and_no_error(changes: dict[str, Any], success: bool) -> None:
    assert headless_record({**RESULT, **changes})["success"] is success


def test_empty_model_usage_gives_no_token_counts() -> None:
    record = headless_record({**RESULT, "modelUsage": {}})
    assert record["cost"] == {"usd": 0.25, "source": "reported"}
    assert "model" not in record


@pytest.mark.parametrize(
    "text",
    ["", "   ", "{not json", "[]", json.dumps({"type": "system"}), "42", "[" * 20_000],
)
def test_output_without_a_result(text: str) -> None:
    with pytest.raises(InvalidInputError):
        read_result_object(text)


@pytest.mark.parametrize(
    "changes",
    [
        {"duration_ms": "8722"},
        {"duration_ms": -1},
        {"total_cost_usd": float("nan")},
        {"total_cost_usd": True},
        {"num_turns": [1]},
        {"is_error": "no"},
        {"subtype": 5},
        {"session_id": ""},
        {"modelUsage": []},
        {"modelUsage": {"m": 3}},
        {"modelUsage": {"m": {"inputTokens": -3}}},
        {"is_error": None, "subtype": None},
    ],
)
def test_bad_fields_are_invalid_input(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        headless_record({**RESULT, **changes})
