"""What the ``capture`` commands do, as plain functions over a project root (SPEC §12).

The hook path (:func:`run_hook`) must never disturb a Claude Code session:
it returns a result instead of raising, keeps its imports to what a run
needs, and prices from the rates cache so genai-prices is not imported on
the hook path once a model's rates are known.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic.capture.hooks import HookInput
from kaizen_agentic.capture.transcript import RunTotals

if TYPE_CHECKING:
    from kaizen_agentic.agents.registry import ResolvedAgent
    from kaizen_agentic.config import Config

CAPTURE_RELATIVE = Path(".kaizen") / "capture"
SETTINGS_RELATIVE = Path(".claude") / "settings.json"
#: The agent a main session's record belongs to (``capture.sessions: true``).
SESSION_AGENT = "claude-session"
#: What Claude Code runs when a subagent is asked for without a type.
DEFAULT_AGENT_TYPE = "general-purpose"
_TASK_TOOLS = ("Task", "Agent")
MAX_HOOK_INPUT = 16 * 1024 * 1024  # hook input is a small object; more is not read
_PROJECT_SLUG = re.compile(r"[^A-Za-z0-9]")


def errors_path(root: Path) -> Path:
    return root / CAPTURE_RELATIVE / "errors.jsonl"


def price_cache_path(root: Path) -> Path:
    return root / CAPTURE_RELATIVE / "prices.json"


def settings_path(root: Path) -> Path:
    return root / SETTINGS_RELATIVE


# -- capture claude ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureStatus:
    """Which hooks are installed, where, and where the records go."""

    settings: Path
    installed: tuple[str, ...]
    missing: tuple[str, ...]
    sessions: bool
    changed: bool = False

    @property
    def enabled(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "settings": str(self.settings),
            "installed": list(self.installed),
            "missing": list(self.missing),
            "enabled": self.enabled,
            "sessions": self.sessions,
            "changed": self.changed,
            "records": ".kaizen/metrics/<agent>/executions.jsonl",
            "errors": str(CAPTURE_RELATIVE / "errors.jsonl"),
        }


def configure_capture(root: Path, *, enable: bool) -> CaptureStatus:
    """Merge kaizen's hooks into (or take them out of) ``.claude/settings.json``.

    Every other hook and key is kept; a file already in the wanted state is
    not rewritten, so running this twice changes nothing.
    """
    from kaizen_agentic.capture.hooks import disable_hooks, enable_hooks, update_settings_file
    from kaizen_agentic.config import load_config

    config = load_config(root)  # a broken config is reported before anything is written
    path = settings_path(root)
    before = path.read_bytes() if path.is_file() else None
    status = update_settings_file(path, enable_hooks if enable else disable_hooks)
    if enable:
        (root / CAPTURE_RELATIVE).mkdir(parents=True, exist_ok=True)
    after = path.read_bytes() if path.is_file() else None
    return CaptureStatus(
        path,
        status.installed,
        status.missing,
        bool(config.get("capture.sessions")),
        changed=before != after,
    )


def capture_status(root: Path) -> CaptureStatus:
    from kaizen_agentic.capture.hooks import hooks_status, read_settings
    from kaizen_agentic.config import load_config

    path = settings_path(root)
    status = hooks_status(read_settings(path))
    sessions = bool(load_config(root).get("capture.sessions"))
    return CaptureStatus(path, status.installed, status.missing, sessions)


# -- records -----------------------------------------------------------------------------------


@dataclass
class CaptureReport:
    """What one hook call or import did."""

    written: list[dict[str, Any]] = field(default_factory=list)
    updated: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "written": len(self.written),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "records": [_brief(r) for r in self.written + self.updated],
            "skipped": self.skipped,
            "problems": self.problems,
        }


def _brief(record: Mapping[str, Any]) -> dict[str, Any]:
    cost = record.get("cost") or {}
    return {
        "agent": record.get("agent"),
        "record_id": record.get("record_id"),
        "session_id": record.get("session_id"),
        "idempotency_key": record.get("idempotency_key"),
        "input_tokens": cost.get("input_tokens"),
        "output_tokens": cost.get("output_tokens"),
        "usd": cost.get("usd"),
    }


class _Recorder:
    """Writes captured runs of one project: one record per run, updated when a run grew."""

    def __init__(self, root: Path, config: Config, source: str) -> None:
        from kaizen_agentic.agents.registry import AgentRegistry

        self.root = root
        self.config = config
        self.source = source
        self.registry = AgentRegistry(root)
        self.report = CaptureReport()
        self._known: dict[str, dict[str, dict[str, Any]]] = {}  # agent -> key -> run
        self._owner_map: dict[str, str] | None = None

    def subagent(
        self, path: Path, run: RunTotals, *, session_id: str | None, agent_type: str | None
    ) -> None:
        agent_id = run.agent_id
        claude_name = agent_type or _agent_type_elsewhere(path, agent_id) or DEFAULT_AGENT_TYPE
        from kaizen_agentic.agents.registry import kaizen_name

        name = kaizen_name(claude_name)
        if name is None:
            self.report.skipped.append(
                f"{path.name}: agent type {claude_name!r} has no usable name"
            )
            return
        resolved = self.registry.resolve_claude(claude_name)
        # Claude Code's own word on the type is final; a type worked out here is
        # checked against every agent's runs, so a run never gets a second record
        told = agent_type is not None and self.source == "claude-hook"
        self._write(run, name, session_id, agent_id, resolved, claude_name, everywhere=not told)

    def session(self, path: Path, session_id: str | None) -> None:
        import dataclasses

        from kaizen_agentic.capture.transcript import parse_session

        # a session's lines carry its subagents' ids too; the session record is keyed as one
        run = dataclasses.replace(_quietly(lambda: parse_session(path)), agent_id=None)
        self._problems(run)
        self._write(run, SESSION_AGENT, session_id or path.stem, None, None, None, everywhere=False)

    def _write(
        self,
        run: RunTotals,
        agent: str,
        session_id: str | None,
        agent_id: str | None,
        resolved: ResolvedAgent | None,
        claude_name: str | None,
        *,
        everywhere: bool,
    ) -> None:
        from kaizen_agentic.capture.records import run_record
        from kaizen_agentic.metrics.records import complete_record
        from kaizen_agentic.metrics.store import MetricsStore

        if not run.requests and run.first_timestamp is None:
            self.report.skipped.append(f"{agent_id or session_id}: the transcript holds no run")
            return
        record = run_record(
            run,
            agent=agent,
            session_id=session_id,
            agent_id=agent_id,
            source=self.source,  # type: ignore[arg-type]
            prices=self.config.get("prices"),
            price_cache=price_cache_path(self.root),
        )
        record["agent_version"] = resolved.agent_version if resolved else None
        if claude_name is not None:
            record["metadata"]["agent_type"] = claude_name
        if resolved is not None:
            record["metadata"]["agent_file"] = _shown(resolved.path, self.root)
        full = complete_record(
            record,
            agent=agent,
            agent_version=record["agent_version"],
            project=self.root.resolve().name,
            domain=self.config.get("domain"),
            environ={},
        )
        # a run is one record even when a hook and an import name its agent differently
        key = str(full["idempotency_key"])
        owner = self._owners().get(key, agent) if everywhere else agent
        store = MetricsStore(self.root, owner, retention_days=self.config.retention_days)
        typed = self._typed_during(store, full, run) if owner == agent else None
        if typed is not None:
            self._merge(store, typed, full)
            return
        if owner == agent and store.append(full):
            if self._owner_map is not None:
                self._owner_map[key] = agent
            self.report.written.append(full)
            from kaizen_agentic.metrics.recorded_events import emit_recorded

            emit_recorded(self.root, agent, full)
            return
        self._update(store, full)

    def _typed_during(
        self, store: Any, full: dict[str, Any], run: RunTotals
    ) -> dict[str, Any] | None:
        """The record the agent typed itself during this run (its Session Close), if any.

        An agent's ``metrics record … --session "$CLAUDE_CODE_SESSION_ID"`` runs
        before its SubagentStop; that record and the captured one are the same run.
        """
        from kaizen_agentic._time import parse_timestamp

        if run.first_timestamp is None or run.last_timestamp is None:
            return None
        start = run.first_timestamp.timestamp() - 60
        end = run.last_timestamp.timestamp() + 600
        for record in reversed(store.tail(20)):
            if record.get("source", "manual") != "manual":
                continue
            if record.get("session_id") != full["session_id"]:
                continue
            if "captured_by" in (record.get("metadata") or {}):
                continue  # already one captured run's record
            try:
                moment = parse_timestamp(str(record.get("timestamp"))).timestamp()
            except ValueError:
                continue
            if start <= moment <= end:
                return dict(record)
        return None

    def _merge(self, store: Any, typed: dict[str, Any], full: dict[str, Any]) -> None:
        """Attach the captured numbers to the record the agent typed: one run, one record."""
        measured: dict[str, Any] = {k: full[k] for k in MEASURED_KEYS if k in full}
        measured["metadata"] = {**full.get("metadata", {}), "captured_by": self.source}
        if full.get("success") is False:  # a self-reported failure is kept; a broken run is not
            measured["success"] = False
        key = str(full["idempotency_key"])
        line = store.attach(str(typed["record_id"]), measured, idempotency_key=key)
        if line is None:
            self.report.unchanged += 1
            return
        if self._owner_map is not None:
            self._owner_map[key] = store.agent_name
        from kaizen_agentic.metrics.attachments import apply_attachment

        self.report.updated.append(apply_attachment(typed, line))

    def _owners(self) -> dict[str, str]:
        """Captured runs' idempotency keys -> the agent whose records hold them."""
        if self._owner_map is None:
            from kaizen_agentic.capture.records import KEY_PREFIX
            from kaizen_agentic.metrics.store import MetricsStore

            self._owner_map = {}
            for agent in MetricsStore.list_agents(self.root):
                for key in MetricsStore(self.root, agent).idempotency_keys(KEY_PREFIX):
                    self._owner_map.setdefault(key, agent)
        return self._owner_map

    def _update(self, store: Any, full: dict[str, Any]) -> None:
        """A run already recorded: attach what grew (a resumed subagent, a later Stop)."""
        known = self._known.get(store.agent_name)
        if known is None:
            known = _measured_runs(store)
            self._known[store.agent_name] = known
        old = known.get(str(full["idempotency_key"]))
        if old is None:
            self.report.unchanged += 1
            return
        # only what capture measured is compared: a quality or outcome someone attached stays
        changed = {k: full[k] for k in MEASURED_KEYS if k in full and full[k] != old.get(k)}
        if not changed:
            self.report.unchanged += 1
            return
        store.attach(str(old["record_id"]), changed)
        from kaizen_agentic.metrics.attachments import apply_attachment

        updated = apply_attachment(old, {"set": changed})
        known[str(full["idempotency_key"])] = updated
        self.report.updated.append(updated)

    def _problems(self, run: RunTotals) -> None:
        self.report.problems.extend(run.problems)


#: What capture measures of a run (and updates when the run grew); never quality or verdicts.
MEASURED_KEYS = ("execution_time_s", "cost", "turns", "tool_errors", "model")


def _measured_runs(store: Any) -> dict[str, dict[str, Any]]:
    """Captured runs by key, with only capture's own later updates folded in."""
    from kaizen_agentic.metrics.attachments import ATTACH_KEY, SET_KEY, is_attachment

    runs: dict[str, dict[str, Any]] = {}
    keys: dict[Any, str] = {}
    for _, record in store.iter_raw():
        if not is_attachment(record):
            key = str(record.get("idempotency_key"))
            runs[key] = record
            keys[record.get("record_id")] = key
        elif "turns" in record[SET_KEY] and record[ATTACH_KEY] in keys:
            target = keys[record[ATTACH_KEY]]
            runs[target] = {**runs[target], **record[SET_KEY]}
    return runs


def _quietly(parse: Any) -> RunTotals:
    """Run a parse with its line warnings kept in the totals, not printed one by one."""
    from kaizen_agentic.capture.transcript import TranscriptLineWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TranscriptLineWarning)
        result: RunTotals = parse()
    return result


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# -- which agent a subagent file belongs to ---------------------------------------------------


def _agent_type_elsewhere(path: Path, agent_id: str | None) -> str | None:
    """The subagent's type when the hook did not say: its ``.meta.json``, else the parent's call.

    Claude Code writes ``agent-<id>.meta.json`` (``{"agentType": …}``) beside
    newer subagent files; older sessions are matched to the ``Task``/``Agent``
    tool call in the parent transcript that spawned them.
    """
    meta = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    try:
        document = json.loads(meta.read_bytes()) if meta.is_file() else None
    except (OSError, ValueError, RecursionError):
        document = None
    if isinstance(document, dict) and isinstance(document.get("agentType"), str):
        kind = str(document["agentType"]).strip()
        if kind:
            return kind
    if agent_id is None:
        return None
    parent = path.parent.parent.with_suffix(".jsonl")  # <session>/subagents/x -> <session>.jsonl
    return parent_subagent_type(parent, agent_id)


def parent_subagent_type(parent: Path, agent_id: str) -> str | None:
    """``subagent_type`` of the Task/Agent call in *parent* that ran agent *agent_id*."""
    from kaizen_agentic.capture.transcript import _decode

    try:
        data = parent.read_bytes()
    except OSError:
        return None
    needle = agent_id.encode("utf-8", "replace")
    calls: dict[str, str] = {}
    spawned_by: str | None = None
    for raw in data.split(b"\n"):
        has_call = b'"subagent_type"' in raw
        if not has_call and needle not in raw:
            continue
        try:
            entry = _decode(raw)
        except (ValueError, RecursionError):
            continue
        if not isinstance(entry, dict):
            continue
        if has_call:
            calls.update(_task_calls(entry))
        if needle in raw and spawned_by is None:
            spawned_by = _spawning_call(entry, agent_id)
    if spawned_by is not None and spawned_by in calls:
        return calls[spawned_by]
    return None


def _task_calls(entry: dict[str, Any]) -> Iterator[tuple[str, str]]:
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return
    for block in content:
        if not isinstance(block, dict) or block.get("type") != "tool_use":
            continue
        inputs = block.get("input")
        kind = inputs.get("subagent_type") if isinstance(inputs, dict) else None
        named = block.get("name") in _TASK_TOOLS and isinstance(block.get("id"), str)
        if named and isinstance(kind, str) and kind.strip():
            yield block["id"], kind.strip()


def _spawning_call(entry: dict[str, Any], agent_id: str) -> str | None:
    """The tool-use id a parent line ties to *agent_id*, if it does."""
    result = entry.get("toolUseResult")
    if isinstance(result, dict) and result.get("agentId") == agent_id:
        message = entry.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else ():
            if isinstance(block, dict) and isinstance(block.get("tool_use_id"), str):
                return str(block["tool_use_id"])
    data = entry.get("data")
    if isinstance(data, dict) and data.get("agentId") == agent_id:
        parent = entry.get("parentToolUseID")
        if isinstance(parent, str):
            return parent
    return None


# -- capture hook ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HookResult:
    """What the hook did; ``error`` is the one line for stderr when something went wrong."""

    root: Path
    report: CaptureReport
    error: str | None = None


def run_hook(stdin: bytes, cwd: Path) -> HookResult:
    """Handle one hook call. Never raises: a problem is logged and returned, the run goes on."""
    from kaizen_agentic.paths import find_project_root, marked_root

    root = find_project_root(cwd)
    report = CaptureReport()
    hook: HookInput | None = None
    try:
        from kaizen_agentic.capture.hooks import parse_hook_input

        hook = parse_hook_input(stdin)
        # the session's own folder names the project when it is inside one
        if hook.cwd is not None and hook.cwd.is_dir():
            root = marked_root(hook.cwd) or root
        report = _handle(root, hook)
    except Exception as error:  # the hook must not fail the session, whatever went wrong
        message = _error_text(error)
        _log_error(root, hook, message)
        return HookResult(root, report, f"kaizen capture: {message} (see {errors_path(root)})")
    if report.problems:
        _log_error(root, hook, "; ".join(report.problems[:3]))
        return HookResult(
            root,
            report,
            f"kaizen capture: {len(report.problems)} transcript line(s) skipped "
            f"(see {errors_path(root)})",
        )
    return HookResult(root, report)


def hook_main() -> int:
    """``kaizen-agentic capture hook`` as Claude Code runs it: stdin in, exit status 0, always.

    Anything that went wrong is one line on stderr (the full entry is in
    ``.kaizen/capture/errors.jsonl``); exit 2 would block Claude Code.
    """
    try:
        data = sys.stdin.buffer.read(MAX_HOOK_INPUT)
    except (OSError, ValueError):
        data = b""
    try:
        result = run_hook(data, Path.cwd())
        if result.error:
            print(result.error, file=sys.stderr)
    except BaseException as error:  # even an interrupt must not turn into a blocking exit code
        print(f"kaizen capture: {type(error).__name__}", file=sys.stderr)
    return 0


def _error_text(error: BaseException) -> str:
    from kaizen_agentic.errors import KaizenError

    if isinstance(error, KaizenError):
        return error.message
    return f"{type(error).__name__}: {error}"[:300]


def _handle(root: Path, hook: HookInput) -> CaptureReport:
    from kaizen_agentic.capture.hooks import subagent_transcript
    from kaizen_agentic.capture.transcript import is_internal_agent, parse_transcript
    from kaizen_agentic.config import load_config

    event = hook.hook_event_name
    config = load_config(root)
    recorder = _Recorder(root, config, "claude-hook")
    if event == "SubagentStop":
        path = subagent_transcript(hook)
        if path is None:
            raise FileNotFoundError("SubagentStop without a transcript path or session to find it")
        run = _quietly(lambda: parse_transcript(path))
        recorder._problems(run)
        agent_id = run.agent_id or hook.agent_id
        if agent_id is not None and is_internal_agent(agent_id):
            recorder.report.skipped.append(f"{path.name}: Claude Code's internal agent")
        else:
            recorder.subagent(path, run, session_id=hook.session_id, agent_type=hook.agent_type)
    elif event in ("Stop", "SessionEnd") and config.get("capture.sessions"):
        # each Stop updates the session's one record; SessionEnd gives its final totals
        transcript = hook.transcript_path
        if transcript is not None:
            recorder.session(transcript, hook.session_id)
    recorder.report.files = 1
    return recorder.report


def _log_error(root: Path, hook: HookInput | None, message: str) -> None:
    """One line in ``.kaizen/capture/errors.jsonl``: ids and the message, never transcript text."""
    import contextlib

    from kaizen_agentic._fs import append_line, ensure_dir, exclusive_lock
    from kaizen_agentic._time import format_timestamp, utc_now
    from kaizen_agentic.errors import KaizenError

    entry = {
        "timestamp": format_timestamp(utc_now()),
        "event": hook.hook_event_name if hook else None,
        "session_id": hook.session_id if hook else None,
        "agent_id": hook.agent_id if hook else None,
        "error": message,
    }
    path = errors_path(root)
    with contextlib.suppress(OSError, KaizenError):  # the hook must never fail its session
        ensure_dir(root, path.parent)
        with exclusive_lock(path.with_name(".errors.lock"), root=root):
            append_line(path, json.dumps(entry, sort_keys=True, ensure_ascii=False), root=root)


# -- capture import ----------------------------------------------------------------------------


def claude_projects_folder(root: Path) -> Path:
    """The folder Claude Code keeps *root*'s transcripts in.

    Claude Code names it after the absolute working directory with every
    character that is not an ASCII letter or digit replaced by ``-``.
    """
    from kaizen_agentic.agents.registry import claude_config_dir

    slug = _PROJECT_SLUG.sub("-", str(root.resolve()))
    return claude_config_dir() / "projects" / slug


def import_transcripts(
    root: Path,
    paths: Iterable[Path] = (),
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> CaptureReport:
    """Backfill from transcript folders or files: the same records and keys as the hook.

    A session counts when its transcript was last written within
    [*since*, *until*]. Internal agents are skipped; a run already recorded
    (by the hook or an earlier import) writes nothing unless it grew.
    """
    from kaizen_agentic.config import load_config
    from kaizen_agentic.errors import InvalidInputError

    config = load_config(root)
    chosen = list(paths) or [claude_projects_folder(root)]
    for path in chosen:
        if not path.exists():
            raise InvalidInputError(
                f"{path} does not exist; pass a Claude Code projects folder or transcript file"
            )
    recorder = _Recorder(root, config, "claude-transcript")
    for session, subagent in _transcript_files(chosen):
        if not _in_range(session or subagent, since, until):
            continue
        recorder.report.files += 1
        if subagent is None:
            if config.get("capture.sessions") and session is not None:
                recorder.session(session, session.stem)
            continue
        _import_subagent(recorder, subagent, session)
    return recorder.report


def _import_subagent(recorder: _Recorder, path: Path, session: Path | None) -> None:
    from kaizen_agentic.capture.transcript import is_internal_agent, parse_transcript

    try:
        run = _quietly(lambda: parse_transcript(path))
    except OSError as error:
        recorder.report.problems.append(f"{path}: cannot be read ({error.strerror or error})")
        return
    recorder._problems(run)
    agent_id = run.agent_id
    if agent_id is None or is_internal_agent(agent_id):
        recorder.report.skipped.append(f"{path.name}: not a user agent's run")
        return
    session_id = run.session_id or (session.stem if session else None)
    recorder.subagent(path, run, session_id=session_id, agent_type=None)


def _transcript_files(paths: Iterable[Path]) -> Iterator[tuple[Path | None, Path | None]]:
    """(session transcript, subagent file or None) for every file under *paths*, once each."""
    from kaizen_agentic.capture.transcript import subagent_files

    seen: set[Path] = set()
    for path in paths:
        items: list[tuple[Path | None, Path | None]]
        if path.is_file():
            if path.name.startswith("agent-") and path.parent.name == "subagents":
                items = [(path.parent.parent.with_suffix(".jsonl"), path)]
            else:
                items = [(path, None)] + [(path, s.path) for s in subagent_files(path)]
        else:
            items = []
            sessions = sorted(path.glob("*.jsonl"))
            for session in sessions:
                items.append((session, None))
                items += [(session, s.path) for s in subagent_files(session)]
            # a session folder whose main transcript is gone still holds its subagents
            for folder in sorted(path.glob("*/subagents")):
                if not folder.parent.with_suffix(".jsonl").is_file():
                    items += [(None, f) for f in sorted(folder.glob("agent-*.jsonl"))]
        for main, sub in items:
            key = (sub or main or path).resolve()
            if key not in seen:
                seen.add(key)
                yield main, sub


def _in_range(path: Path | None, since: datetime | None, until: datetime | None) -> bool:
    if path is None or (since is None and until is None):
        return True
    try:
        moment = path.stat().st_mtime
    except OSError:
        return False
    if since is not None and moment < since.timestamp():
        return False
    return not (until is not None and moment > until.timestamp())


# -- capture result ----------------------------------------------------------------------------


def record_headless(root: Path, agent: str, text: str) -> tuple[bool, dict[str, Any]]:
    """Record a ``claude -p`` result (json or the stream's last ``result``); (written?, record)."""
    from kaizen_agentic.capture.headless import headless_record, read_result_object
    from kaizen_agentic.metrics.service import record_execution

    record = headless_record(read_result_object(text))
    from kaizen_agentic.agents.registry import AgentRegistry

    resolved = AgentRegistry(root).resolve_claude(agent)
    if resolved is not None:
        record["agent_version"] = resolved.agent_version
    return record_execution(root, agent, record)
