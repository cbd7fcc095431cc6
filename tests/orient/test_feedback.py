from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidInputError, InvalidNameError, MalformedLineWarning
from kaizen_agentic.orient.feedback import (
    add_feedback,
    agent_state_dir,
    feedback_path,
    list_feedback,
    read_feedback_ratings,
)


def test_add_appends_one_sorted_json_line(project: Path) -> None:
    entry = add_feedback(
        project, "coach", 4, "  Useful  ", author="alice", now="2026-11-25T10:00:00Z"
    )
    assert entry == {
        "agent": "coach",
        "comment": "Useful",
        "from": "alice",
        "rating": 4,
        "timestamp": "2026-11-25T10:00:00Z",
    }
    path = project / ".kaizen" / "agents" / "coach" / "feedback.jsonl"
    assert feedback_path(project, "coach") == path
    assert agent_state_dir(project, "coach") == path.parent
    assert path.read_text() == json.dumps(entry, sort_keys=True) + "\n"
    add_feedback(project, "coach", 2, "meh")
    assert [e["rating"] for e in list_feedback(project, "coach")] == [4, 2]


@pytest.mark.parametrize("rating", [0, 6, -1, True, 3.0, "4"])
def test_ratings_outside_one_to_five_are_refused(project: Path, rating: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        add_feedback(project, "coach", rating, "x")  # type: ignore[arg-type]
    assert caught.value.message == (f"rating: must be a whole number from 1 to 5, got {rating!r}")
    assert not (project / ".kaizen").exists()


def test_bad_comment_author_and_agent_are_refused(project: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        add_feedback(project, "coach", 3, "c" * 2001)
    assert (
        caught.value.message
        == "comment: 2001 characters is over the 2000-character limit; shorten it"
    )
    with pytest.raises(InvalidInputError) as caught:
        add_feedback(project, "coach", 3, "ok", author="  ")
    assert caught.value.message == (
        "from: '' is not a usable name; pass one short line such as a user name"
    )
    with pytest.raises(InvalidNameError):
        add_feedback(project, "Coach", 3, "ok")
    assert not (project / ".kaizen").exists()


def test_list_skips_malformed_lines_with_a_warning(project: Path) -> None:
    add_feedback(project, "coach", 5, "great", now="2026-11-24T08:00:00Z")
    path = feedback_path(project, "coach")
    with path.open("a") as handle:
        handle.write('{"rating": 9}\n\n[1, 2]\n{"rating": true}\n{"rating": 3, "timestamp": "x')
    add_feedback(project, "coach", 1, "bad", now="2026-11-25T08:00:00Z")  # after the torn line
    with pytest.warns(MalformedLineWarning) as warned:
        entries = list_feedback(project, "coach")
    assert [e["comment"] for e in entries] == ["great", "bad"]
    assert [str(w.message) for w in warned] == [
        f"{path}:{n}: skipped a malformed line" for n in (2, 4, 5, 6)
    ]


def test_list_of_an_agent_without_feedback_is_empty(project: Path) -> None:
    assert list_feedback(project, "coach") == []


def test_ratings_feed_the_analytics(project: Path) -> None:
    add_feedback(project, "coach", 5, "a", now="2026-11-24T00:00:00Z")
    add_feedback(project, "coach", 2, "b", now="2026-11-25T00:00:00Z")
    path = feedback_path(project, "coach")
    with path.open("a") as handle:
        handle.write('{"rating": 4, "timestamp": "not a time"}\n')
    feedback = read_feedback_ratings(project, "coach")
    assert list(feedback.ratings) == [5.0, 2.0]
    assert list(feedback.times) == [1795478400.0, 1795564800.0]
    assert feedback.between(1795478400.0, 1795478400.0) == [5.0]
