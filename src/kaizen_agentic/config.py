"""``.kaizen/config.yml``: optional per-repo settings (SPEC §9).

One schema (:data:`SCHEMA`) knows every key's type, range or choices,
default and meaning; defaults live nowhere else (the strategies and rules
read theirs from :func:`default`). Unknown keys, wrong types, out-of-range
values and unknown strategy names are reported with the key's dotted path,
one line each, by ``kaizen-agentic config validate`` and by every command
that loads the file (as an error: a misspelt threshold must not be silently
ignored).

This module must stay cheap to import: ``metrics record`` loads it on every
call, so it never imports numpy or scipy — the strategy names are declared
here as choices, and a test keeps them equal to the registries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaizen_agentic.errors import InvalidInputError

CONFIG_RELATIVE = Path(".kaizen") / "config.yml"
WINDOW_CHOICES = ("7d", "30d", "90d")


@dataclass(frozen=True)
class Setting:
    """One key: its type, default, one-line documentation and allowed values.

    ``minimum``/``maximum`` bound a number (for a list: its length); with
    ``exclusive`` both bounds are excluded. ``choices`` are the allowed
    strings (for a list: the allowed items).
    """

    kind: type
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive: bool = False
    choices: tuple[str, ...] | None = None


Schema = Mapping[str, "Setting | Schema"]

SCHEMA: Schema = {
    "retention_days": Setting(
        int, 180, "Records older than this are dropped by `metrics prune`.", 1, 36500
    ),
    "domain": Setting(
        str, None, "The department this repo belongs to, stamped on records that name none."
    ),
    "windows": Setting(
        list,
        list(WINDOW_CHOICES),
        "The rolling windows every analysis reports, ending now.",
        minimum=1,
        choices=WINDOW_CHOICES,
    ),
    "optimizer": {
        "slow_execution_s": Setting(
            float,
            30.0,
            "Average run time (seconds) above which `slow_execution` fires.",
            0,
            86400,
            exclusive=True,
        ),
        "min_success_rate": Setting(
            float, 0.8, "Success rate below which `low_success_rate` fires.", 0, 1
        ),
        "cost_increase_pct": Setting(
            float,
            25.0,
            "Rise in average cost per task (percent, last 30 days over the 30 before) that "
            "fires `cost_increase`.",
            0,
            10000,
            exclusive=True,
        ),
        "min_samples": Setting(
            int,
            10,
            "Executions an agent needs before the optimizer recommends anything.",
            1,
            100000,
        ),
    },
    "trend": {
        # 0.01, not 0.05: each agent gets six trend tests (three windows, two
        # metrics) and every "declining" fires a recommendation.
        "alpha": Setting(
            float,
            0.01,
            "Significance level of each trend test.",
            0,
            1,
            exclusive=True,
        ),
        "min_change": Setting(
            float,
            0.05,
            "Smallest change over a window (on the 0-1 scale) called improving or declining.",
            0,
            1,
        ),
        # 1000 is the theil-sen strategy's MAX_TREND_POINTS: more could never be met.
        "min_points": Setting(
            int,
            5,
            "Records a window needs before it reports figures and a trend.",
            3,
            1000,
        ),
        "min_days": Setting(
            int,
            3,
            "Distinct days a window's runs must fall on before a trend is tested "
            "(a burst of runs within minutes is no trend).",
            3,
            365,
        ),
        "power": Setting(
            float,
            0.8,
            "Power at which the smallest detectable change is computed: a window that "
            "could not have shown `min_change` says `inconclusive`, not `stable`.",
            0.5,
            0.99,
        ),
    },
    "strategies": {
        "quality": Setting(
            str, "layered", "How a record's quality score is computed.", choices=("layered",)
        ),
        "collaboration": Setting(
            str,
            "telemetry",
            "How the collaboration score is computed.",
            choices=("telemetry",),
        ),
        "windows": Setting(
            str, "rolling", "How the analysis windows are laid out.", choices=("rolling",)
        ),
        "trend": Setting(
            str,
            "daily",
            "How a trend is detected in a window: `daily` (tests on days, corrected for "
            "serial correlation) or `theil-sen` (per record, the earlier default).",
            choices=("daily", "theil-sen"),
        ),
    },
    "quality_weights": {
        "self_reported": Setting(
            float, 0.5, "Weight of the self-reported `quality_score`.", 0, 1000
        ),
        "primary_metric": Setting(
            float, 0.3, "Weight of the primary metric's attainment of its target.", 0, 1000
        ),
        "feedback": Setting(float, 0.2, "Weight of people's feedback ratings.", 0, 1000),
    },
    "events": {
        "nats_url": Setting(
            str,
            None,
            "NATS server `events flush` delivers to; `--nats` and $KAIZEN_NATS_URL come first.",
        ),
        "duplicate_window_hours": Setting(
            int,
            24,
            "How long the JetStream stream remembers an event id: an event re-sent within "
            "this time (a flush retried after a lost ack) is stored once.",
            1,
            8760,
        ),
        "retention_days": Setting(
            int,
            30,
            "`events compact` drops delivered events older than this; pending ones stay.",
            1,
            36500,
        ),
    },
    "capture": {
        "sessions": Setting(
            bool,
            False,
            "Also record the main Claude Code session (agent `claude-session`) on `Stop` and "
            "`SessionEnd`, not only its subagents.",
        ),
    },
    # A model id is the key, so the section is a free mapping checked per entry.
    "prices": Setting(
        dict,
        {},
        "Per-model prices in USD per million tokens (`input_per_mtok`, `output_per_mtok`, "
        "`cache_read_per_mtok`, `cache_write_5m_per_mtok`, `cache_write_1h_per_mtok`); a model "
        "listed here is priced from it instead of the genai-prices table.",
    ),
    "temporal": {
        "address": Setting(
            str,
            None,
            "Temporal frontend host:port (unset: 127.0.0.1:7233); `--address` and "
            "$KAIZEN_TEMPORAL_ADDRESS come first.",
        ),
        "namespace": Setting(
            str,
            "default",
            "Temporal namespace; `--namespace` and $KAIZEN_TEMPORAL_NAMESPACE come first.",
        ),
    },
}


class ConfigError(InvalidInputError):
    """A config file with problems; ``problems`` lists each, one line each."""

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


def setting(dotted: str) -> Setting:
    """The schema entry of one key, e.g. ``setting("trend.alpha")``."""
    node: Any = SCHEMA
    for part in dotted.split("."):
        node = node[part]
    if not isinstance(node, Setting):
        raise KeyError(dotted)
    return node


def default(dotted: str) -> Any:
    """The default of one key (a fresh copy for a list)."""
    return _copy(setting(dotted).default)


def defaults() -> dict[str, Any]:
    return _defaults(SCHEMA)


def _defaults(schema: Schema) -> dict[str, Any]:
    return {
        k: _copy(v.default) if isinstance(v, Setting) else _defaults(v) for k, v in schema.items()
    }


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    return list(value) if isinstance(value, list) else value


def check_config_data(data: Any) -> tuple[dict[str, Any], list[str]]:
    """Merge *data* over the defaults; return (values, problems with dotted paths)."""
    values = defaults()
    if data is None:
        return values, []
    if not isinstance(data, dict):
        return values, ["the file must be a mapping of settings"]
    problems: list[str] = []
    _merge(SCHEMA, data, values, "", problems)
    if sum(values["quality_weights"].values()) <= 0:
        problems.append("quality_weights: all three are 0 (give at least one a positive weight)")
    return values, problems


def check_setting(dotted: str, value: Any) -> None:
    """Raise :class:`InvalidInputError` when *value* is not allowed for the key *dotted*.

    For code that takes a setting as an argument (a strategy's constructor),
    so it refuses exactly what ``config validate`` would.
    """
    problem = _problem(setting(dotted), value)
    if problem:
        raise InvalidInputError(f"{dotted}: {problem}")


def _merge(
    schema: Schema,
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
        elif not isinstance(spec, Setting):
            if isinstance(value, dict):
                _merge(spec, value, out[key], f"{path}.", problems)
            else:
                problems.append(f"{path}: must be a mapping")
        elif problem := _problem(spec, value):
            problems.append(f"{path}: {problem}")
        else:
            out[key] = float(value) if spec.kind is float else value


_TYPE_NAMES = {
    int: "a whole number",
    float: "a number",
    str: "a string",
    list: "a list",
    bool: "true or false",
    dict: "a mapping",
}


def _problem(spec: Setting, value: Any) -> str | None:
    """What is wrong with *value* for *spec*, as "what (the fix)"; None when it is fine."""
    if value is None and spec.default is None:  # `domain:` left empty: unset, as by default
        return None
    if not _type_ok(value, spec.kind):
        return f"must be {_TYPE_NAMES[spec.kind]}, got {_shown(value)}"
    if spec.kind is float and not math.isfinite(value):
        return f"must be a finite number, got {_shown(value)}"
    if spec.kind is list:
        return _list_problem(spec, value)
    if spec.kind is dict:
        return _prices_problem(value)
    if spec.choices is not None and value not in spec.choices:
        return f"unknown choice {_shown(value)} (use one of: {', '.join(spec.choices)})"
    if spec.kind in (int, float) and not _in_range(spec, value):
        return f"{_shown(value)} is out of range (use {_range_text(spec)})"
    return None


def _list_problem(spec: Setting, value: list[Any]) -> str | None:
    if spec.minimum is not None and len(value) < spec.minimum:
        return (
            f"needs at least {spec.minimum:g} item (use some of: {', '.join(spec.choices or ())})"
        )
    bad = [item for item in value if spec.choices is not None and item not in spec.choices]
    if bad:
        return f"{_shown(bad)} not among {', '.join(spec.choices or ())}"
    return None


def _prices_problem(value: dict[Any, Any]) -> str | None:
    """The ``prices:`` section: model id -> {rate key: USD per million tokens >= 0}."""
    from kaizen_agentic.capture.prices import OVERRIDE_KEYS

    for model, rates in value.items():
        if not isinstance(model, str) or not model.strip():
            return f"model {_shown(model)} must be a model id such as claude-sonnet-4-5"
        if not isinstance(rates, dict) or not rates:
            return f"{model}: must be a mapping of {', '.join(OVERRIDE_KEYS)}"
        for key, rate in rates.items():
            if key not in OVERRIDE_KEYS:
                return f"{model}.{key}: unknown key (use {', '.join(OVERRIDE_KEYS)})"
            if not _type_ok(rate, float) or not math.isfinite(rate) or rate < 0:
                return f"{model}.{key}: must be a number >= 0, got {_shown(rate)}"
    return None


def _type_ok(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _in_range(spec: Setting, value: float) -> bool:
    low, high = spec.minimum, spec.maximum
    if spec.exclusive:
        return (low is None or value > low) and (high is None or value < high)
    return (low is None or value >= low) and (high is None or value <= high)


def _range_text(spec: Setting) -> str:
    noun = "a whole number" if spec.kind is int else "a number"
    return f"{noun} {_bounds(spec, 'above', 'below', 'from', 'to')}"


def _bounds(spec: Setting, above: str, below: str, start: str, end: str) -> str:
    """The range in words, e.g. "from 3 to 1000" or "above 0 and below 1"."""
    low, high = spec.minimum, spec.maximum
    parts = []
    if low is not None:
        parts.append(f"{above if spec.exclusive else start} {low:g}")
    if high is not None:
        parts.append(f"{below if spec.exclusive else end} {high:g}")
    return " and ".join(parts) if spec.exclusive else " ".join(parts)


def _shown(value: Any) -> str:
    # keep a problem on one readable line, whatever the file holds
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def config_path(root: Path) -> Path:
    return root / CONFIG_RELATIVE


def read_config(root: Path) -> tuple[Config, list[str]]:
    """The config and its problems, without raising on problems.

    Only ``config validate`` should use this; a command that acts on the
    settings uses :func:`load_config`, so a broken file is never replaced
    by the defaults.
    """
    path = config_path(root)
    if not path.exists() and not path.is_symlink():  # a FIFO or a link is refused, not skipped
        return Config(defaults()), []
    from kaizen_agentic._yaml import YamlError, load_yaml, read_yaml_text

    try:
        data = load_yaml(read_yaml_text(path, what="config", root=root), source=str(path))
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


def reference_markdown() -> str:
    """docs/configuration.md, generated from :data:`SCHEMA` (run: ``make docs``)."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from kaizen_agentic/config.py by `make docs`; do not edit. -->",
        "",
        "`.kaizen/config.yml` is optional, and so is every key in it: a key left out",
        "takes its default. `kaizen-agentic config validate` reports every unknown",
        "key, wrong type, out-of-range value and unknown strategy name, one line each",
        "with the key's dotted path; every command that reads the file refuses it",
        "the same way (exit 2) rather than falling back to the defaults.",
        "`kaizen-agentic config show` prints the effective settings.",
        "",
        "| Key | Type | Default | Allowed | Meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [_reference_row(path, spec) for path, spec in _walk(SCHEMA, "")]
    lines += [
        "",
        "Example:",
        "",
        "```yaml",
        "retention_days: 90",
        "optimizer:",
        "  slow_execution_s: 60",
        "  min_samples: 20",
        "trend:",
        "  alpha: 0.05",
        "```",
        "",
    ]
    return "\n".join(lines)


def _walk(schema: Schema, prefix: str) -> list[tuple[str, Setting]]:
    found: list[tuple[str, Setting]] = []
    for key, spec in schema.items():
        if isinstance(spec, Setting):
            found.append((f"{prefix}{key}", spec))
        else:
            found += _walk(spec, f"{prefix}{key}.")
    return found


def _reference_row(path: str, spec: Setting) -> str:
    shown = "none" if spec.default is None else f"`{_yaml_scalar(spec.default)}`"
    return f"| `{path}` | {_TYPE_NAMES[spec.kind]} | {shown} | {_allowed(spec)} | {spec.doc} |"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{}"
    return f"[{', '.join(value)}]" if isinstance(value, list) else str(value)


def _allowed(spec: Setting) -> str:
    if spec.kind is dict:
        return "model id -> rates >= 0"
    if spec.kind is list:
        return f"one or more of {', '.join(f'`{c}`' for c in spec.choices or ())}"
    if spec.choices is not None:
        return ", ".join(f"`{c}`" for c in spec.choices)
    if spec.minimum is None and spec.maximum is None:
        return "any"
    return _bounds(spec, "above", "below", "from", "to")
