"""``kaizen-agentic protocols …``: list, show, add (SPEC §5)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kaizen_agentic.cli._output import emit, json_option, table, target_option
from kaizen_agentic.cli._params import check_agent_name, check_slug
from kaizen_agentic.errors import InvalidInputError
from kaizen_agentic.orient.protocols import (
    MAX_PROTOCOL_BYTES,
    add_protocol,
    list_protocols,
    protocol_path,
    read_protocol,
)


@click.group("protocols")
def protocols_group() -> None:
    """Reusable procedures for an agent: .kaizen/agents/AGENT/protocols/SLUG.md.

    Example:

    \b
        kaizen-agentic protocols add release-manager cut-release --from-file RELEASING.md
        kaizen-agentic protocols list release-manager
    """


@protocols_group.command("list")
@click.argument("agent", callback=check_agent_name)
@target_option
@json_option
def list_command(agent: str, target: Path, as_json: bool) -> None:
    """List AGENT's protocols: slug and title (the first '# ' heading).

    Example:

    \b
        kaizen-agentic protocols list coach
        kaizen-agentic protocols list coach --json
    """
    found = list_protocols(target, agent)

    def human() -> None:
        if not found:
            click.echo(
                f"No protocols for {agent}; add one with: "
                f"kaizen-agentic protocols add {agent} SLUG --from-file FILE"
            )
            return
        click.echo(table(["SLUG", "TITLE"], [(p.slug, p.title) for p in found]))

    emit([p.to_dict() for p in found], as_json=as_json, human=human)


@protocols_group.command("show")
@click.argument("agent", callback=check_agent_name)
@click.argument("slug", callback=check_slug)
@target_option
@json_option
def show_command(agent: str, slug: str, target: Path, as_json: bool) -> None:
    """Print one of AGENT's protocols.

    Fails (exit 1) when there is no protocol SLUG.

    Example:

    \b
        kaizen-agentic protocols show coach weekly-review
    """
    text = read_protocol(target, agent, slug)
    path = protocol_path(target, agent, slug)
    emit(
        {"agent": agent, "slug": slug, "path": str(path), "text": text},
        as_json=as_json,
        human=lambda: click.echo(text, nl=not text.endswith("\n")),
    )


@protocols_group.command("add")
@click.argument("agent", callback=check_agent_name)
@click.argument("slug", callback=check_slug)
@click.option(
    "--from-file",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the protocol from this markdown file (default: stdin).",
)
@click.option("--force", is_flag=True, help="Replace an existing protocol.")
@target_option
def add_command(agent: str, slug: str, source: Path | None, force: bool, target: Path) -> None:
    """Save a protocol SLUG for AGENT from --from-file or stdin.

    SLUG follows the agent-name rule (lower-case letters, digits and '-'). An
    existing protocol is kept (exit 1) unless --force. AGENT must be known to
    the registry.

    Example:

    \b
        kaizen-agentic protocols add coach weekly-review --from-file docs/weekly-review.md
        printf '# Hotfix\\n\\n1. Branch from the tag\\n' | kaizen-agentic protocols add coach hotfix
    """
    text = _read_source(source)
    path = protocol_path(target, agent, slug)
    replaced = path.exists()
    info = add_protocol(target, agent, slug, text, force=force)
    click.echo(f"{'Replaced' if replaced else 'Added'} protocol {slug} ({info.title}): {info.path}")


def _read_source(source: Path | None) -> str:
    if source is None:
        if sys.stdin.isatty():
            raise click.UsageError("pass --from-file FILE or pipe the protocol text on stdin")
        name, data = "stdin", sys.stdin.buffer.read(MAX_PROTOCOL_BYTES + 1)
    else:
        name = str(source)
        with source.open("rb") as handle:
            data = handle.read(MAX_PROTOCOL_BYTES + 1)
    if len(data) > MAX_PROTOCOL_BYTES:
        raise InvalidInputError(
            f"{name}: over the {MAX_PROTOCOL_BYTES // 1024} KiB limit for a protocol; "
            "split it into smaller protocols"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{name}: not UTF-8 text; save it as UTF-8") from None
