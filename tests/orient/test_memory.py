from __future__ import annotations

import multiprocessing
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidInputError, InvalidNameError, KaizenError
from kaizen_agentic.orient.memory import (
    SECTIONS,
    add_memory,
    init_memory,
    insert_bullet,
    memory_highlights,
    memory_path,
    memory_template,
    read_memory,
)

DAY = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
TEMPLATE = """\
# Project Memory: coach

What coach has learned about this project, kept across sessions: read it before starting work \
and add to it with `kaizen-agentic memory add coach "..."`.

Created: 2026-11-25

## Project Context

_What this project is: its stack, conventions and where things live._

## Learnings

_What worked, what did not, and why._

## Decisions

_Choices made and the reason for each, so they stay made._

## Open Questions

_What is still unclear, and who could answer it._
"""


def test_template_has_the_four_sections_with_hints() -> None:
    assert memory_template("coach", DAY) == TEMPLATE
    assert list(SECTIONS) == ["project-context", "learnings", "decisions", "open-questions"]


def test_template_date_is_utc() -> None:
    late = datetime.fromisoformat("2026-11-25T23:30:00-05:00")  # 2026-11-26 in UTC
    assert "Created: 2026-11-26\n" in memory_template("coach", late)


def test_init_creates_memory_and_metrics_folder(project: Path) -> None:
    result = init_memory(project, "coach", now=DAY)
    path = project / ".kaizen" / "agents" / "coach" / "memory.md"
    metrics = project / ".kaizen" / "metrics" / "coach"
    assert (result.path, result.created, result.metrics_dir) == (path, True, metrics)
    assert path.read_text() == TEMPLATE
    assert (metrics / "executions.jsonl").read_bytes() == b""
    assert memory_path(project, "coach") == path
    assert read_memory(project, "coach") == TEMPLATE


def test_init_without_metrics_creates_no_metrics_folder(project: Path) -> None:
    result = init_memory(project, "coach", scaffold_metrics=False, now=DAY)
    assert result.created and result.metrics_dir is None
    assert sorted(p.name for p in (project / ".kaizen").iterdir()) == ["agents"]


def test_init_never_overwrites_existing_memory(project: Path) -> None:
    path = memory_path(project, "coach")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"# my own notes\n\nhand written, no sections\n")
    result = init_memory(project, "coach", now=DAY)
    assert not result.created and result.path == path
    assert path.read_bytes() == b"# my own notes\n\nhand written, no sections\n"
    again = init_memory(project, "coach", now=DAY)
    assert (again.created, again.metrics_dir) == (False, None)  # metrics folder existed by now
    assert path.read_bytes() == b"# my own notes\n\nhand written, no sections\n"


def test_read_memory_missing_is_none(project: Path) -> None:
    assert read_memory(project, "coach") is None
    assert not (project / ".kaizen").exists()


def test_add_places_bullets_exactly(project: Path) -> None:
    init_memory(project, "coach", now=DAY)
    add_memory(project, "coach", "first learning", now=DAY)
    add_memory(project, "coach", "second learning", now=datetime(2026, 11, 26, tzinfo=timezone.utc))
    add_memory(project, "coach", "Use uv", section="decisions", now=DAY)
    add_memory(project, "coach", "Python 3.10+", section="project-context", now=DAY)
    path = add_memory(project, "coach", "Who owns CI?", section="open-questions", now=DAY)
    assert path.read_text() == TEMPLATE.replace(
        "_What this project is: its stack, conventions and where things live._\n",
        "_What this project is: its stack, conventions and where things live._\n\n"
        "- 2026-11-25: Python 3.10+\n",
    ).replace(
        "_What worked, what did not, and why._\n",
        "_What worked, what did not, and why._\n\n"
        "- 2026-11-25: first learning\n"
        "- 2026-11-26: second learning\n",
    ).replace(
        "_Choices made and the reason for each, so they stay made._\n",
        "_Choices made and the reason for each, so they stay made._\n\n- 2026-11-25: Use uv\n",
    ).replace(
        "_What is still unclear, and who could answer it._\n",
        "_What is still unclear, and who could answer it._\n\n- 2026-11-25: Who owns CI?\n",
    )


def test_add_creates_the_file_from_the_template(project: Path) -> None:
    path = add_memory(project, "coach", "  trimmed  ", section="decisions", now=DAY)
    assert path.read_text() == TEMPLATE.replace(
        "_Choices made and the reason for each, so they stay made._\n",
        "_Choices made and the reason for each, so they stay made._\n\n- 2026-11-25: trimmed\n",
    )
    assert not (project / ".kaizen" / "metrics").exists()


def test_add_to_hand_written_memory_appends_missing_heading(project: Path) -> None:
    path = memory_path(project, "coach")
    path.parent.mkdir(parents=True)
    path.write_text("# notes\n\n## Learnings\n- old one\n\n\n")
    add_memory(project, "coach", "new one", now=DAY)
    add_memory(project, "coach", "why?", section="open-questions", now=DAY)
    assert path.read_text() == (
        "# notes\n\n## Learnings\n- old one\n- 2026-11-25: new one\n\n"
        "## Open Questions\n\n_What is still unclear, and who could answer it._\n\n"
        "- 2026-11-25: why?\n"
    )


def test_insert_keeps_subsections_code_fences_and_crlf() -> None:
    text = (
        "## Learnings\r\n\r\nSome prose.\r\n\r\n### Detail\r\n- a\r\n  continued\r\n"
        "```\r\n## Decisions (inside a fence, not a heading)\r\n```\r\n\r\n## Decisions\r\n"
    )
    assert insert_bullet(text, "learnings", "- x") == (
        "## Learnings\r\n\r\nSome prose.\r\n\r\n### Detail\r\n- a\r\n  continued\r\n"
        "```\r\n## Decisions (inside a fence, not a heading)\r\n```\r\n\r\n- x\r\n\r\n"
        "## Decisions\r\n"
    )
    assert insert_bullet(text, "decisions", "- y").endswith("## Decisions\r\n\r\n- y\r\n")
    assert insert_bullet("", "learnings", "- z") == (
        "## Learnings\n\n_What worked, what did not, and why._\n\n- z\n"
    )


def test_heading_match_ignores_case_and_first_match_wins() -> None:
    text = "## open questions\n- a\n\n## Open Questions\n- b\n"
    assert insert_bullet(text, "open-questions", "- c") == (
        "## open questions\n- a\n- c\n\n## Open Questions\n- b\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "memory text: empty; pass one line of text to remember"),
        ("   \t ", "memory text: empty; pass one line of text to remember"),
        ("two\nlines", "memory text: must be a single line; add one entry per line"),
        ("carriage\rreturn", "memory text: must be a single line; add one entry per line"),
        (
            "x" * 2001,
            "memory text: 2001 characters is over the 2000-character limit; "
            "shorten it or put details in a protocol",
        ),
    ],
)
def test_add_refuses_bad_text_and_writes_nothing(project: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        add_memory(project, "coach", text, now=DAY)
    assert caught.value.message == message
    assert not (project / ".kaizen").exists()


def test_add_accepts_exactly_2000_characters(project: Path) -> None:
    add_memory(project, "coach", "y" * 2000, now=DAY)
    assert f"- 2026-11-25: {'y' * 2000}\n" in memory_path(project, "coach").read_text()


def test_add_refuses_unknown_section_and_bad_agent_name(project: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        add_memory(project, "coach", "x", section="misc")
    assert caught.value.message == (
        "unknown memory section 'misc': use one of "
        "project-context, learnings, decisions, open-questions"
    )
    with pytest.raises(InvalidNameError):
        add_memory(project, "../evil", "x")
    assert not (project / ".kaizen").exists()


def test_add_refuses_a_memory_file_that_is_not_utf8(project: Path) -> None:
    path = memory_path(project, "coach")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"## Learnings\n\xff\xfe\n")
    with pytest.raises(KaizenError) as caught:
        add_memory(project, "coach", "x")
    assert caught.value.message == f"{path}: not UTF-8 text; fix the file's encoding"
    assert path.read_bytes() == b"## Learnings\n\xff\xfe\n"


def test_interrupted_add_leaves_the_original_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_memory(project, "coach", scaffold_metrics=False, now=DAY)
    add_memory(project, "coach", "kept", now=DAY)
    path = memory_path(project, "coach")
    before = path.read_bytes()
    seen: list[Path] = []

    def crash(self: Path, target: Path) -> Path:
        seen.append(self)
        new_text = insert_bullet(before.decode(), "decisions", "- 2026-11-25: lost")
        assert self.read_bytes() == new_text.encode()  # the complete new file, then the rename
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        add_memory(project, "coach", "lost", section="decisions", now=DAY)
    monkeypatch.undo()
    assert [p.parent for p in seen] == [path.parent]  # temp file in the same directory
    assert re.fullmatch(r"\.memory\.md\..*\.tmp", seen[0].name)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [".memory.lock", "memory.md"]


def _add_many(root: str, worker: int) -> None:
    for index in range(25):
        add_memory(Path(root), "coach", f"worker {worker} entry {index}", now=DAY)


def test_concurrent_adds_from_processes_lose_nothing(project: Path) -> None:
    init_memory(project, "coach", scaffold_metrics=False, now=DAY)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_add_many, args=(str(project), w)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join()
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    text = memory_path(project, "coach").read_text()
    bullets = re.findall(r"^- 2026-11-25: (worker \d entry \d+)$", text, flags=re.MULTILINE)
    expected = {f"worker {w} entry {i}" for w in range(4) for i in range(25)}
    assert len(bullets) == 100 and set(bullets) == expected
    for worker in range(4):  # each worker's entries stay in its own order
        mine = [b for b in bullets if b.startswith(f"worker {worker} ")]
        assert mine == [f"worker {worker} entry {i}" for i in range(25)]
    learnings = text.split("## Learnings\n", 1)[1].split("## Decisions", 1)[0]
    assert learnings.count("\n- 2026-11-25: ") == 100
    names = sorted(p.name for p in memory_path(project, "coach").parent.iterdir())
    assert names == [".memory.lock", "memory.md"]  # no temp file left behind


def test_highlights_are_the_last_bullets_of_each_section() -> None:
    text = TEMPLATE
    for index in range(5):
        text = insert_bullet(text, "learnings", f"- 2026-11-2{index}: learning {index}")
    text = insert_bullet(text, "decisions", "- 2026-11-25: one decision")
    text += "\n## Gotchas\n\n- watch the cache\n  across lines\nprose ends it\n  not a bullet\n"
    assert memory_highlights(text) == {
        "project-context": [],
        "learnings": [
            "2026-11-22: learning 2",
            "2026-11-23: learning 3",
            "2026-11-24: learning 4",
        ],
        "decisions": ["2026-11-25: one decision"],
        "open-questions": [],
        "gotchas": ["watch the cache across lines"],
    }
    assert memory_highlights(text, per_section=1)["learnings"] == ["2026-11-24: learning 4"]
    assert memory_highlights(text, per_section=0)["learnings"] == []
    assert memory_highlights("no sections at all\n- a bullet\n") == {
        "project-context": [],
        "learnings": [],
        "decisions": [],
        "open-questions": [],
    }


def test_the_core_refuses_an_agent_nobody_knows(project: Path) -> None:
    from kaizen_agentic.agents.registry import AgentNotFoundError
    from kaizen_agentic.orient.feedback import add_feedback
    from kaizen_agentic.orient.protocols import add_protocol

    for write in (
        lambda: init_memory(project, "no-such-agent", now=DAY),
        lambda: add_memory(project, "no-such-agent", "x", now=DAY),
        lambda: add_feedback(project, "no-such-agent", 3, "x"),
        lambda: add_protocol(project, "no-such-agent", "steps", "1. do it"),
    ):
        with pytest.raises(AgentNotFoundError):
            write()
    assert not (project / ".kaizen").exists()
