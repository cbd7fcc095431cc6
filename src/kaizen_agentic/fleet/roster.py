"""The operator's roster of repos: ``roster.yaml`` (SPEC §7).

::

    version: "1"
    repos:
      - slug: kaizen-agentic
        domain: custodian
        status: active            # active | expansion_queue | saturated
        host_paths: {build-01: /srv/repos/kaizen-agentic}

Only ``active`` repos are scheduled; ``host_paths`` says where each machine
keeps its checkout, so one roster serves a whole fleet of hosts. Validation
reports every problem at once, one line each (``repos[2].status: ...``);
unknown keys are warnings, as in the schedule file.

The roster file comes from ``--roster FILE`` or ``KAIZEN_ROSTER``
(:func:`resolve_roster_path`); :func:`kaizen_agentic.fleet.source.open_roster`
chooses between it and a State Hub. This module knows nothing of the hub:
the hub builds its roster from the model defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from kaizen_agentic._yaml import YamlError, load_yaml, read_yaml_text
from kaizen_agentic.errors import InvalidInputError, ProblemsError
from kaizen_agentic.names import is_valid_name

ROSTER_VERSION = "1"
ROSTER_ENV = "KAIZEN_ROSTER"
ACTIVE = "active"
STATUSES = (ACTIVE, "expansion_queue", "saturated")

_TOP_KEYS = ("version", "repos")
_REPO_KEYS = ("slug", "domain", "status", "host_paths")


class RosterError(ProblemsError):
    """A roster that cannot be used; ``problems`` lists each issue, one line each."""


class RosterNotFoundError(InvalidInputError):
    """The roster file named by ``--roster`` or ``KAIZEN_ROSTER`` does not exist."""


@dataclass(frozen=True)
class RosterRepo:
    """One repo of the fleet; ``host_paths`` maps a host name to its absolute checkout path."""

    slug: str
    domain: str
    status: str = ACTIVE
    host_paths: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # A read-only copy: a frozen dataclass should not hand out a mutable dict.
        object.__setattr__(self, "host_paths", MappingProxyType(dict(self.host_paths)))

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def path_on(self, host: str) -> Path | None:
        """The checkout on *host*, or None when this repo has no path there."""
        path = self.host_paths.get(host)
        return Path(path) if path is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "domain": self.domain,
            "status": self.status,
            "host_paths": dict(self.host_paths),
        }


@dataclass(frozen=True)
class Roster:
    """A validated roster: repos in source order; ``source`` names where it came from."""

    repos: tuple[RosterRepo, ...]
    version: str = ROSTER_VERSION
    source: str = "roster.yaml"
    warnings: tuple[str, ...] = ()

    def checkouts(self, host: str) -> list[Path]:
        """The existing checkouts of the active repos on *host*, in roster order."""
        paths = (repo.path_on(host) for repo in self.repos if repo.active)
        return [path for path in paths if path is not None and path.is_dir()]

    def get(self, slug: str) -> RosterRepo | None:
        return next((repo for repo in self.repos if repo.slug == slug), None)

    def hosts(self) -> list[str]:
        """Every host name some repo has a checkout on, sorted."""
        return sorted({host for repo in self.repos for host in repo.host_paths})

    def require_host(self, host: str) -> str:
        """*host* when a repo names it (or the roster is empty); else an error listing the hosts.

        A host no entry names would discover nothing, silently: a typo must not
        look like an idle fleet.
        """
        known = self.hosts()
        if known and host not in known:
            raise InvalidInputError(
                f"host {host!r} has no checkout in the roster ({self.source}); "
                f"hosts it names: {', '.join(known)} — pass one with --host"
            )
        return host

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "source": self.source,
            "repos": [repo.to_dict() for repo in self.repos],
            "warnings": list(self.warnings),
        }


# --- locating and reading ---------------------------------------------------------------------


def resolve_roster_path(explicit: Path | str | None, environ: Mapping[str, str]) -> Path:
    """*explicit* (``--roster``) if given, else ``$KAIZEN_ROSTER``.

    Raises :class:`InvalidInputError` when neither is set.
    """
    if explicit is not None and str(explicit) != "":
        return Path(explicit)
    from_env = environ.get(ROSTER_ENV, "")
    if from_env:
        return Path(from_env)
    raise InvalidInputError(f"no roster: pass --roster FILE or set {ROSTER_ENV}")


def load_roster(path: Path | str) -> Roster:
    """Read and validate the roster at *path*.

    Raises :class:`RosterNotFoundError` for a missing file and
    :class:`RosterError` listing every problem for anything unusable.
    """
    path = Path(path)
    try:
        text = read_yaml_text(path, what="roster")
    except FileNotFoundError:
        raise RosterNotFoundError(
            f"no roster at {path}; pass --roster FILE or set {ROSTER_ENV} to an existing file"
        ) from None
    except YamlError as exc:
        raise RosterError(exc.message) from None
    try:
        document = load_yaml(text, source=str(path))
    except YamlError as exc:
        raise RosterError(exc.message) from None
    return parse_roster(document, source=str(path))


def parse_roster(data: Any, *, source: str = "roster.yaml") -> Roster:
    """A :class:`Roster` from a loaded document, raising :class:`RosterError` with every problem."""
    problems, warnings = roster_problems(data)
    if problems:
        count = len(problems)
        raise RosterError(
            f"roster {source} has {count} problem{'s' if count != 1 else ''}; fix each:\n"
            + "\n".join(f"  {p}" for p in problems),
            problems,
        )
    assert isinstance(data, dict)
    repos = tuple(
        RosterRepo(
            slug=item["slug"],
            domain=item["domain"],
            status=item["status"],
            host_paths={str(h): str(p) for h, p in item["host_paths"].items()},
        )
        for item in data["repos"]
    )
    return Roster(repos, version=data["version"], source=source, warnings=tuple(warnings))


def roster_problems(data: Any) -> tuple[list[str], list[str]]:
    """``(problems, warnings)`` for a loaded roster document, in document order."""
    problems: list[str] = []
    warnings: list[str] = []
    if not isinstance(data, dict):
        shown = "an empty file" if data is None else f"a {type(data).__name__}"
        return [f"roster: {shown}, not a mapping; write version: '1' and a repos: list"], []
    for key in data:
        if key not in _TOP_KEYS:
            warnings.append(f"unknown key {_brief(key)} ignored; top-level keys are version, repos")
    version = data.get("version")
    if version is None:
        problems.append(f'version: missing; add version: "{ROSTER_VERSION}" at the top')
    elif isinstance(version, (int, float)) and not isinstance(version, bool):
        problems.append(f'version: {version!r} is a number; quote it: version: "{ROSTER_VERSION}"')
    elif version != ROSTER_VERSION:
        problems.append(f'version: {_brief(version)} is not supported; use version: "1"')
    repos = data.get("repos")
    if repos is None:
        problems.append("repos: missing; add a list of repos, e.g. repos: [{slug: my-repo, ...}]")
    elif not isinstance(repos, list):
        problems.append(f"repos: {_brief(repos)} is not a list; write one '- slug: ...' per repo")
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(repos):
            _check_repo(f"repos[{index}]", item, index, seen, problems, warnings)
    return problems, warnings


def _check_repo(
    where: str,
    item: Any,
    index: int,
    seen: dict[str, int],
    problems: list[str],
    warnings: list[str],
) -> None:
    if not isinstance(item, dict):
        problems.append(
            f"{where}: {_brief(item)} is not a mapping; give slug, domain, status and host_paths"
        )
        return
    for key in item:
        if key not in _REPO_KEYS:
            warnings.append(
                f"{where}: unknown key {_brief(key)} ignored; "
                "use slug, domain, status and host_paths"
            )
    slug = item.get("slug")
    if slug is None:
        problems.append(f"{where}.slug: missing; add slug: <repo-name>")
    elif not isinstance(slug, str) or not is_valid_name(slug):
        problems.append(
            f"{where}.slug: {_brief(slug)} is not a valid slug; use 1-64 characters of "
            "lower-case letters, digits and '-', starting with a letter or digit"
        )
    elif slug in seen:
        problems.append(
            f"{where}.slug: {slug!r} repeats repos[{seen[slug]}]; give each repo its own slug"
        )
    else:
        seen[slug] = index
    domain = item.get("domain")
    if domain is None:
        problems.append(f"{where}.domain: missing; add domain: <name>")
    elif not isinstance(domain, str) or not domain.strip():
        problems.append(f"{where}.domain: {_brief(domain)} is not a name; write domain: <name>")
    status = item.get("status")
    if status is None:
        problems.append(f"{where}.status: missing; add status: {' | '.join(STATUSES)}")
    elif not isinstance(status, str) or status not in STATUSES:
        problems.append(
            f"{where}.status: {_brief(status)} is not a status; use {', '.join(STATUSES)}"
        )
    _check_host_paths(f"{where}.host_paths", item.get("host_paths"), problems)


def _check_host_paths(where: str, value: Any, problems: list[str]) -> None:
    if value is None:
        problems.append(
            f"{where}: missing; map each host to its checkout, e.g. {{build-01: /srv/repos/x}}"
        )
        return
    if not isinstance(value, dict):
        problems.append(
            f"{where}: {_brief(value)} is not a mapping; map each host to its checkout, "
            "e.g. {build-01: /srv/repos/my-repo}"
        )
        return
    for host, path in value.items():
        if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host):
            problems.append(f"{where}: host {_brief(host)} is not a host name; use e.g. build-01")
            continue
        if not isinstance(path, str) or "\0" in path or not path:
            problems.append(f"{where}.{host}: {_brief(path)} is not a path; use an absolute path")
        elif not Path(path).is_absolute():
            problems.append(f"{where}.{host}: {path!r} is relative; use an absolute path")


def _brief(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


__all__ = [
    "ACTIVE",
    "ROSTER_ENV",
    "ROSTER_VERSION",
    "STATUSES",
    "Roster",
    "RosterError",
    "RosterNotFoundError",
    "RosterRepo",
    "load_roster",
    "parse_roster",
    "resolve_roster_path",
    "roster_problems",
]
