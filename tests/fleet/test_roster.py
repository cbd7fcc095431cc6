from __future__ import annotations

from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidInputError, KaizenError
from kaizen_agentic.fleet import (
    Roster,
    RosterError,
    RosterNotFoundError,
    RosterRepo,
    load_roster,
    open_roster,
    parse_roster,
    resolve_roster_path,
)

EXAMPLE = """\
version: "1"
repos:
  - slug: kaizen-agentic
    domain: custodian
    status: active            # active | expansion_queue | saturated
    host_paths: {build-01: /srv/repos/kaizen-agentic}
  - slug: ledger
    domain: payments
    status: expansion_queue
    host_paths:
      build-01: /srv/repos/ledger
      build-02.example.org: /data/ledger
"""


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "roster.yaml"
    path.write_text(text)
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    assert caught.value.message.splitlines()[1:] == [f"  {p}" for p in caught.value.problems]
    return caught.value.problems


def test_the_spec_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(EXAMPLE)
    roster = load_roster(path)
    assert roster == Roster(
        (
            RosterRepo(
                "kaizen-agentic", "custodian", "active", {"build-01": "/srv/repos/kaizen-agentic"}
            ),
            RosterRepo(
                "ledger",
                "payments",
                "expansion_queue",
                {"build-01": "/srv/repos/ledger", "build-02.example.org": "/data/ledger"},
            ),
        ),
        source=str(path),
    )
    assert roster.get("ledger") is roster.repos[1] and roster.get("nope") is None
    assert roster.repos[0].active and not roster.repos[1].active
    assert roster.repos[1].path_on("build-02.example.org") == Path("/data/ledger")
    assert roster.repos[0].path_on("build-02.example.org") is None
    assert roster.warnings == ()


def test_every_problem_is_listed_one_line_each(tmp_path: Path) -> None:
    text = """\
version: "1"
repos:
  - slug: alpha
    domain: custodian
    status: active
    host_paths: {build-01: /srv/alpha}
  - slug: Bad/Slug
    domain: 7
    status: active
    host_paths: {build-01: relative/path}
  - slug: alpha
    domain: custodian
    status: paused
    host_paths: [/srv/alpha]
  - just a string
  - domain: custodian
    host_paths: {build-01: /srv/x, "bad host": /srv/y, build-03: 5}
"""
    assert problems_of(text, tmp_path) == [
        "repos[1].slug: 'Bad/Slug' is not a valid slug; use 1-64 characters of lower-case "
        "letters, digits and '-', starting with a letter or digit",
        "repos[1].domain: 7 is not a name; write domain: <name>",
        "repos[1].host_paths.build-01: 'relative/path' is relative; use an absolute path",
        "repos[2].slug: 'alpha' repeats repos[0]; give each repo its own slug",
        "repos[2].status: 'paused' is not a status; use active, expansion_queue, saturated",
        "repos[2].host_paths: ['/srv/alpha'] is not a mapping; map each host to its checkout, "
        "e.g. {build-01: /srv/repos/my-repo}",
        "repos[3]: 'just a string' is not a mapping; give slug, domain, status and host_paths",
        "repos[4].slug: missing; add slug: <repo-name>",
        "repos[4].status: missing; add status: active | expansion_queue | saturated",
        "repos[4].host_paths: host 'bad host' is not a host name; use e.g. build-01",
        "repos[4].host_paths.build-03: 5 is not a path; use an absolute path",
    ]


def test_the_error_message_names_the_file_and_counts_the_problems(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text('version: "1"\nrepos:\n  - slug: a\n')
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    assert caught.value.message == (
        f"roster {path} has 3 problems; fix each:\n"
        "  repos[0].domain: missing; add domain: <name>\n"
        "  repos[0].status: missing; add status: active | expansion_queue | saturated\n"
        "  repos[0].host_paths: missing; map each host to its checkout, "
        "e.g. {build-01: /srv/repos/x}"
    )
    assert caught.value.exit_code == 1


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("version: 1\nrepos: []\n", ['version: 1 is a number; quote it: version: "1"']),
        ('version: "2"\nrepos: []\n', ["version: '2' is not supported; use version: \"1\""]),
        ("repos: []\n", ['version: missing; add version: "1" at the top']),
        (
            'version: "1"\n',
            ["repos: missing; add a list of repos, e.g. repos: [{slug: my-repo, ...}]"],
        ),
        (
            'version: "1"\nrepos: {slug: a}\n',
            ["repos: {'slug': 'a'} is not a list; write one '- slug: ...' per repo"],
        ),
        ("", ["roster: an empty file, not a mapping; write version: '1' and a repos: list"]),
        ("- a\n", ["roster: a list, not a mapping; write version: '1' and a repos: list"]),
    ],
)
def test_top_level_problems(tmp_path: Path, text: str, problems: list[str]) -> None:
    assert problems_of(text, tmp_path) == problems


def test_an_empty_repo_list_is_a_valid_roster() -> None:
    assert parse_roster({"version": "1", "repos": []}).repos == ()


def test_unknown_keys_are_warnings(tmp_path: Path) -> None:
    roster = parse_roster(
        {
            "version": "1",
            "owner": "ops",
            "repos": [
                {"slug": "a", "domain": "d", "status": "active", "host_paths": {}, "team": "x"}
            ],
        }
    )
    assert roster.warnings == (
        "unknown key 'owner' ignored; top-level keys are version, repos",
        "repos[0]: unknown key 'team' ignored; use slug, domain, status and host_paths",
    )


def test_a_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text('version: "1"\nrepos: []\nrepos: []\n')
    with pytest.raises(RosterError) as caught:
        load_roster(path)
    assert caught.value.message == f"{path}: duplicate key 'repos' (line 3); keep only one entry"


def test_a_missing_roster_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(RosterNotFoundError) as caught:
        load_roster(path)
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        f"no roster at {path}; pass --roster FILE or set KAIZEN_ROSTER to an existing file"
    )


def test_host_paths_cannot_be_changed_after_loading() -> None:
    repo = RosterRepo("a", "d", "active", {"h": "/srv/a"})
    with pytest.raises(TypeError):
        repo.host_paths["h"] = "/elsewhere"  # type: ignore[index]
    assert repo.to_dict() == {
        "slug": "a",
        "domain": "d",
        "status": "active",
        "host_paths": {"h": "/srv/a"},
    }
    assert hash(repo) == hash(RosterRepo("a", "d", "active", {"h": "/other"}))


def test_resolve_roster_path_prefers_the_option_then_the_environment(tmp_path: Path) -> None:
    env = {"KAIZEN_ROSTER": "/ops/roster.yaml"}
    assert resolve_roster_path(tmp_path / "r.yaml", env) == tmp_path / "r.yaml"
    assert resolve_roster_path(None, env) == Path("/ops/roster.yaml")
    for empty in ({}, {"KAIZEN_ROSTER": ""}):
        with pytest.raises(InvalidInputError) as caught:
            resolve_roster_path(None, empty)
        assert caught.value.message == "no roster: pass --roster FILE or set KAIZEN_ROSTER"
        assert caught.value.exit_code == 2


def test_open_roster_reads_the_file_from_the_option_or_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(EXAMPLE)
    assert [r.slug for r in open_roster(path, environ={}).repos] == ["kaizen-agentic", "ledger"]
    from_env = open_roster(environ={"KAIZEN_ROSTER": str(path)})
    assert from_env.source == str(path)


def test_open_roster_refuses_two_explicit_sources(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        open_roster(tmp_path / "r.yaml", "http://127.0.0.1:1", environ={})
    assert caught.value.message == "pass either --roster or --hub-url, not both"


def test_roster_errors_are_kaizen_errors() -> None:
    assert issubclass(RosterError, KaizenError)


def test_the_roster_model_imports_neither_the_hub_nor_the_source_choice() -> None:
    import ast

    import kaizen_agentic.fleet.roster as roster_module

    tree = ast.parse(Path(str(roster_module.__file__)).read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {"kaizen_agentic.fleet.hub", "kaizen_agentic.fleet.source"} & imported
