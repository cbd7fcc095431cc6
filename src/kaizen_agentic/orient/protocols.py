"""Reusable procedures per agent: ``.kaizen/agents/<name>/protocols/<slug>.md`` (SPEC §5).

A protocol is a markdown file a person writes once (a release checklist, how
to run the slow test suite) and an agent follows on later runs. Slugs follow
the agent-name rule, so a slug can never escape the protocols folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import (
    atomic_write_text,
    exclusive_lock,
    inside_root,
    open_read,
    read_bytes_capped,
)
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.names import is_valid_name, validate_name
from kaizen_agentic.paths import agent_state_dir

MAX_PROTOCOL_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProtocolInfo:
    """One protocol file: its slug, its title (first ``# `` heading, else the slug), its path."""

    slug: str
    title: str
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "title": self.title, "path": str(self.path)}


def protocols_dir(root: Path, agent: str) -> Path:
    """``<root>/.kaizen/agents/<agent>/protocols``."""
    return agent_state_dir(root, agent) / "protocols"


def protocol_path(root: Path, agent: str, slug: str) -> Path:
    """``<root>/.kaizen/agents/<agent>/protocols/<slug>.md``; *slug* is validated first."""
    validate_name(slug, kind="protocol slug")
    return protocols_dir(root, agent) / f"{slug}.md"


def list_protocols(root: Path, agent: str) -> list[ProtocolInfo]:
    """The agent's protocols sorted by slug; files whose stem is not a valid slug are ignored."""
    folder = protocols_dir(root, agent)
    if not inside_root(root, folder).is_dir():
        return []
    found = [p for p in folder.glob("*.md") if p.is_file() and is_valid_name(p.stem)]
    return [ProtocolInfo(p.stem, _title(root, p), p) for p in sorted(found, key=lambda p: p.stem)]


def read_protocol(root: Path, agent: str, slug: str) -> str:
    """The text of one protocol; a missing one raises :class:`KaizenError` (exit 1)."""
    path = protocol_path(root, agent, slug)
    try:
        data = read_bytes_capped(root, path, MAX_PROTOCOL_BYTES)
    except FileNotFoundError:
        raise KaizenError(
            f"no protocol '{slug}' for {agent}; see the ones there are with: "
            f"kaizen-agentic protocols list {agent}"
        ) from None
    return _decode(path, data)


def add_protocol(
    root: Path, agent: str, slug: str, text: str, *, force: bool = False
) -> ProtocolInfo:
    """Write *text* as the protocol *slug* and return it.

    An existing protocol is replaced only with *force* (otherwise
    :class:`KaizenError`, exit 1); empty or oversized text is refused with
    :class:`InvalidInputError`. The write is atomic and nothing is written on
    any refusal.
    """
    from kaizen_agentic.agents import AgentRegistry

    AgentRegistry(root).require(agent)  # a typo never starts a phantom agent
    path = protocol_path(root, agent, slug)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(
            f"protocol '{slug}': empty text; pass the procedure with --from-file or on stdin"
        )
    body = text.rstrip() + "\n"
    size = len(body.encode("utf-8"))
    if size > MAX_PROTOCOL_BYTES:
        raise InvalidInputError(
            f"protocol '{slug}': {size} bytes is over the {MAX_PROTOCOL_BYTES // 1024} KiB "
            "limit; split it into smaller protocols"
        )
    with exclusive_lock(agent_state_dir(root, agent) / ".protocols.lock", root=root):
        if inside_root(root, path).exists() and not force:
            raise KaizenError(
                f"protocol '{slug}' already exists for {agent} ({path}); pass --force to replace it"
            )
        atomic_write_text(path, body, root=root)
    return ProtocolInfo(slug, _title_of(body) or slug, path)


def _title(root: Path, path: Path) -> str:
    try:
        with open_read(root, path) as handle:
            text = handle.read(MAX_PROTOCOL_BYTES).decode("utf-8", errors="replace")
    except (OSError, KaizenError):
        return path.stem
    return _title_of(text) or path.stem


def _title_of(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("# ") and line[2:].strip():
            return line[2:].strip()
    return None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise KaizenError(f"{path}: not UTF-8 text; fix the file's encoding") from None
