"""Where a repo keeps kaizen's files (SPEC §1): the one place the layout is spelt out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kaizen_agentic.names import validate_name

KAIZEN_DIR = Path(".kaizen")
METRICS_RELATIVE = KAIZEN_DIR / "metrics"
AGENTS_STATE_RELATIVE = KAIZEN_DIR / "agents"
OPTIMIZER_DIR_NAME = "optimizer"


@dataclass(frozen=True)
class AgentPaths:
    """The files of one agent in one repo; the name is checked before any path is built."""

    root: Path
    agent: str

    def __post_init__(self) -> None:
        validate_name(self.agent)

    @property
    def metrics_dir(self) -> Path:
        return self.root / METRICS_RELATIVE / self.agent

    @property
    def executions(self) -> Path:
        return self.metrics_dir / "executions.jsonl"

    @property
    def summary(self) -> Path:
        return self.metrics_dir / "summary.json"

    @property
    def cache_dir(self) -> Path:
        return self.metrics_dir / ".cache"

    @property
    def state_dir(self) -> Path:
        """Memory, feedback and protocols live here."""
        return self.root / AGENTS_STATE_RELATIVE / self.agent


def agent_state_dir(root: Path, agent: str) -> Path:
    """``<root>/.kaizen/agents/<agent>``: memory, feedback and protocols live here."""
    return AgentPaths(root, agent).state_dir


def optimizer_dir(root: Path) -> Path:
    return Path(root) / METRICS_RELATIVE / OPTIMIZER_DIR_NAME


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above *start* holding ``.kaizen/`` or ``.git`` (SPEC §1).

    ``.git`` may be a file (a linked worktree or a submodule), as git itself
    accepts. Without either marker up to the file-system root, *start* is the root.
    """
    start = Path(start).absolute()
    return marked_root(start) or start


def marked_root(start: Path) -> Path | None:
    """The nearest folder at or above *start* holding ``.kaizen/`` or ``.git``; None if none."""
    start = Path(start).absolute()
    for folder in (start, *start.parents):
        if (folder / KAIZEN_DIR).is_dir() or (folder / ".git").exists():
            return folder
    return None
