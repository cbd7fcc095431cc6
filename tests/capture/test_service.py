"""Capture service details: sessions, prices from config and the rates cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kaizen_agentic.capture import RequestUsage, TokenUsage, price_requests
from kaizen_agentic.capture.service import run_hook
from kaizen_agentic.metrics import MetricsStore
from tests.capture._lines import SESSION, assistant

MODEL = "claude-sonnet-4-5-20250929"


def repo_and_session(tmp_path: Path, config: str = "") -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    (repo / ".kaizen").mkdir(parents=True)
    (repo / ".kaizen" / "config.yml").write_text(config)
    transcript = tmp_path / "projects" / f"{SESSION}.jsonl"
    agent = transcript.with_suffix("") / "subagents" / "agent-a1.jsonl"
    agent.parent.mkdir(parents=True)
    transcript.write_text(assistant("m1", "r1", output=7) + "\n")
    agent.write_text(assistant("m2", "r2", output=11, agentId="a1") + "\n")
    return repo, transcript


def hook(transcript: Path, event: str, **fields: str) -> bytes:
    given = {"session_id": SESSION, "transcript_path": str(transcript), "hook_event_name": event}
    return json.dumps({**given, **fields}).encode()


def test_sessions_are_recorded_only_when_configured(tmp_path: Path) -> None:
    repo, transcript = repo_and_session(tmp_path)
    assert run_hook(hook(transcript, "Stop"), repo).report.written == []
    on, transcript = repo_and_session(tmp_path / "on", "capture:\n  sessions: true\n")
    run_hook(hook(transcript, "Stop"), on)
    run_hook(hook(transcript, "SessionEnd"), on)  # the same run: no second record
    [record] = MetricsStore(on, "claude-session").read_executions()
    # the session's spend includes its subagents'
    assert record["cost"]["output_tokens"] == 18
    assert record["idempotency_key"] == f"claude:{SESSION}:session"


def test_prices_in_config_override_the_table(tmp_path: Path) -> None:
    config = f"prices:\n  {MODEL}:\n    output_per_mtok: 1000000\n"
    repo, transcript = repo_and_session(tmp_path, config)
    agent = transcript.with_suffix("") / "subagents" / "agent-a1.jsonl"
    result = run_hook(hook(transcript, "SubagentStop", agent_id="a1", agent_type="coach"), repo)
    assert result.error is None, result.error
    [record] = MetricsStore(repo, "coach").read_executions()
    assert record["cost"]["usd"] == 11.0  # only the override's one rate, 11 output tokens
    assert agent.is_file()


def test_the_rates_cache_prices_without_the_table(tmp_path: Path) -> None:
    cache = tmp_path / "prices.json"
    request = RequestUsage(MODEL, TokenUsage(10_000, 1_000, 20_000, 10_000, 4_000), None)
    fresh = price_requests([request], cache=cache)
    document = json.loads(cache.read_text())
    assert document["genai_prices"] and MODEL in document["models"]
    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from kaizen_agentic.capture import RequestUsage, TokenUsage, price_requests\n"
        f"r = RequestUsage({MODEL!r}, TokenUsage(10_000, 1_000, 20_000, 10_000, 4_000), None)\n"
        f"print(json.dumps([price_requests([r], cache=Path({str(cache)!r})).usd,"
        " 'genai_prices' in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [fresh.usd, False]
    # a cache written for another genai-prices version is not trusted
    cache.write_text(json.dumps({**document, "genai_prices": "0.0.0"}))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == [fresh.usd, True]


def test_the_hook_loads_only_what_a_run_needs(tmp_path: Path) -> None:
    """A subagent's record and event are written without the CLI, delivery or the analytics."""
    repo, transcript = repo_and_session(tmp_path)
    stdin = hook(transcript, "SubagentStop", agent_id="a1", agent_type="general-purpose")
    code = (
        "import sys\n"
        "sys.argv = ['kaizen-agentic', 'capture', 'hook']\n"
        "from kaizen_agentic._entry import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "unneeded = ('click', 'genai_prices', 'tempfile', 'kaizen_agentic.cli',"
        " 'kaizen_agentic.events.delivery', 'kaizen_agentic.metrics.service',"
        " 'kaizen_agentic.metrics.query', 'kaizen_agentic.agents.template')\n"
        "print(sorted(m for m in unneeded if m in sys.modules), file=sys.stderr)\n"
    )
    # the rates cache is filled on the first run (genai-prices loads then), read on the next
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", code], input=stdin, cwd=repo, capture_output=True, check=True
        )
    assert done.stderr.decode().strip() == "[]"
    assert [r["agent"] for r in MetricsStore(repo, "general-purpose").read_executions()] == [
        "general-purpose"
    ]
    assert (repo / ".kaizen" / "events" / "outbox.jsonl").is_file()
