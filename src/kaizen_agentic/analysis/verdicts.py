"""The verdicts API (SPEC §4): plain record dicts in, the ``--json`` documents out.

Outside benchmarks and tests call these two functions; they touch no file,
so the same records always give the same verdicts. They run the very code
``metrics show`` and ``metrics compare`` run on a repo's files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from kaizen_agentic.config import Config, ConfigError, check_config_data

__all__ = ["analyse_records", "compare_records"]


def analyse_records(
    records: Iterable[Mapping[str, Any]],
    *,
    now: datetime | None = None,
    config: Config | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``{"windows": [...]}`` as ``metrics show --json`` prints it, for *records*.

    *config* is a :class:`~kaizen_agentic.config.Config` or the mapping a
    ``config.yml`` would hold; an invalid one raises ``ConfigError``.
    """
    from kaizen_agentic.analysis.evidence import evidence_from_columns, summarise
    from kaizen_agentic.metrics.columns import Columns

    agent = "records"
    evidence = evidence_from_columns(
        agent, Columns.from_records(records), config=_config(config), now=now
    )
    return {"windows": [w.to_dict() for w in summarise(evidence).windows]}


def compare_records(
    records: Iterable[Mapping[str, Any]],
    *,
    baseline: str | None = None,
    candidate: str | None = None,
    config: Config | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The document ``metrics compare --json`` prints, for *records*."""
    from kaizen_agentic.analysis.compare import compare_versions

    _config(config)  # the same settings are refused here as in a repo
    return compare_versions(records, baseline, candidate).to_dict()


def _config(config: Config | Mapping[str, Any] | None) -> Config:
    if isinstance(config, Config):
        return config
    values, problems = check_config_data(dict(config) if config is not None else None)
    if problems:
        from pathlib import Path

        raise ConfigError(Path("config"), problems)
    return Config(values)
