"""The ``kaizen-agentic`` command line: a thin layer over the click-free core.

Command groups live one per module and are imported only when invoked, which
keeps ``kaizen-agentic --version`` close to the cost of importing click.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import click

from kaizen_agentic import __version__
from kaizen_agentic.errors import KaizenError

# name -> "module:attribute"; the order here is the order in --help.
COMMANDS: dict[str, str] = {
    "list": "kaizen_agentic.cli.agents:list_command",
    "info": "kaizen_agentic.cli.agents:info_command",
    "install": "kaizen_agentic.cli.agents:install_command",
    "uninstall": "kaizen_agentic.cli.agents:uninstall_command",
    "validate": "kaizen_agentic.cli.agents:validate_command",
    "metrics": "kaizen_agentic.cli.metrics:metrics_group",
    "capture": "kaizen_agentic.cli.capture:capture_group",
    "config": "kaizen_agentic.cli.config:config_group",
    "memory": "kaizen_agentic.cli.memory:memory_group",
    "feedback": "kaizen_agentic.cli.feedback:feedback_group",
    "protocols": "kaizen_agentic.cli.protocols:protocols_group",
    "schedule": "kaizen_agentic.cli.schedule:schedule_group",
    "events": "kaizen_agentic.cli.events:events_group",
    "fleet": "kaizen_agentic.cli.fleet:fleet_group",
    "activity": "kaizen_agentic.cli.activity:activity_group",
    "report": "kaizen_agentic.cli.report:report_command",
    "demo": "kaizen_agentic.cli.demo:demo_command",
}


class OperationFailed(click.ClickException):
    """A :class:`KaizenError` for a failed check or operation: exit 1."""

    exit_code = 1


class BadInput(click.ClickException):
    """A :class:`KaizenError` for unusable input: exit 2 like a usage error."""

    exit_code = 2


class KaizenGroup(click.Group):
    """Root group: lazy sub-commands and the single error path."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(set(super().list_commands(ctx)) - set(COMMANDS))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        warnings.showwarning = _show_warning
        try:
            return super().invoke(ctx)
        except KaizenError as error:
            raise (BadInput if error.exit_code == 2 else OperationFailed)(error.message) from None
        except OSError as error:
            # the file system said no (a read-only or pseudo file system, a full
            # disk, permissions): one sentence naming the path, never a traceback
            raise OperationFailed(_describe_os_error(error)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(130) from None


def _describe_os_error(error: OSError) -> str:
    where = error.filename if error.filename is not None else "a file"
    reason = (error.strerror or type(error).__name__).lower()
    return f"{where}: {reason}; check the path and its permissions, or choose another --target"


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings (e.g. a skipped malformed line) as one plain line on stderr."""
    click.echo(f"warning: {message}", err=True)


CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=KaizenGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="kaizen-agentic")
def cli() -> None:
    """Measure, analyse, orient and schedule coding agents defined in markdown.

    Every per-repo command takes --target/-t PATH (default: the nearest folder
    at or above the current one holding .kaizen/ or .git). Read commands take
    --json and then print one JSON document.

    Example:

    \b
        kaizen-agentic list --category meta
        kaizen-agentic install coach tdd-workflow
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="kaizen-agentic")
