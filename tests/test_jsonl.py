from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen_agentic._jsonl import iter_jsonl, parse_line
from kaizen_agentic.errors import MalformedLineWarning


def test_lines_json_loads_reads_are_read_the_same() -> None:
    assert parse_line(b'{"q":NaN,"s":"\\ud800","n":' + b"9" * 400 + b"}\n") == json.loads(
        b'{"q":NaN,"s":"\\ud800","n":' + b"9" * 400 + b"}"
    )
    assert parse_line(b'{"a":1,"a":2}') == {"a": 2}


@pytest.mark.parametrize(
    "raw",
    [b"[" * 20_000, b"[1]", b'"x"', b"nope", b'{"a":"\xff"}', b'{"a":' + b"9" * 5000 + b"}"],
)
def test_a_line_that_is_not_an_object_is_none(raw: bytes) -> None:
    assert parse_line(raw) is None


def test_iter_jsonl_numbers_lines_and_warns_on_each_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a":1}\n\n[2]\n{"a":3}\n{"a":')
    with pytest.warns(MalformedLineWarning) as caught:
        assert list(iter_jsonl(path)) == [(1, {"a": 1}), (4, {"a": 3})]
    assert [str(w.message) for w in caught] == [
        f"{path}:3: skipped a malformed line",
        f"{path}:5: skipped a malformed line",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(iter_jsonl(path, warn=False))) == 2
    assert list(iter_jsonl(tmp_path / "missing.jsonl")) == []


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(st.text(), values, max_size=5), max_size=10))
def test_generated_objects_round_trip_as_json_loads_reads_them(
    tmp_path: Path, objects: list[dict[str, object]]
) -> None:
    path = tmp_path / "x.jsonl"
    lines = [json.dumps(o, ensure_ascii=False) for o in objects]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    assert [record for _, record in iter_jsonl(path)] == [json.loads(line) for line in lines]
