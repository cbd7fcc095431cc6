from __future__ import annotations

import io

import pytest

from kaizen_agentic.cli import _output


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert _output.colour_enabled() is False
    assert _output.style("x", bold=True) == "x"
    monkeypatch.setattr("sys.stdout", Terminal())
    assert _output.colour_enabled() is True
    assert _output.style("x", bold=True) == "\x1b[1mx\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert _output.colour_enabled() is False
    assert _output.table(["A", "B"], [["1", "2"]]) == "A  B\n1  2"


def test_table_aligns_columns_and_shows_missing_values_as_dash() -> None:
    assert _output.table(["NAME", "N", "RATE"], [["coach", 3, 0.12345], ["x", None, None]]) == (
        "NAME   N  RATE\ncoach  3  0.123\nx      -  -"
    )
