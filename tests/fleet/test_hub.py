from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kaizen_agentic.fleet import (
    HubError,
    Roster,
    RosterRepo,
    discover_kaizen_scheduled_repos,
    fetch_hub_roster,
    open_roster,
)
from tests.fleet.helpers import HOST, NOW, Answer, make_repo, running_hub, schedule_yaml

pytestmark = pytest.mark.slow

REPOS = [
    {"slug": "alpha", "domain": "custodian", "host_paths": {HOST: "/srv/alpha"}, "stars": 3},
    {
        "slug": "beta",
        "domain": "payments",
        "host_paths": {HOST: "/srv/beta"},
        "kaizen_schedule_enabled": True,
    },
    {
        "slug": "gamma",
        "domain": "custodian",
        "host_paths": {HOST: "/srv/gamma"},
        "kaizen_schedule_enabled": False,
    },
]


def fetch(url: str, **options: object) -> Roster:
    settings: dict[str, object] = {"timeout": 2.0, "connect_timeout": 2.0, "backoff": 0.0}
    settings.update(options)
    return fetch_hub_roster(url, **settings)  # type: ignore[arg-type]


def test_a_200_answer_becomes_an_active_roster() -> None:
    with running_hub(Answer(200, REPOS)) as hub:
        roster = fetch(hub.url)
    assert roster == Roster(
        (
            RosterRepo("alpha", "custodian", "active", {HOST: "/srv/alpha"}),
            RosterRepo("beta", "payments", "active", {HOST: "/srv/beta"}),
        ),
        source=f"{hub.url}/repos/",
    )
    assert hub.requests == ["/repos/"]


def test_filters_are_sent_as_query_parameters_and_applied_locally() -> None:
    with running_hub(Answer(200, REPOS)) as hub:
        roster = fetch(hub.url + "/", domain="payments", only_scheduled=True)
    assert hub.requests == ["/repos/?domain=payments&kaizen_schedule_enabled=true"]
    # This hub ignores the filter; the answer is still only what was asked for.
    assert [r.slug for r in roster.repos] == ["beta"]


def test_a_500_is_retried_a_bounded_number_of_times() -> None:
    with running_hub(Answer(500, "oops")) as hub, pytest.raises(HubError) as caught:
        fetch(hub.url, retries=2)
    assert len(hub.requests) == 3
    assert caught.value.message == (
        f"State Hub {hub.url}/repos/ answered HTTP 500 after 3 attempts; check that the hub "
        "is running and the URL (--hub-url or KAIZEN_HUB_URL) is right"
    )


def test_a_transient_500_followed_by_a_200_succeeds() -> None:
    with running_hub(Answer(503, ""), Answer(200, REPOS[:1])) as hub:
        roster = fetch(hub.url, retries=2)
    assert [r.slug for r in roster.repos] == ["alpha"]
    assert len(hub.requests) == 2


def test_a_4xx_is_not_retried() -> None:
    answer = Answer(404, '{"detail": "not found"}')
    with running_hub(answer) as hub, pytest.raises(HubError) as caught:
        fetch(hub.url, retries=2)
    assert hub.requests == ["/repos/"]
    assert caught.value.message == (
        f"State Hub {hub.url}/repos/ answered HTTP 404; check the hub URL "
        "(--hub-url or KAIZEN_HUB_URL) and its /repos/ endpoint"
    )


def test_invalid_json_is_an_error() -> None:
    with running_hub(Answer(200, "[{'slug': 'alpha'")) as hub, pytest.raises(HubError) as caught:
        fetch(hub.url)
    assert caught.value.message == (
        f"State Hub {hub.url}/repos/ did not return valid JSON; "
        "check that the URL points at the hub API"
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"repos": []},
            "returned a JSON object, not a list of repos; check that the URL points at the hub API",
        ),
        (
            ["alpha"],
            "returned an unusable repo list: repos[0] is a JSON string, not an object; fix the hub",
        ),
        (
            [{"slug": "alpha", "domain": "d", "host_paths": {HOST: "/a"}}, {"slug": "b"}],
            "returned an unusable repo list: repos[1].domain: missing; add domain: <name> "
            "(and 1 more); fix the hub",
        ),
        (
            [{"slug": "../etc", "domain": "d", "host_paths": {HOST: "/a"}}],
            "returned an unusable repo list: repos[0].slug: '../etc' is not a valid slug; use "
            "1-64 characters of lower-case letters, digits and '-', starting with a letter or "
            "digit; fix the hub",
        ),
        (
            [{"slug": "a", "domain": "d", "host_paths": {}, "kaizen_schedule_enabled": "yes"}],
            "returned an unusable repo list: repos[0].kaizen_schedule_enabled is not true or "
            "false; fix the hub",
        ),
    ],
)
def test_a_wrong_shape_is_an_error_never_a_partial_roster(body: object, detail: str) -> None:
    with running_hub(Answer(200, body)) as hub, pytest.raises(HubError) as caught:
        fetch(hub.url)
    assert caught.value.message == f"State Hub {hub.url}/repos/ {detail}"


def test_a_hub_that_does_not_answer_times_out() -> None:
    with running_hub(Answer(200, REPOS, delay=3.0)) as hub, pytest.raises(HubError) as caught:
        fetch(hub.url, timeout=0.3, retries=1)
    assert len(hub.requests) == 2
    assert caught.value.message == (
        f"State Hub {hub.url}/repos/ did not answer in time after 2 attempts; check that the "
        "hub is running and the URL (--hub-url or KAIZEN_HUB_URL) is right"
    )


def test_a_hub_that_is_not_listening_is_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(HubError) as caught:
        fetch(f"http://127.0.0.1:{port}", retries=0)
    assert caught.value.message == (
        f"cannot reach State Hub http://127.0.0.1:{port}/repos/ (ConnectError); check that the "
        "hub is running and the URL (--hub-url or KAIZEN_HUB_URL) is right"
    )


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(HubError) as caught:
        fetch("file:///etc/passwd")
    assert caught.value.message == (
        "State Hub URL 'file:///etc/passwd' is not an http(s) URL; pass e.g. http://hub:8000"
    )


def test_discovery_over_a_hub_roster(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "alpha", schedule_yaml({"coach": "cadence: weekly"}))
    answer = [{"slug": "alpha", "domain": "custodian", "host_paths": {HOST: str(root)}}]
    with running_hub(Answer(200, answer)) as hub:
        roster = open_roster(environ={"KAIZEN_HUB_URL": hub.url})
    result = discover_kaizen_scheduled_repos(now=NOW, roster=roster, host=HOST)
    assert [(r["repo"], r["agent"], r["next_run_at"]) for r in result["scheduled_runs"]] == [
        ("alpha", "coach", "2026-03-30T09:00:00+00:00")
    ]


def test_an_explicit_roster_file_beats_the_hub_environment_variable(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text('version: "1"\nrepos: []\n')
    with running_hub(Answer(200, REPOS)) as hub:
        roster = open_roster(path, environ={"KAIZEN_HUB_URL": hub.url})
        both = open_roster(environ={"KAIZEN_HUB_URL": hub.url, "KAIZEN_ROSTER": str(path)})
    assert roster.source == str(path)
    assert both.source == f"{hub.url}/repos/"
    assert hub.requests == ["/repos/"]
