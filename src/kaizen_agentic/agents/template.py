"""The agent template (SPEC §2): YAML frontmatter plus a markdown prompt body.

Parsing and checking are separate on purpose: :func:`parse_agent_text` accepts
any file with a frontmatter block (a Claude Code subagent file included), while
:func:`check_agent_text` reports every way a file falls short of the template,
one :class:`Problem` at a time, so ``validate`` can list them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaizen_agentic.errors import BoundaryError, KaizenError, TemplateError
from kaizen_agentic.names import is_valid_name

CATEGORIES = ("meta", "development", "quality", "operations", "documentation")
DIRECTIONS = ("higher", "lower")
REQUIRED_KEYS = (
    "name",
    "description",
    "category",
    "version",
    "metrics",
    "idempotency",
    "optimization",
)
# Claude Code subagents need only these; everything else is optional there.
SUBAGENT_REQUIRED_KEYS = ("name", "description")
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_FENCE = "---"


@dataclass(frozen=True)
class MetricSpec:
    """One metric an agent is judged by, and which way is better."""

    name: str
    target: float
    direction: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "target": self.target, "direction": self.direction}


@dataclass(frozen=True)
class AgentTemplate:
    """A parsed agent file. Fields absent from a subagent file are empty."""

    name: str
    description: str
    body: str
    frontmatter: Mapping[str, Any]
    category: str = ""
    version: str = ""
    tools: tuple[str, ...] = ()
    primary_metric: MetricSpec | None = None
    secondary_metrics: tuple[MetricSpec, ...] = field(default=())
    idempotency: str = ""
    optimization: str = ""

    @property
    def title(self) -> str:
        """The body's first ``# `` heading, or the name."""
        for line in self.body.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return self.name


@dataclass(frozen=True)
class Problem:
    """One way a file breaks the template: rendered ``file: key: what is wrong``."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


def split_frontmatter(text: str, *, source: str) -> tuple[str, str]:
    """Return (frontmatter YAML, body); raise :class:`TemplateError` when there is none."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != _FENCE:
        raise TemplateError(f"{source}: no frontmatter; the file must start with a '---' line")
    for index in range(1, len(lines)):
        if lines[index].strip() == _FENCE:
            return "".join(lines[1:index]), "".join(lines[index + 1 :]).lstrip("\n")
    raise TemplateError(f"{source}: frontmatter is not closed; add a '---' line after it")


def parse_frontmatter(text: str, *, source: str) -> tuple[dict[str, Any], str]:
    """Split and load the frontmatter, which must be a mapping.

    As tolerant as Claude Code: a one-line value that strict YAML refuses
    (typically an unquoted ``description`` containing ``: ``) is read as the
    plain text it is meant to be.
    """
    from kaizen_agentic._yaml import YamlError, load_yaml  # PyYAML: only when parsing

    head, body = split_frontmatter(text, source=source)
    try:
        data = load_yaml(head, source=source)
    except YamlError as exc:
        data = _tolerant_yaml(head, source)
        if data is None:
            raise TemplateError(exc.message) from None
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: frontmatter must be a mapping of keys to values")
    return data, body


_TOP_LEVEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):[ \t]+(\S.*?)\s*$")
_STRUCTURED_START = ("'", '"', "[", "{", "|", ">", "&", "*", "!", "#")


def _tolerant_yaml(head: str, source: str) -> Any:
    """*head* with each top-level one-line plain value quoted, loaded again; None if still bad."""
    import json

    from kaizen_agentic._yaml import YamlError, load_yaml

    lines = []
    for line in head.splitlines():
        match = _TOP_LEVEL.match(line)
        if match and not match.group(2).startswith(_STRUCTURED_START):
            value = match.group(2)
            line = f"{match.group(1)}: {json.dumps(value, ensure_ascii=False)}"
        lines.append(line)
    try:
        return load_yaml("\n".join(lines) + "\n", source=source)
    except YamlError:
        return None


#: The frontmatter key under which a Claude Code subagent file keeps kaizen's template keys.
KAIZEN_SECTION = "kaizen"


def _with_kaizen_section(data: dict[str, Any]) -> dict[str, Any]:
    """Kaizen keys kept under ``kaizen:`` (Claude Code ignores it) fill absent top-level ones."""
    section = data.get(KAIZEN_SECTION)
    if not isinstance(section, dict):
        return data
    merged = dict(data)
    for key, value in section.items():
        merged.setdefault(key, value)
    return merged


def parse_agent_text(text: str, *, source: str = "<agent>") -> AgentTemplate:
    """Parse an agent or subagent file leniently; fields of the wrong type become empty."""
    raw, body = parse_frontmatter(text, source=source)
    data = _with_kaizen_section(raw)
    metrics = data.get("metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    secondary = metrics.get("secondary")
    secondary_items = secondary if isinstance(secondary, list) else []
    return AgentTemplate(
        name=_text(data.get("name")),
        description=_text(data.get("description")),
        body=body,
        frontmatter=raw,
        category=_text(data.get("category")),
        version=_text(data.get("version")),
        tools=_tools(data.get("tools")),
        primary_metric=_metric(metrics.get("primary")),
        secondary_metrics=tuple(m for m in map(_metric, secondary_items) if m is not None),
        idempotency=_text(data.get("idempotency")),
        optimization=_text(data.get("optimization")),
    )


# an agent prompt is a page of markdown; anything far larger is not one
MAX_AGENT_BYTES = 1024 * 1024


def read_agent_text(path: Path, root: Path | None = None) -> str:
    """The UTF-8 text of the agent file *path*, read inside *root* (default: its folder).

    Only a regular file within :data:`MAX_AGENT_BYTES` is read; a link out of
    the root raises :class:`~kaizen_agentic.errors.BoundaryError`.
    """
    from kaizen_agentic._fs import read_bytes_capped

    data = read_bytes_capped(root if root is not None else path.parent, path, MAX_AGENT_BYTES)
    return data.decode("utf-8")


def load_agent_file(path: Path, root: Path | None = None) -> AgentTemplate:
    """Read and parse *path*; unreadable files raise :class:`TemplateError`."""
    try:
        text = read_agent_text(path, root)
    except BoundaryError:
        raise
    except (OSError, UnicodeDecodeError, KaizenError) as exc:
        raise TemplateError(f"{path}: cannot read the file ({exc.__class__.__name__})") from None
    return parse_agent_text(text, source=str(path))


def agent_name_for_path(path: Path) -> str | None:
    """The name a file's location implies (``agent-<name>.md``, ``.claude/agents/<name>.md``)."""
    if is_subagent_path(path):
        return path.stem
    if path.name.startswith("agent-") and path.suffix == ".md":
        return path.stem[len("agent-") :]
    return None


def is_subagent_path(path: Path) -> bool:
    """Whether *path* sits in a ``.claude/agents`` folder (Claude Code subagent form)."""
    return path.parent.name == "agents" and path.parent.parent.name == ".claude"


def check_agent_text(
    text: str, *, source: str, expected_name: str | None, subagent: bool = False
) -> list[Problem]:
    """Every template problem in *text*, in file order; empty when it conforms."""
    try:
        data, body = parse_frontmatter(text, source=source)
    except TemplateError as exc:
        detail = exc.message.removeprefix(f"{source}: ")
        return [Problem(source, "frontmatter", detail)]
    problems: list[Problem] = []

    def report(key: str, message: str) -> None:
        problems.append(Problem(source, key, message))

    if subagent:
        _claude_code_problems(data, body, report)
        return problems
    for key in REQUIRED_KEYS:
        if key not in data:
            report(key, "required key is missing")
    for key in (
        "name",
        "description",
        "category",
        "version",
        "idempotency",
        "optimization",
        "model",
    ):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            report(key, f"must be a non-empty string, got {_type_name(data[key])}")
    name = data.get("name")
    if isinstance(name, str) and name:
        if not is_valid_name(name):
            report("name", f"{name!r} breaks the naming rule ^[a-z0-9][a-z0-9-]{{0,63}}$")
        elif expected_name is not None and name != expected_name:
            report("name", f"is {name!r} but the file name says {expected_name!r}")
    category = data.get("category")
    if isinstance(category, str) and category and category not in CATEGORIES:
        report("category", f"{category!r} is not one of {', '.join(CATEGORIES)}")
    version = data.get("version")
    if isinstance(version, str) and version and not _SEMVER.fullmatch(version):
        report("version", f"{version!r} is not a semantic version such as 1.2.0")
    if "tools" in data:
        _check_tools(data["tools"], report)
    if "metrics" in data:
        _check_metrics(data["metrics"], report)
    if not body.strip():
        report("body", "the prompt body is empty")
    return problems


def _claude_code_problems(data: dict[str, Any], body: str, report: Any) -> None:
    """A subagent file judged as Claude Code judges it: a name, a description, tools' form."""
    for key in SUBAGENT_REQUIRED_KEYS:
        if key not in data:
            report(key, "required key is missing")
        elif not (isinstance(data[key], str) and data[key].strip()):
            report(key, f"must be a non-empty string, got {_type_name(data[key])}")
    if "model" in data and not (isinstance(data["model"], str) and data["model"].strip()):
        report("model", f"must be a non-empty string, got {_type_name(data['model'])}")
    if "tools" in data:
        _check_tools(data["tools"], report)
    if not body.strip():
        report("body", "the prompt body is empty")


def subagent_suggestions(path: Path) -> list[Problem]:
    """What a Claude Code subagent file lacks for kaizen: template keys, a kaizen-form name.

    Not problems (Claude Code loads the file as it is); ``validate`` lists
    them so the optimizer can get targets. Keys may sit under ``kaizen:``.
    """
    source = str(path)
    try:
        raw, _ = parse_frontmatter(path.read_text(encoding="utf-8"), source=source)
    except (OSError, UnicodeDecodeError, TemplateError):
        return []
    data = _with_kaizen_section(raw)
    found = [
        Problem(source, key, "kaizen template key is missing (add it, or under kaizen:)")
        for key in REQUIRED_KEYS
        if key not in data
    ]
    name = data.get("name")
    if isinstance(name, str) and name.strip() and not is_valid_name(name.strip()):
        found.append(
            Problem(
                source, "name", f"{name!r} is recorded under a kaizen name (lower case, a-z0-9-)"
            )
        )
    return found


def _check_tools(value: Any, report: Any) -> None:
    if isinstance(value, str):
        return  # Claude Code also accepts "Read, Edit, Bash"
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        report("tools", "must be a list of tool names")


def _check_metrics(value: Any, report: Any) -> None:
    if not isinstance(value, dict):
        report("metrics", f"must be a mapping with a 'primary' metric, got {_type_name(value)}")
        return
    if "primary" not in value:
        report("metrics.primary", "required key is missing")
    else:
        _check_metric("metrics.primary", value["primary"], report)
    secondary = value.get("secondary")
    if secondary is None:
        return
    if not isinstance(secondary, list):
        report("metrics.secondary", f"must be a list of metrics, got {_type_name(secondary)}")
        return
    for index, item in enumerate(secondary):
        _check_metric(f"metrics.secondary[{index}]", item, report)


def _check_metric(key: str, value: Any, report: Any) -> None:
    if not isinstance(value, dict):
        report(key, f"must be a mapping with name, target and direction, got {_type_name(value)}")
        return
    for part in ("name", "target", "direction"):
        if part not in value:
            report(f"{key}.{part}", "required key is missing")
    if "name" in value and not (isinstance(value["name"], str) and value["name"]):
        report(f"{key}.name", f"must be a non-empty string, got {_type_name(value['name'])}")
    target = value.get("target")
    if "target" in value and (isinstance(target, bool) or not isinstance(target, (int, float))):
        report(f"{key}.target", f"must be a number, got {_type_name(target)}")
    direction = value.get("direction")
    if "direction" in value and direction not in DIRECTIONS:
        report(f"{key}.direction", f"{direction!r} is not one of higher, lower")


def _metric(value: Any) -> MetricSpec | None:
    if not isinstance(value, dict):
        return None
    name, target, direction = value.get("name"), value.get("target"), value.get("direction")
    if (
        not isinstance(name, str)
        or isinstance(target, bool)
        or not isinstance(target, (int, float))
        or direction not in DIRECTIONS
    ):
        return None
    return MetricSpec(name=name, target=float(target), direction=str(direction))


def _tools(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t.strip() for t in value.split(",") if t.strip())
    if isinstance(value, list):
        return tuple(str(t) for t in value if isinstance(t, str))
    return ()


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _type_name(value: Any) -> str:
    return {
        type(None): "nothing",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), "a value")


def check_agent_file(path: Path, root: Path | None = None) -> list[Problem]:
    """:func:`check_agent_text` for a file, with the name and form its location implies."""
    source = str(path)
    try:
        text = read_agent_text(path, root)
    except KaizenError as exc:
        return [Problem(source, "file", exc.message)]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(source, "file", f"cannot be read ({exc.__class__.__name__})")]
    # agents/agent-<name>.md is a kaizen template by its name; other files may be subagents
    kaizen_file = path.name.startswith("agent-") and not is_subagent_path(path)
    subagent = is_subagent_path(path) or (not kaizen_file and _looks_like_subagent(text))
    return check_agent_text(
        text,
        source=source,
        expected_name=None if subagent else agent_name_for_path(path),
        subagent=subagent,
    )


def _looks_like_subagent(text: str) -> bool:
    """A file outside ``.claude/agents`` in Claude Code's form: no kaizen key at all.

    ``validate`` on a folder of third-party subagents judges them by Claude
    Code's rules, not the template's.
    """
    try:
        data, _ = parse_frontmatter(text, source="<agent>")
    except TemplateError:
        return False
    kaizen_keys = set(REQUIRED_KEYS) - set(SUBAGENT_REQUIRED_KEYS)
    return not (set(_with_kaizen_section(data)) & kaizen_keys)


def agent_files_in(path: Path, pattern: str = "*.md") -> list[Path]:
    """The agent files a ``validate`` argument stands for: itself, or a folder's matches."""
    if path.is_dir():
        return sorted(p for p in path.glob(pattern) if p.is_file())
    return [path]
