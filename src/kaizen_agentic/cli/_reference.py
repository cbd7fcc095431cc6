"""Generate docs/cli.md from the commands' own --help (run: ``make docs``)."""

from __future__ import annotations

import click

from kaizen_agentic.cli import cli

Chain = list[tuple[str, click.Command]]


def _walk(chain: Chain) -> list[Chain]:
    found = [chain]
    name, command = chain[-1]
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=name)
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                found += _walk([*chain, (sub_name, sub)])
    return found


def _help(chain: Chain) -> str:
    ctx: click.Context | None = None
    for name, command in chain:
        settings = {"terminal_width": 100, **command.context_settings}
        ctx = click.Context(command, info_name=name, parent=ctx, **settings)
    assert ctx is not None
    return chain[-1][1].get_help(ctx).rstrip()


def render_cli_reference() -> str:
    """The whole CLI reference as markdown, one section per command."""
    parts = [
        "# CLI reference",
        "",
        "Generated from `--help` by `make docs`; `make test` fails when it is out of date.",
        "",
    ]
    for chain in _walk([("kaizen-agentic", cli)]):
        title = " ".join(name for name, _ in chain)
        parts += [f"## {title}", "", "```text", _help(chain), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    click.echo(render_cli_reference(), nl=False)
