"""Where agents come from and which file wins (SPEC §2).

Lookup order: the project's ``agents/agent-<name>.md``, then the project's
``.claude/agents/<name>.md``, then the packaged catalog. An agent's version is
the first 12 hex digits of the sha256 of whichever file wins, so any edit to
the prompt is a new version that metrics can be grouped by.

Claude Code names a subagent by its frontmatter ``name``, not its file name,
and also loads user-level (``~/.claude/agents/``) and plugin agents
(``plugin:name``). :meth:`AgentRegistry.resolve_claude` follows Claude Code's
own rules, so a captured run is versioned by the file Claude Code used; and
a Claude Code name that breaks kaizen's naming rule (``Explore``,
``dotnet-4.8-expert``, ``plugin:name``) is stored under :func:`kaizen_name`.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kaizen_agentic.errors import AgentNotFoundError
from kaizen_agentic.names import is_valid_name, validate_name

if TYPE_CHECKING:
    from kaizen_agentic.agents.template import AgentTemplate

SOURCES = ("project", "claude", "catalog", "user", "plugin")
_NOT_NAME_CHARS = re.compile(r"[^a-z0-9-]+")
_NAME_LINE = re.compile(r"^name:[ \t]*(.*?)[ \t]*$")
# a frontmatter is read only this far when looking for its name
_HEAD_BYTES = 16 * 1024


def kaizen_name(claude_name: str) -> str | None:
    """The kaizen agent name of a Claude Code agent name; None when nothing is left.

    Lower case, ``plugin:name`` as ``plugin-name``, and every run of other
    characters as one ``-`` (``dotnet-framework-4.8-expert`` becomes
    ``dotnet-framework-4-8-expert``), cut to the 64 characters names allow.
    """
    name = _NOT_NAME_CHARS.sub("-", claude_name.strip().lower()).strip("-")[:64].rstrip("-")
    return name if name and is_valid_name(name) else None


def claude_config_dir() -> Path:
    """Claude Code's own folder: ``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured) if configured else Path.home() / ".claude"


def frontmatter_name(path: Path, root: Path | None = None) -> str | None:
    """The ``name:`` line of a file's frontmatter, read without YAML (fast, and never raises).

    Under *root* the project boundary holds: a link out of it, or a file that is
    not a regular one, has no name.
    """
    from kaizen_agentic._fs import open_read
    from kaizen_agentic.errors import KaizenError

    try:
        with open_read(root, path) as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
    except (OSError, KaizenError):
        return None
    lines = head.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for line in lines[1:]:
        if line.strip() == "---":
            return None
        match = _NAME_LINE.match(line)
        if match:
            return match.group(1).strip().strip("'\"").strip() or None
    return None


@dataclass(frozen=True)
class ClaudeAgentFile:
    """A subagent file Claude Code can load, with the name Claude Code knows it by."""

    claude_name: str
    path: Path
    source: str  # claude | user | plugin

    @property
    def name(self) -> str | None:
        return kaizen_name(self.claude_name)


CATALOG_DIR = Path(__file__).resolve().parent.parent / "data" / "agents"


def project_agent_path(root: Path, name: str) -> Path:
    """``<root>/agents/agent-<name>.md``."""
    return root / "agents" / f"agent-{validate_name(name)}.md"


def claude_agent_path(root: Path, name: str) -> Path:
    """``<root>/.claude/agents/<name>.md``."""
    return root / ".claude" / "agents" / f"{validate_name(name)}.md"


def file_version(path: Path, root: Path | None = None) -> str:
    """First 12 hex digits of the sha256 of *path*'s bytes (read inside *root*)."""
    # the template module loads when a file is read: a built-in agent type reads none
    from kaizen_agentic.agents.template import read_agent_text

    return hashlib.sha256(read_agent_text(path, root).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ResolvedAgent:
    """An agent name bound to the file that the lookup order picked."""

    name: str
    path: Path
    source: str  # one of SOURCES
    root: Path | None = None  # the project a project file is read inside; None: its folder

    @property
    def agent_version(self) -> str:
        return file_version(self.path, self.root)

    def load(self) -> AgentTemplate:
        from kaizen_agentic.agents.template import load_agent_file

        return load_agent_file(self.path, self.root)

    def text(self) -> str:
        """The file's text, bad UTF-8 replaced, read inside the project boundary."""
        from kaizen_agentic._fs import read_text_capped
        from kaizen_agentic.agents.template import MAX_AGENT_BYTES

        root = self.root if self.root is not None else self.path.parent
        return read_text_capped(root, self.path, MAX_AGENT_BYTES)


class AgentRegistry:
    """Resolves agent names for one project root against its files and the catalog."""

    def __init__(
        self,
        project_root: Path,
        catalog_dir: Path = CATALOG_DIR,
        claude_home: Path | None = None,
    ) -> None:
        self.project_root = project_root
        self.catalog_dir = catalog_dir
        self._claude_home = claude_home

    @property
    def claude_home(self) -> Path:
        return self._claude_home if self._claude_home is not None else claude_config_dir()

    def candidates(self, name: str) -> list[ResolvedAgent]:
        """Every existing file for *name*, in lookup order.

        A ``.claude/agents`` file counts under its file name or its frontmatter
        name; user-level and plugin agents come after the catalog.
        """
        from kaizen_agentic._fs import inside_root

        validate_name(name)
        root = self.project_root
        paths = [
            ("project", project_agent_path(root, name)),
            ("claude", claude_agent_path(root, name)),
        ]
        for _, path in paths:
            inside_root(root, path)  # a link out of the project is refused, not followed
        found = [
            ResolvedAgent(name, path, source, root) for source, path in paths if path.is_file()
        ]
        if not any(r.source == "claude" for r in found):
            found += [
                ResolvedAgent(name, f.path, f.source, root)
                for f in self._project_claude_files
                if f.name == name
            ][:1]
        catalog = self.catalog_path(name)
        if catalog.is_file():
            found.append(ResolvedAgent(name, catalog, "catalog"))
        for source in ("user", "plugin"):
            found += [
                ResolvedAgent(name, f.path, f.source)
                for f in self._home_claude_files
                if f.source == source and f.name == name
            ][:1]
        return found

    def resolve_claude(self, agent_type: str) -> ResolvedAgent | None:
        """The file Claude Code runs for *agent_type*, by Claude Code's rules; None for a built-in.

        Project ``.claude/agents`` first, then user-level, by frontmatter
        name (or file name); ``plugin:name`` only among plugin agents.
        """
        name = kaizen_name(agent_type)
        if name is None:
            return None
        wanted = agent_type.strip()
        if ":" in wanted:
            files = [f for f in self._home_claude_files if f.source == "plugin"]
        else:
            # a project file Claude Code knows by this very name comes first in the
            # lookup below: the user-level and plugin folders need not be read at all
            for item in self._project_claude_files:
                if item.claude_name == wanted:
                    return ResolvedAgent(name, item.path, item.source, self.project_root)
            files = [*self._project_claude_files, *self._home_claude_files]
            files = [f for f in files if f.source != "plugin"]
        # Claude Code's own key first, then the file name, then the kaizen form
        for rank in range(3):
            for item in files:
                key = (item.claude_name, item.path.stem, item.name)[rank]
                if key == (wanted, wanted, name)[rank]:
                    inside = item.source == "claude"  # a project file is read inside the project
                    return ResolvedAgent(
                        name, item.path, item.source, self.project_root if inside else None
                    )
        return None

    @cached_property
    def _project_claude_files(self) -> list[ClaudeAgentFile]:
        root = self.project_root
        return _claude_files(root / ".claude" / "agents", "claude", root=root)

    @cached_property
    def _home_claude_files(self) -> list[ClaudeAgentFile]:
        home = self.claude_home
        files = _claude_files(home / "agents", "user")
        plugins = home / "plugins"
        if plugins.is_dir():
            for depth in range(1, 6):
                pattern = "/".join(["*"] * depth) + "/agents"
                for folder in sorted(plugins.glob(pattern)):
                    files += _claude_files(folder, "plugin", plugin=_plugin_name(folder.parent))
        return files

    def resolve(self, name: str) -> ResolvedAgent | None:
        """The winning file for *name*, or None when no source has it."""
        found = self.candidates(name)
        return found[0] if found else None

    def require(self, name: str) -> ResolvedAgent:
        """Like :meth:`resolve`, raising :class:`AgentNotFoundError` for an unknown agent."""
        resolved = self.resolve(name)
        if resolved is None:
            raise AgentNotFoundError(not_found_message(name))
        return resolved

    def measured_against(self, name: str, run_version: str | None) -> dict[str, str] | None:
        """Which file a run of *name* was measured against, when two of its files differ.

        Only said when both ``agents/agent-<name>.md`` and the ``.claude/agents``
        file exist and differ: kaizen resolves the first, Claude Code runs the
        second, so a captured run carries the second's version.
        """
        found = {r.source: r for r in self.candidates(name)}
        project, claude = found.get("project"), found.get("claude")
        if project is None or claude is None or project.agent_version == claude.agent_version:
            return None
        for resolved in (project, claude):
            if resolved.agent_version == run_version:
                return {
                    "file": str(resolved.path),
                    "agent_version": resolved.agent_version,
                    "other_file": str((claude if resolved is project else project).path),
                }
        return {"file": "", "agent_version": run_version or "", "other_file": ""}

    def agent_version(self, name: str) -> str | None:
        """The §2 version of *name*, or None when the agent is not found."""
        resolved = self.resolve(name)
        return resolved.agent_version if resolved else None

    def catalog_path(self, name: str) -> Path:
        return self.catalog_dir / f"agent-{validate_name(name)}.md"

    def catalog_names(self) -> list[str]:
        """Names of the packaged agents, sorted."""
        return sorted(p.stem[len("agent-") :] for p in self.catalog_dir.glob("agent-*.md"))

    def project_names(self) -> list[str]:
        """Names of agents defined in the project (either form), sorted.

        A ``.claude/agents`` file is listed under the name Claude Code knows
        it by (its frontmatter ``name``), in kaizen's form.
        """
        names = {p.stem[len("agent-") :] for p in (self.project_root / "agents").glob("agent-*.md")}
        names |= {f.name for f in self._project_claude_files if f.name}
        return sorted(n for n in names if is_valid_name(n))

    def user_names(self) -> list[str]:
        """Names of user-level and plugin agents, sorted."""
        return sorted({f.name for f in self._home_claude_files if f.name})

    def all_names(self) -> list[str]:
        """Every name the registry can resolve, sorted."""
        return sorted(set(self.catalog_names()) | set(self.project_names()))


def _claude_files(
    folder: Path, source: str, plugin: str | None = None, root: Path | None = None
) -> list[ClaudeAgentFile]:
    """The ``*.md`` files of *folder* with the names Claude Code gives them."""
    try:
        paths = sorted(p for p in folder.glob("*.md") if p.is_file())
    except OSError:
        return []
    files = []
    for path in paths:
        name = frontmatter_name(path, root) or path.stem
        if plugin is not None:
            name = f"{plugin}:{name}"
        files.append(ClaudeAgentFile(name, path, source))
    return files


def _plugin_name(folder: Path) -> str:
    """A plugin's name: its ``.claude-plugin/plugin.json`` ``name``, else its folder's name."""
    import json

    try:
        manifest = json.loads((folder / ".claude-plugin" / "plugin.json").read_text("utf-8"))
    except (OSError, ValueError):
        manifest = None
    name = manifest.get("name") if isinstance(manifest, dict) else None
    return name if isinstance(name, str) and name.strip() else folder.name


def not_found_message(name: str) -> str:
    """What every command says of an agent the registry does not know."""
    return f"agent '{name}' not found in registry — run: kaizen-agentic list"
