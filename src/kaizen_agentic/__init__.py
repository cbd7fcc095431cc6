"""kaizen-agentic: measure, analyse, orient and schedule markdown-defined coding agents.

The public API is re-exported here lazily (PEP 562), so ``import kaizen_agentic``
stays as cheap as the CLI's start-up needs it to be.
"""

from __future__ import annotations

from kaizen_agentic._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "KaizenError": "kaizen_agentic.errors",
    "InvalidInputError": "kaizen_agentic.errors",
    "AgentRegistry": "kaizen_agentic.agents",
    "AgentTemplate": "kaizen_agentic.agents",
    "parse_agent_text": "kaizen_agentic.agents",
    "validate_name": "kaizen_agentic.names",
    "MetricsStore": "kaizen_agentic.metrics",
    "performance_summary_markdown": "kaizen_agentic.metrics",
    "analyse_records": "kaizen_agentic.analysis.verdicts",
    "compare_records": "kaizen_agentic.analysis.verdicts",
    "OptimizationLoop": "kaizen_agentic.analysis",
    "OptimizerStore": "kaizen_agentic.analysis",
    "MIN_SAMPLES_FOR_RECOMMENDATIONS": "kaizen_agentic.analysis",
    "Recommendation": "kaizen_agentic.analysis",
    "ScheduleError": "kaizen_agentic.schedule",
    "load_schedule": "kaizen_agentic.schedule",
    "parse_schedule": "kaizen_agentic.schedule",
    "validate_schedule": "kaizen_agentic.schedule",
    "discover_kaizen_scheduled_repos": "kaizen_agentic.fleet",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
