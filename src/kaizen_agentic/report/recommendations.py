"""The recommendation ledger as the report shows it (SPEC §4 "Recommendation ledger").

:func:`ledger_entries` is the one place the report reads recommendations.
Today it reads the optimizer's files: a recommendation of the last analysis
is ``open``; one only in the history, which the last analysis no longer
raises, is ``no_longer_raised``. When the ledger keeps states with their
dates, this function reads them instead and the page stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPEN = "open"
NO_LONGER_RAISED = "no_longer_raised"


@dataclass(frozen=True)
class LedgerEntry:
    """One recommendation with its state and the dates it reached each state."""

    id: str
    rule: str
    severity: str
    state: str
    action: str
    evidence: Mapping[str, Any]
    history: tuple[tuple[str, str], ...]  # (state, ISO date), oldest first


def ledger_entries(root: Path, agent: str) -> list[LedgerEntry]:
    """*agent*'s recommendations in *root*, open first, then by when they were raised."""
    from kaizen_agentic._jsonl import iter_jsonl
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    store = OptimizerStore(root)
    current = {str(r.get("id")) for r in store.open_recommendations(agent)}
    raised: dict[str, dict[str, Any]] = {}
    for _, line in iter_jsonl(store.recommendations_path):
        if line.get("agent") == agent and isinstance(line.get("id"), str):
            raised.setdefault(line["id"], line)  # the first line says when it was raised
    for rec in store.open_recommendations(agent):
        raised.setdefault(str(rec.get("id")), rec)
    entries = [
        _entry(rec, OPEN if key in current else NO_LONGER_RAISED) for key, rec in raised.items()
    ]
    return sorted(entries, key=lambda e: (e.state != OPEN, e.history[0][1] if e.history else ""))


def _entry(rec: Mapping[str, Any], state: str) -> LedgerEntry:
    raised_at = str(rec.get("generated_at") or "")
    evidence = rec.get("evidence")
    return LedgerEntry(
        id=str(rec.get("id")),
        rule=str(rec.get("rule") or "?"),
        severity=str(rec.get("severity") or "low"),
        state=state,
        action=str(rec.get("action") or ""),
        evidence=evidence if isinstance(evidence, Mapping) else {},
        history=((OPEN, raised_at),) if raised_at else (),
    )
