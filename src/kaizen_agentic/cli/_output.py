"""The one output contract every command uses.

``--json`` prints exactly one JSON document. Human output is plain text when
piped; tables get bold headers and colour only on a terminal, and never when
``NO_COLOR`` is set (https://no-color.org).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import click

from kaizen_agentic.metrics.render import number

F = TypeVar("F", bound=Callable[..., Any])


def json_option(func: F) -> F:
    """The shared ``--json`` flag (parameter name ``as_json``)."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document and nothing else."
    )(func)


def target_option(func: F) -> F:
    """The shared ``--target/-t`` project-root option (parameter name ``target``).

    Without it, the project root is found by walking up from the current
    directory to ``.kaizen/`` or ``.git`` (SPEC §1), so a command run from a
    subfolder never starts a second ``.kaizen/`` there.
    """
    return click.option(
        "--target",
        "-t",
        "target",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        callback=_project_root,
        help="Project root to work on. [default: the nearest folder at or above the "
        "current one holding .kaizen/ or .git, else the current folder]",
    )(func)


def _project_root(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    if value is not None:
        return value
    from kaizen_agentic.paths import find_project_root

    here = Path.cwd()
    root = find_project_root(here)
    return Path() if root == here else root  # paths printed stay relative, as with -t .


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


class Styled(NamedTuple):
    """A table cell coloured on a terminal; its width is that of the plain text."""

    text: str
    fg: str | None = None


VERDICT_COLOURS = {
    "declining": "red",
    "regressed": "red",
    "improving": "green",
    "improved": "green",
    "verified": "green",
}


def verdict(word: str | None) -> Styled:
    """A verdict cell: declining/regressed red, improving/improved green."""
    text = word or "-"
    return Styled(text, VERDICT_COLOURS.get(text))


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, wrap_width: int | None = None
) -> str:
    """Left-aligned columns, two spaces apart; the last column is not padded.

    With *wrap_width*, the last column wraps at word boundaries so no line is
    longer than that; its continuation lines start under the column.
    """
    cells = [[v if isinstance(v, Styled) else Styled(number(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i].text) for r in cells]) for i, h in enumerate(headers)]
    indent = sum(w + 2 for w in widths[:-1])

    def line(values: Sequence[Styled]) -> list[str]:
        padded = [
            style(v.text.ljust(w), fg=v.fg) if v.fg else v.text.ljust(w)
            for v, w in zip(values[:-1], widths[:-1], strict=True)
        ]
        last = values[-1]
        room = (wrap_width or 0) - indent
        parts = (
            textwrap.wrap(last.text, room, break_long_words=False, break_on_hyphens=False)
            if wrap_width and room >= 20
            else [last.text]
        )
        parts = parts or [""]
        first = "  ".join([*padded, _styled(parts[0], last.fg)]).rstrip()
        return [first, *(" " * indent + _styled(p, last.fg) for p in parts[1:])]

    head = line([Styled(h) for h in headers])[0]
    return "\n".join([style(head, bold=True), *(text for r in cells for text in line(r))])


def _styled(text: str, fg: str | None) -> str:
    return style(text, fg=fg) if fg else text


def terminal_width() -> int | None:
    """The terminal's width when stdout is one; None when piped (nothing is wrapped)."""
    if not sys.stdout.isatty():
        return None
    import shutil

    return shutil.get_terminal_size().columns


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
