"""Claude Code hooks: the input a hook receives, and kaizen's entries in settings.json.

Hook input fields vary by Claude Code version: before 2.0.42 ``SubagentStop``
carried no ``agent_id``; up to 2.1.68 no ``agent_type``; ``agent_type`` can be
an empty string. :func:`parse_hook_input` therefore keeps every field optional
and :func:`subagent_transcript` finds the subagent file from what is there.

The settings functions are pure over the parsed document; :func:`update_settings_file`
is the one that touches the disk, and writes only when the document changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import atomic_write_text
from kaizen_agentic.capture.transcript import is_internal_agent
from kaizen_agentic.errors import InvalidInputError, KaizenError

__all__ = [
    "CAPTURE_EVENTS",
    "HOOK_COMMAND",
    "HookInput",
    "HooksStatus",
    "disable_hooks",
    "enable_hooks",
    "hooks_status",
    "is_kaizen_hook",
    "parse_hook_input",
    "read_settings",
    "render_settings",
    "subagent_transcript",
    "update_settings_file",
]

HOOK_COMMAND = "kaizen-agentic capture hook"
CAPTURE_EVENTS = ("SubagentStop", "Stop", "SessionEnd")
HOOK_TIMEOUT_S = 10


@dataclass(frozen=True, slots=True)
class HookInput:
    """The fields kaizen uses from a hook's stdin; None where this Claude Code version sent none."""

    hook_event_name: str | None
    session_id: str | None
    transcript_path: Path | None
    cwd: Path | None
    agent_id: str | None = None
    agent_type: str | None = None
    agent_transcript_path: Path | None = None


def parse_hook_input(text: str | bytes) -> HookInput:
    """Read a hook's stdin; anything but a JSON object is an :class:`InvalidInputError`."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInputError("The hook input is not JSON; expected one object.") from None
    if not isinstance(data, dict):
        raise InvalidInputError("The hook input is not a JSON object; Claude Code sends one.")
    return HookInput(
        hook_event_name=_text(data, "hook_event_name"),
        session_id=_text(data, "session_id"),
        transcript_path=_path(data, "transcript_path"),
        cwd=_path(data, "cwd"),
        agent_id=_text(data, "agent_id"),
        # Empty means Claude Code did not say; the caller looks the type up elsewhere.
        agent_type=_text(data, "agent_type"),
        agent_transcript_path=_path(data, "agent_transcript_path"),
    )


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _path(data: dict[str, Any], key: str) -> Path | None:
    value = _text(data, key)
    return Path(value) if value is not None else None


def subagent_transcript(hook: HookInput) -> Path | None:
    """The subagent file a ``SubagentStop`` is about.

    Given as ``agent_transcript_path`` since 2.0.42; otherwise it is
    ``<dir of transcript_path>/<session_id>/subagents/agent-<agent_id>.jsonl``;
    with no ``agent_id`` either (older versions), the most recently written
    non-internal agent file of the session is the one that just stopped.
    """
    if hook.agent_transcript_path is not None:
        return hook.agent_transcript_path
    if hook.transcript_path is None:
        return None
    session = hook.session_id or hook.transcript_path.stem
    folder = hook.transcript_path.parent / session / "subagents"
    if hook.agent_id is not None:
        return folder / f"agent-{hook.agent_id}.jsonl"
    return _newest_agent_file(folder)


def _newest_agent_file(folder: Path) -> Path | None:
    try:
        files = [
            path
            for path in folder.glob("agent-*.jsonl")
            if not is_internal_agent(path.stem[len("agent-") :])
        ]
        return max(files, key=lambda path: path.stat().st_mtime, default=None)
    except OSError:
        return None


# -- settings.json -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HooksStatus:
    """Which capture events have kaizen's hook, and any kaizen hooks on other events."""

    installed: tuple[str, ...]
    missing: tuple[str, ...]
    elsewhere: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return not self.missing

    def describe(self) -> str:
        if not self.installed:
            return "kaizen capture hooks are not installed."
        text = f"kaizen capture hooks installed for {', '.join(self.installed)}"
        if self.missing:
            text += f"; missing for {', '.join(self.missing)}"
        return text + "."


def is_kaizen_hook(hook: object) -> bool:
    """One of ours: a command hook whose command starts with ``kaizen-agentic capture hook``."""
    if not isinstance(hook, dict):
        return False
    command = hook.get("command")
    return isinstance(command, str) and command.strip().startswith(HOOK_COMMAND)


def _our_hook(command: str, timeout: int) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": timeout}


def enable_hooks(
    settings: dict[str, Any], command: str = HOOK_COMMAND, timeout: int = HOOK_TIMEOUT_S
) -> dict[str, Any]:
    """A copy of *settings* with kaizen's hook on each capture event; other keys keep their order.

    A kaizen hook already present is rewritten in place to the current command
    and timeout, so enabling twice gives the same document.
    """
    import copy

    result = copy.deepcopy(settings)
    hooks = _hooks_table(result, create=True)
    for event in CAPTURE_EVENTS:
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise KaizenError(f"settings.json hooks.{event} is not a list; fix it by hand first.")
        if not _replace_ours(entries, _our_hook(command, timeout)):
            entries.append({"matcher": "", "hooks": [_our_hook(command, timeout)]})
    return result


def _replace_ours(entries: list[Any], ours: dict[str, Any]) -> bool:
    found = False
    for entry in entries:
        inner = entry.get("hooks") if isinstance(entry, dict) else None
        if not isinstance(inner, list):
            continue
        for index, hook in enumerate(inner):
            if is_kaizen_hook(hook):
                inner[index] = dict(ours) if not found else None
                found = True
        inner[:] = [hook for hook in inner if hook is not None]
    return found


def disable_hooks(settings: dict[str, Any]) -> dict[str, Any]:
    """A copy of *settings* without kaizen's hooks; lists and keys emptied by that go too."""
    import copy

    result = copy.deepcopy(settings)
    hooks = _hooks_table(result, create=False)
    if hooks is None:
        return result
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept = [entry for entry in (_without_ours(e) for e in entries) if entry is not None]
        if kept or not entries:
            hooks[event] = kept
        else:
            del hooks[event]
    if not hooks and settings.get("hooks"):
        del result["hooks"]
    return result


def _without_ours(entry: Any) -> Any:
    """The entry minus kaizen's hooks; None when it held only ours."""
    inner = entry.get("hooks") if isinstance(entry, dict) else None
    if not isinstance(inner, list) or not any(is_kaizen_hook(h) for h in inner):
        return entry
    rest = [hook for hook in inner if not is_kaizen_hook(hook)]
    if not rest:
        return None
    return {**entry, "hooks": rest}


def hooks_status(settings: dict[str, Any]) -> HooksStatus:
    hooks = settings.get("hooks")
    table = hooks if isinstance(hooks, dict) else {}
    with_ours = [event for event, entries in table.items() if _has_ours(entries)]
    return HooksStatus(
        installed=tuple(e for e in CAPTURE_EVENTS if e in with_ours),
        missing=tuple(e for e in CAPTURE_EVENTS if e not in with_ours),
        elsewhere=tuple(e for e in with_ours if e not in CAPTURE_EVENTS),
    )


def _has_ours(entries: object) -> bool:
    if not isinstance(entries, list):
        return False
    return any(
        isinstance(entry, dict)
        and isinstance(entry.get("hooks"), list)
        and any(is_kaizen_hook(hook) for hook in entry["hooks"])
        for entry in entries
    )


def _hooks_table(settings: dict[str, Any], *, create: bool) -> Any:
    hooks = settings.get("hooks")
    if hooks is None and create:
        hooks = settings["hooks"] = {}
    if hooks is not None and not isinstance(hooks, dict):
        raise KaizenError("settings.json 'hooks' is not an object; fix it by hand first.")
    return hooks


def read_settings(path: Path, root: Path | None = None) -> dict[str, Any]:
    """The settings document at *path* ({} when the file does not exist).

    With *root* (a project's ``.claude/settings.json``) the file is read
    inside that project's boundary (SPEC §1).
    """
    from kaizen_agentic._fs import read_bytes_capped

    try:
        text = read_bytes_capped(root, path, 16 * 1024 * 1024).decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise KaizenError(f"Cannot read {path}: {error}.") from None
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise KaizenError(
            f"{path} is not valid JSON ({error}); fix it, then run this again."
        ) from None
    if not isinstance(document, dict):
        raise KaizenError(f"{path} is not a JSON object; fix it, then run this again.")
    return document


def render_settings(settings: dict[str, Any]) -> str:
    """Claude Code's own layout: 2-space indent, keys in their order, a final newline."""
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def update_settings_file(
    path: Path, change: Callable[[dict[str, Any]], dict[str, Any]], root: Path | None = None
) -> HooksStatus:
    """Apply *change* (``enable_hooks`` or ``disable_hooks``) to the file at *path*.

    The file is written atomically and only when the document differs, so an
    unchanged file keeps its bytes, formatting included. An invalid file is a
    :class:`KaizenError` naming it, and nothing is written.
    """
    before = read_settings(path, root)
    try:
        after = change(before)
    except KaizenError as error:
        raise KaizenError(f"{path}: {error.message}") from None
    if after != before:
        atomic_write_text(path, render_settings(after), root=root)
    return hooks_status(after)
