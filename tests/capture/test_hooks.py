from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kaizen_agentic.capture import (
    HOOK_COMMAND,
    disable_hooks,
    enable_hooks,
    hooks_status,
    parse_hook_input,
    subagent_transcript,
    update_settings_file,
)
from kaizen_agentic.errors import InvalidInputError, KaizenError

TRANSCRIPT = "/home/dev/.claude/projects/-home-dev-repo/s-1.jsonl"
BASE = {"session_id": "s-1", "transcript_path": TRANSCRIPT, "cwd": "/home/dev/repo"}


def test_subagent_stop_with_agent_transcript_path() -> None:
    hook = parse_hook_input(
        json.dumps(
            {
                **BASE,
                "hook_event_name": "SubagentStop",
                "agent_id": "a01",
                "agent_type": "code-reviewer",
                "agent_transcript_path": "/elsewhere/agent-a01.jsonl",
            }
        )
    )
    assert (hook.agent_id, hook.agent_type) == ("a01", "code-reviewer")
    assert subagent_transcript(hook) == Path("/elsewhere/agent-a01.jsonl")


def test_subagent_file_derived_when_path_absent() -> None:
    hook = parse_hook_input(
        json.dumps({**BASE, "hook_event_name": "SubagentStop", "agent_id": "a9"})
    )
    expected = Path("/home/dev/.claude/projects/-home-dev-repo/s-1/subagents/agent-a9.jsonl")
    assert subagent_transcript(hook) == expected


def test_empty_agent_type_is_none() -> None:
    hook = parse_hook_input(json.dumps({**BASE, "agent_id": "a1", "agent_type": ""}))
    assert hook.agent_type is None


def test_without_agent_id_the_newest_user_agent_file_is_taken(tmp_path: Path) -> None:
    folder = tmp_path / "s-1" / "subagents"
    folder.mkdir(parents=True)
    older, newer, internal = (folder / f"agent-{n}.jsonl" for n in ("a1", "a2", "acompact-x"))
    for age, path in enumerate((older, newer, internal)):
        path.write_text("{}\n")
        stamp = 1_700_000_000 + age
        os.utime(path, (stamp, stamp))
    hook = parse_hook_input(
        json.dumps({"session_id": "s-1", "transcript_path": str(tmp_path / "s-1.jsonl")})
    )
    assert subagent_transcript(hook) == newer


@pytest.mark.parametrize("text", ["", "nope", "[1]", "null", '"s"', "[" * 20_000])
def test_hook_input_that_is_not_an_object(text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_hook_input(text)


def test_wrong_field_types_become_none() -> None:
    hook = parse_hook_input(json.dumps({"session_id": 5, "transcript_path": ["x"], "cwd": None}))
    assert (hook.session_id, hook.transcript_path, hook.cwd) == (None, None, None)


OTHER: dict[str, Any] = {
    "permissions": {"allow": ["Bash(ls)"], "deny": []},
    "hooks": {
        "PostToolUse": [
            {"hooks": [{"type": "command", "command": "ruff format"}], "matcher": "Edit|Write"}
        ],
        "Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "notify-send done"}]}],
    },
    "model": "opus",
}


def test_enable_adds_ours_keeps_others_and_their_order() -> None:
    enabled = enable_hooks(OTHER)
    assert list(enabled) == ["permissions", "hooks", "model"]
    assert list(enabled["hooks"]) == ["PostToolUse", "Stop", "SubagentStop", "SessionEnd"]
    assert enabled["hooks"]["PostToolUse"] == OTHER["hooks"]["PostToolUse"]
    assert enabled["hooks"]["Stop"][0] == OTHER["hooks"]["Stop"][0]
    ours = {"type": "command", "command": HOOK_COMMAND, "timeout": 10}
    assert enabled["hooks"]["SubagentStop"] == [{"matcher": "", "hooks": [ours]}]
    assert enabled["hooks"]["Stop"][1] == {"matcher": "", "hooks": [ours]}
    assert hooks_status(enabled).enabled
    assert OTHER["hooks"].get("SubagentStop") is None  # the input is not mutated


def test_enable_twice_is_enable_once() -> None:
    assert enable_hooks(enable_hooks(OTHER)) == enable_hooks(OTHER)


def test_enable_rewrites_an_old_kaizen_hook_in_place() -> None:
    old = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": f"{HOOK_COMMAND} --x"}]}]}}
    enabled = enable_hooks(old)
    assert enabled["hooks"]["Stop"] == [
        {"hooks": [{"type": "command", "command": HOOK_COMMAND, "timeout": 10}]}
    ]


def test_disable_removes_only_ours() -> None:
    assert disable_hooks(enable_hooks(OTHER)) == OTHER


def test_disable_keeps_other_hooks_sharing_an_entry_with_ours() -> None:
    shared = {
        "hooks": {
            "Stop": [{"hooks": [{"type": "command", "command": "say"}, {"command": HOOK_COMMAND}]}]
        }
    }
    assert disable_hooks(shared) == {
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say"}]}]}
    }


def test_disable_drops_the_hooks_key_only_when_we_emptied_it() -> None:
    assert disable_hooks(enable_hooks({"model": "opus"})) == {"model": "opus"}
    assert disable_hooks({"hooks": {}}) == {"hooks": {}}
    assert disable_hooks({"hooks": {"Stop": []}}) == {"hooks": {"Stop": []}}


def test_status_of_a_partial_install() -> None:
    partial = {"hooks": {"Stop": [{"hooks": [{"command": HOOK_COMMAND}]}]}}
    status = hooks_status(partial)
    assert (status.installed, status.missing) == (("Stop",), ("SubagentStop", "SessionEnd"))
    assert status.describe() == (
        "kaizen capture hooks installed for Stop; missing for SubagentStop, SessionEnd."
    )
    assert hooks_status({}).describe() == "kaizen capture hooks are not installed."


def test_file_enable_twice_gives_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.json"
    update_settings_file(path, enable_hooks)
    first = path.read_bytes()
    update_settings_file(path, enable_hooks)
    assert path.read_bytes() == first
    assert first.startswith(b'{\n  "hooks": {\n    "SubagentStop": [')


def test_file_disable_restores_the_document(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(OTHER, indent=2) + "\n")
    assert update_settings_file(path, enable_hooks).enabled
    status = update_settings_file(path, disable_hooks)
    assert status.installed == ()
    assert json.loads(path.read_text()) == OTHER


def test_unchanged_file_keeps_its_formatting(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"model":"opus"}')
    update_settings_file(path, disable_hooks)
    assert path.read_text() == '{"model":"opus"}'


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", '{"hooks": []}', '{"hooks": {"Stop": {}}}']
)
def test_invalid_settings_name_the_file_and_write_nothing(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(KaizenError, match=r"settings\.json"):
        update_settings_file(path, enable_hooks)
    assert path.read_text() == text
