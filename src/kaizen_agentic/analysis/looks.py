"""How many times a version comparison has been looked at (SPEC §4).

The loop compares the same two versions again every cycle, and a person may
run ``metrics compare`` between cycles. Each look at *new* evidence spends a
share of alpha (:func:`kaizen_agentic.analysis.comparison.alpha_at_look`), so
the verdict stays valid however often it is checked. A look at unchanged
evidence is the same look again and spends nothing.

Stored in ``.kaizen/metrics/optimizer/looks.json`` as
``{"<agent>:<baseline>:<candidate>": {"count": n, "digest": "<evidence digest>"}}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import atomic_write_text, ensure_dir, exclusive_lock, read_text_capped
from kaizen_agentic.errors import KaizenError
from kaizen_agentic.paths import optimizer_dir

if TYPE_CHECKING:
    from kaizen_agentic.analysis.compare import VersionComparison
    from kaizen_agentic.analysis.evidence import AgentEvidence

MAX_LOOKS_BYTES = 4 * 1024 * 1024


def take_look(root: Path, agent: str, baseline: str, candidate: str, digest: str) -> int:
    """The number of this look (1-based); a new one is counted only for new evidence."""
    directory = optimizer_dir(root)
    path = directory / "looks.json"
    key = f"{agent}:{baseline}:{candidate}"
    ensure_dir(root, directory)
    with exclusive_lock(directory / ".looks.lock", root=root):
        looks = _read(root, path)
        entry = looks.get(key)
        count = entry.get("count") if isinstance(entry, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            count = 0
        if count and isinstance(entry, dict) and entry.get("digest") == digest:
            return count
        looks[key] = {"count": count + 1, "digest": digest}
        atomic_write_text(path, json.dumps(looks, indent=2, sort_keys=True) + "\n", root=root)
        return count + 1


def _read(root: Path, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_text_capped(root, path, MAX_LOOKS_BYTES))
    except (OSError, ValueError, KaizenError):  # absent or damaged: start counting again
        return {}
    return data if isinstance(data, dict) else {}


def compare_evidence(
    evidence: AgentEvidence, baseline: str | None = None, candidate: str | None = None
) -> VersionComparison:
    """Compare two versions of the agent, counting this look at its evidence.

    ``metrics compare`` and the optimizer both come here, so the looks they
    take add up to one count per pair of versions.
    """
    from kaizen_agentic.analysis.compare import compare_runs, pick_versions

    looks = 1
    picked_baseline, picked_candidate = pick_versions(evidence.versions, baseline, candidate)
    if picked_baseline and picked_candidate and evidence.project_root != Path():
        looks = take_look(
            evidence.project_root,
            evidence.agent,
            picked_baseline,
            picked_candidate,
            evidence.digest,
        )
    return compare_runs(evidence.versions, baseline, candidate, looks=looks)
