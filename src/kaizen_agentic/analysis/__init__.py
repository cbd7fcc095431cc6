"""Analyse: optimizer rules, recommendations and version comparison (SPEC §4).

Importing this package is cheap; numpy and scipy load when an analysis runs.
"""

from __future__ import annotations

from kaizen_agentic.analysis.optimizer import (
    MIN_SAMPLES_FOR_RECOMMENDATIONS,
    AgentAnalysis,
    OptimizationLoop,
    OptimizerRun,
    OptimizerStore,
    run_optimizer,
)
from kaizen_agentic.analysis.rules import RULES, Recommendation, Thresholds

__all__ = [
    "MIN_SAMPLES_FOR_RECOMMENDATIONS",
    "RULES",
    "AgentAnalysis",
    "OptimizationLoop",
    "OptimizerRun",
    "OptimizerStore",
    "Recommendation",
    "Thresholds",
    "run_optimizer",
]
