from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.fleet import (
    Roster,
    RosterRepo,
    ScheduledRun,
    discover_kaizen_scheduled_repos,
    discover_scheduled_runs,
    prepare_command,
)
from kaizen_agentic.schedule import default_schedule_yaml
from tests.fleet.helpers import HOST, NOW, make_repo, schedule_yaml

COACH_WEEKLY = 'cadence: weekly, cron: "0 9 * * 1", enabled: true'


def repo(
    slug: str, root: Path | str, *, status: str = "active", domain: str = "custodian"
) -> RosterRepo:
    return RosterRepo(slug, domain, status, {HOST: str(root)})


def roster(*repos: RosterRepo) -> Roster:
    return Roster(tuple(repos))


def discover(*repos: RosterRepo, **filters: str) -> dict[str, list[dict[str, object]]]:
    return discover_kaizen_scheduled_repos(now=NOW, roster=roster(*repos), host=HOST, **filters)


def events(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "kaizen_agentic.fleet"]


def test_a_valid_schedule_enabling_coach_gives_one_run(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"coach": COACH_WEEKLY}))
    assert discover(repo("alpha", root)) == {
        "scheduled_runs": [
            {
                "repo": "alpha",
                "root": str(root),
                "agent": "coach",
                "cadence": "weekly",
                "cron": "0 9 * * 1",
                "timezone": "UTC",
                "enabled": True,
                "prepare_command": f"kaizen-agentic schedule prepare coach --target {root}",
                "next_run_at": "2026-03-30T09:00:00+00:00",
            }
        ],
        "skipped": [],
    }


def test_next_run_is_in_the_schedule_time_zone_and_strictly_after_now(tmp_path: Path) -> None:
    berlin = make_repo(tmp_path, "berlin", default_schedule_yaml("Europe/Berlin"))
    utc = make_repo(tmp_path, "utc", schedule_yaml({"coach": COACH_WEEKLY}))
    at_slot = datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc)  # exactly the UTC coach slot
    found = discover_scheduled_runs(
        now=at_slot, roster=roster(repo("berlin", berlin), repo("utc", utc)), host=HOST
    )
    assert [(r.repo, r.agent, r.timezone, r.next_run_at) for r in found.runs] == [
        # 11:00 in Berlin: Monday's 09:00 and 10:00 slots have passed.
        ("berlin", "coach", "Europe/Berlin", "2026-04-06T09:00:00+02:00"),
        ("berlin", "optimization", "Europe/Berlin", "2026-04-06T10:00:00+02:00"),
        ("utc", "coach", "UTC", "2026-04-06T09:00:00+00:00"),
    ]


def test_a_disabled_agent_gives_no_run(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"coach": "cadence: weekly, enabled: false"}))
    assert discover(repo("alpha", root)) == {"scheduled_runs": [], "skipped": []}


def test_a_repo_without_a_schedule_is_skipped_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_repo(tmp_path, "alpha")
    with caplog.at_level(logging.DEBUG):
        assert discover(repo("alpha", root)) == {"scheduled_runs": [], "skipped": []}
    assert caplog.records == []


def test_an_invalid_schedule_emits_nothing_and_logs_every_problem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = schedule_yaml(
        {"coach": COACH_WEEKLY, "optimization": 'cadence: fortnightly, cron: "0 9 * *"'}
    )
    root = make_repo(tmp_path, "alpha", text)
    errors = [
        "agents.optimization.cadence: 'fortnightly' is not a cadence; use daily, weekly or monthly",
        "agents.optimization.cron: '0 9 * *' has 4 fields; "
        "use 5 fields: minute hour day month weekday",
    ]
    with caplog.at_level(logging.WARNING, logger="kaizen_agentic.fleet"):
        result = discover(repo("alpha", root))
    assert result == {
        "scheduled_runs": [],
        "skipped": [{"repo": "alpha", "reason": "schedule_invalid", "errors": errors}],
    }
    assert events(caplog) == [
        {
            "event": "schedule_invalid",
            "repo": "alpha",
            "path": str(root / ".kaizen" / "schedule.yml"),
            "errors": errors,
        }
    ]
    assert [r.levelname for r in caplog.records] == ["WARNING"]


def test_an_agent_no_registry_source_knows_makes_the_schedule_invalid(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"no-such-agent": "cadence: daily"}))
    with caplog.at_level(logging.WARNING):
        result = discover(repo("alpha", root))
    assert result["scheduled_runs"] == []
    assert events(caplog)[0]["errors"] == [
        "agents.no-such-agent: unknown agent 'no-such-agent'; "
        "install or create it, or see: kaizen-agentic list"
    ]


def test_an_agent_defined_in_the_repo_itself_is_known(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"house-style": "cadence: daily"}))
    (root / "agents").mkdir()
    (root / "agents" / "agent-house-style.md").write_text("---\nname: house-style\n---\nBody\n")
    runs = discover_scheduled_runs(now=NOW, roster=roster(repo("alpha", root)), host=HOST).runs
    assert [(r.agent, r.cron, r.next_run_at) for r in runs] == [
        ("house-style", "0 9 * * *", "2026-03-30T09:00:00+00:00")
    ]


def test_a_malformed_schedule_file_is_invalid_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_repo(tmp_path, "alpha", "agents: [unclosed\n")
    with caplog.at_level(logging.WARNING):
        result = discover(repo("alpha", root))
    assert result["scheduled_runs"] == []
    [skipped] = result["skipped"]
    assert skipped["reason"] == "schedule_invalid" and len(skipped["errors"]) == 1  # type: ignore[arg-type]
    assert [e["event"] for e in events(caplog)] == ["schedule_invalid"]


@pytest.mark.parametrize("status", ["expansion_queue", "saturated"])
def test_only_active_repos_are_scheduled(tmp_path: Path, status: str) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"coach": COACH_WEEKLY}))
    assert discover(repo("alpha", root, status=status)) == {"scheduled_runs": [], "skipped": []}


def test_a_missing_checkout_is_logged_as_unreachable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "repos" / "gone"
    live = make_repo(tmp_path, "live", schedule_yaml({"coach": COACH_WEEKLY}))
    with caplog.at_level(logging.WARNING):
        result = discover(repo("gone", missing), repo("live", live))
    assert [r["repo"] for r in result["scheduled_runs"]] == ["live"]
    assert result["skipped"] == [
        {"repo": "gone", "reason": "repo_unreachable", "errors": [f"{missing} is not a directory"]}
    ]
    assert events(caplog) == [{"event": "repo_unreachable", "repo": "gone", "path": str(missing)}]
    assert not missing.exists()


def test_a_repo_checked_out_only_on_other_hosts_is_ignored(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"coach": COACH_WEEKLY}))
    elsewhere = RosterRepo("alpha", "custodian", "active", {"build-02": str(root)})
    assert discover(elsewhere) == {"scheduled_runs": [], "skipped": []}


def test_the_cadence_filter(tmp_path: Path) -> None:
    text = schedule_yaml(
        {
            "coach": COACH_WEEKLY,
            "optimization": "cadence: daily",
            "tdd-workflow": "cadence: monthly",
        }
    )
    root = make_repo(tmp_path, "alpha", text)
    by_cadence = {
        cadence: [
            r["agent"] for r in discover(repo("alpha", root), cadence=cadence)["scheduled_runs"]
        ]
        for cadence in ("daily", "weekly", "monthly")
    }
    assert by_cadence == {
        "daily": ["optimization"],
        "weekly": ["coach"],
        "monthly": ["tdd-workflow"],
    }
    monthly = discover(repo("alpha", root), cadence="monthly")["scheduled_runs"][0]
    assert (monthly["cron"], monthly["next_run_at"]) == ("0 9 1 * *", "2026-04-01T09:00:00+00:00")


def test_an_unknown_cadence_filter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        discover(cadence="hourly")
    assert caught.value.message == "unknown cadence 'hourly'; use daily, weekly, monthly"


def test_the_domain_filter(tmp_path: Path) -> None:
    text = schedule_yaml({"coach": COACH_WEEKLY})
    a = repo("alpha", make_repo(tmp_path, "alpha", text), domain="custodian")
    b = repo("beta", make_repo(tmp_path, "beta", text), domain="payments")
    assert [r["repo"] for r in discover(a, b, domain="payments")["scheduled_runs"]] == ["beta"]
    assert [r["repo"] for r in discover(a, b, domain="custodian")["scheduled_runs"]] == ["alpha"]
    assert discover(a, b, domain="nobody")["scheduled_runs"] == []


def test_the_prepare_command_is_exact(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"tdd-workflow": "cadence: daily"}))
    [run] = discover_scheduled_runs(now=NOW, roster=roster(repo("alpha", root)), host=HOST).runs
    assert run.prepare_command == f"kaizen-agentic schedule prepare tdd-workflow --target {root}"
    assert prepare_command("coach", "/srv/repos/x") == (
        "kaizen-agentic schedule prepare coach --target /srv/repos/x"
    )
    # A path a shell would split stays one argument.
    assert prepare_command("coach", "/srv/my repos/x") == (
        "kaizen-agentic schedule prepare coach --target '/srv/my repos/x'"
    )


def test_order_is_by_repo_slug_then_agent_whatever_the_input_order(tmp_path: Path) -> None:
    text = schedule_yaml(
        {"tdd-workflow": "cadence: daily", "coach": COACH_WEEKLY, "optimization": "cadence: daily"}
    )
    repos = [repo(s, make_repo(tmp_path, s, text)) for s in ("zeta", "alpha", "mid")]
    first = discover(*repos)
    assert [(r["repo"], r["agent"]) for r in first["scheduled_runs"]] == [
        (slug, agent)
        for slug in ("alpha", "mid", "zeta")
        for agent in ("coach", "optimization", "tdd-workflow")
    ]
    assert discover(*reversed(repos)) == first


def test_skipped_repos_are_in_slug_order(tmp_path: Path) -> None:
    bad = make_repo(tmp_path, "bad", "version: 2\n")
    result = discover(repo("zz-gone", tmp_path / "nope"), repo("bad", bad))
    assert [(s["repo"], s["reason"]) for s in result["skipped"]] == [
        ("bad", "schedule_invalid"),
        ("zz-gone", "repo_unreachable"),
    ]


def test_discovery_writes_nothing(tmp_path: Path) -> None:
    roots = [
        make_repo(tmp_path, "alpha", default_schedule_yaml("Europe/Berlin")),
        make_repo(tmp_path, "bad", "version: 2\n"),
        make_repo(tmp_path, "none"),
    ]

    def snapshot() -> dict[str, tuple[int, int]]:
        return {
            str(p): (p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(tmp_path.rglob("*"))
        }

    before = snapshot()
    discover(*(repo(root.name, root) for root in roots))
    assert snapshot() == before


def test_a_naive_now_is_utc_and_the_default_now_is_the_current_time(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"coach": "cadence: daily"}))
    one = roster(repo("alpha", root))
    naive = discover_scheduled_runs(now=NOW.replace(tzinfo=None), roster=one, host=HOST)
    assert naive.runs[0].next_run_at == "2026-03-30T09:00:00+00:00"
    before = datetime.now(timezone.utc)
    [run] = discover_scheduled_runs(roster=one, host=HOST).runs
    assert before < datetime.fromisoformat(run.next_run_at) <= before + timedelta(days=1)


def test_the_objects_and_the_dicts_agree(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", default_schedule_yaml())
    found = discover_scheduled_runs(now=NOW, roster=roster(repo("alpha", root)), host=HOST)
    assert all(isinstance(r, ScheduledRun) for r in found.runs)
    assert found.to_dict() == discover(repo("alpha", root))
