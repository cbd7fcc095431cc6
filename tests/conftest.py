"""Shared fixtures: no test may write to the real home directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file, not a folder: any write under ~ fails loudly, even as root.
    home = tmp_path_factory.mktemp("home") / "not-a-home"
    home.write_text("tests must not write to the home directory\n")
    monkeypatch.setenv("HOME", str(home))
    for name in (
        "KAIZEN_ROSTER",
        "KAIZEN_NATS_URL",
        "KAIZEN_TEMPORAL_ADDRESS",
        "KAIZEN_TEMPORAL_NAMESPACE",
        "KAIZEN_HUB_URL",
        "HELIX_SESSION_UID",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project root."""
    root = tmp_path / "project"
    root.mkdir()
    return root
