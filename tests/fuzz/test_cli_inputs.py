"""Every command's file and stdin inputs, fuzzed through the CLI in-process (SPEC §10).

Each target writes hostile content where a repo (or a caller) controls it,
runs the commands that read it, and checks: exit 0, 1 or 2, no traceback, no
partial write, and only standard JSON in what the tool writes and prints.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz._harness import (
    FUZZ,
    assert_no_traceback,
    assert_standard_json_lines,
    file_bytes,
    hostile_text,
    invoke,
    json_values,
    line_count,
    plausible_records,
    raw_lines,
    records,
    strict_json,
)

GOOD = (
    '{"agent":"coach","agent_version":"v1","record_id":"' + "a" * 32 + '",'
    '"success":true,"timestamp":"2026-05-01T10:00:00Z","quality_score":0.5}'
)


@contextmanager
def project() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="kaizen-fuzz-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def executions(root: Path) -> Path:
    return root / ".kaizen" / "metrics" / "coach" / "executions.jsonl"


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


stdin_documents = st.one_of(
    records.map(lambda r: json.dumps(r, ensure_ascii=True)),
    plausible_records.map(lambda r: json.dumps(r, ensure_ascii=False)),
    json_values.map(json.dumps),
    raw_lines,
)


@FUZZ
@given(stdin_documents)
def test_metrics_record_json_stdin(document: str) -> None:
    with project() as root:
        put(executions(root), f"{GOOD}\n".encode())
        before = executions(root).read_bytes()
        result = invoke(
            ["metrics", "record", "coach", "--json", "-t", str(root)],
            document.encode("utf-8", "surrogatepass"),
        )
        assert_no_traceback(result)
        after = executions(root).read_bytes()
        if result.exit_code != 0:
            assert after == before  # refused: nothing written
        else:
            assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
        assert_standard_json_lines(executions(root))


@FUZZ
@given(st.lists(raw_lines, max_size=5))
def test_stored_execution_lines(lines: list[str]) -> None:
    with project() as root:
        text = "\n".join([GOOD, *lines, GOOD]) + "\n"
        put(executions(root), text.encode("utf-8", "surrogatepass"))
        for args in (
            ["metrics", "show", "coach", "--json"],
            ["metrics", "export", "coach"],
            ["metrics", "list", "--json"],
        ):
            result = invoke([*args, "-t", str(root)])
            assert_no_traceback(result)
            if "--json" in args and result.exit_code == 0:
                strict_json(result.stdout)
        summary = root / ".kaizen" / "metrics" / "coach" / "summary.json"
        if summary.exists():
            strict_json(summary.read_text(encoding="utf-8"))


@FUZZ
@given(st.one_of(file_bytes, json_values.map(lambda v: yaml.safe_dump(v).encode())))
def test_schedule_yml(data: bytes) -> None:
    with project() as root:
        put(root / ".kaizen" / "schedule.yml", data)
        for args in (["schedule", "validate"], ["schedule", "list", "--all", "--json"]):
            assert_no_traceback(invoke([*args, "-t", str(root)]))


@FUZZ
@given(st.one_of(file_bytes, json_values.map(lambda v: yaml.safe_dump(v).encode())))
def test_config_yml(data: bytes) -> None:
    with project() as root:
        put(root / ".kaizen" / "config.yml", data)
        put(executions(root), f"{GOOD}\n".encode())
        for args in (["config", "validate"], ["metrics", "show", "coach", "--json"]):
            assert_no_traceback(invoke([*args, "-t", str(root)]))


def scalars_or_active() -> st.SearchStrategy[object]:
    return st.one_of(st.just("active"), json_values)


roster_hosts = st.one_of(
    hostile_text, st.sampled_from(["/srv/" + "x" * 300, "/srv/ok", "relative/path", "/" * 3])
)
roster_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "version": st.sampled_from(["1", 1, None]),
            "repos": st.lists(
                st.fixed_dictionaries(
                    {
                        "slug": st.one_of(hostile_text, st.just("repo-a")),
                        "host_paths": st.one_of(
                            json_values, st.dictionaries(st.just("h1"), roster_hosts, max_size=1)
                        ),
                    },
                    optional={"status": scalars_or_active(), "domain": json_values},
                ),
                max_size=3,
            ),
        }
    ),
)


@FUZZ
@given(st.one_of(file_bytes, roster_documents.map(lambda v: yaml.safe_dump(v).encode())))
def test_roster_yaml(data: bytes) -> None:
    with project() as root:
        roster = put(root / "roster.yaml", data)
        result = invoke(["fleet", "discover", "--roster", str(roster), "--host", "h1", "--json"])
        assert_no_traceback(result)


agent_markdown = st.one_of(
    file_bytes,
    st.tuples(json_values, hostile_text).map(
        lambda pair: ("---\n" + yaml.safe_dump(pair[0]) + "---\n" + pair[1]).encode(
            "utf-8", "surrogatepass"
        )
    ),
)


@FUZZ
@given(agent_markdown)
def test_agent_markdown(data: bytes) -> None:
    with project() as root:
        put(root / "agents" / "agent-coach.md", data)
        for args in (["validate"], ["schedule", "prepare", "coach", "--json"], ["info", "coach"]):
            result = invoke([*args, "-t", str(root)])
            assert_no_traceback(result)


@FUZZ
@given(st.lists(st.one_of(raw_lines, json_values.map(json.dumps)), max_size=5))
def test_feedback_jsonl(lines: list[str]) -> None:
    with project() as root:
        data = "\n".join(lines).encode("utf-8", "surrogatepass")
        put(root / ".kaizen" / "agents" / "coach" / "feedback.jsonl", data)
        put(executions(root), f"{GOOD}\n".encode())
        for args in (["feedback", "list", "coach", "--json"], ["metrics", "show", "coach"]):
            assert_no_traceback(invoke([*args, "-t", str(root)]))


@FUZZ
@given(
    st.lists(st.one_of(raw_lines, json_values.map(json.dumps)), max_size=4),
    st.one_of(file_bytes, json_values.map(lambda v: json.dumps(v).encode())),
)
def test_recommendations_and_analysis(lines: list[str], analysis: bytes) -> None:
    with project() as root:
        optimizer = root / ".kaizen" / "metrics" / "optimizer"
        history = "".join(f"{line}\n" for line in lines).encode("utf-8", "surrogatepass")
        put(optimizer / "recommendations.jsonl", history)
        before = line_count(optimizer / "recommendations.jsonl")
        put(optimizer / "analysis.json", analysis)
        put(executions(root), f"{GOOD}\n".encode())
        for args in (
            ["schedule", "prepare", "coach", "--json"],
            ["metrics", "optimize", "--json"],
        ):
            result = invoke([*args, "-t", str(root)])
            assert_no_traceback(result)
        assert_standard_json_lines(optimizer / "recommendations.jsonl", before)


@FUZZ
@given(st.lists(st.one_of(raw_lines, json_values.map(json.dumps)), max_size=5))
def test_outbox_jsonl(lines: list[str]) -> None:
    with project() as root:
        data = "\n".join(lines).encode("utf-8", "surrogatepass")
        put(root / ".kaizen" / "events" / "outbox.jsonl", data)
        result = invoke(["events", "list", "--json", "-t", str(root)])
        assert_no_traceback(result)


@FUZZ
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=4000))
def test_columns_cache_bytes(noise: bytes, cut: int) -> None:
    """A damaged cache is rebuilt: the answer is the one without any cache."""
    with project() as root:
        put(executions(root), f"{GOOD}\n{GOOD}\n".encode())
        args = ["metrics", "list", "--json", "-t", str(root)]
        clean = invoke(args)
        cache = executions(root).parent / ".cache" / "columns.npz"
        valid = cache.read_bytes()
        for damaged in (noise, valid[:cut], valid[:cut] + noise):
            cache.write_bytes(damaged)
            result = invoke(args)
            assert_no_traceback(result)
            assert result.stdout == clean.stdout
