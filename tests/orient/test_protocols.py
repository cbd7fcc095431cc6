from __future__ import annotations

from pathlib import Path

import pytest

from kaizen_agentic.errors import InvalidInputError, InvalidNameError, KaizenError
from kaizen_agentic.orient.protocols import (
    MAX_PROTOCOL_BYTES,
    ProtocolInfo,
    add_protocol,
    list_protocols,
    protocol_path,
    read_protocol,
)


def folder(project: Path, agent: str = "coach") -> Path:
    return project / ".kaizen" / "agents" / agent / "protocols"


def test_add_then_list_and_read(project: Path) -> None:
    info = add_protocol(project, "coach", "weekly-review", "# Weekly review\n\n1. Read the brief")
    path = folder(project) / "weekly-review.md"
    assert info == ProtocolInfo("weekly-review", "Weekly review", path)
    assert path.read_text() == "# Weekly review\n\n1. Read the brief\n"
    add_protocol(project, "coach", "a-first", "no heading here\n\n\n")
    assert list_protocols(project, "coach") == [
        ProtocolInfo("a-first", "a-first", folder(project) / "a-first.md"),
        info,
    ]
    assert read_protocol(project, "coach", "a-first") == "no heading here\n"
    assert info.to_dict() == {"slug": "weekly-review", "title": "Weekly review", "path": str(path)}
    assert protocol_path(project, "coach", "weekly-review") == path


def test_title_is_first_level_one_heading(project: Path) -> None:
    folder(project).mkdir(parents=True)
    (folder(project) / "x.md").write_text("intro\n## Not this\n#NoSpace\n# The title \n# Later\n")
    assert list_protocols(project, "coach") == [
        ProtocolInfo("x", "The title", folder(project) / "x.md")
    ]


def test_list_ignores_files_that_are_not_protocols(project: Path) -> None:
    folder(project).mkdir(parents=True)
    (folder(project) / "Bad Name.md").write_text("# no\n")
    (folder(project) / "notes.txt").write_text("# no\n")
    (folder(project) / "dir.md").mkdir()
    (folder(project) / "ok.md").write_text("# Yes\n")
    assert [p.slug for p in list_protocols(project, "coach")] == ["ok"]
    assert list_protocols(project, "other") == []


def test_never_overwrites_without_force(project: Path) -> None:
    path = add_protocol(project, "coach", "release", "# v1\n").path
    with pytest.raises(KaizenError) as caught:
        add_protocol(project, "coach", "release", "# v2\n")
    assert caught.value.exit_code == 1
    assert caught.value.message == (
        f"protocol 'release' already exists for coach ({path}); pass --force to replace it"
    )
    assert path.read_text() == "# v1\n"
    assert add_protocol(project, "coach", "release", "# v2\n", force=True).title == "v2"
    assert path.read_text() == "# v2\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["release.md"]  # no temp file


@pytest.mark.parametrize("slug", ["", "Upper", "a/b", "..", "-lead", "has space", "x" * 65])
def test_bad_slugs_are_refused_before_any_path(project: Path, slug: str) -> None:
    with pytest.raises(InvalidNameError) as caught:
        add_protocol(project, "coach", slug, "# text\n")
    assert caught.value.message.startswith(f"invalid protocol slug {slug!r}: use 1-64 characters")
    with pytest.raises(InvalidNameError):
        read_protocol(project, "coach", slug)
    assert not (project / ".kaizen").exists()


@pytest.mark.parametrize("text", ["", "  \n\t\n"])
def test_empty_text_is_refused(project: Path, text: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        add_protocol(project, "coach", "empty", text)
    assert caught.value.message == (
        "protocol 'empty': empty text; pass the procedure with --from-file or on stdin"
    )
    assert not (project / ".kaizen").exists()


def test_oversized_text_is_refused(project: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        add_protocol(project, "coach", "big", "x" * MAX_PROTOCOL_BYTES)
    assert caught.value.message == (
        f"protocol 'big': {MAX_PROTOCOL_BYTES + 1} bytes is over the 256 KiB limit; "
        "split it into smaller protocols"
    )
    assert not folder(project).exists()


def test_read_missing_names_protocols_list(project: Path) -> None:
    with pytest.raises(KaizenError) as caught:
        read_protocol(project, "coach", "nope")
    assert caught.value.exit_code == 1
    assert caught.value.message == (
        "no protocol 'nope' for coach; see the ones there are with: "
        "kaizen-agentic protocols list coach"
    )
