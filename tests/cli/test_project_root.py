"""Every per-repo command finds the project root from a subfolder (SPEC §1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaizen_agentic.cli import cli
from kaizen_agentic.paths import find_project_root


def test_the_root_is_the_nearest_folder_with_kaizen_or_git(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    deep = repo / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_project_root(deep) == deep  # no marker anywhere: the folder itself
    (repo / ".git").write_text("gitdir: elsewhere\n")  # a linked worktree's .git is a file
    assert find_project_root(deep) == repo
    (repo / "src" / ".kaizen").mkdir()
    assert find_project_root(deep) == repo / "src"


def test_metrics_record_from_a_subfolder_writes_at_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(repo / "src" / "pkg")
    result = CliRunner().invoke(cli, ["metrics", "record", "coach", "--success"])
    assert result.exit_code == 0, result.output
    assert not (repo / "src" / "pkg" / ".kaizen").exists()
    lines = (repo / ".kaizen" / "metrics" / "coach" / "executions.jsonl").read_text()
    assert json.loads(lines)["project"] == "repo"
