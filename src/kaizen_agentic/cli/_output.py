"""The one output contract every command uses.

``--json`` prints exactly one JSON document. Human output is plain text when
piped; tables get bold headers and colour only on a terminal, and never when
``NO_COLOR`` is set (https://no-color.org).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from kaizen_agentic.metrics.render import number

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """The shared ``--json`` flag (parameter name ``as_json``)."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document and nothing else."
    )(func)


def target_option(func: F) -> F:
    """The shared ``--target/-t`` project-root option (parameter name ``target``)."""
    return click.option(
        "--target",
        "-t",
        "target",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=".",
        show_default=True,
        help="Project root to work on.",
    )(func)


def colour_enabled() -> bool:
    """Colour only on a terminal and only when NO_COLOR is unset or empty."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def style(text: str, **styles: Any) -> str:
    return click.style(text, **styles) if colour_enabled() else text


def emit_json(document: Any) -> None:
    """One standard JSON document: no bare NaN/Infinity, nothing stdout cannot encode."""
    from kaizen_agentic._jsonl import finite

    value = finite(json.loads(json.dumps(document, default=_json_default)))
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a stored string: escape it
        text = json.dumps(value, indent=2, allow_nan=False)
    click.echo(text)


def emit(document: Any, *, as_json: bool, human: Callable[[], None]) -> None:
    """Render *document* as JSON, or call *human* to print it for people."""
    if as_json:
        emit_json(document)
    else:
        human()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    cells = [[number(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        padded = [v.ljust(w) for v, w in zip(values[:-1], widths[:-1], strict=True)] + [values[-1]]
        return "  ".join(padded).rstrip()

    head = line(list(headers))
    return "\n".join([style(head, bold=True), *(line(r) for r in cells)])


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """A recommendation's evidence on one line: ``key=value, …`` (p-values as p<0.001)."""
    shown = []
    for key, value in evidence.items():
        if value is None or isinstance(value, (dict, list)):
            continue
        if key.startswith("p_value") and isinstance(value, float) and value < 0.001:
            shown.append(f"{key}<0.001")
        else:
            shown.append(f"{key}={number(value)}")
    return ", ".join(shown)


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot serialise {type(value).__name__}")
