from __future__ import annotations

from pathlib import Path

import pytest

from kaizen_agentic.agents import (
    CATALOG_DIR,
    AgentRegistry,
    check_agent_file,
    parse_agent_text,
    subagent_text,
    validate_agents,
)
from kaizen_agentic.errors import TemplateError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "broken_agents"


def test_catalog_has_at_least_twenty_valid_agents() -> None:
    registry = AgentRegistry(Path("/nonexistent-project"))
    names = registry.catalog_names()
    assert len(names) >= 20
    for required in (
        "coach",
        "optimization",
        "tdd-workflow",
        "sys-medic",
        "scope-analyst",
        "release-manager",
    ):
        assert required in names
    assert validate_agents(registry) == []


def test_catalog_covers_every_category_and_meta_holds_the_loop_agents() -> None:
    templates = [
        parse_agent_text(p.read_text(), source=p.name)
        for p in sorted(CATALOG_DIR.glob("agent-*.md"))
    ]
    by_category: dict[str, set[str]] = {}
    for t in templates:
        by_category.setdefault(t.category, set()).add(t.name)
    assert set(by_category) == {"meta", "development", "quality", "operations", "documentation"}
    assert {"coach", "optimization", "sys-medic", "scope-analyst"} <= by_category["meta"]


def test_catalog_agents_close_with_their_own_record_command() -> None:
    for path in CATALOG_DIR.glob("agent-*.md"):
        template = parse_agent_text(path.read_text(), source=path.name)
        assert "## Session Close" in template.body, path.name
        assert f"kaizen-agentic metrics record {template.name} " in template.body, path.name


def test_coach_title_and_loop_commands() -> None:
    coach = parse_agent_text((CATALOG_DIR / "agent-coach.md").read_text())
    assert "Coach Agent" in coach.title
    for name in ("coach", "optimization"):
        body = (CATALOG_DIR / f"agent-{name}.md").read_text()
        for command in (
            "memory brief",
            "metrics show",
            "metrics optimize",
            "metrics compare",
            "schedule prepare",
        ):
            assert command in body, (name, command)


def test_parse_reads_metrics_and_tools() -> None:
    template = parse_agent_text(
        "---\nname: x\ndescription: d\ncategory: meta\nversion: 1.0.0\ntools: [Read, Bash]\n"
        "metrics:\n  primary: {name: ok, target: 0.9, direction: higher}\n"
        "  secondary:\n    - {name: t_s, target: 60, direction: lower}\n---\n# X Agent\nbody\n"
    )
    assert template.tools == ("Read", "Bash")
    assert template.primary_metric is not None and template.primary_metric.target == 0.9
    assert [m.name for m in template.secondary_metrics] == ["t_s"]
    assert template.title == "X Agent"


@pytest.mark.parametrize("text", ["no frontmatter\n", "---\nname: x\n", "---\n- a list\n---\nb"])
def test_parse_refuses_files_without_a_frontmatter_mapping(text: str) -> None:
    with pytest.raises(TemplateError):
        parse_agent_text(text, source="f.md")


def test_broken_fixtures_report_each_problem_on_its_own_line() -> None:
    problems = {
        str(p).replace(str(FIXTURES) + "/", "")
        for f in sorted(FIXTURES.glob("*.md"))
        for p in check_agent_file(f)
    }
    assert problems == {
        "agent-missing-key.md: category: required key is missing",
        "agent-wrong-type.md: idempotency: must be a non-empty string, got a list",
        "agent-wrong-type.md: metrics.primary.target: must be a number, got a string",
        "agent-bad-direction.md: metrics.primary.direction: 'sideways' is not one of higher, lower",
        "agent-name-mismatch.md: name: is 'someone-else' but the file name says 'name-mismatch'",
        "agent-bad-yaml.md: frontmatter: invalid YAML (line 3): did not find expected ',' or ']'",
    }


def test_subagent_form_is_accepted_by_the_same_parser_and_validator(tmp_path: Path) -> None:
    source = CATALOG_DIR / "agent-tdd-workflow.md"
    text = subagent_text(source.read_text(), source=str(source))
    parsed = parse_agent_text(text)
    catalog = parse_agent_text(source.read_text())
    assert parsed.name == "tdd-workflow"
    assert parsed.description == catalog.description
    assert parsed.body == catalog.body
    assert set(parsed.frontmatter) <= {"name", "description", "tools", "model", "kaizen"}
    # the kaizen keys survive under kaizen:, which Claude Code ignores
    assert parsed.primary_metric == catalog.primary_metric is not None
    assert parsed.version == catalog.version
    path = tmp_path / ".claude" / "agents" / "tdd-workflow.md"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    assert check_agent_file(path) == []
