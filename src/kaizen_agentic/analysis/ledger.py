"""The recommendation ledger: Plan, Do, Check, Act for every recommendation (SPEC §4).

A recommendation is raised on one ``agent_version`` (Plan). It is
``addressed`` once another version — the prompt edited after it was raised —
has runs (Do); the comparison of that version against the one it was raised
on (Check) makes it ``verified`` (improved), ``not_verified`` (no significant
difference once both sides have enough runs) or ``regressed`` (worse), and a
regressed edit raises a ``revert`` recommendation naming the version to go
back to (Act). A person may instead ``dismiss`` it, with a reason.

States are derived from the evidence and recorded, with their dates, in the
recommendation history (``optimizer/recommendations.jsonl``): beside the
lines of raised recommendations (they carry a ``rule``), a state change is a
line ``{id, agent, agent_version, state, at, note, candidate}``. The file
stays append-only, and re-deriving on unchanged evidence appends nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaizen_agentic._fs import append_line, exclusive_lock
from kaizen_agentic._jsonl import iter_jsonl
from kaizen_agentic._time import format_timestamp, parse_timestamp
from kaizen_agentic.analysis.rules import Recommendation, recommendation_id
from kaizen_agentic.errors import InvalidInputError, KaizenError

if TYPE_CHECKING:
    from kaizen_agentic.analysis.evidence import AgentEvidence
    from kaizen_agentic.analysis.optimizer import OptimizerStore

OPEN, ADDRESSED, DISMISSED = "open", "addressed", "dismissed"
VERIFIED, NOT_VERIFIED, REGRESSED = "verified", "not_verified", "regressed"
STATES = (OPEN, ADDRESSED, VERIFIED, NOT_VERIFIED, REGRESSED, DISMISSED)
FINAL = frozenset({VERIFIED, NOT_VERIFIED, REGRESSED, DISMISSED})
REVERT = "revert"
_VERDICT_STATE = {
    "improved": VERIFIED,
    "no_significant_difference": NOT_VERIFIED,
    "regressed": REGRESSED,
}


@dataclass(frozen=True)
class StateChange:
    """One step of an entry's history; ``note`` says why (a comparison, a reason given)."""

    state: str
    at: str
    note: str = ""
    candidate: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "at": self.at, "note": self.note, "candidate": self.candidate}


@dataclass(frozen=True)
class LedgerEntry:
    """One recommendation as raised on one version, and what became of it."""

    id: str
    agent: str
    rule: str
    severity: str
    action: str
    evidence: Mapping[str, Any]
    raised_on: str | None  # the agent_version it was raised on; None in an older history
    raised_at: str
    history: tuple[StateChange, ...] = field(default=())

    @property
    def state(self) -> str:
        return self.history[-1].state if self.history else OPEN

    @property
    def candidate(self) -> str | None:
        """The version that addressed it, once one has."""
        return next((c.candidate for c in reversed(self.history) if c.candidate), None)

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.agent, self.id, self.raised_on)

    def recommendation(self) -> Recommendation:
        return Recommendation(
            self.id, self.agent, self.rule, self.severity, self.evidence, self.action
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent": self.agent,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "raised_on": self.raised_on,
            "raised_at": self.raised_at,
            "candidate": self.candidate,
            "action": self.action,
            "evidence": dict(self.evidence),
            "history": [
                {"state": OPEN, "at": self.raised_at, "note": "", "candidate": None},
                *(c.to_dict() for c in self.history),
            ],
        }

    def line(self) -> str:
        """One line for a human: state, rule, version and the latest date."""
        last = self.history[-1] if self.history else None
        when = (last.at if last else self.raised_at)[:10]
        version = _short(self.raised_on)
        moved = f" → {_short(self.candidate)}" if self.candidate else ""
        note = f" ({last.note})" if last and last.note else ""
        return f"{self.state} since {when}: [{self.severity}] {self.rule} on {version}{moved}{note}"


def read_ledger(root: Path, agent: str | None = None) -> list[LedgerEntry]:
    """Every recorded entry (for one agent, or all), oldest raised first."""
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    path = OptimizerStore(root).recommendations_path
    if not path.is_file():  # no history yet (or no readable one): an empty ledger
        return []
    return _entries(iter_jsonl(path, root=root), agent)


def _entries(lines: Iterable[tuple[int, dict[str, Any]]], agent: str | None) -> list[LedgerEntry]:
    entries: dict[tuple[str, str, str | None], LedgerEntry] = {}
    latest: dict[tuple[str, str], tuple[str, str, str | None]] = {}
    for _, line in lines:
        name, rec_id = line.get("agent"), line.get("id")
        if not isinstance(name, str) or not isinstance(rec_id, str):
            continue
        if agent is not None and name != agent:
            continue
        version = line.get("agent_version")
        version = version if isinstance(version, str) else None
        key = (name, rec_id, version)
        if "rule" in line:
            entry = _raised(line, key, entries.get(key))
            if entry is not None:
                entries[key] = entry
                latest[(name, rec_id)] = key
        elif line.get("state") in STATES:
            found = entries.get(key) or entries.get(latest.get((name, rec_id), key))
            if found is not None:
                change = StateChange(
                    str(line["state"]),
                    str(line.get("at", "")),
                    str(line.get("note") or ""),
                    line.get("candidate") if isinstance(line.get("candidate"), str) else None,
                )
                entries[found.key] = replace(found, history=(*found.history, change))
    return sorted(entries.values(), key=lambda e: (e.raised_at, e.agent, e.rule))


def _raised(
    line: Mapping[str, Any], key: tuple[str, str, str | None], known: LedgerEntry | None
) -> LedgerEntry | None:
    evidence = line.get("evidence")
    fields: dict[str, Any] = {
        "rule": str(line.get("rule")),
        "severity": str(line.get("severity", "")),
        "action": str(line.get("action", "")),
        "evidence": evidence if isinstance(evidence, dict) else {},
    }
    if known is not None:  # raised again: the latest numbers, the first date
        return known if known.state in FINAL else replace(known, **fields)
    return LedgerEntry(
        id=key[1],
        agent=key[0],
        raised_on=key[2],
        raised_at=str(line.get("generated_at") or ""),
        **fields,
    )


def derive(entry: LedgerEntry, evidence: AgentEvidence, now: datetime) -> list[StateChange]:
    """The state changes the evidence now supports for *entry* (none when it is final)."""
    from kaizen_agentic.analysis.compare import compare_runs

    if entry.state in FINAL:
        return []
    baseline = entry.raised_on or _version_at(evidence, entry.raised_at)
    candidate = _candidate(evidence, baseline, entry.raised_at)
    if baseline is None or candidate is None:
        return []
    changes = []
    if entry.state == OPEN:
        first = evidence.versions[candidate].first_seen
        at = max(_when(entry.raised_at), first) if first else _when(entry.raised_at)
        changes.append(
            StateChange(ADDRESSED, format_timestamp(at), "a new prompt version has runs", candidate)
        )
    try:
        comparison = compare_runs(evidence.versions, baseline, candidate)
    except KaizenError:  # the version it was raised on has no runs left (pruned)
        return changes
    state = _VERDICT_STATE.get(comparison.verdict)
    if state is not None:
        changes.append(StateChange(state, format_timestamp(now), comparison.summary, candidate))
    return changes


def _candidate(evidence: AgentEvidence, baseline: str | None, raised_at: str) -> str | None:
    """The newest other version with runs after the recommendation was raised."""
    since = _when(raised_at)
    later = [
        (seen, version)
        for version, seen in evidence.last_seen.items()
        if version != baseline and seen > since and version in evidence.versions
    ]
    return max(later)[1] if later else None


def _version_at(evidence: AgentEvidence, raised_at: str) -> str | None:
    """For an entry from before versions were recorded: the newest version first seen by then."""
    since = _when(raised_at)
    known = [
        (runs.first_seen, version)
        for version, runs in evidence.versions.items()
        if runs.first_seen is not None and runs.first_seen <= since
    ]
    return max(known)[1] if known else None


def revert_recommendation(entry: LedgerEntry, prompt_file: str) -> Recommendation:
    """What to do about a regressed edit: go back to the version it was raised on."""
    regressed = entry.history[-1]
    back, bad = _short(entry.raised_on), _short(entry.candidate)
    return Recommendation(
        recommendation_id(entry.agent, REVERT, entry.candidate or ""),
        entry.agent,
        REVERT,
        "high",
        {
            "from_version": entry.candidate,
            "to_version": entry.raised_on,
            "addressed": entry.id,
            "comparison": regressed.note,
        },
        f"The edit of {prompt_file} that made version {bad} (to address {entry.rule}) made "
        f"the agent worse: {regressed.note}. Revert {prompt_file} to version {back} "
        f"(e.g. git log -p -- {prompt_file}), then tackle {entry.rule} with a different edit.",
    )


@dataclass(frozen=True)
class LedgerRefresh:
    """The ledger after :func:`refresh_ledger`: entries, changes appended, reverts raised."""

    entries: list[LedgerEntry]
    appended: int
    reverts: list[Recommendation]


def refresh_ledger(
    root: Path,
    evidence: Mapping[str, AgentEvidence] | None = None,
    *,
    agent: str | None = None,
    now: datetime | None = None,
) -> LedgerRefresh:
    """Derive every entry's state from the evidence; record each change once, with its date.

    *evidence* maps agent names to their loaded evidence (loaded here when missing).
    A newly regressed entry raises a ``revert`` recommendation on the version
    that regressed, recorded like any other.
    """
    from kaizen_agentic.analysis.evidence import load_evidence
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    now = now or datetime.now(timezone.utc)
    store = OptimizerStore(root)
    if not store.recommendations_path.is_file():
        return LedgerRefresh([], 0, [])
    loaded = dict(evidence or {})
    with exclusive_lock(store.lock_path, root=store.root):
        entries = read_ledger(root, agent)
        appended, reverts = 0, []
        for entry in entries:
            if entry.state in FINAL:
                continue
            if entry.agent not in loaded:
                loaded[entry.agent] = load_evidence(root, entry.agent, now=now)
            item = loaded[entry.agent]
            changes = derive(entry, item, now)
            for change in changes:
                _append_change(store, entry, change)
            appended += len(changes)
            if changes and changes[-1].state == REGRESSED:
                moved = replace(entry, history=(*entry.history, *changes))
                revert = revert_recommendation(moved, item.prompt_file)
                _append_raised(store, revert, moved.candidate, format_timestamp(now))
                reverts.append(revert)
    return LedgerRefresh(read_ledger(root, agent), appended, reverts)


def dismiss(root: Path, rec_id: str, why: str, *, now: datetime | None = None) -> LedgerEntry:
    """Dismiss the entry with *rec_id* that is still open or addressed; return it dismissed."""
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    why = " ".join(why.split())
    if not why:
        raise InvalidInputError("--why is empty; say why the recommendation does not apply.")
    now = now or datetime.now(timezone.utc)
    store = OptimizerStore(root)
    with exclusive_lock(store.lock_path, root=store.root):
        entries = read_ledger(root)
        matching = [e for e in entries if e.id == rec_id]
        live = [e for e in matching if e.state not in FINAL]
        if not live:
            known = ", ".join(sorted({e.id for e in entries if e.state not in FINAL})) or "none"
            what = f"is already {matching[-1].state}" if matching else "is not in the ledger"
            raise InvalidInputError(
                f"recommendation {rec_id} {what}; open or addressed ones: {known} "
                "(list them with: kaizen-agentic metrics recommendations)"
            )
        change = StateChange(DISMISSED, format_timestamp(now), why)
        for entry in live:
            _append_change(store, entry, change)
    return replace(live[-1], history=(*live[-1].history, change))


def open_recommendations(root: Path, agent: str | None = None) -> list[dict[str, Any]]:
    """What a brief or bundle lists as open: the last analysis's recommendations that the
    ledger has not moved on (addressed, checked or dismissed), plus open ``revert``s."""
    from kaizen_agentic.analysis.optimizer import OptimizerStore

    analysis = (OptimizerStore(root).read_analysis() or {}).get("agents") or {}
    ledger = read_ledger(root, agent)
    by_key = {e.key: e for e in ledger}
    by_id = {(e.agent, e.id): e for e in ledger}
    found: list[dict[str, Any]] = []
    for name, result in sorted(analysis.items()):
        if (agent is not None and name != agent) or not isinstance(result, dict):
            continue
        version = result.get("judged_version")
        for rec in result.get("recommendations") or []:
            if not isinstance(rec, dict):
                continue
            entry = by_key.get((name, str(rec.get("id")), version)) or by_id.get(
                (name, str(rec.get("id")))
            )
            if entry is None or entry.state == OPEN:
                found.append(rec)
    listed = {(r.get("agent"), r.get("id")) for r in found}
    for entry in ledger:
        if entry.rule == REVERT and entry.state == OPEN and (entry.agent, entry.id) not in listed:
            found.append(entry.recommendation().to_dict())
    return found


def filter_entries(entries: Sequence[LedgerEntry], state: str | None) -> list[LedgerEntry]:
    if state is not None and state not in STATES:
        raise InvalidInputError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
    return [e for e in entries if state is None or e.state == state]


def _append_change(store: OptimizerStore, entry: LedgerEntry, change: StateChange) -> None:
    line = {"id": entry.id, "agent": entry.agent, "agent_version": entry.raised_on}
    line |= change.to_dict()
    append_line(store.recommendations_path, json.dumps(line, sort_keys=True), root=store.root)


def _append_raised(
    store: OptimizerStore, rec: Recommendation, version: str | None, at: str
) -> None:
    line = {**rec.to_dict(), "agent_version": version, "generated_at": at, "state": OPEN}
    append_line(store.recommendations_path, json.dumps(line, sort_keys=True), root=store.root)


def _when(stamp: str) -> datetime:
    try:
        return parse_timestamp(stamp)
    except ValueError:  # an unreadable date: as old as can be, so any later run counts
        return datetime.min.replace(tzinfo=timezone.utc)


def _short(version: str | None) -> str:
    return version[:12] if version else "an unknown version"


def recommendation_ledger(
    root: Path, agent: str | None = None, *, state: str | None = None, now: datetime | None = None
) -> list[LedgerEntry]:
    """``metrics recommendations``: the ledger brought up to date, optionally of one state."""
    if state is not None and state not in STATES:
        raise InvalidInputError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
    return filter_entries(refresh_ledger(root, agent=agent, now=now).entries, state)
