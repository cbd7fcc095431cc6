"""Copying catalog agents into a project, and taking them out again (SPEC §2).

Install never destroys local work: a destination that differs from what would
be written is refused unless ``force`` is given, and the outcome of every file
is reported so the user knows exactly what happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kaizen_agentic._fs import atomic_write_text, inside_root, read_text_capped
from kaizen_agentic.agents.registry import AgentRegistry, claude_agent_path, project_agent_path
from kaizen_agentic.agents.template import MAX_AGENT_BYTES, parse_agent_text
from kaizen_agentic.errors import AgentNotFoundError, KaizenError

INSTALLED = "installed"
REPLACED = "replaced"
IDENTICAL = "identical, skipped"
REFUSED = "refused"


@dataclass(frozen=True)
class InstallOutcome:
    """What happened to one agent file."""

    agent: str
    path: Path
    status: str  # INSTALLED | REPLACED | IDENTICAL | REFUSED
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.status in (INSTALLED, REPLACED)


#: Template keys a subagent file keeps under ``kaizen:`` for the optimizer (targets and all).
KAIZEN_KEYS = ("category", "version", "metrics", "idempotency", "optimization")


def subagent_text(catalog_text: str, *, source: str) -> str:
    """Render a catalog agent as a Claude Code subagent: name, description, tools, body.

    The kaizen template keys go under one ``kaizen:`` key (a one-line JSON
    mapping, which is valid YAML): Claude Code ignores keys it does not know,
    and kaizen reads them back, so the primary metric's target survives.
    """
    template = parse_agent_text(catalog_text, source=source)
    lines = ["---", f"name: {template.name}", f"description: {_yaml_scalar(template.description)}"]
    if template.tools:
        lines.append(f"tools: {', '.join(template.tools)}")
    model = template.frontmatter.get("model")
    if isinstance(model, str) and model:
        lines.append(f"model: {model}")
    kept = {k: template.frontmatter[k] for k in KAIZEN_KEYS if k in template.frontmatter}
    if kept:
        lines.append(f"kaizen: {json.dumps(kept, ensure_ascii=False, sort_keys=True)}")
    lines.append("---")
    return "\n".join(lines) + "\n" + template.body


def install_agents(
    registry: AgentRegistry, names: list[str], *, claude: bool = False, force: bool = False
) -> list[InstallOutcome]:
    """Install each catalog agent in *names* into the registry's project.

    Every file written is announced as a ``kaizen.agent.installed`` event.
    """
    unknown = [n for n in names if not registry.catalog_path(n).is_file()]
    if unknown:
        shown = ", ".join(repr(n) for n in unknown)
        raise AgentNotFoundError(f"no catalog agent named {shown} — run: kaizen-agentic list")
    outcomes = [_install_one(registry, name, claude=claude, force=force) for name in names]
    _announce(registry.project_root, [o for o in outcomes if o.changed])
    return outcomes


def _announce(root: Path, written: list[InstallOutcome]) -> None:
    from kaizen_agentic.agents.registry import file_version
    from kaizen_agentic.events.outbox import emit_event
    from kaizen_agentic.events.payloads import AgentInstalled

    for outcome in written:
        emit_event(
            root,
            AgentInstalled(
                repo=root.resolve().name,
                agent=outcome.agent,
                agent_version=file_version(outcome.path, root),
                destination=str(outcome.path.relative_to(root)),
            ),
        )


def _install_one(
    registry: AgentRegistry, name: str, *, claude: bool, force: bool
) -> InstallOutcome:
    source = registry.catalog_path(name)
    text = source.read_text(encoding="utf-8")
    root = registry.project_root
    if claude:
        destination = claude_agent_path(root, name)
        text = subagent_text(text, source=str(source))
    else:
        destination = project_agent_path(root, name)
    existing = _read_or_none(destination, root)
    if existing == text:
        return InstallOutcome(name, destination, IDENTICAL)
    if existing is not None and not force:
        return InstallOutcome(
            name,
            destination,
            REFUSED,
            "differs from the catalog version (locally modified); use --force to replace it",
        )
    atomic_write_text(destination, text, root=root)
    return InstallOutcome(name, destination, REPLACED if existing is not None else INSTALLED)


def uninstall_agent(registry: AgentRegistry, name: str, *, force: bool = False) -> list[Path]:
    """Remove *name* from the project (both forms); return the files removed.

    A file that differs from the catalog is kept unless *force*: it may hold
    edits nobody else has a copy of.
    """
    root = registry.project_root
    catalog = _read_or_none(registry.catalog_path(name))
    pristine = {
        project_agent_path(root, name): catalog,
        claude_agent_path(root, name): (
            subagent_text(catalog, source=name) if catalog is not None else None
        ),
    }
    present = [path for path in pristine if inside_root(root, path) and path.is_file()]
    if not present:
        raise KaizenError(f"agent '{name}' is not installed in {root}; nothing to remove")
    modified = [p for p in present if _read_or_none(p, root) != pristine[p]]
    if modified and not force:
        raise KaizenError(
            f"{modified[0]} differs from the catalog version (locally modified); "
            "use --force to remove it anyway"
        )
    for path in present:
        path.unlink()
    return present


def _read_or_none(path: Path, root: Path | None = None) -> str | None:
    try:
        return read_text_capped(root if root is not None else path.parent, path, MAX_AGENT_BYTES)
    except FileNotFoundError:
        return None


def _yaml_scalar(text: str) -> str:
    """A one-line YAML scalar; JSON's double-quoted strings are valid YAML."""
    return json.dumps(text, ensure_ascii=False)
