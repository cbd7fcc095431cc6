from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kaizen_agentic.demo import DemoReport, run_demo

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def write_runs(root: Path, agent: str, count: int, *, days: int = 90, seed: int = 1) -> None:
    """*count* records spread over *days*, written as the store writes them (fast for 100,000)."""
    rng = random.Random(seed)
    path = root / ".kaizen" / "metrics" / agent / "executions.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    start = NOW - timedelta(days=days)
    step = days * 86400 / max(count, 1)
    with path.open("w") as out:
        for i in range(count):
            moment = start + timedelta(seconds=i * step)
            record = {
                "agent": agent,
                "agent_version": "aaaaaaaaaaaa" if i < count // 2 else "bbbbbbbbbbbb",
                "record_id": f"{i:032x}",
                "success": rng.random() < 0.8,
                "quality_score": round(rng.random(), 3),
                "execution_time_s": 10.0,
                "cost": {"usd": 0.01, "input_tokens": 1000, "output_tokens": 100},
                "source": "claude-hook" if i % 3 else "manual",
                "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            out.write(json.dumps(record, sort_keys=True) + "\n")


@pytest.fixture(autouse=True)
def _matplotlib_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HOME is unusable in tests: give matplotlib a font cache it can keep between tests
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path_factory.getbasetemp() / "matplotlib"))


@pytest.fixture(scope="session")
def demo_fleet(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    """The demo fleet of ``make demo`` (its report included), built once."""
    return run_demo(tmp_path_factory.mktemp("demo") / "demo")
