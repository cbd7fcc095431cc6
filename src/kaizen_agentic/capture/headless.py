"""An execution record from a headless run's result (``claude -p --output-format json``).

The result object's ``total_cost_usd`` is what Claude Code billed, so it is
the cost (``cost.source: reported``). Tokens come from ``modelUsage``, which
covers every model the run used; the top-level ``usage`` covers only the
last model call and under-reports a multi-turn run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from kaizen_agentic.errors import InvalidInputError

__all__ = ["HEADLESS_SOURCE", "headless_record", "read_result_object"]

HEADLESS_SOURCE = "claude-headless"

_MODEL_TOKEN_KEYS = {
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "cache_read_tokens": "cacheReadInputTokens",
    "cache_write_tokens": "cacheCreationInputTokens",
}


def read_result_object(text: str) -> dict[str, Any]:
    """The ``result`` object in *text*: ``json`` output, a ``--verbose`` array or ``stream-json``.

    For a stream it is the last line whose ``type`` is ``result``.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError("The headless output is empty; pass what claude -p printed.")
    try:
        whole = json.loads(stripped)
    except (ValueError, RecursionError):
        whole = None
    if isinstance(whole, dict) and whole.get("type", "result") == "result":
        return whole
    candidates = whole if isinstance(whole, list) else _stream_objects(stripped)
    for item in reversed(candidates):
        if isinstance(item, dict) and item.get("type") == "result":
            return item
    raise InvalidInputError(
        "The headless output has no result object; "
        "run claude -p with --output-format json or stream-json."
    )


def _stream_objects(text: str) -> list[object]:
    objects: list[object] = []
    for line in text.splitlines():
        try:
            objects.append(json.loads(line))
        except (ValueError, RecursionError):
            continue
    return objects


def headless_record(result: Mapping[str, Any]) -> dict[str, Any]:
    """The §3 record fields of one headless run; the caller adds ``agent`` and stores it."""
    record: dict[str, Any] = {
        "success": _success(result),
        "source": HEADLESS_SOURCE,
    }
    duration = _number(result, "duration_ms")
    if duration is not None:
        record["execution_time_s"] = duration / 1000
    turns = _number(result, "num_turns")
    if turns is not None:
        record["turns"] = int(turns)
    session_id = result.get("session_id")
    if session_id is not None:
        if not isinstance(session_id, str) or not session_id:
            raise InvalidInputError("The result's session_id must be a non-empty string.")
        record["session_id"] = session_id
        record["idempotency_key"] = _run_key(result, session_id)
    cost, models = _cost(result)
    record["cost"] = cost
    if models:
        record["model"] = models[0] if len(models) == 1 else models
    return record


def _run_key(result: Mapping[str, Any], session_id: str) -> str:
    """One key per run: a resumed session (``claude -p --resume``) is a new run of the same id.

    The result line's own ``uuid`` names the run; without one, the run's
    duration and turn count tell two runs of a session apart.
    """
    uuid = result.get("uuid")
    if isinstance(uuid, str) and uuid.strip():
        return f"claude-headless:{session_id}:{uuid.strip()}"
    duration, turns = result.get("duration_ms"), result.get("num_turns")
    return f"claude-headless:{session_id}:{duration}:{turns}"


def _success(result: Mapping[str, Any]) -> bool:
    is_error = result.get("is_error")
    subtype = result.get("subtype")
    if is_error is not None and not isinstance(is_error, bool):
        raise InvalidInputError("The result's is_error must be true or false.")
    if subtype is not None and not isinstance(subtype, str):
        raise InvalidInputError("The result's subtype must be a string.")
    if is_error is None and subtype is None:
        raise InvalidInputError("The result has neither is_error nor subtype; it is not a result.")
    return subtype in (None, "success") and is_error is not True


def _number(result: Mapping[str, Any], key: str) -> float | None:
    value = result.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"The result's {key} must be a number, not {value!r}.")
    if not math.isfinite(value) or value < 0:
        raise InvalidInputError(f"The result's {key} must be a finite number >= 0.")
    return float(value)


def _cost(result: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    cost: dict[str, Any] = {}
    usage = result.get("modelUsage")
    models: list[str] = []
    if usage is not None and not isinstance(usage, dict):
        raise InvalidInputError("The result's modelUsage must be an object keyed by model.")
    if usage:
        totals = dict.fromkeys(_MODEL_TOKEN_KEYS, 0)
        for model, counts in usage.items():
            if not isinstance(counts, dict):
                raise InvalidInputError(f"The result's modelUsage.{model} must be an object.")
            models.append(model)
            for ours, theirs in _MODEL_TOKEN_KEYS.items():
                totals[ours] += _token_count(counts, model, theirs)
        cost.update(totals)
    usd = _number(result, "total_cost_usd")
    if usd is not None:
        cost["usd"] = usd
        cost["source"] = "reported"
    return cost, models


def _token_count(counts: Mapping[str, Any], model: str, key: str) -> int:
    value = counts.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"The result's modelUsage.{model}.{key} must be a count >= 0.")
    return value
