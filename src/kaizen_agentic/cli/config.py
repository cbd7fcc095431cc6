"""``kaizen-agentic config …``: check and show .kaizen/config.yml (§9)."""

from __future__ import annotations

from pathlib import Path

import click

from kaizen_agentic.cli._output import emit, json_option, target_option
from kaizen_agentic.config import config_path, read_config


@click.group("config")
def config_group() -> None:
    """Check and show the project's .kaizen/config.yml.

    Example:

    \b
        kaizen-agentic config validate
    """


@config_group.command("validate")
@target_option
@json_option
def validate_command(target: Path, as_json: bool) -> None:
    """Report every problem, one line each with the key's path; exit 2 on any.

    Problems are unknown keys, wrong types, out-of-range values and unknown
    strategy names; docs/configuration.md lists every key.

    Example:

    \b
        kaizen-agentic config validate -t ../api
    """
    path = config_path(target)
    _, problems = read_config(target)

    def human() -> None:
        for problem in problems:
            click.echo(f"{path}: {problem}")
        if not problems:
            state = "valid" if path.is_file() else "absent (defaults apply)"
            click.echo(f"{path}: {state}")

    emit(
        {"path": str(path), "exists": path.is_file(), "problems": problems},
        as_json=as_json,
        human=human,
    )
    if problems:  # bad input, as every other command that reads this file reports it
        raise click.exceptions.Exit(2)


@config_group.command("show")
@target_option
@json_option
def show_command(target: Path, as_json: bool) -> None:
    """Print the effective settings: the file's values over the defaults.

    Example:

    \b
        kaizen-agentic config show --json
    """
    from kaizen_agentic.config import load_config

    values = dict(load_config(target).values)

    def human() -> None:
        import yaml

        click.echo(yaml.safe_dump(values, sort_keys=False).rstrip())

    emit(values, as_json=as_json, human=human)
