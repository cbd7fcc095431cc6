"""What every fuzz target shares: example budgets, hostile values, and the no-traceback check.

Budgets follow the environment: ``CI`` set (any value but empty) runs 2,000
examples per target, ``KAIZEN_FUZZ`` (``make fuzz``) runs that many or more,
and a local run stays quick.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from kaizen_agentic.cli import cli


def _budget() -> int:
    if os.environ.get("KAIZEN_FUZZ"):
        return int(os.environ["KAIZEN_FUZZ"])
    return 2000 if os.environ.get("CI") else 60


EXAMPLES = _budget()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)

# strings as a hostile repo writes them: lone surrogates and control characters included
hostile_text = st.text(st.characters(blacklist_categories=()), max_size=12)
huge_numbers = st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1, 1e308, -1e308, 5e-324])
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_numbers,
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-05:00",
            "2026-06-05 07:00:52Z",
            "2026-02-30T00:00:00Z",
            "",
            "coach",
            "weekly",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=12,
)
RECORD_KEYS = [
    "success",
    "timestamp",
    "agent",
    "record_id",
    "agent_version",
    "quality_score",
    "execution_time_s",
    "cost",
    "primary_metric",
    "collaboration",
    "metadata",
    "idempotency_key",
    "session_id",
    "source",
    "model",
    "turns",
]
records = st.dictionaries(st.sampled_from(RECORD_KEYS), json_values, max_size=8)
plausible_records = st.fixed_dictionaries(
    {"success": st.one_of(st.booleans(), scalars)},
    optional={k: json_values for k in RECORD_KEYS if k != "success"},
)


def deep(depth: int, kind: str = "[") -> str:
    close = {"[": "]", "{": "}"}[kind]
    if kind == "{":
        return '{"a":' * depth + "1" + close * depth
    return kind * depth + close * depth


RAW_LINES = [
    deep(100_000),
    deep(5_000, "{"),
    '{"success": true, "quality_score": ' + "9" * 5000 + "}",
    '{"success": true, "quality_score": NaN}',
    '{"success": true, "execution_time_s": Infinity}',
    '{"success": true, "quality_score": 1e400}',
    '{"success": true, "session_id": "\\ud800"}',
    '{"success": true, "timestamp": "9999-12-31T23:59:59-05:00"}',
    '{"success": true, "timestamp": "0001-01-01T00:00:00+01:00"}',
    '{"success": true, "cost": 5, "agent_version": ["a"]}',
    '{"success": true, "primary_metric": "x", "collaboration": []}',
    "\xff\xfe garbage",
    "[1, 2, 3]",
    '{"success": true, "turns": -' + "7" * 5000 + "}",
    '"just a string"',
    '{"success": tru',
]
raw_lines = st.one_of(
    st.sampled_from(RAW_LINES),
    records.map(lambda r: json.dumps(r)),
    plausible_records.map(lambda r: json.dumps(r)),
    hostile_text,
)
file_bytes = st.one_of(
    st.lists(raw_lines, max_size=6).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)


def invoke(args: list[str], stdin: bytes | str | None = None) -> Result:
    return CliRunner().invoke(cli, args, input=stdin)


def assert_no_traceback(result: Result) -> None:
    """Exit 0, 1 or 2 with a plain message: the CLI never lets an exception through."""
    error = result.exception
    if error is not None and not isinstance(error, SystemExit):
        import traceback

        where = traceback.extract_tb(error.__traceback__)[-3:]
        raise AssertionError(f"{type(error).__name__}: {str(error)[:200]} at {where}")
    assert result.exit_code in (0, 1, 2), result.output[:500]
    assert "Traceback" not in result.output


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def strict_json(text: str) -> Any:
    """Parse *text* as standard JSON only: NaN and Infinity are refused."""
    return json.loads(text, parse_constant=_refuse_constant)


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.is_file() else 0


def assert_standard_json_lines(path: Path, after: int = 0) -> None:
    """Every line the tool wrote (past the first *after* lines) is standard JSON in UTF-8."""
    if not path.is_file():
        return
    for line in path.read_bytes().split(b"\n")[after:]:
        line = line.decode("utf-8")
        if line.strip():
            value = strict_json(line)
            _assert_finite(value)


def _assert_finite(value: Any) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for item in value.values():
            _assert_finite(item)
    elif isinstance(value, list):
        for item in value:
            _assert_finite(item)
