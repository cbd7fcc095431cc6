"""Transcript lines in Claude Code's documented JSONL shape, built for the tests."""

from __future__ import annotations

import json
from typing import Any

SESSION = "11111111-2222-4333-8444-555555555555"


def assistant(
    message_id: str | None,
    request_id: str | None = "req_1",
    *,
    output: int = 10,
    input_tokens: int = 5,
    read: int = 100,
    write: int = 50,
    write_1h: int | None = None,
    model: str = "claude-sonnet-4-5-20250929",
    content: list[dict[str, Any]] | None = None,
    timestamp: str = "2026-02-12T14:12:35.000Z",
    **extra: Any,
) -> str:
    usage: dict[str, Any] = {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "output_tokens": output,
    }
    if write_1h is not None:
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": write - write_1h,
            "ephemeral_1h_input_tokens": write_1h,
        }
    message: dict[str, Any] = {
        "model": model,
        "role": "assistant",
        "type": "message",
        "content": content or [{"type": "text", "text": "secret reply text"}],
        "stop_reason": None,
        "usage": usage,
    }
    if message_id is not None:
        message["id"] = message_id
    line: dict[str, Any] = {
        "type": "assistant",
        "sessionId": SESSION,
        "timestamp": timestamp,
        "version": "2.1.39",
        "message": message,
        **extra,
    }
    if request_id is not None:
        line["requestId"] = request_id
    return json.dumps(line)


def tool_use(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": "ls"}}


def user(content: Any, timestamp: str = "2026-02-12T14:12:40.000Z", **extra: Any) -> str:
    return json.dumps(
        {
            "type": "user",
            "sessionId": SESSION,
            "timestamp": timestamp,
            "message": {"role": "user", "content": content},
            **extra,
        }
    )


def tool_result(tool_id: str, *, is_error: bool = False) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": "out", "is_error": is_error}
