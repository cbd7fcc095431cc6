"""The orient commands (SPEC §5): ``memory``, ``feedback`` and ``protocols``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kaizen_agentic.cli import KaizenGroup
from kaizen_agentic.cli.feedback import feedback_group
from kaizen_agentic.cli.memory import memory_group
from kaizen_agentic.cli.protocols import protocols_group
from kaizen_agentic.orient.feedback import add_feedback, read_feedback_ratings
from kaizen_agentic.orient.memory import memory_template

# The real root group's error handling (KaizenError -> "Error: ..." + exit code)
# around these groups, without registering them in kaizen_agentic.cli.
ROOT = KaizenGroup(
    commands={"memory": memory_group, "feedback": feedback_group, "protocols": protocols_group}
)
NOT_FOUND = "Error: agent 'nope' not found in registry — run: kaizen-agentic list\n"


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(ROOT, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def test_groups_and_their_commands() -> None:
    for group, name, commands in [
        (memory_group, "memory", ["add", "brief", "init", "show"]),
        (feedback_group, "feedback", ["add", "list"]),
        (protocols_group, "protocols", ["add", "list", "show"]),
    ]:
        assert isinstance(group, click.Group) and group.name == name
        assert sorted(group.commands) == commands
        for command in group.commands.values():
            assert "Example:\n\n    \b\n        kaizen-agentic " in (command.help or "")


# --- memory -------------------------------------------------------------------------------


def test_memory_init_in_the_current_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert run("memory", "init", "coach") == (
        0,
        "Created .kaizen/agents/coach/memory.md\nScaffolded .kaizen/metrics/coach/\n",
        "",
    )
    text = (project / ".kaizen" / "agents" / "coach" / "memory.md").read_text()
    assert text == memory_template("coach", datetime.now(timezone.utc))
    assert (project / ".kaizen" / "metrics" / "coach" / "executions.jsonl").is_file()
    assert run("memory", "init", "coach") == (
        0,
        "Memory already exists: .kaizen/agents/coach/memory.md (left unchanged)\n",
        "",
    )


def test_memory_init_never_overwrites(project: Path) -> None:
    path = project / ".kaizen" / "agents" / "coach" / "memory.md"
    path.parent.mkdir(parents=True)
    path.write_text("custom\n")
    assert run("memory", "init", "coach", "--no-metrics", "-t", str(project)) == (
        0,
        f"Memory already exists: {path} (left unchanged)\n",
        "",
    )
    assert path.read_text() == "custom\n"
    assert not (project / ".kaizen" / "metrics").exists()


def test_memory_init_no_metrics(project: Path) -> None:
    path = project / ".kaizen" / "agents" / "tdd-workflow" / "memory.md"
    assert run("memory", "init", "tdd-workflow", "--no-metrics", "-t", str(project)) == (
        0,
        f"Created {path}\n",
        "",
    )
    assert sorted(p.name for p in (project / ".kaizen").iterdir()) == ["agents"]


def test_memory_show_prints_the_file_and_json(project: Path) -> None:
    path = project / ".kaizen" / "agents" / "coach" / "memory.md"
    path.parent.mkdir(parents=True)
    path.write_text("# mine\n- a\n")
    assert run("memory", "show", "coach", "-t", str(project)) == (0, "# mine\n- a\n", "")
    code, out, _ = run("memory", "show", "coach", "--json", "-t", str(project))
    assert code == 0
    assert json.loads(out) == {"agent": "coach", "path": str(path), "text": "# mine\n- a\n"}


def test_memory_show_missing_says_how_to_create_it(project: Path) -> None:
    assert run("memory", "show", "coach", "-t", str(project)) == (
        1,
        "",
        "Error: no memory for coach; run: kaizen-agentic memory init coach\n",
    )
    assert run("memory", "show", "nope", "--json", "-t", str(project)) == (
        1,
        "",
        "Error: no memory for nope; run: kaizen-agentic memory init nope\n",
    )
    assert not (project / ".kaizen").exists()


def test_memory_add_places_a_dated_bullet(project: Path) -> None:
    t = str(project)
    path = project / ".kaizen" / "agents" / "coach" / "memory.md"
    assert run("memory", "add", "coach", "Use uv", "--section", "decisions", "-t", t) == (
        0,
        f"Added to decisions in {path}\n",
        "",
    )
    assert run("memory", "add", "coach", "Retry flaky tests once", "-t", t) == (
        0,
        f"Added to learnings in {path}\n",
        "",
    )
    hint = "_What worked, what did not, and why._\n"
    decision = "_Choices made and the reason for each, so they stay made._\n"
    assert path.read_text() == memory_template("coach", datetime.now(timezone.utc)).replace(
        hint, f"{hint}\n- {today()}: Retry flaky tests once\n"
    ).replace(decision, f"{decision}\n- {today()}: Use uv\n")
    assert not (project / ".kaizen" / "metrics").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["two\nlines"], "Error: memory text: must be a single line; add one entry per line\n"),
        ([""], "Error: memory text: empty; pass one line of text to remember\n"),
    ],
)
def test_memory_add_bad_text_exits_2_and_writes_nothing(
    project: Path, args: list[str], message: str
) -> None:
    assert run("memory", "add", "coach", *args, "-t", str(project)) == (2, "", message)
    assert not (project / ".kaizen").exists()


def test_memory_add_bad_section_exits_2(project: Path) -> None:
    code, out, err = run("memory", "add", "coach", "x", "--section", "misc", "-t", str(project))
    assert (code, out) == (2, "")
    assert "Invalid value for '--section': 'misc' is not one of 'project-context'" in err
    assert not (project / ".kaizen").exists()


# --- unknown agents and bad names: exit 2, nothing written ---------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["memory", "init", "nope"],
        ["memory", "add", "nope", "text"],
        ["feedback", "add", "nope", "--rating", "3", "fine"],
        ["protocols", "add", "nope", "steps"],
    ],
)
def test_writes_for_unknown_agents_are_refused(project: Path, args: list[str]) -> None:
    assert run(*args, "-t", str(project), stdin="# Steps\n") == (2, "", NOT_FOUND)
    assert not (project / ".kaizen").exists()


def test_a_project_agent_is_known(project: Path) -> None:
    (project / "agents").mkdir()
    (project / "agents" / "agent-local-helper.md").write_text("---\nname: local-helper\n---\n")
    code, out, _ = run("memory", "init", "local-helper", "--no-metrics", "-t", str(project))
    assert (code, out.startswith("Created ")) == (0, True)


@pytest.mark.parametrize(
    "args",
    [
        ["memory", "init", "Bad/Name"],
        ["memory", "add", "..", "text"],
        ["memory", "show", "UPPER"],
        ["feedback", "add", "a b", "--rating", "3", "x"],
        ["feedback", "list", "Coach"],
        ["protocols", "list", ""],
        ["protocols", "show", "coach", "../escape"],
        ["protocols", "add", "coach", "Bad_Slug"],
    ],
)
def test_bad_names_and_slugs_exit_2(project: Path, args: list[str]) -> None:
    code, out, err = run(*args, "-t", str(project), stdin="# Steps\n")
    assert (code, out) == (2, "")
    assert "Error: Invalid value for" in err
    assert "use 1-64 characters of lower-case letters, digits and '-'" in err
    assert not (project / ".kaizen").exists()


# --- feedback -------------------------------------------------------------------------------


def test_feedback_add_and_list(project: Path) -> None:
    t = str(project)
    path = project / ".kaizen" / "agents" / "coach" / "feedback.jsonl"
    assert run("feedback", "add", "coach", "--rating", "4", "--from", "alice", "Good", "-t", t) == (
        0,
        f"Added feedback for coach (rating 4/5) to {path}\n",
        "",
    )
    assert run("feedback", "add", "coach", "--rating", "1", "Too\nlong", "-t", t)[0] == 0
    [first, second] = [json.loads(line) for line in path.read_text().splitlines()]
    assert (first["rating"], first["from"], first["comment"]) == (4, "alice", "Good")
    assert (second["rating"], second["from"], second["comment"]) == (1, None, "Too\nlong")
    assert run("feedback", "list", "coach", "-t", t) == (
        0,
        "DATE        RATING  FROM   COMMENT\n"
        f"{first['timestamp'][:10]}  4       alice  Good\n"
        f"{second['timestamp'][:10]}  1       -      Too long\n"
        "Average rating: 2.50 from 2 entries\n",
        "",
    )
    code, out, _ = run("feedback", "list", "coach", "--json", "-t", t)
    assert code == 0
    assert json.loads(out) == {
        "agent": "coach",
        "count": 2,
        "average_rating": 2.5,
        "entries": [first, second],
    }
    assert list(read_feedback_ratings(project, "coach").ratings) == [4.0, 1.0]


@pytest.mark.parametrize("rating", ["0", "6", "x", "2.5"])
def test_feedback_rating_outside_range_exits_2(project: Path, rating: str) -> None:
    code, out, err = run("feedback", "add", "coach", "--rating", rating, "c", "-t", str(project))
    assert (code, out) == (2, "")
    assert "Invalid value for '--rating'" in err
    assert not (project / ".kaizen").exists()


def test_feedback_rating_is_required(project: Path) -> None:
    code, _, err = run("feedback", "add", "coach", "comment", "-t", str(project))
    assert code == 2 and "Missing option '--rating'" in err
    assert not (project / ".kaizen").exists()


def test_feedback_list_empty(project: Path) -> None:
    assert run("feedback", "list", "coach", "-t", str(project)) == (
        0,
        "No feedback for coach yet; add some with: "
        'kaizen-agentic feedback add coach --rating N "comment"\n',
        "",
    )
    code, out, _ = run("feedback", "list", "coach", "--json", "-t", str(project))
    assert (code, json.loads(out)) == (
        0,
        {"agent": "coach", "count": 0, "average_rating": None, "entries": []},
    )


def test_feedback_list_warns_about_malformed_lines(project: Path) -> None:
    add_feedback(project, "coach", 5, "ok", now="2026-11-25T10:00:00Z")
    path = project / ".kaizen" / "agents" / "coach" / "feedback.jsonl"
    with path.open("a") as handle:
        handle.write("{torn\n")
    assert run("feedback", "list", "coach", "-t", str(project)) == (
        0,
        "DATE        RATING  FROM  COMMENT\n"
        "2026-11-25  5       -     ok\n"
        "Average rating: 5.00 from 1 entry\n",
        f"warning: {path}:2: skipped a malformed line\n",
    )


# --- protocols ------------------------------------------------------------------------------


def test_protocols_add_from_stdin_list_show(project: Path) -> None:
    t = str(project)
    path = project / ".kaizen" / "agents" / "coach" / "protocols" / "hotfix.md"
    stdin = "# Hotfix\n\n1. Branch from the tag\n"
    assert run("protocols", "add", "coach", "hotfix", "-t", t, stdin=stdin) == (
        0,
        f"Added protocol hotfix (Hotfix): {path}\n",
        "",
    )
    assert path.read_text() == stdin
    assert run("protocols", "list", "coach", "-t", t) == (0, "SLUG    TITLE\nhotfix  Hotfix\n", "")
    code, out, _ = run("protocols", "list", "coach", "--json", "-t", t)
    assert (code, json.loads(out)) == (
        0,
        [{"slug": "hotfix", "title": "Hotfix", "path": str(path)}],
    )
    assert run("protocols", "show", "coach", "hotfix", "-t", t) == (0, stdin, "")
    code, out, _ = run("protocols", "show", "coach", "hotfix", "--json", "-t", t)
    assert json.loads(out) == {"agent": "coach", "slug": "hotfix", "path": str(path), "text": stdin}


def test_protocols_add_from_file_and_force(project: Path, tmp_path: Path) -> None:
    t = str(project)
    source = tmp_path / "release.md"
    source.write_text("# Release v1\n")
    path = project / ".kaizen" / "agents" / "coach" / "protocols" / "release.md"
    assert run("protocols", "add", "coach", "release", "--from-file", str(source), "-t", t) == (
        0,
        f"Added protocol release (Release v1): {path}\n",
        "",
    )
    source.write_text("# Release v2\n")
    assert run("protocols", "add", "coach", "release", "--from-file", str(source), "-t", t) == (
        1,
        "",
        f"Error: protocol 'release' already exists for coach ({path}); "
        "pass --force to replace it\n",
    )
    assert path.read_text() == "# Release v1\n"
    assert run(
        "protocols", "add", "coach", "release", "--from-file", str(source), "--force", "-t", t
    ) == (0, f"Replaced protocol release (Release v2): {path}\n", "")
    assert path.read_text() == "# Release v2\n"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (
            "  \n",
            "Error: protocol 'x': empty text; pass the procedure with --from-file or on stdin\n",
        ),
        (b"\xff\xfe", "Error: stdin: not UTF-8 text; save it as UTF-8\n"),
        (
            "x" * (256 * 1024 + 1),
            "Error: stdin: over the 256 KiB limit for a protocol; "
            "split it into smaller protocols\n",
        ),
    ],
)
def test_protocols_add_refuses_unusable_text(
    project: Path, stdin: str | bytes, message: str
) -> None:
    assert run("protocols", "add", "coach", "x", "-t", str(project), stdin=stdin) == (
        2,
        "",
        message,
    )
    assert not (project / ".kaizen").exists()


def test_protocols_missing_and_empty(project: Path) -> None:
    t = str(project)
    assert run("protocols", "show", "coach", "nope", "-t", t) == (
        1,
        "",
        "Error: no protocol 'nope' for coach; see the ones there are with: "
        "kaizen-agentic protocols list coach\n",
    )
    assert run("protocols", "list", "coach", "-t", t) == (
        0,
        "No protocols for coach; add one with: "
        "kaizen-agentic protocols add coach SLUG --from-file FILE\n",
        "",
    )
    code, out, _ = run("protocols", "list", "coach", "--json", "-t", t)
    assert (code, json.loads(out)) == (0, [])
    assert not (project / ".kaizen").exists()
