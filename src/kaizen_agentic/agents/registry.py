"""Where agents come from and which file wins (SPEC §2).

Lookup order: the project's ``agents/agent-<name>.md``, then the project's
``.claude/agents/<name>.md``, then the packaged catalog. An agent's version is
the first 12 hex digits of the sha256 of whichever file wins, so any edit to
the prompt is a new version that metrics can be grouped by.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from kaizen_agentic.agents.template import (
    MAX_AGENT_BYTES,
    AgentTemplate,
    load_agent_file,
    read_agent_text,
)
from kaizen_agentic.errors import AgentNotFoundError
from kaizen_agentic.names import is_valid_name, validate_name

SOURCES = ("project", "claude", "catalog")
CATALOG_DIR = Path(__file__).resolve().parent.parent / "data" / "agents"


def project_agent_path(root: Path, name: str) -> Path:
    """``<root>/agents/agent-<name>.md``."""
    return root / "agents" / f"agent-{validate_name(name)}.md"


def claude_agent_path(root: Path, name: str) -> Path:
    """``<root>/.claude/agents/<name>.md``."""
    return root / ".claude" / "agents" / f"{validate_name(name)}.md"


def file_version(path: Path, root: Path | None = None) -> str:
    """First 12 hex digits of the sha256 of *path*'s bytes (read inside *root*)."""
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
        return load_agent_file(self.path, self.root)

    def text(self) -> str:
        """The file's text, bad UTF-8 replaced, read inside the project boundary."""
        from kaizen_agentic._fs import read_text_capped

        root = self.root if self.root is not None else self.path.parent
        return read_text_capped(root, self.path, MAX_AGENT_BYTES)


class AgentRegistry:
    """Resolves agent names for one project root against its files and the catalog."""

    def __init__(self, project_root: Path, catalog_dir: Path = CATALOG_DIR) -> None:
        self.project_root = project_root
        self.catalog_dir = catalog_dir

    def candidates(self, name: str) -> list[ResolvedAgent]:
        """Every existing file for *name*, in lookup order."""
        from kaizen_agentic._fs import inside_root

        validate_name(name)
        root = self.project_root
        found = []
        for source, path in (
            ("project", project_agent_path(root, name)),
            ("claude", claude_agent_path(root, name)),
        ):
            inside_root(root, path)  # a link out of the project is refused, not followed
            if path.is_file():
                found.append(ResolvedAgent(name, path, source, root))
        catalog = self.catalog_path(name)
        if catalog.is_file():
            found.append(ResolvedAgent(name, catalog, "catalog"))
        return found

    def resolve(self, name: str) -> ResolvedAgent | None:
        """The winning file for *name*, or None when no source has it."""
        found = self.candidates(name)
        return found[0] if found else None

    def require(self, name: str) -> ResolvedAgent:
        """Like :meth:`resolve`, raising :class:`AgentNotFoundError` for an unknown agent."""
        resolved = self.resolve(name)
        if resolved is None:
            raise AgentNotFoundError(
                f"agent '{name}' not found in registry — run: kaizen-agentic list"
            )
        return resolved

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
        """Names of agents defined in the project (either form), sorted."""
        names = {p.stem[len("agent-") :] for p in (self.project_root / "agents").glob("agent-*.md")}
        names |= {p.stem for p in (self.project_root / ".claude" / "agents").glob("*.md")}
        return sorted(n for n in names if is_valid_name(n))

    def all_names(self) -> list[str]:
        """Every name the registry can resolve, sorted."""
        return sorted(set(self.catalog_names()) | set(self.project_names()))
