"""Analyse: optimizer rules, recommendations and version comparison (SPEC §4)."""

from __future__ import annotations
