"""The msgspec column parser against a plain json.loads reference."""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen_agentic._time import parse_timestamp
from kaizen_agentic.errors import MalformedLineWarning
from kaizen_agentic.metrics.column_cache import load_columns
from kaizen_agentic.metrics.columns import FIELDS, LABELS, Columns, read_range

GOOD = '{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":0.5}'


def reference(lines: list[bytes]) -> Columns:
    """What the columns should hold: json.loads, then the documented rules, one line at a time."""
    ts, success, values = [], [], {name: [] for name in FIELDS}
    words: dict[str, list[str | None]] = {name: [] for name in LABELS}
    for raw in lines:
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict) or not isinstance(record.get("success"), bool):
            continue
        try:
            moment = parse_timestamp(record["timestamp"]).timestamp()
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        ts.append(moment)
        success.append(float(record["success"]))
        for name, path in FIELDS.items():
            node: Any = record
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            number = math.nan
            if isinstance(node, (int, float)) and not isinstance(node, bool):
                with contextlib.suppress(OverflowError):
                    number = float(node)
            values[name].append(number)
        for name, options in LABELS.items():
            word = None
            for path in options:
                node = record
                for part in path:
                    node = node.get(part) if isinstance(node, dict) else None
                if isinstance(node, str) and node.strip():
                    word = node.strip()[:120]
                    break
            words[name].append(word)
    with np.errstate(over="ignore"):  # beyond float32: inf, as array("f") stores it
        floats = {k: np.asarray(v, dtype=np.float64).astype(np.float32) for k, v in values.items()}
    vocab = {name: sorted({w for w in found if w is not None}) for name, found in words.items()}
    codes = {
        name: np.asarray(
            [vocab[name].index(w) if w is not None else -1 for w in found], dtype=np.int32
        )
        for name, found in words.items()
    }
    return Columns(
        np.asarray(ts, dtype=np.float64),
        np.asarray(success, dtype=np.float32),
        floats,
        codes,
        vocab,
    )


def parse(path: Path) -> Columns:
    return read_range(path, 0, path.stat().st_size).columns


def assert_same(got: Columns, want: Columns) -> None:
    np.testing.assert_array_equal(got.ts, want.ts)
    np.testing.assert_array_equal(got.success, want.success)
    for name in FIELDS:
        np.testing.assert_array_equal(got.values[name], want.values[name], err_msg=name)
    for name in LABELS:  # codes depend on first appearance: compare the decoded words
        assert got.label(name) == want.label(name), name


EDGE_LINES = [
    b"[" * 20_000,
    b"{" + b'"a":[' * 20_000,
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","metadata":'
    + b"[" * 20_000
    + b"]" * 20_000
    + b"}",
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":' + b"9" * 5000 + b"}",
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":' + b"9" * 400 + b"}",
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","note":"\\ud800"}',
    b'{"success":true,"timestamp":"\\ud800"}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","note":"\xff\xfe"}',
    b'{"success":true,"timestamp":"2026-05-01T\xff0:00:00Z"}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":NaN}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":Infinity}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":-Infinity,"cost":null}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":1e400}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":true}',
    b'{"success":1,"timestamp":"2026-05-01T10:00:00Z"}',
    b'{"success":true,"timestamp":"2026-02-30T10:00:00Z"}',
    b'{"success":true,"timestamp":"2026-05-01T24:00:00Z"}',
    b'{"success":true,"timestamp":"2026-05-01T+1:00:00Z"}',
    b'{"success":true,"timestamp":"2026-05-01T10:00:00+02:00"}',
    b'{"success":true,"timestamp":"2026-05-01"}',
    b'{"success":true,"success":false,"timestamp":"2026-05-01T10:00:00Z"}',
    b'[{"success":true,"timestamp":"2026-05-01T10:00:00Z"}]',
    b'"just a string"',
    b"not json",
    b"   ",
]


@pytest.mark.parametrize("line", EDGE_LINES, ids=range(len(EDGE_LINES)))
def test_an_odd_line_is_read_or_skipped_like_the_reference(tmp_path: Path, line: bytes) -> None:
    path = tmp_path / "executions.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + line + b"\n" + GOOD.encode() + b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MalformedLineWarning)
        got = parse(path)
    if b"\xff" in line:
        # json.loads rejects the bytes; msgspec does not look inside strings it skips
        assert len(got) in (2, 3)
        return
    assert_same(got, reference(path.read_bytes().split(b"\n")))


def test_malformed_lines_are_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "executions.jsonl"
    path.write_bytes(f"{GOOD}\n[1]\n{GOOD}\n".encode() + b"[" * 20_000 + b"\n")
    with pytest.warns(MalformedLineWarning) as caught:
        assert len(parse(path)) == 2
    assert [str(w.message) for w in caught] == [
        f"{path}:2: skipped a malformed line",
        f"{path}:4: skipped a malformed line",
    ]


def test_a_torn_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "executions.jsonl"
    cache = tmp_path / ".cache"
    path.write_text(f"{GOOD}\n{GOOD[:20]}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_columns(path, cache)) == 1
    with path.open("a") as handle:
        handle.write(GOOD[20:] + "\n")
    assert len(load_columns(path, cache)) == 2


def test_a_chunk_boundary_inside_a_line_splits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kaizen_agentic.metrics.columns.CHUNK_BYTES", 37)
    path = tmp_path / "executions.jsonl"
    path.write_text("".join(f"{GOOD}\n" for _ in range(20)) + "oops\n" + f"{GOOD}\n")
    with pytest.warns(MalformedLineWarning, match=":21: skipped"):
        assert len(parse(path)) == 21


numbers = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3),
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(timezone.utc)
)
stamps = st.one_of(
    moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")),
    moments.map(lambda m: m.isoformat()),
    st.text(max_size=22),
    st.integers(),
)
section = st.one_of(
    st.none(),
    st.integers(),
    st.dictionaries(
        st.sampled_from(["usd", "input_tokens", "handoffs", "value", "target", "name", "x"]),
        st.one_of(numbers, st.text(max_size=3)),
    ),
)
records = st.fixed_dictionaries(
    {"timestamp": stamps, "success": st.one_of(st.booleans(), st.just(1), st.none())},
    optional={
        "quality_score": numbers,
        "execution_time_s": numbers,
        "cost": section,
        "collaboration": section,
        "primary_metric": section,
        "metadata": st.dictionaries(
            st.sampled_from(["failure_reason", "error", "x"]),
            st.one_of(st.text(max_size=5), st.integers(), st.none()),
            max_size=3,
        ),
        "agent_version": st.one_of(st.text(max_size=4), st.integers(), st.none()),
        "source": st.sampled_from(["manual", "claude-hook", " ", ""]),
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(records, max_size=30), st.booleans())
def test_generated_records_read_as_json_loads_reads_them(
    tmp_path: Path, generated: list[dict[str, Any]], sort_keys: bool
) -> None:
    path = tmp_path / "executions.jsonl"
    lines = [json.dumps(r, sort_keys=sort_keys, ensure_ascii=False).encode() for r in generated]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    assert_same(parse(path), reference(lines))


hex_id = st.text(alphabet="0123456789abcdefABCDEF", min_size=32, max_size=32)
odd_id = st.one_of(
    # one character that int(..., 16) may accept and a digit table would not
    st.builds(
        lambda head, c, tail: head + c + tail,
        st.text(alphabet="0123456789abcdef", min_size=7, max_size=7),
        st.sampled_from(["_", "+", " ", "g", "é", "٣"]),
        st.text(alphabet="0123456789abcdef", min_size=24, max_size=24),
    ),
    st.text(max_size=40),
    st.none(),
    st.integers(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(hex_id, min_size=1, max_size=20), st.lists(odd_id, max_size=3), st.randoms())
def test_a_chunk_of_ids_hashes_as_each_id_does(usual: list[str], odd: list[Any], rng: Any) -> None:
    from kaizen_agentic.metrics.columns import _id_hashes, id_hash

    ids: list[Any] = [*usual, *odd]
    rng.shuffle(ids)
    assert _id_hashes(ids).tolist() == [id_hash(i) for i in ids]


canonical = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0"))


def one_field_off(moment: datetime, field: int, value: int) -> str:
    """*moment* in canonical form with one field (year, month, ... second) set to *value*."""
    parts = [moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second]
    parts[field] = value
    return "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*parts)


odd_stamp = st.one_of(
    # twenty characters that look canonical, one field at or past its edge
    st.builds(
        one_field_off,
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
        st.integers(0, 5),
        st.sampled_from([0, 13, 24, 28, 29, 30, 31, 32, 59, 60, 61, 99]),
    ),
    canonical.map(lambda s: s.replace("T", " ")),
    canonical.map(lambda s: s.replace("Z", "z")),
    canonical.map(lambda s: s[:5] + "٠" + s[6:]),  # a digit numpy's table would not read
    canonical.map(lambda s: s[:-1] + "+00:00"),
    st.text(max_size=24),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(canonical, min_size=1, max_size=20), st.lists(odd_stamp, max_size=4), st.randoms())
def test_a_chunk_of_timestamps_converts_as_each_one_does(
    usual: list[str], odd: list[str], rng: Any
) -> None:
    from kaizen_agentic.metrics.columns import _epoch, _epochs

    stamps = [*usual, *odd]
    rng.shuffle(stamps)
    expected = [math.nan if (e := _epoch(s)) is None else e for s in stamps]
    assert np.array_equal(_epochs(stamps), np.asarray(expected), equal_nan=True)


def test_calendar_edges_convert_as_the_scalar_parser_does() -> None:
    from kaizen_agentic.metrics.columns import _epoch, _epochs

    edges = [
        f"{year}-02-{day}T12:00:00Z"
        for year in ("1900", "2000", "2023", "2024", "2100")
        for day in ("28", "29", "30")
    ]
    edges += [f"2024-{m:02d}-{d}T00:00:00Z" for m in range(1, 13) for d in ("30", "31", "32")]
    edges += ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
    edges += ["2024-12-31T24:00:00Z", "2024-12-31T23:60:00Z", "2024-12-31T23:59:60Z"]
    expected = [math.nan if (e := _epoch(s)) is None else e for s in edges]
    # February 29 and 30 of 1900, 2023, 2100, the 30th in 2000 and 2024; day 32, April 31, ...
    assert sum(math.isnan(e) for e in expected) == 8 + 18 + 1 + 3
    assert np.array_equal(_epochs(edges), np.asarray(expected), equal_nan=True)
