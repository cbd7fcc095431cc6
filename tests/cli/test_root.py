from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kaizen_agentic import __version__
from kaizen_agentic.cli import cli

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"kaizen-agentic, version {__version__}\n"


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kaizen_agentic", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"kaizen-agentic, version {__version__}")


def test_version_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from kaizen_agentic.cli import cli\n"
        "try:\n    cli(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('scipy', 'numpy', 'httpx', 'temporalio', 'nats', 'yaml')"
        " if m in sys.modules]\nprint(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.output


def test_docs_cli_reference_is_current() -> None:
    # A fresh interpreter: click caches each command's help option on first use,
    # so commands other tests invoked standalone would render differently here.
    done = subprocess.run(
        [sys.executable, "-m", "kaizen_agentic.cli._reference"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert DOCS.read_text() == done.stdout, "docs/cli.md is stale: run `make docs`"


def test_json_output_is_one_document(project: Path) -> None:
    result = CliRunner().invoke(cli, ["list", "--json", "-t", str(project)])
    assert result.exit_code == 0
    assert isinstance(json.loads(result.output), list)


def test_the_public_api_is_reexported_lazily() -> None:
    code = (
        "import sys, kaizen_agentic as k\n"
        "assert 'numpy' not in sys.modules\n"
        "names = [n for n in k.__all__ if n != '__version__']\n"
        "missing = [n for n in names if getattr(k, n, None) is None]\n"
        "print(len(names), missing)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, missing = done.stdout.split(" ", 1)
    assert int(count) >= 15 and missing.strip() == "[]"
