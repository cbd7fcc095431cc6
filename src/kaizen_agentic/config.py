"""``.kaizen/config.yml``: optional per-repo settings (SPEC §9).

Every key is optional. Unknown keys and wrong types are reported with the
key's dotted path, by ``kaizen-agentic config validate`` and by every command
that loads the file (as an error: a misspelt threshold must not be silently
ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaizen_agentic.errors import InvalidInputError

CONFIG_RELATIVE = Path(".kaizen") / "config.yml"
WINDOW_CHOICES = ("7d", "30d", "90d")

# key -> (type, default). Nested sections are dicts of the same shape.
_SCHEMA: dict[str, Any] = {
    "retention_days": (int, 180),
    "domain": (str, None),
    "windows": (list, list(WINDOW_CHOICES)),
    "optimizer": {
        "slow_execution_s": (float, 30.0),
        "min_success_rate": (float, 0.8),
        "cost_increase_pct": (float, 25.0),
        "min_samples": (int, 10),
    },
    "trend": {
        # 0.01, not 0.05: each agent gets six trend tests (three windows, two
        # metrics) and every "declining" fires a recommendation.
        "alpha": (float, 0.01),
        "min_change": (float, 0.05),
        "min_points": (int, 5),
    },
    "strategies": {
        "quality": (str, "layered"),
        "collaboration": (str, "telemetry"),
        "windows": (str, "rolling"),
        "trend": (str, "theil-sen"),
    },
    "quality_weights": {
        "self_reported": (float, 0.5),
        "primary_metric": (float, 0.3),
        "feedback": (float, 0.2),
    },
    "events": {"nats_url": (str, None)},
    "temporal": {"address": (str, None), "namespace": (str, "default")},
}


class ConfigError(InvalidInputError):
    """A config file with unknown keys or wrong types; ``problems`` lists each."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(
            f"{path}: {problems[0]}"
            + (
                f" (and {len(problems) - 1} more; run: kaizen-agentic config validate)"
                if len(problems) > 1
                else ""
            )
        )
        self.problems = problems


@dataclass(frozen=True)
class Config:
    """Resolved settings: the file's values over the defaults."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, dotted: str) -> Any:
        node: Any = self.values
        for part in dotted.split("."):
            node = node[part]
        return node

    @property
    def retention_days(self) -> int:
        return int(self.get("retention_days"))

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.get(name))


def defaults() -> dict[str, Any]:
    return _defaults(_SCHEMA)


def _defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _defaults(v) if isinstance(v, dict) else _copy(v[1]) for k, v in schema.items()}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def check_config_data(data: Any) -> tuple[dict[str, Any], list[str]]:
    """Merge *data* over the defaults; return (values, problems with dotted paths)."""
    values = defaults()
    if data is None:
        return values, []
    if not isinstance(data, dict):
        return values, ["the file must be a mapping of settings"]
    problems: list[str] = []
    _merge(_SCHEMA, data, values, "", problems)
    windows = values["windows"]
    if isinstance(windows, list):
        bad = [w for w in windows if w not in WINDOW_CHOICES]
        if bad:
            problems.append(f"windows: {bad!r} not among {', '.join(WINDOW_CHOICES)}")
    if isinstance(values["retention_days"], int) and values["retention_days"] < 1:
        problems.append("retention_days: must be at least 1")
    return values, problems


def _merge(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    out: dict[str, Any],
    prefix: str,
    problems: list[str],
) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        spec = schema.get(key) if isinstance(key, str) else None
        if spec is None:
            problems.append(f"{path}: unknown key")
        elif isinstance(spec, dict):
            if isinstance(value, dict):
                _merge(spec, value, out[key], f"{path}.", problems)
            else:
                problems.append(f"{path}: must be a mapping")
        elif not _type_ok(value, spec[0]):
            problems.append(f"{path}: must be {_TYPE_NAMES[spec[0]]}, got {value!r}")
        else:
            out[key] = float(value) if spec[0] is float else value


_TYPE_NAMES = {int: "a whole number", float: "a number", str: "a string", list: "a list"}


def _type_ok(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def config_path(root: Path) -> Path:
    return root / CONFIG_RELATIVE


def read_config(root: Path) -> tuple[Config, list[str]]:
    """The config and its problems, without raising on problems."""
    path = config_path(root)
    if not path.is_file():
        return Config(defaults()), []
    from kaizen_agentic._yaml import YamlError, load_yaml, read_yaml_text

    try:
        data = load_yaml(read_yaml_text(path, what="config"), source=str(path))
    except YamlError as exc:  # problems are reported per file: drop the path prefix
        return Config(defaults()), [exc.message.removeprefix(f"{path}: ")]
    values, problems = check_config_data(data)
    return Config(values), problems


def load_config(root: Path) -> Config:
    """The repo's config; raise :class:`ConfigError` when the file has problems."""
    config, problems = read_config(root)
    if problems:
        raise ConfigError(config_path(root), problems)
    return config
