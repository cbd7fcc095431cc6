"""Per-agent project memory: ``.kaizen/agents/<name>/memory.md`` (SPEC §5).

The file is plain markdown a person can edit by hand. The tool only ever
creates it from a template (never over an existing file) and appends dated
bullets to one of its level-2 sections; every rewrite is atomic and happens
under an inter-process lock, so concurrent ``memory add`` calls lose nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from kaizen_agentic._fs import atomic_write_text, exclusive_lock, inside_root, read_bytes_capped
from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.paths import agent_state_dir

# slug -> (heading title, hint shown under the heading in a new file)
SECTIONS: dict[str, tuple[str, str]] = {
    "project-context": (
        "Project Context",
        "What this project is: its stack, conventions and where things live.",
    ),
    "learnings": ("Learnings", "What worked, what did not, and why."),
    "decisions": ("Decisions", "Choices made and the reason for each, so they stay made."),
    "open-questions": ("Open Questions", "What is still unclear, and who could answer it."),
}
DEFAULT_SECTION = "learnings"
MAX_ENTRY_CHARS = 2000
# memory is a page of notes read into every bundle; a file far larger is refused
MAX_MEMORY_BYTES = 1024 * 1024

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^[-*+]\s+(.*)$")


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_memory` did.

    ``created`` is False when a memory file was already there (it is left
    untouched); ``metrics_dir`` is the metrics folder when this call created it.
    """

    path: Path
    created: bool
    metrics_dir: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "created": self.created,
            "metrics_dir": None if self.metrics_dir is None else str(self.metrics_dir),
        }


def memory_path(root: Path, agent: str) -> Path:
    """``<root>/.kaizen/agents/<agent>/memory.md``."""
    return agent_state_dir(root, agent) / "memory.md"


def memory_template(agent: str, now: datetime | date) -> str:
    """The text of a new memory file for *agent*, dated *now* (UTC)."""
    lines = [
        f"# Project Memory: {agent}",
        "",
        f"What {agent} has learned about this project, kept across sessions: read it "
        f'before starting work and add to it with `kaizen-agentic memory add {agent} "..."`.',
        "",
        f"Created: {_day(now)}",
    ]
    for title, hint in SECTIONS.values():
        lines += ["", f"## {title}", "", f"_{hint}_"]
    return "\n".join(lines) + "\n"


def init_memory(
    root: Path,
    agent: str,
    *,
    scaffold_metrics: bool = True,
    now: datetime | None = None,
) -> InitResult:
    """Create *agent*'s memory file from the template unless one exists.

    An existing file is never touched. Unless *scaffold_metrics* is False the
    agent's ``.kaizen/metrics/<agent>/`` folder is created too (idempotent).
    """
    from kaizen_agentic.agents import AgentRegistry

    AgentRegistry(root).require(agent)  # a typo never starts a phantom agent
    path = memory_path(root, agent)
    with exclusive_lock(_lock_path(path), root=root):
        created = not inside_root(root, path).exists() and not path.is_symlink()
        if created:
            atomic_write_text(path, memory_template(agent, now or _utc_now()), root=root)
    metrics_dir = None
    if scaffold_metrics:
        from kaizen_agentic.metrics.store import MetricsStore

        store = MetricsStore(root, agent)
        existed = store.directory.is_dir()
        store.scaffold()
        metrics_dir = None if existed else store.directory
    return InitResult(path, created, metrics_dir)


def read_memory(root: Path, agent: str) -> str | None:
    """The memory file's text, or None when the agent has none."""
    path = memory_path(root, agent)
    try:
        return _decode(path, read_bytes_capped(root, path, MAX_MEMORY_BYTES))
    except FileNotFoundError:
        return None


def add_memory(
    root: Path,
    agent: str,
    text: str,
    *,
    section: str = DEFAULT_SECTION,
    now: datetime | None = None,
) -> Path:
    """Add ``- <YYYY-MM-DD>: <text>`` at the end of *section*; return the file's path.

    The file is created from the template when missing, and a missing section
    heading is appended. *text* must be one non-empty line of at most
    :data:`MAX_ENTRY_CHARS` characters; otherwise nothing is written.
    """
    entry = _check_entry(text)
    from kaizen_agentic.agents import AgentRegistry

    AgentRegistry(root).require(agent)  # a typo never starts a phantom agent
    if section not in SECTIONS:
        raise InvalidInputError(
            f"unknown memory section {section!r}: use one of {', '.join(SECTIONS)}"
        )
    moment = now or _utc_now()
    bullet = f"- {_day(moment)}: {entry}"
    path = memory_path(root, agent)
    with exclusive_lock(_lock_path(path), root=root):
        try:
            current = _decode(path, read_bytes_capped(root, path, MAX_MEMORY_BYTES))
        except FileNotFoundError:
            current = memory_template(agent, moment)
        atomic_write_text(path, insert_bullet(current, section, bullet), root=root)
    return path


def insert_bullet(text: str, section: str, bullet: str) -> str:
    """*text* with *bullet* added as the last line of *section* (appended if absent).

    A bullet goes directly under a list that ends the section, otherwise after
    a blank line; the section stays separated from the next heading by a blank
    line. Line endings (``\\n`` or ``\\r\\n``) are preserved.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline, added back below
    found = next((s for s in _sections(lines) if s[0] == section), None)
    if found is None:
        title, hint = SECTIONS[section]
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ([""] if lines else []) + [f"## {title}", "", f"_{hint}_", "", bullet]
    else:
        _, _, start, end = found
        last = end - 1
        while last > start and not lines[last].strip():
            last -= 1
        in_list = last > start and (_BULLET.match(lines[last]) or lines[last][:1] in " \t")
        new = [bullet] if in_list else ["", bullet]
        if end < len(lines):
            new.append("")
        lines[last + 1 : end] = new
    return newline.join(lines) + newline


def memory_highlights(text: str, *, per_section: int = 3) -> dict[str, list[str]]:
    """The last *per_section* bullets of each level-2 section, keyed by section slug.

    The four template sections are always present (possibly empty), in
    template order, followed by any other section that has bullets. A bullet
    is returned without its marker; indented continuation lines are joined
    onto it with a space.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    found: dict[str, list[str]] = {slug: [] for slug in SECTIONS}
    seen: set[str] = set()
    for slug, _, start, end in _sections(lines):
        if slug in seen:
            continue  # a repeated heading: the first one counts, as for memory add
        seen.add(slug)
        bullets = _bullets(lines[start + 1 : end])
        if bullets or slug in SECTIONS:
            found[slug] = bullets[-per_section:] if per_section > 0 else []
    return found


def _sections(lines: list[str]) -> Iterator[tuple[str, str, int, int]]:
    """(slug, title, heading index, end index) for each ``## `` section outside code fences.

    A section runs until the next heading of level 1 or 2, so ``###``
    subsections belong to it.
    """
    heads: list[tuple[int, int, str]] = []  # index, level, title
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match and len(match.group(1)) <= 2:
            heads.append((index, len(match.group(1)), match.group(2)))
    for position, (index, level, title) in enumerate(heads):
        if level != 2:
            continue
        end = heads[position + 1][0] if position + 1 < len(heads) else len(lines)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        yield slug, title, index, end


def _bullets(lines: list[str]) -> list[str]:
    bullets: list[str] = []
    continuing = False  # whether an indented line extends the last bullet
    fenced = False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            continuing = False
            continue
        if fenced or not line.strip():
            continue
        match = _BULLET.match(line)
        if match:
            bullets.append(match.group(1).strip())
            continuing = True
        elif continuing and line[:1] in " \t":
            bullets[-1] += " " + line.strip()
        else:
            continuing = False
    return bullets


def _check_entry(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInputError(f"memory text: must be a string, got {type(text).__name__}")
    entry = text.strip()
    if not entry:
        raise InvalidInputError("memory text: empty; pass one line of text to remember")
    if len(entry.splitlines()) > 1:
        raise InvalidInputError("memory text: must be a single line; add one entry per line")
    if len(entry) > MAX_ENTRY_CHARS:
        raise InvalidInputError(
            f"memory text: {len(entry)} characters is over the {MAX_ENTRY_CHARS}-character "
            "limit; shorten it or put details in a protocol"
        )
    return entry


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise KaizenError(f"{path}: not UTF-8 text; fix the file's encoding") from None


def _lock_path(path: Path) -> Path:
    return path.with_name(".memory.lock")


def _day(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc)
        return moment.date().isoformat()
    return moment.isoformat()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)
